/*
 * The claim builder (sync-server/claim_build.c; issue 15, criteria 1 and
 * 2) on a real SQLite server store, in process:
 *
 *   replay   OUTPOST_CLAIM_CONSULTS (12) consults, one in four with a
 *            call shorter than the payer's minimum; every change of their
 *            evidence (visit, appointment check-in, four consult changes,
 *            both parties' call records) sent OUTPOST_CLAIM_REPLAYS (8)
 *            times, shuffled (duplicated, reordered, interleaved), pushed
 *            in batches cut at OUTPOST_CLAIM_CUTS (20) offsets (the cut
 *            batch's prefix arrives, then the whole batch again) and
 *            with OUTPOST_CLAIM_KILLS (40) kill points: the Nth claim
 *            store commit fails, before or after it is durable (a
 *            SIGKILL before the commit, or before the answer), and the
 *            batch is sent again.  Exactly one claim per eligible
 *            consult and payer, with its stable business id; none and a
 *            too_short reason for the others; the same after
 *            `admin claims --build` and after reopening the store.
 *   day      a generated day of OUTPOST_CLAIM_DAY (200; criterion 2:
 *            1000, by hand) booked
 *            appointments with criterion 2's mix (25 % no-shows, 5 %
 *            cancelled, 5 % failed calls: one leg never up or connected
 *            under the minimum, 3 % unsigned notes, the rest seen): 0
 *            claims for any of the first four, each with its no-bill
 *            reason (100 %), one claim for each seen visit
 *   holds    anomalies hold a claim instead of dropping it: the
 *            clinician in two overlapping calls, a licence that lapsed
 *            between consult start and signing, a node clock in the
 *            future, one change re-sent with another body; no licence at
 *            all is a no-bill `licence`; a change the store refused is no
 *            evidence; coverage recorded later turns a `coverage` no-bill
 *            into a claim
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cborx.h"
#include "clock.h"
#include "licence.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "sync-server/claim_build.h"
#include "sync-server/store/backend.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

#define MIN_S 300

/* --- the faulting store: the Nth claim commit fails ---------------------- */

static const struct store_backend *real;
static int fault_countdown = -1; /* <0: never */
static int fault_after; /* fail after the real commit */
static unsigned long faults;

static int
fault_hit(void)
{
	if (fault_countdown < 0)
		return 0;
	if (fault_countdown-- > 0)
		return 0;
	faults++;
	return 1;
}

/* Whether this call is the one to fail, and how. */
static int
f_gate(int *after)
{
	*after = 0;
	if (!fault_hit())
		return 0;
	*after = fault_after;
	return 1;
}

static int
f_ev_put2(struct sstore *s, const struct sclaim_ev *e, size_t n, int *mismatch)
{
	int after, err;

	if (!f_gate(&after))
		return real->claim_ev_put(s, e, n, mismatch);
	if (!after)
		return EIO;
	err = real->claim_ev_put(s, e, n, mismatch);
	return err != 0 ? err : EIO;
}

static int
f_claim_put(struct sstore *s, const struct sclaim *c, int *created)
{
	int after, err;

	if (!f_gate(&after))
		return real->claim_put(s, c, created);
	if (!after)
		return EIO;
	err = real->claim_put(s, c, created);
	return err != 0 ? err : EIO;
}

static int
f_nobill(struct sstore *s, const struct snobill *n)
{
	int after, err;

	if (!f_gate(&after))
		return real->claim_nobill(s, n);
	if (!after)
		return EIO;
	err = real->claim_nobill(s, n);
	return err != 0 ? err : EIO;
}

static struct store_backend faulty;

/* --- the world ----------------------------------------------------------- */

struct world {
	char dir[64];
	struct sstore *st;
	struct snode clinic, hub;
	struct claim_ctx c;
	uint64_t hlc;
};

static int
mk_node(struct world *w, uint8_t tag, const char *role, struct snode *out)
{
	struct stoken t;
	uint8_t pub[32];
	int err;

	memset(&t, 0, sizeof(t));
	memset(t.hash, tag, sizeof(t.hash));
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.region, sizeof(t.region), "r1");
	snprintf(t.facility, sizeof(t.facility), "fac%u", tag);
	t.expires_ms = w->c.now_ms + 3600000;
	if ((err = real->token_add(w->st, &t)) != 0)
		return err;
	memset(pub, tag, sizeof(pub));
	return real->enroll(w->st, t.hash, pub, role, w->c.now_ms, out);
}

static int
world_open(struct world *w)
{
	struct claim_payer p;
	const char *cause;
	int err;

	memset(w, 0, sizeof(*w));
	log_init(NULL, LOG_LEVEL_WARN);
	real = &store_sqlite_backend;
	faulty = *real;
	faulty.claim_ev_put = f_ev_put2;
	faulty.claim_put = f_claim_put;
	faulty.claim_nobill = f_nobill;
	fault_countdown = -1;
	/* in memory when there is a tmpfs: this tests the decisions and
	 * kill points in process, not the disk (each commit is durable on
	 * a real one: test_backend, e2e) */
	snprintf(w->dir, sizeof(w->dir), "%s/outpost-claims.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(w->dir) == NULL)
		return errno;
	if ((err = real->open(w->dir, NULL, &w->st)) != 0)
		return err;
	w->c.be = &faulty;
	w->c.st = w->st;
	w->c.now_ms = clock_wall_ms();
	w->hlc = w->c.now_ms << 16;
	if ((err = mk_node(w, 1, "clinic", &w->clinic)) != 0 ||
	    (err = mk_node(w, 2, "hub", &w->hub)) != 0)
		return err;
	if ((err = claim_payer_parse("NHIF",
	         "name=NHIF min=300 presence=any freq=1 video=TV01:50000"
	         " voice=TA01:30000 store-forward=TS01:20000",
	         &p, &cause)) != 0)
		return err;
	return claim_payer_put(&w->c, &p);
}

static void
world_close(struct world *w)
{
	char cmd[96];

	fault_countdown = -1;
	if (w->st != NULL)
		real->close(w->st);
	w->st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
	if (w->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", w->dir);
}

/* One change of the evidence stream. */
struct ev {
	int entity;
	uint8_t id[16];
	uint64_t hlc;
	uint8_t *body;
	size_t len;
	int hub; /* pushed by the hub node */
};

struct stream {
	struct ev *v;
	size_t n;
};

static void
stream_add(struct stream *s, struct world *w, struct model_rec *r,
    const uint8_t id[16], int hub)
{
	cbor_item_t *m = NULL;
	struct ev *e;

	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->entity = r->e->entity;
	memcpy(e->id, id, 16);
	e->hlc = ++w->hlc;
	e->hub = hub;
	if (model_encode(r, &m) != 0 || cborx_encode(m, &e->body, &e->len))
		fatalx("test: encode");
	cbor_decref(&m);
	model_rec_clear(r);
}

static void
stream_free(struct stream *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].body);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
id_of(uint8_t kind, unsigned k, uint8_t out[16], char text[UUID_STRLEN + 1])
{
	struct uuid u;

	memset(u.b, 0, 16);
	u.b[0] = kind;
	u.b[6] = 0x70; /* version 7 */
	u.b[8] = 0x80;
	u.b[12] = (uint8_t)(k >> 24);
	u.b[13] = (uint8_t)(k >> 16);
	u.b[14] = (uint8_t)(k >> 8);
	u.b[15] = (uint8_t)k;
	memcpy(out, u.b, 16);
	if (text != NULL)
		uuid_format(&u, text);
}

enum ckind {
	C_GOOD,
	C_SHORT, /* connected under the payer's minimum */
	C_ONELEG, /* the clinician's leg never came up */
	C_UNSIGNED, /* closed without a signed note */
	C_NONE, /* no consult at all (no-show, cancelled) */
};

struct visit {
	unsigned k;
	enum ckind kind;
	uint8_t patient[16], consult[16], appt[16], enc[16];
	char pat_s[UUID_STRLEN + 1], enc_s[UUID_STRLEN + 1];
	char con_s[UUID_STRLEN + 1];
	uint64_t start; /* slot start */
	char clinician[16], regno[16];
	uint64_t slot;
	int booked;
};

static void
visit_init(struct visit *v, unsigned k, enum ckind kind, uint64_t start,
    unsigned clinician)
{
	memset(v, 0, sizeof(*v));
	v->k = k;
	v->kind = kind;
	id_of(0x01, k, v->patient, v->pat_s);
	id_of(0x02, k, v->consult, v->con_s);
	id_of(0x03, k, v->appt, NULL);
	id_of(0x04, k, v->enc, v->enc_s);
	v->start = start;
	snprintf(v->clinician, sizeof(v->clinician), "dr-%u", clinician);
	snprintf(v->regno, sizeof(v->regno), "REG-%u", clinician);
}

static void
appt_ev(struct stream *s, struct world *w, const struct visit *v,
    const char *status, uint64_t checkin)
{
	struct model_rec r;

	model_rec_init(&r, model_entity(REC_APPOINTMENT), NULL, 0, NULL);
	model_set_text(&r, REC_APPT_PATIENT, v->pat_s);
	model_set_uint(&r, REC_APPT_SLOT, v->slot);
	model_set_uint(&r, REC_APPT_START, v->start);
	model_set_uint(&r, REC_APPT_END, v->start + 600000);
	model_set_text(&r, REC_APPT_CLINICIAN, v->clinician);
	model_set_text(&r, REC_APPT_STATUS, status);
	if (checkin) {
		model_set_uint(&r, REC_APPT_CHECKIN_MS, checkin);
		model_set_text(&r, REC_APPT_CHECKIN_BY, "chw");
	}
	stream_add(s, w, &r, v->appt, 0);
}

static void
call_ev(struct stream *s, struct world *w, const struct visit *v, unsigned n,
    uint64_t est, uint64_t dur_ms, int hub)
{
	struct model_rec r;
	uint8_t id[16];

	id_of((uint8_t)(0x05 + n), v->k, id, NULL);
	model_rec_init(&r, model_entity(REC_CALL), NULL, 0, NULL);
	model_set_text(&r, REC_CALL_CONSULT, v->con_s);
	model_set_text(&r, REC_CALL_SIP_ID, "sip-1");
	model_set_uint(&r, REC_CALL_ESTABLISHED, est);
	model_set_uint(&r, REC_CALL_ENDED, est + dur_ms);
	model_set_uint(&r, REC_CALL_CONNECTED_MS, dur_ms);
	model_set_text(&r, REC_CALL_END, "local");
	stream_add(s, w, &r, id, hub);
}

/* The evidence of a visit that happened (a check-in, a consult with
 * calls and a note as KIND says), SIGNED_AT 0: T + 9 min. */
static void
visit_evidence(struct stream *s, struct world *w, const struct visit *v,
    uint64_t signed_at)
{
	struct model_rec r;
	uint8_t sig[64], key[32];
	uint64_t t = v->start, est = t + 180000;
	uint64_t dur = v->kind == C_SHORT ? 120000 : 360000;

	memset(sig, 0x5a, sizeof(sig));
	memset(key, 0x6b, sizeof(key));
	appt_ev(s, w, v, "checked-in", t + 10000);
	model_rec_init(&r, model_entity(REC_ENCOUNTER), NULL, 0, NULL);
	model_set_text(&r, REC_ENC_PATIENT, v->pat_s);
	model_set_uint(&r, REC_ENC_STARTED, t + 20000);
	model_set_text(&r, REC_ENC_STATUS, "open");
	stream_add(s, w, &r, v->enc, 0);
	model_rec_init(&r, model_entity(REC_CONSULT), NULL, 0, NULL);
	model_set_text(&r, REC_CONSULT_PATIENT, v->pat_s);
	model_set_text(&r, REC_CONSULT_ENCOUNTER, v->enc_s);
	model_set_text(&r, REC_CONSULT_REASON, "cough");
	model_set_uint(&r, REC_CONSULT_URGENCY, 1);
	model_set_text(&r, REC_CONSULT_MODE, "video");
	model_set_text(&r, REC_CONSULT_STATE, "requested");
	model_set_uint(&r, REC_CONSULT_REQUESTED, t + 60000);
	stream_add(s, w, &r, v->consult, 0);
	model_rec_init(&r, model_entity(REC_CONSULT), NULL, 0, NULL);
	model_set_text(&r, REC_CONSULT_STATE, "accepted");
	model_set_text(&r, REC_CONSULT_CLINICIAN, v->clinician);
	model_set_uint(&r, REC_CONSULT_ACCEPTED, t + 120000);
	model_set_text(&r, REC_CONSULT_REGNO, v->regno);
	stream_add(s, w, &r, v->consult, 1);
	call_ev(s, w, v, 0, est, dur, 0);
	if (v->kind != C_ONELEG)
		call_ev(s, w, v, 1, est + 500, dur - 500, 1);
	model_rec_init(&r, model_entity(REC_CONSULT), NULL, 0, NULL);
	if (v->kind != C_UNSIGNED) {
		model_set_text(&r, REC_CONSULT_STATE, "signed");
		model_set_uint(
		    &r, REC_CONSULT_SIGNED, signed_at ? signed_at : t + 540000);
		model_set_bytes(&r, REC_CONSULT_SIG, sig, sizeof(sig));
		model_set_bytes(&r, REC_CONSULT_SIGNKEY, key, sizeof(key));
		model_set_text(&r, REC_CONSULT_REGNO, v->regno);
		model_set_text(&r, REC_CONSULT_ASSESSMENT, "viral");
	} else
		model_set_text(&r, REC_CONSULT_STATE, "call");
	stream_add(s, w, &r, v->consult, 1);
	model_rec_init(&r, model_entity(REC_CONSULT), NULL, 0, NULL);
	model_set_text(&r, REC_CONSULT_STATE, "closed");
	stream_add(s, w, &r, v->consult, 0);
}

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long
env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	unsigned long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoul(v, NULL, 10);
	return n > 0 ? n : def;
}

/* Push changes [A, B) of S as the store would have accepted them: runs
 * of one node's changes, each a claim_pushed call. */
static int
push_range(struct world *w, const struct stream *s, const size_t *order,
    size_t a, size_t b)
{
	struct schange *ch;
	size_t i, j, n;
	int err = 0;

	ch = xcalloc(b - a + 1, sizeof(*ch));
	for (i = a; i < b && err == 0; i = j) {
		int hub = s->v[order[i]].hub;

		for (j = i, n = 0; j < b && s->v[order[j]].hub == hub;
		     j++, n++) {
			const struct ev *e = &s->v[order[j]];

			memset(&ch[n], 0, sizeof(ch[n]));
			ch[n].seq = j + 1;
			ch[n].entity = e->entity;
			memcpy(ch[n].id, e->id, 16);
			ch[n].hlc = e->hlc;
			ch[n].body = e->body;
			ch[n].len = e->len;
		}
		err = claim_pushed(
		    &w->c, hub ? &w->hub : &w->clinic, ch, n, NULL);
	}
	free(ch);
	return err;
}

/* --- checks --------------------------------------------------------------- */

struct tally {
	struct sclaim *claims;
	size_t nclaims;
	struct snobill *nb;
	size_t nnb;
};

static void
tally_claim(const struct sclaim *c, void *arg)
{
	struct tally *t = arg;

	t->claims = xreallocarray(t->claims, t->nclaims + 1, sizeof(*c));
	t->claims[t->nclaims++] = *c;
}

static void
tally_nb(const struct snobill *n, void *arg)
{
	struct tally *t = arg;

	t->nb = xreallocarray(t->nb, t->nnb + 1, sizeof(*n));
	t->nb[t->nnb++] = *n;
}

static int
tally_read(struct world *w, struct tally *t)
{
	struct sclaimq q = { 0 };
	int err;

	free(t->claims);
	free(t->nb);
	memset(t, 0, sizeof(*t));
	if ((err = real->claims_list(w->st, &q, tally_claim, t)) != 0)
		return err;
	return real->nobill_list(w->st, tally_nb, t);
}

static size_t
claims_of(const struct tally *t, const uint8_t subject[16])
{
	size_t i, n = 0;

	for (i = 0; i < t->nclaims; i++)
		n += memcmp(t->claims[i].subject, subject, 16) == 0;
	return n;
}

static const struct sclaim *
claim_of(const struct tally *t, const uint8_t subject[16])
{
	size_t i;

	for (i = 0; i < t->nclaims; i++)
		if (memcmp(t->claims[i].subject, subject, 16) == 0)
			return &t->claims[i];
	return NULL;
}

static const char *
reason_of(const struct tally *t, const uint8_t subject[16])
{
	size_t i;

	for (i = 0; i < t->nnb; i++)
		if (memcmp(t->nb[i].subject, subject, 16) == 0)
			return t->nb[i].reason;
	return NULL;
}

static void
tally_free(struct tally *t)
{
	free(t->claims);
	free(t->nb);
	memset(t, 0, sizeof(*t));
}

/* Exactly one claim per eligible visit of V (with its business id and
 * appointment), none and a reason for the others. */
static int
check_replay(struct world *w, const struct visit *v, size_t n)
{
	struct tally t = { 0 };
	const struct sclaim *c;
	char bid[CLAIM_TEXT_MAX];
	size_t i, eligible = 0;
	const char *why;
	int err = 0;

	TEST_ERR(tally_read(w, &t));
	for (i = 0; i < n; i++) {
		if (v[i].kind == C_GOOD) {
			eligible++;
			if (claims_of(&t, v[i].consult) != 1)
				TEST_FAILED("consult %u: %zu claims", v[i].k,
				    claims_of(&t, v[i].consult));
			c = claim_of(&t, v[i].consult);
			claim_business_id(v[i].consult, "NHIF", bid);
			TEST_STR(c->business_id, bid);
			/* its appointment, when that had arrived first */
			TEST_TRUE(!c->has_appt ||
			    memcmp(c->appt, v[i].appt, 16) == 0);
			TEST_STR(c->status, "ready");
			TEST_EQ(c->price, 50000);
			TEST_TRUE(reason_of(&t, v[i].consult) == NULL);
			TEST_TRUE(reason_of(&t, v[i].appt) == NULL);
			continue;
		}
		TEST_EQ(claims_of(&t, v[i].consult), 0);
		why = reason_of(&t, v[i].consult);
		if (why == NULL || strcmp(why, "too_short") != 0)
			TEST_FAILED("consult %u: reason %s", v[i].k,
			    why ? why : "(none)");
	}
	TEST_EQ(t.nclaims, eligible);
out:
	tally_free(&t);
	return err;
}

static int
test_replay(void)
{
	struct world w;
	struct stream s = { 0 };
	struct visit *v = NULL;
	size_t *order = NULL, *cuts = NULL, n, i, j, total, a, b, x;
	unsigned long consults = env_ul("OUTPOST_CLAIM_CONSULTS", 12);
	unsigned long replays = env_ul("OUTPOST_CLAIM_REPLAYS", 8);
	unsigned long ncuts = env_ul("OUTPOST_CLAIM_CUTS", 20);
	unsigned long kills = env_ul("OUTPOST_CLAIM_KILLS", 40);
	unsigned long resent = 0, cut_done = 0;
	uint64_t base;
	int err = 0, rc;

	TEST_ERR(world_open(&w));
	base = w.c.now_ms - 2 * 86400000ULL;
	v = xcalloc(consults, sizeof(*v));
	for (i = 0; i < consults; i++) {
		visit_init(&v[i], (unsigned)i, i % 4 == 3 ? C_SHORT : C_GOOD,
		    base + i * 600000, (unsigned)(i % 20));
		TEST_ERR(claim_coverage_add(
		    &w.c, v[i].patient, "NHIF", "M-1", 0, 0));
		visit_evidence(&s, &w, &v[i], 0);
	}
	n = s.n;
	total = n * replays;
	order = xcalloc(total, sizeof(*order));
	for (i = 0; i < total; i++)
		order[i] = i % n;
	for (i = total - 1; i > 0; i--) { /* Fisher-Yates */
		j = (size_t)(rnd() % (i + 1));
		x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	/* batch boundaries at NCUTS offsets */
	cuts = xcalloc(ncuts + 2, sizeof(*cuts));
	for (i = 0; i < ncuts; i++)
		cuts[i] = (size_t)(rnd() % total);
	cuts[ncuts] = 0;
	cuts[ncuts + 1] = total;
	for (i = 1; i < ncuts + 2; i++) /* insertion sort */
		for (j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			x = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = x;
		}
	faults = 0;
	for (i = 0; i + 1 < ncuts + 2; i++) {
		a = cuts[i];
		b = cuts[i + 1];
		if (a == b)
			continue;
		/* the cut: the batch's prefix arrives, the node sends the
		 * whole batch again */
		x = a + (size_t)(rnd() % (b - a));
		if (x > a) {
			TEST_ERR(push_range(&w, &s, order, a, x));
			cut_done++;
		}
		for (;;) {
			if (faults < kills && fault_countdown < 0) {
				fault_countdown = (int)(rnd() % 12);
				fault_after = (int)(rnd() % 2);
			}
			rc = push_range(&w, &s, order, a, b);
			if (rc == 0)
				break;
			TEST_EQ(rc, EIO); /* a kill point: send it again */
			resent++;
		}
	}
	/* the rest of the kill points on whole re-sends of everything */
	while (faults < kills) {
		fault_countdown = (int)(rnd() % 40);
		fault_after = (int)(rnd() % 2);
		while ((rc = push_range(&w, &s, order, 0, n)) != 0) {
			TEST_EQ(rc, EIO);
			resent++;
		}
	}
	fault_countdown = -1;
	printf("# %lu consults x %lu copies of %zu changes, %lu cut batches,"
	       " %lu kill points, %lu batches sent again\n",
	    consults, replays, n, cut_done, faults, resent);
	TEST_TRUE(faults >= kills);
	TEST_ERR(check_replay(&w, v, consults));
	/* the timer's rebuild, then a restart: the same */
	TEST_ERR(claim_build_all(&w.c, &a));
	TEST_ERR(check_replay(&w, v, consults));
	real->close(w.st);
	TEST_ERR(real->open(w.dir, NULL, &w.st));
	w.c.st = w.st;
	TEST_ERR(push_range(&w, &s, order, 0, total < 200 ? total : 200));
	TEST_ERR(check_replay(&w, v, consults));
out:
	free(cuts);
	free(order);
	free(v);
	stream_free(&s);
	world_close(&w);
	return err;
}

/* --- criterion 2: a day ---------------------------------------------------- */

enum dkind { D_SEEN, D_NOSHOW, D_CANCELLED, D_FAILED, D_UNSIGNED };

static int
test_day(void)
{
	struct world w;
	struct stream s = { 0 };
	struct visit *v = NULL;
	enum dkind *kind = NULL;
	struct ssched sc;
	struct shours h = { 0, 0, 1440, 10 };
	struct sslot *slots = NULL;
	struct sbook bk;
	struct sbook_result br;
	struct tally t = { 0 };
	size_t *order = NULL, i, j, x, nslots = 0, per = 50;
	unsigned long n = env_ul("OUTPOST_CLAIM_DAY", 200);
	unsigned long cnt[5] = { 0 }, reasons = 0;
	uint64_t day, sched, added, changed, ncl;
	const char *why;
	int err = 0;

	TEST_ERR(world_open(&w));
	day = (w.c.now_ms / 86400000ULL - 2) * 86400000ULL;
	v = xcalloc(n, sizeof(*v));
	kind = xcalloc(n, sizeof(*kind));
	/* the mix of criterion 2, shuffled over the day */
	for (i = 0; i < n; i++) {
		x = i * 100 / n;
		kind[i] = x < 25 ? D_NOSHOW
		    : x < 30     ? D_CANCELLED
		    : x < 35     ? D_FAILED
		    : x < 38     ? D_UNSIGNED
		                 : D_SEEN;
	}
	for (i = n - 1; i > 0; i--) {
		j = (size_t)(rnd() % (i + 1));
		x = kind[i];
		kind[i] = kind[j];
		kind[j] = (enum dkind)x;
	}
	for (i = 0; i < n; i++) {
		enum ckind ck = kind[i] == D_SEEN ? C_GOOD
		    : kind[i] == D_UNSIGNED       ? C_UNSIGNED
		    : kind[i] == D_FAILED         ? (i % 2 ? C_SHORT : C_ONELEG)
		                                  : C_NONE;

		if (i % per == 0) {
			/* a clinician's schedule: 50 ten-minute slots */
			memset(&sc, 0, sizeof(sc));
			snprintf(sc.clinician, sizeof(sc.clinician), "dr-%u",
			    (unsigned)(i / per));
			snprintf(sc.facility, sizeof(sc.facility), "fac1");
			snprintf(sc.region, sizeof(sc.region), "r1");
			snprintf(sc.tz, sizeof(sc.tz), "UTC");
			snprintf(sc.service, sizeof(sc.service), "gp");
			TEST_ERR(real->sched_define(w.st, &sc, &h, 1, &sched));
			free(slots);
			slots = xcalloc(per, sizeof(*slots));
			for (j = 0; j < per; j++) {
				slots[j].start_ms =
				    day + 8 * 3600000ULL + j * 600000;
				slots[j].end_ms = slots[j].start_ms + 600000;
			}
			TEST_ERR(
			    real->slots_add(w.st, sched, slots, per, &added));
			free(slots);
			slots = NULL;
			TEST_ERR(real->slots_list(w.st, sched, NULL, day,
			    day + 86400000ULL, &slots, &nslots));
			TEST_EQ(nslots, per);
		}
		visit_init(&v[i], (unsigned)i, ck, slots[i % per].start_ms,
		    (unsigned)(i / per));
		v[i].slot = slots[i % per].id;
		memset(&bk, 0, sizeof(bk));
		memcpy(bk.id, v[i].appt, 16);
		memcpy(bk.patient, v[i].patient, 16);
		bk.slot = v[i].slot;
		bk.node = w.clinic.id;
		bk.now_ms = day;
		bk.app_check = 1;
		TEST_ERR(real->appt_book(w.st, &bk, &br));
		TEST_EQ(br.outcome, SBOOK_BOOKED);
		TEST_ERR(claim_coverage_add(
		    &w.c, v[i].patient, "NHIF", "M-2", 0, 0));
		switch (kind[i]) {
		case D_NOSHOW:
			appt_ev(&s, &w, &v[i], "booked", 0);
			break;
		case D_CANCELLED:
			TEST_ERR(real->appt_cancel(w.st, v[i].appt, w.clinic.id,
			    "patient asked", day + 3600000));
			appt_ev(&s, &w, &v[i], "cancelled", 0);
			break;
		default:
			TEST_ERR(real->appt_checkin(w.st, v[i].appt, "chw",
			    v[i].start + 10000, v[i].start + 20000));
			visit_evidence(&s, &w, &v[i], 0);
			break;
		}
		cnt[kind[i]]++;
	}
	/* the day's evidence arrives in any order */
	order = xcalloc(s.n, sizeof(*order));
	for (i = 0; i < s.n; i++)
		order[i] = i;
	for (i = s.n - 1; i > 0; i--) {
		j = (size_t)(rnd() % (i + 1));
		x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < s.n; i += 64)
		TEST_ERR(
		    push_range(&w, &s, order, i, i + 64 < s.n ? i + 64 : s.n));
	/* the no-show sweep and the claims build (their timers) */
	TEST_ERR(real->appt_sweep(w.st, w.c.now_ms, 1800000, &changed));
	TEST_ERR(claim_build_all(&w.c, &x));
	TEST_ERR(tally_read(&w, &t));
	ncl = 0;
	for (i = 0; i < n; i++) {
		if (kind[i] == D_SEEN) {
			TEST_EQ(claims_of(&t, v[i].consult), 1);
			ncl++;
			continue;
		}
		/* no claim of any kind for this visit's patient */
		for (j = 0; j < t.nclaims; j++)
			if (memcmp(t.claims[j].patient, v[i].patient, 16) == 0)
				TEST_FAILED("appointment %zu (kind %d) billed",
				    i, kind[i]);
		why = kind[i] == D_NOSHOW || kind[i] == D_CANCELLED
		    ? reason_of(&t, v[i].appt)
		    : reason_of(&t, v[i].consult);
		if (why == NULL)
			TEST_FAILED(
			    "appointment %zu (kind %d): no reason", i, kind[i]);
		switch (kind[i]) {
		case D_NOSHOW:
			TEST_STR(why, "noshow");
			break;
		case D_CANCELLED:
			TEST_STR(why, "cancelled");
			break;
		case D_FAILED:
			TEST_STR(why,
			    v[i].kind == C_SHORT ? "too_short" : "failed_call");
			break;
		default:
			TEST_STR(why, "unsigned");
			break;
		}
		reasons++;
	}
	TEST_EQ(t.nclaims, ncl);
	printf("# day of %lu: %lu seen -> %" PRIu64 " claims; %lu no-shows,"
	       " %lu cancelled, %lu failed calls, %lu unsigned -> 0 claims,"
	       " %lu of %lu with their reason\n",
	    n, cnt[D_SEEN], ncl, cnt[D_NOSHOW], cnt[D_CANCELLED], cnt[D_FAILED],
	    cnt[D_UNSIGNED], reasons, n - cnt[D_SEEN]);
out:
	tally_free(&t);
	free(slots);
	free(order);
	free(kind);
	free(v);
	stream_free(&s);
	world_close(&w);
	return err;
}

/* --- holds ----------------------------------------------------------------- */

static int
push_all(struct world *w, const struct stream *s)
{
	size_t *order = xcalloc(s->n + 1, sizeof(*order)), i;
	int err;

	for (i = 0; i < s->n; i++)
		order[i] = i;
	err = push_range(w, s, order, 0, s->n);
	free(order);
	return err;
}

static int
test_holds(void)
{
	struct world w;
	struct stream s = { 0 };
	struct visit v[8];
	struct tally t = { 0 };
	struct licence l;
	struct schange ch;
	uint64_t base;
	size_t i, n = 0;
	int refused = 1, err = 0;

	TEST_ERR(world_open(&w));
	base = w.c.now_ms - 86400000ULL;
	/* 0, 1: one clinician, overlapping calls */
	visit_init(&v[0], 100, C_GOOD, base, 7);
	visit_init(&v[1], 101, C_GOOD, base + 120000, 7);
	/* 2: signed an hour in the future of the server's clock */
	visit_init(&v[2], 102, C_GOOD, base + 3600000, 8);
	/* 3: REG-9 licensed until between the start and the signing */
	visit_init(&v[3], 103, C_GOOD, base + 7200000, 9);
	/* 4: REG-10 has no licence in a region that registers them */
	visit_init(&v[4], 104, C_GOOD, base + 9000000, 10);
	/* 5: a change re-sent with another body */
	visit_init(&v[5], 105, C_GOOD, base + 11000000, 11);
	/* 6: no coverage until later */
	visit_init(&v[6], 106, C_GOOD, base + 13000000, 12);
	memset(&l, 0, sizeof(l));
	snprintf(l.regulator, sizeof(l.regulator), "KMPDC");
	snprintf(l.cadre, sizeof(l.cadre), "medical officer");
	snprintf(l.juris, sizeof(l.juris), "r1");
	l.scope = LIC_SCOPE_ALL;
	l.valid_from = 0;
	l.valid_to = INT64_MAX;
	for (i = 0; i < 7; i++) {
		if (i == 4)
			continue;
		snprintf(l.regno, sizeof(l.regno), "%s", v[i].regno);
		l.valid_to =
		    i == 3 ? (int64_t)(v[3].start + 300000) : INT64_MAX;
		TEST_ERR(real->licence_put(w.st, &l, 1, "add", "", w.c.now_ms));
		if (i != 6)
			TEST_ERR(claim_coverage_add(
			    &w.c, v[i].patient, "NHIF", "M-3", 0, 0));
	}
	for (i = 0; i < 7; i++)
		visit_evidence(
		    &s, &w, &v[i], i == 2 ? w.c.now_ms + 3600000 : 0);
	TEST_ERR(push_all(&w, &s));
	/* 5: its closing change again, another body, the same hlc */
	for (i = 0; i < s.n; i++)
		if (memcmp(s.v[i].id, v[5].consult, 16) == 0)
			n = i;
	s.v[n].body[s.v[n].len - 1] ^= 0x01;
	memset(&ch, 0, sizeof(ch));
	ch.entity = s.v[n].entity;
	memcpy(ch.id, s.v[n].id, 16);
	ch.hlc = s.v[n].hlc;
	ch.body = s.v[n].body;
	ch.len = s.v[n].len;
	TEST_ERR(claim_pushed(&w.c, &w.clinic, &ch, 1, NULL));
	/* a refused change is no evidence */
	ch.entity = REC_CONSULT;
	memset(ch.id, 0xee, 16);
	TEST_ERR(claim_pushed(&w.c, &w.clinic, &ch, 1, &refused));
	TEST_ERR(tally_read(&w, &t));
	TEST_EQ(claims_of(&t, v[0].consult), 1);
	/* the second overlapping consult found the first, and held both */
	TEST_STR(claim_of(&t, v[0].consult)->status, "held");
	TEST_STR(claim_of(&t, v[0].consult)->hold, "overlap");
	TEST_STR(claim_of(&t, v[1].consult)->hold, "overlap");
	TEST_STR(claim_of(&t, v[2].consult)->hold, "clock");
	TEST_STR(claim_of(&t, v[3].consult)->hold, "licence_change");
	TEST_EQ(claims_of(&t, v[4].consult), 0);
	TEST_STR(reason_of(&t, v[4].consult), "licence");
	TEST_STR(claim_of(&t, v[5].consult)->hold, "hash_mismatch");
	TEST_EQ(claims_of(&t, v[6].consult), 0);
	TEST_STR(reason_of(&t, v[6].consult), "coverage");
	TEST_EQ(t.nclaims, 5);
	/* coverage recorded later: the consult is claimed, reason gone */
	TEST_ERR(claim_coverage_add(&w.c, v[6].patient, "NHIF", "M-6", 0, 0));
	TEST_ERR(tally_read(&w, &t));
	TEST_EQ(claims_of(&t, v[6].consult), 1);
	TEST_STR(claim_of(&t, v[6].consult)->status, "ready");
	TEST_TRUE(reason_of(&t, v[6].consult) == NULL);
	/* the refused change left nothing */
	TEST_TRUE(reason_of(&t, ch.id) == NULL);
	TEST_EQ(claims_of(&t, ch.id), 0);
	/* a held claim approved after review stays so when the anomaly is
	 * seen again (the timer's rebuild) */
	TEST_ERR(
	    real->claim_status(w.st, claim_of(&t, v[0].consult)->business_id,
	        "held", "approved", "reviewed", w.c.now_ms));
	TEST_EQ(
	    real->claim_status(w.st, claim_of(&t, v[0].consult)->business_id,
	        "held", "approved", "again", w.c.now_ms),
	    EALREADY);
	TEST_ERR(claim_build_all(&w.c, &n));
	TEST_ERR(tally_read(&w, &t));
	TEST_STR(claim_of(&t, v[0].consult)->status, "approved");
	TEST_STR(claim_of(&t, v[1].consult)->status, "held");
	TEST_EQ(t.nclaims, 6);
out:
	tally_free(&t);
	stream_free(&s);
	world_close(&w);
	return err;
}

TEST_MAIN(
    { "replay", test_replay }, { "day", test_day }, { "holds", test_holds })
