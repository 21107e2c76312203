/*
 * kiosk conflict list|resolve: the concurrent edits this kiosk kept
 * (kiosk/store/conflict.c).  A facility administrator reads each one,
 * with both values and who made them, and keeps the current value or
 * writes the lost one back; both are audited.  Administrators only: the
 * list shows patient data.
 */
#define LOG_MODULE "conflict"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "log.h"
#include "record.h"

extern const struct kiosk_cmd cmd_conflict;

static int
conflict_list(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--all", 0, NULL } };
	struct store_conflict *c = NULL;
	size_t i, n = 0;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0, &npos) !=
	        0 ||
	    npos != 0)
		return cmd_usage(&cmd_conflict);
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = store_conflict_list(
	         ctx->store, opts[0].value != NULL, &c, &n)) != 0) {
		fprintf(stderr, "kiosk: cannot list conflicts: %s\n",
		    kctx_explain(err));
		return 1;
	}
	if (n == 0)
		printf("no %sconflicts\n", opts[0].value ? "" : "open ");
	for (i = 0; i < n; i++) {
		printf("conflict %" PRId64 ": %s %s, field %s\n", c[i].id,
		    rec_entity_name(c[i].entity), c[i].record_id, c[i].col);
		printf("  current: \"%s\" (hlc %" PRIu64 ", node %" PRIu64
		       ")\n",
		    c[i].current, c[i].won_hlc, c[i].won_origin);
		printf("  lost:    \"%s\" (hlc %" PRIu64 ", node %" PRIu64
		       ", user %s)\n",
		    c[i].lost, c[i].lost_hlc, c[i].lost_origin,
		    c[i].lost_by[0] ? c[i].lost_by : "unknown");
		if (c[i].resolved_ms != 0)
			printf("  resolved: kept %s, by %s\n", c[i].resolution,
			    c[i].resolved_by);
	}
	store_conflict_free(c, n);
	return 0;
}

static int
conflict_resolve(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--keep", 1, NULL } };
	const char *pos[1];
	long long id;
	char *cause = NULL, *end;
	int npos, err, theirs;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1 || opts[0].value == NULL)
		return cmd_usage(&cmd_conflict);
	if (strcmp(opts[0].value, "current") == 0)
		theirs = 0;
	else if (strcmp(opts[0].value, "theirs") == 0)
		theirs = 1;
	else
		return cmd_usage(&cmd_conflict);
	errno = 0;
	id = strtoll(pos[0], &end, 10);
	if (errno != 0 || *end != '\0' || id <= 0)
		return cmd_usage(&cmd_conflict);
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = store_conflict_resolve(ctx->store, id, theirs, &cause)) !=
	    0) {
		fprintf(
		    stderr, "kiosk: %s\n", cause ? cause : kctx_explain(err));
		free(cause);
		return 1;
	}
	printf("conflict %lld resolved: kept the %s value%s\n", id,
	    theirs ? "lost" : "current",
	    theirs ? " (it syncs as a new edit)" : "");
	return 0;
}

static int
conflict_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_conflict);
	if (strcmp(argv[1], "list") == 0)
		return conflict_list(ctx, argc, argv);
	if (strcmp(argv[1], "resolve") == 0)
		return conflict_resolve(ctx, argc, argv);
	return cmd_usage(&cmd_conflict);
}

const struct kiosk_cmd cmd_conflict = {
	.name = "conflict",
	.usage = "  conflict list [--all]   concurrent edits kept from sync"
	         " (administrator)\n"
	         "  conflict resolve ID --keep current|theirs\n",
	.run = conflict_run,
};
