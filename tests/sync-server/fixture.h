/*
 * The server-test fixture: a fresh data directory, the server context and
 * its libmicrohttpd daemon on a free loopback port, and helpers to make
 * enrolment tokens and enrolled nodes.  Static functions in a header so
 * each test program stays one file plus its headers.
 */
#ifndef TESTS_SERVER_FIXTURE_H
#define TESTS_SERVER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cborx.h"
#include "client.h"
#include "hlc.h"
#include "log.h"
#include "protocol.h"
#include "uuid.h"
#include "sync-server/store/pgtest.h"

struct fix {
	char dir[64];
	struct server srv;
	unsigned port;
};

/*
 * The store: DIR/server.db, or, with OUTPOST_TEST_PG set to the directory
 * of a running throwaway cluster (tests/tools/pgcluster.sh), a fresh
 * PostgreSQL database of it per fixture (tests/e2e/pg.sh runs test_policy
 * and test_blob so).
 */
static inline int
fix_open(struct fix *f)
{
	const char *dir = getenv("OUTPOST_TEST_PG");
	static unsigned n;
	struct pgtest pg;
	char db[48], sql[96], ci[320];
	int err;

	if (dir == NULL || dir[0] == '\0')
		return server_open(&f->srv, f->dir);
	memset(&pg, 0, sizeof(pg));
	snprintf(pg.dir, sizeof(pg.dir), "%s", dir);
	snprintf(db, sizeof(db), "fx%ld_%u", (long)getpid(), ++n);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", db);
	if ((err = pgtest_sql(&pg, NULL, sql, NULL, 0)) != 0)
		return err;
	pgtest_conninfo(&pg, db, ci, sizeof(ci));
	return server_open_store(&f->srv, f->dir, ci, NULL);
}

static inline int
fix_start_cfg(struct fix *f, unsigned timeout_s, unsigned per_ip)
{
	struct server_config cfg;
	int err;

	memset(f, 0, sizeof(*f));
	log_init(NULL, LOG_LEVEL_WARN);
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-srv.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return errno;
	if ((err = fix_open(f)) != 0)
		return err;
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = "127.0.0.1:0";
	cfg.threads = 2;
	cfg.max_conns = 64;
	cfg.max_per_ip = per_ip;
	cfg.timeout_s = timeout_s;
	if ((err = httpd_start(&f->srv, &cfg)) != 0)
		return err;
	f->port = f->srv.port;
	return 0;
}

static inline int
fix_start(struct fix *f)
{
	return fix_start_cfg(f, 5, 64);
}

static inline void
fix_stop(struct fix *f)
{
	char cmd[128];

	httpd_stop(&f->srv);
	server_close(&f->srv);
	if (f->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", f->dir);
	}
}

/* A token for a node of ROLE at FACILITY in REGION. */
static inline int
fix_token_as(struct fix *f, const char *region, const char *role,
    const char *facility, char out[33])
{
	struct stoken t;
	uint8_t raw[16];
	char *hex;
	int err;

	memset(&t, 0, sizeof(t));
	crypto_random(raw, sizeof(raw));
	hex = hex_encode(raw, sizeof(raw));
	memcpy(out, hex, 33);
	free(hex);
	crypto_sha256(out, strlen(out), t.hash);
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.region, sizeof(t.region), "%s", region);
	snprintf(t.facility, sizeof(t.facility), "%s", facility);
	t.expires_ms = hlc_wall_ms() + 3600 * 1000;
	err = f->srv.be->token_add(f->srv.store, &t);
	return err;
}

static inline int
fix_token(struct fix *f, const char *region, char out[33])
{
	return fix_token_as(f, region, "clinic", "fac-1", out);
}

static inline int
enroll_body(
    const char *token, const uint8_t pub[32], uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(4);
	int err;

	cborx_map_put(m, 1, cborx_text(token));
	cborx_map_put(m, 2, cborx_bytes(pub, 32));
	cborx_map_put(m, 3, cborx_text("test-node"));
	cborx_map_put(m, 4, cborx_uint(HLC_MAKE(hlc_wall_ms(), 0)));
	err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

/* Enrol a fresh node of ROLE at FACILITY in REGION. */
static inline int
fix_node_as(struct fix *f, const char *region, const char *role,
    const char *facility, struct tnode *n, uint8_t server_pub[32])
{
	struct tresp r;
	cbor_item_t *it = NULL;
	char token[33];
	uint8_t *body = NULL;
	const uint8_t *p;
	size_t len, plen;
	int err;

	memset(n, 0, sizeof(*n));
	memset(&r, 0, sizeof(r));
	crypto_ed25519_keygen(n->priv, n->pub);
	n->hlc = HLC_MAKE(hlc_wall_ms(), 0);
	if ((err = fix_token_as(f, region, role, facility, token)) != 0)
		return err;
	if ((err = enroll_body(token, n->pub, &body, &len)) != 0)
		goto out;
	if ((err = http_do(
	         f->port, "POST", "/v1/enroll", NULL, body, len, &r)) != 0)
		goto out;
	err = EPROTO;
	if (r.status != 200 || cborx_decode(r.body, r.len, r.len, &it) != 0 ||
	    cborx_map_uint(it, 1, &n->id) != 0 ||
	    cborx_map_bytes(it, 2, 32, &p, &plen) != 0 || plen != 32)
		goto out;
	if (server_pub != NULL)
		memcpy(server_pub, p, 32);
	err = 0;
out:
	if (it != NULL)
		cbor_decref(&it);
	free(body);
	tresp_clear(&r);
	return err;
}

/* Enrol a fresh clinic node (facility fac-1) in REGION. */
static inline int
fix_node(
    struct fix *f, const char *region, struct tnode *n, uint8_t server_pub[32])
{
	return fix_node_as(f, region, "clinic", "fac-1", n, server_pub);
}

/* The refusal code of change SEQ in a push ANSWER (0: stored) and, when
 * WHY is not NULL, its reason (docs/PROTOCOL.md §4.1). */
static inline uint64_t
fix_refusal(const cbor_item_t *answer, uint64_t seq, char *why, size_t wlen)
{
	cbor_item_t *arr = cborx_map_get(answer, PUSHED_K_REFUSED), **r, **f;
	uint64_t s, code;
	char *t = NULL;
	size_t i;

	if (why != NULL)
		why[0] = '\0';
	if (arr == NULL || !cbor_isa_array(arr))
		return 0;
	r = cbor_array_handle(arr);
	for (i = 0; i < cbor_array_size(arr); i++) {
		f = cbor_array_handle(r[i]);
		if (cborx_get_uint(f[PUSHED_R_SEQ], &s) != 0 || s != seq ||
		    cborx_get_uint(f[PUSHED_R_CODE], &code) != 0)
			continue;
		if (why != NULL &&
		    cborx_get_text(f[PUSHED_R_MESSAGE], 200, &t) == 0) {
			snprintf(why, wlen, "%s", t);
			free(t);
		}
		return code;
	}
	return 0;
}

/* Push NBODY changes (ENT[i], ID[i], BODY[i]) as node N's next batch
 * starting at *SEQ; *REFUSED how many the answer refused. */
static inline int
fix_push(struct fix *f, struct tnode *n, uint64_t *seq, size_t nbody,
    const int *ent, const struct uuid *id, cbor_item_t **body, size_t *refused)
{
	cbor_item_t *m = cborx_map(3), *arr = cborx_array(nbody), *c, *ans;
	struct tresp r;
	uint8_t *b = NULL, *bb;
	size_t i, len, blen;
	int err = 0;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < nbody; i++) {
		if ((err = cborx_encode(body[i], &bb, &blen)) != 0)
			goto out;
		c = cborx_array(PUSH_C_COUNT);
		cborx_array_push(c, cborx_uint(*seq + 1 + i));
		cborx_array_push(c, cborx_uint((uint64_t)ent[i]));
		cborx_array_push(c, cborx_bytes(id[i].b, 16));
		cborx_array_push(c, cborx_uint(HLC_MAKE(hlc_wall_ms(), i)));
		cborx_array_push(c, cborx_bytes(bb, blen));
		cborx_array_push(arr, c);
		free(bb);
	}
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(*seq + 1));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(*seq + nbody));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	if ((err = cborx_encode(m, &b, &len)) != 0 ||
	    (err = tnode_do(f->port, n, PROTO_PATH_PUSH, b, len, &r)) != 0)
		goto out;
	if (r.status != 200 || cborx_decode(r.body, r.len, r.len, &ans) != 0) {
		err = EPROTO;
		goto out;
	}
	c = cborx_map_get(ans, PUSHED_K_REFUSED);
	*refused = c != NULL ? cbor_array_size(c) : 0;
	cbor_decref(&ans);
	*seq += nbody;
out:
	cbor_decref(&m);
	free(b);
	tresp_clear(&r);
	return err;
}

#endif
