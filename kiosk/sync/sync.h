/*
 * The kiosk's sync client (docs/PROTOCOL.md is the contract).  It reads
 * only the outbox and the sync_state table of the store it is given, and
 * writes pulled changes straight into the clinical tables (sync_apply.c),
 * never into the outbox.  The background thread opens its own store
 * connection; nothing here touches curses.
 *
 * Functions return 0 or an errno value: ENOTCONN (not enrolled),
 * ECONNREFUSED/EHOSTUNREACH/ETIMEDOUT/ECONNRESET (no usable link: retry
 * later), EACCES (revoked, bad signature or token: a person must act),
 * EBADMSG (the server's answer was malformed or not signed by the pinned
 * key), EEXIST (the server holds different content for our sequence: a
 * person must act), EIO (local storage).  *CAUSE, when the function takes
 * one, says what happened in words for the person at the kiosk.
 */
#ifndef KIOSK_SYNC_H
#define KIOSK_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct store;

/* Keys in the store's sync_state table. */
#define SYNC_K_URL "sync.url"
#define SYNC_K_CA "sync.ca_pem" /* PEM of the CA to trust (HTTPS), or absent */
#define SYNC_K_NODE "sync.node_id" /* decimal */
#define SYNC_K_PRIV "sync.node_key" /* 32 bytes, Ed25519 private */
#define SYNC_K_SERVER_PUB "sync.server_pub" /* 32 bytes, pinned */
#define SYNC_K_REGION "sync.region"
#define SYNC_K_ROLE "sync.role"
#define SYNC_K_FACILITY "sync.facility" /* text: the enrolment's facility */
#define SYNC_K_SEQ "sync.req_seq" /* decimal: requests reserved up to */
#define SYNC_K_ACKED "sync.acked" /* decimal: server high-water mark */
#define SYNC_K_CURSOR "sync.cursor" /* bytes: opaque pull cursor */
#define SYNC_K_ANCHOR                                                          \
	"sync.audit_anchor" /* decimal: the server's audit anchor seq */
#define SYNC_K_LAST_OK "sync.last_ok_ms" /* decimal, wall clock */
#define SYNC_K_LAST_ERR "sync.last_error" /* text */
#define SYNC_K_REFUSED_N                                                       \
	"sync.refused" /* decimal: changes the server refused */
#define SYNC_K_REFUSED                                                         \
	"sync.refused_last" /* text: the latest, and what to do */
/* Limits the server announced at enrolment (docs/PROTOCOL.md §3.1),
 * decimal; absent: the protocol's limits. */
#define SYNC_K_QUEUE "sync.consult_queue" /* bytes: the last queue answer */
/* An admin node's last region figures (issue 17; model/figures.h's CBOR)
 * and when they were fetched (decimal, wall clock ms). */
#define SYNC_K_FIGURES "sync.figures"
#define SYNC_K_FIGURES_AT "sync.figures_ms"
#define SYNC_K_PUSH_BYTES "sync.push_max_bytes"
#define SYNC_K_PUSH_CHANGES "sync.push_max_changes"
#define SYNC_K_PULL_PAGE "sync.pull_page"
/* SIP credentials from the enrolment answer (docs/PROTOCOL.md §3.1), in the
 * encrypted store; absent when the region runs no SIP. */
#define SYNC_K_SIP_USER "sip.user"
#define SYNC_K_SIP_PASSWORD "sip.password"
#define SYNC_K_SIP_REGISTRAR "sip.registrar" /* host:port */
#define SYNC_K_SIP_TURN "sip.turn" /* host:port of the TURN relay; "": none */

struct sync_report {
	uint64_t pushed; /* changes the server newly stored */
	uint64_t dups; /* changes it already had */
	uint64_t acked; /* high-water mark after the run */
	uint64_t pulled; /* changes received */
	uint64_t applied; /* ... that changed something here */
	uint64_t refused; /* changes the server refused (§4.1) */
	uint64_t requests;
	uint64_t bytes_up, bytes_down; /* HTTP headers and bodies */
	uint64_t elapsed_ms;
};

struct sync_status {
	int enrolled;
	uint64_t node_id;
	char url[256];
	char region[64];
	char facility[64]; /* "" when enrolled before it was kept */
	uint64_t outbox_last, acked, pending;
	uint64_t last_ok_ms; /* 0: never */
	char last_error[160];
	uint64_t refused; /* changes the server refused, ever */
	char refused_last[256]; /* the latest refusal and what to do */
	/* The limits in use (the server's, or the protocol's defaults). */
	uint64_t push_bytes, push_changes, pull_page;
};

/*
 * Enrol this node with the server at URL using the one-time TOKEN (as
 * typed: common/etoken.h): creates the node key pair and stores it with
 * the node id and the pinned server key.  CA_PEM (may be NULL) is the
 * certificate authority to trust for HTTPS, kept in the store.  EINVAL:
 * the token is mistyped, not a token, or of the old form without the
 * server key's fingerprint (nothing sent); EKEYREJECTED: the server's key
 * does not match the token's fingerprint (someone in between; nothing
 * stored).  *CAUSE says which and what to do.
 */
int sync_enroll(struct store *, const char *url, const char *token,
    const char *ca_pem, char **cause);

/*
 * One sync run: push the whole outbox in batches (small first, then
 * adapted to the link), then pull every page for this node's scope.  Stops
 * at the first failure; everything acknowledged before it stays
 * acknowledged.  REP (may be NULL) receives the figures.
 */
int sync_run(struct store *, struct sync_report *rep, char **cause);
/*
 * One signed POST of BODY to PATH outside a run (the emergency fast path,
 * issue 16): *OUT (xmalloc'd) the verified answer, *STATUS its HTTP
 * status.  Errors as above (a link failure is ECONNREFUSED...).
 */
int sync_post(struct store *, const char *path, const uint8_t *body, size_t len,
    uint8_t **out, size_t *outlen, long *status);
/*
 * Break-glass (issue 17, docs/PROTOCOL.md §15): ask the server to open
 * PATIENT_ID (a uuid) outside this facility's scope for the acting user,
 * with REASON.  0: recorded on the server and audited here
 * ("breakglass"); the next sync pulls the patient and their history.
 * EINVAL (no reason, or a bad id), EACCES (refused: *CAUSE says why),
 * ENOTCONN (not enrolled) or a link error, with *CAUSE.
 */
int sync_breakglass(
    struct store *, const char *patient_id, const char *reason, char **cause);
/* One patient a break-glass search found (docs/PROTOCOL.md §15.1): the
 * fields that tell people apart, nothing clinical. */
struct sync_bg_found {
	char id[UUID_STRLEN + 1];
	char *given, *family, *sex, *village, *facility;
	uint64_t birth_year; /* 0: unknown */
};
/*
 * Search the region on the server for a patient outside this facility's
 * scope (by name, phone digits or id): *OUT (sync_bg_found_free) the
 * patients found, at most BGSEARCH_MAX, *MORE when more matched.  The
 * server records the search; this kiosk audits it (without the words).
 * EACCES with *CAUSE (too short, or an admin node), EDQUOT when the
 * server's limit on searches is reached (§15.1: *WAIT_S, may be NULL,
 * the seconds until it answers one more; *CAUSE the server's words),
 * ENOTCONN (not enrolled) or a link error, with *CAUSE.
 */
int sync_breakglass_search(struct store *, const char *query,
    struct sync_bg_found **out, size_t *n, int *more, uint64_t *wait_s,
    char **cause);
void sync_bg_found_free(struct sync_bg_found *, size_t n);
/*
 * The node's SIP credentials as stored at enrolment: three strings the
 * caller frees (the password with xfree_secret_str).  ENOENT: none (the
 * region had no SIP when this node enrolled).
 */
int sync_sip_get(
    struct store *, char **user, char **password, char **registrar);
/* The media relay the region gave at enrolment, as the call engine's
 * "turn:host:port" (the caller frees it), or NULL: none. */
char *sync_sip_turn(struct store *);
/* The same; a transfer in flight is aborted (EINTR) once *CANCEL (read
 * atomically; NULL: never) becomes non-zero. */
int sync_run_cancel(
    struct store *, struct sync_report *rep, char **cause, const int *cancel);

int sync_status_get(struct store *, struct sync_status *);

/*
 * The consult queue as the server last told it (docs/PROTOCOL.md §9),
 * fetched by every sync run after the pull and kept for the screens:
 * for a hub the region's queue by urgency then waiting time, for a
 * clinic its own consults with their positions.
 */
struct sync_queue_item {
	char id[UUID_STRLEN + 1];
	char state[16]; /* "queued", "accepted", "call" */
	char facility[64];
	uint64_t urgency, requested_ms, position, accepted_by;
	uint64_t node; /* the requesting node (a hub calls sip:n<node>@...);
	                  0: an older server did not say */
};
struct sync_queue {
	struct sync_queue_item *items;
	size_t n;
	uint64_t waiting; /* consults waiting in the region */
	int has_wait;
	uint64_t wait_ms; /* median request-to-accept of recent consults */
	int known; /* 0: never fetched (offline, or an older server) */
};
int sync_queue_get(struct store *, struct sync_queue *);
/* The item of consult ID, or NULL. */
const struct sync_queue_item *sync_queue_find(
    const struct sync_queue *, const char *id);
void sync_queue_clear(struct sync_queue *);
/*
 * The region figures an admin node last fetched (POST /v1/admin/figures,
 * at each sync), into F (clear with figures_clear), and when (*AT_MS,
 * wall clock).  ENOENT: none fetched yet (not an admin node, or never
 * online); EBADMSG: what is kept does not decode.
 */
struct figures;
int sync_figures_get(struct store *, struct figures *f, uint64_t *at_ms);
/*
 * One line for the home screen, e.g. "Sync: 12 waiting, last 5 min ago:
 * no connection to the server; will retry" or "Sync: all sent, last 2 min
 * ago" or "Sync: not set up".  NOW_MS is the wall clock.
 */
void sync_status_line(
    const struct sync_status *, uint64_t now_ms, char *out, size_t len);

/*
 * The background sync thread: opens its own connection to the store in
 * DIR with KEY, runs sync_run whenever the outbox has something new or
 * INTERVAL_S seconds passed, and backs off with jitter (capped at
 * 5 minutes) while the link is down.  It never gives up.
 */
int sync_thread_start(
    const char *dir, const uint8_t key[32], unsigned interval_s);
/* Ask for a run now (after a save, say). */
void sync_thread_kick(void);
/* Stop and join the thread (a transfer in flight is aborted); safe to
 * call when it is not running. */
void sync_thread_stop(void);
/* Non-zero while the thread is being stopped (ends transfers early). */
int sync_thread_stopping(void);
/* Loop in the calling thread until *STOP becomes non-zero (kiosk sync
 * --loop); returns the last error. */
int sync_loop(struct store *, unsigned interval_s, volatile int *stop);

#endif
