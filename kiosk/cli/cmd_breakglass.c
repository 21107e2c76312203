/*
 * kiosk breakglass PATIENT_ID --reason TEXT (issue 17): open a patient
 * outside this facility's scope, with a written reason.  The server
 * records and alerts it and widens the facility's scope; this kiosk
 * audits it; the sync that follows pulls the patient and their history.
 * There is no screen for it yet: staff use this command.
 */
#define LOG_MODULE "cli"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"

extern const struct kiosk_cmd cmd_breakglass;

static int
breakglass_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--reason", 1, NULL } };
	const char *pos[1] = { NULL };
	char *cause = NULL;
	int n, err;

	if (cmd_opt_parse(argc, argv, 1, opts, nitems(opts), pos, 1, &n) != 0 ||
	    n != 1)
		return cmd_usage(&cmd_breakglass);
	if (opts[0].value == NULL) {
		fprintf(stderr,
		    "kiosk: a break-glass access needs a written reason: "
		    "--reason \"...\"\n");
		return 2;
	}
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = sync_breakglass(
	         ctx->store, pos[0], opts[0].value, &cause)) != 0) {
		fprintf(stderr, "kiosk: not opened: %s\n",
		    cause != NULL ? cause : kctx_explain(err));
		free(cause);
		return 1;
	}
	printf("Opened %s outside this facility's scope (recorded on the "
	       "server and audited); the next sync brings the patient and "
	       "their history\n",
	    pos[0]);
	return 0;
}

const struct kiosk_cmd cmd_breakglass = {
	.name = "breakglass",
	.usage = "  breakglass PATIENT_ID --reason TEXT   open a patient "
	         "outside this facility's scope (audited)\n",
	.run = breakglass_run,
};
