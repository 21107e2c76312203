/*
 * A minimal HTTP/1.1 client and node identity for the server tests: one
 * request per connection (Connection: close), raw sockets, so the tests
 * need nothing beyond libserver and libcommon.  Requests are signed the
 * way docs/PROTOCOL.md §3.2 says, through the server's own
 * auth_req_message(); tests that must catch a drift between the kiosk and
 * the server run the real kiosk (tests/e2e/).
 */
#ifndef TESTS_SERVER_CLIENT_H
#define TESTS_SERVER_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "sync-server/server.h"
#include "xmalloc.h"

struct tnode {
	uint64_t id;
	uint8_t priv[32], pub[32];
	uint64_t seq;
	uint64_t hlc;
};

struct tresp {
	unsigned status;
	uint8_t *body;
	size_t len;
	char sig[129];
};

static inline void
tresp_clear(struct tresp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Send raw bytes RAW to PORT and read the whole answer (connection close). */
static inline int
http_raw(unsigned port, const void *raw, size_t len, struct buf *out)
{
	struct sockaddr_in sa;
	uint8_t chunk[4096];
	ssize_t n;
	size_t off = 0;
	int fd, err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		goto out;
	}
	while (off < len) {
		n = send(
		    fd, (const uint8_t *)raw + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break; /* the server may refuse early; read its answer */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	buf_init(out, 16 * 1024 * 1024);
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		if ((err = buf_append(out, chunk, (size_t)n)) != 0)
			goto out;
out:
	close(fd);
	return err;
}

static inline int
http_parse(struct buf *raw, struct tresp *r)
{
	const char *p = (const char *)raw->data, *end, *h;
	size_t hlen;

	memset(r, 0, sizeof(*r));
	if (raw->len < 12 || sscanf(p, "HTTP/1.1 %u", &r->status) != 1)
		return EBADMSG;
	end = memmem(p, raw->len, "\r\n\r\n", 4);
	if (end == NULL)
		return EBADMSG;
	hlen = (size_t)(end - p) + 4;
	h = memmem(p, hlen, "X-Outpost-Sig: ", 15);
	if (h == NULL)
		h = memmem(p, hlen, "x-outpost-sig: ", 15);
	if (h != NULL && h + 15 + 128 <= end) {
		memcpy(r->sig, h + 15, 128);
		r->sig[128] = '\0';
	}
	r->len = raw->len - hlen;
	r->body = xmemdup(raw->data + hlen, r->len ? r->len : 1);
	return 0;
}

/* One request; HEADERS is extra header lines ("Name: v\r\n"...) or NULL. */
static inline int
http_do(unsigned port, const char *method, const char *path,
    const char *headers, const void *body, size_t len, struct tresp *r)
{
	struct buf req, raw;
	int err;

	buf_init(&req, 32 * 1024 * 1024);
	buf_printf(&req,
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "Content-Type: application/cbor\r\nContent-Length: %zu\r\n%s\r\n",
	    method, path, len, headers ? headers : "");
	buf_append(&req, len ? body : "", len);
	err = http_raw(port, req.data, req.len, &raw);
	buf_free(&req);
	if (err == 0)
		err = http_parse(&raw, r);
	buf_free(&raw);
	return err;
}

/* The four X-Outpost-* header lines of N's current request. */
static inline void
tnode_headers(const struct tnode *n, uint64_t hlc,
    const uint8_t sig[CRYPTO_SIG_LEN], char *hdr, size_t size)
{
	char *hex = hex_encode(sig, CRYPTO_SIG_LEN);

	snprintf(hdr, size,
	    "X-Outpost-Node: %" PRIu64 "\r\nX-Outpost-Seq: %" PRIu64
	    "\r\nX-Outpost-HLC: %" PRIu64 "\r\nX-Outpost-Sig: %s\r\n",
	    n->id, n->seq, hlc, hex);
	free(hex);
}

static inline int
tnode_do(unsigned port, struct tnode *n, const char *path, const void *body,
    size_t len, struct tresp *r)
{
	uint8_t sig[CRYPTO_SIG_LEN];
	char *msg, hdr[512];
	int err;

	n->seq++;
	msg = auth_req_message("POST", path, n->id, n->seq, n->hlc, body, len);
	crypto_ed25519_sign(n->priv, msg, strlen(msg), sig);
	free(msg);
	tnode_headers(n, n->hlc, sig, hdr, sizeof(hdr));
	err = http_do(port, "POST", path, hdr, body, len, r);
	return err;
}

/* Does R carry a valid server signature for N's last request? */
static inline int
tresp_verify(
    const struct tresp *r, const struct tnode *n, const uint8_t server_pub[32])
{
	uint8_t sig[CRYPTO_SIG_LEN];
	size_t siglen;
	char *msg;
	int err;

	if (hex_decode(r->sig, sig, sizeof(sig), &siglen) != 0 ||
	    siglen != sizeof(sig))
		return EBADMSG;
	msg = auth_rsp_message(r->status, n->id, n->seq, r->body, r->len);
	err = crypto_ed25519_verify(server_pub, msg, strlen(msg), sig);
	free(msg);
	return err;
}

/* The error code of an error body, or 0. */
static inline uint64_t
tresp_code(const struct tresp *r, uint64_t *detail)
{
	cbor_item_t *it = NULL;
	uint64_t code = 0;

	if (cborx_decode(r->body, r->len, r->len + 1, &it) != 0)
		return 0;
	cborx_map_uint(it, 1, &code);
	if (detail != NULL && cborx_map_uint(it, 3, detail) != 0)
		*detail = UINT64_MAX;
	cbor_decref(&it);
	return code;
}

#endif
