/*
 * Screen language through GNU gettext.  Switching at run time sets
 * LANGUAGE, which gettext reads on each lookup once the catalogue-change
 * counter moves (textdomain() moves it); LANGUAGE is ignored while
 * LC_MESSAGES is "C", which is why i18n_init() puts LC_MESSAGES on
 * C.UTF-8 when the environment's locale is C or not UTF-8.
 *
 * It does not translate form content (forms carry their own languages,
 * forms/) nor command-line output, which stays English for scripts.
 */
#include <langinfo.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

const char *const i18n_langs[] = { "en", "fr", "sw", NULL };
static const char *const names[] = { "English", "Fran\u00e7ais", "Kiswahili" };
static const char *cur = "en";
static const char *deflt = "en"; /* the kiosk's own language */
static char dir[PATH_MAX];

static int
is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Where the compiled catalogues are: see i18n.h. */
static void
find_dir(void)
{
	const char *env = getenv("OUTPOST_LOCALEDIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		snprintf(dir, sizeof(dir), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(dir, sizeof(dir), "%s/locale",
			        exe) < sizeof(dir) &&
			    is_dir(dir))
				return;
		}
	}
	snprintf(dir, sizeof(dir), "%s", "/usr/share/locale");
}

static int
utf8_now(void)
{
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

int
i18n_init(const char **why)
{
	int rc = 0;

	if (why != NULL)
		*why = NULL;
	setlocale(LC_ALL, "");
	if (!utf8_now() || strcmp(setlocale(LC_MESSAGES, NULL), "C") == 0 ||
	    strcmp(setlocale(LC_MESSAGES, NULL), "POSIX") == 0) {
		/* keep what is UTF-8 already, else C.UTF-8 for text */
		if (!utf8_now() && setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
		    setlocale(LC_CTYPE, "C.utf8") == NULL) {
			rc = -1;
			if (why != NULL)
				*why = "no UTF-8 locale: accented letters and "
				       "\"\u00b0C\" cannot be shown (install "
				       "glibc 2.35 or later, or the locales "
				       "package, and set LANG=C.UTF-8)";
		}
		if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
			setlocale(LC_MESSAGES, "C.utf8");
	}
	/* "37.5", never "37,5", whatever the locale */
	setlocale(LC_NUMERIC, "C");
	find_dir();
	bindtextdomain(I18N_DOMAIN, dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
	i18n_set(cur);
	return rc;
}

int
i18n_set(const char *lang)
{
	for (int i = 0; i18n_langs[i] != NULL; i++)
		if (lang != NULL && strcmp(lang, i18n_langs[i]) == 0) {
			cur = i18n_langs[i];
			setenv("LANGUAGE", cur, 1);
			/* moves the catalogue-change counter: the next
			 * gettext() looks the language up again */
			textdomain(I18N_DOMAIN);
			return 0;
		}
	return -1;
}

int
i18n_set_default(const char *lang)
{
	if (i18n_set(lang) != 0)
		return -1;
	deflt = cur;
	return 0;
}

void
i18n_reset(void)
{
	(void)i18n_set(deflt);
}

const char *
i18n_get(void)
{
	return cur;
}

const char *
i18n_name(const char *lang)
{
	for (int i = 0; i18n_langs[i] != NULL; i++)
		if (lang != NULL && strcmp(lang, i18n_langs[i]) == 0)
			return names[i];
	return NULL;
}

const char *
i18n_dir(void)
{
	return dir;
}
