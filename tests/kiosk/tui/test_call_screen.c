/*
 * The call screen's logic without a terminal, on a real call: a hub
 * engine calls the kiosk's engine through a real Kamailio; the UI's poll
 * asks to open the call screen over whatever is open; the call rings
 * until the CHW's key (Enter), and nothing else answers it; F10 ends it
 * and the evidence is handed over.
 */
#include "kiosk/call/callfix.h"
#include "kiosk/tui/ui.h"

static const char *const users[] = { "kiosk1", "hub1" };
static const char *const pws[] = { "k-pw-1", "h-pw-1" };

static int
test_ring_answer_end(void)
{
	struct callfix fx;
	struct call_cfg kc, hc;
	struct call_engine *h = NULL;
	struct ui *ui = NULL;
	const struct call_status *ks, *hs;
	char kd[512], kr[512], hd[512], hr[512], uri[128];
	int err, r, i;

	if (!callfix_have_tools())
		return TEST_SKIP;
	if ((err = callfix_init(&fx)) != 0)
		return err;
	ui = xcalloc(1, sizeof(*ui));
	ui->stack[0] = &screen_home;
	ui->depth = 1;
	TEST_ERR(callfix_subscriber(&fx, users, pws, 2));
	TEST_ERR(callfix_kamailio_start(&fx));
	callfix_cfg(
	    &fx, 0, &kc, "kiosk1", pws[0], "ausine,440", kd, kr, sizeof(kd));
	callfix_cfg(
	    &fx, 1, &hc, "hub1", pws[1], "ausine,1000", hd, hr, sizeof(hd));
	ui->call.engine = call_engine_new(&kc);
	h = call_engine_new(&hc);
	TEST_ERR(call_engine_start(ui->call.engine));
	TEST_ERR(call_engine_start(h));
	ks = call_engine_status(ui->call.engine);
	hs = call_engine_status(h);
	CALLFIX_WAIT(ui->call.engine, h, 5000,
	    ks->reg == CALL_REG_OK && hs->reg == CALL_REG_OK);
	TEST_EQ(ks->reg, CALL_REG_OK);
	/* nothing rings: the poll asks for nothing */
	TEST_TRUE(ui_call_poll(ui) != 2);
	snprintf(uri, sizeof(uri), "sip:kiosk1@%s", fx.registrar);
	TEST_ERR(call_dial(h, uri));
	for (r = 0, i = 0; i < 150 && r != 2; i++) {
		call_engine_poll(h, 10);
		r = ui_call_poll(ui);
		usleep(10000);
	}
	TEST_EQ(r, 2); /* open the call screen over home */
	TEST_TRUE(strstr(ui->call.peer, "hub1") != NULL);
	ui->stack[ui->depth++] = &screen_call;
	/* keys that are not the answer key do not answer */
	TEST_EQ(screen_call.key(ui, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(screen_call.key(ui, UI_A_BACK, 0), UI_REDRAW); /* stays */
	CALLFIX_WAIT(ui->call.engine, h, 1500, 0);
	TEST_EQ(ks->state, CALL_S_RINGING);
	TEST_EQ(hs->state, CALL_S_DIALING);
	TEST_EQ(ui_call_poll(ui) == 2, 0); /* already on the call screen */
	/* the CHW's key */
	TEST_EQ(screen_call.key(ui, UI_A_ENTER, '\n'), UI_REDRAW);
	CALLFIX_WAIT(
	    ui->call.engine, h, 3000, ks->state == CALL_S_UP && ks->secure);
	TEST_EQ(ks->state, CALL_S_UP);
	TEST_TRUE(ks->secure);
	TEST_TRUE(ui_call_live(ui));
	TEST_EQ(screen_call.key(ui, UI_A_MUTE, 0), UI_REDRAW);
	TEST_EQ(ks->muted, 1);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(ks->held, 1);
	TEST_EQ(screen_call.key(ui, UI_A_HOLD, 0), UI_REDRAW);
	TEST_EQ(ks->held, 0);
	screen_call_advice(ui, "Give ORS.");
	TEST_STR(ui->call.advice, "Give ORS.");
	TEST_EQ(screen_call.key(ui, UI_A_HANGUP, 0), UI_REDRAW);
	TEST_EQ(ks->state, CALL_S_ENDED);
	TEST_EQ(ks->ev.end, CALL_END_LOCAL);
	TEST_TRUE(!ui_call_live(ui));
	CALLFIX_WAIT(ui->call.engine, h, 3000, hs->state == CALL_S_ENDED);
	TEST_EQ(hs->ev.end, CALL_END_REMOTE);
	TEST_EQ(screen_call.key(ui, UI_A_BACK, 0), UI_BACK);
out:
	if (ui != NULL)
		ui_call_stop(ui);
	free(ui);
	call_engine_free(h);
	callfix_fini(&fx);
	return err;
}

TEST_MAIN({ "ring_answer_end", test_ring_answer_end })
