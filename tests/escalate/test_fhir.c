/*
 * FHIR R4 resources of an incident (escalate/fhir.c): the Bundle parses as
 * JSON (python3's json module, an independent parser), carries a Flag, a
 * ServiceRequest and one Communication per delivered page with the
 * elements R4 makes required (Flag status/code/subject, ServiceRequest
 * status/intent/subject, Communication status), and hostile text (quotes,
 * backslashes, control characters, UTF-8) comes back exactly.  Not an R4
 * profile validation: no validator runs offline here.  Skipped without
 * python3.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalate/fhir.h"
#include "test.h"

static const char checker[] =
    "import json,sys\n"
    "b=json.load(open(sys.argv[1]))\n"
    "assert b['resourceType']=='Bundle'\n"
    "assert b['type'] in ('collection','transaction')\n"
    "for e in b['entry']:\n"
    "  q=e.get('request')\n"
    "  assert (q is None)==(b['type']=='collection')\n"
    "  assert q is None or (q['method']=='PUT' and q['url']=="
    "e['resource']['resourceType']+'/'+e['resource']['id'])\n"
    "r=[e['resource'] for e in b['entry']]\n"
    "f=[x for x in r if x['resourceType']=='Flag'][0]\n"
    "assert f['status'] in ('active','inactive') and f['code']['text']\n"
    "assert f['subject']['reference']\n"
    "s=[x for x in r if x['resourceType']=='ServiceRequest'][0]\n"
    "assert s['status'] in ('active','completed') and s['intent']=='order'\n"
    "assert s['priority']=='stat' and s['subject']['reference']\n"
    "c=[x for x in r if x['resourceType']=='Communication']\n"
    "assert all(x['status']=='completed' for x in c)\n"
    "assert all(x['basedOn'][0]['reference']=='ServiceRequest/'+s['id'] "
    "for x in c)\n"
    "print(f['subject']['reference'], f['status'], len(c))\n"
    "for x in c: print(repr(x['payload'][0]['contentString']))\n"
    "print(repr(s['note'][0]['text']))\n";

static int
run_checker(const char *dir, const char *doc, char *out, size_t len)
{
	char path[PATH_MAX], cmd[PATH_MAX * 2 + 64];
	FILE *f;
	size_t n = 0, k;

	snprintf(path, sizeof(path), "%s/check.py", dir);
	if ((f = fopen(path, "w")) == NULL)
		return errno;
	fputs(checker, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bundle.json", dir);
	if ((f = fopen(path, "w")) == NULL)
		return errno;
	fputs(doc, f);
	fclose(f);
	snprintf(
	    cmd, sizeof(cmd), "python3 '%s/check.py' '%s' 2>&1", dir, path);
	if ((f = popen(cmd, "r")) == NULL)
		return errno;
	while (n + 1 < len && (k = fread(out + n, 1, len - n - 1, f)) > 0)
		n += k;
	out[n] = '\0';
	return pclose(f) == 0 ? 0 : EINVAL;
}

static int
test_bundle(void)
{
	static const struct esc_fhir_msg msg[] = {
		{ "watamu-amb", 1764000001000LL,
		    "EMERGENCY 938NKR: F34 NEWS2 9. Reply 938NKR A=accept", 0 },
		{ "malindi-ems", 1764000301000LL,
		    "quote \" backslash \\ tab \t bell \x07 \xc3\xa9", 0 },
	};
	struct esc_fhir_in in = {
		.uuid = "019ad1c2-7e4b-7a10-9c3e-3f1a93800000",
		.code = "938NKR",
		.patient_id = "019ad1c2-0000-7000-8000-000000000001",
		.site_id = "gede-disp",
		.raised_ms = 1764000000000LL,
		.active = 1,
		.summary = "F34 NEWS2 9 (SpO2 84 \"low\")",
		.nmsg = 2,
		.msg = msg,
	};
	char *doc = NULL, *dir = test_tmpdir("fhir"), out[2048];
	int err = 0;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "  python3 missing\n");
		test_rmdir(dir);
		return TEST_SKIP;
	}
	TEST_TRUE(dir != NULL);
	TEST_ERR(esc_fhir_bundle(&in, &doc));
	if (run_checker(dir, doc, out, sizeof(out)) != 0)
		TEST_FAILED("checker: %s", out);
	TEST_STR(out,
	    "Patient/019ad1c2-0000-7000-8000-000000000001 active 2\n"
	    "'EMERGENCY 938NKR: F34 NEWS2 9. Reply 938NKR A=accept'\n"
	    "'quote \" backslash \\\\ tab \\t bell \\x07 \xc3\xa9'\n"
	    "'F34 NEWS2 9 (SpO2 84 \"low\")'\n");
	TEST_TRUE(
	    strstr(doc, "\"occurrenceDateTime\":\"2025-11-24T16:00:00Z\""));
	free(doc);
	doc = NULL;
	/* an unknown person: the flag is on the site; closed: inactive */
	in.patient_id = NULL;
	in.active = 0;
	in.nmsg = 0;
	TEST_ERR(esc_fhir_bundle(&in, &doc));
	if (run_checker(dir, doc, out, sizeof(out)) != 0)
		TEST_FAILED("checker: %s", out);
	TEST_TRUE(strncmp(out, "Location/gede-disp inactive 0\n", 30) == 0);
	free(doc);
	doc = NULL;
	/* for a partner: a transaction, each resource PUT by its id (sent
	 * twice, it updates); a Communication numbered by its message */
	{
		struct esc_fhir_msg one = { "partner-1", 1764000301000LL,
			"Paging level 2 of loop 1", 3 };

		in.transaction = 1;
		in.nmsg = 1;
		in.msg = &one;
		TEST_ERR(esc_fhir_bundle(&in, &doc));
		if (run_checker(dir, doc, out, sizeof(out)) != 0)
			TEST_FAILED("checker: %s", out);
		TEST_TRUE(strstr(doc, "\"type\":\"transaction\"") != NULL);
		TEST_TRUE(strstr(doc,
		              "\"url\":\"Communication/comm-019ad1c2-7e4b-7a10-"
		              "9c3e-3f1a93800000-3\"") != NULL);
		free(doc);
		doc = NULL;
		in.transaction = 0;
		in.nmsg = 0;
	}
	/* ids that would break a reference are refused */
	in.site_id = "gede disp";
	TEST_EQ(esc_fhir_bundle(&in, &doc), EINVAL);
	in.site_id = "gede";
	in.patient_id = "x\"}";
	TEST_EQ(esc_fhir_bundle(&in, &doc), EINVAL);
out:
	free(doc);
	test_rmdir(dir);
	return err;
}

TEST_MAIN({ "bundle", test_bundle })
