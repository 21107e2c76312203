/*
 * Internals of the sync client, shared by the files of kiosk/sync only.  The files
 * form layers, each calling only the ones below it (and the store):
 *
 *	thread.c	background loop, back-off
 *	client.c	enrolment, one run: push, blobs, pull; status
 *	apply.c		merging a pulled page into the store
 *	http.c		signed requests on libcurl
 *	state.c		SYNC_K_* values in the store's sync_state
 *
 * A lower layer learns about cancellation through the flag its caller
 * passes down (struct sync_http's cancel), never by calling up.
 */
#ifndef KIOSK_SYNC_INT_H
#define KIOSK_SYNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct store;

struct sync_http {
	void *curl; /* CURL *, reused so the connection is kept alive */
	char *base; /* server URL without the trailing slash */
	char *ca_pem;
	uint64_t node; /* 0 until enrolled */
	uint8_t priv[32];
	uint8_t server_pub[32];
	int pinned;
	uint64_t requests, bytes_up, bytes_down;
	long status; /* HTTP status of the last exchange */
	char sig[129]; /* X-Outpost-Sig of the last response */
	char errbuf[256];
	/* Set by the caller: a transfer ends (EINTR) once *cancel, read
	 * atomically, is non-zero.  NULL: never. */
	const int *cancel;
};

/* Prepare a client for BASE (takes copies). */
int sync_http_init(struct sync_http *, const char *base, const char *ca_pem);
void sync_http_free(struct sync_http *);
/*
 * POST BODY to PATH.  When h->node is set the request is signed with SEQ
 * and HLC, and the response must carry a valid signature of the pinned
 * server key (EBADMSG otherwise).  *STATUS gets the HTTP status and RESP
 * the body (bounded).  Link failures come back as errno values
 * (ECONNREFUSED, ETIMEDOUT, ECONNRESET, EPROTO for TLS).
 */
int sync_http_post(struct sync_http *, const char *path, const uint8_t *body,
    size_t len, uint64_t seq, uint64_t hlc, struct buf *resp);

/* The error body of a non-200 answer: code and detail (UINT64_MAX when
 * absent); 0 when the body is not an error map. */
uint64_t sync_err_code(const struct buf *resp, uint64_t *detail);

/*
 * Apply one page of pulled changes (the `1` array of a pull response, as
 * CBOR) and store CURSOR, in one transaction on the store's raw handle.
 * *APPLIED counts changes that changed something.  Merges per DESIGN.md
 * §5 and docs/PROTOCOL.md §5.2.
 */
int sync_apply_page(struct store *, const void *changes_item,
    const uint8_t *cursor, size_t cursor_len, uint64_t *n, uint64_t *applied);

/* Sync state helpers (state.c): decimal numbers and text in sync_state. */
int sync_state_u64(struct store *, const char *key, uint64_t *v);
int sync_state_put_u64(struct store *, const char *key, uint64_t v);
int sync_state_text(struct store *, const char *key, char **out);
int sync_state_put_text(struct store *, const char *key, const char *t);

/* The server's limits (docs/PROTOCOL.md §3.1), as stored at enrolment,
 * each within the protocol's limit; the protocol's limits when absent. */
struct sync_limits {
	size_t push_bytes; /* CBOR bytes of one push body */
	size_t push_changes; /* changes in one push */
	uint64_t pull_page; /* changes asked for in one pull */
};
void sync_limits_get(struct store *, struct sync_limits *);
int sync_limits_put(struct store *, const struct sync_limits *);

#endif
