/*
 * `sync-server --data DIR admin ...`: the administrator's commands, run
 * against the store directly (safe while the server runs: SQLite WAL and
 * a busy timeout).
 *
 *   enroll-token --role clinic|hub|admin --region R --facility F [--hours N]
 *   revoke NODE         (also withdraws its SIP credentials, sipcred.h)
 *   sip-setup HOST:PORT [TURN-HOST:PORT]
 *                       turn SIP on: nodes enrolled from now on get SIP
 *                       credentials for the region's Kamailio at HOST:PORT
 *                       (and the address of its coturn relay)
 *   sip-turn-users      coturn's user= lines for the SIP table
 *   stats [--json]     entities held (distinct ids) and the change records
 *                       that wrote them, per entity name; nodes; server
 *                       warnings (clock ahead, conflicting re-sends)
 *   manifest [--node N] "entity-name uuid sha256" per stored change (of
 *                       node N), for comparing with `kiosk sync manifest`
 *   licence ...         the licence registry (admin_licence.c)
 *   migrate             (with --store) copy DIR/server.db into the
 *                       PostgreSQL store (sync-server/store/migrate.h)
 *   referrals --region R [--json] [--fhir FILE]
 *                       the region's referral numbers (issue 14: completion
 *                       rate, acceptance time, median/p90 time to seen,
 *                       rejected and failed apart; work/referral.h); --fhir
 *                       writes the FHIR R4 ServiceRequests and Tasks to
 *                       FILE (mode 0600: it holds referral reasons)
 *   schedule ...        a clinician's weekly hours and slots (sched_admin.c)
 *   report --region R --out DIR
 *                       the region's figures as DIR/index.html (issue 17:
 *                       report/compute.c, report/html.c)
 *   synth --region R [--kiosks N] [--facilities N] [--hubs N] [--visits N]
 *         [--seed S]    a synthetic region, for the report's bench and
 *                       demos (report/synth.c): never on a real store
 *   export --fhir|--csv --region R [--from D] [--to D] --out DIR
 *                       the region's records as FHIR R4 NDJSON and CSV
 *                       (issue 17; admin_export.c, work/export.h)
 *   claims|payer|coverage ...  claims from evidence (claim_admin.c)
 *
 * Output carries node ids, roles, regions and counts: never patient data.
 */
#define LOG_MODULE "admin"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "encode.h"
#include "etoken.h"
#include "json.h"
#include "hlc.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "server.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "sync-server/admin_export.h"
#include "sync-server/registry.h"
#include "sync-server/claim_build.h"
#include "sync-server/emergency.h"
#include "sync-server/partners.h"
#include "sync-server/audit_admin.h"
#include "sync-server/sched_admin.h"
#include "sync-server/sipcred.h"
#include "sync-server/store/migrate.h"
#include "sync-server/report/compute.h"
#include "sync-server/report/html.h"
#include "sync-server/report/synth.h"
#include "sync-server/work/referral.h"

/* The store the commands run on: SQLite in DIR, or --store's backend. */
static const struct store_backend *be = &store_sqlite_backend;

static int
admin_usage(void)
{
	fprintf(stderr,
	    "usage: sync-server --data DIR admin enroll-token --role "
	    "clinic|hub|admin --region R --facility F [--hours N]\n"
	    "       sync-server --data DIR admin revoke NODE\n"
	    "       sync-server --data DIR admin sip-setup HOST:PORT "
	    "[TURN-HOST:PORT]\n"
	    "       sync-server --data DIR admin sip-turn-users\n"
	    "       sync-server --data DIR admin stats [--json]\n"
	    "       sync-server --data DIR admin manifest [--node N]\n"
	    "       sync-server --data DIR admin licence "
	    "add|suspend|revoke|reinstate|import|list|export ...\n"
	    "       sync-server --data DIR admin referrals --region R "
	    "[--json] [--fhir FILE]\n"
	    "       sync-server --data DIR admin roster sign SPEC OUT [--node N]\n"
	    "       sync-server --data DIR --store postgresql://... admin "
	    "migrate\n"
	    "       sync-server --data DIR admin schedule ... (schedule --help)\n"
	    "       sync-server --data DIR admin report --region R --out DIR\n"
	    "       sync-server --data DIR admin synth --region R [--kiosks N] "
	    "[--facilities N] [--hubs N] [--visits N] [--seed S]\n"
	    "       sync-server --data DIR admin export --fhir|--csv --region R "
	    "[--from D] [--to D] --out DIR\n"
	    "       sync-server --data DIR admin audit NODE\n"
	    "       sync-server --data DIR admin breakglass [--searches] "
	    "[--json]\n"
	    "       sync-server --data DIR admin claims|payer|coverage ..."
	    " (claims --help)\n"
	    "       sync-server --data DIR admin partner add REGION URL "
	    "--format cap|fhir [--secret S]\n"
	    "       sync-server --data DIR admin partner list [REGION]\n"
	    "       sync-server --data DIR admin emergency cap|fhir UUID|CODE "
	    "[--seq N]\n");
	return 2;
}

static int
admin_enroll_token(
    struct sstore *s, const char *data_dir, int argc, char **argv)
{
	struct stoken t;
	const char *role = NULL, *region = NULL, *facility = NULL;
	long long hours = 72;
	uint8_t pub[32];
	char secret[ETOKEN_SECRET_LEN + 1], tok[ETOKEN_TEXT_MAX];
	int i, err;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return admin_usage();
		if (strcmp(argv[i], "--role") == 0)
			role = argv[++i];
		else if (strcmp(argv[i], "--region") == 0)
			region = argv[++i];
		else if (strcmp(argv[i], "--facility") == 0)
			facility = argv[++i];
		else if (strcmp(argv[i], "--hours") == 0) {
			if (str_to_ll(argv[++i], 1, 24 * 365, &hours) != 0)
				return admin_usage();
		} else
			return admin_usage();
	}
	if (role == NULL || region == NULL || facility == NULL ||
	    (strcmp(role, "clinic") != 0 && strcmp(role, "hub") != 0 &&
	        strcmp(role, "admin") != 0) ||
	    strlen(region) >= SSTORE_TEXT_MAX ||
	    strlen(facility) >= SSTORE_TEXT_MAX || region[0] == '\0')
		return admin_usage();
	/* The token names the server key, so the node can check the key
	 * it is given at enrolment (issue 9, item 6). */
	if ((err = server_key_pub(data_dir, pub)) != 0) {
		fprintf(stderr, "sync-server: cannot read the server key: %s\n",
		    strerror(err));
		return 1;
	}
	memset(&t, 0, sizeof(t));
	etoken_make(pub, secret, tok);
	crypto_sha256(secret, strlen(secret), t.hash);
	str_lcpy(t.role, role, sizeof(t.role));
	str_lcpy(t.region, region, sizeof(t.region));
	str_lcpy(t.facility, facility, sizeof(t.facility));
	t.expires_ms = hlc_wall_ms() + (uint64_t)hours * 3600 * 1000;
	err = be->token_add(s, &t);
	if (err == 0)
		printf("%s\n", tok);
	else
		fprintf(stderr, "sync-server: cannot store the token: %s\n",
		    strerror(err));
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(secret, sizeof(secret));
	return err ? 1 : 0;
}

static int
admin_revoke(struct sstore *s, const char *data_dir, int argc, char **argv)
{
	long long id;
	int err;

	if (argc != 2 || str_to_ll(argv[1], 1, INT64_MAX, &id) != 0)
		return admin_usage();
	err = be->node_revoke(s, (uint64_t)id);
	if (err == ENOENT) {
		fprintf(stderr, "sync-server: no node %lld\n", id);
		return 1;
	}
	if (err != 0) {
		fprintf(
		    stderr, "sync-server: revoke failed: %s\n", strerror(err));
		return 1;
	}
	/* and its SIP credentials (sipcred.h): it can no longer register */
	if ((err = sipcred_withdraw(data_dir, (uint64_t)id)) != 0) {
		fprintf(stderr,
		    "sync-server: node %lld revoked, but its SIP credentials "
		    "could not be withdrawn (%s): run the revoke again\n",
		    id, strerror(err));
		return 1;
	}
	printf("node %lld revoked\n", id);
	return 0;
}

static void
admin_json_str(const char *s)
{
	json_fputs(stdout, s);
}

static void
admin_age(uint64_t now, uint64_t ms, char *out, size_t len)
{
	if (ms == 0)
		snprintf(out, len, "never");
	else if (now < ms)
		snprintf(out, len, "0s ago");
	else
		snprintf(out, len, "%" PRIu64 "s ago", (now - ms) / 1000);
}

/* Every stored change's (entity, id), to count entities rather than
 * the change records that wrote them (one record is many changes). */
struct admin_ids {
	struct admin_id {
		int entity;
		uint8_t id[16];
	} * v;
	size_t n, cap;
};

static void
admin_ids_add(const struct schange *c, const uint8_t hash[32], void *arg)
{
	struct admin_ids *a = arg;

	(void)hash;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n].entity = c->entity;
	memcpy(a->v[a->n].id, c->id, sizeof(a->v[a->n].id));
	a->n++;
}

static int
admin_id_cmp(const void *x, const void *y)
{
	const struct admin_id *a = x, *b = y;

	if (a->entity != b->entity)
		return a->entity < b->entity ? -1 : 1;
	return memcmp(a->id, b->id, sizeof(a->id));
}

/* Distinct ids of ENTITY in the sorted A. */
static uint64_t
admin_ids_count(const struct admin_ids *a, int entity)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].entity == entity &&
		    (i == 0 || admin_id_cmp(&a->v[i - 1], &a->v[i]) != 0))
			n++;
	return n;
}

/* "KEY":{"total":TOTAL,"by_entity":{name:n,...}}: change records per
 * entity, or distinct entities when IDS is given. */
static void
admin_json_counts(const struct sstats *st, const struct admin_ids *ids,
    const char *key, uint64_t total)
{
	const char *name;
	size_t i;

	printf("\"%s\":{\"total\":%" PRIu64 ",\"by_entity\":{", key, total);
	for (i = 0; i < st->nentities; i++) {
		name = rec_entity_name(st->entities[i].entity);
		printf("%s", i ? "," : "");
		admin_json_str(name ? name : "unknown");
		printf(":%" PRIu64,
		    ids != NULL ? admin_ids_count(ids, st->entities[i].entity)
		                : st->entities[i].records);
	}
	printf("}}");
}

static int
admin_stats(struct sstore *s, int argc, char **argv)
{
	struct admin_ids ids = { NULL, 0, 0 };
	uint64_t ents = 0, patients;
	struct sstats st;
	uint64_t total = 0, now = hlc_wall_ms(), pending;
	char seen[32], push[32];
	const char *name;
	int json = 0, err;
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return admin_usage();
	if ((err = be->stats(s, &st)) != 0) {
		fprintf(stderr, "sync-server: stats: %s\n", strerror(err));
		return 1;
	}
	if ((err = be->manifest(s, admin_ids_add, &ids)) != 0) {
		fprintf(stderr, "sync-server: stats: %s\n", strerror(err));
		sstats_clear(&st);
		free(ids.v);
		return 1;
	}
	if (ids.n > 0) /* qsort(NULL, 0) is undefined */
		qsort(ids.v, ids.n, sizeof(*ids.v), admin_id_cmp);
	for (i = 0; i < st.nentities; i++) {
		total += st.entities[i].records;
		ents += admin_ids_count(&ids, st.entities[i].entity);
	}
	patients = admin_ids_count(&ids, REC_PATIENT);
	if (st.merged > patients) /* read apart from the manifest */
		st.merged = patients;
	if (json) {
		printf("{");
		admin_json_counts(&st, NULL, "records", total);
		printf(",");
		admin_json_counts(&st, &ids, "entities", ents);
		printf(",\"nodes\":[");
		for (i = 0; i < st.nnodes; i++) {
			const struct snode *n = &st.nodes[i];

			pending =
			    n->outbox_last > n->hw ? n->outbox_last - n->hw : 0;
			printf("%s{\"id\":%" PRIu64 ",\"role\":", i ? "," : "",
			    n->id);
			admin_json_str(n->role);
			printf(",\"region\":");
			admin_json_str(n->region);
			printf(",\"facility\":");
			admin_json_str(n->facility);
			printf(",\"label\":");
			admin_json_str(n->label);
			printf(",\"revoked\":%s,\"records\":%" PRIu64
			       ",\"hw\":%" PRIu64 ",\"outbox_last\":%" PRIu64
			       ",\"pending\":%" PRIu64
			       ",\"last_seen_ms\":%" PRIu64
			       ",\"last_push_ms\":%" PRIu64 "}",
			    n->revoked ? "true" : "false", st.node_records[i],
			    n->hw, n->outbox_last, pending, n->last_seen_ms,
			    n->last_push_ms);
		}
		printf("],\"batches\":%" PRIu64 ",\"warnings\":%" PRIu64
		       ",\"open_tokens\":%" PRIu64 ",\"patients\":%" PRIu64
		       ",\"patients_merged\":%" PRIu64 "}\n",
		    st.batches, st.alerts, st.open_tokens, patients - st.merged,
		    st.merged);
	} else {
		printf("held: %" PRIu64 " entities, written by %" PRIu64
		       " change records\n",
		    ents, total);
		printf("patients: %" PRIu64 " people (%" PRIu64
		       " more records merged into them)\n",
		    patients - st.merged, st.merged);
		for (i = 0; i < st.nentities; i++) {
			name = rec_entity_name(st.entities[i].entity);
			printf("  %-16s %8" PRIu64 "  (%" PRIu64 " changes)\n",
			    name ? name : "unknown",
			    admin_ids_count(&ids, st.entities[i].entity),
			    st.entities[i].records);
		}
		printf("nodes: %zu\n", st.nnodes);
		for (i = 0; i < st.nnodes; i++) {
			const struct snode *n = &st.nodes[i];

			pending =
			    n->outbox_last > n->hw ? n->outbox_last - n->hw : 0;
			admin_age(now, n->last_seen_ms, seen, sizeof(seen));
			admin_age(now, n->last_push_ms, push, sizeof(push));
			printf("  node %" PRIu64 " %s %s/%s%s: %" PRIu64
			       " records, acked to %" PRIu64
			       ", pending %" PRIu64
			       ", last seen %s, last push %s\n",
			    n->id, n->role, n->region, n->facility,
			    n->revoked ? " REVOKED" : "", st.node_records[i],
			    n->hw, pending, seen, push);
		}
		printf("batches: %" PRIu64 "  server warnings (clock ahead, "
		       "conflicting re-sends): %" PRIu64
		       "  open tokens: %" PRIu64 "\n",
		    st.batches, st.alerts, st.open_tokens);
	}
	sstats_clear(&st);
	free(ids.v);
	return 0;
}

static void
admin_manifest_line(const struct schange *c, const uint8_t hash[32], void *arg)
{
	const uint64_t *node = arg;
	const char *name;
	struct uuid u;
	char id[UUID_STRLEN + 1], *hex;

	if (*node != 0 && c->origin != *node)
		return;
	memcpy(u.b, c->id, UUID_LEN);
	uuid_format(&u, id);
	hex = hex_encode(hash, 32);
	name = rec_entity_name(c->entity);
	if (name != NULL)
		printf("%s %s %s\n", name, id, hex);
	else
		printf("%d %s %s\n", c->entity, id, hex);
	free(hex);
}

/* Every accepted referral fact of REGION, read by a region pull (what an
 * admin node of the region would pull; refused changes are never
 * served). */
struct ref_facts {
	struct rref_fact *v;
	size_t n, cap;
};

static int
admin_referral_take(const struct schange *c, void *arg)
{
	struct ref_facts *k = arg;
	struct model_rec r;

	if (c->entity != REC_REFERRAL)
		return 0;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 256;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	if (model_decode(model_entity(REC_REFERRAL), c->body, c->len, &r) ==
	        0 &&
	    rref_fact_read(&r, &k->v[k->n]) == 0)
		k->n++;
	model_rec_clear(&r);
	return 0;
}

static int
admin_referral_facts(
    struct sstore *s, const char *region, struct rref_fact **out, size_t *nout)
{
	struct ref_facts k = { NULL, 0, 0 };
	int err;

	err = store_region_each(
	    be, s, region, 4096, clock_wall_ms(), admin_referral_take, &k);
	*out = k.v;
	*nout = k.n;
	return err;
}

static int
admin_fhir_write(const char *path, struct rref_fact *f, size_t n)
{
	struct buf b;
	int fd, err;
	ssize_t w;

	buf_init(&b, (size_t)1 << 30);
	if ((err = rref_fhir_bundle(f, n, &b)) != 0) {
		buf_free(&b);
		return err;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		buf_free(&b);
		return err;
	}
	w = write(fd, b.data, b.len);
	err = w == (ssize_t)b.len ? 0 : w < 0 ? errno : EIO;
	if (close(fd) != 0 && err == 0)
		err = errno;
	buf_free(&b);
	return err;
}

static int
admin_referrals(struct sstore *s, int argc, char **argv)
{
	const char *region = NULL, *fhir = NULL;
	struct rref_fact *f = NULL;
	struct rref_stats st;
	size_t n = 0;
	int i, json = 0, err;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc)
			region = argv[++i];
		else if (strcmp(argv[i], "--fhir") == 0 && i + 1 < argc)
			fhir = argv[++i];
		else
			return admin_usage();
	}
	if (region == NULL)
		return admin_usage();
	if ((err = admin_referral_facts(s, region, &f, &n)) != 0) {
		fprintf(stderr, "sync-server: referrals: %s\n", strerror(err));
		free(f);
		return 1;
	}
	if (fhir != NULL && (err = admin_fhir_write(fhir, f, n)) != 0) {
		fprintf(stderr, "sync-server: referrals: cannot write %s: %s\n",
		    fhir, strerror(err));
		free(f);
		return 1;
	}
	rref_stats(f, n, clock_wall_ms(), &st);
	free(f);
	if (json) {
		printf("{\"region\":");
		admin_json_str(region);
		printf(",\"issued\":%" PRIu64 ",\"cancelled\":%" PRIu64
		       ",\"counted\":%" PRIu64 ",\"completed\":%" PRIu64
		       ",\"self_reported\":%" PRIu64 ",\"rejected\":%" PRIu64
		       ",\"failed\":%" PRIu64 ",\"open\":%" PRIu64
		       ",\"followup_due\":%" PRIu64 ",\"followed_up\":%" PRIu64
		       ",\"completion_rate\":%.6f,\"accepted\":%" PRIu64
		       ",\"accept_median_ms\":%" PRIu64
		       ",\"accept_p90_ms\":%" PRIu64 ",\"accept_mean_ms\":%.1f"
		       ",\"seen_median_ms\":%" PRIu64
		       ",\"seen_p90_ms\":%" PRIu64 "}\n",
		    st.issued, st.cancelled, st.counted, st.completed,
		    st.self_reported, st.rejected, st.failed, st.open,
		    st.followup_due, st.followed_up, st.completion_rate,
		    st.accepted, st.accept_median_ms, st.accept_p90_ms,
		    st.accept_mean_ms, st.seen_median_ms, st.seen_p90_ms);
		return 0;
	}
	printf("referrals in %s: %" PRIu64 " issued, %" PRIu64 " cancelled\n",
	    region, st.issued, st.cancelled);
	printf("  completed (seen at the target): %" PRIu64 " of %" PRIu64
	       " (%.1f%%); seen elsewhere (CHW): %" PRIu64 "\n",
	    st.completed, st.counted, 100.0 * st.completion_rate,
	    st.self_reported);
	printf("  rejected: %" PRIu64 "  failed: %" PRIu64 "  open: %" PRIu64
	       " (follow-up due: %" PRIu64 ")\n",
	    st.rejected, st.failed, st.open, st.followup_due);
	printf("  time to accept: median %" PRIu64 " s, p90 %" PRIu64
	       " s (%" PRIu64 " accepted)\n",
	    st.accept_median_ms / 1000, st.accept_p90_ms / 1000, st.accepted);
	printf("  time to seen: median %" PRIu64 " s, p90 %" PRIu64 " s\n",
	    st.seen_median_ms / 1000, st.seen_p90_ms / 1000);
	return 0;
}

static int
admin_report(struct sstore *s, int argc, char **argv)
{
	const char *region = NULL, *out = NULL;
	struct figures f;
	uint64_t t0 = clock_mono_ms();
	int i, err;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--region") == 0 && i + 1 < argc)
			region = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else
			return admin_usage();
	}
	if (region == NULL || out == NULL || strlen(region) >= FIG_TEXT_MAX)
		return admin_usage();
	if ((err = figures_compute(be, s, region, clock_wall_ms(), &f)) != 0) {
		fprintf(stderr,
		    "sync-server: report: cannot read the store: %s\n",
		    strerror(err));
		figures_clear(&f);
		return 1;
	}
	if ((err = figures_html_write(&f, out)) != 0) {
		fprintf(stderr,
		    "sync-server: report: cannot write %s/index.html: %s\n",
		    out, strerror(err));
		figures_clear(&f);
		return 1;
	}
	printf("report of %s: %zu kiosks (%zu stale), %zu facilities, %" PRIu64
	       " visits, %" PRIu64 " changes read, in %" PRIu64
	       " ms: %s/index.html\n",
	    region, f.nkiosks, f.nstale, f.nfacs, f.c.visits, f.changes,
	    clock_mono_ms() - t0, out);
	figures_clear(&f);
	return 0;
}

static int
admin_synth(struct sstore *s, int argc, char **argv)
{
	struct synth_opts o;
	struct synth_truth t;
	long long v;
	uint64_t t0 = clock_mono_ms();
	int i, err;

	memset(&o, 0, sizeof(o));
	o.facilities = 10;
	o.kiosks = 50;
	o.hubs = 2;
	o.visits = 100000;
	o.seed = 1;
	o.now_ms = clock_wall_ms();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
			o.region = argv[++i];
			continue;
		}
		if (i + 1 >= argc ||
		    str_to_ll(argv[i + 1], 0, 10000000, &v) != 0)
			return admin_usage();
		if (strcmp(argv[i], "--kiosks") == 0)
			o.kiosks = (unsigned)v;
		else if (strcmp(argv[i], "--facilities") == 0)
			o.facilities = (unsigned)v;
		else if (strcmp(argv[i], "--hubs") == 0)
			o.hubs = (unsigned)v;
		else if (strcmp(argv[i], "--visits") == 0)
			o.visits = (uint64_t)v;
		else if (strcmp(argv[i], "--seed") == 0)
			o.seed = (uint64_t)v;
		else
			return admin_usage();
		i++;
	}
	if (o.region == NULL)
		return admin_usage();
	if ((err = synth_region(be, s, &o, &t)) != 0) {
		fprintf(stderr, "sync-server: synth: %s\n",
		    err == EINVAL ? "give a region, at least one facility and "
		                    "as many kiosks as facilities"
		                  : strerror(err));
		synth_truth_clear(&t);
		return 1;
	}
	printf("synthetic region %s: %zu kiosks, %zu visits, %zu red flags, "
	       "%zu consults, %zu referrals, %zu appointments, %" PRIu64
	       " changes in %" PRIu64 " ms\n",
	    o.region, t.nkiosks, t.nvisits, t.nalerts, t.nconsults,
	    t.nreferrals, t.nappts, t.changes, clock_mono_ms() - t0);
	synth_truth_clear(&t);
	return 0;
}

int
admin_main(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv)
{
	struct sstore *s = NULL;
	int err, rc;

	if (argc < 1)
		return admin_usage();
	if (strcmp(argv[0], "migrate") == 0) {
		if (argc != 1 || store == NULL ||
		    server_backend(store) != &store_pg_backend)
			return admin_usage();
		err = store_migrate_sqlite_pg(data_dir, key, store, stdout);
		if (err != 0)
			fprintf(stderr, "sync-server: migrate: %s\n",
			    err == EEXIST ? "the PostgreSQL store is not empty"
			        : err == ENOENT ? "no server.db in --data"
			                        : strerror(err));
		return err == 0 ? 0 : 1;
	}
	if (strcmp(argv[0], "roster") == 0)
		return admin_roster(data_dir, store, key, argc, argv);
	if (strcmp(argv[0], "emergency") == 0)
		return admin_emergency(data_dir, store, key, argc, argv);
	if (strcmp(argv[0], "sip-setup") == 0) {
		if (argc != 2 && argc != 3)
			return admin_usage();
		err = sipcred_setup(
		    data_dir, argv[1], argc == 3 ? argv[2] : NULL);
		if (err != 0) {
			fprintf(stderr, "sync-server: sip-setup: %s\n",
			    err == EINVAL ? "give the registrar (and the TURN "
			                    "relay) as HOST:PORT"
			                  : strerror(err));
			return 1;
		}
		printf("SIP on: nodes enrolled from now on register with "
		       "%s%s%s\n",
		    argv[1], argc == 3 ? " and relay media through " : "",
		    argc == 3 ? argv[2] : "");
		return 0;
	}
	if (strcmp(argv[0], "sip-turn-users") == 0) {
		if (argc != 1)
			return admin_usage();
		if ((err = sipcred_coturn_users(data_dir, stdout)) != 0) {
			fprintf(stderr, "sync-server: sip-turn-users: %s\n",
			    err == ENOENT
			        ? "SIP is not set up (admin sip-setup)"
			        : strerror(err));
			return 1;
		}
		return 0;
	}
	if (strcmp(argv[0], "enroll-token") != 0 &&
	    strcmp(argv[0], "revoke") != 0 && strcmp(argv[0], "stats") != 0 &&
	    strcmp(argv[0], "manifest") != 0 &&
	    strcmp(argv[0], "licence") != 0 &&
	    strcmp(argv[0], "referrals") != 0 &&
	    strcmp(argv[0], "schedule") != 0 &&
	    strcmp(argv[0], "report") != 0 && strcmp(argv[0], "synth") != 0 &&
	    strcmp(argv[0], "export") != 0 && strcmp(argv[0], "audit") != 0 &&
	    strcmp(argv[0], "breakglass") != 0 &&
	    strcmp(argv[0], "claims") != 0 && strcmp(argv[0], "payer") != 0 &&
	    strcmp(argv[0], "coverage") != 0 && strcmp(argv[0], "partner") != 0)
		return admin_usage();
	if ((be = server_backend(store)) == NULL)
		return admin_usage();
	if ((err = be->open(store ? store : data_dir, key, &s)) != 0) {
		fprintf(stderr,
		    "sync-server: cannot open the store in %s: %s\n", data_dir,
		    err == EKEYREJECTED ? "the store key does not open it"
		                          " (wrong --key-file?)"
		                        : strerror(err));
		return 1;
	}
	if (strcmp(argv[0], "enroll-token") == 0)
		rc = admin_enroll_token(s, data_dir, argc, argv);
	else if (strcmp(argv[0], "revoke") == 0)
		rc = admin_revoke(s, data_dir, argc, argv);
	else if (strcmp(argv[0], "licence") == 0)
		rc = admin_licence(be, s, argc - 1, argv + 1);
	else if (strcmp(argv[0], "referrals") == 0)
		rc = admin_referrals(s, argc, argv);
	else if (strcmp(argv[0], "schedule") == 0)
		rc = sched_admin(be, s, argc, argv);
	else if (strcmp(argv[0], "report") == 0)
		rc = admin_report(s, argc, argv);
	else if (strcmp(argv[0], "synth") == 0)
		rc = admin_synth(s, argc, argv);
	else if (strcmp(argv[0], "export") == 0)
		rc = admin_export(be, s, argc, argv);
	else if (strcmp(argv[0], "claims") == 0)
		rc = admin_claims(be, s, argc, argv);
	else if (strcmp(argv[0], "payer") == 0)
		rc = admin_payer(be, s, argc, argv);
	else if (strcmp(argv[0], "coverage") == 0)
		rc = admin_coverage(be, s, argc, argv);
	else if (strcmp(argv[0], "partner") == 0)
		rc = admin_partner(be, s, argc, argv);
	else if (strcmp(argv[0], "audit") == 0 ||
	    strcmp(argv[0], "breakglass") == 0) {
		rc = strcmp(argv[0], "audit") == 0
		    ? admin_audit(be, s, argc, argv)
		    : admin_breakglass(be, s, argc, argv);
		if (rc == 2)
			admin_usage();
	} else if (strcmp(argv[0], "manifest") == 0) {
		long long node = 0;

		if (argc == 3 && strcmp(argv[1], "--node") == 0 &&
		    str_to_ll(argv[2], 1, INT64_MAX, &node) != 0)
			rc = admin_usage();
		else if (argc != 1 && argc != 3)
			rc = admin_usage();
		else {
			uint64_t n = (uint64_t)node;

			rc = be->manifest(s, admin_manifest_line, &n) == 0 ? 0
			                                                   : 1;
		}
	} else
		rc = admin_stats(s, argc, argv);
	be->close(s);
	return rc;
}
