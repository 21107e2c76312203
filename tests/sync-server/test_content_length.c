/*
 * Issue 9 (Low, Content-Length): a request with two Content-Length headers
 * that differ has no single framing (RFC 9112 §6.3): a proxy that reads
 * one length and the server the other disagree on where the next request
 * starts, which is how requests are smuggled.  The server answers
 * bad_request once and closes; the request hidden in the body is never
 * served.  The same length sent twice is still accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cborx.h"
#include "client.h"
#include "fixture.h"
#include "protocol.h"
#include "sync-server/server.h"
#include "test.h"

static size_t
count_answers(const struct buf *raw)
{
	const char *p = (const char *)raw->data, *end = p + raw->len;
	size_t n = 0;

	while (p != NULL && p < end &&
	    (p = memmem(p, (size_t)(end - p), "HTTP/1.1 ", 9)) != NULL) {
		n++;
		p += 9;
	}
	return n;
}

static int
test_conflicting_lengths(void)
{
	static const char hidden[] =
	    "GET " PROTO_PATH_HEALTH " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n";
	static const char twice[] =
	    "GET " PROTO_PATH_HEALTH " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\nContent-Length: 0\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct fix f;
	struct tresp r;
	struct buf req, raw;
	cbor_item_t *it = NULL;
	uint64_t code = 0;
	int err = 0, order;

	memset(&r, 0, sizeof(r));
	buf_init(&raw, 1);
	TEST_ERR(fix_start(&f));
	for (order = 0; order < 2; order++) {
		size_t a = 3, b = 3 + strlen(hidden);

		buf_init(&req, 4096);
		buf_printf(&req,
		    "POST " PROTO_PATH_ENROLL " HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\n"
		    "Content-Type: application/cbor\r\n"
		    "Content-Length: %zu\r\nContent-Length: %zu\r\n\r\nabc%s",
		    order ? b : a, order ? a : b, hidden);
		err = http_raw(f.port, req.data, req.len, &raw);
		buf_free(&req);
		TEST_ERR(err);
		if (count_answers(&raw) != 1) {
			fprintf(stderr, "%zu answers to one request:\n%.*s\n",
			    count_answers(&raw), (int)raw.len,
			    (const char *)raw.data);
			err = 1;
			goto out;
		}
		TEST_ERR(http_parse(&raw, &r));
		buf_free(&raw);
		TEST_EQ(r.status, 400);
		TEST_ERR(cborx_decode(r.body, r.len, r.len, &it));
		TEST_ERR(cborx_map_uint(it, ERR_K_CODE, &code));
		TEST_EQ(code, WERR_BAD_REQUEST);
		cbor_decref(&it);
		tresp_clear(&r);
	}
	/* The same length twice is one length. */
	TEST_ERR(http_raw(f.port, twice, strlen(twice), &raw));
	TEST_ERR(http_parse(&raw, &r));
	TEST_EQ(r.status, 200);
out:
	if (it != NULL)
		cbor_decref(&it);
	buf_free(&raw);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "conflicting_lengths", test_conflicting_lengths })
