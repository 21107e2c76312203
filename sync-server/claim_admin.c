/*
 * `sync-server admin claims|payer|coverage` (issue 15; claim_build.h).
 *
 *   claims [--build] [--status S] [--json] [--fhir FILE] [--csv FILE]
 *          the claims and the no-bill decisions by reason; --build first
 *          decides every consult and appointment with evidence again (from
 *          a timer, after `schedule --sweep`); --fhir writes a FHIR R4
 *          Bundle of Claim resources, --csv one line per claim (mode 0600:
 *          they hold member ids)
 *   claims --submit [--timeout-ms N]
 *          send what is due to each payer with an endpoint (claim_submit.h)
 *   claims --release BUSINESS-ID | --void BUSINESS-ID --reason TEXT
 *          a held claim approved after review (a later anomaly no longer
 *          holds it), or any claim void
 *   payer set CODE ITEM...   (name= min= presence= freq= video= voice=
 *                            store-forward= endpoint=, work/claims.h)
 *   payer list
 *   coverage PATIENT-ID PAYER MEMBER [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *
 * The terminal shows business ids, payers, services, prices and counts:
 * no patient data.
 */
#define LOG_MODULE "admin_claims"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "fileio.h"
#include "json.h"
#include "str.h"
#include "tzif.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/claim_build.h"
#include "sync-server/claim_submit.h"

static int
claims_usage(void)
{
	fprintf(stderr,
	    "usage: sync-server --data DIR admin claims [--build] [--status S]"
	    " [--json] [--fhir FILE] [--csv FILE]\n"
	    "       sync-server --data DIR admin claims --submit"
	    " [--timeout-ms N]\n"
	    "       sync-server --data DIR admin claims --release BUSINESS-ID\n"
	    "       sync-server --data DIR admin claims --void BUSINESS-ID"
	    " --reason TEXT\n"
	    "       sync-server --data DIR admin payer set CODE name=N min=SECONDS"
	    " presence=chw|any freq=DAYS video=CODE:PRICE voice=CODE:PRICE"
	    " store-forward=CODE:PRICE endpoint=URL\n"
	    "       sync-server --data DIR admin payer list\n"
	    "       sync-server --data DIR admin coverage PATIENT-ID PAYER MEMBER"
	    " [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n");
	return 2;
}

struct claims_out {
	struct sclaim *v;
	size_t n;
};

static void
claims_out_cb(const struct sclaim *c, void *arg)
{
	struct claims_out *o = arg;

	o->v = xreallocarray(o->v, o->n + 1, sizeof(*o->v));
	o->v[o->n++] = *c;
}

struct nobill_count {
	uint64_t n[CLAIM_R_MAX];
	uint64_t appts, consults;
};

static void
nobill_cb(const struct snobill *nb, void *arg)
{
	struct nobill_count *c = arg;

	c->n[claim_reason_parse(nb->reason)]++;
	if (strcmp(nb->kind, "appointment") == 0)
		c->appts++;
	else
		c->consults++;
}

static int
claims_export(const char *path, const struct claims_out *o, int fhir)
{
	struct claim_row r;
	struct buf b;
	size_t i;
	int err;

	buf_init(&b, (size_t)1 << 30);
	err = fhir ? buf_printf(&b,
	                 "{\"resourceType\":\"Bundle\","
	                 "\"type\":\"collection\",\"entry\":[")
	           : claim_csv_header(&b);
	for (i = 0; i < o->n && err == 0; i++) {
		claim_row_from(&o->v[i], &r);
		if (!fhir) {
			err = claim_csv_row(&r, &b);
			continue;
		}
		if ((err = buf_printf(&b, "%s{\"fullUrl\":\"urn:outpost:claim:",
		         i ? "," : "")) != 0 ||
		    (err = buf_printf(
		         &b, "%s\",\"resource\":", r.business_id)) ||
		    (err = claim_fhir(&r, &b)) != 0)
			break;
		err = buf_printf(&b, "}");
	}
	if (err == 0 && fhir)
		err = buf_printf(&b, "]}\n");
	if (err == 0)
		err = fileio_write_atomic(path, b.data, b.len, 0600);
	buf_free(&b);
	return err;
}

static void
claims_print(
    const struct claims_out *o, const struct nobill_count *nb, int json)
{
	size_t i;
	int k;

	if (json) {
		printf("{\"claims\":[");
		for (i = 0; i < o->n; i++) {
			printf("%s{\"business_id\":", i ? "," : "");
			json_fputs(stdout, o->v[i].business_id);
			printf(",\"status\":");
			json_fputs(stdout, o->v[i].status);
			printf(",\"hold\":");
			json_fputs(stdout, o->v[i].hold);
			printf(",\"payer\":");
			json_fputs(stdout, o->v[i].payer);
			printf(",\"service\":");
			json_fputs(stdout, o->v[i].service);
			printf(",\"mode\":");
			json_fputs(stdout, o->v[i].mode);
			printf(",\"price\":%" PRId64 ",\"service_ms\":%" PRIu64
			       "}",
			    o->v[i].price, o->v[i].service_ms);
		}
		printf("],\"no_bill\":{");
		for (k = CLAIM_R_NONE + 1; k < CLAIM_R_MAX; k++)
			printf("%s\"%s\":%" PRIu64, k > 1 ? "," : "",
			    claim_reason_name((enum claim_reason)k), nb->n[k]);
		printf("},\"no_bill_appointments\":%" PRIu64
		       ",\"no_bill_consults\":%" PRIu64 "}\n",
		    nb->appts, nb->consults);
		return;
	}
	printf("%zu claim(s)\n", o->n);
	for (i = 0; i < o->n; i++) {
		struct claim_row r;

		claim_row_from(&o->v[i], &r);
		printf("  %s  %-9s %-15s %-8s %-12s %" PRId64 ".%02" PRId64
		       "\n",
		    r.business_id, r.status, r.hold[0] ? r.hold : "-", r.payer,
		    r.service, r.price / 100, r.price % 100);
	}
	printf("no bill: %" PRIu64 " appointment(s), %" PRIu64 " consult(s)\n",
	    nb->appts, nb->consults);
	for (k = CLAIM_R_NONE + 1; k < CLAIM_R_MAX; k++)
		if (nb->n[k] > 0)
			printf("  %-12s %" PRIu64 "\n",
			    claim_reason_name((enum claim_reason)k), nb->n[k]);
}

int
admin_claims(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct claim_ctx c = { be, s, clock_wall_ms() };
	struct claims_out o = { 0 };
	struct nobill_count nb;
	struct sclaimq q = { 0 };
	const char *fhir = NULL, *csv = NULL, *release = NULL, *voided = NULL,
	           *reason = NULL;
	struct claim_submit_stats ss;
	long long timeout = 10000;
	size_t n = 0;
	int i, json = 0, build = 0, submit = 0, err, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--build") == 0)
			build = 1;
		else if (strcmp(argv[i], "--submit") == 0)
			submit = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--timeout-ms") == 0) {
			if (str_to_ll(argv[++i], 100, 600000, &timeout) != 0)
				return claims_usage();
		} else if (i + 1 < argc && strcmp(argv[i], "--status") == 0)
			q.status = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--fhir") == 0)
			fhir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--csv") == 0)
			csv = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--release") == 0)
			release = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--void") == 0)
			voided = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--reason") == 0)
			reason = argv[++i];
		else
			return claims_usage();
	}
	if (release != NULL || voided != NULL) {
		if ((release != NULL && voided != NULL) ||
		    (voided != NULL && reason == NULL))
			return claims_usage();
		err = release != NULL
		    ? be->claim_status(s, release, "held", "approved",
		          "released after review", c.now_ms)
		    : be->claim_status(s, voided, "", "void", reason, c.now_ms);
		if (err != 0) {
			fprintf(stderr, "sync-server: claims: %s\n",
			    err == ENOENT ? "no claim with that business id"
			        : err == EALREADY ? "that claim is not held"
			                          : strerror(err));
			return 1;
		}
		printf("claim %s: %s\n", release ? release : voided,
		    release ? "approved" : "void");
		return 0;
	}
	if (build) {
		if ((err = claim_build_all(&c, &n)) != 0) {
			fprintf(stderr,
			    "sync-server: claims: building stopped: %s (run it"
			    " again: it is safe to)\n",
			    strerror(err));
			return 1;
		}
		if (!json)
			printf(
			    "decided %zu consult(s) and appointment(s)\n", n);
	}
	if (submit) {
		if ((err = claim_submit(&c, (long)timeout, &ss)) != 0) {
			fprintf(stderr,
			    "sync-server: claims: submission stopped: %s (run"
			    " it again: a claim sent is asked for, never sent"
			    " as new)\n",
			    strerror(err));
			return 1;
		}
		if (!json)
			printf("submitted: %zu sent, %zu already held by the"
			       " payer, %zu status queries; %zu accepted, %zu"
			       " rejected, %zu queued\n",
			    ss.sent, ss.duplicates, ss.queried, ss.accepted,
			    ss.rejected, ss.queued);
	}
	memset(&nb, 0, sizeof(nb));
	if ((err = be->claims_list(s, &q, claims_out_cb, &o)) != 0 ||
	    (err = be->nobill_list(s, nobill_cb, &nb)) != 0) {
		fprintf(stderr, "sync-server: claims: %s\n", strerror(err));
		goto out;
	}
	if (fhir != NULL && (err = claims_export(fhir, &o, 1)) != 0) {
		fprintf(stderr, "sync-server: claims: cannot write %s: %s\n",
		    fhir, strerror(err));
		goto out;
	}
	if (csv != NULL && (err = claims_export(csv, &o, 0)) != 0) {
		fprintf(stderr, "sync-server: claims: cannot write %s: %s\n",
		    csv, strerror(err));
		goto out;
	}
	claims_print(&o, &nb, json);
	rc = 0;
out:
	free(o.v);
	return rc;
}

int
admin_payer(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct claim_ctx c = { be, s, clock_wall_ms() };
	struct claim_payer p;
	struct buf b;
	const char *cause = NULL;
	uint8_t *v = NULL;
	size_t len = 0, i;
	char *list, *tok, *save = NULL;
	int err;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		err = be->meta_get(s, "claims.payers", &v, &len);
		if (err == ENOENT) {
			printf("no payer configured\n");
			return 0;
		}
		if (err != 0) {
			fprintf(
			    stderr, "sync-server: payer: %s\n", strerror(err));
			return 1;
		}
		list = xmalloc(len + 1);
		memcpy(list, v, len);
		list[len] = '\0';
		free(v);
		buf_init(&b, 4096);
		for (tok = strtok_r(list, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			buf_reset(&b);
			if (claim_payer_get(&c, tok, &p) == 0 &&
			    claim_payer_format(&p, &b) == 0)
				printf("%s %.*s\n", tok, (int)b.len,
				    (const char *)b.data);
		}
		buf_free(&b);
		free(list);
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "set") != 0)
		return claims_usage();
	buf_init(&b, 4096);
	for (i = 3; i < (size_t)argc; i++)
		if (buf_printf(&b, "%s ", argv[i]) != 0) {
			buf_free(&b);
			return claims_usage();
		}
	if (buf_append_byte(&b, '\0') != 0 ||
	    claim_payer_parse(argv[2], (const char *)b.data, &p, &cause) != 0) {
		fprintf(stderr, "sync-server: payer: %s\n",
		    cause ? cause : "too long");
		buf_free(&b);
		return 1;
	}
	buf_free(&b);
	if ((err = claim_payer_put(&c, &p)) != 0) {
		fprintf(stderr, "sync-server: payer: %s\n", strerror(err));
		return 1;
	}
	printf("payer %s set\n", p.code);
	return 0;
}

static int
day_ms(const char *s, uint64_t *out)
{
	unsigned y, m, d;
	char tail;

	if (sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || y < 1970 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return EINVAL;
	*out = (uint64_t)tzif_days_from_civil((int)y, m, d) * 86400000ULL;
	return 0;
}

int
admin_coverage(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct claim_ctx c = { be, s, clock_wall_ms() };
	struct claim_payer p;
	struct uuid u;
	uint64_t from = 0, to = 0;
	int i, err;

	if (argc < 4)
		return claims_usage();
	for (i = 4; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--from") == 0) {
			if (day_ms(argv[++i], &from) != 0)
				return claims_usage();
		} else if (i + 1 < argc && strcmp(argv[i], "--to") == 0) {
			if (day_ms(argv[++i], &to) != 0)
				return claims_usage();
		} else
			return claims_usage();
	}
	if (uuid_parse(argv[1], &u) != 0) {
		fprintf(stderr,
		    "sync-server: coverage: the patient is named by"
		    " their record id (a UUID)\n");
		return 1;
	}
	if (claim_payer_get(&c, argv[2], &p) != 0) {
		fprintf(stderr,
		    "sync-server: coverage: payer %s is not"
		    " configured: set it with `admin payer set` first\n",
		    argv[2]);
		return 1;
	}
	if (argv[3][0] == '\0' || strlen(argv[3]) >= CLAIM_TEXT_MAX ||
	    strpbrk(argv[3], "\t\n") != NULL || (to != 0 && to <= from)) {
		fprintf(stderr,
		    "sync-server: coverage: give a member id (one"
		    " line, under 64 characters) and --to after"
		    " --from\n");
		return 1;
	}
	if ((err = claim_coverage_add(&c, u.b, argv[2], argv[3], from, to)) !=
	    0) {
		fprintf(stderr, "sync-server: coverage: %s\n", strerror(err));
		return 1;
	}
	printf("coverage recorded; the patient's consults decided again\n");
	return 0;
}
