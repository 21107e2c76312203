/*
 * CBOR helpers on libcbor.  Outpost's wire and storage format is CBOR maps
 * with small unsigned integer keys.
 *
 * Encoding is deterministic (RFC 8949 §4.2.1 core rules): definite lengths,
 * the shortest integer form, map keys sorted by their encoded bytes, floats
 * as the shortest of single/double that is exact.  Anything that gets
 * signed or hashed is encoded through cborx_encode().
 *
 * Decoding takes untrusted bytes: cborx_decode() bounds the input size and
 * nesting, and the getters check types and ranges, returning EBADMSG on
 * anything unexpected.  This file does not know any Outpost message.
 */
#ifndef CBORX_H
#define CBORX_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

/* Builders.  Each returns a new item with one reference. */
cbor_item_t *cborx_uint(uint64_t);
cbor_item_t *cborx_int(int64_t);
cbor_item_t *cborx_bytes(const void *, size_t);
cbor_item_t *cborx_text(const char *);
cbor_item_t *cborx_textn(const char *, size_t);
cbor_item_t *cborx_double(double);
cbor_item_t *cborx_bool(int);
cbor_item_t *cborx_null(void);
cbor_item_t *cborx_map(size_t capacity);
cbor_item_t *cborx_array(size_t capacity);
/* Add KEY => VAL to MAP; takes ownership of VAL. */
void cborx_map_put(cbor_item_t *map, uint64_t key, cbor_item_t *val);
/* Same, with a text key (used for open-ended records such as CSV rows). */
void cborx_map_put_str(cbor_item_t *map, const char *key, cbor_item_t *val);
/* Append VAL to ARRAY; takes ownership of VAL. */
void cborx_array_push(cbor_item_t *array, cbor_item_t *val);

/*
 * Encode ITEM deterministically (sorting map keys in place).  *OUT is
 * allocated with xmalloc and is the caller's.  Returns 0 or EINVAL (an item
 * that cannot be encoded deterministically, such as an indefinite string).
 */
int cborx_encode(cbor_item_t *item, uint8_t **out, size_t *len);

/*
 * Decode exactly LEN bytes (no trailing data) into *ITEM, refusing inputs
 * over MAXLEN bytes or nested deeper than 16.  Returns 0, EMSGSIZE or
 * EBADMSG.  The caller releases *ITEM with cbor_decref().
 */
int cborx_decode(
    const uint8_t *buf, size_t len, size_t maxlen, cbor_item_t **item);
/*
 * The same, also refusing with E2BIG (before allocating anything) input
 * that holds more than MAXITEMS data items, nested ones included: libcbor
 * allocates each item, so the count, not the size, bounds the memory.
 */
int cborx_decode_items(const uint8_t *buf, size_t len, size_t maxlen,
    size_t maxitems, cbor_item_t **item);
/* How many data items BUF (one well-formed item) holds: 0 or EBADMSG. */
int cborx_items(const uint8_t *buf, size_t len, size_t *items);
/* Is BUF exactly the deterministic encoding of what it decodes to? */
int cborx_is_canonical(const uint8_t *buf, size_t len);

/* Getters: 0 on success, ENOENT when a map key is absent, EBADMSG on a
 * wrong type or value out of range. Returned pointers are lent. */
cbor_item_t *cborx_map_get(const cbor_item_t *map, uint64_t key);
cbor_item_t *cborx_map_get_str(const cbor_item_t *map, const char *key);
int cborx_get_uint(const cbor_item_t *, uint64_t *);
int cborx_get_int(const cbor_item_t *, int64_t *);
int cborx_get_double(const cbor_item_t *, double *);
int cborx_get_bool(const cbor_item_t *, int *);
/* Byte string of at most MAX bytes; *P points into the item. */
int cborx_get_bytes(
    const cbor_item_t *, size_t max, const uint8_t **p, size_t *len);
/* Text of at most MAX bytes, copied to a new NUL-terminated string
 * (caller frees); refuses embedded NULs. */
int cborx_get_text(const cbor_item_t *, size_t max, char **out);
/* Convenience: look KEY up in MAP and get it. */
int cborx_map_uint(const cbor_item_t *map, uint64_t key, uint64_t *);
int cborx_map_int(const cbor_item_t *map, uint64_t key, int64_t *);
int cborx_map_text(const cbor_item_t *map, uint64_t key, size_t max, char **);
int cborx_map_bytes(const cbor_item_t *map, uint64_t key, size_t max,
    const uint8_t **p, size_t *len);

#endif
