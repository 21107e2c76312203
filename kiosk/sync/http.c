/*
 * The sync client's HTTP transport on libcurl: one easy handle reused for
 * a whole run (keep-alive, one TCP+TLS connection), a connect timeout,
 * low-speed stall detection (< 100 B/s for 30 s aborts), TLS 1.2+ with
 * the CA kept in the store, request signing and verification of the
 * server's response signature against the pinned key
 * (docs/PROTOCOL.md §3).  Bodies over 512 bytes go deflated when that
 * makes them smaller, and deflated answers are accepted (§1); signatures
 * cover the bodies before compression.  An answer over 1 MiB (inflated)
 * or 8,192 CBOR items is refused before it is decoded.  CURLcode values are logged here and turned into
 * errno values; bodies are never logged.
 */
#define LOG_MODULE "sync_http"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "log.h"
#include "protocol.h"
#include "str.h"
#include "sync_int.h"
#include "xmalloc.h"

/*
 * What the kiosk accepts in one answer (issue 9, item 5: a hostile 8 MiB
 * answer of one-byte items once took a kiosk to 1 GB in libcbor).  The
 * largest honest answer is a pull page: about 256 KiB of bodies and 500
 * changes of six items (docs/PROTOCOL.md §5).  A larger answer, inflated
 * or not, or one with more items, is refused with EMSGSIZE before it is
 * decoded.
 */
#define SYNC_RESP_MAX (1024 * 1024)
#define SYNC_RESP_ITEMS 8192

static size_t
sync_http_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, p, size * n) != 0)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	return size * n;
}

static size_t
sync_http_header(char *p, size_t size, size_t n, void *arg)
{
	struct sync_http *h = arg;
	size_t len = size * n;
	static const char name[] = "x-outpost-sig:";

	if (len > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0) {
		const char *v = p + sizeof(name) - 1;
		size_t vlen = len - (sizeof(name) - 1);

		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		if (vlen < sizeof(h->sig)) {
			memcpy(h->sig, v, vlen);
			h->sig[vlen] = '\0';
		}
	}
	return len;
}

int
sync_http_init(struct sync_http *h, const char *base, const char *ca_pem)
{
	size_t len;

	memset(h, 0, sizeof(*h));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((h->curl = curl_easy_init()) == NULL)
		return ENOMEM;
	h->base = xstrdup(base);
	len = strlen(h->base);
	while (len > 0 && h->base[len - 1] == '/')
		h->base[--len] = '\0';
	if (ca_pem != NULL)
		h->ca_pem = xstrdup(ca_pem);
	return 0;
}

void
sync_http_free(struct sync_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h->ca_pem);
	explicit_bzero(h->priv, sizeof(h->priv));
	memset(h, 0, sizeof(*h));
}

/* Abort the transfer (CURLE_ABORTED_BY_CALLBACK) once the caller's
 * cancel flag is set. */
static int
sync_http_progress(
    void *p, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	const struct sync_http *h = p;

	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	return h->cancel != NULL &&
	    __atomic_load_n(h->cancel, __ATOMIC_SEQ_CST) != 0;
}

static int
sync_http_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return EMSGSIZE;
	case CURLE_ABORTED_BY_CALLBACK:
		return EINTR;
	default:
		return EIO;
	}
}

static int
sync_http_verify(struct sync_http *h, uint64_t seq, const struct buf *resp)
{
	uint8_t sig[CRYPTO_SIG_LEN];
	size_t siglen;
	char *msg;
	int err;

	if (!h->pinned)
		return 0;
	if (hex_decode(h->sig, sig, sizeof(sig), &siglen) != 0 ||
	    siglen != sizeof(sig)) {
		log_warnx("response without a server signature");
		return EBADMSG;
	}
	{
		uint8_t d[CRYPTO_SHA256_LEN];
		char *hex;

		crypto_sha256(
		    resp->len ? resp->data : (const uint8_t *)"", resp->len, d);
		hex = hex_encode(d, sizeof(d));
		xasprintf(&msg,
		    "OUTPOST-RSP-1\n%ld\n%" PRIu64 "\n%" PRIu64 "\n%s",
		    h->status, h->node, seq, hex);
		free(hex);
	}
	err = crypto_ed25519_verify(h->server_pub, msg, strlen(msg), sig);
	free(msg);
	if (err != 0)
		log_warnx("response signature does not verify");
	return err ? EBADMSG : 0;
}

/* Deflate (zlib format, RFC 1950) BODY when it pays; *OUT is the
 * caller's.  Returns 0 when *OUT is set. */
static int
sync_http_deflate(
    const uint8_t *body, size_t len, uint8_t **out, size_t *outlen)
{
	uLongf n = compressBound((uLong)len);

	if (len < 512 || len > 16 * 1024 * 1024)
		return EINVAL;
	*out = xmalloc(n);
	if (compress2(*out, &n, body, (uLong)len, 6) != Z_OK || n + 64 >= len) {
		free(*out);
		*out = NULL;
		return EINVAL;
	}
	*outlen = n;
	return 0;
}

int
sync_http_post(struct sync_http *h, const char *path, const uint8_t *body,
    size_t len, uint64_t seq, uint64_t hlc, struct buf *resp)
{
	uint8_t *z = NULL;
	size_t zlen = 0;
	CURL *c = h->curl;
	struct curl_slist *hdrs = NULL;
	struct curl_blob ca;
	uint8_t d[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	char *url, *hex, *msg, line[256];
	curl_off_t up = 0, down = 0;
	long hsize = 0, rsize = 0;
	size_t items = 0;
	CURLcode rc;
	int err = 0;

	buf_init(resp, SYNC_RESP_MAX);
	h->status = 0;
	h->sig[0] = '\0';
	xasprintf(&url, "%s%s", h->base, path);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/cbor");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (sync_http_deflate(body, len, &z, &zlen) == 0)
		hdrs = curl_slist_append(hdrs, "Content-Encoding: deflate");
	if (h->node != 0) {
		crypto_sha256(len ? body : (const uint8_t *)"", len, d);
		hex = hex_encode(d, sizeof(d));
		xasprintf(&msg,
		    "OUTPOST-REQ-1\nPOST\n%s\n%" PRIu64 "\n%" PRIu64
		    "\n%" PRIu64 "\n%s",
		    path, h->node, seq, hlc, hex);
		free(hex);
		crypto_ed25519_sign(h->priv, msg, strlen(msg), sig);
		free(msg);
		hex = hex_encode(sig, sizeof(sig));
		snprintf(
		    line, sizeof(line), "X-Outpost-Node: %" PRIu64, h->node);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), "X-Outpost-Seq: %" PRIu64, seq);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), "X-Outpost-HLC: %" PRIu64, hlc);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), "X-Outpost-Sig: %s", hex);
		hdrs = curl_slist_append(hdrs, line);
		free(hex);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (z != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)z);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)zlen);
	} else {
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, len ? (const char *)body : "");
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "deflate");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sync_http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sync_http_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Locking the kiosk stops the sync thread: end a transfer at once
	 * rather than hold the lock screen for a slow link. */
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, sync_http_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/* An announced length over the bound fails before any byte. */
	curl_easy_setopt(
	    c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SYNC_RESP_MAX);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (h->ca_pem != NULL) {
		ca.data = h->ca_pem;
		ca.len = strlen(h->ca_pem);
		ca.flags = CURL_BLOB_COPY;
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	}
	h->errbuf[0] = '\0';
	rc = curl_easy_perform(c);
	h->requests++;
	curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down);
	curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &hsize);
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &rsize);
	(void)up; /* REQUEST_SIZE already counts the POST body */
	h->bytes_up += (uint64_t)rsize;
	h->bytes_down += (uint64_t)down + (uint64_t)hsize;
	if (rc != CURLE_OK) {
		log_warnx("%s: %s", path,
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
		err = sync_http_errno(rc);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	/* Not yet trusted (its signature is checked next) with the memory
	 * decoding it would take; what is not CBOR fails later as before. */
	if (resp->len > 0 && cborx_items(resp->data, resp->len, &items) == 0 &&
	    items > SYNC_RESP_ITEMS) {
		log_warnx("%s: answer of %zu bytes and %zu items refused", path,
		    resp->len, items);
		err = EMSGSIZE;
		goto out;
	}
	if (h->node != 0)
		err = sync_http_verify(h, seq, resp);
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(z);
	return err;
}

uint64_t
sync_err_code(const struct buf *resp, uint64_t *detail)
{
	cbor_item_t *it = NULL;
	uint64_t code = 0;

	if (detail != NULL)
		*detail = UINT64_MAX;
	if (resp->len == 0 ||
	    cborx_decode(resp->data, resp->len, 4096, &it) != 0)
		return 0;
	if (cbor_isa_map(it)) {
		if (cborx_map_uint(it, ERR_K_CODE, &code) != 0)
			code = 0;
		if (detail != NULL &&
		    cborx_map_uint(it, ERR_K_DETAIL, detail) != 0)
			*detail = UINT64_MAX;
	}
	cbor_decref(&it);
	return code;
}
