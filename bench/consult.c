/*
 * Consult calls measured (bench/consult.sh runs this in a private network
 * namespace, so the loopback counters hold only this call's packets):
 * for each rung of the ladder, a real call between two engines through a
 * real Kamailio, and
 *   - the bytes per second on the wire in each direction in the steady
 *     state (IP + UDP + RTP + RTCP + SRTP tags; lo's tx_bytes over 5 s,
 *     halved: both ends send the same codec), packets per second, and
 *     what is left after 50 header bytes per packet (payload + RTCP);
 *   - the setup time from the CHW's "answer" to media flowing both ways
 *     (both ends' first RTP received);
 *   - the kiosk's RSS: this process plus its baresip child.
 * Video uses baresip's fakevideo source (no camera here): a static
 * picture, so VP8 sends far less than a real camera would.
 */
#include <stdio.h>

#include "tests/kiosk/call/callfix.h"

/* lo's transmitted bytes in this process's network namespace
 * (/proc/self/net/dev; /sys shows the namespace sysfs was mounted in). */
static uint64_t lo_pkts;

static uint64_t
lo_bytes(void)
{
	FILE *f = fopen("/proc/self/net/dev", "r");
	unsigned long long v[10] = { 0 };
	char line[512];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, "lo:");

		if (p != NULL &&
		    sscanf(p + 3,
		        "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		        &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		        &v[8], &v[9]) == 10)
			break;
	}
	fclose(f);
	lo_pkts = v[9];
	return v[8];
}

static long
rss_kb(int pid)
{
	char p[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	if ((f = fopen(p, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
one(enum call_mode m, int exclusive)
{
	static const char *const users[] = { "kiosk1", "hub1" };
	static const char *const pws[] = { "bench-k", "bench-h" };
	struct callfix fx;
	struct call_cfg kc, hc;
	struct call_engine *k = NULL, *h = NULL;
	const struct call_status *ks, *hs;
	char kd[512], kr[512], hd[512], hr[512], uri[128];
	uint64_t t_ans, t_two = 0, b0, b1, p0, p1;
	double bps, pps;
	int err;

	if ((err = callfix_init(&fx)) != 0 ||
	    (err = callfix_subscriber(&fx, users, pws, 2)) != 0 ||
	    (err = callfix_kamailio_start(&fx)) != 0)
		goto out;
	callfix_cfg(
	    &fx, 0, &kc, "kiosk1", pws[0], "ausine,440", kd, kr, sizeof(kd));
	callfix_cfg(
	    &fx, 1, &hc, "hub1", pws[1], "ausine,1000", hd, hr, sizeof(hd));
	kc.record_dir = hc.record_dir = NULL;
	kc.mode = hc.mode = m;
	if (m == CALL_MODE_VIDEO) {
		kc.video = hc.video = 1;
		kc.video_source = hc.video_source = "fakevideo,nil";
	}
	k = call_engine_new(&kc);
	h = call_engine_new(&hc);
	if ((err = call_engine_start(k)) != 0 ||
	    (err = call_engine_start(h)) != 0)
		goto out;
	ks = call_engine_status(k);
	hs = call_engine_status(h);
	CALLFIX_WAIT(
	    k, h, 5000, ks->reg == CALL_REG_OK && hs->reg == CALL_REG_OK);
	snprintf(uri, sizeof(uri), "sip:kiosk1@%s", fx.registrar);
	if ((err = call_dial(h, uri)) != 0)
		goto out;
	CALLFIX_WAIT(k, h, 3000, ks->state == CALL_S_RINGING);
	t_ans = clock_mono_ms();
	if ((err = call_answer(k)) != 0)
		goto out;
	CALLFIX_WAIT(k, h, 5000,
	    ks->ev.media_rx.mono_ms != 0 && hs->ev.media_rx.mono_ms != 0);
	if (ks->ev.media_rx.mono_ms && hs->ev.media_rx.mono_ms)
		t_two = (ks->ev.media_rx.mono_ms > hs->ev.media_rx.mono_ms
		                ? ks->ev.media_rx.mono_ms
		                : hs->ev.media_rx.mono_ms) -
		    t_ans;
	CALLFIX_WAIT(k, h, 2000, 0);
	b0 = lo_bytes();
	p0 = lo_pkts;
	CALLFIX_WAIT(k, h, 5000, 0);
	b1 = lo_bytes();
	p1 = lo_pkts;
	bps = (double)(b1 - b0) / 2 / 5;
	pps = (double)(p1 - p0) / 2 / 5;
	/* lo counts from the IP header (no link header): each packet has
	 * 20 (IPv4) + 8 (UDP) + 12 (RTP) + 10 (SRTP tag, HMAC-SHA1-80)
	 * bytes around the codec's payload; RTCP stays in the remainder */
	printf("%-30s wire %6.0f B/s = %5.1f kbit/s each way, %4.1f pkt/s, "
	       "payload+RTCP ~%4.1f kbit/s | setup %4llu ms | secure %s | RSS "
	       "engine %ld kB + baresip %ld kB\n",
	    call_mode_text(m), bps, bps * 8 / 1000, pps,
	    (bps - pps * 50) * 8 / 1000, (unsigned long long)t_two,
	    ks->secure && hs->secure ? "yes" : "NO", rss_kb(getpid()),
	    rss_kb(call_engine_pid(k)));
	fflush(stdout);
	if (!exclusive)
		printf(
		    "  (shared loopback: the rate includes other traffic)\n");
	call_hangup(k);
	CALLFIX_WAIT(k, h, 1000, 0);
out:
	if (err)
		printf("%-24s failed: %s\n", call_mode_text(m), strerror(err));
	call_engine_free(k);
	call_engine_free(h);
	callfix_fini(&fx);
	return err;
}

int
main(int argc, char **argv)
{
	static const enum call_mode modes[] = { CALL_MODE_VIDEO,
		CALL_MODE_OPUS16, CALL_MODE_OPUS8, CALL_MODE_CODEC2_3200,
		CALL_MODE_CODEC2_1300, CALL_MODE_CODEC2_700C };
	int exclusive = argc > 1 && strcmp(argv[1], "--netns") == 0, rc = 0;
	size_t i;

	if (!callfix_have_tools())
		return 77;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		rc |= one(modes[i], exclusive);
	return rc ? 1 : 0;
}
