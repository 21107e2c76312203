/*
 * Internals of the sync client, shared by sync_*.c only.
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

/* Sync state helpers: decimal numbers and text in sync_state. */
int sync_state_u64(struct store *, const char *key, uint64_t *v);
int sync_state_put_u64(struct store *, const char *key, uint64_t v);
int sync_state_text(struct store *, const char *key, char **out);

#endif
