/*
 * Screen text in the user's language (gettext).  Wrap every string a
 * screen shows in _("..."); N_("...") marks a string in a static table
 * that is translated where it is shown.  i18n_set() switches the language
 * of everything drawn after it: at unlock (the user's language) and at
 * self check-in (the patient's choice).
 *
 * The catalogues are po/<lang>.po, compiled by make into
 * $(BUILD)/locale/<lang>/LC_MESSAGES/outpost.mo (text domain "outpost").
 */
#ifndef I18N_H
#define I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#define I18N_DOMAIN "outpost"

/* Languages the screens are translated into, as codes: "en", "fr", "sw". */
extern const char *const i18n_langs[];

/*
 * Set the locale from the environment for text in UTF-8, bind the
 * catalogues and start in English.  When the environment's locale is not
 * UTF-8 (LANG=C, LANG unset, a Latin-1 locale) the character type and
 * messages switch to C.UTF-8, so "°C", "Français" and accented input work
 * whatever LANG says; numbers are always read and printed in the C
 * locale ("37.5").  Catalogues are looked for in $OUTPOST_LOCALEDIR, then
 * in locale/ beside the executable (build/locale), then in
 * /usr/share/locale.  Returns 0, or -1 when no UTF-8 locale could be set
 * (*why says what to install; static text).  Safe to call again.
 */
int i18n_init(const char **why);
/* Switch screen text to lang ("en", "fr", "sw"); 0, or -1 for an unknown
 * code (the language stays as it was). */
int i18n_set(const char *lang);
/*
 * The kiosk's own language (`kiosk language`): what the screens show while
 * nobody is unlocked (the unlock screen, after a lock) and for a user
 * without a language.  i18n_set_default() sets it and switches to it (0,
 * or -1 for an unknown code); i18n_reset() switches back to it.  "en"
 * until set.
 */
int i18n_set_default(const char *lang);
void i18n_reset(void);
/* The current language code. */
const char *i18n_get(void);
/* The language's own name for LANG ("English", "Français", "Kiswahili"),
 * or NULL for an unknown code. */
const char *i18n_name(const char *lang);
/* The directory the catalogues were bound from (after i18n_init). */
const char *i18n_dir(void);

#endif
