/*
 * Screen text in the user's language (gettext).  Wrap every string a
 * screen shows in _("..."); N_("...") marks a string in a static table
 * that is translated where it is shown.  i18n_set() switches the language
 * of everything drawn after it: at unlock (the user's language) and at
 * self check-in (the patient's choice).
 */
#ifndef I18N_H
#define I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* Languages the screens are translated into, as codes: "en", "fr", "sw". */
extern const char *const i18n_langs[];

/* Switch screen text to lang ("en", "fr", "sw"); 0, or -1 for an unknown
 * code (the language stays as it was). */
int i18n_set(const char *lang);
/* The current language code. */
const char *i18n_get(void);

#endif
