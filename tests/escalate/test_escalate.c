/*
 * The escalation engine (escalate/escalate.c) on a fake clock: every
 * transition by hand, then seeded random sweeps (issue 16, §7.10 criteria 3,
 * 4 and 6):
 *   schedules      OUTPOST_ESC_N (10,000) random policies, ticks up to a
 *                  second late: each level fires within 1 s of the time a
 *                  separate model of the policy gives, once a loop;
 *   interleavings  OUTPOST_ESC_N random interleavings of ticks, acks,
 *                  declines, sends in flight, reboots and wall-clock jumps:
 *                  no page is emitted or sent after a yes;
 *   clock jumps    the wall clock jumping +-1 year moves nothing; a reboot
 *                  (new boot id) fires the expired level's successor on the
 *                  first tick.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "escalate/escalate.h"
#include "test.h"

static const char boot_a[] = "7f3c2a10-0000-4000-8000-00000000000a";
static const char boot_b[] = "7f3c2a10-0000-4000-8000-00000000000b";
static const uint8_t uuid1[16] = { 0x01, 0x8f, 0x00, 0x00, 0x00, 0x00, 0x70,
	0x00, 0x80, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78 };

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rnd_in(uint64_t *s, uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + rnd(s) % (hi - lo + 1);
}

static long
sweep_n(void)
{
	const char *e = getenv("OUTPOST_ESC_N");
	long n = e != NULL ? strtol(e, NULL, 10) : 0;

	return n > 0 ? n : 10000;
}

static void
at(struct esc_now *now, const char *boot, uint64_t ms)
{
	memset(now, 0, sizeof(*now));
	snprintf(now->boot_id, sizeof(now->boot_id), "%s", boot);
	now->boot_ms = ms;
	now->wall_ms = 1764000000000LL + (int64_t)ms;
}

/* A policy of N levels, level i paging "s<i>a" (and "s<i>b"). */
static void
policy(struct esc_policy *p, int nlevels, int two)
{
	int i;

	esc_policy_default(p);
	p->nlevels = nlevels;
	for (i = 0; i < nlevels; i++) {
		p->levels[i].nrcpt = two ? 2 : 1;
		snprintf(p->levels[i].rcpt[0], ESC_RCPT_LEN, "s%da", i);
		snprintf(p->levels[i].rcpt[1], ESC_RCPT_LEN, "s%db", i);
	}
}

static int
count(const struct esc_actions *a, enum esc_act_kind k)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->a[i].kind == k;
	return n;
}

static int
test_code(void)
{
	char c[ESC_CODE_LEN + 1], n[ESC_CODE_LEN + 1];
	int err = 0;

	esc_code(uuid1, c);
	/* low 30 bits of 0x12345678, 5 bits a digit (checked apart in
	 * python) */
	TEST_STR(c, "938NKR");
	TEST_ERR(esc_code_norm("938nkr", 6, n));
	TEST_STR(n, "938NKR");
	TEST_ERR(esc_code_norm("0oIl1z", 6, n));
	TEST_STR(n, "00111Z");
	TEST_EQ(esc_code_norm("J6HBZ", 5, n), EINVAL);
	TEST_EQ(esc_code_norm("J6HBZU", 6, n), EINVAL); /* no U in Crockford */
	TEST_EQ(esc_code_norm("J6 BZR", 6, n), EINVAL);
out:
	return err;
}

static int
test_policy_check(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;

	esc_policy_default(&p);
	TEST_EQ(esc_policy_check(&p), EINVAL); /* no recipients */
	policy(&p, 3, 0);
	TEST_ERR(esc_policy_check(&p));
	p.levels[1].nrcpt = 0;
	TEST_EQ(esc_policy_check(&p), EINVAL); /* a level nobody is on */
	at(&now, boot_a, 1000);
	TEST_EQ(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a), EINVAL);
	TEST_EQ(a.n, 0);
	policy(&p, 3, 0);
	p.levels[2].deadline_s = 0;
	TEST_EQ(esc_policy_check(&p), EINVAL);
out:
	return err;
}

static int
test_manual(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;

	policy(&p, 3, 1);
	at(&now, boot_a, 50000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	TEST_EQ(inc.state, ESC_PAGING);
	TEST_STR(inc.code, "938NKR");
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_STR(a.a[0].rcpt, "s0a");
	TEST_STR(a.a[1].rcpt, "s0b");
	TEST_EQ(a.a[0].loop, 1);
	TEST_EQ(a.a[0].level, 0);
	TEST_EQ(a.a[0].repeat, 0);
	TEST_EQ(esc_wait_ms(&inc, &now), 300000);
	/* one millisecond early: nothing */
	a.n = 0;
	at(&now, boot_a, 50000 + 299999);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(a.n, 0);
	at(&now, boot_a, 50000 + 300000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_EQ(inc.level, 1);
	TEST_STR(a.a[0].rcpt, "s1a");
	/* the same tick again: nothing more */
	a.n = 0;
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(a.n, 0);
	/* level 3 (the last) also prompts the CHW to phone again */
	at(&now, boot_a, 50000 + 600000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_EQ(count(&a, ESC_A_REMIND), 1);
	TEST_EQ(inc.level, 2);
	/* loop 2 at 15 min (loop_every 10 min is shorter than the loop) */
	a.n = 0;
	at(&now, boot_a, 50000 + 900000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_EQ(inc.loop, 2);
	TEST_EQ(a.a[0].repeat, 2);
out:
	return err;
}

static int
test_confirm_window(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;

	policy(&p, 2, 0);
	at(&now, boot_a, 1000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_AUTO, &p, &now, &a));
	TEST_EQ(inc.state, ESC_CONFIRMING);
	TEST_EQ(a.n, 0);
	at(&now, boot_a, 30999);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(a.n, 0);
	at(&now, boot_a, 31000); /* sends on timeout */
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_EQ(inc.state, ESC_PAGING);
	TEST_EQ(esc_confirm(&inc, &p, &now, &a), EALREADY);

	/* confirmed early */
	a.n = 0;
	at(&now, boot_a, 1000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_AUTO, &p, &now, &a));
	at(&now, boot_a, 5000);
	TEST_ERR(esc_confirm(&inc, &p, &now, &a));
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_EQ(esc_wait_ms(&inc, &now), 300000);

	/* cancelled inside the window: nobody is ever paged or told */
	a.n = 0;
	at(&now, boot_a, 1000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_AUTO, &p, &now, &a));
	TEST_ERR(esc_cancel(&inc, &now, &a));
	at(&now, boot_a, 1000000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(a.n, 0);
	TEST_EQ(esc_wait_ms(&inc, &now), UINT64_MAX);
out:
	return err;
}

static int
test_decline_ack_arrival(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;

	policy(&p, 3, 0);
	at(&now, boot_a, 0);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	/* X: the next level now, with its own full window */
	a.n = 0;
	at(&now, boot_a, 60000);
	TEST_ERR(esc_decline(&inc, &p, &now, &a));
	TEST_EQ(inc.level, 1);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_STR(a.a[0].rcpt, "s1a");
	TEST_EQ(esc_wait_ms(&inc, &now), 300000);
	/* A 20: a yes stops paging; arrival check at 20 min + 15 min */
	a.n = 0;
	TEST_ERR(esc_ack(&inc, &p, &now, "s1a", 20, &a));
	TEST_EQ(a.n, 0);
	TEST_EQ(esc_ack(&inc, &p, &now, "s0a", 5, &a), EALREADY);
	TEST_STR(inc.ack_by, "s1a"); /* the first yes counts */
	TEST_EQ(esc_decline(&inc, &p, &now, &a), EALREADY);
	TEST_EQ(esc_wait_ms(&inc, &now), (20 * 60 + 900) * 1000);
	at(&now, boot_a, 60000 + 600000); /* level 2's old deadline */
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(a.n, 0);
	at(&now, boot_a, 60000 + (20 * 60 + 900) * 1000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_ARRIVAL), 1);
	TEST_EQ(count(&a, ESC_A_PAGE), 0);
	/* not arrived: the ack expired, paging resumes at the next level */
	a.n = 0;
	TEST_ERR(esc_not_arrived(&inc, &p, &now, &a));
	TEST_EQ(inc.state, ESC_PAGING);
	TEST_EQ(inc.level, 2);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_STR(a.a[0].rcpt, "s2a");
	/* a decline on the last level starts the next loop at once */
	a.n = 0;
	TEST_ERR(esc_decline(&inc, &p, &now, &a));
	TEST_EQ(inc.loop, 2);
	TEST_EQ(inc.level, 0);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_ERR(esc_arrived(&inc, &now));
	TEST_EQ(esc_closed(&inc), 1);
	TEST_EQ(esc_arrived(&inc, &now), EALREADY);
	TEST_EQ(esc_cancel(&inc, &now, &a), EALREADY);
	TEST_EQ(esc_wait_ms(&inc, &now), UINT64_MAX);
out:
	return err;
}

static int
test_cancel_and_claim(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 }, c = { 0 };
	struct esc_action pending;
	struct esc_now now;
	int err = 0;

	policy(&p, 3, 1);
	at(&now, boot_a, 0);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	pending = a.a[0];
	TEST_ERR(esc_claim(&inc, &pending));
	at(&now, boot_a, 300000);
	esc_tick(&inc, &p, &now, &a);
	/* level 1's page still queued when level 2 fired: superseded */
	TEST_EQ(esc_claim(&inc, &pending), ECANCELED);
	TEST_ERR(esc_claim(&inc, &a.a[a.n - 1]));
	pending = a.a[a.n - 1];
	TEST_ERR(esc_cancel(&inc, &now, &c));
	/* everyone paged (4 people on two levels) is told, nobody else */
	TEST_EQ(c.n, 4);
	TEST_EQ(count(&c, ESC_A_CANCEL), 4);
	TEST_ERR(esc_claim(&inc, &c.a[0]));
	TEST_EQ(esc_claim(&inc, &pending), ECANCELED);
	TEST_EQ(inc.state, ESC_CANCELLED);
out:
	return err;
}

static int
test_rate_limit(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0, i;

	policy(&p, 2, 0);
	/* the same contact on both levels, 60 s apart: one page in 2 min */
	snprintf(p.levels[1].rcpt[0], ESC_RCPT_LEN, "s0a");
	p.levels[0].deadline_s = 60;
	p.levels[1].deadline_s = 60;
	p.loop_every_s = 0;
	at(&now, boot_a, 0);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	a.n = 0;
	at(&now, boot_a, 60000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(inc.level, 1); /* the level fired */
	TEST_EQ(count(&a, ESC_A_PAGE), 0); /* its only page was held back */
	at(&now, boot_a, 120000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);

	/* max_pages: after the cap, only new recipients are paged */
	policy(&p, 2, 0);
	p.max_pages = 2;
	p.levels[0].deadline_s = 200;
	p.levels[1].deadline_s = 200;
	p.loops = 5;
	p.loop_every_s = 0;
	a.n = 0;
	at(&now, boot_a, 0);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	for (i = 1; i < 10; i++) {
		at(&now, boot_a, (uint64_t)i * 200000);
		esc_tick(&inc, &p, &now, &a);
	}
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_EQ(inc.pages, 2);
out:
	return err;
}

static int
test_unresolved(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;
	uint64_t t;

	policy(&p, 1, 0);
	p.loops = 2;
	p.levels[0].deadline_s = 300;
	p.loop_every_s = 600; /* longer than the loop: a gap */
	at(&now, boot_a, 0);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	at(&now, boot_a, 300000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 1); /* nothing at 5 min */
	TEST_EQ(esc_wait_ms(&inc, &now), 300000);
	at(&now, boot_a, 600000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	TEST_EQ(inc.loop, 2);
	at(&now, boot_a, 900000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(inc.state, ESC_UNRESOLVED);
	TEST_EQ(count(&a, ESC_A_UNRESOLVED), 1);
	/* reminders every 10 min, never a page */
	for (t = 900000 + 600000; t <= 900000 + 6 * 600000; t += 600000) {
		at(&now, boot_a, t);
		esc_tick(&inc, &p, &now, &a);
	}
	TEST_EQ(count(&a, ESC_A_PAGE), 2);
	/* one per loop (2) + unresolved + 6 reminders */
	TEST_EQ(count(&a, ESC_A_REMIND), 2 + 1 + 6);
	TEST_EQ(esc_decline(&inc, &p, &now, &a), EALREADY);
	/* a late yes still counts */
	TEST_ERR(esc_ack(&inc, &p, &now, "s0a", 0, &a));
	TEST_EQ(inc.eta_min, 30);
out:
	return err;
}

/*
 * The model of a policy the sweeps check against, written apart from the
 * engine: level L of loop k is due at S_k + sum(d_0..d_{L-1}); loop k+1
 * starts at max(S_k + sum(d), S_k + loop_every); after the last loop the
 * incident is unresolved.
 */
#define MAXF (ESC_MAX_LEVELS * 8)
struct model {
	int n;
	int loop[MAXF], level[MAXF];
	uint64_t due[MAXF];
	uint64_t unresolved;
};

static void
model_of(const struct esc_policy *p, uint64_t t0, struct model *m)
{
	uint64_t s = t0, t, total = 0;
	int k, l;

	m->n = 0;
	m->unresolved = t0;
	for (l = 0; l < p->nlevels; l++)
		total += (uint64_t)p->levels[l].deadline_s * 1000;
	for (k = 1; k <= p->loops; k++) {
		t = s;
		for (l = 0; l < p->nlevels; l++) {
			m->loop[m->n] = k;
			m->level[m->n] = l;
			m->due[m->n++] = t;
			t += (uint64_t)p->levels[l].deadline_s * 1000;
		}
		m->unresolved = s + total;
		if (s + total > s + (uint64_t)p->loop_every_s * 1000)
			s += total;
		else
			s += (uint64_t)p->loop_every_s * 1000;
	}
}

static void
random_policy(struct esc_policy *p, uint64_t *seed)
{
	int l;

	policy(
	    p, (int)rnd_in(seed, 1, ESC_MAX_LEVELS), (int)rnd_in(seed, 0, 1));
	for (l = 0; l < p->nlevels; l++)
		p->levels[l].deadline_s = (uint32_t)rnd_in(seed, 1, 900);
	p->loops = (int)rnd_in(seed, 1, 8);
	p->loop_every_s = (uint32_t)rnd_in(seed, 0, 3600);
	p->confirm_s = (uint32_t)rnd_in(seed, 1, 60);
	p->rate_s = 0; /* the rate limit has its own case */
	p->max_pages = 1000;
}

/*
 * Run one schedule to UNRESOLVED with ticks up to 999 ms late (and an early
 * tick before each due time, which must do nothing).  WALL_JUMP: the wall
 * clock jumps +-1 year at random between ticks.  Fills FIRED with each
 * level's fire time; returns 0 or EINVAL with a reason on stderr.
 */
static int
run_schedule(const struct esc_policy *p, enum esc_trigger trig, uint64_t *seed,
    int wall_jump, uint64_t fired[MAXF], int *nfired)
{
	struct esc_incident inc;
	struct esc_actions a;
	struct esc_now now;
	struct model m = { 0 };
	uint64_t t0, t, w, start;
	int64_t wall_off = 0;
	int i, j, guard, err = 0, seen[MAXF] = { 0 };

	t0 = rnd_in(seed, 1000, 1000000000);
	at(&now, boot_a, t0);
	a.n = 0;
	TEST_ERR(esc_raise(&inc, uuid1, trig, p, &now, &a));
	start = trig == ESC_TRIG_AUTO ? t0 + (uint64_t)p->confirm_s * 1000 : t0;
	model_of(p, start, &m);
	*nfired = 0;
	t = t0;
	for (guard = 0; guard < 4 * MAXF; guard++) {
		for (i = 0; i < a.n; i++) {
			const struct esc_action *x = &a.a[i];

			if (x->kind != ESC_A_PAGE)
				continue;
			for (j = 0; j < m.n; j++)
				if (m.loop[j] == x->loop &&
				    m.level[j] == x->level)
					break;
			if (j == m.n)
				TEST_FAILED("page for loop %d level %d the "
				            "policy does not have",
				    x->loop, x->level);
			if (t < m.due[j] || t >= m.due[j] + 1000)
				TEST_FAILED("loop %d level %d fired at %llu, "
				            "due %llu",
				    x->loop, x->level, (unsigned long long)t,
				    (unsigned long long)m.due[j]);
			if (seen[j] == 0)
				fired[(*nfired)++] = t;
			seen[j]++;
		}
		if (inc.state == ESC_UNRESOLVED)
			break;
		a.n = 0;
		w = esc_wait_ms(&inc, &now);
		if (w == UINT64_MAX)
			TEST_FAILED("nothing scheduled in state %s",
			    esc_state_name(inc.state));
		if (wall_jump && rnd_in(seed, 0, 1))
			wall_off =
			    rnd_in(seed, 0, 1) ? 31622400000LL : -31622400000LL;
		if (w > 1) { /* an early tick: nothing may happen */
			t += rnd_in(seed, 0, w - 1);
			at(&now, boot_a, t);
			now.wall_ms += wall_off;
			esc_tick(&inc, p, &now, &a);
			if (a.n != 0)
				TEST_FAILED("%d actions %llu ms early", a.n,
				    (unsigned long long)esc_wait_ms(
				        &inc, &now));
			w = esc_wait_ms(&inc, &now);
		}
		t += w + rnd_in(seed, 0, 999);
		at(&now, boot_a, t);
		now.wall_ms += wall_off;
		esc_tick(&inc, p, &now, &a);
	}
	if (inc.state != ESC_UNRESOLVED)
		TEST_FAILED("not unresolved after %d steps", guard);
	if (t < m.unresolved || t >= m.unresolved + 1000)
		TEST_FAILED("unresolved at %llu, due %llu",
		    (unsigned long long)t, (unsigned long long)m.unresolved);
	for (j = 0; j < m.n; j++) {
		int want = p->levels[m.level[j]].nrcpt;

		if (seen[j] != want)
			TEST_FAILED("loop %d level %d paged %d times, want %d",
			    m.loop[j], m.level[j], seen[j], want);
	}
out:
	return err;
}

static int
test_schedules(void)
{
	struct esc_policy p;
	uint64_t seed = 16, fired[MAXF];
	long i, n = sweep_n();
	int nf, err = 0;

	for (i = 0; i < n; i++) {
		random_policy(&p, &seed);
		err = run_schedule(&p,
		    rnd_in(&seed, 0, 1) ? ESC_TRIG_AUTO : ESC_TRIG_MANUAL,
		    &seed, 0, fired, &nf);
		if (err) {
			fprintf(stderr, "  schedule %ld of %ld\n", i, n);
			return err;
		}
	}
	printf("  %ld schedules, every level within 1 s, once a loop\n", n);
	return 0;
}

static int
test_wall_jumps(void)
{
	struct esc_policy p;
	uint64_t seed = 1616, s1, s2, f1[MAXF], f2[MAXF];
	long i, n = sweep_n() / 10;
	int n1, n2, err = 0, j;

	for (i = 0; i < n; i++) {
		random_policy(&p, &seed);
		s1 = s2 = rnd(&seed);
		/* the same run twice, the second with the wall clock
		 * jumping a year either way between ticks */
		TEST_ERR(run_schedule(&p, ESC_TRIG_MANUAL, &s1, 0, f1, &n1));
		TEST_ERR(run_schedule(&p, ESC_TRIG_MANUAL, &s2, 1, f2, &n2));
		TEST_EQ(n1, n2);
		for (j = 0; j < n1; j++)
			if (f1[j] > f2[j] + 1000 || f2[j] > f1[j] + 1000)
				TEST_FAILED("fire %d moved: %llu vs %llu", j,
				    (unsigned long long)f1[j],
				    (unsigned long long)f2[j]);
	}
out:
	return err;
}

static int
test_reboot(void)
{
	struct esc_policy p;
	struct esc_incident inc, saved;
	struct esc_actions a = { 0 };
	struct esc_now now;
	int err = 0;

	policy(&p, 3, 0);
	at(&now, boot_a, 900000000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_MANUAL, &p, &now, &a));
	at(&now, boot_a, 900000000 + 60000);
	esc_tick(&inc, &p, &now, &a);
	saved = inc; /* what the store held when the board lost power */
	/*
	 * The board restarts: a new boot id, CLOCK_BOOTTIME back near zero
	 * (the old deadline, 240 s away on the old boot, is meaningless),
	 * and fake-hwclock set the wall clock a year back.
	 */
	a.n = 0;
	at(&now, boot_b, 12000);
	now.wall_ms -= 31622400000LL;
	TEST_EQ(esc_wait_ms(&saved, &now), 0);
	esc_tick(&saved, &p, &now, &a);
	TEST_EQ(saved.level, 1); /* the expired level's successor, at once */
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_STR(a.a[0].rcpt, "s1a");
	TEST_STR(saved.due.boot_id, boot_b);
	TEST_EQ(esc_wait_ms(&saved, &now), 300000);
	/* and the schedule runs on the new boot's clock */
	a.n = 0;
	at(&now, boot_b, 12000 + 299999);
	esc_tick(&saved, &p, &now, &a);
	TEST_EQ(a.n, 0);
	at(&now, boot_b, 12000 + 300000);
	esc_tick(&saved, &p, &now, &a);
	TEST_EQ(saved.level, 2);

	/* a confirm window interrupted by a reboot sends at once */
	a.n = 0;
	at(&now, boot_a, 5000);
	TEST_ERR(esc_raise(&inc, uuid1, ESC_TRIG_AUTO, &p, &now, &a));
	at(&now, boot_b, 3000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(count(&a, ESC_A_PAGE), 1);
	TEST_EQ(inc.level, 0);
	/* a stall of an hour on one boot: the next level, its full window */
	a.n = 0;
	at(&now, boot_b, 3000 + 3600000);
	esc_tick(&inc, &p, &now, &a);
	TEST_EQ(inc.level, 1);
	TEST_EQ(esc_wait_ms(&inc, &now), 300000);
out:
	return err;
}

/*
 * Random interleavings: ticks, acks, declines, not-arrived, cancels and
 * arrivals, sends of queued pages (claimed first, as the stores do), reboots
 * and wall-clock jumps.  From a yes until a "not arrived", and after close,
 * no page may be emitted and none sent.
 */
static int
test_interleavings(void)
{
	struct esc_policy p;
	struct esc_incident inc;
	struct esc_actions a;
	struct esc_action q[256];
	struct esc_now now;
	uint64_t seed = 4242, t;
	long i, n = sweep_n(), sent = 0, acks = 0, held = 0;
	int nq, step, op, j, err = 0, stopped, r, boot;

	for (i = 0; i < n; i++) {
		random_policy(&p, &seed);
		p.rate_s = (uint32_t)rnd_in(&seed, 0, 200);
		boot = 0;
		t = rnd_in(&seed, 1000, 100000000);
		at(&now, boot_a, t);
		a.n = 0;
		TEST_ERR(esc_raise(&inc, uuid1,
		    rnd_in(&seed, 0, 1) ? ESC_TRIG_AUTO : ESC_TRIG_MANUAL, &p,
		    &now, &a));
		nq = 0;
		stopped = 0;
		for (step = 0; step < 60; step++) {
			for (j = 0; j < a.n; j++) {
				if (a.a[j].kind != ESC_A_PAGE)
					continue;
				if (stopped)
					TEST_FAILED("page emitted after a yes "
					            "(case %ld step %d)",
					    i, step);
				if (nq < (int)nitems(q))
					q[nq++] = a.a[j];
			}
			a.n = 0;
			op = (int)rnd_in(&seed, 0, 99);
			if (op < 35) { /* time passes */
				t += rnd_in(&seed, 0, 400000);
				at(&now, boot ? boot_b : boot_a, t);
				esc_tick(&inc, &p, &now, &a);
			} else if (op < 60 && nq > 0) { /* a send in flight */
				j = (int)rnd_in(&seed, 0, (uint64_t)nq - 1);
				r = esc_claim(&inc, &q[j]);
				if (r == 0 && stopped)
					TEST_FAILED("page sent after a yes "
					            "(case %ld)",
					    i);
				if (r == 0)
					sent++;
				else
					held++;
				q[j] = q[--nq];
			} else if (op < 70) {
				r = esc_ack(&inc, &p, &now, "s0a",
				    (uint32_t)rnd_in(&seed, 0, 90), &a);
				if (r == 0) {
					stopped = 1;
					acks++;
				}
			} else if (op < 78) {
				r = esc_decline(&inc, &p, &now, &a);
				if (r == 0 && stopped)
					TEST_FAILED("decline accepted after a "
					            "yes (case %ld)",
					    i);
			} else if (op < 84) {
				if (esc_not_arrived(&inc, &p, &now, &a) == 0 &&
				    !esc_closed(&inc))
					stopped = 0;
			} else if (op < 87) {
				if (esc_cancel(&inc, &now, &a) == 0)
					stopped = 2;
			} else if (op < 89) {
				if (esc_arrived(&inc, &now) == 0)
					stopped = 2;
			} else if (op < 94) { /* reboot */
				boot = !boot;
				t = rnd_in(&seed, 5000, 60000);
				at(&now, boot ? boot_b : boot_a, t);
			} else { /* the wall clock jumps a year */
				now.wall_ms += rnd_in(&seed, 0, 1)
				    ? 31622400000LL
				    : -31622400000LL;
				esc_tick(&inc, &p, &now, &a);
			}
			if (stopped == 2 && !esc_closed(&inc))
				TEST_FAILED("closed incident reopened (case "
				            "%ld)",
				    i);
			if (stopped == 1 && inc.state != ESC_ACKED)
				TEST_FAILED("state %s after a yes (case %ld)",
				    esc_state_name(inc.state), i);
		}
	}
	printf("  %ld interleavings: %ld acks, %ld pages sent, %ld held "
	       "back, 0 after a yes\n",
	    n, acks, sent, held);
	/* the sweep must have exercised both sides of the claim */
	TEST_TRUE(acks > n / 4 && sent > n / 2 && held > n / 10);
out:
	return err;
}

static int
test_ownership(void)
{
	static const struct {
		const char *modem, *send;
		uint64_t age;
		int server;
	} t[] = {
		{ "ok", "sent", 0, 0 },
		{ "ok", "delivered", 999999, 0 },
		{ "ok", "superseded", 999999, 0 },
		{ "ok", "failed", 0, 1 },
		{ "ok", "unknown", 59999, 0 },
		{ "ok", "unknown", 60000, 1 },
		{ "ok", "pending", 30000, 0 },
		{ "ok", "sending", 60000, 1 },
		{ "ok", "", 59999, 0 }, /* not reported yet */
		{ "ok", NULL, 60000, 1 }, /* never reported */
		{ "none", "", 0, 1 }, /* no modem: at once */
		{ "failed", "pending", 0, 1 },
		{ "unknown", "sent", 0, 0 },
	};
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(t); i++)
		if (esc_server_owns(t[i].modem, t[i].send, t[i].age) !=
		    t[i].server)
			TEST_FAILED("modem %s send %s after %llu ms: want %d",
			    t[i].modem, t[i].send ? t[i].send : "(none)",
			    (unsigned long long)t[i].age, t[i].server);
out:
	return err;
}

TEST_MAIN({ "code", test_code }, { "ownership", test_ownership },
    { "policy_check", test_policy_check }, { "manual", test_manual },
    { "confirm_window", test_confirm_window },
    { "decline_ack_arrival", test_decline_ack_arrival },
    { "cancel_and_claim", test_cancel_and_claim },
    { "rate_limit", test_rate_limit }, { "unresolved", test_unresolved },
    { "reboot", test_reboot }, { "schedules", test_schedules },
    { "wall_jumps", test_wall_jumps }, { "interleavings", test_interleavings })
