/*
 * The ladder on a real link with a real bandwidth cap (issue 13): the
 * test moves itself into a private network namespace (unshare), brings
 * its own loopback up and caps it with tbf there, so nobody else's
 * loopback traffic is touched; Kamailio and two baresips run inside.
 * One opus 16 call: under the cap the RTCP loss steps the ladder down to
 * opus 8 (applied inside the call, aubitrate) and then wants codec2 (not
 * possible inside a call with baresip 1.0: taken for the next call);
 * with the cap lifted the link is clean and the ladder steps back up to
 * opus 16 inside the call.  At the call's end the rung for the next call
 * is what the link last supported.  The dwell before a step up is
 * OUTPOST_LADDER_GOOD_MS (default here 3000; 15000 in the field).
 *
 * Loopback carries both directions through one qdisc: opus 16 is about
 * 2 x 34 kbit/s on the wire, opus 8 2 x 29, codec2 3200 2 x 24
 * (kiosk/call/README.md).  Only UDP goes through the tbf (an htb root
 * with a u32 filter puts it in the tbf's class): the engine's control
 * socket to baresip is TCP on the same loopback, and a capped control
 * socket would stall the events the ladder reads.
 */
#include <sched.h>

#include "callfix.h"
#include "str.h"

#define CAP "60kbit"

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return st == 0 ? 0 : EIO;
}

static const char *const users[] = { "kiosk1", "hub1" };
static const char *const pws[] = { "k-pw-1", "h-pw-1" };

static int
test_ladder_tbf(void)
{
	struct callfix fx;
	struct call_cfg kc, hc;
	struct call_engine *k = NULL, *h = NULL;
	const struct call_status *ks, *hs;
	char kd[512], kr[512], hd[512], hr[512], uri[128];
	const char *g = getenv("OUTPOST_LADDER_GOOD_MS");
	uint64_t t0;
	int err = 0, down8 = 0, wants_c2 = 0, up16 = 0, capped = 0;

	memset(&fx, 0, sizeof(fx));
	if (!callfix_have_tools())
		return TEST_SKIP;
	if (system("command -v tc >/dev/null && command -v ip >/dev/null") !=
	    0) {
		fprintf(stderr, "SKIP reason: tc or ip missing\n");
		return TEST_SKIP;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr,
		    "SKIP reason: no private network namespace here (%s)\n",
		    strerror(errno));
		return TEST_SKIP;
	}
	TEST_ERR(sh("ip link set lo up"));
	TEST_ERR(callfix_init(&fx));
	TEST_ERR(callfix_subscriber(&fx, users, pws, 2));
	TEST_ERR(callfix_kamailio_start(&fx));
	callfix_cfg(
	    &fx, 0, &kc, "kiosk1", pws[0], "ausine,440", kd, kr, sizeof(kd));
	callfix_cfg(
	    &fx, 1, &hc, "hub1", pws[1], "ausine,1000", hd, hr, sizeof(hd));
	kc.record_dir = hc.record_dir = NULL;
	{
		long long ms = 3000;

		if (g != NULL && str_to_ll(g, 0, 600000, &ms) != 0)
			ms = 3000;
		kc.ladder_good_ms = hc.ladder_good_ms = (unsigned)ms;
	}
	k = call_engine_new(&kc);
	h = call_engine_new(&hc);
	TEST_ERR(call_engine_start(k));
	TEST_ERR(call_engine_start(h));
	ks = call_engine_status(k);
	hs = call_engine_status(h);
	CALLFIX_WAIT(
	    k, h, 5000, ks->reg == CALL_REG_OK && hs->reg == CALL_REG_OK);
	TEST_EQ(ks->reg, CALL_REG_OK);
	snprintf(uri, sizeof(uri), "sip:kiosk1@%s", fx.registrar);
	TEST_ERR(call_dial(h, uri));
	CALLFIX_WAIT(k, h, 5000, ks->state == CALL_S_RINGING);
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_ERR(call_answer(k));
	CALLFIX_WAIT(k, h, 5000,
	    ks->state == CALL_S_UP && hs->state == CALL_S_UP && ks->secure);
	TEST_EQ(ks->state, CALL_S_UP);
	TEST_EQ(ks->mode, CALL_MODE_OPUS16);
	/* the cap */
	/* UDP only (RTP, RTCP, SIP): the engine's control socket to its
	 * baresip is TCP on this loopback too, and must not be capped */
	TEST_ERR(sh("{ tc qdisc add dev lo root handle 1: htb default 10 && "
	            "tc class add dev lo parent 1: classid 1:10 htb rate "
	            "1000mbit && "
	            "tc class add dev lo parent 1: classid 1:20 htb rate "
	            "1000mbit && "
	            "tc qdisc add dev lo parent 1:20 handle 20: tbf rate " CAP
	            " burst 1600 latency 100ms && "
	            "tc filter add dev lo parent 1: protocol ip prio 1 u32 "
	            "match ip protocol 17 0xff flowid 1:20; } 2>/dev/null"));
	capped = 1;
	t0 = clock_mono_ms();
	CALLFIX_WAIT(k, h, 15000,
	    ks->mode == CALL_MODE_OPUS8 || hs->mode == CALL_MODE_OPUS8);
	down8 = ks->mode == CALL_MODE_OPUS8 || hs->mode == CALL_MODE_OPUS8;
	fprintf(stderr, "  capped: opus 8 after %llu ms (kiosk %d, hub %d)\n",
	    (unsigned long long)(clock_mono_ms() - t0), ks->mode, hs->mode);
	TEST_TRUE(down8);
	CALLFIX_WAIT(k, h, 12000,
	    ks->wanted >= CALL_MODE_CODEC2_3200 ||
	        hs->wanted >= CALL_MODE_CODEC2_3200);
	wants_c2 = ks->wanted >= CALL_MODE_CODEC2_3200 ||
	    hs->wanted >= CALL_MODE_CODEC2_3200;
	fprintf(stderr, "  capped: wanted kiosk %d hub %d after %llu ms\n",
	    ks->wanted, hs->wanted, (unsigned long long)(clock_mono_ms() - t0));
	TEST_TRUE(wants_c2);
	/* inside the call the rung stays opus 8 (codec2 needs a new call) */
	TEST_TRUE(ks->mode <= CALL_MODE_OPUS8 && hs->mode <= CALL_MODE_OPUS8);
	TEST_EQ(ks->state, CALL_S_UP);
	/* the cap lifted: back up to opus 16 inside the call */
	TEST_ERR(sh("tc qdisc del dev lo root"));
	capped = 0;
	t0 = clock_mono_ms();
	CALLFIX_WAIT(k, h, 20000,
	    ks->mode == CALL_MODE_OPUS16 && hs->mode == CALL_MODE_OPUS16);
	up16 = ks->mode == CALL_MODE_OPUS16 && hs->mode == CALL_MODE_OPUS16;
	fprintf(stderr, "  uncapped: opus 16 again after %llu ms\n",
	    (unsigned long long)(clock_mono_ms() - t0));
	TEST_TRUE(up16);
	TEST_EQ(ks->wanted, CALL_MODE_OPUS16);
	TEST_EQ(ks->state, CALL_S_UP);
	TEST_ERR(call_hangup(h));
	CALLFIX_WAIT(k, h, 3000, ks->state == CALL_S_ENDED);
	TEST_EQ(ks->state, CALL_S_ENDED);
out:
	if (capped && system("tc qdisc del dev lo root") != 0)
		fprintf(stderr, "  tc del failed\n");
	call_engine_free(k);
	call_engine_free(h);
	callfix_fini(&fx);
	return err;
}

TEST_MAIN({ "ladder_tbf", test_ladder_tbf })
