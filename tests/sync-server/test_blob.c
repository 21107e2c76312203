/*
 * sync-server/api/blob.c and blobstore.c (issue 9, item 8), each case an
 * attack by one enrolled node on another, or a fault, through the real
 * route on loopback:
 *
 *   other_node_append  B appends to A's partial upload: it gets only its
 *                      own, and A's upload completes
 *   no_oracle          B asks about a file A uploaded: "held 0" until B
 *                      has sent it whole itself
 *   quota              a node over its quota (held + partial) is refused
 *                      with over_quota; another node is not
 *   sweep              a partial upload untouched for too long is deleted
 *   sealed             neither a partial nor a whole file holds the
 *                      content in clear, nor is named by its hash
 *   seal_old           what an older server left in clear (a blob named
 *                      by its hash, a shared partial upload) is sealed or
 *                      deleted at start; a node can still upload the file
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cborx.h"
#include "client.h"
#include "crypto.h"
#include "encode.h"
#include "fixture.h"
#include "protocol.h"
#include "fileio.h"
#include "sync-server/blobstore.h"
#include "sync-server/server.h"
#include "test.h"
#include "xmalloc.h"

#define DLEN 5000

/* Send one chunk of DATA (TOTAL bytes, hash HASH) at OFF, LEN bytes; the
 * answer's status in *STATUS, held (or the error detail) in *HELD, the
 * error code in *CODE (0 for none). */
static int
chunk(struct fix *f, struct tnode *n, const uint8_t hash[32],
    const uint8_t *data, uint64_t total, uint64_t off, size_t len,
    unsigned *status, uint64_t *held, uint64_t *code)
{
	struct tresp r;
	cbor_item_t *m, *it = NULL;
	uint8_t *body = NULL;
	size_t blen;
	int err;

	memset(&r, 0, sizeof(r));
	m = cborx_map(4);
	cborx_map_put(m, BLOB_K_HASH, cborx_bytes(hash, 32));
	cborx_map_put(m, BLOB_K_TOTAL, cborx_uint(total));
	cborx_map_put(m, BLOB_K_OFFSET, cborx_uint(off));
	cborx_map_put(m, BLOB_K_CHUNK, cborx_bytes(data + off, len));
	err = cborx_encode(m, &body, &blen);
	cbor_decref(&m);
	if (err == 0)
		err = tnode_do(f->port, n, PROTO_PATH_BLOB, body, blen, &r);
	free(body);
	if (err != 0)
		return err;
	*status = r.status;
	*held = 0;
	*code = 0;
	if (cborx_decode(r.body, r.len, r.len, &it) != 0)
		err = EBADMSG;
	else if (r.status == 200)
		err = cborx_map_uint(it, BLOBBED_K_HELD, held);
	else {
		err = cborx_map_uint(it, ERR_K_CODE, code);
		(void)cborx_map_uint(it, ERR_K_DETAIL, held);
	}
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

struct two {
	struct fix f;
	struct tnode a, b;
	uint8_t data[DLEN], hash[32];
};

static int
two_start(struct two *t)
{
	int err;

	crypto_random(t->data, sizeof(t->data));
	crypto_sha256(t->data, sizeof(t->data), t->hash);
	if ((err = fix_start(&t->f)) != 0)
		return err;
	if ((err = fix_node(&t->f, "north", &t->a, NULL)) != 0)
		return err;
	return fix_node(&t->f, "north", &t->b, NULL);
}

static int
test_other_node_append(void)
{
	struct two t;
	uint8_t junk[DLEN];
	uint64_t held, code;
	unsigned st;
	int err = 0;

	crypto_random(junk, sizeof(junk));
	TEST_ERR(two_start(&t));
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, 2000, &st, &held, &code));
	TEST_EQ(held, 2000);
	/* B appends junk where A's upload stands: it has nothing there */
	TEST_ERR(chunk(
	    &t.f, &t.b, t.hash, junk, DLEN, 2000, 3000, &st, &held, &code));
	TEST_EQ(st, 200);
	TEST_EQ(held, 0);
	/* B's own junk upload fails its hash: only B's partial is dropped */
	TEST_ERR(
	    chunk(&t.f, &t.b, t.hash, junk, DLEN, 0, DLEN, &st, &held, &code));
	TEST_EQ(code, WERR_CONFLICT);
	/* A resumes where it was and completes */
	TEST_ERR(
	    chunk(&t.f, &t.a, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, 2000);
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 2000, 3000, &st, &held, &code));
	TEST_EQ(st, 200);
	TEST_EQ(held, DLEN);
out:
	fix_stop(&t.f);
	return err;
}

/* Call CB for each entry of DIR (not . or ..); the count of nonzero. */
static int
each_entry(const char *dir, int (*cb)(const char *path, void *), void *arg)
{
	struct dirent *de;
	char *p;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		n += cb(p, arg) != 0;
		free(p);
	}
	closedir(d);
	return n;
}

static int
is_file(const char *path, void *arg)
{
	struct stat st;

	(void)arg;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whole files in DIR/blobs. */
static int
whole_files(struct fix *f)
{
	char *dir;
	int n;

	xasprintf(&dir, "%s/blobs", f->dir);
	n = each_entry(dir, is_file, NULL);
	free(dir);
	return n;
}

static int
test_no_oracle(void)
{
	struct two t;
	uint64_t held, code;
	unsigned st;
	int err = 0;

	TEST_ERR(two_start(&t));
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, DLEN, &st, &held, &code));
	TEST_EQ(held, DLEN);
	/* B asks: the server says nothing of A's file */
	TEST_ERR(
	    chunk(&t.f, &t.b, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(st, 200);
	TEST_EQ(held, 0);
	/* a first chunk from B does not reveal it either */
	TEST_ERR(chunk(
	    &t.f, &t.b, t.hash, t.data, DLEN, 0, 1000, &st, &held, &code));
	TEST_EQ(held, 1000);
	/* B sends it whole: now B holds it; the server keeps one copy */
	TEST_ERR(chunk(&t.f, &t.b, t.hash, t.data, DLEN, 1000, DLEN - 1000, &st,
	    &held, &code));
	TEST_EQ(held, DLEN);
	TEST_EQ(whole_files(&t.f), 1);
	TEST_ERR(
	    chunk(&t.f, &t.b, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, DLEN);
out:
	fix_stop(&t.f);
	return err;
}

static int
test_quota(void)
{
	struct two t;
	uint8_t d2[DLEN], h2[32], d3[3000], h3[32], d4[2000], h4[32];
	uint64_t held, code;
	unsigned st;
	int err = 0;

	crypto_random(d2, sizeof(d2));
	crypto_sha256(d2, sizeof(d2), h2);
	crypto_random(d3, sizeof(d3));
	crypto_sha256(d3, sizeof(d3), h3);
	crypto_random(d4, sizeof(d4));
	crypto_sha256(d4, sizeof(d4), h4);
	TEST_ERR(two_start(&t));
	t.f.srv.blob_quota = 9000;
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, DLEN, &st, &held, &code));
	TEST_EQ(held, DLEN);
	/* a second file of 5000 would hold 10000: refused at its first
	 * chunk, with the quota as detail; nothing written */
	TEST_ERR(chunk(&t.f, &t.a, h2, d2, DLEN, 0, 1000, &st, &held, &code));
	TEST_EQ(st, 507);
	TEST_EQ(code, WERR_OVER_QUOTA);
	TEST_EQ(held, 9000);
	TEST_ERR(chunk(&t.f, &t.a, h2, d2, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, 0);
	/* partial uploads count: 1000 of a 3000-byte and of a 2000-byte file
	 * fit, a
	 * third 2000-byte one does not (5000 + ~1000 + ~1000 + 2000) */
	TEST_ERR(
	    chunk(&t.f, &t.a, h3, d3, sizeof(d3), 0, 1000, &st, &held, &code));
	TEST_EQ(held, 1000);
	TEST_ERR(
	    chunk(&t.f, &t.a, h4, d4, sizeof(d4), 0, 1000, &st, &held, &code));
	TEST_EQ(held, 1000);
	TEST_ERR(chunk(&t.f, &t.a, h2, d2, 2000, 0, 1000, &st, &held, &code));
	TEST_EQ(code, WERR_OVER_QUOTA);
	/* another node has its own quota */
	TEST_ERR(chunk(&t.f, &t.b, h2, d2, DLEN, 0, DLEN, &st, &held, &code));
	TEST_EQ(st, 200);
	TEST_EQ(held, DLEN);
out:
	fix_stop(&t.f);
	return err;
}

static int
set_times(const char *path, void *arg)
{
	return utimensat(AT_FDCWD, path, arg, 0) == 0;
}

/* Set every partial upload of NODE AGE_S seconds into the past. */
static int
age_partials(struct fix *f, uint64_t node, time_t age_s)
{
	struct timespec ts[2];
	char *dir;
	int n;

	xasprintf(&dir, "%s/blobs/part/%llu", f->dir, (unsigned long long)node);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	n = each_entry(dir, set_times, ts);
	free(dir);
	return n;
}

static int
test_sweep(void)
{
	struct two t;
	uint64_t held, code;
	unsigned st;
	int err = 0;

	TEST_ERR(two_start(&t));
	t.f.srv.blob_sweep_ms = 0; /* sweep at every request */
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, 2000, &st, &held, &code));
	TEST_ERR(chunk(
	    &t.f, &t.b, t.hash, t.data, DLEN, 0, 1000, &st, &held, &code));
	/* A's is 8 days old (the limit is 7), B's fresh */
	TEST_EQ(age_partials(&t.f, t.a.id, 8 * 24 * 3600), 1);
	TEST_ERR(
	    chunk(&t.f, &t.b, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, 1000);
	TEST_ERR(
	    chunk(&t.f, &t.a, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, 0);
	TEST_EQ(age_partials(&t.f, t.a.id, 0), 0);
out:
	fix_stop(&t.f);
	return err;
}

struct needle {
	const uint8_t *p;
	size_t len;
};

/* Does PATH (a file, or any file under it) hold the needle? */
static int
holds_at(const char *path, void *arg)
{
	const struct needle *nd = arg;
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, found = 0;

	if (stat(path, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return each_entry(path, holds_at, arg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	buf = xmalloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	found = n > 0 && memmem(buf, (size_t)n, nd->p, nd->len) != NULL;
	free(buf);
	close(fd);
	return found;
}

static int
holds(const char *dir, const uint8_t *p, size_t len)
{
	struct needle nd = { p, len };

	return holds_at(dir, &nd);
}

static int
test_sealed(void)
{
	struct two t;
	uint64_t held, code;
	unsigned st;
	char *dir = NULL, *hex = NULL, *p = NULL;
	struct stat sb;
	int err = 0;

	TEST_ERR(two_start(&t));
	xasprintf(&dir, "%s/blobs", t.f.dir);
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, 2000, &st, &held, &code));
	TEST_EQ(held, 2000);
	TEST_TRUE(!holds(dir, t.data + 100, 32)); /* partial */
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 2000, 3000, &st, &held, &code));
	TEST_EQ(held, DLEN);
	TEST_EQ(whole_files(&t.f), 1);
	TEST_TRUE(!holds(dir, t.data + 100, 32));
	TEST_TRUE(!holds(dir, t.data + 4000, 32));
	hex = hex_encode(t.hash, 32);
	xasprintf(&p, "%s/%s", dir, hex);
	TEST_TRUE(stat(p, &sb) != 0);
out:
	free(dir);
	free(hex);
	free(p);
	fix_stop(&t.f);
	return err;
}

static int
test_seal_old(void)
{
	struct two t;
	uint64_t held, code;
	unsigned st;
	char *dir = NULL, *hex = NULL, *old = NULL, *part = NULL, *odd = NULL;
	struct stat sb;
	int err = 0;

	TEST_ERR(two_start(&t));
	xasprintf(&dir, "%s/blobs", t.f.dir);
	TEST_TRUE(mkdir(dir, 0700) == 0);
	hex = hex_encode(t.hash, 32);
	/* as an older server left them: a blob named by its hash, a shared
	 * partial upload, and a file whose content is not its name */
	xasprintf(&old, "%s/%s", dir, hex);
	TEST_ERR(fileio_write_atomic(old, t.data, DLEN, 0600));
	xasprintf(&part, "%s/%s.part", dir, hex);
	TEST_ERR(fileio_write_atomic(part, t.data, 1000, 0600));
	xasprintf(&odd, "%s/%064d", dir, 7);
	TEST_ERR(fileio_write_atomic(odd, "x", 1, 0600));
	TEST_TRUE(holds(dir, t.data + 100, 32));
	TEST_EQ(blobstore_seal_old(&t.f.srv), 2);
	TEST_TRUE(stat(old, &sb) != 0);
	TEST_TRUE(stat(part, &sb) != 0);
	TEST_TRUE(stat(odd, &sb) == 0);
	TEST_TRUE(!holds(dir, t.data + 100, 32));
	TEST_EQ(whole_files(&t.f), 2); /* the sealed blob and the odd one */
	/* no node owns it: A is told nothing, sends it, and holds it */
	TEST_ERR(
	    chunk(&t.f, &t.a, t.hash, t.data, DLEN, 0, 0, &st, &held, &code));
	TEST_EQ(held, 0);
	TEST_ERR(chunk(
	    &t.f, &t.a, t.hash, t.data, DLEN, 0, DLEN, &st, &held, &code));
	TEST_EQ(held, DLEN);
	TEST_EQ(whole_files(&t.f), 2);
	TEST_EQ(blobstore_seal_old(&t.f.srv), 0);
out:
	free(dir);
	free(hex);
	free(old);
	free(part);
	free(odd);
	fix_stop(&t.f);
	return err;
}

TEST_MAIN({ "other_node_append", test_other_node_append },
    { "no_oracle", test_no_oracle }, { "quota", test_quota },
    { "sweep", test_sweep }, { "sealed", test_sealed },
    { "seal_old", test_seal_old })
