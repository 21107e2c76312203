/*
 * `kiosk sync`: run the sync client from the command line, for scripts
 * and support.
 *
 *   kiosk sync --once      one run: push everything, pull everything;
 *                          prints the figures, exit 1 on failure
 *   kiosk sync --loop [--interval S]
 *                          keep syncing with back-off until SIGTERM/SIGINT
 *   kiosk sync status      enrolment, pending records, last success and
 *                          its age, the last error in words
 *   kiosk sync manifest [--tables]
 *                          one line per outbox change, "entity uuid
 *                          sha256-of-body" (what the server must hold,
 *                          compare with `sync-server admin manifest`);
 *                          --tables: "entity uuid" of every clinical row
 *                          held here.  Ids and hashes only, no content.
 */
#define LOG_MODULE "cmd_sync"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "hlc.h"
#include "crypto.h"
#include "encode.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/store/syncstate.h"
#include "kiosk/sync/sync.h"

extern const struct kiosk_cmd cmd_sync;

static volatile int cmd_sync_stop;

static void
cmd_sync_signal(int sig)
{
	(void)sig;
	cmd_sync_stop = 1; /* the loop looks at it every 250 ms */
}

static void
cmd_sync_age(uint64_t ms, char *out, size_t len)
{
	uint64_t now = hlc_wall_ms(), s;

	if (ms == 0) {
		snprintf(out, len, "never");
		return;
	}
	s = now > ms ? (now - ms) / 1000 : 0;
	if (s < 120)
		snprintf(out, len, "%" PRIu64 " s ago", s);
	else if (s < 7200)
		snprintf(out, len, "%" PRIu64 " min ago", s / 60);
	else if (s < 172800)
		snprintf(out, len, "%" PRIu64 " h ago", s / 3600);
	else
		snprintf(out, len, "%" PRIu64 " days ago", s / 86400);
}

static int
cmd_sync_status(struct kctx *ctx)
{
	struct sync_status st;
	char age[32], line[256];

	if (kctx_open(ctx) != 0)
		return 1;
	if (sync_status_get(ctx->store, &st) != 0) {
		fprintf(stderr, "kiosk sync: cannot read the sync state\n");
		return 1;
	}
	cmd_sync_age(st.last_ok_ms, age, sizeof(age));
	if (!st.enrolled)
		printf("enrolled: no (kiosk enroll --server URL --token T)\n");
	else
		printf("enrolled: node %" PRIu64 ", region %s, server %s\n",
		    st.node_id, st.region, st.url);
	printf("pending: %" PRIu64 " of %" PRIu64 " changes\n", st.pending,
	    st.outbox_last);
	printf("acknowledged: %" PRIu64 "\n", st.acked);
	printf("last successful sync: %s\n", age);
	printf("last error: %s\n", st.last_error[0] ? st.last_error : "none");
	if (st.refused > 0)
		printf("refused by the server: %" PRIu64
		       " (audited); latest: %s\n",
		    st.refused, st.refused_last);
	printf("server limits: push %" PRIu64 " changes or %" PRIu64
	       " bytes, pull pages of %" PRIu64 "\n",
	    st.push_changes, st.push_bytes, st.pull_page);
	sync_status_line(&st, hlc_wall_ms(), line, sizeof(line));
	printf("%s\n", line);
	return 0;
}

static int
cmd_sync_manifest_line(
    void *arg, int entity, const char *id, const uint8_t *body, size_t len)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char *hex;

	if (*(const int *)arg) { /* --tables: ids only */
		printf("%d %s\n", entity, id);
		return 0;
	}
	crypto_sha256(body, len, h);
	hex = hex_encode(h, sizeof(h));
	printf("%d %s %s\n", entity, id, hex);
	free(hex);
	return 0;
}

static int
cmd_sync_manifest(struct kctx *ctx, int tables)
{
	int err;

	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_sync_manifest(
	         ctx->store, tables, cmd_sync_manifest_line, &tables)) != 0) {
		fprintf(stderr, "kiosk sync: cannot read the store: %s\n",
		    strerror(err));
		return 1;
	}
	return 0;
}

static int
cmd_sync_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--once", 0, NULL }, { "--loop", 0, NULL },
		{ "--interval", 1, NULL }, { "--tables", 0, NULL } };
	struct sync_report rep;
	struct sync_status st;
	const char *pos[1];
	char *cause = NULL;
	long long interval;
	int err, npos;

	if (cmd_opt_parse(argc, argv, 1, opts, 4, pos, 1, &npos) != 0)
		return 2;
	if (npos == 1 && strcmp(pos[0], "status") == 0)
		return cmd_sync_status(ctx);
	if (npos == 1 && strcmp(pos[0], "manifest") == 0)
		return cmd_sync_manifest(ctx, opts[3].value != NULL);
	if (npos != 0 || (opts[0].value == NULL) == (opts[1].value == NULL))
		return cmd_usage(&cmd_sync);
	if (cmd_opt_int(&opts[2], 1, 86400, 30, &interval) != 0)
		return 2;
	if (kctx_open(ctx) != 0)
		return 1;
	if (opts[1].value != NULL) {
		signal(SIGTERM, cmd_sync_signal);
		signal(SIGINT, cmd_sync_signal);
		err = sync_loop(ctx->store, (unsigned)interval, &cmd_sync_stop);
		return err == 0 ? 0 : 1;
	}
	err = sync_run(ctx->store, &rep, &cause);
	printf("pushed %" PRIu64 " (already held %" PRIu64
	       "), acknowledged to %" PRIu64 "; pulled %" PRIu64 " (%" PRIu64
	       " merged); %" PRIu64 " requests, %" PRIu64 " bytes up, %" PRIu64
	       " down, %" PRIu64 " ms\n",
	    rep.pushed, rep.dups, rep.acked, rep.pulled, rep.applied,
	    rep.requests, rep.bytes_up, rep.bytes_down, rep.elapsed_ms);
	if (rep.refused > 0 && sync_status_get(ctx->store, &st) == 0)
		fprintf(stderr,
		    "kiosk sync: %" PRIu64 " change(s) refused by the server"
		    " and kept here; latest: %s\n",
		    rep.refused, st.refused_last);
	if (err != 0) {
		fprintf(
		    stderr, "kiosk sync: %s\n", cause ? cause : strerror(err));
		free(cause);
		return 1;
	}
	return 0;
}

const struct kiosk_cmd cmd_sync = {
	.name = "sync",
	.usage = "  kiosk sync --once\n"
	         "  kiosk sync --loop [--interval SECONDS]\n"
	         "  kiosk sync status\n"
	         "  kiosk sync manifest [--tables]\n",
	.run = cmd_sync_run,
};
