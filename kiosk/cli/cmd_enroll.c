/*
 * `kiosk enroll --server URL [--token T] [--ca FILE] [--insecure-http]`:
 * register this node
 * with a sync server using a one-time token from an administrator
 * (`sync-server admin enroll-token`).  Without --token the token is read
 * like a passphrase (terminal without echo, or the --passphrase-fd line
 * after the passphrase), so it need not appear in the process list.  The node key is made here and never
 * leaves the encrypted store; the server key learnt now is pinned.  --ca
 * names the PEM certificate (authority) to trust for an https:// server
 * with a private certificate; it is kept in the store.  The token carries
 * the server key's fingerprint, checked before the key is pinned
 * (sync_enroll).  http:// is refused unless --insecure-http says this is
 * a test or a development setup (issue 9, item 6): an enrolment in clear
 * hands the token to anyone on the path.
 */
#define LOG_MODULE "cmd_enroll"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "str.h"
#include "kiosk/sync/sync.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_enroll;

static int
read_pem(const char *path, char **out)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;
	int err = 0;

	if ((f = fopen(path, "r")) == NULL)
		return errno;
	buf_init(&b, 256 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((err = buf_append(&b, chunk, n)) != 0)
			break;
	fclose(f);
	if (err != 0) {
		buf_free(&b);
		return err;
	}
	*out = buf_take_str(&b);
	return 0;
}

static int
cmd_enroll_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--server", 1, NULL },
		{ "--token", 1, NULL }, { "--ca", 1, NULL },
		{ "--insecure-http", 0, NULL } };
	struct sync_status st;
	char *pem = NULL, *cause = NULL, *token = NULL;
	int err, npos;

	if (cmd_opt_parse(argc, argv, 1, opts, 4, NULL, 0, &npos) != 0)
		return 2;
	if (opts[0].value == NULL)
		return cmd_usage(&cmd_enroll);
	if (strncmp(opts[0].value, "http://", 7) != 0 &&
	    strncmp(opts[0].value, "https://", 8) != 0) {
		fprintf(stderr,
		    "kiosk enroll: --server must be an http:// or "
		    "https:// URL\n");
		return 2;
	}
	if (strncmp(opts[0].value, "http://", 7) == 0 &&
	    opts[3].value == NULL) {
		fprintf(stderr,
		    "kiosk enroll: refusing http://: the token and the "
		    "server's key would cross the network in clear. Use "
		    "https:// (with --ca FILE for a private certificate); "
		    "--insecure-http is for tests and development only\n");
		return 1;
	}
	if (opts[2].value != NULL && (err = read_pem(opts[2].value, &pem))) {
		fprintf(stderr, "kiosk enroll: cannot read %s: %s\n",
		    opts[2].value, strerror(err));
		return 1;
	}
	if (kctx_open(ctx) != 0) {
		free(pem);
		return 1;
	}
	if (opts[1].value == NULL &&
	    (token = kctx_read_secret(ctx, "Enrolment token: ")) == NULL) {
		free(pem);
		fprintf(stderr, "kiosk enroll: no token given\n");
		return 2;
	}
	err = sync_enroll(ctx->store, opts[0].value,
	    token ? str_trim(token) : opts[1].value, pem, &cause);
	free(pem);
	xfree_secret_str(token);
	if (err != 0) {
		fprintf(stderr, "kiosk enroll: %s\n",
		    cause ? cause : strerror(err));
		free(cause);
		return 1;
	}
	sync_status_get(ctx->store, &st);
	printf("enrolled as node %" PRIu64 " in region %s\n", st.node_id,
	    st.region);
	return 0;
}

const struct kiosk_cmd cmd_enroll = {
	.name = "enroll",
	.usage = "  kiosk enroll --server URL [--token TOKEN] [--ca FILE] "
	         "[--insecure-http]\n"
	         "      (without --token, the token is asked for like a "
	         "passphrase;\n"
	         "      http:// only with --insecure-http, for tests)\n",
	.run = cmd_enroll_run,
};
