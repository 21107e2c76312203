/*
 * Attachments: content-addressed, encrypted blobs beside the database.
 * A blob's file name is HMAC(name key, SHA-256 of the content), so the
 * directory reveals neither the content nor its hash; its bytes are
 * AES-256-GCM under HKDF(data key, content hash), with the hash as AAD.
 * The blob is written (atomically) before the attachment row commits; a
 * crash in between leaves an unreferenced blob, never a dangling row.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "encode.h"
#include "keyring.h"
#include "log.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

#define ATTACH_MAX (64u << 20)

static char *
attach_blob_name(struct store *s, const uint8_t hash[32])
{
	uint8_t namekey[32], mac[32];

	crypto_hkdf(s->key, 32, NULL, 0, "outpost blob name v1", namekey, 32);
	crypto_hmac_sha256(namekey, 32, hash, 32, mac);
	explicit_bzero(namekey, sizeof(namekey));
	return hex_encode(mac, 20);
}

static int
attach_blob_key(struct store *s, const uint8_t hash[32], uint8_t key[32])
{
	return crypto_hkdf(s->key, 32, hash, 32, "outpost blob v1", key, 32);
}

int
store_attach_put(struct store *s, const char *owner_entity,
    const char *owner_id, const char *mime, const void *data, size_t len,
    char id_out[UUID_STRLEN + 1])
{
	uint8_t hash[32], key[32], *ct = NULL;
	char id[UUID_STRLEN + 1], *name = NULL, *dir = NULL;
	struct model_rec r;
	struct store_col blob = { "blob_name", NULL, 0, 0 };
	uint64_t hlc;
	int err;

	if (len > ATTACH_MAX)
		return EMSGSIZE;
	crypto_sha256(data, len, hash);
	name = attach_blob_name(s, hash);
	xasprintf(&dir, "%s/%s", s->dir, STORE_BLOB_DIR);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		err = errno;
		goto out;
	}
	if ((err = attach_blob_key(s, hash, key)) != 0)
		goto out;
	ct = xmalloc(len + CRYPTO_AEAD_OVERHEAD);
	if ((err = crypto_aead_seal(key, hash, 32, data, len, ct)) != 0)
		goto out;
	if ((err = keyring_write_atomic(
	         dir, name, ct, len + CRYPTO_AEAD_OVERHEAD)) != 0)
		goto out;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		goto out;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_ATTACHMENT, id, hlc);
	model_set_text(&r, REC_ATT_OWNER_ENTITY, owner_entity);
	model_set_text(&r, REC_ATT_OWNER_ID, owner_id);
	model_set_bytes(&r, REC_ATT_SHA256, hash, 32);
	model_set_uint(&r, REC_ATT_SIZE, len);
	model_set_text(&r, REC_ATT_MIME, mime);
	blob.p = name;
	err = store_row_insert(s, &r, &blob, 1);
	if (err == 0)
		err = store_outbox_put(s, &r);
	if (err == 0)
		err = store_audit_append(s, "create", "attachment", id, NULL);
	err = store_tx_end(s, err);
	if (err == 0 && id_out != NULL)
		memcpy(id_out, id, sizeof(id));
out:
	explicit_bzero(key, sizeof(key));
	free(ct);
	free(name);
	free(dir);
	return err;
}

int
store_attach_get(struct store *s, const char *id, uint8_t **data, size_t *len)
{
	uint8_t hash[32], key[32], *ct = NULL, *pt = NULL;
	char *path = NULL, *name = NULL;
	sqlite3_stmt *st;
	struct stat sb;
	size_t size = 0;
	ssize_t n;
	int fd = -1, rc, err;

	*data = NULL;
	*len = 0;
	if ((err = store_prepare(s,
	         "SELECT sha256, size, blob_name FROM "
	         "attachments WHERE id = ? AND deleted = 0",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(hash, sqlite3_column_blob(st, 0), 32);
		size = (size_t)sqlite3_column_int64(st, 1);
		name = store_col_text(st, 2);
	} else
		err = rc == SQLITE_DONE ? ENOENT
		                        : store_err(s, rc, "attachment get");
	sqlite3_finalize(st);
	if (err != 0)
		return err;
	xasprintf(&path, "%s/%s/%s", s->dir, STORE_BLOB_DIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		err = errno;
		goto out;
	}
	if ((size_t)sb.st_size != size + CRYPTO_AEAD_OVERHEAD) {
		err = EBADMSG;
		goto out;
	}
	ct = xmalloc((size_t)sb.st_size);
	if ((n = read(fd, ct, (size_t)sb.st_size)) != sb.st_size) {
		err = n < 0 ? errno : EIO;
		goto out;
	}
	if ((err = attach_blob_key(s, hash, key)) != 0)
		goto out;
	pt = xmalloc(size ? size : 1);
	if ((err = crypto_aead_open(key, hash, 32, ct, (size_t)n, pt)) != 0)
		goto out;
	/* Who looked at it is recorded before it is handed out. */
	if ((err = store_audit(s, "view", "attachment", id, NULL)) != 0)
		goto out;
	*data = pt;
	*len = size;
	pt = NULL;
out:
	if (fd != -1)
		close(fd);
	explicit_bzero(key, sizeof(key));
	free(pt);
	free(ct);
	free(path);
	free(name);
	return err;
}
