/*
 * Fuzz harness for the sync endpoints behind the HTTP layer: the first
 * byte picks push, pull or blob, the rest is the body, handed to the
 * route's handler as an authenticated request of one enrolled node, on a
 * real SQLite store in a temporary directory (state carries over between
 * inputs, as it would on a server).  Every input must get an answer
 * (200 or a documented error) without a crash, a leak or a sanitizer
 * report.  `make check` replays tests/fuzz/corpus/sync_handler.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "hlc.h"
#include "log.h"
#include "sync-server/server.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct server fz_srv;
static struct snode fz_node;
static char fz_dir[64];
static uint64_t fz_seq;

static void
fz_cleanup(void)
{
	char cmd[128];

	server_close(&fz_srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fz_dir);
}

static int
fz_setup(void)
{
	struct stoken t;
	uint8_t priv[32], pub[32];

	log_init(NULL, LOG_LEVEL_FATAL);
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/outpost-fuzz.XXXXXX");
	if (mkdtemp(fz_dir) == NULL || server_open(&fz_srv, fz_dir) != 0)
		return -1;
	atexit(fz_cleanup);
	memset(&t, 0, sizeof(t));
	crypto_sha256("fuzz", 4, t.hash);
	snprintf(t.role, sizeof(t.role), "clinic");
	snprintf(t.region, sizeof(t.region), "north");
	t.expires_ms = hlc_wall_ms() + 3600 * 1000;
	crypto_ed25519_keygen(priv, pub);
	if (fz_srv.be->token_add(fz_srv.store, &t) != 0 ||
	    fz_srv.be->enroll(fz_srv.store, t.hash, pub, "fuzz", 1, &fz_node))
		return -1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/v1/push", "/v1/pull",
		"/v1/blob" };
	static int ready;
	const struct route *route;
	struct request req;

	if (!ready) {
		if (fz_setup() != 0)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	route = route_find(paths[data[0] % 3]);
	memset(&req, 0, sizeof(req));
	req.srv = &fz_srv;
	req.method = "POST";
	req.path = route->path;
	req.body = data + 1;
	req.len = size - 1;
	req.node = fz_node;
	req.seq = ++fz_seq;
	if (route->handler(&req) != 0 || req.status == 0)
		abort(); /* every input gets an answer */
	free(req.resp);
	return 0;
}
