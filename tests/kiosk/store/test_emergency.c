/*
 * Emergency incidents in the kiosk store (kiosk/store/emergency.c): the
 * incident, its change, its events and its send intents in one commit
 * before anything goes out; a yes committed first stops a queued page;
 * cancel says why and tells everyone paged; the first send and delivery
 * marks; then kill points (§7.10 criterion 5, in-process):
 *
 *   kill_points   a scripted escalation (three levels, a yes, an arrival)
 *                 stopped after its Nth store call, as kill -9 would stop
 *                 it (a page the modem took but whose result was never
 *                 recorded included), then the store reopened, recovered,
 *                 sometimes on a new boot, and the escalation finished;
 *                 OUTPOST_EMERG_KILLS points (200; bench/emergency.sh runs
 *                 10,000);
 *   io_faults     the same with the Nth write, sync or truncate of SQLite
 *                 failing inside a commit (tests/kiosk/store/faultvfs.h).
 *
 * After each: the incident is there (0 lost), it ends "arrived", the levels
 * paged are a prefix of the schedule with every recipient paged (0
 * skipped), at most one duplicate per recipient per level, and no page
 * after the yes.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "faultvfs.h"
#include "kiosk/store/emergency.h"
#include "kiosk/store/store.h"
#include "kiosk/store/store_int.h"
#include "kiosk/store/syncstate.h"
#include "model.h"
#include "test.h"

static const char boot_a[] = "7f3c2a10-0000-4000-8000-00000000000a";
static const char boot_b[] = "7f3c2a10-0000-4000-8000-00000000000b";

static void
at(struct esc_now *now, const char *boot, uint64_t ms)
{
	memset(now, 0, sizeof(*now));
	snprintf(now->boot_id, sizeof(now->boot_id), "%s", boot);
	now->boot_ms = ms;
	now->wall_ms = 1764000000000LL + (int64_t)ms;
}

static void
policy(struct esc_policy *p)
{
	int i;

	esc_policy_default(p);
	p->nlevels = 3;
	for (i = 0; i < 3; i++) {
		p->levels[i].deadline_s = 120;
		p->levels[i].nrcpt = i == 1 ? 2 : 1;
		snprintf(p->levels[i].rcpt[0], ESC_RCPT_LEN, "s%da", i);
		snprintf(p->levels[i].rcpt[1], ESC_RCPT_LEN, "s%db", i);
	}
	p->loops = 2;
	p->loop_every_s = 0;
	p->rate_s = 0;
}

static const struct store_emergency_in manual_in = {
	.trigger = ESC_TRIG_MANUAL,
	.news2 = -1,
	.age = 34,
	.sex = 'F',
	.vitals = "SpO2 84 RR 28",
	.modem = "ok",
};

struct list {
	int n;
	struct store_emergency_send x[64];
};

static int
collect(void *arg, const struct store_emergency_send *x)
{
	struct list *l = arg;

	if (l->n < 64)
		l->x[l->n++] = *x;
	return 0;
}

static int
count_open(void *arg, const struct store_emergency *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

struct seen {
	int n;
	char state[16];
};

static int
walk(void *arg, int entity, const char *id, const uint8_t *body, size_t len)
{
	struct seen *s = arg;
	struct model_rec r;
	const struct model_value *v;

	(void)id;
	if (entity != REC_EMERGENCY)
		return 0;
	s->n++;
	if (model_decode(model_entity(REC_EMERGENCY), body, len, &r) != 0)
		return EBADMSG;
	if ((v = model_get(&r, REC_EMERG_STATE)) != NULL && v->set)
		snprintf(s->state, sizeof(s->state), "%s", v->text);
	model_rec_clear(&r);
	return 0;
}

static int
test_raise_claim_ack(void)
{
	struct store *s = NULL;
	struct esc_policy p;
	struct esc_now now;
	struct store_emergency e;
	struct store_emergency_send x;
	struct list l = { 0 };
	struct seen seen = { 0 };
	char id[UUID_STRLEN + 1], *d = test_tmpdir("emerg");
	uint8_t key[32];
	int err = 0, nopen = 0;

	crypto_random(key, sizeof(key));
	policy(&p);
	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	at(&now, boot_a, 1000);
	/* a level nobody can be paged on is refused, nothing stored */
	p.levels[2].nrcpt = 0;
	TEST_EQ(store_emergency_raise(s, &manual_in, &p, &now, id), EINVAL);
	policy(&p);
	TEST_ERR(store_emergency_raise(s, &manual_in, &p, &now, id));
	TEST_ERR(store_emergency_get(s, id, &e));
	TEST_EQ(e.eng.state, ESC_PAGING);
	TEST_EQ(strlen(e.eng.code), 6);
	TEST_EQ(e.age, 34);
	TEST_EQ(e.sex, 'F');
	TEST_STR(e.vitals, "SpO2 84 RR 28");
	/* the page to level 1 is an intent, committed with the incident */
	TEST_ERR(store_emergency_pending(s, collect, &l));
	TEST_EQ(l.n, 1);
	TEST_STR(l.x[0].act.rcpt, "s0a");
	TEST_STR(l.x[0].status, "pending");
	/* and the incident is in the outbox, for the server */
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.n, 1);
	TEST_STR(seen.state, "paging");
	/* the first claim sends, a second claim of the same send does not */
	TEST_ERR(store_emergency_claim(s, l.x[0].id, &x));
	TEST_EQ(x.attempts, 1);
	TEST_EQ(store_emergency_claim(s, l.x[0].id, &x), ECANCELED);
	TEST_ERR(store_emergency_result(s, l.x[0].id, "sent", "17", &now));
	TEST_EQ(
	    store_emergency_result(s, l.x[0].id, "bogus", NULL, &now), EINVAL);
	at(&now, boot_a, 3000);
	TEST_ERR(store_emergency_result(s, l.x[0].id, "delivered", NULL, &now));
	TEST_ERR(store_emergency_get(s, id, &e));
	TEST_EQ(e.first_send_ms, 1764000000000ULL + 1000);
	TEST_EQ(e.first_delivery_ms, 1764000000000ULL + 3000);
	/* level 2 at 120 s: two intents */
	at(&now, boot_a, 1000 + 120000);
	TEST_ERR(store_emergency_step(
	    s, id, STORE_EMERG_TICK, &p, &now, NULL, 0, NULL));
	l.n = 0;
	TEST_ERR(store_emergency_pending(s, collect, &l));
	TEST_EQ(l.n, 2);
	/* a yes arrives while they are queued: neither goes */
	TEST_ERR(store_emergency_step(
	    s, id, STORE_EMERG_ACK, &p, &now, "s1b", 15, NULL));
	TEST_EQ(store_emergency_claim(s, l.x[0].id, &x), ECANCELED);
	TEST_EQ(store_emergency_claim(s, l.x[1].id, &x), ECANCELED);
	TEST_EQ(store_emergency_step(
	            s, id, STORE_EMERG_ACK, &p, &now, "s0a", 5, NULL),
	    EALREADY);
	TEST_ERR(store_emergency_get(s, id, &e));
	TEST_EQ(e.eng.state, ESC_ACKED);
	TEST_STR(e.eng.ack_by, "s1b");
	TEST_EQ(e.eng.eta_min, 15);
	/* a tick with nothing due writes nothing */
	seen.n = 0;
	TEST_ERR(store_emergency_step(
	    s, id, STORE_EMERG_TICK, &p, &now, NULL, 0, NULL));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.n, 5); /* raise, send, delivery, level 2, ack */
	TEST_STR(seen.state, "acknowledged");
	/* a cancel needs its reason, then tells everyone paged */
	TEST_EQ(store_emergency_step(
	            s, id, STORE_EMERG_CANCEL, &p, &now, NULL, 0, ""),
	    EINVAL);
	TEST_ERR(store_emergency_step(s, id, STORE_EMERG_NOTE, &p, &now, NULL,
	    0, "patient taken by a neighbour's car"));
	TEST_ERR(store_emergency_step(s, id, STORE_EMERG_CANCEL, &p, &now, NULL,
	    0, "transported otherwise"));
	TEST_ERR(store_emergency_get(s, id, &e));
	TEST_EQ(e.eng.state, ESC_CANCELLED);
	TEST_STR(e.end_reason, "transported otherwise");
	TEST_STR(e.note, "patient taken by a neighbour's car");
	l.n = 0;
	TEST_ERR(store_emergency_pending(s, collect, &l));
	TEST_EQ(l.n, 3); /* s0a, s1a, s1b: everyone the engine paged */
	TEST_EQ(l.x[0].act.kind, ESC_A_CANCEL);
	TEST_ERR(store_emergency_claim(s, l.x[0].id, &x));
	TEST_ERR(store_emergency_open(s, count_open, &nopen));
	TEST_EQ(nopen, 0);
out:
	store_close(s);
	test_rmdir(d);
	return err;
}

/* A signed roster of VERSION, valid until VALID. */
static int
signed_roster(const uint8_t priv[32], uint64_t version, int64_t valid,
    uint8_t **out, size_t *len)
{
	struct esc_roster r;
	char *cause = NULL;
	int err;

	memset(&r, 0, sizeof(r));
	r.version = version;
	r.issued_at = 1764000000 - 60;
	r.valid_until = valid;
	r.nservices = 1;
	snprintf(r.services[0].id, ESC_RCPT_LEN, "watamu-amb");
	r.services[0].nsms = 1;
	snprintf(r.services[0].sms[0], ESC_NUM_LEN, "+254700000001");
	r.services[0].travel_min = 20;
	r.nlevels = 1;
	r.level_nsvc[0] = 1;
	snprintf(r.level_svc[0][0], ESC_RCPT_LEN, "watamu-amb");
	r.level_deadline_s[0] = 300;
	r.loops = 5;
	r.max_pages = 20;
	err = esc_roster_sign(&r, priv, out, len, &cause);
	free(cause);
	return err;
}

static int
test_roster_kept(void)
{
	struct store *s = NULL;
	struct esc_roster r;
	uint8_t key[32], priv[32], pub[32], *b = NULL;
	size_t len;
	char *cause = NULL, *d = test_tmpdir("emergr");
	const int64_t now = 1764000000;
	int err = 0, stale = -1;

	crypto_random(key, sizeof(key));
	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_EQ(store_emergency_roster_get(s, pub, now, &r, NULL), ENOENT);
	TEST_ERR(signed_roster(priv, 3, now + 86400, &b, &len));
	TEST_ERR(store_emergency_roster_put(s, b, len, pub, now, &cause));
	/* tampered: refused, version 3 kept */
	b[len / 2] ^= 4;
	TEST_EQ(
	    store_emergency_roster_put(s, b, len, pub, now, &cause), EBADMSG);
	TEST_TRUE(cause != NULL && strstr(cause, "signature") != NULL);
	free(cause);
	cause = NULL;
	free(b);
	b = NULL;
	TEST_ERR(signed_roster(priv, 2, now + 86400, &b, &len));
	TEST_EQ(
	    store_emergency_roster_put(s, b, len, pub, now, &cause), ESTALE);
	free(cause);
	cause = NULL;
	free(b);
	b = NULL;
	TEST_ERR(signed_roster(priv, 4, now - 1, &b, &len));
	TEST_EQ(store_emergency_roster_put(s, b, len, pub, now, &cause),
	    EKEYEXPIRED);
	free(cause);
	cause = NULL;
	/* the next start still has version 3 */
	store_close(s);
	s = NULL;
	TEST_ERR(store_open(d, key, 0, &s));
	TEST_ERR(store_emergency_roster_get(s, pub, now, &r, &stale));
	TEST_EQ(r.version, 3);
	TEST_EQ(stale, 0);
	/* past its date it is stale but still the one in use */
	TEST_ERR(
	    store_emergency_roster_get(s, pub, now + 2 * 86400, &r, &stale));
	TEST_EQ(stale, 1);
	free(b);
	b = NULL;
	TEST_ERR(signed_roster(priv, 5, now + 86400, &b, &len));
	TEST_ERR(store_emergency_roster_put(s, b, len, pub, now, &cause));
	TEST_ERR(store_emergency_roster_get(s, pub, now, &r, NULL));
	TEST_EQ(r.version, 5);
out:
	free(b);
	free(cause);
	store_close(s);
	test_rmdir(d);
	return err;
}

/* --- kill points --- */

#define KILLED (-1)

struct run {
	struct store *s;
	char *dir;
	uint8_t key[32];
	struct esc_policy pol;
	uint64_t t, t_ack, t_arr;
	int boot;
	char id[UUID_STRLEN + 1];
	int calls, kill_at;
	int sent[2][3][2]; /* [loop-1][level][rcpt] */
	int after_yes, acked;
};

static int
done_call(struct run *r)
{
	r->calls++;
	return r->kill_at > 0 && r->calls == r->kill_at;
}

static void
now_of(const struct run *r, struct esc_now *now)
{
	at(now, r->boot ? boot_b : boot_a, r->t);
}

static int
sync_acked(struct run *r)
{
	struct store_emergency e;
	int err;

	if ((err = store_emergency_get(r->s, r->id, &e)) != 0)
		return err;
	r->acked = e.eng.state == ESC_ACKED || esc_closed(&e.eng);
	return 0;
}

/* Run (or go on with) the escalation; KILLED when stopped at the kill
 * point or by a failed call, 0 when help arrived. */
static int
drive(struct run *r)
{
	struct esc_now now;
	struct store_emergency e;
	struct store_emergency_send x;
	struct list l;
	int i, rc, lv, k;

	now_of(r, &now);
	if (r->id[0] == '\0') {
		if (store_emergency_raise(
		        r->s, &manual_in, &r->pol, &now, r->id) != 0) {
			r->id[0] = '\0';
			return KILLED;
		}
		if (done_call(r))
			return KILLED;
	}
	for (;;) {
		l.n = 0;
		if (store_emergency_pending(r->s, collect, &l) != 0)
			return KILLED;
		for (i = 0; i < l.n; i++) {
			rc = store_emergency_claim(r->s, l.x[i].id, &x);
			if (rc == ECANCELED)
				continue;
			if (rc != 0)
				return KILLED;
			if (x.act.kind == ESC_A_PAGE) {
				/* the modem took it */
				lv = x.act.level;
				k = x.act.rcpt[2] == 'b';
				if (x.act.loop >= 1 && x.act.loop <= 2)
					r->sent[x.act.loop - 1][lv][k]++;
				if (r->acked)
					r->after_yes++;
			}
			if (done_call(r))
				return KILLED; /* sent, result never recorded */
			now_of(r, &now);
			if (store_emergency_result(
			        r->s, x.id, "sent", NULL, &now) != 0 ||
			    done_call(r))
				return KILLED;
		}
		if (store_emergency_get(r->s, r->id, &e) != 0)
			return KILLED;
		if (e.eng.state == ESC_ARRIVED)
			return 0;
		now_of(r, &now);
		if (r->acked && r->t >= r->t_arr) {
			rc = store_emergency_step(r->s, r->id,
			    STORE_EMERG_ARRIVED, &r->pol, &now, NULL, 0, NULL);
			if ((rc != 0 && rc != EALREADY) || done_call(r))
				return KILLED;
			continue;
		}
		if (!r->acked && r->t >= r->t_ack) {
			rc = store_emergency_step(r->s, r->id, STORE_EMERG_ACK,
			    &r->pol, &now, "s1a", 10, NULL);
			if (rc != 0 && rc != EALREADY)
				return KILLED;
			r->acked = 1;
			if (done_call(r))
				return KILLED;
		}
		r->t += 20000;
		now_of(r, &now);
		if (store_emergency_step(r->s, r->id, STORE_EMERG_TICK, &r->pol,
		        &now, NULL, 0, NULL) != 0 ||
		    done_call(r))
			return KILLED;
	}
}

static int
check_run(const struct run *r, long point)
{
	int loop, lv, k, order, last = -1, gap = 0, err = 0;

	if (r->after_yes != 0)
		TEST_FAILED(
		    "point %ld: %d pages after the yes", point, r->after_yes);
	for (loop = 0; loop < 2; loop++)
		for (lv = 0; lv < 3; lv++) {
			int n = lv == 1 ? 2 : 1, paged = 0;

			for (k = 0; k < n; k++) {
				if (r->sent[loop][lv][k] > 2)
					TEST_FAILED("point %ld: loop %d level "
					            "%d recipient %d paged %d "
					            "times",
					    point, loop + 1, lv + 1, k,
					    r->sent[loop][lv][k]);
				paged += r->sent[loop][lv][k] > 0;
			}
			order = loop * 3 + lv;
			if (paged > 0 && paged < n)
				TEST_FAILED("point %ld: level %d of loop %d "
				            "half paged",
				    point, lv + 1, loop + 1);
			if (paged > 0 && gap)
				TEST_FAILED("point %ld: level before %d of "
				            "loop %d skipped",
				    point, lv + 1, loop + 1);
			if (paged > 0)
				last = order;
			else
				gap = 1;
		}
	if (last < 0)
		TEST_FAILED("point %ld: nobody paged", point);
out:
	return err;
}

/* Kill-point stores live on tmpfs when there is one: the sweep measures
 * the logic at each commit point, not the disk's fsync (the store's
 * durability on a real disk is test_crash's). */
static char *
sweep_dir(void)
{
	char *d;

	if (asprintf(&d, "/dev/shm/outpost-emergk-XXXXXX") < 0)
		return NULL;
	if (mkdtemp(d) != NULL)
		return d;
	free(d);
	return test_tmpdir("emergk");
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* test_rmdir without a shell (a fork of a sanitized process per run
 * would cost more than the run). */
static void
sweep_rmdir(char *d)
{
	if (d != NULL && nftw(d, rm_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	free(d);
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One escalation with one kill: after call KILL_AT (>0), or at the Nth
 * I/O operation (FAULT >= 0).  *CALLS: the calls a run without a kill
 * made (to size the sweep). */
static int
one_run(
    uint64_t *seed, int kill_at, int fault, long point, int *calls, int *dups)
{
	struct run r;
	struct store_emergency e;
	int err = 0, rc, resent = 0, sup = 0, loop, lv, k;

	memset(&r, 0, sizeof(r));
	r.dir = sweep_dir();
	crypto_random(r.key, sizeof(r.key));
	policy(&r.pol);
	r.t = 1000 + rnd(seed) % 100000;
	r.t_ack = r.t + 10000 + rnd(seed) % 400000;
	r.t_arr = r.t_ack + 60000;
	r.kill_at = kill_at;
	TEST_TRUE(r.dir != NULL);
	TEST_ERR(store_open(r.dir, r.key, 1, &r.s));
	if (fault >= 0)
		faultvfs_arm(fault, SQLITE_IOERR_WRITE, 0);
	rc = drive(&r);
	faultvfs_disarm();
	if (rc == KILLED) {
		/* the next start: reopen, recover, sometimes a new boot */
		store_close(r.s);
		r.s = NULL;
		TEST_ERR(store_open(r.dir, r.key, 0, &r.s));
		if (rnd(seed) % 3 == 0)
			r.boot = !r.boot;
		TEST_ERR(store_emergency_recover(r.s, &resent, &sup));
		if (r.id[0] != '\0') {
			if (store_emergency_get(r.s, r.id, &e) != 0)
				TEST_FAILED(
				    "point %ld: the incident is lost", point);
			TEST_ERR(sync_acked(&r));
		}
		r.kill_at = 0;
		rc = drive(&r);
	}
	if (rc != 0)
		TEST_FAILED("point %ld: escalation did not finish", point);
	TEST_ERR(store_emergency_get(r.s, r.id, &e));
	TEST_EQ(e.eng.state, ESC_ARRIVED);
	TEST_ERR(check_run(&r, point));
	for (loop = 0; loop < 2; loop++)
		for (lv = 0; lv < 3; lv++)
			for (k = 0; k < 2; k++)
				*dups += r.sent[loop][lv][k] == 2;
	if (calls != NULL)
		*calls = r.calls;
out:
	faultvfs_disarm();
	store_close(r.s);
	sweep_rmdir(r.dir);
	return err;
}

static long
env_n(const char *name, long def)
{
	const char *e = getenv(name);
	long n = e != NULL ? strtol(e, NULL, 10) : 0;

	return n > 0 ? n : def;
}

static int
test_kill_points(void)
{
	uint64_t seed = 12, s2;
	long points = env_n("OUTPOST_EMERG_KILLS", 200), done = 0;
	int err = 0, calls = 0, k, dups = 0;

	while (done < points) {
		/* a run without a kill sizes this timeline */
		s2 = seed;
		TEST_ERR(one_run(&s2, 0, -1, done, &calls, &dups));
		for (k = 1; k <= calls && done < points; k++, done++) {
			s2 = seed;
			TEST_ERR(one_run(&s2, k, -1, done, NULL, &dups));
		}
		seed = s2 + 1;
	}
	printf("  %ld kill points: 0 lost, 0 skipped, %d duplicate pages "
	       "(at most one per recipient per level)\n",
	    done, dups);
out:
	return err;
}

static int
test_io_faults(void)
{
	uint64_t seed = 99, s2;
	long n, points = env_n("OUTPOST_EMERG_FAULTS", 40);
	int err = 0, dups = 0;

	faultvfs_register();
	store_test_vfs = "faultvfs";
	for (n = 0; n < points; n++) {
		s2 = seed;
		TEST_ERR(one_run(&s2, 0, (int)n * 3, n, NULL, &dups));
	}
	printf("  %ld I/O fault points: 0 lost, 0 skipped\n", points);
out:
	store_test_vfs = NULL;
	return err;
}

TEST_MAIN({ "raise_claim_ack", test_raise_claim_ack },
    { "roster_kept", test_roster_kept }, { "kill_points", test_kill_points },
    { "io_faults", test_io_faults })
