/*
 * The engine against the values JavaRosa's own tests state for the forms
 * in its test resources: tests/forms/javarosa/expected.txt lists them
 * (derived by reading those tests; the steps are set, add a repeat
 * instance, switch language, and the checks).  The forms are read from a
 * snapshot of getodk/javarosa fetched onto this machine
 * ($OUTPOST_JAVAROSA, default /work/.mirror/getodk+javarosa/repo), never
 * committed; without it the test is skipped with that reason.  Repros of
 * some of these cases that always run are in tests/forms/issue11.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"
#include "test.h"
#include "test_forms.h"

#define EXPECTED "tests/forms/javarosa/expected.txt"

/* The form at PATH in the mirror as a new string, or NULL. */
static char *
mirror_read(const char *git, const char *path, size_t *len)
{
	char *cmd, *buf = NULL;
	size_t cap = 0, n;
	FILE *p;

	xasprintf(
	    &cmd, "git --git-dir='%s' show 'HEAD:%s' 2>/dev/null", git, path);
	p = popen(cmd, "r");
	free(cmd);
	if (p == NULL)
		return NULL;
	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = (*len + 4096 + 1) * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if ((n = fread(buf + *len, 1, 4096, p)) == 0)
			break;
		*len += n;
	}
	buf[*len] = '\0';
	if (pclose(p) != 0 || *len == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Repeat instances of REPEAT (no index) that exist. */
static int
count_instances(struct form *f, const char *repeat)
{
	char *p, *v;
	int n, found;

	for (n = 0; n < 500; n++) {
		xasprintf(&p, "%s[%d]", repeat, n + 1);
		found = form_get(f, p, &v) == 0;
		free(p);
		free(v);
		if (!found)
			break;
	}
	return n;
}

static size_t
choices_of(struct form *f, const char *path)
{
	struct form_prompt *p = NULL;
	size_t n = 0, i, r = (size_t)-1;

	if (form_prompts(f, &p, &n) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (p[i].path != NULL && strcmp(p[i].path, path) == 0)
			r = p[i].nchoices;
	form_prompts_free(p, n);
	return r;
}

/* Run STEPS on the loaded XML; 0 or 1 with the first mismatch printed. */
static int
run_steps(const char *xml, size_t len, char *steps, const char *what)
{
	struct form *f = NULL;
	char *cause = NULL, *step, *arg, *eq, *v;
	int loaded, bad = 0;

	loaded = form_load_mem(xml, len, &f, &cause) == 0 &&
	    form_start(f, &cause) == 0;
	while (!bad && (step = strsep(&steps, ";")) != NULL) {
		step = str_trim(step);
		arg = strchr(step, '=');
		if (arg != NULL)
			*arg++ = '\0';
		if (strcmp(step, "refused") == 0) {
			if ((bad = loaded))
				fprintf(stderr, "  %s: loaded\n", what);
			continue;
		}
		if (!loaded) {
			fprintf(stderr, "  %s: refused: %s\n", what, cause);
			bad = 1;
			break;
		}
		if (strcmp(step, "loads") == 0)
			continue;
		if (arg == NULL) {
			fprintf(stderr, "  %s: bad step %s\n", what, step);
			bad = 1;
		} else if (strcmp(step, "title") == 0)
			bad = strcmp(form_title(f), arg) != 0;
		else if (strcmp(step, "lang") == 0)
			bad = form_set_language(f, arg) != 0;
		else if (strcmp(step, "add") == 0)
			bad = form_repeat_add(f, arg, NULL) != 0;
		else if ((eq = strrchr(arg, '=')) == NULL)
			bad = 1;
		else {
			*eq++ = '\0';
			if (strcmp(step, "set") == 0) {
				form_repeat_ensure(f, arg);
				free(cause);
				cause = NULL;
				bad = form_set(f, arg, eq, &cause) != 0;
			} else if (strcmp(step, "expect") == 0) {
				v = NULL;
				if (form_get(f, arg, &v) != 0 ||
				    strcmp(v, eq) != 0) {
					fprintf(stderr,
					    "  %s: %s = \"%s\", want "
					    "\"%s\"\n",
					    what, arg, v ? v : "(none)", eq);
					bad = 1;
				}
				free(v);
			} else if (strcmp(step, "count") == 0)
				bad = count_instances(f, arg) !=
				    (int)strtol(eq, NULL, 10);
			else if (strcmp(step, "choices") == 0)
				bad = choices_of(f, arg) !=
				    (size_t)strtol(eq, NULL, 10);
			else
				bad = 1;
		}
		if (bad)
			fprintf(stderr, "  %s: step %s %s failed%s%s\n", what,
			    step, arg ? arg : "", cause ? ": " : "",
			    cause ? cause : "");
	}
	free(cause);
	form_free(f);
	return bad;
}

static int
test_javarosa_expected(void)
{
	const char *git = getenv("OUTPOST_JAVAROSA");
	char line[4096], *l, *form, *test, *steps, *xml, *what;
	FILE *fp = NULL;
	size_t len;
	int err = 0, forms = 0, failed = 0;

	if (git == NULL)
		git = "/work/.mirror/getodk+javarosa/repo";
	if (access(git, R_OK) != 0) {
		fprintf(stderr,
		    "no getodk/javarosa snapshot at %s (fetch it, or set "
		    "OUTPOST_JAVAROSA): its test forms are not committed\n",
		    git);
		return TEST_SKIP;
	}
	TEST_TRUE((fp = fopen(EXPECTED, "r")) != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		l = line;
		form = strsep(&l, "\t");
		test = strsep(&l, "\t");
		steps = l;
		if (form == NULL || test == NULL || steps == NULL)
			TEST_FAILED("bad line in %s", EXPECTED);
		xasprintf(&what, "%s (%s)", strrchr(form, '/') + 1, test);
		if ((xml = mirror_read(git, form, &len)) == NULL) {
			fprintf(stderr, "  %s: not in the snapshot\n", what);
			failed++;
		} else {
			forms++;
			failed += run_steps(xml, len, steps, what);
		}
		free(xml);
		free(what);
	}
	fprintf(stderr, "  %d cases from JavaRosa's tests, %d failed\n", forms,
	    failed);
	TEST_EQ(failed, 0);
	TEST_TRUE(forms >= 20);
out:
	if (fp != NULL)
		fclose(fp);
	return err;
}

TEST_MAIN({ "javarosa_expected", test_javarosa_expected })
