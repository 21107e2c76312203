/*
 * POST /v1/blob: attachments (ECG strips, photos, recordings) uploaded by
 * SHA-256 in chunks and resumed from the last byte the server holds
 * (docs/PROTOCOL.md §6).  Files live in DIR/blobs/<hex>; a partial upload
 * is DIR/blobs/<hex>.part.  Every chunk is fsynced before `held` is
 * answered, so the answer never runs ahead of the disk.  Blob writes are
 * serialised by the server mutex: uploads are rare and large.
 */
#define LOG_MODULE "api_blob"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cborx.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "log.h"
#include "sync-server/server.h"
#include "sync-server/wire.h"
#include "xmalloc.h"

#define BLOB_MAX (64ULL * 1024 * 1024)

static int
api_blob_hash_file(const char *path, uint8_t out[32])
{
	struct crypto_sha256 *h;
	uint8_t chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	h = crypto_sha256_new();
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		crypto_sha256_update(h, chunk, (size_t)n);
	crypto_sha256_final(h, out);
	close(fd);
	return n < 0 ? EIO : 0;
}

/* Write all of P at OFF: 0 or the errno of the write that failed.  A
 * short write is retried, so a full disk is reported as ENOSPC, never as
 * whatever errno an earlier call left. */
static int
api_blob_pwrite(int fd, const uint8_t *p, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pwrite(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENOSPC;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Append CHUNK at OFFSET (== held) and return the new held count. */
static int
api_blob_write(
    struct server *srv, const struct wire_blob *w, uint64_t *held, int *bad)
{
	char *dir = NULL, *part = NULL, *final = NULL, *hex;
	uint8_t h[32];
	struct stat st;
	int fd = -1, err = 0;

	*bad = 0;
	hex = hex_encode(w->hash, 32);
	xasprintf(&dir, "%s/blobs", srv->data_dir);
	xasprintf(&part, "%s/%s.part", dir, hex);
	xasprintf(&final, "%s/%s", dir, hex);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err = errno;
		goto out;
	}
	if (stat(final, &st) == 0) {
		*held = (uint64_t)st.st_size;
		goto out;
	}
	*held = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (w->chunk_len == 0 || w->offset != *held)
		goto out;
	if (w->offset + w->chunk_len > w->total) {
		*bad = 1;
		goto out;
	}
	if ((fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		err = errno;
		goto out;
	}
	if ((err = api_blob_pwrite(
	         fd, w->chunk, w->chunk_len, (off_t)w->offset)) != 0)
		goto out;
	if (fsync(fd) != 0) {
		err = errno;
		goto out;
	}
	close(fd);
	fd = -1;
	*held = w->offset + w->chunk_len;
	if (*held < w->total)
		goto out;
	if ((err = api_blob_hash_file(part, h)) != 0)
		goto out;
	if (crypto_memcmp(h, w->hash, 32) != 0) {
		unlink(part);
		*held = 0;
		*bad = 2;
		goto out;
	}
	err = fileio_rename(part, final);
out:
	if (fd != -1)
		close(fd);
	free(hex);
	free(dir);
	free(part);
	free(final);
	return err;
}

static int
api_blob_run(struct request *req)
{
	struct server *srv = req->srv;
	struct wire_blob w;
	cbor_item_t *m;
	uint64_t held = 0;
	int err, bad;

	if (wire_blob_decode(req->body, req->len, &w) != 0) {
		req_error(req, WERR_BAD_REQUEST, "malformed blob chunk", -1);
		return 0;
	}
	if (w.total > BLOB_MAX) {
		wire_blob_free(&w);
		req_error(req, WERR_TOO_LARGE, "file too large", -1);
		return 0;
	}
	pthread_mutex_lock(&srv->mu);
	err = api_blob_write(srv, &w, &held, &bad);
	pthread_mutex_unlock(&srv->mu);
	wire_blob_free(&w);
	if (err != 0) {
		log_warnx("blob write: %s", strerror(err));
		req_error(req, WERR_INTERNAL, "storage failure", -1);
		return 0;
	}
	if (bad == 1) {
		req_error(
		    req, WERR_BAD_REQUEST, "chunk runs past the total", -1);
		return 0;
	}
	if (bad == 2) {
		req_error(
		    req, WERR_CONFLICT, "content does not match its hash", -1);
		return 0;
	}
	m = cborx_map(1);
	cborx_map_put(m, BLOBBED_K_HELD, cborx_uint(held));
	req_reply(req, m);
	return 0;
}

const struct route api_blob = {
	.method = "POST",
	.path = PROTO_PATH_BLOB,
	.max_body = BLOB_CHUNK_MAX + 128,
	.flags = ROUTE_SIGNED,
	.handler = api_blob_run,
};
