/* Deterministic CBOR encoding (RFC 8949 §4.2.1) and bounded decoding. */
#include <errno.h>
#include <stdlib.h>

#include "cborx.h"
#include "encode.h"
#include "test.h"

static int
encode_hex(cbor_item_t *it, char **hex)
{
	uint8_t *out = NULL;
	size_t len;
	int err;

	err = cborx_encode(it, &out, &len);
	cbor_decref(&it);
	if (err == 0)
		*hex = hex_encode(out, len);
	free(out);
	return err;
}

static int
test_cbor_shortest_ints(void)
{
	char *h = NULL;
	int err = 0;

	/* RFC 8949 Appendix A examples */
	TEST_ERR(encode_hex(cborx_uint(23), &h));
	TEST_STR(h, "17");
	free(h);
	TEST_ERR(encode_hex(cborx_uint(24), &h));
	TEST_STR(h, "1818");
	free(h);
	TEST_ERR(encode_hex(cborx_uint(1000), &h));
	TEST_STR(h, "1903e8");
	free(h);
	TEST_ERR(encode_hex(cborx_uint(1000000000000ull), &h));
	TEST_STR(h, "1b000000e8d4a51000");
	free(h);
	TEST_ERR(encode_hex(cborx_int(-1000), &h));
	TEST_STR(h, "3903e7");
	free(h);
	TEST_ERR(encode_hex(cborx_double(1.5), &h));
	TEST_STR(h, "fa3fc00000");
	free(h);
	TEST_ERR(encode_hex(cborx_double(1.1), &h));
	TEST_STR(h, "fb3ff199999999999a");
out:
	free(h);
	return err;
}

static int
test_cbor_sorted_maps(void)
{
	cbor_item_t *m, *inner;
	char *h = NULL;
	int err = 0;

	/* keys inserted out of order come out sorted, nested maps too */
	m = cborx_map(3);
	inner = cborx_map(2);
	cborx_map_put(inner, 300, cborx_bool(1));
	cborx_map_put(inner, 2, cborx_null());
	cborx_map_put(m, 10, cborx_text("a"));
	cborx_map_put(m, 1, inner);
	cborx_map_put(m, 0, cborx_bytes("\x01", 1));
	TEST_ERR(encode_hex(m, &h));
	TEST_STR(h,
	    "a3004101"
	    "01a202f619012cf5"
	    "0a6161");
out:
	free(h);
	return err;
}

static int
test_cbor_roundtrip_getters(void)
{
	cbor_item_t *m, *d = NULL;
	uint8_t *out = NULL;
	const uint8_t *bp;
	size_t len, blen;
	uint64_t u;
	int64_t i;
	double f;
	char *s = NULL;
	int err = 0;

	m = cborx_map(5);
	cborx_map_put(m, 1, cborx_uint(7));
	cborx_map_put(m, 2, cborx_int(-7));
	cborx_map_put(m, 3, cborx_text("héllo"));
	cborx_map_put(m, 4, cborx_bytes("ab", 2));
	cborx_map_put(m, 5, cborx_double(36.6));
	TEST_ERR(cborx_encode(m, &out, &len));
	TEST_TRUE(cborx_is_canonical(out, len));
	TEST_ERR(cborx_decode(out, len, 1024, &d));
	TEST_ERR(cborx_map_uint(d, 1, &u));
	TEST_EQ(u, 7);
	TEST_ERR(cborx_map_int(d, 2, &i));
	TEST_EQ(i, -7);
	TEST_ERR(cborx_map_text(d, 3, 64, &s));
	TEST_STR(s, "héllo");
	TEST_ERR(cborx_map_bytes(d, 4, 64, &bp, &blen));
	TEST_EQ(blen, 2);
	TEST_ERR(cborx_get_double(cborx_map_get(d, 5), &f));
	TEST_TRUE(f == 36.6);
	/* wrong types and absent keys are errors, not crashes */
	TEST_EQ(cborx_map_uint(d, 3, &u), EBADMSG);
	TEST_EQ(cborx_map_uint(d, 2, &u), EBADMSG);
	TEST_EQ(cborx_map_uint(d, 99, &u), ENOENT);
	free(s);
	s = NULL;
	TEST_EQ(cborx_map_text(d, 3, 2, &s), EBADMSG); /* over max */
	/* a float, text or number where a bool belongs: refused (libcbor
	 * 0.8's cbor_is_bool asserts on a float: a crafted body aborted) */
	{
		int b = 0;

		TEST_EQ(cborx_get_bool(cborx_map_get(d, 5), &b), EBADMSG);
		TEST_EQ(cborx_get_bool(cborx_map_get(d, 3), &b), EBADMSG);
		TEST_EQ(cborx_get_bool(cborx_map_get(d, 1), &b), EBADMSG);
	}
	/* size limit and trailing bytes */
	cbor_decref(&d);
	TEST_EQ(cborx_decode(out, len, len - 1, &d), EMSGSIZE);
	out[len - 1] ^= 0; /* keep */
	TEST_EQ(cborx_decode(out, len - 1, 1024, &d), EBADMSG);
out:
	free(s);
	free(out);
	if (d != NULL)
		cbor_decref(&d);
	cbor_decref(&m);
	return err;
}

static int
test_cbor_hostile(void)
{
	/* 40 nested arrays, a huge claimed array, a lone break, a truncated
	 * text, an indefinite tag: all refused without allocation blowups */
	uint8_t deep[41],
	    huge[] = { 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x00 };
	uint8_t brk[] = { 0xff }, trunc[] = { 0x65, 'a', 'b' };
	uint8_t noncanon[] = { 0x18, 0x05 }; /* 5 encoded in two bytes */
	cbor_item_t *d = NULL;
	int err = 0;

	memset(deep, 0x81, 40);
	deep[40] = 0x00;
	TEST_EQ(cborx_decode(deep, sizeof(deep), 1024, &d), EBADMSG);
	TEST_EQ(cborx_decode(huge, sizeof(huge), 1024, &d), EBADMSG);
	TEST_EQ(cborx_decode(brk, sizeof(brk), 1024, &d), EBADMSG);
	TEST_EQ(cborx_decode(trunc, sizeof(trunc), 1024, &d), EBADMSG);
	TEST_ERR(cborx_decode(noncanon, sizeof(noncanon), 1024, &d));
	TEST_TRUE(!cborx_is_canonical(noncanon, sizeof(noncanon)));
out:
	if (d != NULL)
		cbor_decref(&d);
	return err;
}

static int
test_cbor_tags(void)
{
	/* tag 1 (epoch time) around a uint, inside a map: decoded, checked
	 * for canonical form and freed without leaking the tagged item */
	uint8_t in[] = { 0xa1, 0x01, 0xc1, 0x1a, 0x5f, 0x00, 0x00, 0x00 };
	cbor_item_t *d = NULL;
	uint8_t *out = NULL;
	size_t len;
	int err = 0;

	TEST_ERR(cborx_decode(in, sizeof(in), 64, &d));
	TEST_TRUE(cborx_is_canonical(in, sizeof(in)));
	TEST_ERR(cborx_encode(d, &out, &len));
	TEST_EQ(len, sizeof(in));
	TEST_MEM(out, in, len);
out:
	free(out);
	if (d != NULL)
		cbor_decref(&d);
	return err;
}

/* Issue 9, item 5: items are counted, nested ones and map keys included,
 * and a bound refuses with E2BIG before libcbor allocates anything. */
static int
test_cbor_item_bound(void)
{
	/* {1: [0, 0, 0]}: the map, its key, the array and three zeros */
	static const uint8_t six[] = { 0xa1, 0x01, 0x83, 0x00, 0x00, 0x00 };
	/* an array announcing 2^32 items in 9 bytes */
	static const uint8_t huge[] = { 0x9b, 0, 0, 0, 1, 0, 0, 0, 0 };
	cbor_item_t *it = NULL;
	size_t n = 0;
	int err = 0;

	TEST_ERR(cborx_items(six, sizeof(six), &n));
	TEST_EQ(n, 6);
	TEST_EQ(cborx_decode_items(six, sizeof(six), 64, 5, &it), E2BIG);
	TEST_TRUE(it == NULL);
	TEST_ERR(cborx_decode_items(six, sizeof(six), 64, 6, &it));
	TEST_TRUE(it != NULL && cbor_isa_map(it));
	TEST_EQ(cborx_items(huge, sizeof(huge), &n), EBADMSG);
out:
	if (it != NULL)
		cbor_decref(&it);
	return err;
}

TEST_MAIN({ "cbor_tags", test_cbor_tags },
    { "cbor_item_bound", test_cbor_item_bound },
    { "cbor_shortest_ints", test_cbor_shortest_ints },
    { "cbor_sorted_maps", test_cbor_sorted_maps },
    { "cbor_roundtrip_getters", test_cbor_roundtrip_getters },
    { "cbor_hostile", test_cbor_hostile })
