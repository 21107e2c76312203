/*
 * kiosk language [CODE]: show or set the kiosk's own screen language
 * ("en", "fr", "sw"): the unlock screen, the screens after a lock, and
 * users who have no language of their own (`kiosk user set --lang`) show
 * it.  Setting it needs an administrator.  Kept beside the store in
 * DATA/language (kiosk/kctx.h), since it is shown before any unlock.
 */
#define LOG_MODULE "cli"

#include <stdio.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "i18n.h"
#include "kiosk/kctx.h"

extern const struct kiosk_cmd cmd_language;

static int
language_run(struct kctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	char lang[8];
	int n, err;

	if (cmd_opt_parse(argc, argv, 1, NULL, 0, pos, 1, &n) != 0)
		return cmd_usage(&cmd_language);
	if (n == 1 && i18n_name(pos[0]) == NULL)
		return cmd_bad_lang(pos[0]);
	if (n == 0) {
		if ((err = kctx_lang_get(ctx, lang)) != 0) {
			printf("en (English): none set (kiosk language CODE "
			       "sets it)\n");
			return 0;
		}
		printf("%s (%s)\n", lang, i18n_name(lang));
		return 0;
	}
	if (kctx_open(ctx) != 0)
		return 1;
	if (kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = kctx_lang_set(ctx, pos[0])) != 0) {
		fprintf(stderr, "kiosk: the language was not set: %s\n",
		    kctx_explain(err));
		return 1;
	}
	printf("Language of this kiosk: %s; the unlock screen and users "
	       "without a language of their own show it\n",
	    i18n_name(pos[0]));
	return 0;
}

const struct kiosk_cmd cmd_language = {
	.name = "language",
	.usage = "  language [CODE]            show or set the kiosk's own "
	         "screen language (en, fr, sw)\n",
	.run = language_run,
};
