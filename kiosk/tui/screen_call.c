/*
 * The call screen, and the call engine's life in the UI.  An incoming call
 * opens this screen over whatever is open and rings; it is answered only
 * by the CHW's key (Enter), never by itself.  During the call it shows
 * whether the call is encrypted ("Secure" only after the engine saw the
 * encryption come up), the link (loss, jitter, round trip, one-way audio),
 * mute, hold, the step of the ladder, the time connected, and the
 * clinician's advice as it arrives (screen_call_advice).  When the call
 * ends it says why, in words for the CHW.  Nothing here stores the
 * evidence: the engine hands it over at the end (call.h).
 */
#define LOG_MODULE "ui_call"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "i18n.h"
#include "kiosk/kctx.h"
#include "kiosk/sync/sync.h"
#include "log.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

void
screen_call_set(struct ui *ui, const char *consult_id_hex, const char *peer_uri,
    int outgoing)
{
	snprintf(ui->call.consult, sizeof(ui->call.consult), "%s",
	    consult_id_hex ? consult_id_hex : "");
	snprintf(ui->call.peer, sizeof(ui->call.peer), "%s",
	    peer_uri ? peer_uri : "");
	ui->call.outgoing = outgoing;
	ui->call.advice[0] = '\0';
}

/* Why this kiosk's calls are voice only, for the CHW; NULL with video. */
const char *
screen_call_voice_only(const struct ui *ui)
{
	const struct call_video *v = &ui->call.video;

	if (v->ok)
		return NULL;
	if (!v->camera && !v->display)
		return _("Voice only: this kiosk has no camera and no screen "
		         "for video.");
	if (!v->camera)
		return _("Voice only: this kiosk has no camera.");
	return _("Voice only: this kiosk has no screen for video.");
}

void
screen_call_advice(struct ui *ui, const char *text)
{
	snprintf(
	    ui->call.advice, sizeof(ui->call.advice), "%s", text ? text : "");
	ui->call.seen = 0; /* redraw */
}

static struct store_call_mark
mark_of(const struct call_mark *m)
{
	struct store_call_mark s = { m->wall_ms, m->mono_ms };

	return s;
}

/* The engine hands over each ended call's evidence: it goes into the
 * store (and the outbox) as recorded. */
static void
on_evidence(void *arg, const struct call_evidence *ev)
{
	struct ui *ui = arg;
	struct store_call c;
	int err;

	if (ui->visit.store == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.consult_id = ui->call.consult;
	c.sip_call_id = ev->call_id;
	c.peer = ev->peer;
	c.outgoing = ev->outgoing;
	c.ringing = mark_of(&ev->ringing);
	c.established = mark_of(&ev->established);
	c.media_rx = mark_of(&ev->media_rx);
	c.media_tx = mark_of(&ev->media_tx);
	c.secure = mark_of(&ev->secure);
	c.ended = mark_of(&ev->ended);
	c.end_kind = call_end_name(ev->end);
	c.end_reason = ev->end_reason;
	c.connected_ms = ev->connected_ms;
	if ((err = store_call_add(ui->visit.store, &c, NULL)) != 0)
		log_warnx("call evidence not stored: %d", err);
}

/*
 * Which of this clinic's consults an incoming call is for: the hub calls
 * as sip:n<node>@..., and the server's queue (the last sync) names the
 * hub node that accepted each of our consults.  The newest accepted or
 * in-call one of that hub; none found leaves it empty (the evidence is
 * then stored without a consult).
 */
static void
call_consult_of(struct ui *ui, const char *peer)
{
	struct sync_queue q;
	const char *p;
	long long node;
	char num[24];
	size_t i, n;

	ui->call.consult[0] = '\0';
	if (ui->visit.store == NULL || peer == NULL ||
	    (p = strstr(peer, "sip:n")) == NULL)
		return;
	p += 5;
	for (n = 0; n + 1 < sizeof(num) && p[n] >= '0' && p[n] <= '9'; n++)
		num[n] = p[n];
	num[n] = '\0';
	if (p[n] != '@' || str_to_ll(num, 1, INT64_MAX, &node) != 0 ||
	    sync_queue_get(ui->visit.store, &q) != 0)
		return;
	for (i = 0; i < q.n; i++)
		if (q.items[i].accepted_by == (uint64_t)node &&
		    (strcmp(q.items[i].state, "accepted") == 0 ||
		        strcmp(q.items[i].state, "call") == 0))
			snprintf(ui->call.consult, sizeof(ui->call.consult),
			    "%s", q.items[i].id);
	sync_queue_clear(&q);
}

void
ui_call_start(struct ui *ui)
{
	char *user = NULL, *pw = NULL, *reg = NULL, *dir, *turn;
	struct call_cfg c;
	int err;

	if (ui->call.engine != NULL || ui->call.tried ||
	    ui->visit.store == NULL || ui->opts.checkin)
		return;
	ui->call.tried = 1;
	if (sync_sip_get(ui->visit.store, &user, &pw, &reg) != 0)
		return; /* no SIP account: consults go by sync only */
	dir = kctx_path(ui->ctx, "call");
	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.user = user;
	c.password = pw;
	c.registrar = reg;
	c.turn = turn = sync_sip_turn(ui->visit.store);
	c.sip_port = ui->opts.call_sip_port > 0 ? ui->opts.call_sip_port
	                                        : CALL_SIP_PORT_DEFAULT;
	c.ctrl_port = ui->opts.call_ctrl_port > 0 ? ui->opts.call_ctrl_port
	                                          : CALL_CTRL_PORT_DEFAULT;
	c.rtp_lo = ui->opts.call_rtp_port > 0 ? ui->opts.call_rtp_port
	                                      : CALL_RTP_LO_DEFAULT;
	c.rtp_hi = c.rtp_lo + (CALL_RTP_HI_DEFAULT - CALL_RTP_LO_DEFAULT);
	c.audio_source = ui->opts.call_audio_source ? ui->opts.call_audio_source
	                                            : "alsa,default";
	c.audio_player = ui->opts.call_audio_source ? ui->opts.call_audio_player
	                                            : "alsa,default";
	c.record_dir = ui->opts.call_record_dir;
	/* video needs a camera (v4l2) and a display; else voice only, and
	 * the screen says so */
	ui->call.have_video = call_video_probe(
	    ui->opts.call_video_dev, NULL, getenv("DISPLAY"), &ui->call.video);
	c.video = ui->call.have_video;
	if (c.video) {
		c.video_source = ui->call.video.source;
		c.video_display = ui->call.video.display_mod;
	}
	c.mode = c.video ? CALL_MODE_VIDEO : CALL_MODE_OPUS16;
	c.on_evidence = on_evidence;
	c.arg = ui;
	ui->call.engine = call_engine_new(&c);
	if ((err = call_engine_start(ui->call.engine)) != 0) {
		log_warnx("call engine not started: %d", err);
		call_engine_free(ui->call.engine);
		ui->call.engine = NULL;
	}
	free(dir);
	free(user);
	xfree_secret_str(pw);
	free(reg);
	free(turn);
}

void
ui_call_stop(struct ui *ui)
{
	call_engine_free(ui->call.engine);
	memset(&ui->call, 0, sizeof(ui->call));
}

int
ui_call_fd(const struct ui *ui)
{
	return ui->call.engine ? call_engine_fd(ui->call.engine) : -1;
}

int
ui_call_live(const struct ui *ui)
{
	const struct call_status *st;

	if (ui->call.engine == NULL)
		return 0;
	st = call_engine_status(ui->call.engine);
	return st->state == CALL_S_DIALING || st->state == CALL_S_RINGING ||
	    st->state == CALL_S_UP;
}

int
ui_call_poll(struct ui *ui)
{
	const struct call_status *st;
	int r = 0;

	if (ui->call.engine == NULL)
		return 0;
	call_engine_poll(ui->call.engine, 0);
	st = call_engine_status(ui->call.engine);
	if (st->generation != ui->call.seen) {
		ui->call.seen = st->generation;
		r = 1;
	}
	/* it rings over whatever screen is open */
	if (st->state == CALL_S_RINGING && !st->ev.outgoing && ui->depth > 0 &&
	    ui->stack[ui->depth - 1] != &screen_call) {
		snprintf(
		    ui->call.peer, sizeof(ui->call.peer), "%s", st->ev.peer);
		ui->call.outgoing = 0;
		call_consult_of(ui, st->ev.peer);
		return 2;
	}
	return r;
}

static void
call_enter(struct ui *ui)
{
	const struct call_status *st;
	int err;

	if (ui->call.engine == NULL) {
		ui_message(ui, UI_MSG_WARN, "%s",
		    _("Calls are not set up on this kiosk. The consult goes "
		      "by message."));
		return;
	}
	st = call_engine_status(ui->call.engine);
	if (!ui->call.outgoing ||
	    (st->state != CALL_S_IDLE && st->state != CALL_S_ENDED))
		return;
	if ((err = call_dial(ui->call.engine, ui->call.peer)) != 0)
		ui_message(ui, UI_MSG_WARN, "%s",
		    err == ENOTCONN
		        ? _("The call server cannot be reached now. The "
		            "consult stays in the queue.")
		        : _("The call could not be started. Try again."));
}

static void
call_draw(struct ui *ui)
{
	const struct call_status *st;
	const struct call_quality *q;
	uint64_t secs = 0;
	int y = 4;

	ui_bar(2, UI_C_TITLE);
	if (ui->call.engine == NULL) {
		ui_center(2, UI_C_TITLE, "%s", _("Call"));
		ui_wrap(5, 2, 76, 3, UI_C_WARN,
		    _("Calls are not set up on this kiosk (no call account). "
		      "The consult goes by message."));
		return;
	}
	st = call_engine_status(ui->call.engine);
	q = &st->q;
	ui_center(2, UI_C_TITLE, "%s", call_state_text(st->state));
	ui_text(y++, 2, UI_C_NORMAL, "%s %s", _("With:"),
	    st->ev.peer[0] ? st->ev.peer : ui->call.peer);
	if (ui->call.consult[0])
		ui_text(
		    y++, 2, UI_C_DIM, "%s %s", _("Consult:"), ui->call.consult);
	if (st->state == CALL_S_RINGING) {
		ui_bar(y + 1, UI_C_WARN);
		ui_center(y + 1, UI_C_WARN, "%s",
		    _("RINGING: press Enter to answer, F10 to refuse"));
		if (!ui->call.have_video)
			ui_text(y + 3, 2, UI_C_DIM, "%s",
			    screen_call_voice_only(ui));
		return;
	}
	if (st->state == CALL_S_UP) {
		if (st->secure)
			ui_text(y++, 2, UI_C_OK, "%s",
			    _("Secure: the call is encrypted."));
		else
			ui_text(y++, 2, UI_C_WARN, "%s",
			    _("Not secure yet: wait before you speak about the "
			      "patient."));
		secs = (clock_mono_ms() - st->ev.established.mono_ms) / 1000;
		ui_text(y++, 2, UI_C_NORMAL, "%s %02llu:%02llu", _("Time:"),
		    (unsigned long long)(secs / 60),
		    (unsigned long long)(secs % 60));
		ui_text(y++, 2, UI_C_NORMAL, "%s %s", _("Mode:"),
		    call_mode_text(st->mode));
		if (!ui->call.have_video)
			ui_text(
			    y++, 2, UI_C_DIM, "%s", screen_call_voice_only(ui));
		if (st->wanted == CALL_MODE_STORE_FORWARD)
			ui_text(y++, 2, UI_C_WARN, "%s",
			    _("The link is too weak for a call: end it; the "
			      "consult goes by message."));
		else if (st->wanted > st->mode)
			ui_text(y++, 2, UI_C_WARN, "%s %s",
			    _("The link is weak. The next call uses:"),
			    call_mode_text(st->wanted));
		if (q->have)
			ui_text(y++, 2,
			    q->loss_pct > 8 ? UI_C_WARN : UI_C_NORMAL,
			    _("Link: loss %.1f%%, jitter %.0f ms, round trip "
			      "%.0f ms"),
			    q->loss_pct, q->rx_jitter_ms, q->rtt_ms);
		else
			ui_text(
			    y++, 2, UI_C_DIM, "%s", _("Link: measuring..."));
		if (q->one_way)
			ui_text(y++, 2, UI_C_DANGER, "%s",
			    _("!! Sound goes one way only: check the headset, "
			      "or end and call again."));
		if (st->muted || st->held)
			ui_text(y++, 2, UI_C_WARN, "%s%s",
			    st->muted ? _("Muted. ") : "",
			    st->held ? _("On hold.") : "");
		y++;
		ui_text(
		    y++, 2, UI_C_TITLE, "%s", _("Advice from the clinician:"));
		ui_wrap(y, 4, 74, 8, UI_C_NORMAL,
		    ui->call.advice[0] ? ui->call.advice : _("(none yet)"));
		return;
	}
	if (st->state == CALL_S_DIALING) {
		ui_text(y + 1, 2, UI_C_NORMAL, "%s",
		    _("Calling... F10 stops calling."));
		return;
	}
	if (st->state == CALL_S_ENDED) {
		ui_wrap(y + 1, 2, 76, 3, UI_C_WARN, call_end_text(st->ev.end));
		if (st->ev.connected_ms > 0)
			ui_text(y + 5, 2, UI_C_DIM, _("Connected %llu s."),
			    (unsigned long long)(st->ev.connected_ms / 1000));
	}
	if (st->reg == CALL_REG_FAILED)
		ui_wrap(y + 7, 2, 76, 2, UI_C_WARN,
		    _("The call server does not accept this kiosk now. "
		      "Consults still go by message."));
	else if (!st->running)
		ui_text(y + 7, 2, UI_C_WARN, "%s",
		    _("The call program is restarting..."));
}

static enum ui_result
call_key(struct ui *ui, enum ui_action a, int ch)
{
	struct call_engine *e = ui->call.engine;
	const struct call_status *st;
	int err = 0;

	(void)ch;
	if (e == NULL)
		return a == UI_A_BACK ? UI_BACK : UI_UNHANDLED;
	st = call_engine_status(e);
	switch (a) {
	case UI_A_ENTER:
		if (st->state != CALL_S_RINGING)
			return UI_HANDLED;
		err = call_answer(e); /* the CHW's key: the only way in */
		break;
	case UI_A_HANGUP:
		err = call_hangup(e);
		break;
	case UI_A_MUTE:
		err = call_mute(e, !st->muted);
		break;
	case UI_A_HOLD:
		err = call_hold(e, !st->held);
		break;
	case UI_A_MODE: {
		/* the CHW steps down one rung (from the last, back to the
		 * top); store-and-forward means: no call, send the consult */
		enum call_mode next = st->mode + 1;

		if (next >= CALL_MODE_STORE_FORWARD)
			next = ui->call.have_video ? CALL_MODE_VIDEO
			                           : CALL_MODE_OPUS16;
		err = call_set_mode(e, next);
		if (err == EBUSY) {
			ui_message(ui, UI_MSG_INFO, "%s",
			    _("This step can only change between calls: end "
			      "the call, then choose it."));
			return UI_REDRAW;
		}
		if (err == 0)
			ui_message(ui, UI_MSG_INFO, "%s %s", _("Next calls:"),
			    call_mode_text(next));
		break;
	}
	case UI_A_BACK:
		if (ui_call_live(ui)) {
			ui_message(ui, UI_MSG_WARN, "%s",
			    _("End the call first (F10)."));
			return UI_REDRAW;
		}
		return UI_BACK;
	default:
		return UI_UNHANDLED;
	}
	if (err != 0)
		ui_message(ui, UI_MSG_WARN, "%s", _("Not now: no call."));
	return UI_REDRAW;
}

const struct screen screen_call = {
	.name = "call",
	.title = N_("Call"),
	.enter = call_enter,
	.draw = call_draw,
	.key = call_key,
	.leave = NULL,
};
