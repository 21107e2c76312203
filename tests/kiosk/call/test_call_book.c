/*
 * The call engine's pure half without baresip: netstring framing (split
 * and bad frames), the JSON frames baresip 1.0 sends (recorded on this
 * machine), the state and evidence they drive, events before responses,
 * and the ladder's steps down and up.
 */
#include <string.h>

#include "kiosk/call/call_int.h"
#include "test.h"

static int
feed(struct buf *in, const char *s)
{
	return buf_append(in, s, strlen(s));
}

static int
test_framing(void)
{
	struct buf in, out;
	char *p = NULL;
	size_t n;
	int err = 0;

	buf_init(&in, 1024);
	buf_init(&out, 1024);
	TEST_ERR(feed(&in, "5:hel"));
	TEST_ERR(callx_frame_next(&in, &p, &n));
	TEST_TRUE(p == NULL); /* not complete */
	TEST_ERR(feed(&in, "lo,2:ab,"));
	TEST_ERR(callx_frame_next(&in, &p, &n));
	TEST_STR(p, "hello");
	free(p);
	TEST_ERR(callx_frame_next(&in, &p, &n));
	TEST_STR(p, "ab");
	free(p);
	p = NULL;
	TEST_EQ(in.len, 0);
	TEST_ERR(feed(&in, "3:abc;"));
	TEST_EQ(callx_frame_next(&in, &p, &n), EBADMSG);
	buf_reset(&in);
	TEST_ERR(feed(&in, "x:"));
	TEST_EQ(callx_frame_next(&in, &p, &n), EBADMSG);
	buf_reset(&in);
	TEST_ERR(feed(&in, "99999999:"));
	TEST_EQ(callx_frame_next(&in, &p, &n), EBADMSG);
	/* a command: params escaped by the JSON library */
	TEST_ERR(callx_encode(&out, "dial", "sip:a\"b@h", "t1"));
	TEST_ERR(buf_append_byte(&out, 0));
	TEST_STR((char *)out.data,
	    "53:{\"command\":\"dial\",\"params\":\"sip:a\\\"b@h\",\"token\":\"t1\"},");
out:
	buf_free(&in);
	buf_free(&out);
	return err;
}

#define P(s) callx_parse(s, strlen(s), &f)

static int
test_parse(void)
{
	struct callx_frame f;
	int err = 0;

	TEST_ERR(P("{\"response\":true,\"ok\":false,\"data\":\"Invalid "
	           "argument\",\"token\":\"hold-3\"}"));
	TEST_EQ(f.type, CALLX_RESPONSE);
	TEST_EQ(f.ok, 0);
	TEST_STR(f.token, "hold-3");
	TEST_ERR(P("{\"event\":true,\"type\":\"CALL_RTCP\",\"class\":\"call\","
	           "\"id\":\"7daf\",\"rtcp_stats\":{\"tx\":{\"sent\":250,"
	           "\"lost\":0,\"jit\":1395},\"rx\":{\"sent\":240,\"lost\":"
	           "10,\"jit\":2000},\"rtt\":3500}}"));
	TEST_EQ(f.type, CALLX_RTCP);
	TEST_EQ(f.rtcp.tx_sent, 250);
	TEST_EQ(f.rtcp.rx_lost, 10);
	TEST_TRUE(f.rtcp.loss_pct > 3.9 && f.rtcp.loss_pct < 4.1);
	TEST_TRUE(f.rtcp.rtt_ms > 3.4 && f.rtcp.rtt_ms < 3.6);
	TEST_ERR(P("{\"event\":true,\"type\":\"REGISTER_FAIL\",\"class\":"
	           "\"register\",\"param\":\"401 Unauthorized\"}"));
	TEST_EQ(f.type, CALLX_REG_FAIL);
	TEST_STR(f.param, "401 Unauthorized");
	TEST_EQ(P("{\"event\":true,"), EBADMSG);
	TEST_EQ(P("[1,2]"), EBADMSG);
	TEST_EQ(P("{\"neither\":1}"), EBADMSG);
	TEST_ERR(P("{\"event\":true,\"type\":\"SOMETHING_NEW\"}"));
	TEST_EQ(f.type, CALLX_OTHER);
out:
	return err;
}

static int
ev(struct call_status *st, const char *json, uint64_t t, int *ended)
{
	struct callx_frame f;
	int err = callx_parse(json, strlen(json), &f);

	if (err == 0)
		callx_apply(st, &f, t, 1700000000000ull + t, ended);
	return err;
}

/* An incoming call as baresip 1.0 reported it, with the hangup's
 * CALL_CLOSED before its response (pitfall: events before responses). */
static int
test_incoming_evidence(void)
{
	struct call_status st;
	int err = 0, end = 0;

	memset(&st, 0, sizeof(st));
	TEST_ERR(
	    ev(&st, "{\"event\":true,\"type\":\"REGISTER_OK\"}", 10, &end));
	TEST_EQ(st.reg, CALL_REG_OK);
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_INCOMING\",\"id\":"
	    "\"c1\",\"peeruri\":\"sip:hub1@r\",\"direction\":"
	    "\"incoming\"}",
	    1000, &end));
	TEST_EQ(st.state, CALL_S_RINGING);
	TEST_EQ(st.ev.ringing.mono_ms, 1000);
	TEST_STR(st.ev.peer, "sip:hub1@r");
	/* another call's events do not touch this one */
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_ESTABLISHED\",\"id\":"
	    "\"other\"}",
	    1100, &end));
	TEST_EQ(st.state, CALL_S_RINGING);
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_ESTABLISHED\",\"id\":"
	    "\"c1\"}",
	    2000, &end));
	TEST_EQ(st.state, CALL_S_UP);
	TEST_EQ(st.secure, 0); /* not before CALL_MENC */
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_MENC\",\"id\":\"c1\","
	    "\"param\":\"0,video,RTP\"}",
	    2500, &end));
	TEST_EQ(st.secure, 0); /* video's does not count for the voice */
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_MENC\",\"id\":\"c1\","
	    "\"param\":\"0,audio,RTP\"}",
	    3000, &end));
	TEST_EQ(st.secure, 1);
	TEST_EQ(st.ev.secure.mono_ms, 3000);
	TEST_EQ(st.ev.secure.wall_ms, 1700000003000ull);
	/* one-way audio: we send, nothing comes back */
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_RTCP\",\"id\":\"c1\","
	    "\"rtcp_stats\":{\"tx\":{\"sent\":250},\"rx\":{"
	    "\"sent\":0}}}",
	    7000, &end));
	TEST_EQ(st.q.one_way, 1);
	TEST_EQ(st.ev.media_tx.mono_ms, 7000);
	TEST_EQ(st.ev.media_rx.mono_ms, 0);
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_RTPESTAB\",\"id\":"
	    "\"c1\",\"param\":\"audio\"}",
	    8000, &end));
	TEST_EQ(st.ev.media_rx.mono_ms, 8000);
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_CLOSED\",\"id\":\"c1\","
	    "\"param\":\"Connection reset by peer\"}",
	    12000, &end));
	TEST_EQ(end, 1);
	TEST_EQ(st.state, CALL_S_ENDED);
	TEST_EQ(st.ev.end, CALL_END_REMOTE);
	TEST_EQ(st.ev.connected_ms, 10000);
	TEST_EQ(st.secure, 0);
	/* the response to our hangup, after the event: nothing changes */
	TEST_ERR(ev(&st, "{\"response\":true,\"ok\":true,\"token\":\"h\"}",
	    12040, &end));
	TEST_EQ(end, 0);
	TEST_EQ(st.ev.connected_ms, 10000);
	/* a late event of the ended call is not the next call's */
	callx_begin(&st, NULL, "sip:hub1@r", 1, 13000, 13000);
	TEST_ERR(ev(&st,
	    "{\"event\":true,\"type\":\"CALL_CLOSED\",\"id\":\"c1\","
	    "\"param\":\"x\"}",
	    13010, &end));
	TEST_EQ(end, 0);
	TEST_EQ(st.state, CALL_S_DIALING);
out:
	return err;
}

static int
test_end_kinds(void)
{
	int err = 0;

	TEST_EQ(
	    callx_end_kind("488 Not Acceptable Here"), CALL_END_NO_ENCRYPTION);
	TEST_EQ(callx_end_kind("486 Busy Here"), CALL_END_REJECTED);
	TEST_EQ(callx_end_kind("Connection reset by user"), CALL_END_LOCAL);
	TEST_EQ(callx_end_kind("Connection reset by peer"), CALL_END_REMOTE);
	TEST_EQ(callx_end_kind("Connection timed out"), CALL_END_UNREACHABLE);
	TEST_EQ(callx_end_kind("407 Proxy Authentication Required"),
	    CALL_END_FAILED);
	TEST_TRUE(strlen(call_end_text(CALL_END_NO_ENCRYPTION)) > 10);
out:
	return err;
}

static int
test_ladder(void)
{
	struct callx_ladder l = { CALL_MODE_VIDEO, 0, 1, 0 };
	struct call_quality clean = { .have = 1 }, lossy = { .have = 1 };
	uint64_t t = 1000;
	int err = 0, i;

	lossy.loss_pct = 12;
	/* each bad report: one rung down, to store-and-forward */
	for (i = CALL_MODE_OPUS16; i <= CALL_MODE_STORE_FORWARD; i++) {
		TEST_EQ(callx_ladder_step(&l, &lossy, -1, t += 5000), i);
	}
	TEST_EQ(callx_ladder_step(&l, &lossy, -1, t += 5000),
	    CALL_MODE_STORE_FORWARD);
	/* a thin link by rate alone: opus 16 at 10 kbit/s steps down */
	l.mode = CALL_MODE_OPUS16;
	TEST_EQ(callx_ladder_step(&l, &clean, 10, t += 5000), CALL_MODE_OPUS8);
	/* back up only after 15 s of clean link, one rung at a time */
	l.mode = CALL_MODE_CODEC2_1300;
	TEST_EQ(callx_ladder_step(&l, &clean, -1, t += 5000),
	    CALL_MODE_CODEC2_1300);
	TEST_EQ(callx_ladder_step(&l, &clean, -1, t += 10000),
	    CALL_MODE_CODEC2_1300);
	TEST_EQ(callx_ladder_step(&l, &clean, -1, t += 5000),
	    CALL_MODE_CODEC2_3200);
	TEST_EQ(callx_ladder_step(&l, &clean, -1, t += 15000), CALL_MODE_OPUS8);
	TEST_EQ(
	    callx_ladder_step(&l, &clean, -1, t += 15000), CALL_MODE_OPUS16);
	TEST_EQ(callx_ladder_step(&l, &clean, -1, t += 15000), CALL_MODE_VIDEO);
	/* no camera: never up to video */
	l.have_video = 0;
	l.mode = CALL_MODE_OPUS16;
	TEST_EQ(
	    callx_ladder_step(&l, &clean, -1, t += 15000), CALL_MODE_OPUS16);
	TEST_EQ(
	    callx_ladder_step(&l, &clean, -1, t += 15000), CALL_MODE_OPUS16);
out:
	return err;
}

/* Both ends on one rung: the caller's rung travels in its display name
 * (CALL_INCOMING's peerdisplayname); the callee refuses what it cannot
 * run; the caller dials again only after a refusal that came at once. */
static int
test_rung(void)
{
	struct callx_frame f;
	struct call_status st;
	char name[80];
	int err = 0, m, a, b;

	/* every call rung round-trips through the display name */
	for (m = 0; m < CALL_MODE_STORE_FORWARD; m++) {
		snprintf(name, sizeof(name), CALLX_RUNG_PREFIX "%s",
		    callx_rung_tag((enum call_mode)m));
		TEST_EQ(callx_rung_parse(name), m);
	}
	TEST_TRUE(callx_rung_tag(CALL_MODE_STORE_FORWARD) == NULL);
	TEST_TRUE(callx_rung_tag(CALL_MODE_N) == NULL);
	TEST_STR(callx_rung_tag(CALL_MODE_CODEC2_700C), "c2-700c");
	/* no rung, someone else's name, a rung we do not know: -1 */
	TEST_EQ(callx_rung_parse(NULL), -1);
	TEST_EQ(callx_rung_parse(""), -1);
	TEST_EQ(callx_rung_parse("Dr Amina"), -1);
	TEST_EQ(callx_rung_parse(CALLX_RUNG_PREFIX), -1);
	TEST_EQ(callx_rung_parse(CALLX_RUNG_PREFIX "c2-2400"), -1);
	TEST_EQ(callx_rung_parse(CALLX_RUNG_PREFIX "opus16 "), -1);
	TEST_EQ(callx_rung_parse("outpost rung=OPUS16"), -1);
	/* what can run together: opus 16/8 and video with each other; a
	 * codec2 rung only with itself (its mode is not in SDP) */
	for (a = 0; a < CALL_MODE_N; a++)
		for (b = 0; b < CALL_MODE_N; b++) {
			int c2a = a >= CALL_MODE_CODEC2_3200 &&
			    a <= CALL_MODE_CODEC2_700C,
			    c2b = b >= CALL_MODE_CODEC2_3200 &&
			    b <= CALL_MODE_CODEC2_700C,
			    want = a < CALL_MODE_STORE_FORWARD &&
			    b < CALL_MODE_STORE_FORWARD &&
			    ((!c2a && !c2b) || a == b);

			TEST_EQ(callx_rung_compatible(
			            (enum call_mode)a, (enum call_mode)b),
			    want);
		}
	TEST_EQ(
	    callx_rung_compatible(CALL_MODE_CODEC2_1300, CALL_MODE_CODEC2_700C),
	    0);
	TEST_EQ(
	    callx_rung_compatible(CALL_MODE_OPUS8, CALL_MODE_CODEC2_3200), 0);
	TEST_EQ(callx_rung_compatible(CALL_MODE_VIDEO, CALL_MODE_OPUS8), 1);
	/* the caller dials again after a refusal at once, twice at most */
	TEST_EQ(callx_rung_redial(CALL_END_REJECTED, 120, 0), 1);
	TEST_EQ(callx_rung_redial(CALL_END_REJECTED, 120, 1), 1);
	TEST_EQ(
	    callx_rung_redial(CALL_END_REJECTED, 120, CALLX_RUNG_REDIALS), 0);
	/* the callee restarting: not registered for a moment (404) */
	TEST_EQ(callx_rung_redial(callx_end_kind("404 Not Found"), 40, 0), 1);
	/* a person refusing after it rang a while, or any other end */
	TEST_EQ(
	    callx_rung_redial(CALL_END_REJECTED, CALLX_RUNG_REFUSE_MS, 0), 0);
	TEST_EQ(callx_rung_redial(CALL_END_NO_ENCRYPTION, 100, 0), 0);
	TEST_EQ(callx_rung_redial(CALL_END_FAILED, 100, 0), 0);
	TEST_EQ(callx_rung_redial(CALL_END_REMOTE, 100, 0), 0);
	/* baresip 1.0 hands the callee the caller's display name */
	TEST_ERR(P("{\"event\":true,\"type\":\"CALL_INCOMING\",\"class\":"
	           "\"call\",\"accountaor\":\"sip:kiosk1@127.0.0.1\","
	           "\"direction\":\"incoming\",\"peeruri\":"
	           "\"sip:hub1@127.0.0.1\",\"peerdisplayname\":"
	           "\"outpost rung=c2-1300\",\"id\":\"c9\",\"param\":"
	           "\"sip:hub1@127.0.0.1\"}"));
	TEST_EQ(f.type, CALLX_INCOMING);
	TEST_EQ(callx_rung_parse(f.peername), CALL_MODE_CODEC2_1300);
	TEST_ERR(P("{\"event\":true,\"type\":\"CALL_INCOMING\","
	           "\"peeruri\":\"sip:old@h\",\"id\":\"c10\"}"));
	TEST_STR(f.peername, "");
	TEST_EQ(callx_rung_parse(f.peername), -1);
	/* a refused call is forgotten: its late events are not the next
	 * call's */
	memset(&st, 0, sizeof(st));
	callx_forget(&st, "c9");
	callx_forget(&st, "");
	TEST_STR(st.old_ids[0], "c9");
	TEST_STR(st.old_ids[1], "");
	callx_begin(&st, NULL, "sip:kiosk1@r", 1, 10, 10);
	{
		int end = 0;

		TEST_ERR(ev(&st,
		    "{\"event\":true,\"type\":\"CALL_ESTABLISHED\","
		    "\"id\":\"c9\"}",
		    20, &end));
		TEST_EQ(st.state, CALL_S_DIALING);
		TEST_ERR(ev(&st,
		    "{\"event\":true,\"type\":\"CALL_RTPESTAB\","
		    "\"id\":\"c11\",\"param\":\"video\"}",
		    30, &end));
		TEST_EQ(st.video_rx, 1);
		TEST_STR(st.ev.call_id, "c11");
		/* a video stream's RTCP report is not the link's quality */
		TEST_ERR(ev(&st,
		    "{\"event\":true,\"type\":\"CALL_ESTABLISHED\","
		    "\"id\":\"c11\"}",
		    40, &end));
		TEST_ERR(ev(&st,
		    "{\"event\":true,\"type\":\"CALL_RTCP\",\"id\":"
		    "\"c11\",\"param\":\"audio\",\"rtcp_stats\":{\"tx\":"
		    "{\"sent\":250,\"lost\":0,\"jit\":0},\"rx\":{\"sent\":"
		    "240,\"lost\":10,\"jit\":0},\"rtt\":0}}",
		    50, &end));
		TEST_ERR(ev(&st,
		    "{\"event\":true,\"type\":\"CALL_RTCP\",\"id\":"
		    "\"c11\",\"param\":\"video\",\"rtcp_stats\":{\"tx\":"
		    "{\"sent\":9,\"lost\":0,\"jit\":0},\"rx\":{\"sent\":"
		    "5,\"lost\":5,\"jit\":0},\"rtt\":0}}",
		    60, &end));
		TEST_EQ(st.q.rx_sent, 240);
		TEST_EQ(st.q.rx_lost, 10);
	}
out:
	return err;
}

TEST_MAIN({ "framing", test_framing }, { "parse", test_parse },
    { "incoming_evidence", test_incoming_evidence },
    { "end_kinds", test_end_kinds }, { "ladder", test_ladder },
    { "rung", test_rung })
