/*
 * The server's emergency escalation (issue 16; sync-server/emergency.h):
 *
 *   once       criterion 7: the fast path, a sync push and 3 replays of
 *              each give exactly one incident; another node's fast path
 *              for it and a malformed one are refused (codes 51, 50)
 *   roster     POST /v1/roster: the node's signed roster, not again when
 *              held, 53 when none is kept
 *   ownership  §7.3: the server pages by gateway only what the kiosk
 *              cannot (no modem; a failed send; unknown or unreported for
 *              60 s), never what the kiosk's modem sent
 *   gateway    the adapter against tests/tools/fakegw (a MOCK gateway on
 *              loopback): delivery reports duplicated and out of order,
 *              replies from a number not on the roster (not counted), a
 *              decline (next level at once), a yes (duplicated) that stops
 *              paging; the intervals for the dashboard
 *   crash      criterion 5, the server's half: a kill at every commit
 *              point of the timer during a two-level escalation, then a
 *              restart: 0 lost incidents, 0 skipped levels, at most one
 *              duplicate SMS per recipient per level: every 2nd..8th
 *              point, each point alone, then random kills (1 in 2); at
 *              each time step three ticks may be killed, then a restart
 *              runs through.
 *              OUTPOST_EMERG_SRV_KILLS kills (default 40; 10,000 by hand:
 *              sync-server/README.md has the figures).
 *
 * The gateway is a mock (no real SMS can be sent from here); the server,
 * its store and HTTP are the real ones, in process.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "escalate/roster.h"
#include "escalate/sms.h"
#include "fixture.h"
#include "model.h"
#include "record.h"
#include "sync-server/emergency.h"
#include "sync-server/partners.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

#define SECRET "s3cret-callback"

/* --- helpers ------------------------------------------------------------- */

static uint64_t hlc_n;

static uint64_t
now_hlc(void)
{
	return HLC_MAKE(hlc_wall_ms(), 0) + (hlc_n++ & 0xffff);
}

/* An incident record as the kiosk writes it. */
static int
incident_body(const struct uuid *id, const char *state, const char *modem,
    uint64_t hlc, uint8_t **b, size_t *len)
{
	struct model_rec r;
	cbor_item_t *m = NULL;
	char ids[UUID_STRLEN + 1], code[ESC_CODE_LEN + 1];
	int err;

	uuid_format(id, ids);
	esc_code(id->b, code);
	model_rec_init(&r, model_entity(REC_EMERGENCY), ids, hlc, NULL);
	model_set_text(&r, REC_EMERG_CODE, code);
	model_set_text(&r, REC_EMERG_TRIGGER, "key");
	model_set_text(&r, REC_EMERG_STATE, state);
	model_set_uint(&r, REC_EMERG_LOOP, 1);
	model_set_uint(&r, REC_EMERG_LEVEL, 0);
	model_set_uint(&r, REC_EMERG_RAISED, hlc_wall_ms());
	model_set_text(&r, REC_EMERG_MODEM, modem);
	if ((err = model_encode(&r, &m)) == 0)
		err = cborx_encode(m, b, len);
	if (m != NULL)
		cbor_decref(&m);
	return err;
}

struct kpage {
	int loop, level;
	const char *rcpt, *status;
};

/* POST /v1/emergency; *CODE the error code (0: 200), *CREATED. */
static int
fast_path(struct fix *f, struct tnode *n, const struct uuid *id,
    const char *state, const char *modem, const struct kpage *pages, size_t np,
    uint64_t *code, int *created, char *astate, size_t alen)
{
	cbor_item_t *m = cborx_map(5), *arr = cborx_array(np), *p, *a = NULL;
	struct tresp r;
	uint8_t *rec = NULL, *b = NULL;
	size_t rlen, len, i;
	char text[ESC_SMS_MAX + 1], ecode[ESC_CODE_LEN + 1], *t = NULL;
	uint64_t hlc = now_hlc();
	int err, cr = 0;

	memset(&r, 0, sizeof(r));
	esc_code(id->b, ecode);
	snprintf(text, sizeof(text),
	    "EMERGENCY %s: F34 NEWS2 9 (SpO2 84 RR 28 HR 132). CHW "
	    "+254700000009. Reply %s A=accept X=cannot",
	    ecode, ecode);
	if ((err = incident_body(id, state, modem, hlc, &rec, &rlen)) != 0)
		goto out;
	for (i = 0; i < np; i++) {
		p = cborx_array(4);
		cborx_array_push(p, cborx_uint((uint64_t)pages[i].loop));
		cborx_array_push(p, cborx_uint((uint64_t)pages[i].level));
		cborx_array_push(p, cborx_text(pages[i].rcpt));
		cborx_array_push(p, cborx_text(pages[i].status));
		cborx_array_push(arr, p);
	}
	cborx_map_put(m, EMREQ_K_ID, cborx_bytes(id->b, 16));
	cborx_map_put(m, EMREQ_K_HLC, cborx_uint(hlc));
	cborx_map_put(m, EMREQ_K_RECORD, cborx_bytes(rec, rlen));
	cborx_map_put(m, EMREQ_K_PAGES, arr);
	arr = NULL;
	cborx_map_put(m, EMREQ_K_TEXT, cborx_text(text));
	if ((err = cborx_encode(m, &b, &len)) != 0)
		goto out;
	if ((err = tnode_do(f->port, n, PROTO_PATH_EMERGENCY, b, len, &r)))
		goto out;
	*code = r.status == 200 ? 0 : tresp_code(&r, NULL);
	if (r.status == 200) {
		if (cborx_decode(r.body, r.len, r.len, &a) != 0 ||
		    cborx_map_text(a, EMERG_K_STATE, 16, &t) != 0) {
			err = EBADMSG;
			goto out;
		}
		if (created != NULL) {
			cbor_item_t *c = cborx_map_get(a, EMERG_K_CREATED);

			if (c == NULL || cborx_get_bool(c, &cr) != 0) {
				err = EBADMSG;
				goto out;
			}
			*created = cr;
		}
		if (astate != NULL)
			snprintf(astate, alen, "%s", t);
	}
out:
	if (arr != NULL)
		cbor_decref(&arr);
	cbor_decref(&m);
	if (a != NULL)
		cbor_decref(&a);
	free(t);
	free(rec);
	free(b);
	tresp_clear(&r);
	return err;
}

/* One push of one emergency change at outbox sequence SEQ. */
static int
push_incident(struct fix *f, struct tnode *n, uint64_t seq,
    const struct uuid *id, const uint8_t *body, size_t blen, uint64_t hlc)
{
	cbor_item_t *m = cborx_map(3), *arr = cborx_array(1), *c;
	struct tresp r;
	uint8_t *b = NULL;
	size_t len;
	int err;

	memset(&r, 0, sizeof(r));
	c = cborx_array(PUSH_C_COUNT);
	cborx_array_push(c, cborx_uint(seq));
	cborx_array_push(c, cborx_uint(REC_EMERGENCY));
	cborx_array_push(c, cborx_bytes(id->b, 16));
	cborx_array_push(c, cborx_uint(hlc));
	cborx_array_push(c, cborx_bytes(body, blen));
	cborx_array_push(arr, c);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(seq));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(seq));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	if ((err = cborx_encode(m, &b, &len)) == 0 &&
	    (err = tnode_do(f->port, n, PROTO_PATH_PUSH, b, len, &r)) == 0 &&
	    r.status != 200)
		err = EPROTO;
	cbor_decref(&m);
	free(b);
	tresp_clear(&r);
	return err;
}

static int
count_cb(const struct semerg *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
get_cb(const struct semerg *e, void *arg)
{
	*(struct semerg *)arg = *e;
	return 0;
}

struct pages {
	int n;
	struct semerg_page p[64];
};

static int
page_cb(const struct semerg_page *p, void *arg)
{
	struct pages *l = arg;

	if (l->n < 64)
		l->p[l->n++] = *p;
	return 0;
}

static const struct semerg_page *
page_of(const struct pages *l, const char *channel, int loop, int level,
    const char *rcpt)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->p[i].channel, channel) == 0 &&
		    l->p[i].loop == (uint64_t)loop &&
		    l->p[i].level == (uint64_t)level &&
		    strcmp(l->p[i].rcpt, rcpt) == 0)
			return &l->p[i];
	return NULL;
}

/* A roster for node NODE: level 1 "amb1", level 2 "amb2" (deadlines
 * DEADLINE_S), one loop; "amb1" also answers from +254711000002. */
static int
roster_keep(struct fix *f, uint64_t node, uint32_t deadline_s)
{
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	uint8_t *out = NULL;
	size_t len = 0;
	char *cause = NULL;
	int err, i;

	r->version = 3;
	r->issued_at = (int64_t)(hlc_wall_ms() / 1000);
	r->valid_until = r->issued_at + 30 * 86400;
	snprintf(r->site_id, sizeof(r->site_id), "f1");
	r->lat = -3.3095;
	r->lon = 40.0173;
	snprintf(r->landmark, sizeof(r->landmark), "Gede disp");
	r->nservices = 2;
	for (i = 0; i < 2; i++) {
		struct esc_service *s = &r->services[i];

		snprintf(s->id, sizeof(s->id), "amb%d", i + 1);
		snprintf(s->name, sizeof(s->name), "Ambulance %d", i + 1);
		snprintf(s->kind, sizeof(s->kind), "ambulance");
		s->travel_min = 10 + i;
		s->nsms = 1;
		snprintf(
		    s->sms[0], sizeof(s->sms[0]), "+25471100000%c", '1' + i);
		snprintf(r->level_svc[i][0], ESC_RCPT_LEN, "amb%d", i + 1);
		r->level_nsvc[i] = 1;
		r->level_deadline_s[i] = deadline_s;
	}
	r->services[0].nreply = 1;
	snprintf(r->services[0].reply_from[0], ESC_NUM_LEN, "+254711000002");
	r->nlevels = 2;
	r->loops = 1;
	r->loop_every_s = 600;
	r->rate_s = 0;
	r->max_pages = 20;
	if ((err = esc_roster_sign(r, f->srv.priv, &out, &len, &cause)) == 0)
		err = emergency_roster_put(&f->srv, node, out, len);
	if (err != 0)
		fprintf(
		    stderr, "  roster: %s\n", cause ? cause : strerror(err));
	free(cause);
	free(out);
	free(r);
	return err;
}

/* The fake clock: CLOCK_BOOTTIME and wall both moved by SKEW ms. */
static struct {
	int64_t skew;
	int calls, killed; /* fault points passed, kills made */
} clk;

static int
fake_now(void *arg, struct esc_now *n)
{
	(void)arg;
	memset(n, 0, sizeof(*n));
	n->boot_ms = 1000000 + (uint64_t)clk.skew;
	snprintf(n->boot_id, sizeof(n->boot_id),
	    "11111111-2222-3333-4444-555555555555");
	n->wall_ms = (int64_t)hlc_wall_ms() + clk.skew;
	return 0;
}

/* --- the mock gateway ---------------------------------------------------- */

struct gw {
	pid_t pid;
	unsigned port;
	char dir[64];
};

static int
gw_start(struct gw *g, unsigned server_port, int refuse)
{
	char pf[128], cb[64], n[16], line[32];
	const char *build = getenv("OUTPOST_BUILD");
	char prog[256];
	FILE *fp;
	int i;

	snprintf(g->dir, sizeof(g->dir), "/tmp/outpost-gw.XXXXXX");
	if (mkdtemp(g->dir) == NULL)
		return errno;
	snprintf(pf, sizeof(pf), "%s/port", g->dir);
	snprintf(cb, sizeof(cb), "http://127.0.0.1:%u", server_port);
	snprintf(n, sizeof(n), "%d", refuse);
	snprintf(prog, sizeof(prog), "%s/tests/tools/fakegw",
	    build ? build : "build");
	if ((g->pid = fork()) == 0) {
		execl(prog, "fakegw", pf, cb, SECRET, "--refuse", n,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if ((fp = fopen(pf, "r")) != NULL) {
			if (fgets(line, sizeof(line), fp) != NULL &&
			    (g->port = (unsigned)strtoul(line, NULL, 10)) !=
			        0) {
				fclose(fp);
				return 0;
			}
			fclose(fp);
		}
		usleep(10000);
	}
	return ETIMEDOUT;
}

static void
gw_stop(struct gw *g)
{
	char cmd[128];

	if (g->pid > 0) {
		kill(g->pid, SIGTERM);
		waitpid(g->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", g->dir);
}

static void
gw_cfg(const struct gw *g, struct gateway_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->url, sizeof(c->url),
	    "http://127.0.0.1:%u/version1/messaging", g->port);
	snprintf(c->username, sizeof(c->username), "sandbox");
	snprintf(c->apikey, sizeof(c->apikey), "test-key");
	snprintf(c->secret, sizeof(c->secret), SECRET);
}

/* GET PATH on the gateway's control routes into OUT (caller frees). */
static int
gw_get(const struct gw *g, const char *path, char **out)
{
	struct tresp r;
	int err;

	memset(&r, 0, sizeof(r));
	if ((err = http_do(g->port, "GET", path, NULL, NULL, 0, &r)) != 0)
		return err;
	*out = xcalloc(1, r.len + 1);
	memcpy(*out, r.body, r.len);
	tresp_clear(&r);
	return 0;
}

/* Wait until the gateway has posted every queued callback. */
static int
gw_settle(const struct gw *g)
{
	char *s = NULL;
	int i, a, b, q;

	for (i = 0; i < 500; i++) {
		if (gw_get(g, "/control/reports", &s) != 0)
			return EIO;
		q = sscanf(s, "%d %d %d", &a, &b, &q) == 3 ? q : -1;
		free(s);
		if (q == 0) {
			usleep(30000); /* the last one in flight */
			return 0;
		}
		usleep(10000);
	}
	return ETIMEDOUT;
}

/* How many SMS the gateway accepted with NEEDLE in them (a bare code:
 * the pages of that incident). */
static int
gw_sent(const struct gw *g, const char *what)
{
	char *s = NULL, *p, needle[48];
	int n = 0;

	snprintf(needle, sizeof(needle), "%s%s",
	    strlen(what) == ESC_CODE_LEN ? "EMERGENCY " : "", what);
	if (gw_get(g, "/control/sent", &s) != 0)
		return -1;
	for (p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(s);
	return n;
}

static int
gw_inbound(
    const struct gw *g, const char *from, const char *text, const char *id)
{
	struct tresp r;
	char body[256], f2[32];
	int err;

	memset(&r, 0, sizeof(r));
	snprintf(f2, sizeof(f2), "%%2B%s", from + 1); /* "+" encoded */
	snprintf(
	    body, sizeof(body), "from=%s&text=%s&id=%s&to=12345", f2, text, id);
	err = http_do(
	    g->port, "POST", "/control/inbound", NULL, body, strlen(body), &r);
	tresp_clear(&r);
	return err;
}

/* --- cases ---------------------------------------------------------------- */

static int
test_once(void)
{
	struct fix f;
	struct tnode a, b;
	struct uuid id;
	uint8_t *rec = NULL;
	size_t len;
	uint64_t code, hlc, seq = 1;
	int err = 0, created = -1, n = 0, i;

	memset(&f, 0, sizeof(f));
	uuid_v7(&id);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f2", &b, NULL));
	/* the fast path, then 3 replays */
	TEST_ERR(fast_path(
	    &f, &a, &id, "paging", "ok", NULL, 0, &code, &created, NULL, 0));
	TEST_EQ(code, 0);
	TEST_EQ(created, 1);
	for (i = 0; i < 3; i++) {
		TEST_ERR(fast_path(&f, &a, &id, "paging", "ok", NULL, 0, &code,
		    &created, NULL, 0));
		TEST_EQ(code, 0);
		TEST_EQ(created, 0);
	}
	/* the same incident by sync, and its bundle replayed 3 times */
	hlc = now_hlc();
	TEST_ERR(incident_body(&id, "paging", "ok", hlc, &rec, &len));
	for (i = 0; i < 4; i++)
		TEST_ERR(push_incident(&f, &a, seq, &id, rec, len, hlc));
	TEST_ERR(f.srv.be->emerg_list(f.srv.store, NULL, 0, 0, count_cb, &n));
	TEST_EQ(n, 1);
	/* another node may not take it over by the fast path */
	TEST_ERR(fast_path(
	    &f, &b, &id, "cancelled", "ok", NULL, 0, &code, NULL, NULL, 0));
	TEST_EQ(code, WERR_EMERG_OWNER);
	/* a body that is not an incident */
	{
		struct tresp r;
		uint8_t junk[] = { 0xa1, 0x01, 0x02 };

		memset(&r, 0, sizeof(r));
		TEST_ERR(tnode_do(
		    f.port, &a, PROTO_PATH_EMERGENCY, junk, sizeof(junk), &r));
		code = tresp_code(&r, NULL);
		tresp_clear(&r);
		TEST_EQ(code, WERR_EMERG_INVALID);
	}
	n = 0;
	TEST_ERR(f.srv.be->emerg_list(f.srv.store, NULL, 1, 0, count_cb, &n));
	TEST_EQ(n, 1); /* still open: the refused cancel did nothing */
out:
	free(rec);
	fix_stop(&f);
	return err;
}

static int
test_roster(void)
{
	struct fix f;
	struct tnode a, b;
	struct tresp r;
	cbor_item_t *m = NULL, *ans = NULL;
	struct esc_roster *got = xcalloc(1, sizeof(*got));
	const uint8_t *p;
	uint8_t *body = NULL;
	size_t len, plen;
	uint64_t v = 0;
	char *cause = NULL;
	int err = 0;

	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f2", &b, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	m = cborx_map(0);
	TEST_ERR(cborx_encode(m, &body, &len));
	TEST_ERR(tnode_do(f.port, &a, PROTO_PATH_ROSTER, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &ans));
	TEST_ERR(cborx_map_uint(ans, ROSTER_K_VERSION, &v));
	TEST_EQ(v, 3);
	TEST_ERR(
	    cborx_map_bytes(ans, ROSTER_K_SIGNED, ESC_ROSTER_MAX, &p, &plen));
	/* what the kiosk checks: the server's key, not older, not expired */
	TEST_ERR(esc_roster_accept(
	    got, p, plen, f.srv.pub, (int64_t)(hlc_wall_ms() / 1000), &cause));
	TEST_EQ(got->version, 3);
	TEST_STR(got->services[0].sms[0], "+254711000001");
	cbor_decref(&ans);
	tresp_clear(&r);
	free(body);
	body = NULL;
	cbor_decref(&m);
	/* held: no roster bytes again */
	m = cborx_map(1);
	cborx_map_put(m, ROSTERREQ_K_HELD, cborx_uint(3));
	TEST_ERR(cborx_encode(m, &body, &len));
	TEST_ERR(tnode_do(f.port, &a, PROTO_PATH_ROSTER, body, len, &r));
	TEST_EQ(r.status, 200);
	TEST_ERR(cborx_decode(r.body, r.len, r.len, &ans));
	TEST_TRUE(cborx_map_get(ans, ROSTER_K_SIGNED) == NULL);
	tresp_clear(&r);
	/* another node has none */
	TEST_ERR(tnode_do(f.port, &b, PROTO_PATH_ROSTER, body, len, &r));
	TEST_EQ(tresp_code(&r, NULL), WERR_NO_ROSTER);
out:
	if (m != NULL)
		cbor_decref(&m);
	if (ans != NULL)
		cbor_decref(&ans);
	tresp_clear(&r);
	free(body);
	free(cause);
	free(got);
	fix_stop(&f);
	return err;
}

/* One incident of node N with MODEM and the kiosk's page PAGES, ticked
 * at SKEW ms; *SENT gateway sends of that tick. */
static int
tick_at(struct fix *f, int64_t skew, int *sent)
{
	clk.skew = skew;
	return emergency_tick(&f->srv, sent);
}

static int
test_ownership(void)
{
	static const struct kpage sent1[] = { { 1, 0, "amb1", "sent" } };
	static const struct kpage unk1[] = { { 1, 0, "amb1", "unknown" } };
	static const struct kpage fail1[] = { { 1, 0, "amb1", "failed" } };
	struct emerg_hooks h = { fake_now, NULL, NULL };
	struct gateway_cfg cfg;
	struct fix f;
	struct gw g;
	struct tnode a;
	struct uuid ok, none, unk, fail;
	struct pages *l = xcalloc(1, sizeof(*l));
	uint64_t code;
	int err = 0, sent = 0;
	char c_ok[8], c_none[8], c_unk[8], c_fail[8];

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	memset(&clk, 0, sizeof(clk));
	TEST_ERR(fix_start(&f));
	TEST_ERR(gw_start(&g, f.port, 0));
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	emergency_hooks(&f.srv, &h);
	gw_cfg(&g, &cfg);
	emergency_gateway(&f.srv, &cfg);
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	uuid_v7(&ok);
	uuid_v7(&none);
	uuid_v7(&unk);
	uuid_v7(&fail);
	esc_code(ok.b, c_ok);
	esc_code(none.b, c_none);
	esc_code(unk.b, c_unk);
	esc_code(fail.b, c_fail);
	/* the kiosk's modem sent level 1; no modem; unknown; failed */
	TEST_ERR(fast_path(
	    &f, &a, &ok, "paging", "ok", sent1, 1, &code, NULL, NULL, 0));
	TEST_ERR(fast_path(
	    &f, &a, &none, "paging", "none", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(fast_path(
	    &f, &a, &unk, "paging", "ok", unk1, 1, &code, NULL, NULL, 0));
	TEST_ERR(fast_path(
	    &f, &a, &fail, "paging", "ok", fail1, 1, &code, NULL, NULL, 0));
	TEST_ERR(tick_at(&f, 0, &sent));
	TEST_EQ(sent, 2); /* no modem, and the failed send */
	TEST_EQ(gw_sent(&g, c_ok), 0);
	TEST_EQ(gw_sent(&g, c_none), 1);
	TEST_EQ(gw_sent(&g, c_unk), 0);
	TEST_EQ(gw_sent(&g, c_fail), 1);
	TEST_ERR(f.srv.be->emerg_pages(f.srv.store, ok.b, NULL, page_cb, l));
	TEST_TRUE(page_of(l, "gateway", 1, 0, "amb1") != NULL);
	TEST_STR(page_of(l, "gateway", 1, 0, "amb1")->status, "left");
	/* unknown for 59 s: still the kiosk's; at 61 s the server's */
	TEST_ERR(tick_at(&f, 59000, &sent));
	TEST_EQ(sent, 0);
	TEST_ERR(tick_at(&f, 61000, &sent));
	TEST_EQ(sent, 1);
	TEST_EQ(gw_sent(&g, c_unk), 1);
	/* nobody paged twice: the kiosk's level-1 page of OK never went by
	 * gateway, and a tick more sends nothing */
	TEST_ERR(tick_at(&f, 62000, &sent));
	TEST_EQ(sent, 0);
	TEST_EQ(gw_sent(&g, c_ok), 0);
	/* level 2 of OK, which the kiosk has not reported: after the
	 * deadline, the server's after 60 s of silence */
	TEST_ERR(tick_at(&f, 301000, &sent));
	TEST_EQ(gw_sent(&g, c_ok), 0);
	TEST_ERR(tick_at(&f, 362000, &sent));
	TEST_EQ(gw_sent(&g, c_ok), 1);
out:
	free(l);
	gw_stop(&g);
	fix_stop(&f);
	return err;
}

static int
test_gateway(void)
{
	struct emerg_hooks h = { fake_now, NULL, NULL };
	struct gateway_cfg cfg;
	struct fix f;
	struct gw g;
	struct tnode a;
	struct uuid id;
	struct semerg *e = xcalloc(1, sizeof(*e));
	struct pages *l = xcalloc(1, sizeof(*l));
	struct emerg_interval *iv = NULL;
	size_t niv = 0;
	uint64_t code;
	char c[8], text[64], st[16];
	int err = 0, sent = 0;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	memset(&clk, 0, sizeof(clk));
	TEST_ERR(fix_start(&f));
	/* the gateway refuses the first send (5xx): recorded "failed" */
	TEST_ERR(gw_start(&g, f.port, 1));
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	emergency_hooks(&f.srv, &h);
	gw_cfg(&g, &cfg);
	emergency_gateway(&f.srv, &cfg);
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	uuid_v7(&id);
	esc_code(id.b, c);
	TEST_ERR(fast_path(
	    &f, &a, &id, "paging", "none", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(tick_at(&f, 0, &sent));
	TEST_EQ(sent, 1);
	TEST_EQ(gw_sent(&g, c), 0); /* refused */
	TEST_ERR(f.srv.be->emerg_pages(f.srv.store, id.b, NULL, page_cb, l));
	TEST_STR(page_of(l, "gateway", 1, 0, "amb1")->status, "failed");
	/* the callbacks need the secret */
	{
		struct tresp r;
		const char *b = "id=x&status=Success";

		memset(&r, 0, sizeof(r));
		TEST_ERR(http_do(f.port, "POST", "/v1/gateway/dlr?secret=no",
		    NULL, b, strlen(b), &r));
		TEST_EQ(tresp_code(&r, NULL), WERR_GATEWAY_AUTH);
		tresp_clear(&r);
	}
	/* a decline from the level-1 service: level 2 now */
	snprintf(text, sizeof(text), "%s+X", c);
	TEST_ERR(gw_inbound(&g, "+254711000001", text, "in-1"));
	TEST_ERR(gw_settle(&g));
	TEST_ERR(tick_at(&f, 1000, &sent));
	TEST_EQ(sent, 1);
	TEST_EQ(gw_sent(&g, c), 1);
	TEST_ERR(gw_settle(&g)); /* its reports: dup, out of order */
	l->n = 0;
	TEST_ERR(f.srv.be->emerg_pages(f.srv.store, id.b, NULL, page_cb, l));
	TEST_STR(page_of(l, "gateway", 1, 1, "amb2")->status, "delivered");
	TEST_ERR(f.srv.be->emerg_list(f.srv.store, id.b, 0, 0, get_cb, e));
	TEST_TRUE(e->first_send_ms > 0);
	TEST_TRUE(e->first_delivery_ms > 0);
	TEST_STR(e->state, "paging"); /* delivered is not a yes */
	/* a yes from a number not on the roster: shown, not counted */
	snprintf(text, sizeof(text), "%s+A+5", c);
	TEST_ERR(gw_inbound(&g, "+254799999999", text, "in-2"));
	TEST_ERR(gw_settle(&g));
	TEST_ERR(f.srv.be->emerg_list(f.srv.store, id.b, 0, 0, get_cb, e));
	TEST_STR(e->state, "paging");
	/* a yes from amb1's reply number (posted twice by the gateway) */
	snprintf(text, sizeof(text), "%s+a+10", c);
	TEST_ERR(gw_inbound(&g, "+254711000002", text, "in-3"));
	TEST_ERR(gw_settle(&g));
	TEST_ERR(f.srv.be->emerg_list(f.srv.store, id.b, 0, 0, get_cb, e));
	TEST_STR(e->state, "acknowledged");
	TEST_STR(e->acked_by, "amb1");
	TEST_EQ(e->eta_min, 10);
	/* the kiosk hears of it on its next fast path */
	TEST_ERR(fast_path(&f, &a, &id, "paging", "none", NULL, 0, &code, NULL,
	    st, sizeof(st)));
	TEST_STR(st, "acknowledged");
	/* and nothing more is paged, whatever the time */
	TEST_ERR(tick_at(&f, 700000, &sent));
	TEST_EQ(sent, 0);
	TEST_ERR(tick_at(&f, 4000000, &sent));
	TEST_EQ(sent, 0);
	TEST_EQ(gw_sent(&g, c), 1);
	/* item 3: amb2, paged by the gateway, was told to stand down, once;
	 * amb1 (its page failed; it said yes) was not */
	snprintf(text, sizeof(text), "+254711000002 CANCELLED %s: another", c);
	TEST_EQ(gw_sent(&g, text), 1);
	snprintf(text, sizeof(text), "CANCELLED %s", c);
	TEST_EQ(gw_sent(&g, text), 1);
	/* the dashboard's intervals */
	TEST_ERR(store_emergency_intervals(&f.srv, 0, &iv, &niv));
	TEST_EQ(niv, 1);
	TEST_STR(iv[0].code, c);
	TEST_TRUE(iv[0].to_first_send >= 0);
	TEST_TRUE(iv[0].to_first_delivery >= iv[0].to_first_send);
	TEST_TRUE(iv[0].to_ack >= 0);
	TEST_EQ(iv[0].to_arrival, -1);
out:
	free(iv);
	free(e);
	free(l);
	gw_stop(&g);
	fix_stop(&f);
	return err;
}

/* One escalation with kills: with EVERY > 0, the fault points numbered
 * PHASE, PHASE + EVERY, ... fail (a kill -9 just after that commit); the
 * next tick is the restart (the server keeps nothing in memory between
 * ticks).  Level 1 at t=0, level 2 at t=300 s, unresolved after.  Checks:
 * the incident is kept, every level paged, none more than twice.
 * *POINTS: fault points passed, *KILLS: kills made. */
static struct {
	int every, phase;
	unsigned seed; /* every < 0: each point killed with odds 1 in -every */
	int off; /* the restart that runs through */
} kills;

static int
fake_fault_every(void *arg, const char *point)
{
	(void)arg;
	(void)point;
	clk.calls++;
	if (kills.off)
		return 0;
	if (kills.every < 0) {
		if (rand_r(&kills.seed) % (unsigned)-kills.every != 0)
			return 0;
		clk.killed++;
		return 1;
	}
	if (kills.every == 0 || clk.calls < kills.phase ||
	    (clk.calls - kills.phase) % kills.every != 0)
		return 0;
	clk.killed++;
	return 1;
}

static int
crash_run(struct fix *f, const struct gw *g, struct tnode *a, int every,
    int phase, int *points, int *nkills, int *unsent)
{
	static const int64_t at[] = { 0, 1000, 301000, 302000, 601000 };
	struct pages *l = xcalloc(1, sizeof(*l));
	struct uuid id;
	char c[8], needle[48], rc[8];
	uint64_t code;
	size_t i;
	int err = 0, n, found = 0, rep, lv;

	uuid_v7(&id);
	esc_code(id.b, c);
	kills.every = every;
	kills.phase = phase; /* the seed runs on across escalations */
	clk.calls = 0;
	clk.killed = 0;
	TEST_ERR(fast_path(
	    f, a, &id, "paging", "none", NULL, 0, &code, NULL, NULL, 0));
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (rep = 0; rep < 4; rep++) {
			/* three tries that may be killed, then a restart
			 * that runs through (as a real one would, sooner or
			 * later) */
			kills.off = rep == 3;
			clk.skew = at[i] + rep;
			err = emergency_tick(&f->srv, NULL);
			if (err != 0 && err != ECANCELED)
				goto out;
			err = 0;
		}
	*points = clk.calls;
	*nkills = clk.killed;
	TEST_ERR(
	    f->srv.be->emerg_list(f->srv.store, id.b, 0, 0, count_cb, &found));
	TEST_EQ(found, 1); /* 0 lost incidents */
	/* amb1 is level 1 and amb2 level 2: each level fired (its page
	 * row), each page sent at most twice; sent never only when two
	 * kills hit that page's send window (claimed, killed, claimed
	 * again, killed again): then it is recorded "unknown" */
	l->n = 0;
	TEST_ERR(f->srv.be->emerg_pages(f->srv.store, id.b, NULL, page_cb, l));
	for (lv = 0; lv < 2; lv++) {
		const struct semerg_page *p;

		snprintf(rc, sizeof(rc), "amb%c", '1' + lv);
		if ((p = page_of(l, "gateway", 1, lv, rc)) == NULL)
			TEST_FAILED("every %d from %d: level %d skipped", every,
			    phase, lv + 1);
		snprintf(needle, sizeof(needle), "+25471100000%c EMERGENCY %s",
		    '1' + lv, c);
		n = gw_sent(g, needle);
		if (n == 0 && strcmp(p->status, "unknown") == 0 &&
		    p->attempt >= 2)
			(*unsent)++;
		else if (n < 1 || n > 2)
			TEST_FAILED("every %d from %d: level %d sent %d times"
			            " (%s)",
			    every, phase, lv + 1, n, p->status);
	}
	/* the CHW closes it (the next run's ticks leave it alone) */
	TEST_ERR(fast_path(
	    f, a, &id, "cancelled", "none", NULL, 0, &code, NULL, NULL, 0));
out:
	free(l);
	return err;
}

static int
test_crash(void)
{
	struct emerg_hooks h = { fake_now, fake_fault_every, NULL };
	struct gateway_cfg cfg;
	struct fix f;
	struct gw g;
	struct tnode a;
	const char *env = getenv("OUTPOST_EMERG_SRV_KILLS");
	long want = env ? strtol(env, NULL, 10) : 40, total = 0, runs = 0;
	int err = 0, points = 0, n = 0, every = 0, phase = 0, clean, unsent = 0;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	memset(&clk, 0, sizeof(clk));
	TEST_ERR(fix_start(&f));
	TEST_ERR(gw_start(&g, f.port, 0));
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	emergency_hooks(&f.srv, &h);
	gw_cfg(&g, &cfg);
	emergency_gateway(&f.srv, &cfg);
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	TEST_ERR(crash_run(&f, &g, &a, 0, 0, &clean, &n, &unsent));
	TEST_TRUE(clean > 4);
	/* every 2nd, 3rd... point from each phase; then (the full sweep)
	 * each point alone */
	for (every = 2; every <= 8 && total < want; every++)
		for (phase = 1; phase <= every && total < want; phase++) {
			TEST_ERR(crash_run(
			    &f, &g, &a, every, phase, &points, &n, &unsent));
			total += n;
			runs++;
		}
	for (phase = 1; phase <= clean && total < want; phase++, runs++) {
		TEST_ERR(
		    crash_run(&f, &g, &a, 1000, phase, &points, &n, &unsent));
		total += n;
	}
	/* then random interleavings: each point killed with odds 1 in 2 */
	kills.seed = 16;
	for (; total < want; runs++) {
		TEST_ERR(crash_run(&f, &g, &a, -2, 0, &points, &n, &unsent));
		total += n;
	}
	printf("  %ld kills at the timer's commit points in %ld escalations"
	       " (%d points each without a kill): 0 lost incidents, 0 skipped"
	       " levels, at most one duplicate per recipient per level; %d"
	       " page(s) never sent (two kills in one send window: recorded"
	       " unknown)\n",
	    total, runs, clean, unsent);
out:
	gw_stop(&g);
	fix_stop(&f);
	return err;
}

/* The stand-down's kill: the tick abandoned just after the gateway took
 * the text (a kill -9 before its result is recorded), once. */
static int stop_kills;

static int
kill_stop_sent(void *arg, const char *point)
{
	(void)arg;
	if (strcmp(point, "stop-sent") == 0 && stop_kills > 0) {
		stop_kills--;
		return 1;
	}
	return 0;
}

/*
 * Item 3: a cancel after the gateway paged: one "CANCELLED <CODE>:
 * cancelled by the health worker" to each paged recipient (one GSM-7
 * segment), once, however many ticks and replays of the cancel; a kill
 * right after the gateway took it sends it once more, never a third
 * time.
 */
static int
test_standdown(void)
{
	struct emerg_hooks h = { fake_now, kill_stop_sent, NULL };
	struct gateway_cfg cfg;
	struct fix f;
	struct gw g;
	struct tnode a;
	struct uuid id, id2;
	uint64_t code;
	char c[8], c2[8], text[96];
	int err = 0, sent = 0, i;

	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	memset(&clk, 0, sizeof(clk));
	TEST_ERR(fix_start(&f));
	TEST_ERR(gw_start(&g, f.port, 0));
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	emergency_hooks(&f.srv, &h);
	gw_cfg(&g, &cfg);
	emergency_gateway(&f.srv, &cfg);
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	uuid_v7(&id);
	uuid_v7(&id2);
	esc_code(id.b, c);
	esc_code(id2.b, c2);
	/* no modem: the gateway pages level 1 of both */
	TEST_ERR(fast_path(
	    &f, &a, &id, "paging", "none", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(fast_path(
	    &f, &a, &id2, "paging", "none", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(tick_at(&f, 0, &sent));
	TEST_EQ(sent, 2);
	/* the CHW cancels both (the fast path, then its replays) */
	for (i = 0; i < 3; i++) {
		TEST_ERR(fast_path(&f, &a, &id, "cancelled", "none", NULL, 0,
		    &code, NULL, NULL, 0));
		TEST_ERR(fast_path(&f, &a, &id2, "cancelled", "none", NULL, 0,
		    &code, NULL, NULL, 0));
	}
	stop_kills = 0;
	TEST_ERR(tick_at(&f, 1000, &sent));
	TEST_EQ(sent, 0); /* no page */
	snprintf(text, sizeof(text),
	    "+254711000001 CANCELLED %s: cancelled by the health worker", c);
	TEST_EQ(gw_sent(&g, text), 1);
	TEST_TRUE(esc_gsm7_septets(strchr(text, 'C')) <= ESC_SMS_MAX);
	for (i = 0; i < 3; i++)
		TEST_ERR(tick_at(&f, 2000 + i * 1000, &sent));
	TEST_EQ(gw_sent(&g, text), 1);
	TEST_EQ(gw_sent(&g, "CANCELLED"), 2); /* one for each incident */
	/* a third incident, its stand-down killed after the send */
	{
		struct uuid id3;
		char c3[8];

		uuid_v7(&id3);
		esc_code(id3.b, c3);
		TEST_ERR(fast_path(&f, &a, &id3, "paging", "none", NULL, 0,
		    &code, NULL, NULL, 0));
		TEST_ERR(tick_at(&f, 10000, &sent));
		TEST_EQ(sent, 1);
		TEST_ERR(fast_path(&f, &a, &id3, "cancelled", "none", NULL, 0,
		    &code, NULL, NULL, 0));
		stop_kills = 1;
		TEST_EQ(tick_at(&f, 11000, &sent), ECANCELED);
		snprintf(text, sizeof(text), "CANCELLED %s", c3);
		TEST_EQ(gw_sent(&g, text), 1);
		for (i = 0; i < 4; i++)
			TEST_ERR(tick_at(&f, 12000 + i * 1000, &sent));
		TEST_EQ(gw_sent(&g, text), 2); /* once more, no more */
	}
out:
	gw_stop(&g);
	fix_stop(&f);
	return err;
}

/* --- partners (CAP 1.2, FHIR R4) ----------------------------------------- */

struct fp {
	pid_t pid;
	unsigned port;
	char dir[64];
};

/* tests/tools/fakepartner (a MOCK dispatch partner) with ARGS. */
static int
fp_start(struct fp *p, const char *fail, const char *slow, const char *dup)
{
	char pf[128], prog[256], line[32];
	const char *build = getenv("OUTPOST_BUILD");
	FILE *fp;
	int i;

	snprintf(p->dir, sizeof(p->dir), "/tmp/outpost-fp.XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return errno;
	snprintf(pf, sizeof(pf), "%s/port", p->dir);
	snprintf(prog, sizeof(prog), "%s/tests/tools/fakepartner",
	    build ? build : "build");
	if ((p->pid = fork()) == 0) {
		execl(prog, "fakepartner", pf, p->dir, "--fail", fail, "--slow",
		    slow, "--dup", dup, "--secret", "partner-pw", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if ((fp = fopen(pf, "r")) != NULL) {
			if (fgets(line, sizeof(line), fp) != NULL &&
			    (p->port = (unsigned)strtoul(line, NULL, 10)) !=
			        0) {
				fclose(fp);
				return 0;
			}
			fclose(fp);
		}
		usleep(10000);
	}
	return ETIMEDOUT;
}

static void
fp_stop(struct fp *p)
{
	char cmd[128];

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	if (p->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", p->dir);
	}
}

static int
partner_add(struct fix *f, const char *region, const char *url,
    const char *format, const char *secret, uint64_t *id)
{
	struct spartner p;
	int err;

	memset(&p, 0, sizeof(p));
	snprintf(p.region, sizeof(p.region), "%s", region);
	snprintf(p.url, sizeof(p.url), "%s", url);
	snprintf(p.format, sizeof(p.format), "%s", format);
	snprintf(p.secret, sizeof(p.secret), "%s", secret);
	p.added_ms = hlc_wall_ms();
	err = f->srv.be->partner_add(f->srv.store, &p);
	if (id != NULL)
		*id = p.id;
	return err;
}

struct pq_seen {
	int n, pending;
	struct {
		uint64_t partner, seq;
		char status[12];
	} q[32];
};

static int
pq_cb(const struct spq *q, void *arg)
{
	struct pq_seen *x = arg;

	if (x->n < 32) {
		x->q[x->n].partner = q->partner;
		x->q[x->n].seq = q->seq;
		snprintf(x->q[x->n].status, 12, "%s", q->status);
	}
	x->n++;
	x->pending += strcmp(q->status, "pending") == 0;
	return 0;
}

/* How many messages of incident ID are queued for PARTNER with SEQ. */
static int
pq_has(struct fix *f, const struct uuid *id, uint64_t partner, uint64_t seq)
{
	struct pq_seen x;
	int i, n = 0;

	memset(&x, 0, sizeof(x));
	if (f->srv.be->pq_list(f->srv.store, id->b, 0, pq_cb, &x) != 0)
		return -1;
	for (i = 0; i < x.n && i < 32; i++)
		n += x.q[i].partner == partner && x.q[i].seq == seq;
	return n;
}

/* The status of ID's message SEQ to PARTNER into OUT ("" none). */
static void
pq_status(struct fix *f, const struct uuid *id, uint64_t partner, uint64_t seq,
    char out[12])
{
	struct pq_seen x;
	int i;

	memset(&x, 0, sizeof(x));
	out[0] = '\0';
	if (f->srv.be->pq_list(f->srv.store, id->b, 0, pq_cb, &x) != 0)
		return;
	for (i = 0; i < x.n && i < 32; i++)
		if (x.q[i].partner == partner && x.q[i].seq == seq)
			snprintf(out, 12, "%s", x.q[i].status);
}

static int
pq_pending(struct fix *f, const struct uuid *id)
{
	struct pq_seen x;

	memset(&x, 0, sizeof(x));
	if (f->srv.be->pq_list(f->srv.store, id->b, 0, pq_cb, &x) != 0)
		return -1;
	return x.pending;
}

static int
slurp(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	long n;

	*out = NULL;
	if (f == NULL)
		return errno;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = xcalloc(1, (size_t)n + 1);
	if (fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*out);
		*out = NULL;
		return EIO;
	}
	fclose(f);
	return 0;
}

/*
 * What the partner kept (its log: "K MESSAGE-ID STATUS"): every message
 * of WANT (N ids "<uuid>.<seq>") at least once in each of NFMT formats
 * (CAP first, then FHIR), the Alert first, the duplicates of one id
 * byte for byte the same, every CAP valid against the OASIS schema
 * (xmllint), every Update and Cancel referencing the Alert, every FHIR
 * Bundle a transaction of PUTs.  *DUPS: requests kept beyond one per id.
 */
static int
partner_check(const struct fp *p, const char *uuid, char want[][48], int n,
    int nfmt, int *dups)
{
	char path[160], *log = NULL, *line, *save = NULL, *body, *first[8][2];
	char mid[64], cmd[1400], cwd[1024];
	int k, status, i, j, seen[8][2], err = 0, order = 0;

	memset(first, 0, sizeof(first));
	memset(seen, 0, sizeof(seen));
	*dups = 0;
	{
		struct tresp r;

		memset(&r, 0, sizeof(r));
		if ((err = http_do(
		         p->port, "GET", "/control/log", NULL, NULL, 0, &r)))
			return err;
		log = xcalloc(1, r.len + 1);
		memcpy(log, r.body, r.len);
		tresp_clear(&r);
	}
	for (line = strtok_r(log, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%d %63s %d", &k, mid, &status) != 3)
			continue;
		if (status == 401 || status == 503)
			continue; /* not kept */
		for (i = 0; i < n; i++)
			if (strcmp(mid, want[i]) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "  unexpected message %s\n", mid);
			err = EPROTO;
			goto out;
		}
		if (order++ == 0 && i != 0) {
			fprintf(stderr, "  %s came before the Alert\n", mid);
			err = EPROTO;
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%d.xml", p->dir, k);
		j = 0;
		if (access(path, F_OK) != 0) {
			snprintf(path, sizeof(path), "%s/%d.json", p->dir, k);
			j = 1;
		}
		if ((err = slurp(path, &body)) != 0)
			goto out;
		if (seen[i][j]++ == 0) {
			first[i][j] = body;
			continue;
		}
		(*dups)++;
		if (strcmp(first[i][j], body) != 0) {
			fprintf(stderr, "  %s sent twice, not the same bytes\n",
			    mid);
			err = EPROTO;
		}
		free(body);
		if (err != 0)
			goto out;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < nfmt; j++) {
			char ref[80];

			if (seen[i][j] == 0) {
				fprintf(stderr, "  %s (%s) never arrived\n",
				    want[i], j ? "FHIR" : "CAP");
				err = EPROTO;
				goto out;
			}
			snprintf(ref, sizeof(ref), ",%s.1,", uuid);
			if (j == 0 && i > 0 &&
			    strstr(first[i][j], ref) == NULL) {
				fprintf(stderr,
				    "  %s: no reference to the Alert\n",
				    want[i]);
				err = EPROTO;
				goto out;
			}
			if (j == 1 &&
			    (strstr(first[i][j], "\"type\":\"transaction\"") ==
			            NULL ||
			        strstr(first[i][j], "\"method\":\"PUT\"") ==
			            NULL)) {
				fprintf(stderr,
				    "  %s: not a transaction of PUTs\n",
				    want[i]);
				err = EPROTO;
				goto out;
			}
		}
	/* every CAP document kept, against the OASIS schema */
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		err = errno;
		goto out;
	}
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && { ! ls *.xml >/dev/null 2>&1 || xmllint --noout "
	    "--schema '%s/tests/data/cap/CAP-v1.2.xsd' *.xml 2>/dev/null; }",
	    p->dir, cwd);
	if (system(cmd) != 0) {
		fprintf(stderr, "  a CAP document is not schema-valid\n");
		err = EPROTO;
	}
out:
	for (i = 0; i < 8; i++)
		for (j = 0; j < 2; j++)
			free(first[i][j]);
	free(log);
	return err;
}

/* Run admin_emergency(ARGV) in process with its stdout into PATH. */
static int
admin_to(struct fix *f, char **argv, int argc, const char *path)
{
	int fd, saved, rc;

	fflush(stdout);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	saved = dup(1);
	dup2(fd, 1);
	close(fd);
	rc = admin_emergency(f->dir, NULL, NULL, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

/*
 * Partners (CAP 1.2, FHIR R4): two of region north (CAP and FHIR, the
 * same MOCK endpoint), one of region south that hears nothing.  An
 * incident opens (Alert), moves to level 2 (Update), is acknowledged
 * (Update), cancelled (Cancel): each queued once whatever the ticks and
 * replays, none sent inside a request.  The partner fails the first 2
 * requests (503), answers the 3rd after the client's timeout and the 4th
 * with 500 though it kept it: every message arrives, in order, the
 * duplicates the same bytes, every CAP schema-valid.
 */
static int
test_partners(void)
{
	struct emerg_hooks h = { fake_now, NULL, NULL };
	struct fix f;
	struct fp p;
	struct tnode a;
	struct uuid id;
	uint64_t code, cap, fhir, south, now;
	char url[96], ids[UUID_STRLEN + 1], want[4][48];
	int err = 0, sent = 0, i, dups = 0, delivered = 0, total = 0;

	memset(&f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	memset(&clk, 0, sizeof(clk));
	TEST_ERR(fix_start(&f));
	TEST_ERR(fp_start(&p, "2", "1", "1"));
	partners_timeout_ms(700);
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	emergency_hooks(&f.srv, &h);
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/partner", p.port);
	TEST_ERR(partner_add(&f, "north", url, "cap", "partner-pw", &cap));
	TEST_ERR(partner_add(&f, "north", url, "fhir", "partner-pw", &fhir));
	TEST_EQ(partner_add(&f, "north", url, "cap", "", NULL), EEXIST);
	TEST_ERR(partner_add(&f, "south", url, "cap", "partner-pw", &south));
	uuid_v7(&id);
	uuid_format(&id, ids);
	/* opened: the Alert is queued by the request, not sent by it */
	TEST_ERR(fast_path(
	    &f, &a, &id, "paging", "ok", NULL, 0, &code, NULL, NULL, 0));
	TEST_EQ(code, 0);
	TEST_EQ(pq_has(&f, &id, cap, PARTNER_SEQ_ALERT), 1);
	TEST_EQ(pq_has(&f, &id, fhir, PARTNER_SEQ_ALERT), 1);
	TEST_EQ(pq_has(&f, &id, south, PARTNER_SEQ_ALERT), 0);
	TEST_EQ(pq_pending(&f, &id), 2);
	/* replays and ticks queue nothing more */
	for (i = 0; i < 3; i++)
		TEST_ERR(fast_path(&f, &a, &id, "paging", "ok", NULL, 0, &code,
		    NULL, NULL, 0));
	TEST_ERR(tick_at(&f, 0, &sent));
	TEST_ERR(tick_at(&f, 1000, &sent));
	TEST_EQ(pq_pending(&f, &id), 2);
	/* level 2 at its deadline: an Update */
	TEST_ERR(tick_at(&f, 301000, &sent));
	TEST_EQ(pq_has(&f, &id, cap, PARTNER_SEQ_LEVEL(1, 1)), 1);
	TEST_ERR(tick_at(&f, 302000, &sent));
	TEST_EQ(pq_pending(&f, &id), 4);
	/* the kiosk's CHW phoned and they are coming: acknowledged */
	TEST_ERR(fast_path(
	    &f, &a, &id, "acknowledged", "ok", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(tick_at(&f, 303000, &sent));
	TEST_EQ(pq_has(&f, &id, cap, PARTNER_SEQ_ACK), 1);
	/* then cancelled: a close is never ticked, the request queues it */
	TEST_ERR(fast_path(
	    &f, &a, &id, "cancelled", "ok", NULL, 0, &code, NULL, NULL, 0));
	TEST_EQ(pq_has(&f, &id, cap, PARTNER_SEQ_CANCEL), 1);
	TEST_EQ(pq_has(&f, &id, fhir, PARTNER_SEQ_CANCEL), 1);
	TEST_EQ(pq_pending(&f, &id), 8);
	/* the worker's passes, the clock past every backoff */
	now = hlc_wall_ms();
	for (i = 0; i < 40 && pq_pending(&f, &id) > 0; i++) {
		TEST_ERR(partners_deliver(&f.srv, now, &delivered));
		total += delivered;
		now += PARTNER_BACKOFF_MAX_MS;
	}
	TEST_EQ(pq_pending(&f, &id), 0);
	TEST_EQ(total, 8);
	snprintf(want[0], 48, "%s.%d", ids, PARTNER_SEQ_ALERT);
	snprintf(want[1], 48, "%s.%d", ids, (int)PARTNER_SEQ_LEVEL(1, 1));
	snprintf(want[2], 48, "%s.%d", ids, PARTNER_SEQ_ACK);
	snprintf(want[3], 48, "%s.%d", ids, PARTNER_SEQ_CANCEL);
	TEST_ERR(partner_check(&p, ids, want, 4, 2, &dups));
	TEST_TRUE(dups >= 2); /* the late 200 and the 500 */
	printf("  8 messages to 2 partners delivered, %d duplicates (the "
	       "same bytes)\n",
	    dups);
	/* nothing more, however many passes */
	TEST_ERR(partners_deliver(&f.srv, now, &delivered));
	TEST_EQ(delivered, 0);
	/* a partner configured with a secret its endpoint does not take:
	 * 401, refused for good (logged), not retried; the others get the
	 * next incident */
	{
		struct uuid id2;
		uint64_t bad;
		char st[12], url2[128];

		snprintf(url2, sizeof(url2), "%s?other", url);
		TEST_ERR(partner_add(&f, "north", url2, "cap", "wrong", &bad));
		uuid_v7(&id2);
		TEST_ERR(fast_path(&f, &a, &id2, "paging", "ok", NULL, 0, &code,
		    NULL, NULL, 0));
		TEST_EQ(pq_pending(&f, &id2), 3);
		for (i = 0; i < 5 && pq_pending(&f, &id2) > 0; i++) {
			TEST_ERR(partners_deliver(&f.srv, now, &delivered));
			now += PARTNER_BACKOFF_MAX_MS;
		}
		TEST_EQ(pq_pending(&f, &id2), 0);
		pq_status(&f, &id2, bad, PARTNER_SEQ_ALERT, st);
		TEST_STR(st, "refused");
		pq_status(&f, &id2, cap, PARTNER_SEQ_ALERT, st);
		TEST_STR(st, "delivered");
	}
	/* the administrator's commands */
	if (getenv("OUTPOST_TEST_PG") == NULL) {
		char c6[8], path[128], cmd[2048], cwd[512];
		char *cap_argv[] = { "emergency", "cap", c6, NULL, NULL };
		char *bad_argv[] = { "emergency", "cap", "ZZZZZZ" };
		char *add_argv[] = { "partner", "add", "north", "ftp://x",
			"--format", "cap" };
		char *fmt_argv[] = { "partner", "add", "north", url, "--format",
			"xml" };

		esc_code(id.b, c6);
		snprintf(path, sizeof(path), "%s/admin-cap.xml", p.dir);
		TEST_EQ(admin_to(&f, cap_argv, 3, path), 0);
		TEST_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
		snprintf(cmd, sizeof(cmd),
		    "grep -q '<msgType>Alert</msgType>' '%s' && grep -q "
		    "'<identifier>%s.1</identifier>' '%s' && xmllint --noout "
		    "--schema '%s/tests/data/cap/CAP-v1.2.xsd' '%s' "
		    "2>/dev/null",
		    path, ids, path, cwd, path);
		TEST_EQ(system(cmd), 0);
		cap_argv[2] = ids;
		cap_argv[3] = "--seq";
		cap_argv[4] = "9003";
		TEST_EQ(admin_to(&f, cap_argv, 5, path), 0);
		snprintf(cmd, sizeof(cmd),
		    "grep -q '<msgType>Cancel</msgType>' '%s' && xmllint "
		    "--noout --schema '%s/tests/data/cap/CAP-v1.2.xsd' '%s' "
		    "2>/dev/null",
		    path, cwd, path);
		TEST_EQ(system(cmd), 0);
		TEST_EQ(admin_to(&f, bad_argv, 3, path), 1);
		TEST_EQ(admin_partner(f.srv.be, f.srv.store, 6, add_argv), 1);
		TEST_EQ(admin_partner(f.srv.be, f.srv.store, 6, fmt_argv), 2);
	}
out:
	partners_timeout_ms(0);
	fp_stop(&p);
	fix_stop(&f);
	return err;
}

/*
 * Durable across a restart: a message the partner refused for now (503)
 * stays queued through a server restart and is delivered by the
 * restarted server's own worker thread (no test call), once.  SQLite
 * only (the fixture's PostgreSQL database is made per open).
 */
static int
test_partner_restart(void)
{
	struct fix f;
	struct fp p;
	struct tnode a;
	struct uuid id;
	uint64_t code, cap;
	char url[96], ids[UUID_STRLEN + 1], want[1][48];
	int err = 0, delivered = 0, dups = 0, i;

	memset(&f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	if (getenv("OUTPOST_TEST_PG") != NULL) {
		printf("  skipped on PostgreSQL (the fixture cannot reopen)\n");
		return 0;
	}
	TEST_ERR(fix_start(&f));
	TEST_ERR(fp_start(&p, "1", "0", "0"));
	TEST_ERR(emergency_start(&f.srv, UINT32_MAX));
	TEST_ERR(fix_node_as(&f, "north", "clinic", "f1", &a, NULL));
	TEST_ERR(roster_keep(&f, a.id, 300));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/partner", p.port);
	TEST_ERR(partner_add(&f, "north", url, "cap", "partner-pw", &cap));
	uuid_v7(&id);
	uuid_format(&id, ids);
	TEST_ERR(fast_path(
	    &f, &a, &id, "paging", "ok", NULL, 0, &code, NULL, NULL, 0));
	TEST_ERR(partners_deliver(&f.srv, hlc_wall_ms(), &delivered));
	TEST_EQ(delivered, 0); /* 503 */
	TEST_EQ(pq_pending(&f, &id), 1);
	/* the server stops and starts again; its worker delivers (the
	 * backoff's 5 s after the refusal) */
	emergency_stop(&f.srv);
	httpd_stop(&f.srv);
	server_close(&f.srv);
	TEST_ERR(server_open(&f.srv, f.dir));
	TEST_ERR(emergency_start(&f.srv, 100));
	for (i = 0; i < 150 && pq_pending(&f, &id) != 0; i++)
		usleep(100000);
	TEST_EQ(pq_pending(&f, &id), 0);
	TEST_EQ(pq_has(&f, &id, cap, PARTNER_SEQ_ALERT), 1);
	snprintf(want[0], 48, "%s.%d", ids, PARTNER_SEQ_ALERT);
	TEST_ERR(partner_check(&p, ids, want, 1, 1, &dups));
	TEST_EQ(dups, 0);
	printf("  delivered %d ms after the restart\n", i * 100);
out:
	fp_stop(&p);
	emergency_stop(&f.srv);
	server_close(&f.srv);
	if (f.dir[0] != '\0') {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", f.dir);
	}
	return err;
}

int
main(int argc, char **argv)
{
	static const struct test tests[] = {
		{ "once", test_once },
		{ "roster", test_roster },
		{ "ownership", test_ownership },
		{ "gateway", test_gateway },
		{ "crash", test_crash },
		{ "standdown", test_standdown },
		{ "partners", test_partners },
		{ "partner_restart", test_partner_restart },
	};

	signal(SIGPIPE, SIG_IGN);
	return test_run(tests, nitems(tests), argc, argv);
}
