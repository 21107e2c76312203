/*
 * The table of kiosk commands, listed by hand (one line per cmd_*.c file).
 */
#include <stdio.h>

#include "cmd.h"
#include "i18n.h"

extern const struct kiosk_cmd cmd_init;
extern const struct kiosk_cmd cmd_user;
extern const struct kiosk_cmd cmd_patient;
extern const struct kiosk_cmd cmd_db;
extern const struct kiosk_cmd cmd_seed;
extern const struct kiosk_cmd cmd_region;
extern const struct kiosk_cmd cmd_country;
extern const struct kiosk_cmd cmd_language;
extern const struct kiosk_cmd cmd_recover;
extern const struct kiosk_cmd cmd_news2;
extern const struct kiosk_cmd cmd_form;
extern const struct kiosk_cmd cmd_ui;
extern const struct kiosk_cmd cmd_enroll;
extern const struct kiosk_cmd cmd_sync;
extern const struct kiosk_cmd cmd_conflict;
extern const struct kiosk_cmd cmd_consult;
extern const struct kiosk_cmd cmd_device;
extern const struct kiosk_cmd cmd_call;
extern const struct kiosk_cmd cmd_licence;
extern const struct kiosk_cmd cmd_rx;
extern const struct kiosk_cmd cmd_referral;
extern const struct kiosk_cmd cmd_emergency;
extern const struct kiosk_cmd cmd_appt;
extern const struct kiosk_cmd cmd_breakglass;

const struct kiosk_cmd *const kiosk_cmds[] = {
	&cmd_init,
	&cmd_user,
	&cmd_patient,
	&cmd_db,
	&cmd_seed,
	&cmd_region,
	&cmd_country,
	&cmd_language,
	&cmd_recover,
	&cmd_news2,
	&cmd_form,
	&cmd_ui,
	&cmd_enroll,
	&cmd_sync,
	&cmd_conflict,
	&cmd_consult,
	&cmd_device,
	&cmd_call,
	&cmd_licence,
	&cmd_rx,
	&cmd_referral,
	&cmd_emergency,
	&cmd_appt,
	&cmd_breakglass,
	NULL,
};

int
cmd_usage(const struct kiosk_cmd *cmd)
{
	fprintf(stderr, "usage:\n%s", cmd->usage);
	return 2;
}

int
cmd_bad_lang(const char *lang)
{
	fprintf(stderr, "kiosk: no screens in \"%s\": the language is one of",
	    lang);
	for (int i = 0; i18n_langs[i] != NULL; i++)
		fprintf(stderr, " %s (%s)", i18n_langs[i],
		    i18n_name(i18n_langs[i]));
	fprintf(stderr, "\n");
	return 2;
}
