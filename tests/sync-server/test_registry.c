/*
 * sync-server/registry.c and admin_licence.c (issue 14): the server's
 * re-check of pushed acts for each of the 8 licence states (refused with
 * wire error licence and the words, or a note kept and flagged; each
 * refusal and flag one stored alert), the snapshot per region (versions
 * only grow, reused while nothing changed, rebuilt after a seventh of its
 * lifetime, only the region's licences, <= 64 KB per 1,000 clinicians
 * through the store), and the FHIR R4 export parsed with libjansson and
 * checked for each resource's required elements.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "licence.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/policy.h"
#include "sync-server/registry.h"
#include "sync-server/server.h"
#include "test.h"
#include "fixture.h"
#include "uuid.h"
#include "xmalloc.h"

#define MIN (60 * 1000LL)
#define DAY (24 * 60 * MIN)
#define T0 1767225600000LL /* 2026-01-01 */

static char *dir;
static struct server srv;

static int
open_srv(void)
{
	log_init(NULL, LOG_LEVEL_WARN);
	if ((dir = test_tmpdir("registry")) == NULL)
		return EIO;
	memset(&srv, 0, sizeof(srv));
	return server_open(&srv, dir);
}

static void
close_srv(void)
{
	server_close(&srv);
	test_rmdir(dir);
	dir = NULL;
}

static void
lic_make(struct licence *l, const char *regno, const char *juris)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->regno, sizeof(l->regno), "%s", regno);
	snprintf(l->regulator, sizeof(l->regulator), "KMPDC");
	snprintf(l->cadre, sizeof(l->cadre), "medical officer");
	snprintf(l->name, sizeof(l->name), "Dr %s", regno);
	snprintf(l->juris, sizeof(l->juris), "%s", juris);
	l->scope = LIC_SCOPE_ALL;
	l->valid_from = T0 - 365 * DAY;
	l->valid_to = T0 + 365 * DAY;
}

/* A consult change in STATE by REGNO at AT, as a hub kiosk pushes it. */
static int
consult_change(const char *state, const char *regno, int64_t at,
    struct schange *c, uint8_t **body)
{
	struct model_rec r;
	struct uuid u;
	cbor_item_t *it = NULL;
	char id[UUID_STRLEN + 1];
	int err;

	uuid_v7(&u);
	uuid_format(&u, id);
	memset(c, 0, sizeof(*c));
	c->entity = REC_CONSULT;
	memcpy(c->id, u.b, 16);
	c->hlc = 1;
	model_rec_init(&r, model_entity(REC_CONSULT), id, 1, NULL);
	model_set_text(&r, REC_CONSULT_STATE, state);
	model_set_text(&r, REC_CONSULT_REGNO, regno);
	if (strcmp(state, "accepted") == 0) {
		model_set_text(&r, REC_CONSULT_CLINICIAN, id);
		model_set_uint(&r, REC_CONSULT_ACCEPTED, (uint64_t)at);
	} else {
		model_set_uint(&r, REC_CONSULT_SIGNED, (uint64_t)at);
		model_set_text(&r, REC_CONSULT_PLAN, "fluids");
	}
	if ((err = model_encode(&r, &it)) == 0)
		err = cborx_encode(it, body, &c->len);
	if (it != NULL)
		cbor_decref(&it);
	model_rec_clear(&r);
	c->body = *body;
	return err;
}

/* A prescription change (ACTION "order", "cancel" or "stop") signed by
 * REGNO at AT, as a hub pushes it (the fields the re-check reads). */
static int
rx_change(const char *action, const char *regno, int64_t at, struct schange *c,
    uint8_t **body)
{
	struct model_rec r;
	struct uuid u;
	cbor_item_t *it = NULL;
	char id[UUID_STRLEN + 1];
	int err;

	uuid_v7(&u);
	uuid_format(&u, id);
	memset(c, 0, sizeof(*c));
	c->entity = REC_PRESCRIPTION;
	memcpy(c->id, u.b, 16);
	c->hlc = 1;
	model_rec_init(&r, model_entity(REC_PRESCRIPTION), id, 1, NULL);
	model_set_text(&r, REC_RX_ACTION, action);
	model_set_text(&r, REC_RX_REGNO, regno);
	model_set_uint(&r, REC_RX_SIGNED, (uint64_t)at);
	if ((err = model_encode(&r, &it)) == 0)
		err = cborx_encode(it, body, &c->len);
	if (it != NULL)
		cbor_decref(&it);
	model_rec_clear(&r);
	c->body = *body;
	return err;
}

/* One licence of A1 in state ST (as test_licence.c), at T0 in KE-47. */
static void
lic_state(struct licence *l, enum licence_state st, enum licence_act act)
{
	lic_make(l, "A1", "KE");
	switch (st) {
	case LIC_ST_EXPIRED:
		l->valid_to = T0 - 1000;
		break;
	case LIC_ST_SUSPENDED:
		l->status = LIC_STATUS_SUSPENDED;
		l->status_at = T0 - DAY;
		break;
	case LIC_ST_REVOKED:
		l->status = LIC_STATUS_REVOKED;
		l->status_at = T0;
		break;
	case LIC_ST_NOT_YET_VALID:
		l->valid_from = T0 + 1000;
		break;
	case LIC_ST_WRONG_JURISDICTION:
		/* keeps the region under licensing: another clinician is
		 * registered there */
		snprintf(l->juris, sizeof(l->juris), "UG");
		break;
	case LIC_ST_WRONG_SCOPE:
		l->scope = LIC_SCOPE_ALL & ~LIC_SCOPE(act);
		break;
	case LIC_ST_UNKNOWN:
		snprintf(l->regno, sizeof(l->regno), "B2");
		break;
	default:
		break;
	}
}

static uint64_t
alerts(void)
{
	struct sstats st;
	uint64_t n = 0;

	if (srv.be->stats(srv.store, &st) == 0)
		n = st.alerts;
	sstats_clear(&st);
	return n;
}

/* The regno of the licence in state ST for act A. */
static void
regno_of(int st, size_t a, char *out, size_t len)
{
	snprintf(out, len, "S%dA%zu", st, a);
}

/*
 * The server's gate: the acts it re-checks at sync (a consult accept, a
 * signed note) x the 8 states, one licence per cell in one registry.
 */
static int
test_recheck_matrix(void)
{
	static const struct {
		const char *state;
		enum licence_act act;
	} acts[] = { { "accepted", LIC_ACT_CONSULT },
		{ "signed", LIC_ACT_NOTE } };
	struct snode hub;
	char regno[16];
	int err = 0, right = 0;

	memset(&hub, 0, sizeof(hub));
	hub.id = 7;
	snprintf(hub.region, sizeof(hub.region), "KE-47");
	snprintf(hub.role, sizeof(hub.role), "hub");
	TEST_ERR(open_srv());
	for (int st = 0; st < LIC_STATES; st++)
		for (size_t a = 0; a < nitems(acts); a++) {
			struct licence l;

			lic_state(&l, st, acts[a].act);
			regno_of(st, a, regno, sizeof(regno));
			if (st != LIC_ST_UNKNOWN)
				snprintf(l.regno, sizeof(l.regno), "%s", regno);
			TEST_ERR(srv.be->licence_put(
			    srv.store, &l, 1, "add", "", 1));
		}
	for (int st = 0; st < LIC_STATES; st++) {
		for (size_t a = 0; a < nitems(acts); a++) {
			struct licence l;
			struct schange c;
			struct sverdict v;
			uint8_t *body = NULL;
			uint64_t before;
			size_t refused;
			int want_refused =
			    st != LIC_ST_ACTIVE && acts[a].act != LIC_ACT_NOTE;
			int want_alert = st != LIC_ST_ACTIVE;

			regno_of(st, a, regno, sizeof(regno));
			TEST_ERR(consult_change(
			    acts[a].state, regno, T0, &c, &body));
			memset(&v, 0, sizeof(v));
			policy_read(&c, &v);
			TEST_EQ(v.code, 0);
			before = alerts();
			refused = registry_recheck(&srv, &hub, &c, 1, &v, 99);
			free(body);
			if ((int)refused != want_refused ||
			    (v.code == WERR_LICENCE) != want_refused ||
			    alerts() - before != (uint64_t)want_alert)
				TEST_FAILED("%s x %s: refused %zu code %d "
				            "alerts %d",
				    licence_state_name(st),
				    licence_act_name(acts[a].act), refused,
				    v.code, (int)(alerts() - before));
			if (want_refused) {
				struct licence_set s1 = { 0 };
				struct licence_verdict w;

				/* the words the kiosk shows are the model's
				 * for this very state */
				lic_state(&l, st, acts[a].act);
				licence_set_add(&s1, &l);
				licence_permitted(
				    &s1, "A1", acts[a].act, "KE-47", T0, &w);
				licence_set_clear(&s1);
				TEST_EQ(w.state, st);
				TEST_STR(v.why, w.words);
			}
			right++;
		}
	}
	TEST_EQ(right, LIC_STATES * 2);
out:
	close_srv();
	return err;
}

/*
 * A prescription order is re-checked as LIC_ACT_PRESCRIBE at its signing
 * time: refused (licence, the model's words) for a lapsed licence, passed
 * for a valid one; a cancel by the lapsed clinician still goes through
 * (ending an order is always allowed).
 */
static int
test_recheck_rx(void)
{
	struct snode hub;
	struct licence l;
	struct schange c;
	struct sverdict v;
	uint8_t *body = NULL;
	int err = 0;

	TEST_ERR(open_srv());
	memset(&hub, 0, sizeof(hub));
	hub.id = 7;
	snprintf(hub.region, sizeof(hub.region), "KE-47");
	lic_make(&l, "OK1", "KE");
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	lic_make(&l, "OLD1", "KE");
	l.valid_to = T0 - 1000;
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 2));
	TEST_ERR(rx_change("order", "OK1", T0, &c, &body));
	memset(&v, 0, sizeof(v));
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 0);
	TEST_EQ(v.code, 0);
	free(body);
	body = NULL;
	TEST_ERR(rx_change("order", "OLD1", T0, &c, &body));
	memset(&v, 0, sizeof(v));
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 1);
	TEST_EQ(v.code, WERR_LICENCE);
	TEST_TRUE(v.why[0] != '\0');
	free(body);
	body = NULL;
	TEST_ERR(rx_change("cancel", "OLD1", T0, &c, &body));
	memset(&v, 0, sizeof(v));
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 0);
	TEST_EQ(v.code, 0);
out:
	free(body);
	close_srv();
	return err;
}

/* A region nobody is registered for has licensing off. */
static int
test_recheck_off(void)
{
	struct snode hub;
	struct licence l;
	struct schange c;
	struct sverdict v;
	uint8_t *body = NULL;
	int err = 0;

	TEST_ERR(open_srv());
	memset(&hub, 0, sizeof(hub));
	snprintf(hub.region, sizeof(hub.region), "north");
	lic_make(&l, "A1", "south");
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	TEST_ERR(consult_change("accepted", "X", T0, &c, &body));
	memset(&v, 0, sizeof(v));
	policy_read(&c, &v);
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 0);
	TEST_EQ(v.code, 0);
	/* mid-consult (criterion 8): accepted at start, valid_to +10 min;
	 * a note at +12 min is kept (flagged), an accept at +11 refused */
	lic_make(&l, "E5", "north");
	l.valid_to = T0 + 10 * MIN;
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 2));
	free(body);
	body = NULL;
	TEST_ERR(consult_change("accepted", "E5", T0, &c, &body));
	memset(&v, 0, sizeof(v));
	policy_read(&c, &v);
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 0);
	free(body);
	body = NULL;
	TEST_ERR(consult_change("accepted", "E5", T0 + 11 * MIN, &c, &body));
	memset(&v, 0, sizeof(v));
	policy_read(&c, &v);
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 1);
	free(body);
	body = NULL;
	TEST_ERR(consult_change("signed", "E5", T0 + 12 * MIN, &c, &body));
	memset(&v, 0, sizeof(v));
	policy_read(&c, &v);
	TEST_EQ(registry_recheck(&srv, &hub, &c, 1, &v, 1), 0);
	TEST_EQ(v.code, 0);
out:
	free(body);
	close_srv();
	return err;
}

static int
test_snapshot(void)
{
	struct licence_set got = { 0 }, many = { 0 };
	struct licence l;
	uint64_t ver = 0;
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen;
	uint64_t now = (uint64_t)T0, ttl = 7 * DAY;
	char regno[32];
	int err = 0;

	TEST_ERR(open_srv());
	lic_make(&l, "N1", "north");
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	lic_make(&l, "S1", "south");
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	TEST_ERR(registry_snapshot(&srv, "north", now, &a, &alen, &ver));
	TEST_ERR(licence_snapshot_open(a, alen, srv.pub, 0, &got));
	TEST_EQ(got.version, 1);
	TEST_EQ(ver, 1);
	TEST_EQ(got.n, 1);
	TEST_STR(got.l[0].regno, "N1");
	TEST_EQ(got.not_after, (int64_t)(now + ttl));
	licence_set_clear(&got);
	/* nothing changed: the same snapshot */
	TEST_ERR(
	    registry_snapshot(&srv, "north", now + DAY / 2, &b, &blen, &ver));
	TEST_EQ(blen, alen);
	TEST_MEM(a, b, alen);
	free(b);
	b = NULL;
	/* a seventh of its life later: a fresh one, the next version */
	TEST_ERR(
	    registry_snapshot(&srv, "north", now + ttl / 7, &b, &blen, &ver));
	TEST_EQ(licence_snapshot_open(b, blen, srv.pub, 1, &got), 0);
	TEST_EQ(got.version, 2);
	licence_set_clear(&got);
	free(b);
	b = NULL;
	/* a change: the next version, and an older one is refused */
	lic_make(&l, "N1", "north");
	l.status = LIC_STATUS_REVOKED;
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "revoke", "", 2));
	TEST_ERR(registry_snapshot(
	    &srv, "north", now + ttl / 7 + 1, &b, &blen, &ver));
	TEST_ERR(licence_snapshot_open(b, blen, srv.pub, 2, &got));
	TEST_EQ(got.version, 3);
	TEST_EQ(got.l[0].status, LIC_STATUS_REVOKED);
	licence_set_clear(&got);
	TEST_EQ(licence_snapshot_open(a, alen, srv.pub, 3, &got), ESTALE);
	free(b);
	b = NULL;
	/* the size through the store: 1,000 clinicians of one region */
	for (int i = 0; i < 1000; i++) {
		snprintf(regno, sizeof(regno), "KE%06d", i);
		lic_make(&l, regno, "west");
		snprintf(l.name, sizeof(l.name), "Dr Wanjiku Achieng %06d", i);
		licence_set_add(&many, &l);
	}
	TEST_ERR(
	    srv.be->licence_put(srv.store, many.l, many.n, "import", "", 3));
	TEST_ERR(registry_snapshot(&srv, "west", now, &b, &blen, &ver));
	fprintf(stderr, "  1000 clinicians from the store: %zu bytes\n", blen);
	TEST_TRUE(blen <= 64 * 1024);
	TEST_ERR(licence_snapshot_open(b, blen, srv.pub, 0, &got));
	TEST_EQ(got.n, 1000);
out:
	licence_set_clear(&got);
	licence_set_clear(&many);
	free(a);
	free(b);
	close_srv();
	return err;
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* FHIR R4: every resource parses and carries its required elements. */
static int
test_fhir(void)
{
	char path[128], *argv[] = { "export", "--fhir" };
	json_t *root = NULL, *entry, *e;
	json_error_t jerr;
	struct licence l;
	size_t i, npr = 0, nrole = 0;
	int fd = -1, saved = -1, err = 0, rc;

	TEST_ERR(open_srv());
	lic_make(&l, "KE/123 \"q\"", "KE");
	/* where they practise and how to reach them: Practitioner.address
	 * and .telecom (one has them, the other not) */
	snprintf(l.address, sizeof(l.address), "Kisumu \"County\" Hospital");
	snprintf(l.contact, sizeof(l.contact), "+254711000123");
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	lic_make(&l, "N2", "KE-47");
	l.address[0] = '\0';
	l.contact[0] = '\0';
	snprintf(l.regulator, sizeof(l.regulator), "NCK");
	l.name[0] = '\0';
	l.status = LIC_STATUS_SUSPENDED;
	TEST_ERR(srv.be->licence_put(srv.store, &l, 1, "add", "", 1));
	snprintf(path, sizeof(path), "%s/fhir.json", dir);
	fflush(stdout);
	saved = dup(1);
	TEST_TRUE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	dup2(fd, 1);
	rc = admin_licence(srv.be, srv.store, 2, argv);
	fflush(stdout);
	dup2(saved, 1);
	TEST_EQ(rc, 0);
	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		TEST_FAILED("not JSON: %s line %d", jerr.text, jerr.line);
	TEST_STR(jstr(root, "resourceType"), "Bundle");
	TEST_STR(jstr(root, "type"), "collection"); /* Bundle.type 1..1 */
	entry = json_object_get(root, "entry");
	TEST_TRUE(json_is_array(entry));
	json_array_foreach(entry, i, e)
	{
		json_t *r = json_object_get(e, "resource"), *q, *qa;
		const char *type = jstr(r, "resourceType");

		TEST_TRUE(type != NULL && jstr(r, "id") != NULL);
		if (strcmp(type, "Practitioner") == 0) {
			npr++;
			TEST_TRUE(
			    json_is_boolean(json_object_get(r, "active")));
			q = json_object_get(r, "identifier");
			TEST_TRUE(json_is_array(q) && json_array_size(q) == 1);
			TEST_TRUE(jstr(json_array_get(q, 0), "value") != NULL);
			/* qualification.code is 1..1 */
			qa = json_object_get(r, "qualification");
			TEST_TRUE(
			    json_is_array(qa) && json_array_size(qa) == 1);
			q = json_array_get(qa, 0);
			TEST_TRUE(json_is_object(json_object_get(q, "code")));
			TEST_TRUE(
			    jstr(json_object_get(q, "code"), "text") != NULL);
			TEST_TRUE(
			    jstr(json_object_get(q, "period"), "end") != NULL);
			q = json_object_get(r, "telecom");
			qa = json_object_get(r, "address");
			if (json_object_get(r, "name") != NULL) {
				TEST_TRUE(json_array_size(q) == 1);
				TEST_STR(jstr(json_array_get(q, 0), "system"),
				    "phone");
				TEST_STR(jstr(json_array_get(q, 0), "value"),
				    "+254711000123");
				TEST_TRUE(json_array_size(qa) == 1);
				TEST_STR(jstr(json_array_get(qa, 0), "text"),
				    "Kisumu \"County\" Hospital");
			} else
				TEST_TRUE(q == NULL && qa == NULL);
		} else if (strcmp(type, "PractitionerRole") == 0) {
			char want[160];
			const char *ref;

			nrole++;
			ref = jstr(
			    json_object_get(r, "practitioner"), "reference");
			TEST_TRUE(ref != NULL);
			snprintf(want, sizeof(want), "Practitioner/%s",
			    jstr(r, "id"));
			TEST_STR(ref, want);
			TEST_TRUE(json_is_array(json_object_get(r, "code")));
		} else
			TEST_FAILED("unexpected %s", type);
	}
	TEST_EQ(npr, 2);
	TEST_EQ(nrole, 2);
	/* the id is a FHIR id: [A-Za-z0-9-.]{1,64} */
	{
		const char *id =
		    jstr(json_object_get(json_array_get(entry, 0), "resource"),
		        "id");

		TEST_TRUE(id != NULL && strlen(id) <= 64);
		TEST_TRUE(strspn(id,
		              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
		              "tuvwxyz0123456789-.") == strlen(id));
	}
out:
	if (fd >= 0)
		close(fd);
	if (saved >= 0)
		close(saved);
	json_decref(root);
	close_srv();
	return err;
}

/* POST /v1/licences on loopback: signed, for every role; the snapshot
 * verifies with the key the node pinned; naming the version held gets
 * no snapshot; a bad body is refused; an unsigned request too. */
static int
test_route(void)
{
	static const uint8_t empty[] = { 0xa0 },
	                     bad[] = { 0xa1, 0x01, 0x61, 'x' };
	struct fix f;
	struct tresp r;
	struct tnode a, h;
	struct licence l;
	struct licence_set got = { 0 };
	cbor_item_t *it = NULL, *m;
	const uint8_t *env;
	uint8_t spub[32], *body = NULL;
	size_t len, blen;
	int err = 0;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	lic_make(&l, "N1", "north");
	TEST_ERR(f.srv.be->licence_put(f.srv.store, &l, 1, "add", "", 1));
	TEST_ERR(fix_node_as(&f, "north", "hub", "hub-1", &h, spub));
	TEST_ERR(fix_node_as(&f, "north", "admin", "reg", &a, NULL));
	TEST_ERR(tnode_do(
	    f.port, &a, PROTO_PATH_LICENCES, empty, sizeof(empty), &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	TEST_ERR(cborx_map_bytes(
	    it, LICENCES_K_SNAPSHOT, LIC_SNAPSHOT_MAX, &env, &len));
	TEST_ERR(licence_snapshot_open(env, len, spub, 0, &got));
	TEST_EQ(got.n, 1);
	cbor_decref(&it);
	tresp_clear(&r);
	/* the version held is current: no snapshot in the answer */
	m = cborx_map(1);
	cborx_map_put(m, LICREQ_K_HELD, cborx_uint(got.version));
	TEST_ERR(cborx_encode(m, &body, &blen));
	cbor_decref(&m);
	TEST_ERR(tnode_do(f.port, &h, PROTO_PATH_LICENCES, body, blen, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
	TEST_TRUE(cborx_map_get(it, LICENCES_K_SNAPSHOT) == NULL);
	cbor_decref(&it);
	tresp_clear(&r);
	TEST_ERR(
	    tnode_do(f.port, &h, PROTO_PATH_LICENCES, bad, sizeof(bad), &r));
	TEST_EQ(r.status, 400);
	TEST_EQ(tresp_code(&r, NULL), WERR_BAD_REQUEST);
	tresp_clear(&r);
	TEST_ERR(http_do(f.port, "POST", PROTO_PATH_LICENCES, NULL, empty,
	    sizeof(empty), &r));
	TEST_EQ(r.status, 401);
out:
	if (it != NULL)
		cbor_decref(&it);
	licence_set_clear(&got);
	free(body);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "recheck_matrix", test_recheck_matrix },
    { "recheck_off_and_mid_consult", test_recheck_off },
    { "recheck_prescription", test_recheck_rx }, { "snapshot", test_snapshot },
    { "fhir", test_fhir }, { "route", test_route })
