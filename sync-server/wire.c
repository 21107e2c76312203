/*
 * Request decoders (see wire.h).  Only shapes and bounds are checked here;
 * whether a node may do something is the endpoint's and the store's
 * business.  Record bodies are bounded byte strings here, passed on as
 * the exact bytes received: each is checked on its own against the record
 * model (policy.c), so one bad body refuses one change, not the batch.
 */
#define LOG_MODULE "wire"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "crypto.h"
#include "wire.h"
#include "xmalloc.h"

#define WIRE_REQ_MAX (1024 * 1024 + 64)
#define WIRE_DEPTH_MAX 16

/* CBOR major types (RFC 8949 §3.1). */
#define CBOR_MAJOR_UINT 0
#define CBOR_MAJOR_NEGINT 1
#define CBOR_MAJOR_BYTES 2
#define CBOR_MAJOR_TEXT 3
#define CBOR_MAJOR_ARRAY 4
#define CBOR_MAJOR_MAP 5
#define CBOR_MAJOR_TAG 6
#define CBOR_MAJOR_SIMPLE 7

/*
 * Is BUF one well-formed CBOR item using only what the protocol uses:
 * definite lengths, no tags, no reserved or indefinite forms, nesting at
 * most 16 deep?  Checked before libcbor sees the bytes, so inputs our
 * encoders never produce are refused cheaply (and tagged items, which
 * leak memory in cborx_decode today, never reach it).
 */
int
wire_plain(const uint8_t *p, size_t len)
{
	uint64_t left[WIRE_DEPTH_MAX + 1], n;
	size_t off = 0, depth = 0, k;
	uint8_t ib, major, ai;

	left[0] = 1;
	while (depth > 0 || left[0] > 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (off >= len)
			return 0;
		ib = p[off++];
		major = ib >> 5;
		ai = ib & 0x1f;
		if (ai < 24)
			n = ai;
		else if (ai <= 27) {
			k = (size_t)1 << (ai - 24);
			if (len - off < k)
				return 0;
			for (n = 0; k > 0; k--)
				n = (n << 8) | p[off++];
		} else
			return 0; /* reserved or indefinite */
		switch (major) {
		case CBOR_MAJOR_UINT:
		case CBOR_MAJOR_NEGINT:
		case CBOR_MAJOR_SIMPLE:
			break;
		case CBOR_MAJOR_BYTES:
		case CBOR_MAJOR_TEXT:
			if (n > len - off)
				return 0;
			off += (size_t)n;
			break;
		case CBOR_MAJOR_ARRAY:
		case CBOR_MAJOR_MAP:
			if (major == CBOR_MAJOR_MAP && n > UINT64_MAX / 2)
				return 0;
			if (major == CBOR_MAJOR_MAP)
				n *= 2;
			if (n > len - off) /* every item takes a byte */
				return 0;
			if (depth == WIRE_DEPTH_MAX)
				return 0;
			left[++depth] = n;
			break;
		default: /* CBOR_MAJOR_TAG: tags are not used by the protocol */
			return 0;
		}
	}
	return off == len;
}

/*
 * Most CBOR items a request may decode into (libcbor allocates each, about
 * 100 bytes): a push is its map, a few keys and numbers and six items per
 * change (record bodies are byte strings, decoded one at a time below);
 * every other request is a small map.  Over it: too_large, before libcbor
 * allocates anything (issue 9, item 5).
 */
#define WIRE_PUSH_ITEMS (16 + 6 * (size_t)WIRE_PUSH_MAX_CHANGES)
#define WIRE_SMALL_ITEMS 64
/* A record body's items are bounded where it is decoded, per change
 * (model_check: MODEL_BODY_ITEMS). */

static int
wire_root(const uint8_t *buf, size_t len, size_t max_items, cbor_item_t **root)
{
	int err;

	*root = NULL;
	if (len > WIRE_REQ_MAX)
		return EMSGSIZE;
	if (!wire_plain(buf, len))
		return EBADMSG;
	if ((err = cborx_decode_items(
	         buf, len, WIRE_REQ_MAX, max_items, root)) != 0)
		return err == EMSGSIZE || err == E2BIG ? EMSGSIZE : EBADMSG;
	if (!cbor_isa_map(*root) || !cbor_map_is_definite(*root)) {
		cbor_decref(root);
		return EBADMSG;
	}
	return 0;
}

static void
wire_hash_u64(struct crypto_sha256 *h, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)(v & 0xff);
	crypto_sha256_update(h, b, sizeof(b));
}

/*
 * What identifies a batch (docs/PROTOCOL.md §4): its range and its changes,
 * each as (seq, entity, uuid, hlc, SHA-256 of the body).  Nothing that may
 * legitimately differ between a batch and its retry is covered: not the
 * node's outbox_last (key 4), which grows when records are saved after a
 * lost answer, nor the CBOR framing.
 */
void
wire_push_hash(const struct wire_push *w, uint8_t out[32])
{
	static const char tag[] = "outpost-batch-v2";
	struct crypto_sha256 *h = crypto_sha256_new();
	uint8_t bh[CRYPTO_SHA256_LEN];
	size_t i;

	crypto_sha256_update(h, tag, sizeof(tag));
	wire_hash_u64(h, w->first);
	wire_hash_u64(h, w->last);
	for (i = 0; i < w->n; i++) {
		const struct schange *c = &w->changes[i];

		wire_hash_u64(h, c->seq);
		wire_hash_u64(h, (uint64_t)c->entity);
		crypto_sha256_update(h, c->id, sizeof(c->id));
		wire_hash_u64(h, c->hlc);
		crypto_sha256(c->body, c->len, bh);
		crypto_sha256_update(h, bh, sizeof(bh));
	}
	crypto_sha256_final(h, out);
}

int
wire_push_decode(const uint8_t *buf, size_t len, struct wire_push *w)
{
	cbor_item_t *arr, *v, **items, **f;
	const uint8_t *p;
	size_t i, n, plen;
	uint64_t ent;
	int err;

	memset(w, 0, sizeof(*w));
	if ((err = wire_root(buf, len, WIRE_PUSH_ITEMS, &w->root)) != 0)
		return err;
	err = EBADMSG;
	if (cborx_map_uint(w->root, PUSH_K_FIRST, &w->first) != 0 ||
	    cborx_map_uint(w->root, PUSH_K_LAST, &w->last) != 0 ||
	    w->first == 0 || w->last < w->first || w->last > INT64_MAX)
		goto out;
	if ((v = cborx_map_get(w->root, PUSH_K_OUTBOX_LAST)) != NULL &&
	    (cborx_get_uint(v, &w->outbox_last) != 0 ||
	        w->outbox_last > INT64_MAX))
		goto out;
	arr = cborx_map_get(w->root, PUSH_K_CHANGES);
	if (arr == NULL || !cbor_isa_array(arr) || !cbor_array_is_definite(arr))
		goto out;
	n = cbor_array_size(arr);
	if (n > WIRE_PUSH_MAX_CHANGES) {
		err = EMSGSIZE;
		goto out;
	}
	if (n == 0 || w->last - w->first != n - 1)
		goto out;
	items = cbor_array_handle(arr);
	w->changes = xcalloc(n, sizeof(*w->changes));
	for (i = 0; i < n; i++) {
		struct schange *c = &w->changes[i];

		if (!cbor_isa_array(items[i]) ||
		    !cbor_array_is_definite(items[i]) ||
		    cbor_array_size(items[i]) != PUSH_C_COUNT)
			goto out;
		f = cbor_array_handle(items[i]);
		if (cborx_get_uint(f[PUSH_C_SEQ], &c->seq) != 0 ||
		    c->seq != w->first + i ||
		    cborx_get_uint(f[PUSH_C_ENTITY], &ent) != 0 ||
		    ent > INT_MAX ||
		    cborx_get_bytes(f[PUSH_C_ID], 16, &p, &plen) != 0 ||
		    plen != 16 || cborx_get_uint(f[PUSH_C_HLC], &c->hlc) != 0 ||
		    c->hlc > INT64_MAX ||
		    cborx_get_bytes(
		        f[PUSH_C_BODY], WIRE_BODY_MAX, &c->body, &c->len) != 0)
			goto out;
		c->entity = (int)ent;
		memcpy(c->id, p, 16);
	}
	w->n = n;
	err = 0;
out:
	if (err != 0)
		wire_push_free(w);
	return err;
}

void
wire_push_free(struct wire_push *w)
{
	if (w->root != NULL)
		cbor_decref(&w->root);
	free(w->changes);
	memset(w, 0, sizeof(*w));
}

int
wire_pull_decode(const uint8_t *buf, size_t len, struct wire_pull *w)
{
	cbor_item_t *v;
	int err;

	memset(w, 0, sizeof(*w));
	if ((err = wire_root(buf, len, WIRE_SMALL_ITEMS, &w->root)) != 0)
		return err;
	err = EBADMSG;
	w->cursor = (const uint8_t *)"";
	if ((v = cborx_map_get(w->root, PULL_K_CURSOR)) != NULL &&
	    cborx_get_bytes(v, 64, &w->cursor, &w->cursor_len) != 0)
		goto out;
	w->max = WIRE_PULL_MAX;
	if ((v = cborx_map_get(w->root, PULL_K_MAX)) != NULL &&
	    cborx_get_uint(v, &w->max) != 0)
		goto out;
	if (w->max == 0 || w->max > WIRE_PULL_MAX)
		w->max = WIRE_PULL_MAX;
	if ((w->also = cborx_map_get(w->root, PULL_K_ALSO)) != NULL &&
	    !cbor_isa_map(w->also))
		goto out;
	err = 0;
out:
	if (err != 0)
		wire_pull_free(w);
	return err;
}

void
wire_pull_free(struct wire_pull *w)
{
	if (w->root != NULL)
		cbor_decref(&w->root);
	memset(w, 0, sizeof(*w));
}

int
wire_enroll_decode(const uint8_t *buf, size_t len, struct wire_enroll *w)
{
	cbor_item_t *v;
	size_t plen;
	int err;

	memset(w, 0, sizeof(*w));
	if ((err = wire_root(buf, len, WIRE_SMALL_ITEMS, &w->root)) != 0)
		return err;
	err = EBADMSG;
	if (cborx_map_text(
	        w->root, ENROLL_K_TOKEN, WIRE_TOKEN_MAX, &w->token) != 0 ||
	    cborx_map_bytes(w->root, ENROLL_K_PUB, 32, &w->pub, &plen) != 0 ||
	    plen != 32)
		goto out;
	if ((v = cborx_map_get(w->root, ENROLL_K_LABEL)) != NULL &&
	    cborx_get_text(v, WIRE_LABEL_MAX, &w->label) != 0)
		goto out;
	if (w->label == NULL)
		w->label = xstrdup("");
	if ((v = cborx_map_get(w->root, ENROLL_K_HLC)) != NULL &&
	    (cborx_get_uint(v, &w->hlc) != 0 || w->hlc > INT64_MAX))
		goto out;
	err = 0;
out:
	if (err != 0)
		wire_enroll_free(w);
	return err;
}

void
wire_enroll_free(struct wire_enroll *w)
{
	if (w->root != NULL)
		cbor_decref(&w->root);
	if (w->token != NULL)
		xfree_secret_str(w->token);
	free(w->label);
	memset(w, 0, sizeof(*w));
}

int
wire_blob_decode(const uint8_t *buf, size_t len, struct wire_blob *w)
{
	size_t hlen;
	int err;

	memset(w, 0, sizeof(*w));
	if ((err = wire_root(buf, len, WIRE_SMALL_ITEMS, &w->root)) != 0)
		return err;
	err = EBADMSG;
	if (cborx_map_bytes(w->root, BLOB_K_HASH, 32, &w->hash, &hlen) != 0 ||
	    hlen != 32 ||
	    cborx_map_uint(w->root, BLOB_K_TOTAL, &w->total) != 0 ||
	    cborx_map_uint(w->root, BLOB_K_OFFSET, &w->offset) != 0 ||
	    cborx_map_bytes(w->root, BLOB_K_CHUNK, BLOB_CHUNK_MAX, &w->chunk,
	        &w->chunk_len) != 0 ||
	    w->offset > w->total)
		goto out;
	err = 0;
out:
	if (err != 0)
		wire_blob_free(w);
	return err;
}

void
wire_blob_free(struct wire_blob *w)
{
	if (w->root != NULL)
		cbor_decref(&w->root);
	memset(w, 0, sizeof(*w));
}
