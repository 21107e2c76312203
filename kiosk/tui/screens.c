/*
 * Every screen of the kiosk UI, listed once: one `const struct screen`
 * per kiosk/tui/screen_*.c file, registered here by hand (as drivers are
 * in devices/registry.c).  The key table (kiosk/tui/keys.c) names screens
 * by their name; ui_screen_find turns a name back into the screen, and
 * the tests check that every name the key table uses is listed here.
 */
#include <string.h>

#include "ui.h"

const struct screen *const screens[] = {
	&screen_unlock,
	&screen_home,
	&screen_find,
	&screen_patient,
	&screen_register,
	&screen_vitals,
	&screen_alert,
	&screen_danger,
	&screen_forms,
	&screen_form,
	&screen_checkin,
	&screen_consult_req,
	&screen_consults,
	&screen_consult_patient,
	&screen_consult_note,
	&screen_dups,
	&screen_call,
	&screen_rx,
	&screen_rx_view,
	&screen_referral_new,
	&screen_referrals,
	&screen_dash,
	&screen_emergency,
	&screen_waitlist,
	&screen_appt,
	&screen_schedule,
	&screen_mfa_enrol,
	&screen_breakglass,
	NULL,
};

const struct screen *
ui_screen_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && screens[i] != NULL; i++)
		if (strcmp(screens[i]->name, name) == 0)
			return screens[i];
	return NULL;
}
