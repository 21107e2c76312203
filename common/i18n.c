/*
 * Screen language.  The catalogues and their binding are added with the
 * translations (issue 10, item 10); until then every string is English.
 */
#include <string.h>

#include "i18n.h"

const char *const i18n_langs[] = { "en", "fr", "sw", NULL };
static const char *cur = "en";

int
i18n_set(const char *lang)
{
	for (int i = 0; i18n_langs[i] != NULL; i++)
		if (strcmp(lang, i18n_langs[i]) == 0) {
			cur = i18n_langs[i];
			return 0;
		}
	return -1;
}

const char *
i18n_get(void)
{
	return cur;
}
