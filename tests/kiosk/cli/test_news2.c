/*
 * `kiosk news2` (kiosk/cli/cmd_news2.c): the JSON it prints for a few charted
 * cases, and its refusals.  The command is run in-process with stdout sent
 * to a temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test.h"
#include "kiosk/cli/cmd.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_news2;

/* Run `news2 ARGS...` and return its exit status; *OUT gets stdout. */
static int
run(char **out, const char *args)
{
	char *copy = xstrdup(args), *argv[40], *p;
	char tmpl[] = "/tmp/news2-XXXXXX";
	int argc = 0, fd, saved, rc, devnull, saved_err;
	FILE *f;
	long len;

	argv[argc++] = (char *)"news2";
	/* split at single spaces */
	for (p = copy; *p != '\0' && argc < 39;) {
		argv[argc++] = p;
		p += strcspn(p, " ");
		if (*p == ' ')
			*p++ = '\0';
	}
	argv[argc] = NULL;

	fd = mkstemp(tmpl);
	if (fd < 0)
		abort();
	unlink(tmpl);
	fflush(stdout);
	saved = dup(1);
	saved_err = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(fd, 1);
	dup2(devnull, 2);
	rc = cmd_news2.run(NULL, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved_err, 2);
	close(saved);
	close(saved_err);
	close(devnull);

	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	*out = xcalloc(1, (size_t)len + 1);
	if (len > 0 && fread(*out, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	free(copy);
	return rc;
}

static int
has(const char *json, const char *want)
{
	if (strstr(json, want) != NULL)
		return 1;
	fprintf(stderr, "  missing %s in:\n%s\n", want, json);
	return 0;
}

static int
test_news2_cmd_normal(void)
{
	char *out = NULL;
	int err = 0;

	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu A "
	            "--temp 37.0"),
	    0);
	TEST_TRUE(has(out, "\"applicable\": true"));
	TEST_TRUE(has(out, "\"score\": 0,"));
	TEST_TRUE(has(out, "\"risk\": \"low\""));
	TEST_TRUE(has(out, "\"monitoring\": \"minimum 12-hourly\""));
	TEST_TRUE(has(out, "\"rr\": {\"value\": 16, \"points\": 0}"));
	TEST_TRUE(has(out, "\"oxygen\": {\"value\": false, \"points\": 0}"));
out:
	free(out);
	return err;
}

/* Scale 2 on oxygen at 97 %: SpO2 3 + oxygen 2 (the RCP chart, not the
 * calculators that get scale 2 wrong), pulse 131 is 3: 8, high. */
static int
test_news2_cmd_scale2_high(void)
{
	char *out = NULL;
	int err = 0;

	TEST_EQ(run(&out,
	            "--rr 20 --spo2 97 --scale 2 --oxygen --sbp 111 "
	            "--pulse 131 --acvpu a --temp 38.0 --age 70"),
	    0);
	TEST_TRUE(has(out, "\"scale\": 2"));
	TEST_TRUE(has(out, "\"spo2\": {\"value\": 97, \"points\": 3}"));
	TEST_TRUE(has(out, "\"oxygen\": {\"value\": true, \"points\": 2}"));
	TEST_TRUE(has(out, "\"pulse\": {\"value\": 131, \"points\": 3}"));
	TEST_TRUE(has(out, "\"score\": 8,"));
	TEST_TRUE(has(out, "\"single_parameter_3\": true"));
	TEST_TRUE(has(out, "\"red_flag\": true"));
	TEST_TRUE(has(out, "\"risk\": \"high\""));
	free(out);
	out = NULL;

	/* the same on air scores SpO2 0 */
	TEST_EQ(run(&out,
	            "--rr 20 --spo2 97 --scale 2 --sbp 111 --pulse 90 "
	            "--acvpu A --temp 38.0"),
	    0);
	TEST_TRUE(has(out, "\"spo2\": {\"value\": 97, \"points\": 0}"));
	TEST_TRUE(has(out, "\"score\": 0,"));
out:
	free(out);
	return err;
}

static int
test_news2_cmd_single3(void)
{
	char *out = NULL;
	int err = 0;

	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu V "
	            "--temp 36.1"),
	    0);
	TEST_TRUE(has(out, "\"acvpu\": {\"value\": \"V\", \"points\": 3}"));
	TEST_TRUE(has(out, "\"temp\": {\"value\": 36.1, \"points\": 0}"));
	TEST_TRUE(has(out, "\"score\": 3,"));
	TEST_TRUE(has(out, "\"risk\": \"low-medium\""));
	TEST_TRUE(has(out, "\"monitoring\": \"minimum 1-hourly\""));
out:
	free(out);
	return err;
}

static int
test_news2_cmd_not_applicable(void)
{
	char *out = NULL;
	int err = 0;

	TEST_EQ(run(&out,
	            "--rr 30 --spo2 97 --sbp 120 --pulse 70 --acvpu A "
	            "--temp 37.0 --age 15"),
	    0);
	TEST_TRUE(has(out, "\"applicable\": false"));
	TEST_TRUE(has(out, "\"risk\": \"not applicable\""));
	TEST_TRUE(strstr(out, "\"score\"") == NULL);
	free(out);
	out = NULL;
	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu A "
	            "--temp 37.0 --pregnant"),
	    0);
	TEST_TRUE(has(out, "pregnancy"));
out:
	free(out);
	return err;
}

static int
test_news2_cmd_refusals(void)
{
	char *out = NULL;
	int err = 0;

	/* a missing parameter, a bad ACVPU, a bad scale: usage (2) */
	TEST_EQ(
	    run(&out, "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu A"), 2);
	TEST_STR(out, "");
	free(out);
	out = NULL;
	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu X "
	            "--temp 37"),
	    2);
	free(out);
	out = NULL;
	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --scale 3 --sbp 120 --pulse 70 "
	            "--acvpu A --temp 37"),
	    2);
	free(out);
	out = NULL;
	TEST_EQ(run(&out,
	            "--rr x16 --spo2 97 --sbp 120 --pulse 70 --acvpu A "
	            "--temp 37"),
	    2);
	free(out);
	out = NULL;
	/* an implausible value: failure (1), nothing printed */
	TEST_EQ(run(&out,
	            "--rr 16 --spo2 97 --sbp 120 --pulse 70 --acvpu A "
	            "--temp 370"),
	    1);
	TEST_STR(out, "");
out:
	free(out);
	return err;
}

TEST_MAIN({ "news2_cmd_normal", test_news2_cmd_normal },
    { "news2_cmd_scale2_high", test_news2_cmd_scale2_high },
    { "news2_cmd_single3", test_news2_cmd_single3 },
    { "news2_cmd_not_applicable", test_news2_cmd_not_applicable },
    { "news2_cmd_refusals", test_news2_cmd_refusals })
