/*
 * The baresip child and its control socket.  The engine writes a private
 * config directory, starts `baresip -f DIR` with stdin on /dev/null and its
 * output in DIR/baresip.log, connects to ctrl_tcp on 127.0.0.1, and then
 * only reacts: every frame is read by one reader and dispatched by type
 * (events may come before the response of the command that caused them).
 * It keeps its own timers: no answer (SIP's own is 32 s), no registration,
 * and a dead child, which ends the call as a crash and starts baresip again.
 *
 * The SIP password is in the accounts file only until baresip has read it:
 * the file is removed once the control socket answers, and the copy in
 * memory is wiped at call_engine_free.
 */
#define LOG_MODULE "call"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "call_int.h"
#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "xmalloc.h"

#define RESTART_GAP_MS 1000
/* how much longer the called side rings than the caller waits */
#define CALLEE_GRACE_MS 2000
/* the shortest interval the ladder judges (RTCP comes every ~5 s) */
#define LADDER_INTERVAL_MS 2500
/* no report at all for this long: nothing gets through */
#define LADDER_SILENT_MS 6000

struct call_engine {
	struct call_cfg cfg; /* strings below are our copies */
	char *dir, *baresip, *user, *password, *registrar, *src, *player,
	    *record, *turn;
	pid_t pid;
	int fd;
	struct buf in, out;
	struct call_status st;
	uint64_t started_ms, died_ms, hangup_ms;
	unsigned token;
	int quitting;
	/* the ladder during a call: the last RTCP counters, for the loss
	 * of each report's interval (baresip's are since the call began) */
	struct callx_ladder ladder;
	uint32_t lad_sent, lad_lost, lad_txsent, lad_txlost;
	uint64_t lad_ms; /* when they were taken */
	int lad_call; /* the ladder follows the current call */
	/* both ends on one rung: our dial (a callee refusing our rung makes
	 * us dial again) and the caller's rung we are to move to */
	uint64_t dial_ms, redial_at;
	unsigned redials;
	int follow; /* the caller's rung + 1; 0: none */
	uint64_t follow_at;
};

static int command(struct call_engine *, const char *, const char *);

static char *
dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct call_engine *
call_engine_new(const struct call_cfg *cfg)
{
	struct call_engine *e = xcalloc(1, sizeof(*e));

	e->cfg = *cfg;
	e->dir = dup0(cfg->dir);
	e->baresip = xstrdup(cfg->baresip ? cfg->baresip : "baresip");
	e->user = dup0(cfg->user);
	e->password = dup0(cfg->password);
	e->registrar = dup0(cfg->registrar);
	e->src = dup0(cfg->audio_source ? cfg->audio_source : "alsa,default");
	e->player = dup0(cfg->audio_player);
	e->record = dup0(cfg->record_dir);
	e->turn = dup0(cfg->turn);
	if (e->cfg.no_answer_s == 0)
		e->cfg.no_answer_s = CALL_NO_ANSWER_S_DEFAULT;
	if (e->cfg.reg_wait_ms == 0)
		e->cfg.reg_wait_ms = CALL_REG_WAIT_MS_DEFAULT;
	e->pid = 0;
	e->fd = -1;
	e->st.mode = e->st.wanted = cfg->mode;
	buf_init(&e->in, CALLX_FRAME_MAX + 16);
	buf_init(&e->out, 64 * 1024);
	return e;
}

/* The driver's module: "alsa,default" -> "alsa". */
static void
module_of(const char *drv, char *mod, size_t n)
{
	size_t k = strcspn(drv, ",");

	snprintf(mod, n, "%.*s", (int)k, drv);
}

static int
write_config(struct call_engine *e)
{
	struct buf b;
	char path[512], mod[32], pmod[32];
	enum call_mode m = e->st.mode;
	int err;
	/* libcodec2's mode enum, not the bit rate (pitfall 4) */
	int c2 = m == CALL_MODE_CODEC2_3200 ? 0
	    : m == CALL_MODE_CODEC2_1300    ? 4
	                                    : 8;

	if (mkdir(e->dir, 0700) != 0 && errno != EEXIST)
		return errno;
	module_of(e->src, mod, sizeof(mod));
	buf_init(&b, 16 * 1024);
	buf_printf(&b,
	    "poll_method\tepoll\n"
	    "sip_listen\t127.0.0.1:%d\n"
	    "net_interface\t127.0.0.1\n"
	    "dns_server\t127.0.0.1:53\n"
	    "call_local_timeout\t%u\n"
	    "call_max_calls\t2\n"
	    "audio_source\t%s\n"
	    "ausrc_srate\t48000\nausrc_channels\t2\n"
	    "audio_buffer\t20-160\n"
	    "rtp_ports\t%d-%d\n"
	    "rtp_stats\tyes\n"
	    "module_path\t/usr/lib/baresip/modules\n"
	    "module\topus.so\nmodule\tcodec2.so\nmodule\tg711.so\n"
	    "module\t%s.so\n"
	    "module\tdtls_srtp.so\n",
	    e->cfg.sip_port, e->cfg.no_answer_s + 5, e->src, e->cfg.rtp_lo,
	    e->cfg.rtp_hi, mod);
	if (e->player != NULL) {
		module_of(e->player, pmod, sizeof(pmod));
		if (strcmp(pmod, mod) != 0)
			buf_printf(&b, "module\t%s.so\n", pmod);
		buf_printf(&b, "audio_player\t%s\n", e->player);
	}
	if (e->record != NULL)
		buf_printf(&b, "module\tsndfile.so\nsnd_path\t%s\n", e->record);
	if (e->turn != NULL)
		buf_printf(&b, "module\tturn.so\nmodule\tstun.so\n");
	if (e->cfg.video && m == CALL_MODE_VIDEO)
		buf_printf(&b,
		    "module\tvp8.so\nmodule\tv4l2.so\nmodule\tfakevideo.so\n"
		    "video_source\t%s\nvideo_display\t%s\n"
		    "video_size\t352x288\nvideo_bitrate\t256000\n"
		    "video_fps\t15\n",
		    e->cfg.video_source ? e->cfg.video_source
		                        : "v4l2,/dev/video0",
		    e->cfg.video_display ? e->cfg.video_display
		                         : "fakevideo,nil");
	buf_printf(&b,
	    "module_tmp\taccount.so\n"
	    "module_app\tmenu.so\nmodule_app\tctrl_tcp.so\n"
	    "ctrl_tcp_listen\t127.0.0.1:%d\n"
	    "opus_bitrate\t%d\nopus_stereo\tno\nopus_application\tvoip\n"
	    "codec2_mode\t%d\n"
	    "menu_bell\tno\nringback_disabled\tyes\nstatmode_default\toff\n",
	    e->cfg.ctrl_port, m == CALL_MODE_OPUS8 ? 8000 : 16000, c2);
	snprintf(path, sizeof(path), "%s/config", e->dir);
	err = fileio_write_atomic(path, b.data, b.len, 0600);
	/* no accounts file: the account comes over ctrl_tcp (account_line) */
	snprintf(path, sizeof(path), "%s/accounts", e->dir);
	if (!err && fileio_write_atomic(path, "", 0, 0600) != 0)
		err = EIO;
	buf_free(&b);
	return err;
}

/*
 * The account, sent with `uanew` once the control socket is up, so the
 * password never reaches the disk and the REGISTER events come after we
 * listen (an account from the accounts file registers before ctrl_tcp
 * has a client, and its REGISTER_OK is lost).  Registration with digest
 * auth through the region's Kamailio, manual answer (auto-answer fails
 * silently, pitfall 1), mandatory DTLS-SRTP, no transfer by the far end,
 * codecs named with rate and channels (pitfall 3).
 */
static void
account_line(struct call_engine *e, struct buf *b)
{
	enum call_mode m = e->st.mode;
	int codec2 = m >= CALL_MODE_CODEC2_3200 && m <= CALL_MODE_CODEC2_700C;

	/* the rung in our display name: a callee on another rung moves to
	 * ours (callx_rung_parse) */
	if (callx_rung_tag(m) != NULL)
		buf_printf(
		    b, "\"" CALLX_RUNG_PREFIX "%s\" ", callx_rung_tag(m));
	buf_printf(b,
	    "<sip:%s@%s;transport=udp>;auth_pass=%s;"
	    "outbound=\"sip:%s;transport=udp\";regint=60;"
	    "answermode=manual;mediaenc=%s;call_transfer=no;",
	    e->user, e->registrar, e->password, e->registrar,
	    e->cfg.test_no_menc ? "" : "dtls_srtp");
	/* the other family second, never used between our nodes: without
	 * a codec in common baresip refuses the INVITE itself (488, the
	 * same answer as a peer without encryption) before we see it, and
	 * the callee could not move to the caller's rung (rung_refuse) */
	if (codec2)
		buf_printf(b, "audio_codecs=codec2,opus/48000/1;ptime=%d",
		    m == CALL_MODE_CODEC2_3200 ? 20 : 40);
	else
		buf_printf(b, "audio_codecs=opus/48000/1,codec2;ptime=20");
	if (e->cfg.video && m == CALL_MODE_VIDEO)
		buf_printf(b, ";video_codecs=vp8");
	if (e->turn != NULL)
		/* coturn knows the node by its SIP user and password (the
		 * same HA1, same realm: docs/OPERATIONS.md) */
		buf_printf(b,
		    ";medianat=turn;stunserver=\"%s\";stunuser=%s;"
		    "stunpass=%s",
		    e->turn, e->user, e->password);
}

static int
spawn(struct call_engine *e)
{
	char logp[512];
	int lfd, nfd;
	pid_t pid;

	snprintf(logp, sizeof(logp), "%s/baresip.log", e->dir);
	lfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (lfd < 0 || nfd < 0) {
		int err = errno;

		if (lfd >= 0)
			close(lfd);
		if (nfd >= 0)
			close(nfd);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		close(lfd);
		close(nfd);
		return ECHILD;
	}
	if (pid == 0) {
		dup2(nfd, 0);
		dup2(lfd, 1);
		dup2(lfd, 2);
		execlp(e->baresip, e->baresip, "-f", e->dir, (char *)NULL);
		_exit(127);
	}
	close(lfd);
	close(nfd);
	e->pid = pid;
	return 0;
}

static int
child_gone(struct call_engine *e)
{
	int status;

	if (e->pid <= 0)
		return 1;
	if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
		if (e->quitting)
			log_info("baresip %d stopped", (int)e->pid);
		else
			log_warnx("baresip %d stopped (status %d)", (int)e->pid,
			    status);
		e->pid = 0;
		return 1;
	}
	return 0;
}

static int
connect_ctrl(struct call_engine *e)
{
	struct sockaddr_in sa;
	uint64_t until = clock_mono_ms() + 10000; /* slow boards */
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)e->cfg.ctrl_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return EIO;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if (child_gone(e))
			return ECHILD;
		if (clock_mono_ms() > until)
			return ETIMEDOUT;
		usleep(100 * 1000);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	e->fd = fd;
	return 0;
}

static void
stop_child(struct call_engine *e)
{
	int i, status;

	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	for (i = 0; i < 30; i++) {
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			return;
		}
		usleep(100 * 1000);
	}
	kill(e->pid, SIGKILL);
	waitpid(e->pid, &status, 0);
	e->pid = 0;
}

int
call_engine_start(struct call_engine *e)
{
	int err;

	if (e->dir == NULL || e->user == NULL || e->password == NULL ||
	    e->registrar == NULL)
		return EINVAL;
	stop_child(e);
	buf_reset(&e->in);
	buf_reset(&e->out);
	if ((err = write_config(e)) != 0 || (err = spawn(e)) != 0)
		return err;
	if ((err = connect_ctrl(e)) != 0) {
		log_warnx("baresip control socket: %s", strerror(err));
		stop_child(e);
		return err;
	}
	{
		struct buf acc;

		buf_init(&acc, 4096);
		account_line(e, &acc);
		buf_append_byte(&acc, 0);
		err = command(e, "uanew", (const char *)acc.data);
		buf_free(&acc); /* wiped: it held the password */
		if (err) {
			stop_child(e);
			return err;
		}
	}
	e->started_ms = clock_mono_ms();
	e->st.running = 1;
	e->st.reg = CALL_REG_NONE;
	e->st.generation++;
	log_info("baresip %d started", (int)e->pid);
	return 0;
}

int
call_engine_fd(const struct call_engine *e)
{
	return e->fd;
}

int
call_engine_pid(const struct call_engine *e)
{
	return e->pid > 0 ? (int)e->pid : 0;
}

const struct call_status *
call_engine_status(const struct call_engine *e)
{
	return &e->st;
}

static int
flush(struct call_engine *e)
{
	while (e->out.len > 0) {
		ssize_t n = send(e->fd, e->out.data, e->out.len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { e->fd, POLLOUT, 0 };

			if (poll(&p, 1, 1000) <= 0)
				return EIO;
			continue;
		}
		if (n <= 0)
			return EIO;
		buf_consume(&e->out, (size_t)n);
	}
	return 0;
}

static int
command(struct call_engine *e, const char *cmd, const char *params)
{
	char tok[32];
	int err;

	if (e->fd < 0)
		return ENOTCONN;
	snprintf(tok, sizeof(tok), "%s-%u", cmd, ++e->token);
	if ((err = callx_encode(&e->out, cmd, params, tok)) != 0)
		return err;
	return flush(e);
}

static void
ended(struct call_engine *e)
{
	log_info("call %s ended: %s, %llu ms connected", e->st.ev.call_id,
	    e->st.ev.end_reason, (unsigned long long)e->st.ev.connected_ms);
	if (e->cfg.on_evidence != NULL)
		e->cfg.on_evidence(e->cfg.arg, &e->st.ev);
}

static void
end_now(struct call_engine *e, enum call_end why, const char *reason)
{
	enum call_state s = e->st.state;

	callx_end(&e->st, why, reason, clock_mono_ms(), clock_wall_ms());
	if (s != e->st.state)
		ended(e);
}

/* Select call ID (pitfall 9: hangup takes no id) and hang it up. */
static int
hangup_id(struct call_engine *e, const char *id)
{
	int err = 0;

	if (id[0] != '\0')
		err = command(e, "callfind", id);
	return err ? err : command(e, "hangup", NULL);
}

/* A rung's name for the log (English, not the screen's words). */
static const char *
mode_name(enum call_mode m)
{
	static const char *const names[CALL_MODE_N] = { "video", "opus 16",
		"opus 8", "codec2 3200", "codec2 1300", "codec2 700C",
		"store-and-forward" };

	return (unsigned)m < CALL_MODE_N ? names[m] : "?";
}

/* Rungs baresip 1.0 changes inside a call: opus bitrate (aubitrate). */
static int
ladder_in_call(enum call_mode a, enum call_mode b)
{
	return (a == CALL_MODE_OPUS16 || a == CALL_MODE_OPUS8) &&
	    (b == CALL_MODE_OPUS16 || b == CALL_MODE_OPUS8);
}

/*
 * One interval of the call that is up, judged by the ladder: its answer
 * is the rung the link supports (st.wanted).  Where baresip can change
 * inside the call (opus 16 <-> 8) it does at once; otherwise the ladder
 * holds at the rung in use (so one bad link does not run it down to the
 * bottom while nothing changes) and the rung wanted is taken at the
 * call's end, for the next call (timers).
 */
static void
ladder_judge(struct call_engine *e, const struct call_quality *iq, uint64_t now)
{
	enum call_mode w;

	w = callx_ladder_step(&e->ladder, iq, -1, now);
	if (w != e->st.wanted) {
		log_info("ladder: loss %.1f%%, jitter %.0f ms: %s -> %s",
		    iq->loss_pct, iq->rx_jitter_ms, mode_name(e->st.wanted),
		    mode_name(w));
		e->st.wanted = w;
		e->st.generation++;
	}
	if (w == e->st.mode)
		return;
	if (ladder_in_call(e->st.mode, w)) {
		if (call_set_mode(e, w) != 0)
			e->ladder.mode = e->st.mode;
	} else
		e->ladder.mode = e->st.mode;
}

/* The loss over one interval: LOST of SENT+LOST packets, in %. */
static double
interval_loss(uint32_t sent, uint32_t lost)
{
	return sent + lost > 0 ? 100.0 * lost / ((double)sent + lost) : 100.0;
}

/*
 * An RTCP report of the call that is up: the loss over the interval
 * since the last one judged (baresip's counters are since the call
 * began; the first report's interval is the call so far), each way:
 * what we receive (rx), and what the far end reports receiving of ours
 * (tx, from its receiver reports), the worse of the two.  So the caller,
 * whose rung rules the next call, judges the callee's side too.
 */
static void
ladder_tick(struct call_engine *e)
{
	struct call_quality iq = e->st.q;
	uint64_t now = clock_mono_ms();
	uint32_t ds, dl, ts, tl;
	double txl;

	if (e->cfg.no_ladder)
		return;
	if (!e->lad_call || iq.rx_sent < e->lad_sent ||
	    iq.rx_lost < e->lad_lost || iq.tx_sent < e->lad_txsent) {
		memset(&e->ladder, 0, sizeof(e->ladder));
		e->ladder.mode = e->st.mode;
		e->ladder.have_video = e->cfg.video;
		e->ladder.good_ms = e->cfg.ladder_good_ms;
		e->lad_call = 1;
		e->st.wanted = e->st.mode; /* a new call, a new judgement */
		e->lad_sent = e->lad_lost = e->lad_txsent = e->lad_txlost = 0;
		e->lad_ms = now;
		if (iq.rx_sent == 0) {
			/* a report before the first packet counted (DTLS
			 * takes a second): the call's start is the baseline */
			e->lad_txsent = iq.tx_sent;
			e->lad_txlost =
			    iq.tx_lost <= iq.tx_sent ? iq.tx_lost : 0;
			return;
		}
	} else if (now - e->lad_ms < LADDER_INTERVAL_MS)
		/* reports come in bunches (one per RTCP packet received):
		 * judge intervals of a few seconds, not the gap between two */
		return;
	e->lad_ms = now;
	ds = iq.rx_sent - e->lad_sent;
	dl = iq.rx_lost - e->lad_lost;
	e->lad_sent = iq.rx_sent;
	e->lad_lost = iq.rx_lost;
	iq.loss_pct = interval_loss(ds, dl);
	/* the far end's report of our stream (its lost count is signed in
	 * RTCP: anything above what we sent is not a loss we can judge) */
	ts = iq.tx_sent - e->lad_txsent;
	tl = iq.tx_lost - e->lad_txlost;
	if (iq.tx_lost >= e->lad_txlost && tl > 0 && tl <= ts) {
		txl = interval_loss(ts - tl, tl);
		if (txl > iq.loss_pct)
			iq.loss_pct = txl;
	}
	e->lad_txsent = iq.tx_sent;
	if (iq.tx_lost <= iq.tx_sent)
		e->lad_txlost = iq.tx_lost;
	ladder_judge(e, &iq, now);
}

/* No RTCP report for LADDER_SILENT_MS in a call that is up: the link
 * carries nearly nothing (reports are lost with the media). */
static void
ladder_silence(struct call_engine *e, uint64_t now)
{
	struct call_quality iq = e->st.q;

	if (e->cfg.no_ladder || !e->lad_call ||
	    now - e->lad_ms < LADDER_SILENT_MS)
		return;
	e->lad_ms = now;
	iq.have = 1;
	iq.loss_pct = 100.0;
	ladder_judge(e, &iq, now);
}

/*
 * Both ends on one rung: the caller's rung, in its display name, rules
 * the call.  An incoming call on a rung we cannot run is refused at once
 * (nobody sees it ring) and we move to the caller's rung; the caller
 * dials again (rung_redial).  1: refused.
 */
static int
rung_refuse(struct call_engine *e, const struct callx_frame *f)
{
	int r = callx_rung_parse(f->peername);

	if (r < 0 || callx_rung_compatible(e->st.mode, (enum call_mode)r))
		return 0;
	log_info("ladder: the caller is on %s, this node on %s: refused, "
	         "moving to %s",
	    mode_name((enum call_mode)r), mode_name(e->st.mode),
	    mode_name((enum call_mode)r));
	callx_forget(&e->st, f->id);
	hangup_id(e, f->id);
	e->follow = r + 1;
	/* let the refusal leave before baresip restarts */
	e->follow_at = clock_mono_ms() + 300;
	e->st.wanted = (enum call_mode)r;
	e->st.generation++;
	return 1;
}

/* Our dial refused at once (the callee moving to our rung, or not yet
 * registered again after it): dial again shortly.  1: taken care of. */
static int
rung_redial(struct call_engine *e, const struct callx_frame *f)
{
	uint64_t now = clock_mono_ms();

	if (e->st.state != CALL_S_DIALING || !e->st.ev.outgoing ||
	    (f->id[0] != '\0' && e->st.ev.call_id[0] != '\0' &&
	        strcmp(f->id, e->st.ev.call_id) != 0) ||
	    !callx_rung_redial(
	        callx_end_kind(f->param), now - e->dial_ms, e->redials))
		return 0;
	log_info("call refused at once (%s): dialling again", f->param);
	callx_forget(&e->st, f->id[0] ? f->id : e->st.ev.call_id);
	e->st.ev.call_id[0] = '\0';
	e->redials++;
	e->redial_at = now + CALLX_RUNG_REDIAL_GAP_MS;
	return 1;
}

static void
dispatch(struct call_engine *e, const struct callx_frame *f)
{
	int was_live = e->st.state == CALL_S_DIALING ||
	    e->st.state == CALL_S_RINGING || e->st.state == CALL_S_UP;
	int fin;

	if (f->type == CALLX_RESPONSE) {
		if (!f->ok) {
			/* uanew's answer echoes the account line: never log it */
			log_warnx("baresip refused %s: %s", f->token,
			    strncmp(f->token, "uanew-", 6) == 0 ? "-"
			                                        : f->data);
			if (strncmp(f->token, "dial-", 5) == 0)
				end_now(e, CALL_END_FAILED, f->data);
		}
		return;
	}
	if (f->type == CALLX_INCOMING && was_live) {
		/* one call at a time: refuse the second */
		log_info("second call %s refused (busy)", f->id);
		hangup_id(e, f->id);
		if (e->st.ev.call_id[0] != '\0')
			command(e, "callfind", e->st.ev.call_id);
		return;
	}
	if (f->type == CALLX_INCOMING && !was_live && rung_refuse(e, f))
		return;
	if (f->type == CALLX_CLOSED && rung_redial(e, f))
		return;
	callx_apply(&e->st, f, clock_mono_ms(), clock_wall_ms(), &fin);
	if (f->type == CALLX_RTCP && e->st.state == CALL_S_UP &&
	    strcmp(f->param, "video") != 0)
		ladder_tick(e);
	if (fin)
		ended(e);
}

static void
crashed(struct call_engine *e)
{
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	if (e->st.running) {
		e->st.running = 0;
		e->died_ms = clock_mono_ms();
		e->st.generation++;
	}
	end_now(e, CALL_END_CRASH, "baresip stopped");
}

static void
read_frames(struct call_engine *e)
{
	uint8_t tmp[8192];
	char *p;
	size_t len;
	ssize_t n;
	struct callx_frame f;

	for (;;) {
		n = recv(e->fd, tmp, sizeof(tmp), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0 || buf_append(&e->in, tmp, (size_t)n) != 0) {
			log_warnx("baresip control socket closed");
			crashed(e);
			return;
		}
	}
	for (;;) {
		if (callx_frame_next(&e->in, &p, &len) != 0) {
			log_warnx("bad ctrl_tcp framing");
			crashed(e);
			return;
		}
		if (p == NULL)
			break;
		if (callx_parse(p, len, &f) == 0)
			dispatch(e, &f);
		free(p);
	}
}

static void
timers(struct call_engine *e)
{
	uint64_t now = clock_mono_ms(), limit;

	/* The caller's timer decides "no answer"; the called side stops
	 * ringing a little later, only if the caller's end never came (else
	 * its hang-up reached the caller first as a 486 and the caller
	 * reported "rejected" for a call nobody answered). */
	limit = e->cfg.no_answer_s * 1000ull +
	    (e->st.ev.outgoing ? 0 : CALLEE_GRACE_MS);
	if ((e->st.state == CALL_S_DIALING || e->st.state == CALL_S_RINGING) &&
	    now - e->st.ev.ringing.mono_ms >= limit) {
		char id[sizeof(e->st.ev.call_id)];

		snprintf(id, sizeof(id), "%s", e->st.ev.call_id);
		end_now(e, CALL_END_NO_ANSWER, "no answer");
		hangup_id(e, id);
	}
	if (e->st.running && e->st.reg == CALL_REG_NONE &&
	    now - e->started_ms >= e->cfg.reg_wait_ms) {
		e->st.reg = CALL_REG_FAILED;
		snprintf(e->st.reg_reason, sizeof(e->st.reg_reason),
		    "no answer from the call server");
		e->st.generation++;
	}
	if (e->redial_at != 0 && now >= e->redial_at) {
		e->redial_at = 0;
		e->dial_ms = now;
		if (e->st.state == CALL_S_DIALING &&
		    command(e, "dial", e->st.ev.peer) != 0)
			end_now(e, CALL_END_FAILED,
			    "could not send the dial command");
	}
	/* the caller's rung, between calls (rung_refuse) */
	if (e->follow != 0 && now >= e->follow_at && e->st.running &&
	    (e->st.state == CALL_S_ENDED || e->st.state == CALL_S_IDLE)) {
		enum call_mode r = (enum call_mode)(e->follow - 1);

		e->follow = 0;
		if (call_set_mode(e, r) != 0)
			log_warnx("could not move to %s", mode_name(r));
	}
	if (e->st.state != CALL_S_UP)
		e->lad_call = 0;
	else
		ladder_silence(e, now);
	/* between calls, the rung the last call's link supported (a new
	 * config: baresip restarts and registers again) */
	if (!e->cfg.no_ladder && e->st.running && e->follow == 0 &&
	    (e->st.state == CALL_S_ENDED || e->st.state == CALL_S_IDLE) &&
	    e->st.wanted != e->st.mode &&
	    e->st.wanted < CALL_MODE_STORE_FORWARD) {
		log_info("ladder: next calls use %s", mode_name(e->st.wanted));
		if (call_set_mode(e, e->st.wanted) != 0)
			e->st.wanted = e->st.mode;
	}
	if (e->st.running && child_gone(e))
		crashed(e);
	if (!e->st.running && e->died_ms != 0 &&
	    now - e->died_ms >= RESTART_GAP_MS) {
		e->died_ms = now;
		if (call_engine_start(e) == 0) {
			e->st.restarts++;
			e->died_ms = 0;
		}
	}
}

int
call_engine_poll(struct call_engine *e, int timeout_ms)
{
	struct pollfd p = { e->fd, POLLIN, 0 };

	if (e->fd >= 0 && poll(&p, 1, timeout_ms) > 0)
		read_frames(e);
	else if (e->fd < 0 && timeout_ms > 0)
		usleep((useconds_t)timeout_ms * 1000);
	timers(e);
	return e->st.running ? 0 : ENOTCONN;
}

int
call_dial(struct call_engine *e, const char *uri)
{
	int err;

	if (uri == NULL || *uri == '\0')
		return EINVAL;
	if (e->st.state == CALL_S_DIALING || e->st.state == CALL_S_RINGING ||
	    e->st.state == CALL_S_UP)
		return EBUSY;
	if (!e->st.running || e->st.reg != CALL_REG_OK)
		return ENOTCONN; /* call_status.reg_reason says why */
	callx_begin(&e->st, NULL, uri, 1, clock_mono_ms(), clock_wall_ms());
	e->dial_ms = clock_mono_ms();
	e->redials = 0;
	e->redial_at = 0;
	if ((err = command(e, "dial", uri)) != 0)
		end_now(e, CALL_END_FAILED, "could not send the dial command");
	return err;
}

int
call_answer(struct call_engine *e)
{
	int err;

	if (e->st.state != CALL_S_RINGING)
		return EINVAL;
	if ((err = command(e, "callfind", e->st.ev.call_id)) != 0)
		return err;
	return command(e, "accept", NULL);
}

int
call_hangup(struct call_engine *e)
{
	char id[sizeof(e->st.ev.call_id)];

	if (e->st.state != CALL_S_DIALING && e->st.state != CALL_S_RINGING &&
	    e->st.state != CALL_S_UP)
		return EINVAL;
	snprintf(id, sizeof(id), "%s", e->st.ev.call_id);
	/* the CHW's key is the end: baresip's CALL_CLOSED follows */
	end_now(e, CALL_END_LOCAL, "ended here");
	return hangup_id(e, id);
}

int
call_mute(struct call_engine *e, int on)
{
	int err;

	if (e->st.state != CALL_S_UP)
		return EINVAL;
	if (!!on == e->st.muted)
		return 0;
	/* baresip 1.0's "mute" toggles */
	if ((err = command(e, "mute", NULL)) == 0) {
		e->st.muted = !!on;
		e->st.generation++;
	}
	return err;
}

int
call_hold(struct call_engine *e, int on)
{
	int err;

	if (e->st.state != CALL_S_UP)
		return EINVAL;
	if (!!on == e->st.held)
		return 0;
	if ((err = command(e, on ? "hold" : "resume", NULL)) == 0) {
		e->st.held = !!on;
		e->st.generation++;
	}
	return err;
}

void
call_engine_free(struct call_engine *e)
{
	if (e == NULL)
		return;
	if (e->fd >= 0 && e->pid > 0) {
		int i;

		e->quitting = 1;
		command(e, "quit", NULL);
		for (i = 0; i < 20 && !child_gone(e); i++)
			usleep(50 * 1000);
	}
	stop_child(e);
	buf_free(&e->in);
	buf_free(&e->out);
	if (e->password != NULL)
		xfree_secret_str(e->password);
	free(e->dir);
	free(e->baresip);
	free(e->user);
	free(e->registrar);
	free(e->src);
	free(e->player);
	free(e->record);
	free(e->turn);
	free(e);
}

int
call_set_mode(struct call_engine *e, enum call_mode m)
{
	char bps[16];
	int err,
	    live = e->st.state == CALL_S_DIALING ||
	    e->st.state == CALL_S_RINGING || e->st.state == CALL_S_UP;

	if ((unsigned)m >= CALL_MODE_STORE_FORWARD)
		return EINVAL;
	if (m == e->st.mode)
		return 0;
	if (live) {
		if (e->st.state != CALL_S_UP ||
		    (m != CALL_MODE_OPUS16 && m != CALL_MODE_OPUS8) ||
		    (e->st.mode != CALL_MODE_OPUS16 &&
		        e->st.mode != CALL_MODE_OPUS8))
			return EBUSY;
		snprintf(bps, sizeof(bps), "%d",
		    m == CALL_MODE_OPUS8 ? 8000 : 16000);
		if ((err = command(e, "aubitrate", bps)) != 0)
			return err;
		/* the ladder goes on from here (a choice by the CHW is not
		 * undone by the next report) */
		if (e->ladder.mode != m) {
			e->ladder.mode = m;
			e->ladder.good_since_ms = 0;
		}
		e->st.mode = e->st.wanted = m;
		e->st.generation++;
		return 0;
	}
	e->st.mode = e->st.wanted = m;
	e->st.generation++;
	e->quitting = 1;
	err = call_engine_start(e); /* new config, registers again */
	e->quitting = 0;
	return err;
}
