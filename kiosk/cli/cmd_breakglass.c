/*
 * kiosk breakglass PATIENT_ID --reason TEXT (issue 17): open a patient
 * outside this facility's scope, with a written reason.  The server
 * records and alerts it and widens the facility's scope; this kiosk
 * audits it; the sync that follows pulls the patient and their history.
 * `--search` finds the patient first (the server answers minimal
 * fields); the screen is kiosk/tui/screen_breakglass.c.
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

/* `kiosk breakglass --search WORDS`: the region's patients the server
 * finds (§15.1), one a line, to choose the id from. */
static int
breakglass_search(struct kctx *ctx, const char *query)
{
	struct sync_bg_found *f = NULL;
	char *cause = NULL, year[8];
	size_t n = 0, i;
	int more = 0, err;

	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = sync_breakglass_search(
	         ctx->store, query, &f, &n, &more, NULL, &cause)) != 0) {
		fprintf(stderr, "kiosk: not searched: %s\n",
		    cause != NULL ? cause : kctx_explain(err));
		free(cause);
		return 1;
	}
	if (n == 0)
		printf("No patient of the region matches (the search is "
		       "recorded on the server)\n");
	for (i = 0; i < n; i++) {
		if (f[i].birth_year != 0)
			snprintf(year, sizeof(year), "%04u",
			    (unsigned)f[i].birth_year);
		else
			snprintf(year, sizeof(year), "-");
		printf("%s  %s %s  %s  %s  %s  %s\n", f[i].id, f[i].given,
		    f[i].family, year, f[i].sex[0] ? f[i].sex : "-",
		    f[i].village[0] ? f[i].village : "-", f[i].facility);
	}
	if (more)
		printf("More patients match: add words to narrow it\n");
	sync_bg_found_free(f, n);
	return 0;
}

static int
breakglass_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--reason", 1, NULL },
		{ "--search", 1, NULL } };
	const char *pos[1] = { NULL };
	char *cause = NULL;
	int n, err;

	if (cmd_opt_parse(argc, argv, 1, opts, nitems(opts), pos, 1, &n) != 0)
		return cmd_usage(&cmd_breakglass);
	if (opts[1].value != NULL) {
		if (n != 0 || opts[0].value != NULL)
			return cmd_usage(&cmd_breakglass);
		return breakglass_search(ctx, opts[1].value);
	}
	if (n != 1)
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
	         "outside this facility's scope (audited)\n"
	         "  breakglass --search WORDS   find one in the region: name, "
	         "phone digits or id\n",
	.run = breakglass_run,
};
