/*
 * `sync-server --data DIR admin licence ...` (issue 14): the licence
 * registry's commands, each change one row and one event in the store's
 * append-only log (backend.h licence_put).
 *
 *   add REGNO --regulator R --cadre C --scope S --juris J --from T --to T
 *       [--name N] [--address A] [--contact C]
 *                            S: "consult,note,prescribe,..." or "all";
 *                            J: "KE" or "KE-47 KE-30" or "*"; A: where
 *                            they practise, C: +E.164 phone or e-mail
 *                            (both printed on prescription sheets)
 *   suspend|revoke|reinstate REGNO [--regulator R] [--at T] [--reason W]
 *   import FILE.csv          header: regulator,regno,name,cadre,scope,
 *                            jurisdictions,valid_from,valid_to[,status]
 *                            [,address][,contact];
 *                            every row is checked first, and a file with
 *                            a bad row changes nothing
 *   list [--json]
 *   export --fhir            a FHIR R4 Bundle of Practitioner and
 *                            PractitionerRole resources (JSON)
 *
 * T is YYYY-MM-DD (UTC midnight), YYYY-MM-DDTHH:MM:SSZ or Unix ms.  Output
 * carries registration numbers, names of clinicians and regulators: never
 * patient data.
 */
#define LOG_MODULE "admin"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "json.h"
#include "licence.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"
#include "sync-server/registry.h"
#include "sync-server/server.h"

static int
lic_usage(void)
{
	fprintf(stderr,
	    "usage: sync-server --data DIR admin licence add REGNO "
	    "--regulator R --cadre C --scope S --juris J --from T --to T "
	    "[--name N] [--address A] [--contact C]\n"
	    "       sync-server --data DIR admin licence "
	    "suspend|revoke|reinstate REGNO [--regulator R] [--at T] "
	    "[--reason W]\n"
	    "       sync-server --data DIR admin licence import FILE.csv\n"
	    "       sync-server --data DIR admin licence list [--json]\n"
	    "       sync-server --data DIR admin licence export --fhir\n"
	    "  T: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix ms; S: "
	    "book,consult,note,prescribe,refer,claim or all; C: +E.164 "
	    "phone or e-mail\n");
	return 2;
}

/* A time argument in Unix ms: 0 or EINVAL. */
static int
lic_time(const char *s, int64_t *ms)
{
	struct tm tm;
	long long v;
	const char *end;

	if (str_to_ll(s, 0, INT64_MAX, &v) == 0 && strlen(s) > 10) {
		*ms = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return EINVAL;
	if (*end == 'T') {
		if ((end = strptime(end + 1, "%H:%M:%S", &tm)) == NULL ||
		    strcmp(end, "Z") != 0)
			return EINVAL;
	} else if (*end != '\0')
		return EINVAL;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

static void
lic_iso(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
lic_copy(char *dst, size_t max, const char *src, const char *what, char *why,
    size_t wlen)
{
	if (strlen(src) >= max) {
		snprintf(why, wlen, "%s longer than %zu bytes", what, max - 1);
		return EINVAL;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* Check a licence before it is stored; WHY says what is wrong. */
static int
lic_check(const struct licence *l, char *why, size_t wlen)
{
	if (l->regno[0] == '\0' || l->regulator[0] == '\0' ||
	    l->cadre[0] == '\0' || l->juris[0] == '\0') {
		snprintf(why, wlen,
		    "regno, regulator, cadre and jurisdictions are required");
		return EINVAL;
	}
	if (l->valid_to <= l->valid_from) {
		snprintf(why, wlen, "valid_to must be after valid_from");
		return EINVAL;
	}
	if (l->scope == 0) {
		snprintf(why, wlen, "the scope is empty");
		return EINVAL;
	}
	if (!licence_contact_ok(l->contact)) {
		snprintf(why, wlen,
		    "contact \"%.40s\": give a phone number in E.164 "
		    "(+919876543210) or an e-mail address",
		    l->contact);
		return EINVAL;
	}
	return 0;
}

static int
lic_add(const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct licence l;
	char why[128] = "";
	int have_from = 0, have_to = 0, err;

	if (argc < 2 || argv[1][0] == '-')
		return lic_usage();
	memset(&l, 0, sizeof(l));
	if (lic_copy(l.regno, sizeof(l.regno), argv[1], "regno", why,
	        sizeof(why)) != 0)
		goto bad;
	for (int i = 2; i < argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return lic_usage();
		if (strcmp(o, "--regulator") == 0)
			err = lic_copy(l.regulator, sizeof(l.regulator), v,
			    "regulator", why, sizeof(why));
		else if (strcmp(o, "--cadre") == 0)
			err = lic_copy(l.cadre, sizeof(l.cadre), v, "cadre",
			    why, sizeof(why));
		else if (strcmp(o, "--name") == 0)
			err = lic_copy(l.name, sizeof(l.name), v, "name", why,
			    sizeof(why));
		else if (strcmp(o, "--address") == 0)
			err = lic_copy(l.address, sizeof(l.address), v,
			    "address", why, sizeof(why));
		else if (strcmp(o, "--contact") == 0)
			err = lic_copy(l.contact, sizeof(l.contact), v,
			    "contact", why, sizeof(why));
		else if (strcmp(o, "--juris") == 0)
			err = lic_copy(l.juris, sizeof(l.juris), v,
			    "jurisdictions", why, sizeof(why));
		else if (strcmp(o, "--scope") == 0) {
			if ((err = licence_scope_parse(v, &l.scope)) != 0)
				snprintf(why, sizeof(why),
				    "scope \"%s\": give acts from book, "
				    "consult, note, prescribe, refer, claim, "
				    "or all",
				    v);
		} else if (strcmp(o, "--from") == 0) {
			if ((err = lic_time(v, &l.valid_from)) != 0)
				snprintf(why, sizeof(why), "bad --from time");
			have_from = 1;
		} else if (strcmp(o, "--to") == 0) {
			if ((err = lic_time(v, &l.valid_to)) != 0)
				snprintf(why, sizeof(why), "bad --to time");
			have_to = 1;
		} else
			return lic_usage();
		if (err != 0)
			goto bad;
	}
	if (!have_from || !have_to) {
		snprintf(why, sizeof(why), "--from and --to are required");
		goto bad;
	}
	if (lic_check(&l, why, sizeof(why)) != 0)
		goto bad;
	l.status = LIC_STATUS_ACTIVE;
	if ((err = be->licence_put(s, &l, 1, "add", "", server_now_ms())) !=
	    0) {
		fprintf(
		    stderr, "sync-server: licence add: %s\n", strerror(err));
		return 1;
	}
	printf("licence %s (%s) added\n", l.regno, l.regulator);
	return 0;
bad:
	fprintf(stderr, "sync-server: licence add: %s; nothing changed\n", why);
	return 1;
}

/* suspend, revoke, reinstate. */
static int
lic_status(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct licence_set set = { 0 };
	struct licence *hit = NULL;
	const char *regulator = NULL, *reason = "";
	uint64_t v;
	int64_t at = (int64_t)server_now_ms();
	int status, n = 0, err, rc = 1;

	if (argc < 2)
		return lic_usage();
	status = strcmp(argv[0], "suspend") == 0 ? LIC_STATUS_SUSPENDED
	    : strcmp(argv[0], "revoke") == 0     ? LIC_STATUS_REVOKED
	                                         : LIC_STATUS_ACTIVE;
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return lic_usage();
		if (strcmp(argv[i], "--regulator") == 0)
			regulator = argv[i + 1];
		else if (strcmp(argv[i], "--reason") == 0)
			reason = argv[i + 1];
		else if (strcmp(argv[i], "--at") == 0) {
			if (lic_time(argv[i + 1], &at) != 0) {
				fprintf(stderr, "sync-server: bad --at time\n");
				return 1;
			}
		} else
			return lic_usage();
	}
	if ((err = be->licence_list(s, &set, &v)) != 0) {
		fprintf(stderr, "sync-server: licences: %s\n", strerror(err));
		return 1;
	}
	for (size_t i = 0; i < set.n; i++)
		if (strcmp(set.l[i].regno, argv[1]) == 0 &&
		    (regulator == NULL ||
		        strcmp(set.l[i].regulator, regulator) == 0)) {
			hit = &set.l[i];
			n++;
		}
	if (n == 0) {
		fprintf(stderr,
		    "sync-server: no licence %s%s%s: see `admin licence "
		    "list`\n",
		    argv[1], regulator ? " of " : "",
		    regulator ? regulator : "");
		goto out;
	}
	if (n > 1) {
		fprintf(stderr,
		    "sync-server: %s has %d licences: say which with "
		    "--regulator\n",
		    argv[1], n);
		goto out;
	}
	if (hit->status == status) {
		fprintf(stderr, "sync-server: licence %s is already %s\n",
		    hit->regno, licence_status_name(status));
		goto out;
	}
	hit->status = status;
	hit->status_at = status == LIC_STATUS_ACTIVE ? 0 : at;
	if ((err = be->licence_put(
	         s, hit, 1, argv[0], reason, server_now_ms())) != 0) {
		fprintf(stderr, "sync-server: licence %s: %s\n", argv[0],
		    strerror(err));
		goto out;
	}
	printf("licence %s (%s) %s\n", hit->regno, hit->regulator,
	    licence_status_name(status));
	rc = 0;
out:
	licence_set_clear(&set);
	return rc;
}

enum {
	CSV_REGULATOR,
	CSV_REGNO,
	CSV_NAME,
	CSV_CADRE,
	CSV_SCOPE,
	CSV_JURIS,
	CSV_FROM,
	CSV_TO,
	CSV_STATUS,
	CSV_ADDRESS,
	CSV_CONTACT,
	CSV_COLS
};
static const char *const csv_cols[CSV_COLS] = { "regulator", "regno", "name",
	"cadre", "scope", "jurisdictions", "valid_from", "valid_to", "status",
	"address", "contact" };

static int
lic_row(
    struct csv *c, const int *col, struct licence *l, char *why, size_t wlen)
{
	const char *f[CSV_COLS];

	for (int i = 0; i < CSV_COLS; i++)
		f[i] =
		    col[i] >= 0 && col[i] < c->nfields ? c->fields[col[i]] : "";
	memset(l, 0, sizeof(*l));
	if (lic_copy(l->regulator, sizeof(l->regulator), f[CSV_REGULATOR],
	        "regulator", why, wlen) ||
	    lic_copy(
	        l->regno, sizeof(l->regno), f[CSV_REGNO], "regno", why, wlen) ||
	    lic_copy(
	        l->name, sizeof(l->name), f[CSV_NAME], "name", why, wlen) ||
	    lic_copy(
	        l->cadre, sizeof(l->cadre), f[CSV_CADRE], "cadre", why, wlen) ||
	    lic_copy(l->juris, sizeof(l->juris), f[CSV_JURIS], "jurisdictions",
	        why, wlen) ||
	    lic_copy(l->address, sizeof(l->address), f[CSV_ADDRESS], "address",
	        why, wlen) ||
	    lic_copy(l->contact, sizeof(l->contact), f[CSV_CONTACT], "contact",
	        why, wlen))
		return EINVAL;
	if (licence_scope_parse(f[CSV_SCOPE], &l->scope) != 0) {
		snprintf(why, wlen,
		    "scope: give acts from book, consult, "
		    "note, prescribe, refer, claim, or all");
		return EINVAL;
	}
	if (lic_time(f[CSV_FROM], &l->valid_from) != 0 ||
	    lic_time(f[CSV_TO], &l->valid_to) != 0) {
		snprintf(why, wlen, "valid_from and valid_to: YYYY-MM-DD");
		return EINVAL;
	}
	l->status = LIC_STATUS_ACTIVE;
	if (f[CSV_STATUS][0] != '\0' &&
	    (l->status = licence_status_parse(f[CSV_STATUS])) < 0) {
		snprintf(why, wlen, "status: active, suspended or revoked");
		return EINVAL;
	}
	return lic_check(l, why, wlen);
}

static int
lic_import(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct licence_set set = { 0 };
	struct csv c;
	FILE *f;
	char *cause = NULL, why[128];
	unsigned long line;
	int col[CSV_COLS], bad = 0, err, rc = 1;
	size_t done = 0;

	if (argc != 2)
		return lic_usage();
	if ((f = fopen(argv[1], "r")) == NULL) {
		fprintf(
		    stderr, "sync-server: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	csv_init(&c, f);
	if ((err = csv_next(&c, &line, &cause)) != 0) {
		fprintf(stderr, "sync-server: %s: no header row%s%s\n", argv[1],
		    cause ? ": " : "", cause ? cause : "");
		goto out;
	}
	for (int i = 0; i < CSV_COLS; i++) {
		col[i] = -1;
		for (int j = 0; j < c.nfields; j++)
			if (strcmp(c.fields[j], csv_cols[i]) == 0)
				col[i] = j;
		if (col[i] < 0 && i != CSV_STATUS && i != CSV_NAME &&
		    i != CSV_ADDRESS && i != CSV_CONTACT) {
			fprintf(stderr,
			    "sync-server: %s: no \"%s\" column (the header "
			    "is regulator,regno,name,cadre,scope,"
			    "jurisdictions,valid_from,valid_to,status,"
			    "address,contact)\n",
			    argv[1], csv_cols[i]);
			goto out;
		}
	}
	while ((err = csv_next(&c, &line, &cause)) != ENOENT) {
		struct licence l;

		if (err == 0 && c.nfields == 1 && c.fields[0][0] == '\0')
			continue; /* an empty line */
		if (err != 0) {
			fprintf(stderr, "sync-server: %s line %lu: %s\n",
			    argv[1], line, cause);
			free(cause);
			cause = NULL;
			bad++;
			continue;
		}
		if (lic_row(&c, col, &l, why, sizeof(why)) != 0) {
			fprintf(stderr, "sync-server: %s line %lu: %s\n",
			    argv[1], line, why);
			bad++;
			continue;
		}
		licence_set_add(&set, &l);
	}
	if (bad > 0) {
		fprintf(stderr,
		    "sync-server: %s: %d bad row(s); nothing imported: "
		    "correct them and import again\n",
		    argv[1], bad);
		goto out;
	}
	/* one transaction: all of the file or none of it */
	if (set.n > 0 &&
	    (err = be->licence_put(
	         s, set.l, set.n, "import", argv[1], server_now_ms())) != 0) {
		fprintf(stderr,
		    "sync-server: import failed, nothing imported: %s\n",
		    strerror(err));
		goto out;
	}
	done = set.n;
	printf("%zu licence(s) imported\n", done);
	rc = 0;
out:
	free(cause);
	csv_free(&c);
	fclose(f);
	licence_set_clear(&set);
	return rc;
}

static void
js(const char *k, const char *v, int comma)
{
	printf("\"%s\":", k);
	json_fputs(stdout, v);
	if (comma)
		putchar(',');
}

static int
lic_list(const struct store_backend *be, struct sstore *s, int json)
{
	struct licence_set set = { 0 };
	uint64_t v;
	char scope[64], from[32], to[32], at[32];
	int err;

	if ((err = be->licence_list(s, &set, &v)) != 0) {
		fprintf(stderr, "sync-server: licences: %s\n", strerror(err));
		return 1;
	}
	if (json)
		printf("{\"version\":%" PRIu64 ",\"licences\":[", v);
	else
		printf("%-14s %-10s %-9s %-16s %-12s %-10s %-10s %s\n", "regno",
		    "regulator", "status", "cadre", "jurisdictions", "from",
		    "to", "scope");
	for (size_t i = 0; i < set.n; i++) {
		const struct licence *l = &set.l[i];

		licence_scope_str(l->scope, scope, sizeof(scope));
		lic_iso(l->valid_from, from, sizeof(from));
		lic_iso(l->valid_to, to, sizeof(to));
		lic_iso(l->status_at, at, sizeof(at));
		if (json) {
			printf("%s{", i ? "," : "");
			js("regno", l->regno, 1);
			js("regulator", l->regulator, 1);
			js("name", l->name, 1);
			js("cadre", l->cadre, 1);
			js("scope", scope, 1);
			js("jurisdictions", l->juris, 1);
			js("address", l->address, 1);
			js("contact", l->contact, 1);
			js("valid_from", from, 1);
			js("valid_to", to, 1);
			js("status", licence_status_name(l->status), 1);
			js("status_at", at, 1);
			printf("\"rev\":%" PRIu64 "}", l->rev);
		} else
			printf("%-14s %-10s %-9s %-16s %-12s %.10s %.10s %s\n",
			    l->regno, l->regulator,
			    licence_status_name(l->status), l->cadre, l->juris,
			    from, to, scope);
	}
	if (json)
		printf("]}\n");
	else
		printf(
		    "%zu licence(s), registry version %" PRIu64 "\n", set.n, v);
	licence_set_clear(&set);
	return 0;
}

/* A FHIR id: [A-Za-z0-9-.]{1,64}, from regulator and regno. */
static void
lic_fhir_id(const struct licence *l, char *out, size_t len)
{
	size_t o = 0;
	char src[LIC_TEXT_MAX + LIC_REGNO_MAX + 2];

	snprintf(src, sizeof(src), "%s-%s", l->regulator, l->regno);
	for (const char *p = src; *p && o + 1 < len && o < 64; p++) {
		char ch = *p;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			ch = '-';
		out[o++] = ch;
	}
	out[o] = '\0';
}

static void
lic_fhir_one(const struct licence *l, int first)
{
	char id[72], from[32], to[32], scope[64], sys[LIC_TEXT_MAX + 32];
	int active = l->status == LIC_STATUS_ACTIVE;

	lic_fhir_id(l, id, sizeof(id));
	lic_iso(l->valid_from, from, sizeof(from));
	lic_iso(l->valid_to, to, sizeof(to));
	licence_scope_str(l->scope, scope, sizeof(scope));
	/* Practitioner, with the licence as its qualification */
	printf("%s{\"resource\":{", first ? "" : ",");
	printf("\"resourceType\":\"Practitioner\",\"id\":\"%s\",", id);
	snprintf(sys, sizeof(sys), "urn:outpost:regulator:%s", l->regulator);
	printf("\"identifier\":[{\"system\":");
	json_fputs(stdout, sys);
	printf(",\"value\":");
	json_fputs(stdout, l->regno);
	printf("}],\"active\":%s,", active ? "true" : "false");
	if (l->name[0] != '\0') {
		printf("\"name\":[{\"text\":");
		json_fputs(stdout, l->name);
		printf("}],");
	}
	/* where they practise and how to reach them (a sheet prints both) */
	if (l->contact[0] != '\0') {
		printf("\"telecom\":[{\"system\":\"%s\",\"value\":",
		    licence_contact_system(l->contact));
		json_fputs(stdout, l->contact);
		printf(",\"use\":\"work\"}],");
	}
	if (l->address[0] != '\0') {
		printf("\"address\":[{\"use\":\"work\",\"text\":");
		json_fputs(stdout, l->address);
		printf("}],");
	}
	printf("\"qualification\":[{\"identifier\":[{\"value\":");
	json_fputs(stdout, l->regno);
	printf("}],\"code\":{\"text\":");
	json_fputs(stdout, l->cadre);
	printf("},\"period\":{\"start\":\"%s\",\"end\":\"%s\"},", from, to);
	printf("\"issuer\":{\"display\":");
	json_fputs(stdout, l->regulator);
	printf("}}]}}");
	/* PractitionerRole: what the licence lets them do, and where */
	printf(",{\"resource\":{");
	printf("\"resourceType\":\"PractitionerRole\",\"id\":\"%s\",", id);
	printf("\"active\":%s,", active ? "true" : "false");
	printf("\"period\":{\"start\":\"%s\",\"end\":\"%s\"},", from, to);
	printf("\"practitioner\":{\"reference\":\"Practitioner/%s\"},", id);
	printf("\"code\":[{\"text\":");
	json_fputs(stdout, l->cadre);
	printf("}],\"specialty\":[{\"text\":\"%s\"}],", scope);
	printf("\"extension\":[{\"url\":\"urn:outpost:licence-"
	       "jurisdictions\",\"valueString\":");
	json_fputs(stdout, l->juris);
	printf("},{\"url\":\"urn:outpost:licence-status\","
	       "\"valueCode\":\"%s\"}]}}",
	    licence_status_name(l->status));
}

static int
lic_export(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct licence_set set = { 0 };
	uint64_t v;
	int err;

	if (argc != 2 || strcmp(argv[1], "--fhir") != 0)
		return lic_usage();
	if ((err = be->licence_list(s, &set, &v)) != 0) {
		fprintf(stderr, "sync-server: licences: %s\n", strerror(err));
		return 1;
	}
	printf("{\"resourceType\":\"Bundle\",\"type\":\"collection\","
	       "\"entry\":[");
	for (size_t i = 0; i < set.n; i++)
		lic_fhir_one(&set.l[i], i == 0);
	printf("]}\n");
	licence_set_clear(&set);
	return 0;
}

int
admin_licence(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	if (argc < 1)
		return lic_usage();
	if (strcmp(argv[0], "add") == 0)
		return lic_add(be, s, argc, argv);
	if (strcmp(argv[0], "suspend") == 0 || strcmp(argv[0], "revoke") == 0 ||
	    strcmp(argv[0], "reinstate") == 0)
		return lic_status(be, s, argc, argv);
	if (strcmp(argv[0], "import") == 0)
		return lic_import(be, s, argc, argv);
	if (strcmp(argv[0], "list") == 0) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))
			return lic_usage();
		return lic_list(be, s, argc == 2);
	}
	if (strcmp(argv[0], "export") == 0)
		return lic_export(be, s, argc, argv);
	return lic_usage();
}
