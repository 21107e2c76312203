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

#endif
