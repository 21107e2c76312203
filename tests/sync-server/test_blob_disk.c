/*
 * Issue 9 (Low, messages): a blob chunk written to a full disk was logged
 * as "No such file or directory" (a stale errno after a short write).  A
 * tiny tmpfs over DIR/blobs fills up mid-chunk; the server answers
 * internal and its log says the disk is full.  Needs permission to mount
 * (root, as on CI); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cborx.h"
#include "client.h"
#include "crypto.h"
#include "fixture.h"
#include "log.h"
#include "protocol.h"
#include "sync-server/server.h"
#include "test.h"
#include "xmalloc.h"

static int
test_blob_full_disk(void)
{
	static uint8_t data[200000];
	struct fix f;
	struct tresp r;
	struct tnode n;
	struct buf logb;
	cbor_item_t *m;
	uint8_t hash[32], *body = NULL;
	char *blobs = NULL, *logpath = NULL, *text = NULL, chunk[4096];
	size_t len;
	ssize_t got;
	int err = 0, mounted = 0, fd = -1;

	memset(&r, 0, sizeof(r));
	buf_init(&logb, 1024 * 1024);
	crypto_random(data, sizeof(data));
	crypto_sha256(data, sizeof(data), hash);
	TEST_ERR(fix_start(&f));
	TEST_ERR(fix_node(&f, "north", &n, NULL));
	xasprintf(&blobs, "%s/blobs", f.dir);
	xasprintf(&logpath, "%s/test.log", f.dir);
	TEST_ERR(mkdir(blobs, 0700));
	if (mount("tmpfs", blobs, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		fprintf(stderr, "cannot mount a tmpfs: %s\n", strerror(errno));
		err = TEST_SKIP;
		goto out;
	}
	mounted = 1;
	TEST_ERR(log_init(logpath, LOG_LEVEL_WARN));

	m = cborx_map(4);
	cborx_map_put(m, BLOB_K_HASH, cborx_bytes(hash, 32));
	cborx_map_put(m, BLOB_K_TOTAL, cborx_uint(sizeof(data)));
	cborx_map_put(m, BLOB_K_OFFSET, cborx_uint(0));
	cborx_map_put(m, BLOB_K_CHUNK, cborx_bytes(data, sizeof(data)));
	TEST_ERR(cborx_encode(m, &body, &len));
	cbor_decref(&m);
	TEST_ERR(tnode_do(f.port, &n, PROTO_PATH_BLOB, body, len, &r));
	TEST_EQ(r.status, 500);

	log_init(NULL, LOG_LEVEL_WARN);
	TEST_TRUE((fd = open(logpath, O_RDONLY | O_CLOEXEC)) != -1);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		TEST_ERR(buf_append(&logb, chunk, (size_t)got));
	text = buf_take_str(&logb);
	if (strstr(text, strerror(ENOSPC)) == NULL ||
	    strstr(text, strerror(ENOENT)) != NULL) {
		fprintf(stderr, "log does not say the disk is full:\n%s", text);
		err = 1;
	}
out:
	log_init(NULL, LOG_LEVEL_WARN);
	if (fd != -1)
		close(fd);
	if (mounted && umount(blobs) != 0)
		fprintf(stderr, "umount %s: %s\n", blobs, strerror(errno));
	buf_free(&logb);
	free(text);
	free(body);
	free(blobs);
	free(logpath);
	tresp_clear(&r);
	fix_stop(&f);
	return err;
}

TEST_MAIN({ "blob_full_disk", test_blob_full_disk })
