/*
 * A real sync-server for the kiosk's sync tests (test_merge.c,
 * test_rx_sync.c): started on a free loopback port in its own data
 * directory, enrolment tokens from its admin command, and kiosk nodes
 * enrolled with it.  Static functions in a header, like
 * tests/sync-server/fixture.h.
 */
#ifndef TESTS_KIOSK_SYNC_SYNCFIX_H
#define TESTS_KIOSK_SYNC_SYNCFIX_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiosk/store/store_int.h"
#include "kiosk/sync/sync.h"
#include "str.h"
#include "test.h"
#include "xmalloc.h"

struct srv {
	char dir[64];
	char bin[512];
	pid_t pid;
	unsigned port;
};

/* Extra options for the next srv_start (NULL-terminated), then reset. */
static const char *srv_extra[3];

static int
srv_start(struct srv *s)
{
	const char *b = getenv("OUTPOST_BUILD");
	char portfile[128], line[32];
	FILE *f;
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->bin, sizeof(s->bin), "%s/sync-server", b ? b : "build");
	if (access(s->bin, X_OK) != 0) {
		fprintf(stderr, "  %s not built\n", s->bin);
		return TEST_SKIP;
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/outpost-sync.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return errno;
	snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
	/* The server store key (docs/OPERATIONS.md), a file of 64 hex. */
	{
		uint8_t k[32];
		char *hex, path[96];

		crypto_random(k, sizeof(k));
		hex = hex_encode(k, sizeof(k));
		snprintf(path, sizeof(path), "%s/store.key", s->dir);
		i = fileio_write_atomic(path, hex, 64, 0600);
		free(hex);
		if (i != 0)
			return i;
	}
	if ((s->pid = fork()) == 0) {
		char data[96], log[96], key[96];

		snprintf(data, sizeof(data), "%s/srv", s->dir);
		snprintf(log, sizeof(log), "%s/srv.log", s->dir);
		snprintf(key, sizeof(key), "%s/store.key", s->dir);
		execl(s->bin, "sync-server", "--data", data, "--listen",
		    "127.0.0.1:0", "--port-file", portfile, "--log", log,
		    "--key-file", key, srv_extra[0], srv_extra[1],
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			if (fgets(line, sizeof(line), f) != NULL) {
				fclose(f);
				s->port = (unsigned)strtoul(line, NULL, 10);
				return 0;
			}
			fclose(f);
		}
		usleep(50000);
	}
	return ETIMEDOUT;
}

static void
srv_stop(struct srv *s)
{
	char cmd[128];
	int st;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &st, 0);
	}
	if (s->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", s->dir);
	}
}

/* An enrolment token for ROLE at FACILITY of region north. */
static int
srv_token_at(
    struct srv *s, const char *role, const char *facility, char out[64])
{
	char cmd[1024];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd),
	    "'%s' --data '%s/srv' --key-file '%s/store.key' admin "
	    "enroll-token --role %s --region north --facility %s",
	    s->bin, s->dir, s->dir, role, facility);
	if ((p = popen(cmd, "r")) == NULL)
		return errno;
	ok = fgets(out, 64, p) != NULL;
	pclose(p);
	if (!ok)
		return EIO;
	str_trim(out);
	return 0;
}

static inline int
srv_token(struct srv *s, const char *role, char out[64])
{
	return srv_token_at(s, role, "f1", out);
}

/* A kiosk NAME enrolled with ROLE at FACILITY of region north. */
static int
node_open_at(struct srv *srv, const char *name, const char *role,
    const char *facility, uint64_t (*clock)(void), struct store **out)
{
	char dir[128], tok[64], url[64], *cause = NULL;
	uint8_t key[32];
	int err;

	snprintf(dir, sizeof(dir), "%s/%s", srv->dir, name);
	if (mkdir(dir, 0700) != 0)
		return errno;
	crypto_random(key, sizeof(key));
	if ((err = store_open(dir, key, 1, out)) != 0)
		return err;
	(*out)->hlc.now_ms = clock;
	if ((err = srv_token_at(srv, role, facility, tok)) != 0)
		return err;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", srv->port);
	err = sync_enroll(*out, url, tok, NULL, &cause);
	if (err != 0)
		fprintf(stderr, "  enrol %s: %s\n", name, cause ? cause : "?");
	free(cause);
	return err;
}

/* A kiosk NAME enrolled with ROLE (at facility f1 of region north). */
static int
node_open_as(struct srv *srv, const char *name, const char *role,
    uint64_t (*clock)(void), struct store **out)
{
	return node_open_at(srv, name, role, "f1", clock, out);
}

#endif
