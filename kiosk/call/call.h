/*
 * The call engine: one baresip 1.0 child process per node, driven over its
 * ctrl_tcp socket on 127.0.0.1 (kiosk/call/README.md says why and lists
 * the pitfalls each part is built around).
 *
 * Non-blocking: the owner (the UI loop, or a test) polls call_engine_fd()
 * and calls call_engine_poll() when it is readable and at least every
 * CALL_TICK_MS, which also runs the engine's own timers (no answer, crash
 * detection and restart).  What the person must see is in struct
 * call_status; nothing here draws, and no patient data is ever logged.
 *
 * The engine records evidence (struct call_evidence): per call id, the
 * monotonic and wall times of ringing, established, media each way, the
 * encryption, the end and its reason, and the milliseconds both parties
 * were connected.  It records; it never claims: a mark not seen stays 0.
 *
 * Errors: 0, or EINVAL (bad argument or no call), EBUSY (a call is
 * already up), ENOTCONN (baresip not running, or not registered with the
 * region's call server: call_status.reg_reason), ECHILD (baresip could not
 * be started), ETIMEDOUT (its control socket never came up), EIO (the
 * socket failed), ENOSPC/EROFS (the config could not be written).
 */
#ifndef KIOSK_CALL_H
#define KIOSK_CALL_H

#include <stddef.h>
#include <stdint.h>

#define CALL_TICK_MS 200
/* Where a node's baresip listens unless told otherwise: SIP (UDP/TCP, and
 * TLS on +1), ctrl_tcp on 127.0.0.1, and the RTP range. */
#define CALL_SIP_PORT_DEFAULT 5062
#define CALL_CTRL_PORT_DEFAULT 5066
#define CALL_RTP_LO_DEFAULT 20000
#define CALL_RTP_HI_DEFAULT 20099
/* Our own no-answer timeout (baresip's own is SIP timer B, 32 s). */
#define CALL_NO_ANSWER_S_DEFAULT 30
#define CALL_REG_WAIT_MS_DEFAULT 6000

/* The ladder, best first (kiosk/call/ladder.c). */
enum call_mode {
	CALL_MODE_VIDEO = 0,
	CALL_MODE_OPUS16,
	CALL_MODE_OPUS8,
	CALL_MODE_CODEC2_3200,
	CALL_MODE_CODEC2_1300,
	CALL_MODE_CODEC2_700C,
	CALL_MODE_STORE_FORWARD, /* no call: the consult goes by sync */
	CALL_MODE_N
};

enum call_state {
	CALL_S_IDLE = 0, /* no call */
	CALL_S_DIALING, /* we called; the other side has not answered */
	CALL_S_RINGING, /* they call us: waiting for the CHW's key */
	CALL_S_UP, /* established */
	CALL_S_ENDED, /* the last call ended: see evidence.end_reason */
};

enum call_reg {
	CALL_REG_NONE = 0, /* no registration tried yet */
	CALL_REG_OK,
	CALL_REG_FAILED, /* see call_status.reg_reason */
};

/* Why a call ended, in words the engine maps to a sentence. */
enum call_end {
	CALL_END_NONE = 0,
	CALL_END_LOCAL, /* we hung up */
	CALL_END_REMOTE, /* they hung up */
	CALL_END_NO_ANSWER, /* our own timeout */
	CALL_END_REJECTED, /* busy or refused */
	CALL_END_NO_ENCRYPTION, /* 488: the peer offered no encryption */
	CALL_END_UNREACHABLE, /* not registered, or no route to the peer */
	CALL_END_CRASH, /* baresip stopped under us */
	CALL_END_FAILED, /* anything else */
};

struct call_mark {
	uint64_t mono_ms; /* CLOCK_MONOTONIC; 0: not seen */
	uint64_t wall_ms; /* Unix milliseconds at the same instant */
};

struct call_evidence {
	char call_id[80]; /* baresip's call id */
	char peer[160]; /* the peer's SIP URI (a node name, not a person) */
	int outgoing;
	struct call_mark ringing, established, media_rx, media_tx, secure,
	    ended;
	enum call_end end;
	char end_reason[96]; /* baresip's words, e.g. "486 Busy Here" */
	uint64_t connected_ms; /* established .. ended, 0 if never up */
};

/* Link quality from the last CALL_RTCP event. */
struct call_quality {
	int have;
	uint32_t tx_sent, tx_lost, rx_sent, rx_lost;
	double tx_jitter_ms, rx_jitter_ms, rtt_ms;
	double loss_pct; /* what we receive */
	int one_way; /* media flows only one way (after a few seconds up) */
};

struct call_status {
	enum call_state state;
	enum call_reg reg;
	char reg_reason[160];
	int running; /* baresip is running and connected */
	unsigned restarts; /* how often baresip was restarted */
	int secure; /* CALL_MENC seen for this call's audio */
	int muted, held;
	int video_rx; /* video RTP received in this call (CALL_RTPESTAB) */
	enum call_mode mode;
	enum call_mode wanted; /* the rung the link supports now (the ladder,
				  from each RTCP report of a call); the
				  engine moves to it in the call where
				  baresip can (opus 16 <-> 8), else at the
				  call's end, for the next call */
	struct call_quality q;
	struct call_evidence ev; /* the current or last call */
	char old_ids[4][80]; /* calls that ended: their late events are
				not the next call's */
	unsigned generation; /* bumps on every visible change */
};

struct call_cfg {
	const char *dir; /* private directory for baresip's config */
	const char *baresip; /* program; NULL: "baresip" on PATH */
	const char *user; /* SIP user (the node's SIP name) */
	const char *password; /* SIP password (wiped after start) */
	const char *registrar; /* "host:port" of the region's Kamailio */
	int sip_port, ctrl_port; /* 127.0.0.1 ports for baresip */
	int rtp_lo, rtp_hi; /* RTP port range */
	const char *audio_source; /* "alsa,default", "ausine,440",
				     "aufile,/abs/file.wav" */
	const char *audio_player; /* "alsa,default" or NULL: none */
	const char *record_dir; /* sndfile recordings (tests) or NULL */
	const char *turn; /* "turn:host:port" or NULL */
	int video; /* the board has a display and a camera */
	const char *video_source; /* NULL: "v4l2,/dev/video0" */
	const char *video_display; /* NULL: "fakevideo,nil" (baresip-core
				      has no screen output; see README) */
	unsigned no_answer_s; /* 0: CALL_NO_ANSWER_S_DEFAULT */
	unsigned reg_wait_ms; /* no REGISTER answer by then: say so;
				 0: CALL_REG_WAIT_MS_DEFAULT */
	enum call_mode mode; /* starting rung */
	int no_ladder; /* 1: the rung changes only by call_set_mode */
	unsigned ladder_good_ms; /* clean link this long before a step up;
				    0: 15 s (tests shorten it) */
	int test_no_menc; /* tests only: offer no encryption, to play the
			     peer a node must refuse */
	/* Called once per ended call with its evidence (may be NULL). */
	void (*on_evidence)(void *arg, const struct call_evidence *);
	void *arg;
};

struct call_engine;

/* A new engine (copies CFG); nothing runs until call_engine_start. */
struct call_engine *call_engine_new(const struct call_cfg *cfg);
/* Write the config, start baresip and connect to it (waits up to 5 s). */
int call_engine_start(struct call_engine *);
/* The control socket to poll for reading, or -1 when not running. */
int call_engine_fd(const struct call_engine *);
/* Read what is there, run the timers; never blocks longer than
 * TIMEOUT_MS (0: just look).  Restarts baresip if it died. */
int call_engine_poll(struct call_engine *, int timeout_ms);
const struct call_status *call_engine_status(const struct call_engine *);
/* Stop baresip (quit, then SIGTERM, then SIGKILL) and free. */
void call_engine_free(struct call_engine *);

int call_dial(struct call_engine *, const char *uri);
int call_answer(struct call_engine *);
int call_hangup(struct call_engine *);
int call_mute(struct call_engine *, int on);
int call_hold(struct call_engine *, int on);
/*
 * Choose the ladder's rung.  Between calls baresip is restarted with the
 * rung's config (codec2's mode is not negotiated: both nodes must use the
 * same rung).  During a call only opus 16 <-> 8 can change (the encoder's
 * bitrate, live); anything else is EBUSY.  CALL_MODE_STORE_FORWARD is
 * EINVAL here: the caller stops calling and queues the consult.
 */
int call_set_mode(struct call_engine *, enum call_mode);
/* The pid of the baresip child (tests kill it); 0 if none. */
int call_engine_pid(const struct call_engine *);

/*
 * Video on this board (call_video.c): a V4L2 capture device under DEVDIR
 * (NULL: /dev) and a display baresip can draw on (X_DISPLAY, the value
 * of $DISPLAY, with its x11 module, else DEVDIR/fb0 with directfb), the
 * modules looked up in MODDIR (NULL: CALL_BARESIP_MODULES).  Returns
 * V->ok (both found); V->camera and V->display say which is missing.
 */
#define CALL_BARESIP_MODULES "/usr/lib/baresip/modules"
struct call_video {
	int ok, camera, display;
	char source[96]; /* "v4l2,/dev/videoN" */
	char display_mod[32]; /* "x11,nil" or "directfb,nil" */
};
int call_video_probe(const char *devdir, const char *moddir,
    const char *x_display, struct call_video *v);

/* What the CHW reads for an end reason / a registration failure. */
const char *call_end_text(enum call_end);
const char *call_state_text(enum call_state);
/* The end kind's stable name for records: "local", "remote", "no-answer",
 * "rejected", "no-encryption", "unreachable", "crash", "failed". */
const char *call_end_name(enum call_end);
const char *call_mode_text(enum call_mode);

#endif
