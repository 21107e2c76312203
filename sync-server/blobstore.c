/*
 * Attachment files (issue 9, item 8).  Layout under DIR/blobs:
 *
 *   <name>                    a whole attachment
 *   part/<node>/<name>.part   a partial upload, one per node and file
 *
 * <name> is the hex HMAC-SHA256 of the content hash under the blob name
 * key, so the directory does not say which files the server holds.  Both
 * kinds of file are the same sequence of sealed records, one per chunk
 * as it arrived:
 *
 *   u32 big-endian L | nonce | AES-256-GCM ciphertext | tag   (L bytes)
 *
 * with AAD "outpost-blob-v1" || content hash || plaintext offset (u64
 * BE), so a record cannot be moved to another file or place.  A partial
 * upload is never in clear on disk, completing one is a hash check and a
 * rename, and nothing needs a whole file in memory.  The keys come from
 * the store key (server.c).  It does not decide who may upload what:
 * api/blob.c does.
 */
#define LOG_MODULE "blobstore"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobstore.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

#define BS_AAD_TAG "outpost-blob-v1"
#define BS_AAD_LEN (sizeof(BS_AAD_TAG) + 32 + 8)
#define BS_REC_MAX (BLOB_CHUNK_MAX + CRYPTO_AEAD_OVERHEAD)

static char *
bs_name(struct server *srv, const uint8_t hash[32])
{
	uint8_t mac[32];

	crypto_hmac_sha256(srv->blob_name_key, 32, hash, 32, mac);
	return hex_encode(mac, sizeof(mac));
}

static char *
bs_final_path(struct server *srv, const uint8_t hash[32])
{
	char *name = bs_name(srv, hash), *p;

	xasprintf(&p, "%s/blobs/%s", srv->data_dir, name);
	free(name);
	return p;
}

static char *
bs_node_dir(struct server *srv, uint64_t node)
{
	char *p;

	xasprintf(&p, "%s/blobs/part/%" PRIu64, srv->data_dir, node);
	return p;
}

static char *
bs_part_path(struct server *srv, uint64_t node, const uint8_t hash[32])
{
	char *dir = bs_node_dir(srv, node), *name = bs_name(srv, hash), *p;

	xasprintf(&p, "%s/%s.part", dir, name);
	free(dir);
	free(name);
	return p;
}

static void
bs_aad(const uint8_t hash[32], uint64_t offset, uint8_t aad[BS_AAD_LEN])
{
	int i;

	memcpy(aad, BS_AAD_TAG, sizeof(BS_AAD_TAG));
	memcpy(aad + sizeof(BS_AAD_TAG), hash, 32);
	for (i = 0; i < 8; i++)
		aad[sizeof(BS_AAD_TAG) + 32 + i] =
		    (uint8_t)(offset >> (56 - 8 * i));
}

static int
bs_mkdirs(struct server *srv, uint64_t node)
{
	char *p;
	int err = 0;

	xasprintf(&p, "%s/blobs", srv->data_dir);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		err = errno;
	free(p);
	xasprintf(&p, "%s/blobs/part", srv->data_dir);
	if (err == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		err = errno;
	free(p);
	p = bs_node_dir(srv, node);
	if (err == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		err = errno;
	free(p);
	return err;
}

static int
bs_read_full(int fd, void *p, size_t len)
{
	uint8_t *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENODATA;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Walk the records of FD.  With HASH_CTX, open each one (under HASH's AAD)
 * and hash its plaintext.  *PLAIN is the plaintext bytes of the whole
 * records, *GOOD the file offset where they end.
 */
static int
bs_walk(struct server *srv, int fd, const uint8_t hash[32],
    struct crypto_sha256 *ctx, uint64_t *plain, off_t *good)
{
	uint8_t lenb[4], aad[BS_AAD_LEN], *rec = NULL, *pt = NULL;
	uint32_t l;
	struct stat st;
	int err = 0;

	*plain = 0;
	*good = 0;
	if (fstat(fd, &st) != 0)
		return errno;
	if (ctx != NULL) {
		rec = xmalloc(BS_REC_MAX);
		pt = xmalloc(BLOB_CHUNK_MAX);
	}
	while (*good + 4 <= st.st_size) {
		if ((err = bs_read_full(fd, lenb, 4)) != 0)
			break;
		l = (uint32_t)lenb[0] << 24 | (uint32_t)lenb[1] << 16 |
		    (uint32_t)lenb[2] << 8 | lenb[3];
		if (l <= CRYPTO_AEAD_OVERHEAD || l > BS_REC_MAX) {
			err = EIO;
			break;
		}
		if (*good + 4 + (off_t)l > st.st_size)
			break; /* torn */
		if (ctx == NULL) {
			if (lseek(fd, (off_t)l, SEEK_CUR) == -1) {
				err = errno;
				break;
			}
		} else {
			if ((err = bs_read_full(fd, rec, l)) != 0)
				break;
			bs_aad(hash, *plain, aad);
			if ((err = crypto_aead_open(srv->blob_key, aad,
			         sizeof(aad), rec, l, pt)) != 0)
				break;
			crypto_sha256_update(ctx, pt, l - CRYPTO_AEAD_OVERHEAD);
		}
		*plain += l - CRYPTO_AEAD_OVERHEAD;
		*good += 4 + (off_t)l;
	}
	if (pt != NULL)
		explicit_bzero(pt, BLOB_CHUNK_MAX);
	free(rec);
	free(pt);
	return err == ENODATA ? 0 : err;
}

int
blobstore_held(
    struct server *srv, uint64_t node, const uint8_t hash[32], uint64_t *held)
{
	char *part = bs_part_path(srv, node, hash);
	struct stat st;
	off_t good;
	int fd, err = 0;

	*held = 0;
	if ((fd = open(part, O_RDWR | O_CLOEXEC)) == -1) {
		err = errno == ENOENT ? 0 : errno;
		goto out;
	}
	if ((err = bs_walk(srv, fd, hash, NULL, held, &good)) == 0 &&
	    fstat(fd, &st) == 0 && st.st_size != good) {
		log_warnx("node %" PRIu64 ": a torn partial upload cut back"
		          " to %" PRIu64 " bytes",
		    node, *held);
		if (ftruncate(fd, good) != 0 || fsync(fd) != 0)
			err = errno;
	}
	close(fd);
	if (err == EIO) {
		/* Damaged beyond a torn tail: start the upload again. */
		log_warnx(
		    "node %" PRIu64 ": a damaged partial upload dropped", node);
		unlink(part);
		*held = 0;
		err = 0;
	}
out:
	free(part);
	return err;
}

/* Write all of P: 0 or the errno of the write that failed (a short
 * write is retried, so a full disk reports ENOSPC). */
static int
bs_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Seal LEN plaintext bytes at OFFSET of HASH's file into REC (4 + LEN +
 * CRYPTO_AEAD_OVERHEAD bytes: the length, then the sealed chunk). */
static int
bs_record(struct server *srv, const uint8_t hash[32], uint64_t offset,
    const uint8_t *chunk, size_t len, uint8_t *rec)
{
	uint8_t aad[BS_AAD_LEN];
	size_t l = len + CRYPTO_AEAD_OVERHEAD;

	rec[0] = (uint8_t)(l >> 24);
	rec[1] = (uint8_t)(l >> 16);
	rec[2] = (uint8_t)(l >> 8);
	rec[3] = (uint8_t)l;
	bs_aad(hash, offset, aad);
	return crypto_aead_seal(
	    srv->blob_key, aad, sizeof(aad), chunk, len, rec + 4);
}

int
blobstore_append(struct server *srv, uint64_t node, const uint8_t hash[32],
    uint64_t offset, const uint8_t *chunk, size_t len)
{
	size_t l = len + CRYPTO_AEAD_OVERHEAD;
	char *part = NULL;
	uint8_t *rec;
	int fd = -1, err;

	if (len == 0 || len > BLOB_CHUNK_MAX)
		return EINVAL;
	if ((err = bs_mkdirs(srv, node)) != 0)
		return err;
	rec = xmalloc(4 + l);
	if ((err = bs_record(srv, hash, offset, chunk, len, rec)) != 0)
		goto out;
	part = bs_part_path(srv, node, hash);
	if ((fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	         0600)) == -1) {
		err = errno;
		goto out;
	}
	if ((err = bs_write_all(fd, rec, 4 + l)) != 0)
		goto out;
	if (fsync(fd) != 0)
		err = errno;
out:
	if (fd != -1)
		close(fd);
	free(rec);
	free(part);
	return err;
}

int
blobstore_finish(struct server *srv, uint64_t node, const uint8_t hash[32])
{
	struct crypto_sha256 *ctx = crypto_sha256_new();
	char *part = bs_part_path(srv, node, hash);
	char *final = bs_final_path(srv, hash);
	uint8_t got[32];
	uint64_t plain;
	struct stat st;
	off_t good;
	int fd, err;

	if ((fd = open(part, O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		crypto_sha256_final(ctx, got);
		goto out;
	}
	err = bs_walk(srv, fd, hash, ctx, &plain, &good);
	close(fd);
	crypto_sha256_final(ctx, got);
	if (err == 0 && crypto_memcmp(got, hash, 32) != 0)
		err = EBADMSG;
	if (err == EBADMSG) {
		unlink(part);
		goto out;
	}
	if (err != 0)
		goto out;
	/* Another node uploaded the same file: keep one copy. */
	if (stat(final, &st) == 0)
		err = unlink(part) == 0 ? 0 : errno;
	else
		err = fileio_rename(part, final);
out:
	free(part);
	free(final);
	return err;
}

uint64_t
blobstore_partial_bytes(
    struct server *srv, uint64_t node, const uint8_t hash[32])
{
	char *dir = bs_node_dir(srv, node), *skip = bs_name(srv, hash), *p;
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;
	size_t sl = strlen(skip);
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    strncmp(de->d_name, skip, sl) == 0)
				continue;
			xasprintf(&p, "%s/%s", dir, de->d_name);
			if (stat(p, &st) == 0)
				sum += (uint64_t)st.st_size;
			free(p);
		}
		closedir(d);
	}
	free(dir);
	free(skip);
	return sum;
}

unsigned
blobstore_sweep(struct server *srv)
{
	char *top, *dir, *p;
	struct dirent *nd, *de;
	struct stat st;
	uint64_t now = server_now_ms(), mtime;
	unsigned n = 0;
	DIR *d, *e;

	xasprintf(&top, "%s/blobs/part", srv->data_dir);
	if ((d = opendir(top)) == NULL) {
		free(top);
		return 0;
	}
	while ((nd = readdir(d)) != NULL) {
		if (nd->d_name[0] == '.')
			continue;
		xasprintf(&dir, "%s/%s", top, nd->d_name);
		if ((e = opendir(dir)) != NULL) {
			while ((de = readdir(e)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				xasprintf(&p, "%s/%s", dir, de->d_name);
				mtime = stat(p, &st) == 0
				    ? (uint64_t)st.st_mtim.tv_sec * 1000
				    : now;
				if (mtime + srv->blob_stale_ms < now &&
				    unlink(p) == 0)
					n++;
				free(p);
			}
			closedir(e);
		}
		free(dir);
	}
	closedir(d);
	free(top);
	if (n > 0)
		log_info("%u stale partial uploads deleted", n);
	return n;
}

/* Seal the plaintext file PATH (content hash HASH) as a whole blob. */
static int
bs_seal_file(struct server *srv, const char *path, const uint8_t hash[32])
{
	uint8_t *buf = xmalloc(BLOB_CHUNK_MAX), *rec = NULL;
	char *final = bs_final_path(srv, hash), *tmp;
	uint64_t off = 0;
	ssize_t n;
	int in, out = -1, err = 0;

	xasprintf(&tmp, "%s.sealing", final);
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	        -1) {
		err = errno;
		goto out;
	}
	rec = xmalloc(4 + BS_REC_MAX);
	while ((n = read(in, buf, BLOB_CHUNK_MAX)) > 0) {
		if ((err = bs_record(srv, hash, off, buf, (size_t)n, rec)) !=
		        0 ||
		    (err = bs_write_all(
		         out, rec, 4 + (size_t)n + CRYPTO_AEAD_OVERHEAD)) != 0)
			goto out;
		off += (uint64_t)n;
	}
	if (n < 0 || fsync(out) != 0) {
		err = errno;
		goto out;
	}
	close(out);
	out = -1;
	if ((err = fileio_rename(tmp, final)) == 0 && unlink(path) != 0)
		err = errno;
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (err != 0)
		unlink(tmp);
	explicit_bzero(buf, BLOB_CHUNK_MAX);
	free(buf);
	free(rec);
	free(tmp);
	free(final);
	return err;
}

static int
bs_hash_file(const char *path, uint8_t out[32])
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

unsigned
blobstore_seal_old(struct server *srv)
{
	char *dir, *p, *dot;
	struct dirent *de;
	struct stat st;
	uint8_t name[32], got[32];
	unsigned n = 0;
	int reg;
	DIR *d;

	xasprintf(&dir, "%s/blobs", srv->data_dir);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		dot = strchr(de->d_name, '.');
		reg = lstat(p, &st) == 0 && S_ISREG(st.st_mode);
		if (reg && dot != NULL && strcmp(dot, ".part") == 0) {
			/* An old shared partial upload, in clear. */
			if (unlink(p) == 0)
				n++;
		} else if (reg && dot == NULL && strlen(de->d_name) == 64 &&
		    hex_decode(de->d_name, name, 32, NULL) == 0 &&
		    bs_hash_file(p, got) == 0 &&
		    crypto_memcmp(got, name, 32) == 0) {
			/* Named by its own hash: an old blob in clear. */
			if (bs_seal_file(srv, p, name) == 0)
				n++;
			else
				log_warnx("an old blob could not be sealed");
		}
		free(p);
	}
	closedir(d);
	free(dir);
	if (n > 0)
		log_info(
		    "%u blobs of an older sync-server sealed or dropped", n);
	return n;
}
