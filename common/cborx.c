/*
 * Deterministic CBOR on libcbor.  libcbor writes each item with the width
 * it was built with, so the builders here always choose the shortest form;
 * cborx_encode() then sorts map entries by their encoded keys before
 * serialising.  Decoding is bounded in size and depth; the getters check
 * types so callers never touch a libcbor item of the wrong kind.
 */
#define LOG_MODULE "cbor"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "log.h"
#include "xmalloc.h"

#define CBORX_MAX_DEPTH 16

cbor_item_t *
cborx_uint(uint64_t v)
{
	cbor_item_t *it;

	if (v <= UINT8_MAX)
		it = cbor_build_uint8((uint8_t)v);
	else if (v <= UINT16_MAX)
		it = cbor_build_uint16((uint16_t)v);
	else if (v <= UINT32_MAX)
		it = cbor_build_uint32((uint32_t)v);
	else
		it = cbor_build_uint64(v);
	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_int(int64_t v)
{
	cbor_item_t *it;
	uint64_t m;

	if (v >= 0)
		return cborx_uint((uint64_t)v);
	m = (uint64_t)(-(v + 1)); /* CBOR stores -1-n */
	it = cborx_uint(m);
	cbor_mark_negint(it);
	return it;
}

cbor_item_t *
cborx_bytes(const void *p, size_t len)
{
	cbor_item_t *it = cbor_build_bytestring(p, len);

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_textn(const char *s, size_t len)
{
	cbor_item_t *it = cbor_build_stringn(s, len);

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_text(const char *s)
{
	return cborx_textn(s, strlen(s));
}

cbor_item_t *
cborx_double(double v)
{
	cbor_item_t *it;

	if ((double)(float)v == v || isnan(v))
		it = cbor_build_float4((float)v);
	else
		it = cbor_build_float8(v);
	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_bool(int v)
{
	cbor_item_t *it = cbor_build_bool(v != 0);

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_null(void)
{
	cbor_item_t *it = cbor_new_null();

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_map(size_t capacity)
{
	cbor_item_t *it = cbor_new_definite_map(capacity);

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

cbor_item_t *
cborx_array(size_t capacity)
{
	cbor_item_t *it = cbor_new_definite_array(capacity);

	if (it == NULL)
		fatalx("out of memory");
	return it;
}

static void
cborx_map_put_item(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val)
{
	struct cbor_pair pair = { .key = key, .value = val };

	if (!cbor_map_add(map, pair))
		fatalx("CBOR map full (capacity too small)");
	cbor_decref(&key);
	cbor_decref(&val);
}

void
cborx_map_put(cbor_item_t *map, uint64_t key, cbor_item_t *val)
{
	cborx_map_put_item(map, cborx_uint(key), val);
}

void
cborx_map_put_str(cbor_item_t *map, const char *key, cbor_item_t *val)
{
	cborx_map_put_item(map, cborx_text(key), val);
}

void
cborx_array_push(cbor_item_t *array, cbor_item_t *val)
{
	if (!cbor_array_push(array, val))
		fatalx("CBOR array full (capacity too small)");
	cbor_decref(&val);
}

struct keyed_pair {
	unsigned char *key;
	size_t keylen;
	struct cbor_pair pair;
};

static int
cborx_pair_cmp(const void *a, const void *b)
{
	const struct keyed_pair *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

/* Check definite lengths everywhere and sort every map's entries. */
static int
cborx_canonicalise(cbor_item_t *it, int depth)
{
	struct keyed_pair *kp;
	struct cbor_pair *pairs;
	size_t i, n, bufsz;
	int err = 0;

	if (depth > CBORX_MAX_DEPTH)
		return EINVAL;
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_BYTESTRING:
		return cbor_bytestring_is_definite(it) ? 0 : EINVAL;
	case CBOR_TYPE_STRING:
		return cbor_string_is_definite(it) ? 0 : EINVAL;
	case CBOR_TYPE_ARRAY:
		if (!cbor_array_is_definite(it))
			return EINVAL;
		n = cbor_array_size(it);
		for (i = 0; i < n && err == 0; i++)
			err = cborx_canonicalise(
			    cbor_array_handle(it)[i], depth + 1);
		return err;
	case CBOR_TYPE_MAP:
		if (!cbor_map_is_definite(it))
			return EINVAL;
		n = cbor_map_size(it);
		pairs = cbor_map_handle(it);
		kp = xcalloc(n ? n : 1, sizeof(*kp));
		for (i = 0; i < n && err == 0; i++) {
			err = cborx_canonicalise(pairs[i].key, depth + 1);
			if (err == 0)
				err = cborx_canonicalise(
				    pairs[i].value, depth + 1);
			if (err == 0) {
				kp[i].keylen = cbor_serialize_alloc(
				    pairs[i].key, &kp[i].key, &bufsz);
				if (kp[i].keylen == 0)
					err = EINVAL;
			}
			kp[i].pair = pairs[i];
		}
		if (err == 0) {
			qsort(kp, n, sizeof(*kp), cborx_pair_cmp);
			for (i = 1; i < n; i++)
				if (cborx_pair_cmp(&kp[i - 1], &kp[i]) == 0)
					err = EINVAL; /* duplicate key */
			for (i = 0; i < n; i++)
				pairs[i] = kp[i].pair;
		}
		for (i = 0; i < n; i++)
			free(kp[i].key);
		free(kp);
		return err;
	case CBOR_TYPE_TAG: {
		cbor_item_t *inner = cbor_tag_item(it); /* a new reference */
		err = cborx_canonicalise(inner, depth + 1);
		cbor_decref(&inner);
		return err;
	}
	default:
		return 0;
	}
}

int
cborx_encode(cbor_item_t *item, uint8_t **out, size_t *len)
{
	unsigned char *raw = NULL;
	size_t n, bufsz;
	int err;

	if ((err = cborx_canonicalise(item, 0)) != 0)
		return err;
	n = cbor_serialize_alloc(item, &raw, &bufsz);
	if (n == 0) {
		free(raw);
		return EINVAL;
	}
	*out = xmemdup(raw, n);
	*len = n;
	free(raw);
	return 0;
}

static int
cborx_depth_ok(const cbor_item_t *it, int depth)
{
	size_t i, n;

	if (depth > CBORX_MAX_DEPTH)
		return 0;
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_ARRAY:
		n = cbor_array_size(it);
		for (i = 0; i < n; i++)
			if (!cborx_depth_ok(
			        cbor_array_handle(it)[i], depth + 1))
				return 0;
		return 1;
	case CBOR_TYPE_MAP:
		n = cbor_map_size(it);
		for (i = 0; i < n; i++)
			if (!cborx_depth_ok(
			        cbor_map_handle(it)[i].key, depth + 1) ||
			    !cborx_depth_ok(
			        cbor_map_handle(it)[i].value, depth + 1))
				return 0;
		return 1;
	case CBOR_TYPE_TAG: {
		cbor_item_t *inner = cbor_tag_item(it); /* a new reference */
		int ok = cborx_depth_ok(inner, depth + 1);
		cbor_decref(&inner);
		return ok;
	}
	default:
		return 1;
	}
}

/*
 * Walk the encoded heads iteratively before handing bytes to libcbor: this
 * bounds nesting (libcbor frees items recursively), refuses counts larger
 * than the input could hold (no huge allocations from a 9-byte header) and
 * refuses truncated input.  Returns 1 when BUF is one well-formed item.
 */
#define CBORX_BREAK_LEVEL SIZE_MAX
static int
cborx_prescan(const uint8_t *p, size_t len, size_t *items)
{
	size_t want[CBORX_MAX_DEPTH + 2], i = 0, arg;
	int top = 0, n, mt, ai;

	*items = 0;

	want[0] = 1;
	while (top >= 0) {
		if (want[top] == 0) {
			top--;
			continue;
		}
		if (i >= len)
			return 0;
		mt = p[i] >> 5;
		ai = p[i] & 0x1f;
		i++;
		if (p[i - 1] == 0xff) { /* break */
			if (want[top] != CBORX_BREAK_LEVEL)
				return 0;
			top--;
			continue;
		}
		if (want[top] != CBORX_BREAK_LEVEL)
			want[top]--;
		(*items)++;
		arg = (size_t)ai;
		n = ai == 24   ? 1
		    : ai == 25 ? 2
		    : ai == 26 ? 4
		    : ai == 27 ? 8
		               : 0;
		if (ai >= 28 && ai <= 30)
			return 0;
		if (n > 0) {
			if (len - i < (size_t)n)
				return 0;
			for (arg = 0; n > 0; n--)
				arg = arg << 8 | p[i++];
		}
		if (mt == 7)
			continue; /* simple values and floats: bytes consumed */
		if (ai == 31 && (mt == 0 || mt == 1 || mt == 6))
			return 0;
		switch (mt) {
		case 2:
		case 3:
			if (ai == 31) {
				if (top > CBORX_MAX_DEPTH)
					return 0;
				want[++top] = CBORX_BREAK_LEVEL;
			} else {
				if (arg > len - i)
					return 0;
				i += arg;
			}
			break;
		case 4:
		case 5:
		case 6:
			if (top > CBORX_MAX_DEPTH)
				return 0;
			if (ai == 31)
				want[++top] = CBORX_BREAK_LEVEL;
			else if (mt == 6)
				want[++top] = 1;
			else {
				if (arg > len - i)
					return 0; /* each item takes a byte */
				want[++top] = mt == 5 ? arg * 2 : arg;
			}
			break;
		default:
			break;
		}
	}
	return i == len;
}

int
cborx_decode(const uint8_t *buf, size_t len, size_t maxlen, cbor_item_t **item)
{
	return cborx_decode_items(buf, len, maxlen, SIZE_MAX, item);
}

int
cborx_decode_items(const uint8_t *buf, size_t len, size_t maxlen,
    size_t maxitems, cbor_item_t **item)
{
	struct cbor_load_result res;
	cbor_item_t *it;
	size_t items;

	*item = NULL;
	if (len > maxlen)
		return EMSGSIZE;
	if (len == 0 || !cborx_prescan(buf, len, &items))
		return EBADMSG;
	/* Counted before libcbor allocates anything: it takes about 100
	 * bytes per item, so 1 MiB of one-byte items would be 100 MB. */
	if (items > maxitems)
		return E2BIG;
	it = cbor_load(buf, len, &res);
	if (it == NULL || res.error.code != CBOR_ERR_NONE) {
		if (it != NULL)
			cbor_decref(&it);
		return EBADMSG;
	}
	if (res.read != len || !cborx_depth_ok(it, 0)) {
		cbor_decref(&it);
		return EBADMSG;
	}
	*item = it;
	return 0;
}

int
cborx_items(const uint8_t *buf, size_t len, size_t *items)
{
	*items = 0;
	if (len == 0 || !cborx_prescan(buf, len, items))
		return EBADMSG;
	return 0;
}

int
cborx_is_canonical(const uint8_t *buf, size_t len)
{
	cbor_item_t *it;
	uint8_t *re = NULL;
	size_t relen = 0;
	int ok;

	if (cborx_decode(buf, len, len, &it) != 0)
		return 0;
	ok = cborx_encode(it, &re, &relen) == 0 && relen == len &&
	    memcmp(re, buf, len) == 0;
	free(re);
	cbor_decref(&it);
	return ok;
}

cbor_item_t *
cborx_map_get(const cbor_item_t *map, uint64_t key)
{
	struct cbor_pair *pairs;
	size_t i, n;
	uint64_t k;

	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	n = cbor_map_size(map);
	pairs = cbor_map_handle(map);
	for (i = 0; i < n; i++)
		if (cbor_isa_uint(pairs[i].key) &&
		    (k = cbor_get_int(pairs[i].key)) == key)
			return pairs[i].value;
	return NULL;
}

cbor_item_t *
cborx_map_get_str(const cbor_item_t *map, const char *key)
{
	struct cbor_pair *pairs;
	size_t i, n, klen = strlen(key);

	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	n = cbor_map_size(map);
	pairs = cbor_map_handle(map);
	for (i = 0; i < n; i++)
		if (cbor_isa_string(pairs[i].key) &&
		    cbor_string_is_definite(pairs[i].key) &&
		    cbor_string_length(pairs[i].key) == klen &&
		    memcmp(cbor_string_handle(pairs[i].key), key, klen) == 0)
			return pairs[i].value;
	return NULL;
}

int
cborx_get_uint(const cbor_item_t *it, uint64_t *v)
{
	if (it == NULL || !cbor_isa_uint(it))
		return EBADMSG;
	*v = cbor_get_int(it);
	return 0;
}

int
cborx_get_int(const cbor_item_t *it, int64_t *v)
{
	uint64_t m;

	if (it == NULL || !cbor_is_int(it))
		return EBADMSG;
	m = cbor_get_int(it);
	if (m > INT64_MAX)
		return EBADMSG;
	*v = cbor_isa_negint(it) ? -(int64_t)m - 1 : (int64_t)m;
	return 0;
}

int
cborx_get_double(const cbor_item_t *it, double *v)
{
	int64_t i;

	if (it == NULL)
		return EBADMSG;
	if (cbor_is_float(it)) {
		*v = cbor_float_get_float(it);
		return isfinite(*v) ? 0 : EBADMSG;
	}
	if (cborx_get_int(it, &i) == 0) {
		*v = (double)i;
		return 0;
	}
	return EBADMSG;
}

int
cborx_get_bool(const cbor_item_t *it, int *v)
{
	/* cbor_is_bool asserts on a float in libcbor 0.8: a simple value
	 * (width 0) first */
	if (it == NULL || !cbor_isa_float_ctrl(it) ||
	    cbor_float_get_width(it) != CBOR_FLOAT_0 || !cbor_is_bool(it))
		return EBADMSG;
	*v = cbor_get_bool(it);
	return 0;
}

int
cborx_get_bytes(
    const cbor_item_t *it, size_t max, const uint8_t **p, size_t *len)
{
	if (it == NULL || !cbor_isa_bytestring(it) ||
	    !cbor_bytestring_is_definite(it) ||
	    cbor_bytestring_length(it) > max)
		return EBADMSG;
	*p = cbor_bytestring_handle(it);
	*len = cbor_bytestring_length(it);
	if (*p == NULL)
		*p = (const uint8_t *)"";
	return 0;
}

int
cborx_get_text(const cbor_item_t *it, size_t max, char **out)
{
	const char *s;
	size_t len;

	if (it == NULL || !cbor_isa_string(it) ||
	    !cbor_string_is_definite(it) || cbor_string_length(it) > max)
		return EBADMSG;
	s = (const char *)cbor_string_handle(it);
	len = cbor_string_length(it);
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return EBADMSG;
	*out = xstrndup(len ? s : "", len);
	return 0;
}

int
cborx_map_uint(const cbor_item_t *map, uint64_t key, uint64_t *v)
{
	cbor_item_t *it = cborx_map_get(map, key);

	return it == NULL ? ENOENT : cborx_get_uint(it, v);
}

int
cborx_map_int(const cbor_item_t *map, uint64_t key, int64_t *v)
{
	cbor_item_t *it = cborx_map_get(map, key);

	return it == NULL ? ENOENT : cborx_get_int(it, v);
}

int
cborx_map_text(const cbor_item_t *map, uint64_t key, size_t max, char **out)
{
	cbor_item_t *it = cborx_map_get(map, key);

	return it == NULL ? ENOENT : cborx_get_text(it, max, out);
}

int
cborx_map_bytes(const cbor_item_t *map, uint64_t key, size_t max,
    const uint8_t **p, size_t *len)
{
	cbor_item_t *it = cborx_map_get(map, key);

	return it == NULL ? ENOENT : cborx_get_bytes(it, max, p, len);
}
