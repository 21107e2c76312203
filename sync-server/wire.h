/*
 * Decoding of request bodies from the network (docs/PROTOCOL.md §3-§6).
 * Every decoder takes untrusted bytes, bounds sizes and counts, checks
 * types and ranges, and returns 0 or EBADMSG (EMSGSIZE for too many
 * changes).  Decoded structures point into the CBOR item they keep, so
 * they stay valid until the matching *_free.  The fuzz harness
 * tests/fuzz/sync_request_fuzzer.c drives these functions.
 */
#ifndef SYNC_SERVER_WIRE_H
#define SYNC_SERVER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "protocol.h"
#include "sync-server/store/backend.h"

#define WIRE_PUSH_MAX_CHANGES PROTO_PUSH_MAX_CHANGES
#define WIRE_BODY_MAX (256 * 1024) /* one record body */
#define WIRE_PULL_MAX PROTO_PULL_MAX
#define WIRE_TOKEN_MAX 64
#define WIRE_LABEL_MAX 63

struct wire_push {
	cbor_item_t *root;
	uint64_t first, last, outbox_last;
	struct schange *changes;
	size_t n;
};

struct wire_pull {
	cbor_item_t *root;
	const uint8_t *cursor;
	size_t cursor_len;
	uint64_t max;
	cbor_item_t *also; /* in root: the companions' map, or NULL */
};

struct wire_enroll {
	cbor_item_t *root;
	char *token;
	const uint8_t *pub; /* 32 bytes */
	char *label;
	uint64_t hlc;
};

struct wire_blob {
	cbor_item_t *root;
	const uint8_t *hash; /* 32 bytes */
	uint64_t total, offset;
	const uint8_t *chunk;
	size_t chunk_len;
};

/* One well-formed CBOR item with definite lengths, no tags, nesting at
 * most 16: the only CBOR the protocol uses.  1 when it is, else 0. */
int wire_plain(const uint8_t *, size_t);
int wire_push_decode(const uint8_t *, size_t, struct wire_push *);
void wire_push_free(struct wire_push *);
/* The batch payload hash: range and changes, not outbox_last. */
void wire_push_hash(const struct wire_push *, uint8_t out[32]);
int wire_pull_decode(const uint8_t *, size_t, struct wire_pull *);
void wire_pull_free(struct wire_pull *);
int wire_enroll_decode(const uint8_t *, size_t, struct wire_enroll *);
void wire_enroll_free(struct wire_enroll *);
int wire_blob_decode(const uint8_t *, size_t, struct wire_blob *);
void wire_blob_free(struct wire_blob *);

#endif
