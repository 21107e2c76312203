/*
 * A consult call relayed by coturn (issue 13, docs/OPERATIONS.md "Calls"):
 * a real turnserver on loopback, its users given as the same HA1 digests
 * the server's SIP table holds (MD5(user:realm:password), realm the
 * registrar's host), two engines with `medianat=turn` through a real
 * Kamailio.  Checked: both nodes allocate a relay on coturn (its log),
 * coturn carries the media (its per-session counters), the call is
 * encrypted and the tone arrives each way.  Loopback has no NAT, so this
 * shows the relay works with our credentials, not NAT traversal itself.
 */
#include "callfix.h"

static const char *const users[] = { "kiosk1", "hub1" };
static const char *const pws[] = { "k-pw-1", "h-pw-1" };

static void
ha1(const char *user, const char *pw, char hex[33])
{
	char in[256];
	unsigned char md[16];
	unsigned mdlen;
	int k;

	snprintf(in, sizeof(in), "%s:127.0.0.1:%s", user, pw);
	EVP_Digest(in, strlen(in), md, &mdlen, EVP_md5(), NULL);
	for (k = 0; k < 16; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
}

/* How many lines of FILE contain both A and B. */
static int
lines_with(const char *file, const char *a, const char *b)
{
	char line[2048];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, a) != NULL && (b == NULL || strstr(line, b));
	fclose(f);
	return n;
}

/* The most packets coturn relayed from peers to USER in one session
 * ("peer usage: ... username=<USER>, rp=N"). */
static long
peer_packets(const char *file, const char *user)
{
	char line[2048], want[96];
	const char *p;
	FILE *f = fopen(file, "r");
	long best = 0, n;

	if (f == NULL)
		return 0;
	snprintf(want, sizeof(want), "username=<%s>, rp=", user);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "peer usage:") != NULL &&
		    (p = strstr(line, want)) != NULL) {
			n = strtol(p + strlen(want), NULL, 10);
			if (n > best)
				best = n;
		}
	fclose(f);
	return best;
}

static int
test_turn_relay(void)
{
	struct callfix fx;
	struct call_cfg kc, hc;
	struct call_engine *k = NULL, *h = NULL;
	const struct call_status *ks, *hs;
	char kd[512], kr[512], hd[512], hr[512], uri[128], turn[64], log[600],
	    u1[80], u2[80], hex[33], lp[32], minp[16], maxp[16], db[600],
	    pid[600];
	int16_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	unsigned ra = 0, rb = 0;
	pid_t ts = 0;
	int err = 0, relay, st, tport;

	memset(&fx, 0, sizeof(fx));
	if (!callfix_have_tools())
		return TEST_SKIP;
	if (system("command -v turnserver >/dev/null") != 0) {
		fprintf(stderr, "SKIP reason: turnserver (coturn) missing\n");
		return TEST_SKIP;
	}
	TEST_ERR(callfix_init(&fx));
	TEST_ERR(callfix_subscriber(&fx, users, pws, 2));
	TEST_ERR(callfix_kamailio_start(&fx));
	/* coturn on port base+37, relays on another free block */
	tport = fx.base + 37;
	TEST_TRUE((relay = callfix_ports()) > 0);
	snprintf(lp, sizeof(lp), "%d", tport);
	snprintf(minp, sizeof(minp), "%d", relay);
	snprintf(maxp, sizeof(maxp), "%d", relay + 39);
	ha1(users[0], pws[0], hex);
	snprintf(u1, sizeof(u1), "%s:0x%s", users[0], hex);
	ha1(users[1], pws[1], hex);
	snprintf(u2, sizeof(u2), "%s:0x%s", users[1], hex);
	snprintf(log, sizeof(log), "%s/turn.log", fx.dir);
	snprintf(db, sizeof(db), "%s/turndb", fx.dir);
	snprintf(pid, sizeof(pid), "%s/turn.pid", fx.dir);
	if ((ts = fork()) == 0) {
		if (freopen(log, "w", stdout) == NULL || dup2(1, 2) < 0)
			_exit(126);
		setpgid(0, 0);
		execlp("turnserver", "turnserver", "-n", "--listening-ip",
		    "127.0.0.1", "--relay-ip", "127.0.0.1", "-p", lp,
		    "--min-port", minp, "--max-port", maxp, "--realm",
		    "127.0.0.1", "--lt-cred-mech", "--user", u1, "--user", u2,
		    "--allow-loopback-peers", "--no-cli", "--no-tls",
		    "--no-dtls", "--userdb", db, "--pidfile", pid, "--log-file",
		    "stdout", "--simple-log", "-v", (char *)NULL);
		_exit(127);
	}
	{
		uint64_t until = clock_mono_ms() + 5000;

		while (callfix_port_free(tport, SOCK_DGRAM) &&
		    clock_mono_ms() < until)
			usleep(50000);
		TEST_TRUE(!callfix_port_free(tport, SOCK_DGRAM));
	}
	snprintf(turn, sizeof(turn), "turn:127.0.0.1:%d", tport);
	callfix_cfg(
	    &fx, 0, &kc, "kiosk1", pws[0], "ausine,440", kd, kr, sizeof(kd));
	callfix_cfg(
	    &fx, 1, &hc, "hub1", pws[1], "ausine,1000", hd, hr, sizeof(hd));
	kc.turn = hc.turn = turn;
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
	CALLFIX_WAIT(k, h, 8000, ks->state == CALL_S_RINGING);
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_ERR(call_answer(k));
	CALLFIX_WAIT(k, h, 6000, ks->secure && hs->secure);
	TEST_TRUE(ks->secure);
	TEST_TRUE(hs->secure);
	CALLFIX_WAIT(k, h, 2800, 0);
	TEST_ERR(call_hangup(h));
	CALLFIX_WAIT(k, h, 3000, ks->state == CALL_S_ENDED);
	call_engine_free(k);
	call_engine_free(h);
	k = h = NULL;
	/* coturn's own account: both allocated, and it relayed (its
	 * per-session usage line comes a moment after the release) */
	usleep(1500 * 1000);
	kill(-ts, SIGTERM);
	kill(ts, SIGTERM);
	waitpid(ts, &st, 0);
	ts = 0;
	fprintf(stderr, "  coturn: %d allocations kiosk1, %d hub1\n",
	    lines_with(log, "ALLOCATE processed, success", "kiosk1"),
	    lines_with(log, "ALLOCATE processed, success", "hub1"));
	TEST_TRUE(lines_with(log, "ALLOCATE processed, success", "kiosk1") > 0);
	TEST_TRUE(lines_with(log, "ALLOCATE processed, success", "hub1") > 0);
	/* ~50 packets a second each way for ~3 s went through the relays */
	fprintf(stderr,
	    "  coturn relayed from peers: kiosk1 %ld, hub1 %ld "
	    "packets\n",
	    peer_packets(log, "kiosk1"), peer_packets(log, "hub1"));
	TEST_TRUE(peer_packets(log, "kiosk1") >= 80);
	TEST_TRUE(peer_packets(log, "hub1") >= 80);
	/* the tone each way */
	TEST_ERR(callfix_read_dec(kr, &a, &na, &ra));
	TEST_ERR(callfix_read_dec(hr, &b, &nb, &rb));
	fprintf(stderr, "  tone share: kiosk 1000 Hz %.2f, hub 440 Hz %.2f\n",
	    callfix_goertzel(a, na, ra, 1000, ra * 3 / 2, ra),
	    callfix_goertzel(b, nb, rb, 440, rb * 3 / 2, rb));
	TEST_TRUE(callfix_goertzel(a, na, ra, 1000, ra * 3 / 2, ra) > 0.8);
	TEST_TRUE(callfix_goertzel(b, nb, rb, 440, rb * 3 / 2, rb) > 0.8);
out:
	free(a);
	free(b);
	call_engine_free(k);
	call_engine_free(h);
	if (ts > 0) {
		kill(-ts, SIGTERM);
		kill(ts, SIGTERM);
		waitpid(ts, &st, 0);
	}
	callfix_fini(&fx);
	return err;
}

TEST_MAIN({ "turn_relay", test_turn_relay })
