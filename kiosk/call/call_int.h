/*
 * Private to kiosk/call/: the ctrl_tcp frames as parsed structs, and the
 * pure bookkeeping (state, evidence, quality, ladder) that the engine
 * feeds with them.  Nothing here touches a socket or a process, so the
 * unit tests drive it with recorded frames (tests/kiosk/call/test_call_book.c).
 */
#ifndef KIOSK_CALL_INT_H
#define KIOSK_CALL_INT_H

#include "buf.h"
#include "kiosk/call/call.h"

/* A ctrl_tcp frame is at most this long (SDP with fingerprints ~2 KiB). */
#define CALLX_FRAME_MAX (256 * 1024)

enum callx_type {
	CALLX_OTHER = 0,
	CALLX_RESPONSE, /* {"response":true,...} */
	CALLX_INCOMING,
	CALLX_RINGING,
	CALLX_PROGRESS,
	CALLX_ESTABLISHED,
	CALLX_CLOSED,
	CALLX_MENC,
	CALLX_RTPESTAB,
	CALLX_RTCP,
	CALLX_REG_OK,
	CALLX_REG_FAIL,
	CALLX_AUDIO_ERROR,
	CALLX_EXIT,
};

struct callx_frame {
	enum callx_type type;
	int ok; /* responses */
	char token[32]; /* responses */
	char data[256]; /* responses: the command's text */
	char id[80]; /* call id */
	char peer[160];
	char peername[80]; /* the peer's display name (CALL_INCOMING: the
			      caller's rung, callx_rung_parse) */
	char param[160];
	int outgoing;
	struct call_quality rtcp; /* CALLX_RTCP */
};

/*
 * Netstring framing.  callx_frame_next takes one "<len>:<payload>," off
 * the front of IN: 0 with *PAYLOAD (caller frees) and *LEN, or 0 with
 * *PAYLOAD NULL when more bytes are needed; EBADMSG on bad framing or a
 * frame over CALLX_FRAME_MAX (the connection must then be dropped).
 */
int callx_frame_next(struct buf *in, char **payload, size_t *len);
/* Append one command as a netstring: {"command","params","token"}. */
int callx_encode(struct buf *out, const char *command, const char *params,
    const char *token);
/* Parse one frame's JSON (jansson).  0 or EBADMSG. */
int callx_parse(const char *json, size_t len, struct callx_frame *f);

/*
 * The bookkeeping.  callx_apply moves ST by one frame seen at MONO/WALL
 * and returns the ended call's evidence through *ENDED (1 when this frame
 * ended a call).  callx_end ends the current call for a reason the engine
 * found itself (timeout, crash).
 */
void callx_apply(struct call_status *st, const struct callx_frame *f,
    uint64_t mono, uint64_t wall, int *ended);
void callx_end(struct call_status *st, enum call_end why, const char *reason,
    uint64_t mono, uint64_t wall);
/* Start a new call's evidence (dial or incoming). */
void callx_begin(struct call_status *st, const char *id, const char *peer,
    int outgoing, uint64_t mono, uint64_t wall);
/* What baresip's CALL_CLOSED words mean. */
enum call_end callx_end_kind(const char *reason);

/*
 * The ladder: given the current rung and the link as measured, the rung
 * to use next.  Steps down one rung at a time when loss or jitter is too
 * high for the rung or the measured receive rate is under the rung's
 * need; steps up one rung after GOOD_S seconds of clean link.  HAVE_VIDEO
 * 0 keeps it off the video rung.
 */
struct callx_ladder {
	enum call_mode mode;
	uint64_t good_since_ms; /* clean link since; 0 not clean */
	int have_video;
	uint64_t good_ms; /* clean this long to step up; 0: the default */
};
#define CALLX_LADDER_GOOD_MS 15000
enum call_mode callx_ladder_step(struct callx_ladder *l,
    const struct call_quality *q, double rx_kbps, uint64_t mono);
/* Bits per second a rung needs on the wire (RTP+UDP+IP headers in). */
unsigned callx_mode_bps(enum call_mode);

/*
 * Both ends on one rung (kiosk/call/README.md, "Both ends on the same
 * rung").  The caller's rung rules the call: it goes in the display name
 * of the caller's From header ("outpost rung=c2-1300"), which baresip 1.0
 * hands the callee as CALL_INCOMING's peerdisplayname.
 *
 * callx_rung_tag: a call rung's tag ("video", "opus16", "opus8",
 * "c2-3200", "c2-1300", "c2-700c"); NULL for store-and-forward.
 * callx_rung_parse: the rung a display name announces, or -1 (none, an
 * older node, or a tag we do not know: ring as before).
 * callx_rung_compatible: can a call run between these two rungs as they
 * are?  opus at 16 or 8 kbit/s and video interoperate (each side sets its
 * own opus bitrate; video needs VP8 at both ends, else the call is voice);
 * a codec2 rung only with the very same rung (its mode is not in SDP).
 */
#define CALLX_RUNG_PREFIX "outpost rung="
const char *callx_rung_tag(enum call_mode);
int callx_rung_parse(const char *display_name);
int callx_rung_compatible(enum call_mode a, enum call_mode b);
/*
 * The caller's side of it: the callee refuses a call on a rung it cannot
 * run (486 at once, before anyone sees it ring) and restarts on the
 * caller's rung.  Is the end KIND of our outgoing call, AFTER_MS after
 * the dial, with REDIALS_DONE redials so far, such a refusal, to be
 * dialled again?  (A busy callee looks the same: it is called at most
 * CALLX_RUNG_REDIALS more times and refuses each; so is one not
 * registered, 404, while the callee restarts.)
 */
#define CALLX_RUNG_REFUSE_MS 3000
#define CALLX_RUNG_REDIALS 3
#define CALLX_RUNG_REDIAL_GAP_MS 1500
int callx_rung_redial(
    enum call_end kind, uint64_t after_ms, unsigned redials_done);
/* Forget call ID: its late events are not the current call's. */
void callx_forget(struct call_status *st, const char *id);

#endif
