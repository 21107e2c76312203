/*
 * The sync server's shared shapes: the server context, one request as an
 * endpoint sees it, and the route table entry every api_<name>.c exports
 * (listed by hand in routes.c).  The HTTP layer (httpd.c) reads the body
 * into a bounded buffer, checks the signature of signed routes (auth.c),
 * calls the handler and sends what it left in the request.
 */
#ifndef SYNC_SERVER_SERVER_H
#define SYNC_SERVER_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "hlc.h"
#include "protocol.h"
#include "sync-server/store/backend.h"

/* Attachment defaults (docs/OPERATIONS.md): 1 GiB per node, partial
 * uploads kept 7 days, swept every 10 minutes. */
#define SERVER_BLOB_QUOTA (1024ULL * 1024 * 1024)
#define SERVER_BLOB_STALE_MS (7ULL * 24 * 3600 * 1000)
#define SERVER_BLOB_SWEEP_MS (10ULL * 60 * 1000)

struct server_config {
	const char *data_dir;
	const char *listen; /* "ADDR:PORT" */
	const char *tls_cert, *tls_key; /* PEM files, both or neither */
	unsigned threads;
	unsigned max_conns, max_per_ip;
	unsigned timeout_s;
	unsigned pull_max, push_max_changes; /* 0: the protocol's limits */
	/* The connection guard (guard.c, docs/OPERATIONS.md "Limits"); 0
	 * takes the default: 10 s, 120 s, 1024 B/s, 64 MiB. */
	unsigned header_timeout_s, request_timeout_s;
	unsigned min_rate; /* body bytes/s */
	unsigned body_memory_mib; /* unverified bodies over 64 KiB, in all */
	const char *store; /* --store: NULL (SQLite) or a PostgreSQL URI */
};

struct server {
	const struct store_backend *be;
	struct sstore *store;
	char *data_dir;
	uint8_t priv[32], pub[32]; /* server Ed25519 key */
	/* Attachments (blobstore.c): sealed under blob_key, named by an
	 * HMAC under blob_name_key, both derived from the store key (random
	 * per open without one: in-process tests).  Per node: at most
	 * blob_quota bytes held and in partial uploads; a partial upload
	 * untouched for blob_stale_ms is deleted by a sweep at start and
	 * every blob_sweep_ms. */
	uint8_t blob_key[32], blob_name_key[32];
	uint64_t blob_quota, blob_stale_ms, blob_sweep_ms, blob_swept_ms;
	struct hlc hlc;
	pthread_mutex_t mu; /* hlc, blob files */
	struct MHD_Daemon *httpd;
	unsigned port; /* bound port */
	/* Limits sent to nodes at enrolment (docs/PROTOCOL.md §3.1) and
	 * enforced on push and pull: at most the PROTO_* limits. */
	size_t push_max_bytes;
	unsigned push_max_changes, pull_max;
	/* Licence snapshots (registry.c): not_after = issue + this; 0: the
	 * default, 7 days. */
	uint64_t licence_ttl_ms;
	/* Emergencies (emergency.c, issue 16): the engine's timer, the
	 * gateway; NULL until emergency_start, which also sets STOP_HOOK
	 * (emergency_stop: server_close calls it before closing the store,
	 * so that server.c does not depend on emergency.c). */
	struct emerg_srv *emerg;
	void (*stop_hook)(struct server *);
	/* The waitlist's timer (wait_timer.c, issue 15): NULL until
	 * waitlist_start, which sets WAIT_STOP_HOOK (waitlist_stop).
	 * WAIT_HOLD_MS: how long an offer is held (0: sched.h's rule,
	 * min(4 h, half the time to the slot); tests shorten it). */
	struct wait_srv *wait;
	void (*wait_stop_hook)(struct server *);
	uint64_t wait_hold_ms;
};

struct request {
	struct server *srv;
	const char *method;
	const char *path;
	const uint8_t *body;
	size_t len;
	/* Signed routes: the verified node and its request header values. */
	struct snode node;
	uint64_t seq, hlc;
	/* The query's "secret" argument, NULL when absent (the SMS
	 * gateway's callbacks, api/emergency.c). */
	const char *secret;
	/* What the handler leaves to be sent. */
	unsigned status;
	enum wire_err err; /* req_error's code, 0 for none */
	uint8_t *resp; /* xmalloc'd */
	size_t resp_len;
};

#define ROUTE_SIGNED 0x1
/* The handler accepts the request sequence itself, inside its own store
 * transaction (push: one commit per request instead of two). */
#define ROUTE_SEQ_IN_STORE 0x2

struct route {
	const char *method;
	const char *path;
	size_t max_body;
	int flags;
	/* Fill req->status/resp (req_reply or req_error); returns 0, or an
	 * errno value for a failure not yet reported (sent as internal). */
	int (*handler)(struct request *);
};

extern const struct route *const routes[];
const struct route *route_find(const char *path);

/* STORE (--store) picks the backend: NULL for the SQLite store in DIR,
 * a postgresql:// URI or libpq conninfo for PostgreSQL.  The server key
 * stays in DIR either way.  EINVAL: a STORE no backend takes. */
const struct store_backend *server_backend(const char *store);
/*
 * Load or create the server key and open the store under DIR (or in
 * STORE, see server_backend), encrypted under the 32-byte store KEY
 * (backend.h: EKEYREJECTED when it does not open the store; PostgreSQL
 * leaves encryption at rest to the disk).  The blob keys derive from KEY
 * on either backend.  server_open opens it without a key: the in-process
 * tests only; the program always gives one.
 */
int server_open_store(
    struct server *, const char *dir, const char *store, const uint8_t *key);
int server_open_key(struct server *, const char *dir, const uint8_t *key);
int server_open(struct server *, const char *dir);
/*
 * Read the store key from FILE, else from the systemd credential
 * outpost-server-key.  ENOKEY (neither given), EPERM (FILE readable by
 * group or others), EINVAL (not 64 hex digits), or open's errno; *CAUSE
 * (the caller frees) says what to do.
 */
int server_store_key_load(const char *file, uint8_t key[32], char **cause);
void server_close(struct server *);
/* The server's Ed25519 public key, from DIR/server.key (made if absent,
 * as server_open would): for enrolment tokens. */
int server_key_pub(const char *dir, uint8_t pub[32]);
/* Both halves of that key, for signing a kiosk's emergency roster
 * (sync-server/emergency_admin.c); the caller wipes PRIV. */
int server_key_pair(const char *dir, uint8_t priv[32], uint8_t pub[32]);
/* Merge a node's HLC into the server clock; returns a fresh server HLC.
 * A REMOTE too far ahead of physical time (server_hlc_ahead) is not
 * merged: callers refuse it first with WERR_CLOCK_AHEAD. */
uint64_t server_hlc(struct server *, uint64_t remote);
/* Is REMOTE beyond HLC_MAX_AHEAD_MS past the server's physical time? */
int server_hlc_ahead(struct server *, uint64_t remote);
uint64_t server_now_ms(void);

/* Start/stop the HTTP daemon (httpd.c). */
int httpd_start(struct server *, const struct server_config *);
void httpd_stop(struct server *);

/* Set a 200 reply: encodes ITEM (and releases it). */
void req_reply(struct request *, cbor_item_t *item);
/* Set an error reply (docs/PROTOCOL.md §2); DETAIL < 0 leaves it out. */
void req_error(
    struct request *, enum wire_err code, const char *msg, long long detail);
unsigned wire_err_status(enum wire_err code);

/*
 * Signatures (auth.c).  auth_req_message and auth_rsp_message return the
 * exact signed strings of docs/PROTOCOL.md §3.2/§3.3 (caller frees).
 */
char *auth_req_message(const char *method, const char *path, uint64_t node,
    uint64_t seq, uint64_t hlc, const void *body, size_t len);
char *auth_rsp_message(
    unsigned status, uint64_t node, uint64_t seq, const void *body, size_t len);
/*
 * Check the four X-Outpost-* header values of REQ (any may be NULL) and,
 * when ACCEPT_SEQ is set, accept the request sequence (otherwise the
 * handler must, atomically with its write).  Returns 0 with req->node
 * filled in, or leaves an error reply in REQ and returns EACCES.
 */
int auth_check(struct request *, int accept_seq, const char *node,
    const char *seq, const char *hlc, const char *sig);
/*
 * The checks auth_check makes that need no body, made as soon as the
 * headers are in so that nobody unknown gets to upload one: the headers
 * parse, the node is enrolled and not revoked, and the sequence is above
 * the last one seen.  Returns 0, or leaves an error reply in REQ and
 * returns EACCES.  auth_check still makes them all again.
 */
int auth_precheck(struct request *, const char *node, const char *seq,
    const char *hlc, const char *sig);
/* Hex signature of the response (129 bytes with the NUL). */
void auth_sign_response(struct server *, const struct request *, char out[129]);

/*
 * The connection guard (guard.c): deadlines, the minimum body rate,
 * per-address and total caps on connections not yet authenticated, and
 * the budget for bodies buffered before their signature is checked.
 * guard_open/guard_close are libmicrohttpd's connection notifications;
 * the others follow one request on connection MC.  guard_headers
 * returns EBUSY when a body of BODY_LEN bytes does not fit the budget.
 */
struct MHD_Connection;
int guard_start(const struct server_config *);
void guard_stop(void);
void guard_open(struct MHD_Connection *mc, void **ctx);
void guard_close(void **ctx);
int guard_headers(struct MHD_Connection *mc, size_t body_len);
void guard_body(struct MHD_Connection *mc, size_t n);
void guard_busy(struct MHD_Connection *mc);
void guard_proven(struct MHD_Connection *mc);
void guard_done(struct MHD_Connection *mc);

/* Admin command line (admin.c): `sync-server admin ...`, on the store
 * in DIR or STORE (server_backend) opened with the 32-byte store KEY. */
int admin_main(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv);

#endif
