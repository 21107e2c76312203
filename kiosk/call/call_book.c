/*
 * The call's bookkeeping, without a socket: state, link quality and the
 * evidence, moved one ctrl_tcp frame at a time (callx_apply), plus the
 * ladder's decisions and the sentences a CHW reads.  The engine supplies
 * the clock readings, so tests replay recorded frames with fixed times.
 *
 * Rules kept here (kiosk/call/README.md):
 * - "secure" only after a CALL_MENC for the audio stream, never from
 *   configuration (a non-mandatory mode falls back to clear RTP silently);
 * - media each way from what was seen: RTP received (CALL_RTPESTAB or
 *   RTCP rx packets), RTP sent (RTCP tx packets); a mark not seen stays 0;
 * - connected time is established .. ended on the monotonic clock.
 */
#include <stdio.h>
#include <string.h>

#include "call_int.h"
#include "i18n.h"

static void
mark(struct call_mark *m, uint64_t mono, uint64_t wall)
{
	if (m->mono_ms == 0) {
		m->mono_ms = mono;
		m->wall_ms = wall;
	}
}

void
callx_begin(struct call_status *st, const char *id, const char *peer,
    int outgoing, uint64_t mono, uint64_t wall)
{
	memset(&st->ev, 0, sizeof(st->ev));
	memset(&st->q, 0, sizeof(st->q));
	snprintf(st->ev.call_id, sizeof(st->ev.call_id), "%s", id ? id : "");
	snprintf(st->ev.peer, sizeof(st->ev.peer), "%s", peer ? peer : "");
	st->ev.outgoing = outgoing;
	st->secure = st->muted = st->held = st->video_rx = 0;
	st->state = outgoing ? CALL_S_DIALING : CALL_S_RINGING;
	mark(&st->ev.ringing, mono, wall);
	st->generation++;
}

enum call_end
callx_end_kind(const char *r)
{
	if (strstr(r, "reset by user") != NULL)
		return CALL_END_LOCAL;
	if (strstr(r, "reset by peer") != NULL || strstr(r, "end of file"))
		return CALL_END_REMOTE;
	if (strncmp(r, "488", 3) == 0 || strstr(r, "No audio codecs"))
		return CALL_END_NO_ENCRYPTION;
	if (strncmp(r, "486", 3) == 0 || strncmp(r, "603", 3) == 0 ||
	    strncmp(r, "480", 3) == 0)
		return CALL_END_REJECTED;
	if (strncmp(r, "404", 3) == 0 || strncmp(r, "408", 3) == 0 ||
	    strstr(r, "timed out") != NULL || strstr(r, "refused"))
		return CALL_END_UNREACHABLE;
	return CALL_END_FAILED;
}

void
callx_forget(struct call_status *st, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return;
	memmove(st->old_ids[1], st->old_ids[0],
	    sizeof(st->old_ids) - sizeof(st->old_ids[0]));
	snprintf(st->old_ids[0], sizeof(st->old_ids[0]), "%s", id);
}

void
callx_end(struct call_status *st, enum call_end why, const char *reason,
    uint64_t mono, uint64_t wall)
{
	if (st->state != CALL_S_DIALING && st->state != CALL_S_RINGING &&
	    st->state != CALL_S_UP)
		return;
	mark(&st->ev.ended, mono, wall);
	if (st->ev.end == CALL_END_NONE) {
		st->ev.end = why;
		snprintf(
		    st->ev.end_reason, sizeof(st->ev.end_reason), "%s", reason);
	}
	callx_forget(st, st->ev.call_id);
	if (st->ev.established.mono_ms != 0)
		st->ev.connected_ms =
		    st->ev.ended.mono_ms - st->ev.established.mono_ms;
	st->state = CALL_S_ENDED;
	st->secure = 0;
	st->generation++;
}

/* Is F about the call we are keeping?  An id we have not seen yet is
 * taken on (the first event of a dial carries it). */
static int
ours(struct call_status *st, const struct callx_frame *f)
{
	size_t i;

	if (f->id[0] == '\0')
		return 1;
	for (i = 0; i < sizeof(st->old_ids) / sizeof(st->old_ids[0]); i++)
		if (strcmp(st->old_ids[i], f->id) == 0)
			return 0;
	if (st->ev.call_id[0] == '\0') {
		snprintf(st->ev.call_id, sizeof(st->ev.call_id), "%s", f->id);
		return 1;
	}
	return strcmp(st->ev.call_id, f->id) == 0;
}

void
callx_apply(struct call_status *st, const struct callx_frame *f, uint64_t mono,
    uint64_t wall, int *ended)
{
	int live = st->state == CALL_S_DIALING || st->state == CALL_S_RINGING ||
	    st->state == CALL_S_UP;

	*ended = 0;
	switch (f->type) {
	case CALLX_REG_OK:
		st->reg = CALL_REG_OK;
		st->reg_reason[0] = '\0';
		st->generation++;
		return;
	case CALLX_REG_FAIL:
		st->reg = CALL_REG_FAILED;
		snprintf(
		    st->reg_reason, sizeof(st->reg_reason), "%s", f->param);
		st->generation++;
		return;
	case CALLX_INCOMING:
		if (live)
			return; /* the engine rejects a second call */
		callx_begin(st, f->id, f->peer, 0, mono, wall);
		return;
	default:
		break;
	}
	if (!live || !ours(st, f))
		return;
	switch (f->type) {
	case CALLX_RINGING:
	case CALLX_PROGRESS:
		mark(&st->ev.ringing, mono, wall);
		break;
	case CALLX_ESTABLISHED:
		mark(&st->ev.established, mono, wall);
		st->state = CALL_S_UP;
		break;
	case CALLX_MENC:
		if (strstr(f->param, "audio") != NULL) {
			mark(&st->ev.secure, mono, wall);
			st->secure = 1;
		}
		break;
	case CALLX_RTPESTAB:
		if (strstr(f->param, "audio") != NULL)
			mark(&st->ev.media_rx, mono, wall);
		else if (strstr(f->param, "video") != NULL)
			st->video_rx = 1;
		break;
	case CALLX_RTCP:
		/* one report per stream: the link quality is the audio's
		 * (a video call's video counters are another stream's) */
		if (strcmp(f->param, "video") == 0)
			return;
		st->q = f->rtcp;
		if (f->rtcp.rx_sent > 0)
			mark(&st->ev.media_rx, mono, wall);
		if (f->rtcp.tx_sent > 0)
			mark(&st->ev.media_tx, mono, wall);
		st->q.one_way =
		    (f->rtcp.tx_sent == 0) != (f->rtcp.rx_sent == 0);
		break;
	case CALLX_CLOSED:
		callx_end(st, callx_end_kind(f->param), f->param, mono, wall);
		*ended = 1;
		return;
	default:
		return;
	}
	st->generation++;
}

/* --- the ladder ----------------------------------------------------------- */

/* Wire rates measured with bench/consult.sh (payload + 40 B headers per
 * packet), rounded up: what a rung needs to hold. */
unsigned
callx_mode_bps(enum call_mode m)
{
	switch (m) {
	case CALL_MODE_VIDEO:
		return 300000;
	case CALL_MODE_OPUS16:
		return 34000;
	case CALL_MODE_OPUS8:
		return 24000;
	case CALL_MODE_CODEC2_3200:
		return 11200;
	case CALL_MODE_CODEC2_1300:
		return 9400;
	case CALL_MODE_CODEC2_700C:
		return 8800;
	default:
		return 0;
	}
}

enum call_mode
callx_ladder_step(struct callx_ladder *l, const struct call_quality *q,
    double rx_kbps, uint64_t mono)
{
	int bad;

	if (!q->have)
		return l->mode;
	bad = q->loss_pct > 8.0 || q->rx_jitter_ms > 80.0 ||
	    (l->mode < CALL_MODE_STORE_FORWARD && rx_kbps >= 0 &&
	        rx_kbps * 1000.0 < 0.6 * callx_mode_bps(l->mode));
	if (bad) {
		l->good_since_ms = 0;
		if (l->mode < CALL_MODE_STORE_FORWARD)
			l->mode++;
		return l->mode;
	}
	if (q->loss_pct > 2.0) {
		l->good_since_ms = 0;
		return l->mode;
	}
	if (l->good_since_ms == 0) {
		l->good_since_ms = mono;
		return l->mode;
	}
	if (mono - l->good_since_ms >=
	        (l->good_ms ? l->good_ms : CALLX_LADDER_GOOD_MS) &&
	    l->mode > (l->have_video ? CALL_MODE_VIDEO : CALL_MODE_OPUS16) &&
	    l->mode < CALL_MODE_STORE_FORWARD) {
		l->mode--;
		l->good_since_ms = mono;
	}
	return l->mode;
}

/* --- both ends on one rung ----------------------------------------------- */

static const char *const rung_tags[CALL_MODE_STORE_FORWARD] = {
	[CALL_MODE_VIDEO] = "video",
	[CALL_MODE_OPUS16] = "opus16",
	[CALL_MODE_OPUS8] = "opus8",
	[CALL_MODE_CODEC2_3200] = "c2-3200",
	[CALL_MODE_CODEC2_1300] = "c2-1300",
	[CALL_MODE_CODEC2_700C] = "c2-700c",
};

const char *
callx_rung_tag(enum call_mode m)
{
	return (unsigned)m < CALL_MODE_STORE_FORWARD ? rung_tags[m] : NULL;
}

int
callx_rung_parse(const char *name)
{
	size_t n = strlen(CALLX_RUNG_PREFIX);
	int m;

	if (name == NULL || strncmp(name, CALLX_RUNG_PREFIX, n) != 0)
		return -1;
	for (m = 0; m < CALL_MODE_STORE_FORWARD; m++)
		if (strcmp(name + n, rung_tags[m]) == 0)
			return m;
	return -1;
}

static int
is_codec2(enum call_mode m)
{
	return m >= CALL_MODE_CODEC2_3200 && m <= CALL_MODE_CODEC2_700C;
}

int
callx_rung_compatible(enum call_mode a, enum call_mode b)
{
	if ((unsigned)a >= CALL_MODE_STORE_FORWARD ||
	    (unsigned)b >= CALL_MODE_STORE_FORWARD)
		return 0;
	if (is_codec2(a) || is_codec2(b))
		return a == b;
	return 1; /* video, opus 16, opus 8 */
}

int
callx_rung_redial(enum call_end kind, uint64_t after_ms, unsigned done)
{
	return (kind == CALL_END_REJECTED || kind == CALL_END_UNREACHABLE) &&
	    after_ms < CALLX_RUNG_REFUSE_MS && done < CALLX_RUNG_REDIALS;
}

/* --- words ------------------------------------------------------------------ */

const char *
call_end_text(enum call_end e)
{
	switch (e) {
	case CALL_END_NONE:
		return "";
	case CALL_END_LOCAL:
		return _("You ended the call.");
	case CALL_END_REMOTE:
		return _("The other side ended the call.");
	case CALL_END_NO_ANSWER:
		return _(
		    "Nobody answered. The consult stays in the queue; try again later.");
	case CALL_END_REJECTED:
		return _(
		    "The other side is busy. The consult stays in the queue.");
	case CALL_END_NO_ENCRYPTION:
		return _(
		    "The call was refused because it could not be made private. Nothing was said.");
	case CALL_END_UNREACHABLE:
		return _(
		    "The other side cannot be reached now. The consult stays in the queue.");
	case CALL_END_CRASH:
		return _(
		    "The call stopped because the call program failed. It has been restarted; call again.");
	case CALL_END_FAILED:
		break;
	}
	return _("The call failed. The consult stays in the queue; try again.");
}

const char *
call_end_name(enum call_end e)
{
	static const char *const names[] = {
		[CALL_END_NONE] = "none",
		[CALL_END_LOCAL] = "local",
		[CALL_END_REMOTE] = "remote",
		[CALL_END_NO_ANSWER] = "no-answer",
		[CALL_END_REJECTED] = "rejected",
		[CALL_END_NO_ENCRYPTION] = "no-encryption",
		[CALL_END_UNREACHABLE] = "unreachable",
		[CALL_END_CRASH] = "crash",
		[CALL_END_FAILED] = "failed",
	};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e]
	                                                      : "failed";
}

const char *
call_state_text(enum call_state s)
{
	switch (s) {
	case CALL_S_IDLE:
		return _("No call");
	case CALL_S_DIALING:
		return _("Calling...");
	case CALL_S_RINGING:
		return _("Incoming call");
	case CALL_S_UP:
		return _("In call");
	case CALL_S_ENDED:
		break;
	}
	return _("Call ended");
}

const char *
call_mode_text(enum call_mode m)
{
	switch (m) {
	case CALL_MODE_VIDEO:
		return _("Video");
	case CALL_MODE_OPUS16:
		return _("Voice (good)");
	case CALL_MODE_OPUS8:
		return _("Voice (thin link)");
	case CALL_MODE_CODEC2_3200:
		return _("Voice (very thin link)");
	case CALL_MODE_CODEC2_1300:
		return _("Voice (very thin link, 1300)");
	case CALL_MODE_CODEC2_700C:
		return _("Voice (very thin link, 700)");
	default:
		break;
	}
	return _("No call: the consult goes by message");
}
