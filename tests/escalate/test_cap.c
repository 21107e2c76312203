/*
 * CAP 1.2 documents (escalate/cap.c) against the OASIS CAP 1.2 schema
 * (tests/data/cap/CAP-v1.2.xsd) with xmllint --schema (§7.10 criterion
 * 9): an Alert, an Update and a Cancel of one incident, then
 * OUTPOST_ESC_CAP_N (1,000) fuzzed incidents (hostile text, times from
 * 1970 to 2099, any position), 100 % valid, with the rules the schema does
 * not carry checked here: no "Z" or fraction in sent, no space, comma, '<'
 * or '&' in identifier and sender, addresses present with Private.
 * Skipped when xmllint is missing (Debian libxml2-utils).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalate/cap.h"
#include "test.h"

#define XSD "tests/data/cap/CAP-v1.2.xsd"

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
have_xmllint(void)
{
	return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* The text between <NAME> and </NAME>, into OUT. */
static int
field(const char *doc, const char *name, char *out, size_t len)
{
	char open[40], close[40];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	if ((a = strstr(doc, open)) == NULL || (b = strstr(a, close)) == NULL ||
	    (size_t)(b - a) >= len + 10)
		return ENOENT;
	a += strlen(open);
	snprintf(out, len, "%.*s", (int)(b - a), a);
	return 0;
}

/* The rules of CAP's prose that the schema leaves out. */
static int
prose_rules(const char *doc, long i)
{
	char v[128];
	int err = 0, k;

	TEST_ERR(field(doc, "sent", v, sizeof(v)));
	if (strlen(v) != 25 || strchr(v, 'Z') || strchr(v, '.'))
		TEST_FAILED("doc %ld: sent %s", i, v);
	for (k = 0; k < 19; k++)
		if (!((k == 4 || k == 7) ? v[k] == '-'
		            : k == 10    ? v[k] == 'T'
		            : (k == 13 || k == 16)
		            ? v[k] == ':'
		            : (v[k] >= '0' && v[k] <= '9')))
			TEST_FAILED("doc %ld: sent %s", i, v);
	TEST_ERR(field(doc, "identifier", v, sizeof(v)));
	if (strpbrk(v, " ,<&") != NULL)
		TEST_FAILED("doc %ld: identifier %s", i, v);
	TEST_ERR(field(doc, "sender", v, sizeof(v)));
	if (strpbrk(v, " ,<&") != NULL)
		TEST_FAILED("doc %ld: sender %s", i, v);
	TEST_ERR(field(doc, "scope", v, sizeof(v)));
	TEST_STR(v, "Private");
	TEST_ERR(field(doc, "addresses", v, sizeof(v)));
	TEST_TRUE(v[0] != '\0');
out:
	return err;
}

/* Validate every *.xml in DIR; the count that validate into *OK. */
static int
validate_dir(const char *dir, long *ok)
{
	char cmd[PATH_MAX * 2 + 128], cwd[PATH_MAX], line[512];
	FILE *p;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return errno;
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && xmllint --noout --schema '%s/" XSD "' *.xml 2>&1", dir,
	    cwd);
	if ((p = popen(cmd, "r")) == NULL)
		return errno;
	*ok = 0;
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, " validates\n") != NULL)
			(*ok)++;
		else
			fprintf(stderr, "  xmllint: %s", line);
	}
	pclose(p);
	return 0;
}

static int
write_doc(const char *dir, long i, const char *doc)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cap%05ld.xml", dir, i);
	if ((f = fopen(path, "w")) == NULL)
		return errno;
	fputs(doc, f);
	return fclose(f) == 0 ? 0 : EIO;
}

static int
test_lifecycle(void)
{
	struct esc_cap_in in = { .uuid = "019ad1c2-7e4b-7a10-9c3e-3f1a938nkr00",
		.code = "938NKR",
		.sender = "outpost-hub.example.org",
		.addresses = "kilifi-dispatch",
		.type = ESC_CAP_ALERT,
		.seq = 1,
		.sent_ms = 1764000000123LL,
		.first_ms = 1764000000123LL,
		.summary = "F34 NEWS2 9 (SpO2 84 RR 28 HR 132 BP 88 T39.1 V)",
		.site = "Gede disp",
		.has_pos = 1,
		.lat = -3.3095,
		.lon = 40.0173,
		.contact = "+254712345678" };
	char *doc = NULL, *dir = test_tmpdir("cap"), v[160];
	long ok = 0;
	int err = 0;

	if (!have_xmllint()) {
		fprintf(stderr, "  xmllint missing (libxml2-utils)\n");
		test_rmdir(dir);
		return TEST_SKIP;
	}
	TEST_TRUE(dir != NULL);
	TEST_ERR(esc_cap_build(&in, &doc));
	TEST_ERR(field(doc, "sent", v, sizeof(v)));
	TEST_STR(v, "2025-11-24T16:00:00-00:00");
	TEST_ERR(field(doc, "identifier", v, sizeof(v)));
	TEST_STR(v, "019ad1c2-7e4b-7a10-9c3e-3f1a938nkr00.1");
	TEST_ERR(field(doc, "incidents", v, sizeof(v)));
	TEST_STR(v, in.uuid);
	TEST_ERR(field(doc, "circle", v, sizeof(v)));
	TEST_STR(v, "-3.30950,40.01730 0");
	TEST_ERR(write_doc(dir, 1, doc));
	free(doc);
	doc = NULL;
	in.type = ESC_CAP_UPDATE;
	in.seq = 2;
	in.sent_ms += 300000;
	in.note = "level 2 paged; watamu-amb declined";
	TEST_ERR(esc_cap_build(&in, &doc));
	TEST_ERR(field(doc, "references", v, sizeof(v)));
	TEST_STR(v,
	    "outpost-hub.example.org,019ad1c2-7e4b-7a10-9c3e-"
	    "3f1a938nkr00.1,2025-11-24T16:00:00-00:00");
	TEST_ERR(write_doc(dir, 2, doc));
	free(doc);
	doc = NULL;
	in.type = ESC_CAP_CANCEL;
	in.seq = 3;
	in.note = "patient stabilised";
	TEST_ERR(esc_cap_build(&in, &doc));
	TEST_ERR(write_doc(dir, 3, doc));
	TEST_ERR(validate_dir(dir, &ok));
	TEST_EQ(ok, 3);
	/* refused: what CAP forbids in identifiers, an Update first */
	free(doc);
	doc = NULL;
	in.sender = "outpost hub";
	TEST_EQ(esc_cap_build(&in, &doc), EINVAL);
	in.sender = "outpost-hub";
	in.type = ESC_CAP_UPDATE;
	in.seq = 1;
	TEST_EQ(esc_cap_build(&in, &doc), EINVAL);
	in.seq = 2;
	in.addresses = NULL;
	TEST_EQ(esc_cap_build(&in, &doc), EINVAL);
	/* the schema is not a rubber stamp: a "Z" time is refused */
	TEST_ERR(write_doc(dir, 4,
	    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
	    "<identifier>a</identifier><sender>b</sender>"
	    "<sent>2025-11-24T16:00:00Z</sent><status>Actual</status>"
	    "<msgType>Alert</msgType><scope>Private</scope></alert>\n"));
	TEST_ERR(validate_dir(dir, &ok));
	TEST_EQ(ok, 3);
out:
	free(doc);
	test_rmdir(dir);
	return err;
}

static void
junk(uint64_t *seed, char *out, size_t len)
{
	static const char *const bits[] = { "Gede", " disp", "&", "<", ">",
		"\"", "'", ",", "]]>", "\xc3\xa9", "\xe0\xa4\x97", "\t", "\x01",
		"NEWS2 9", "(SpO2 84)", "  ", "--", "&amp;", "<!--" };
	size_t n = 0, k;
	int i, parts = (int)(rnd(seed) % 12);

	out[0] = '\0';
	for (i = 0; i < parts; i++) {
		const char *b =
		    bits[rnd(seed) % (sizeof(bits) / sizeof(bits[0]))];

		k = strlen(b);
		if (n + k + 1 >= len)
			break;
		memcpy(out + n, b, k + 1);
		n += k;
	}
}

static int
test_fuzzed(void)
{
	struct esc_cap_in in;
	const char *e = getenv("OUTPOST_ESC_CAP_N");
	long i, n = e != NULL ? strtol(e, NULL, 10) : 0, ok = 0;
	uint64_t seed = 1200;
	char *doc = NULL, *dir = NULL, uuid[40], summary[200], site[200],
	     note[200], code[7];
	int err = 0, j;

	if (n <= 0)
		n = 1000;
	if (!have_xmllint()) {
		fprintf(stderr, "  xmllint missing (libxml2-utils)\n");
		return TEST_SKIP;
	}
	TEST_TRUE((dir = test_tmpdir("capfuzz")) != NULL);
	for (i = 0; i < n; i++) {
		memset(&in, 0, sizeof(in));
		snprintf(uuid, sizeof(uuid),
		    "%08llx-%04llx-7%03llx-8%03llx-%012llx",
		    (unsigned long long)(rnd(&seed) & 0xffffffff),
		    (unsigned long long)(rnd(&seed) & 0xffff),
		    (unsigned long long)(rnd(&seed) & 0xfff),
		    (unsigned long long)(rnd(&seed) & 0xfff),
		    (unsigned long long)(rnd(&seed) & 0xffffffffffffULL));
		for (j = 0; j < 6; j++)
			code[j] =
			    "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[rnd(&seed) % 32];
		code[6] = '\0';
		junk(&seed, summary, sizeof(summary));
		junk(&seed, site, sizeof(site));
		junk(&seed, note, sizeof(note));
		in.uuid = uuid;
		in.code = code;
		in.sender = "outpost-hub.example.org";
		in.addresses = "dispatch-" /* any text but empty */ "desk";
		in.type = (enum esc_cap_type)(1 + rnd(&seed) % 3);
		in.seq =
		    in.type == ESC_CAP_ALERT ? 1 : 2 + (int)(rnd(&seed) % 9);
		/* 1970 .. 2099, milliseconds included */
		in.first_ms = (int64_t)(rnd(&seed) % 4102444800000ULL);
		in.sent_ms = in.first_ms + (int64_t)(rnd(&seed) % 86400000);
		in.exercise = (int)(rnd(&seed) % 2);
		in.summary = summary;
		in.site = site;
		in.note = note;
		in.has_pos = (int)(rnd(&seed) % 4 != 0);
		in.lat = (double)(rnd(&seed) % 18000001) / 100000.0 - 90.0;
		in.lon = (double)(rnd(&seed) % 36000001) / 100000.0 - 180.0;
		in.contact = rnd(&seed) % 2 ? "+254712345678" : NULL;
		TEST_ERR(esc_cap_build(&in, &doc));
		TEST_ERR(prose_rules(doc, i));
		TEST_ERR(write_doc(dir, i, doc));
		free(doc);
		doc = NULL;
	}
	TEST_ERR(validate_dir(dir, &ok));
	printf("  %ld fuzzed incidents: %ld valid CAP 1.2\n", n, ok);
	TEST_EQ(ok, n);
out:
	free(doc);
	test_rmdir(dir);
	return err;
}

TEST_MAIN({ "lifecycle", test_lifecycle }, { "fuzzed", test_fuzzed })
