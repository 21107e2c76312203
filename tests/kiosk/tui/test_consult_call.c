/*
 * A consult call end to end through the kiosk's own code (issue 13): a
 * real sync-server with SIP turned on enrols a clinic kiosk and a hub
 * (each gets its SIP credentials), a real Kamailio from the shipped
 * config reads the server's credential table, and each node runs its
 * call engine the way the screen does (ui_call_start: the credentials
 * from the node's store).  The CHW requests the consult from the visit
 * (kiosk store), both sync; the clinician accepts on the hub and syncs;
 * F7 on the hub's patient screen (screen_consult_patient) dials the
 * node that asked, named by the server's queue; the clinic's UI poll
 * opens the call screen, it rings until the CHW's key (Enter) and only
 * that answers.  Checked: the URI, the encryption on both sides, a tone
 * each way (Goertzel), the end from either side (one call each), and
 * the evidence's connected time against this test's clock, also as
 * stored.  Nothing is mocked; the UI runs without a terminal.
 */
#include <stdio.h>
#include <stdlib.h>

#include "consult.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "kiosk/call/callfix.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "kiosk/tui/ui.h"
#include "str.h"

struct node {
	char dir[600];
	struct store *s;
	struct kctx ctx;
	struct ui *ui;
	uint64_t id;
};

struct world {
	struct callfix fx;
	char bin[512], key[600];
	pid_t srv;
	unsigned port;
	struct node clinic, hub, hub2;
	char doc2[UUID_STRLEN + 1]; /* clinician B's user id, on hub2 */
};

static int
srv_admin(struct world *w, const char *args, char *out, size_t n)
{
	char cmd[1800];
	FILE *p;
	int ok, st;

	snprintf(cmd, sizeof(cmd), "'%s' --data '%s' --key-file '%s' admin %s",
	    w->bin, w->fx.dir, w->key, args);
	if ((p = popen(cmd, "r")) == NULL)
		return errno;
	ok = out == NULL || fgets(out, (int)n, p) != NULL;
	while (fgetc(p) != EOF) /* all of it: no SIGPIPE */
		;
	st = pclose(p);
	if (!ok || st != 0)
		return EIO;
	if (out != NULL)
		str_trim(out);
	return 0;
}

static int
srv_start(struct world *w)
{
	const char *b = getenv("OUTPOST_BUILD");
	char portfile[700], line[32], reg[96], arg[128];
	uint8_t k[32];
	char *hex;
	FILE *f;
	int i, err;

	snprintf(w->bin, sizeof(w->bin), "%s/sync-server", b ? b : "build");
	if (access(w->bin, X_OK) != 0) {
		fprintf(stderr, "SKIP reason: %s not built\n", w->bin);
		return TEST_SKIP;
	}
	snprintf(w->key, sizeof(w->key), "%s/store.key", w->fx.dir);
	crypto_random(k, sizeof(k));
	hex = hex_encode(k, sizeof(k));
	err = fileio_write_atomic(w->key, hex, 64, 0600);
	free(hex);
	if (err != 0)
		return err;
	/* SIP on: the server's table is FX->dir/sip/subscriber, which the
	 * fixture's Kamailio reads */
	snprintf(reg, sizeof(reg), "%s", w->fx.registrar);
	snprintf(arg, sizeof(arg), "sip-setup %s", reg);
	if ((err = srv_admin(w, arg, NULL, 0)) != 0)
		return err;
	snprintf(portfile, sizeof(portfile), "%s/port", w->fx.dir);
	if ((w->srv = fork()) == 0) {
		char log[700];

		snprintf(log, sizeof(log), "%s/srv.log", w->fx.dir);
		execl(w->bin, "sync-server", "--data", w->fx.dir, "--listen",
		    "127.0.0.1:0", "--port-file", portfile, "--log", log,
		    "--key-file", w->key, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			if (fgets(line, sizeof(line), f) != NULL) {
				fclose(f);
				w->port = (unsigned)strtoul(line, NULL, 10);
				return 0;
			}
			fclose(f);
		}
		usleep(50000);
	}
	return ETIMEDOUT;
}

/* Node NAME (ROLE, facility FAC) enrolled, with its UI not yet started;
 * its baresip on ports from slot I of the fixture, sending SOURCE. */
static int
node_open(struct world *w, struct node *n, const char *name, const char *role,
    const char *fac, int i, const char *source)
{
	char tok[64], args[200], url[64], rec[700], *cause = NULL;
	uint8_t key[32];
	int err;

	snprintf(n->dir, sizeof(n->dir), "%s/%s", w->fx.dir, name);
	if (mkdir(n->dir, 0700) != 0)
		return errno;
	crypto_random(key, sizeof(key));
	if ((err = store_open(n->dir, key, 1, &n->s)) != 0)
		return err;
	snprintf(args, sizeof(args),
	    "enroll-token --role %s --region north --facility %s", role, fac);
	if ((err = srv_admin(w, args, tok, sizeof(tok))) != 0)
		return err;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", w->port);
	if ((err = sync_enroll(n->s, url, tok, NULL, &cause)) != 0) {
		fprintf(stderr, "  enrol %s: %s\n", name, cause ? cause : "?");
		free(cause);
		return err;
	}
	{
		struct sync_status ss;

		if ((err = sync_status_get(n->s, &ss)) != 0)
			return err;
		n->id = ss.node_id;
	}
	n->ctx.data_dir = n->dir;
	n->ctx.passphrase_fd = -1;
	n->ctx.store = n->s;
	n->ui = xcalloc(1, sizeof(*n->ui));
	n->ui->ctx = &n->ctx;
	n->ui->visit.store = n->s;
	n->ui->stack[0] = &screen_home;
	n->ui->depth = 1;
	n->ui->opts.call_sip_port = w->fx.base + 2 + 2 * i;
	n->ui->opts.call_ctrl_port = w->fx.base + 8 + i;
	n->ui->opts.call_rtp_port = w->fx.base + 12 + 8 * i;
	n->ui->opts.call_audio_source = source;
	/* cameras and the framebuffer looked for in the node's directory:
	 * none, as on a board without them */
	n->ui->opts.call_video_dev = n->dir;
	snprintf(rec, sizeof(rec), "%s/rec", n->dir);
	mkdir(rec, 0700);
	n->ui->opts.call_record_dir = xstrdup(rec);
	return 0;
}

static void
node_close(struct node *n)
{
	if (n->ui != NULL) {
		ui_call_stop(n->ui);
		free((char *)n->ui->opts.call_record_dir);
		free(n->ui);
		n->ui = NULL;
	}
	if (n->s != NULL)
		store_close(n->s);
	n->s = NULL;
}

static int
run(struct store *s, const char *who)
{
	char *cause = NULL;
	int err = sync_run(s, NULL, &cause);

	if (err != 0)
		fprintf(stderr, "  sync %s: %s\n", who,
		    cause ? cause : strerror(err));
	free(cause);
	return err;
}

static const struct call_status *
st_of(const struct node *n)
{
	return call_engine_status(n->ui->call.engine);
}

/* Poll both UIs (as the screen loop does) until COND or MS pass; the
 * clinic's poll result goes to *RING when it asks for the call screen. */
#define WAIT_UI(w, ms, cond, ring)                                             \
	do {                                                                   \
		uint64_t until_ = clock_mono_ms() + (ms);                      \
		while (!(cond) && clock_mono_ms() < until_) {                  \
			if (ui_call_poll((w)->clinic.ui) == 2)                 \
				(ring) = 1;                                    \
			ui_call_poll((w)->hub.ui);                             \
			if ((w)->hub2.ui != NULL)                              \
				ui_call_poll((w)->hub2.ui);                    \
			usleep(10000);                                         \
		}                                                              \
	} while (0)

static void
world_down(struct world *w)
{
	int st;

	node_close(&w->clinic);
	node_close(&w->hub);
	node_close(&w->hub2);
	if (w->srv > 0) {
		kill(w->srv, SIGTERM);
		waitpid(w->srv, &st, 0);
	}
	callfix_fini(&w->fx);
}

/* Everything up to two registered nodes and an accepted consult (id in
 * CID), the hub's patient screen on it; with HUB2 a second hub too, with
 * clinician B (doc2), its call engine not started. */
static int
world_up(struct world *w, char cid[UUID_STRLEN + 1], int hub2)
{
	struct store_patient p = { 0 };
	struct store_user chw, doc;
	struct store_consult_req q;
	char visit[UUID_STRLEN + 1], *cause = NULL;
	int err = 0;

	memset(&chw, 0, sizeof(chw));
	memset(&doc, 0, sizeof(doc));
	memset(w, 0, sizeof(*w));
	if (!callfix_have_tools())
		return TEST_SKIP;
	TEST_ERR(callfix_init(&w->fx));
	if ((err = srv_start(w)) != 0)
		goto out;
	/* the clinic's CHW sends 440 Hz, the hub's clinician 1000 Hz */
	TEST_ERR(node_open(
	    w, &w->clinic, "clinic", "clinic", "clinic-1", 0, "ausine,440"));
	TEST_ERR(
	    node_open(w, &w->hub, "hub", "hub", "hub-1", 1, "ausine,1000"));
	if (hub2) {
		struct store_user b;

		TEST_ERR(node_open(
		    w, &w->hub2, "hub2", "hub", "hub-2", 2, "ausine,1000"));
		TEST_ERR(store_user_add(
		    w->hub2.s, "doc2", STORE_ROLE_CLINICIAN, &b));
		snprintf(w->doc2, sizeof(w->doc2), "%s", b.id);
		store_user_clear(&b);
	}
	TEST_ERR(callfix_kamailio_start(&w->fx));
	/* the CHW asks from the visit */
	TEST_ERR(store_user_add(w->clinic.s, "chw", STORE_ROLE_CHW, &chw));
	store_set_actor(w->clinic.s, chw.id);
	p.given = (char *)"Amina";
	p.family = (char *)"Okafor";
	TEST_ERR(store_patient_add(w->clinic.s, &p, NULL, &cause));
	TEST_ERR(store_encounter_open(w->clinic.s, p.id, "cough", visit));
	q.encounter_id = visit;
	q.reason = "cough three weeks";
	q.mode = "voice";
	q.urgency = CONSULT_MEDIUM;
	q.news2 = 3;
	TEST_ERR(store_consult_request(w->clinic.s, &q, cid, &cause));
	TEST_ERR(run(w->clinic.s, "clinic"));
	/* the clinician accepts on the hub */
	TEST_ERR(run(w->hub.s, "hub"));
	TEST_ERR(store_user_add(w->hub.s, "doc", STORE_ROLE_CLINICIAN, &doc));
	store_set_actor(w->hub.s, doc.id);
	TEST_ERR(store_consult_accept(w->hub.s, cid, &cause));
	TEST_ERR(run(w->hub.s, "hub"));
	/* the clinic's sync brings the queue that names the accepting hub */
	TEST_ERR(run(w->clinic.s, "clinic"));
	/* both nodes' call engines, as after an unlock */
	ui_call_start(w->clinic.ui);
	ui_call_start(w->hub.ui);
	TEST_TRUE(w->clinic.ui->call.engine != NULL);
	TEST_TRUE(w->hub.ui->call.engine != NULL);
	{
		int ring = 0;

		WAIT_UI(w, 6000,
		    st_of(&w->clinic)->reg == CALL_REG_OK &&
		        st_of(&w->hub)->reg == CALL_REG_OK,
		    ring);
		TEST_EQ(ring, 0);
	}
	TEST_EQ(st_of(&w->clinic)->reg, CALL_REG_OK);
	TEST_EQ(st_of(&w->hub)->reg, CALL_REG_OK);
	snprintf(
	    w->hub.ui->consult_id, sizeof(w->hub.ui->consult_id), "%s", cid);
	w->hub.ui->stack[w->hub.ui->depth++] = &screen_consult_patient;
out:
	free(cause);
	store_user_clear(&chw);
	store_user_clear(&doc);
	return err;
}

/* F7 on hub HN's patient screen; the clinic rings and the CHW answers
 * with Enter.  *UP: the test's clock when both sides are up. */
static int
call_from(struct world *w, struct node *hn, uint64_t *up)
{
	struct ui *h = hn->ui, *k = w->clinic.ui;
	char want[160];
	int err = 0, ring = 0;

	TEST_EQ(screen_consult_patient.key(h, UI_A_CALL, 0), UI_GOTO);
	TEST_TRUE(h->next == &screen_call);
	snprintf(want, sizeof(want), "sip:n%llu@%s",
	    (unsigned long long)w->clinic.id, w->fx.registrar);
	TEST_STR(h->call.peer, want);
	TEST_TRUE(h->call.outgoing);
	h->stack[h->depth++] = &screen_call;
	screen_call.enter(h); /* dials */
	TEST_EQ(st_of(hn)->state, CALL_S_DIALING);
	WAIT_UI(w, 5000, ring, ring);
	TEST_EQ(ring, 1); /* the UI opens the call screen over home */
	k->stack[k->depth++] = &screen_call;
	/* it rings; only the CHW's key answers */
	WAIT_UI(w, 1500, 0, ring);
	TEST_EQ(st_of(&w->clinic)->state, CALL_S_RINGING);
	TEST_EQ(st_of(hn)->state, CALL_S_DIALING);
	TEST_EQ(screen_call.key(k, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(st_of(&w->clinic)->state, CALL_S_RINGING);
	TEST_EQ(screen_call.key(k, UI_A_ENTER, '\n'), UI_REDRAW);
	WAIT_UI(w, 5000,
	    st_of(&w->clinic)->state == CALL_S_UP &&
	        st_of(hn)->state == CALL_S_UP,
	    ring);
	*up = clock_mono_ms();
	TEST_EQ(st_of(&w->clinic)->state, CALL_S_UP);
	TEST_EQ(st_of(hn)->state, CALL_S_UP);
	/* no camera, no screen: voice only, and the call screen says why */
	TEST_EQ(k->call.have_video, 0);
	TEST_EQ(st_of(&w->clinic)->mode, CALL_MODE_OPUS16);
	TEST_STR(screen_call_voice_only(k),
	    "Voice only: this kiosk has no camera and no screen for video.");
	/* "secure" only after the menc event, on both sides */
	WAIT_UI(w, 3000, st_of(&w->clinic)->secure && st_of(hn)->secure, ring);
	TEST_TRUE(st_of(&w->clinic)->secure);
	TEST_TRUE(st_of(hn)->secure);
out:
	return err;
}

/* The newest stored call of S: its connected ms and end kind. */
static int
stored_call(
    struct store *s, const char *consult, long long *ms, char *kind, size_t n)
{
	sqlite3_stmt *st;
	int err;

	if ((err = store_prepare(s,
	         "SELECT connected_ms, end_kind FROM calls WHERE consult_id = ?"
	         " ORDER BY rowid DESC LIMIT 1",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, consult);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ms = sqlite3_column_int64(st, 0);
		str_lcpy(kind, (const char *)sqlite3_column_text(st, 1), n);
	} else
		err = ENOENT;
	sqlite3_finalize(st);
	return err;
}

static int
call_and_answer(struct world *w, uint64_t *up)
{
	return call_from(w, &w->hub, up);
}

static int
check_connected(
    struct world *w, const char *cid, uint64_t test_ms, int clinic_ended)
{
	const struct call_status *ks = st_of(&w->clinic), *hs = st_of(&w->hub);
	long long ms = 0;
	char kind[32] = "";
	int err = 0;

	fprintf(stderr,
	    "  connected: clinic %llu ms, hub %llu ms, test %llu ms\n",
	    (unsigned long long)ks->ev.connected_ms,
	    (unsigned long long)hs->ev.connected_ms,
	    (unsigned long long)test_ms);
	TEST_EQ(ks->state, CALL_S_ENDED);
	TEST_EQ(hs->state, CALL_S_ENDED);
	TEST_EQ(ks->ev.end, clinic_ended ? CALL_END_LOCAL : CALL_END_REMOTE);
	TEST_EQ(hs->ev.end, clinic_ended ? CALL_END_REMOTE : CALL_END_LOCAL);
	TEST_TRUE(
	    llabs((long long)ks->ev.connected_ms - (long long)test_ms) < 1000);
	TEST_TRUE(
	    llabs((long long)hs->ev.connected_ms - (long long)test_ms) < 1000);
	TEST_TRUE(ks->ev.secure.mono_ms >= ks->ev.established.mono_ms);
	TEST_TRUE(hs->ev.secure.mono_ms >= hs->ev.established.mono_ms);
	/* each side's evidence is stored against the consult, as seen (the
	 * clinic knows the consult from the queue: the hub that accepted it
	 * is the one calling) */
	TEST_ERR(stored_call(w->hub.s, cid, &ms, kind, sizeof(kind)));
	TEST_EQ(ms, (long long)hs->ev.connected_ms);
	TEST_STR(kind, call_end_name(hs->ev.end));
	TEST_STR(w->clinic.ui->call.consult, cid);
	TEST_ERR(stored_call(w->clinic.s, cid, &ms, kind, sizeof(kind)));
	TEST_EQ(ms, (long long)ks->ev.connected_ms);
	TEST_STR(kind, call_end_name(ks->ev.end));
out:
	return err;
}

static int
test_hub_calls_clinic(void)
{
	struct world w;
	struct store_consult c;
	char cid[UUID_STRLEN + 1], *cause = NULL;
	int16_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	unsigned ra = 0, rb = 0;
	uint64_t up = 0, down;
	double ga, gb, wrong;
	int err, ring = 0;

	memset(&c, 0, sizeof(c));
	if ((err = world_up(&w, cid, 0)) != 0)
		goto out;
	/* call 1: the CHW ends it */
	TEST_ERR(call_and_answer(&w, &up));
	TEST_ERR(store_consult_get(w.hub.s, cid, &c));
	TEST_STR(c.state, "call");
	store_consult_clear(&c);
	WAIT_UI(&w, 3500, 0, ring); /* a few seconds of tone */
	TEST_EQ(screen_call.key(w.clinic.ui, UI_A_HANGUP, 0), UI_REDRAW);
	down = clock_mono_ms();
	WAIT_UI(&w, 3000, st_of(&w.hub)->state == CALL_S_ENDED, ring);
	TEST_ERR(check_connected(&w, cid, down - up, 1));
	/* the tone each way: 1000 Hz reached the clinic, 440 Hz the hub
	 * (the newest recording of each; DTLS-SRTP starts with a short
	 * silence: look 1.5 s in) */
	TEST_ERR(
	    callfix_read_dec(w.clinic.ui->opts.call_record_dir, &a, &na, &ra));
	TEST_ERR(
	    callfix_read_dec(w.hub.ui->opts.call_record_dir, &b, &nb, &rb));
	TEST_EQ(ra, 48000);
	TEST_EQ(rb, 48000);
	ga = callfix_goertzel(a, na, ra, 1000, ra * 3 / 2, ra);
	gb = callfix_goertzel(b, nb, rb, 440, rb * 3 / 2, rb);
	wrong = callfix_goertzel(a, na, ra, 440, ra * 3 / 2, ra);
	fprintf(stderr,
	    "  tone share: clinic got 1000 Hz %.2f (440 Hz %.2f), hub got "
	    "440 Hz %.2f\n",
	    ga, wrong, gb);
	TEST_TRUE(ga > 0.8);
	TEST_TRUE(gb > 0.8);
	TEST_TRUE(wrong < 0.05);
	/* call 2: the same consult called again, the clinician ends it */
	w.hub.ui->depth--; /* back on the patient screen */
	w.clinic.ui->depth--;
	TEST_ERR(call_and_answer(&w, &up));
	WAIT_UI(&w, 1000, 0, ring);
	TEST_EQ(screen_call.key(w.hub.ui, UI_A_HANGUP, 0), UI_REDRAW);
	down = clock_mono_ms();
	WAIT_UI(&w, 3000, st_of(&w.clinic)->state == CALL_S_ENDED, ring);
	TEST_ERR(check_connected(&w, cid, down - up, 0));
	TEST_EQ(ring, 0); /* nothing else rang */
	/* the hub's "call" step reaches the server */
	TEST_ERR(run(w.hub.s, "hub"));
	{
		struct sync_queue sq;
		const struct sync_queue_item *it;

		TEST_ERR(sync_queue_get(w.hub.s, &sq));
		it = sync_queue_find(&sq, cid);
		err = it != NULL && strcmp(it->state, "call") == 0 &&
		        it->node == w.clinic.id
		    ? 0
		    : EINVAL;
		sync_queue_clear(&sq);
		TEST_ERR(err);
	}
out:
	free(cause);
	free(a);
	free(b);
	store_consult_clear(&c);
	world_down(&w);
	return err;
}

/*
 * Two clinicians (the blind transfer, kiosk/call/README.md): clinician A
 * on hub 1 accepts, then hands the consult over to clinician B on hub 2
 * (back to the queue, handed_to B); A's F7 no longer calls; B accepts on
 * hub 2, and B's F7 calls the clinic, whose CHW answers.
 */
static int
test_handover(void)
{
	struct world w;
	struct store_consult c;
	char cid[UUID_STRLEN + 1], *cause = NULL, want[160];
	uint64_t up = 0;
	int err, ring = 0;

	memset(&c, 0, sizeof(c));
	if ((err = world_up(&w, cid, 1)) != 0)
		goto out;
	/* A hands over to B */
	TEST_ERR(store_consult_step(w.hub.s, cid, "requested",
	    "needs a paediatrician", w.doc2, &cause));
	TEST_ERR(run(w.hub.s, "hub"));
	/* A's call key no longer calls: the consult is not A's now */
	TEST_EQ(screen_consult_patient.key(w.hub.ui, UI_A_CALL, 0), UI_REDRAW);
	TEST_EQ(st_of(&w.hub)->state, CALL_S_IDLE);
	/* B takes it on hub 2 */
	TEST_ERR(run(w.hub2.s, "hub2"));
	TEST_ERR(store_consult_get(w.hub2.s, cid, &c));
	TEST_STR(c.handed_to, w.doc2);
	store_consult_clear(&c);
	store_set_actor(w.hub2.s, w.doc2);
	TEST_ERR(store_consult_accept(w.hub2.s, cid, &cause));
	TEST_ERR(run(w.hub2.s, "hub2"));
	ui_call_start(w.hub2.ui);
	TEST_TRUE(w.hub2.ui->call.engine != NULL);
	WAIT_UI(&w, 6000, st_of(&w.hub2)->reg == CALL_REG_OK, ring);
	TEST_EQ(st_of(&w.hub2)->reg, CALL_REG_OK);
	snprintf(
	    w.hub2.ui->consult_id, sizeof(w.hub2.ui->consult_id), "%s", cid);
	w.hub2.ui->stack[w.hub2.ui->depth++] = &screen_consult_patient;
	/* B's call reaches the clinic, and the CHW answers */
	TEST_ERR(call_from(&w, &w.hub2, &up));
	snprintf(want, sizeof(want), "n%llu", (unsigned long long)w.hub2.id);
	TEST_TRUE(strstr(st_of(&w.clinic)->ev.peer, want) != NULL);
	WAIT_UI(&w, 1000, 0, ring);
	TEST_EQ(screen_call.key(w.hub2.ui, UI_A_HANGUP, 0), UI_REDRAW);
	WAIT_UI(&w, 3000, st_of(&w.clinic)->state == CALL_S_ENDED, ring);
	TEST_EQ(st_of(&w.clinic)->ev.end, CALL_END_REMOTE);
	/* hub 1 took no part; nothing else rang */
	TEST_EQ(st_of(&w.hub)->state, CALL_S_IDLE);
	TEST_EQ(ring, 0);
out:
	free(cause);
	store_consult_clear(&c);
	world_down(&w);
	return err;
}

TEST_MAIN({ "hub_calls_clinic", test_hub_calls_clinic },
    { "handover", test_handover })
