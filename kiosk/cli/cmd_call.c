/*
 * kiosk call check: start this node's baresip with the SIP credentials
 * stored at enrolment and say whether the region's call server accepts
 * them.  For the installer and the support line ("can this kiosk be
 * called?"); the calls themselves are made from the screens.
 */
#define LOG_MODULE "call"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "kiosk/call/call.h"
#include "kiosk/kctx.h"
#include "kiosk/sync/sync.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_call;

static int
call_check(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--sip-port", 1, NULL },
		{ "--ctrl-port", 1, NULL }, { "--rtp-port", 1, NULL } };
	char *user = NULL, *pw = NULL, *reg = NULL, *dir = NULL, *turn = NULL;
	long long sip, ctrl, rtp;
	struct call_cfg c;
	struct call_engine *e = NULL;
	const struct call_status *st;
	uint64_t until;
	int err, rc = 1;

	if (cmd_opt_parse(argc, argv, 2, opts, 3, NULL, 0, NULL) != 0 ||
	    cmd_opt_int(&opts[0], 1, 65534, CALL_SIP_PORT_DEFAULT, &sip) ||
	    cmd_opt_int(&opts[1], 1, 65535, CALL_CTRL_PORT_DEFAULT, &ctrl) ||
	    cmd_opt_int(&opts[2], 1, 65000, CALL_RTP_LO_DEFAULT, &rtp))
		return cmd_usage(&cmd_call);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = sync_sip_get(ctx->store, &user, &pw, &reg)) != 0) {
		fprintf(stderr,
		    "kiosk: this kiosk has no call account. It gets one when "
		    "it is enrolled with a server whose region runs calls; "
		    "ask the administrator.\n");
		return 1;
	}
	xasprintf(&dir, "%s/call", ctx->data_dir);
	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.user = user;
	c.password = pw;
	c.registrar = reg;
	c.turn = turn = sync_sip_turn(ctx->store);
	c.sip_port = (int)sip;
	c.ctrl_port = (int)ctrl;
	c.rtp_lo = (int)rtp;
	c.rtp_hi = (int)rtp + 99;
	c.audio_source = "ausine,440"; /* no sound card needed to check */
	c.mode = CALL_MODE_OPUS16;
	e = call_engine_new(&c);
	if ((err = call_engine_start(e)) != 0) {
		fprintf(stderr,
		    "kiosk: the call program (baresip) did not start: %s. "
		    "See %s/baresip.log.\n",
		    strerror(err), dir);
		goto out;
	}
	st = call_engine_status(e);
	until = clock_mono_ms() + 8000;
	while (st->reg == CALL_REG_NONE && clock_mono_ms() < until)
		call_engine_poll(e, CALL_TICK_MS);
	if (st->reg == CALL_REG_OK) {
		printf("registered as %s with %s: this kiosk can be called\n",
		    user, reg);
		if (turn != NULL)
			printf("media relay: %s\n", turn + strlen("turn:"));
		rc = 0;
	} else
		fprintf(stderr,
		    "kiosk: the call server %s refused or did not answer "
		    "(%s). Calls will not ring here; consults still go by "
		    "sync. Ask the administrator.\n",
		    reg, st->reg_reason[0] ? st->reg_reason : "no answer");
out:
	call_engine_free(e);
	free(dir);
	free(user);
	xfree_secret_str(pw);
	free(reg);
	free(turn);
	return rc;
}

static int
call_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return call_check(ctx, argc, argv);
	return cmd_usage(&cmd_call);
}

const struct kiosk_cmd cmd_call = {
	.name = "call",
	.usage = "  call check [--sip-port N] [--ctrl-port N] [--rtp-port N]\n"
	         "                             register with the region's call "
	         "server and say whether it accepts this kiosk\n",
	.run = call_run,
};
