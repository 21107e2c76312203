/*
 * kiosk db check|export|restore.
 *
 * check: integrity_check, cipher_integrity_check where this SQLCipher has
 * it, the audit hash chain and the outbox sequence; names the first broken
 * entry.
 *
 * export: an encrypted backup the region can restore.  Everything in it is
 * already encrypted under the data key (the database copy, the blobs); the
 * data key itself travels sealed to the region public key.  Layout:
 *
 *   "OPXPORT1" | u32 header length | header (CBOR map:
 *       1: version 1, 2: node id, 3: created ms, 4: region public key,
 *       5: sealed data key, 6: schema version)
 *   then per file: u32 name length | name | u64 size | bytes
 *   (all integers big-endian; names are "outpost.db" or "blobs/<name>")
 *
 * restore: into a new data directory, with the region private key, giving
 * --user a new passphrase.
 */
#define LOG_MODULE "db"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "buf.h"
#include "cborx.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "crypto.h"
#include "fileio.h"
#include "hlc.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "log.h"
#include "kiosk/store/region.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_db;

#define EXPORT_MAGIC "OPXPORT1"
#define EXPORT_MAX_HEADER 4096
#define EXPORT_MAX_NAME 256

static int
db_check(struct kctx *ctx)
{
	char *report = NULL;
	int err;

	if (kctx_open(ctx) != 0)
		return 1;
	err = store_check(ctx->store, &report);
	fputs(report, err == 0 ? stdout : stderr);
	free(report);
	if (err != 0) {
		fprintf(stderr, "kiosk: the database check FAILED: %s\n",
		    kctx_explain(err));
		return 1;
	}
	printf("database check passed\n");
	return 0;
}

/* What the node holds: rows per table, outbox and audit sizes. */
static int
db_stats(struct kctx *ctx)
{
	struct store_stat st[STORE_STATS_N];
	size_t i;
	int err;

	if (kctx_open(ctx) != 0)
		return 1;
	printf("node %s, schema version %d\n", store_node_id(ctx->store),
	    store_schema_version(ctx->store));
	if ((err = store_stats(ctx->store, st)) != 0) {
		fprintf(stderr, "kiosk: %s\n", kctx_explain(err));
		return 1;
	}
	for (i = 0; i < nitems(st); i++)
		printf("  %-18s %lld\n", st[i].table, st[i].rows);
	return 0;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
export_file(FILE *out, const char *name, const char *path)
{
	uint8_t hdr[8], chunk[65536];
	struct stat sb;
	size_t n, left;
	FILE *in;
	int err = 0;

	if ((in = fopen(path, "rb")) == NULL)
		return errno;
	if (fstat(fileno(in), &sb) == -1) {
		err = errno;
		goto out;
	}
	be32(hdr, (uint32_t)strlen(name));
	fwrite(hdr, 1, 4, out);
	fwrite(name, 1, strlen(name), out);
	be32(hdr, (uint32_t)((uint64_t)sb.st_size >> 32));
	be32(hdr + 4, (uint32_t)sb.st_size);
	fwrite(hdr, 1, 8, out);
	for (left = (size_t)sb.st_size; left > 0; left -= n) {
		n = fread(
		    chunk, 1, left < sizeof(chunk) ? left : sizeof(chunk), in);
		if (n == 0) {
			err = EIO;
			break;
		}
		if (fwrite(chunk, 1, n, out) != n) {
			err = errno ? errno : EIO;
			break;
		}
	}
out:
	fclose(in);
	return err;
}

static int
db_export(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--out", 1, NULL } };
	struct dirent *de;
	cbor_item_t *h;
	uint8_t *hdr = NULL, lenbuf[4], pub[32];
	uint8_t sealed[32 + CRYPTO_SEAL_OVERHEAD];
	size_t hlen;
	char *tmpdb = NULL, *tmpout = NULL, *blobdir = NULL, *path, *name;
	FILE *out = NULL;
	DIR *d;
	int err, fd, rc = 1;

	if (cmd_opt_parse(argc, argv, 2, opts, 1, NULL, 0, NULL) != 0 ||
	    opts[0].value == NULL)
		return cmd_usage(&cmd_db);
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if (!keyring_has_recovery(ctx->keyring)) {
		fprintf(stderr,
		    "kiosk: no region key is configured, so nobody "
		    "could restore an export; run `kiosk region set-key "
		    "PUBFILE` first\n");
		return 1;
	}
	/* The region key the keyring sealed to; seal the key afresh. */
	if ((err = keyring_region_key(ctx->keyring, pub)) != 0 ||
	    (err = crypto_seal_to(pub, "outpost-export-v1",
	         store_key(ctx->store), 32, sealed)) != 0)
		goto fail;
	tmpdb = kctx_path(ctx, ".export.db");
	if ((err = store_backup(ctx->store, tmpdb)) != 0)
		goto fail;
	xasprintf(&tmpout, "%s.partial", opts[0].value);
	if ((fd = open(tmpout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	         0600)) == -1 ||
	    (out = fdopen(fd, "wb")) == NULL) {
		err = errno;
		goto fail;
	}
	h = cborx_map(6);
	cborx_map_put(h, 1, cborx_uint(1));
	cborx_map_put(h, 2, cborx_text(store_node_id(ctx->store)));
	cborx_map_put(h, 3, cborx_uint(hlc_wall_ms()));
	cborx_map_put(h, 4, cborx_bytes(pub, 32));
	cborx_map_put(h, 5, cborx_bytes(sealed, sizeof(sealed)));
	cborx_map_put(
	    h, 6, cborx_uint((uint64_t)store_schema_version(ctx->store)));
	err = cborx_encode(h, &hdr, &hlen);
	cbor_decref(&h);
	if (err != 0)
		goto fail;
	be32(lenbuf, (uint32_t)hlen);
	fwrite(EXPORT_MAGIC, 1, 8, out);
	fwrite(lenbuf, 1, 4, out);
	fwrite(hdr, 1, hlen, out);
	if ((err = export_file(out, STORE_DB_FILE, tmpdb)) != 0)
		goto fail;
	blobdir = kctx_path(ctx, STORE_BLOB_DIR);
	if ((d = opendir(blobdir)) != NULL) {
		while ((de = readdir(d)) != NULL && err == 0) {
			if (de->d_name[0] == '.')
				continue;
			xasprintf(&path, "%s/%s", blobdir, de->d_name);
			xasprintf(&name, "%s/%s", STORE_BLOB_DIR, de->d_name);
			err = export_file(out, name, path);
			free(path);
			free(name);
		}
		closedir(d);
		if (err != 0)
			goto fail;
	}
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		err = errno;
		goto fail;
	}
	fclose(out);
	out = NULL;
	if ((err = fileio_rename(tmpout, opts[0].value)) != 0)
		goto fail;
	store_audit(
	    ctx->store, "export", "node", store_node_id(ctx->store), NULL);
	printf("Exported to %s (encrypted; restore needs the region private "
	       "key)\n",
	    opts[0].value);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "kiosk: export failed: %s; nothing was written to %s\n",
	    kctx_explain(err), opts[0].value);
	if (tmpout != NULL)
		unlink(tmpout);
out:
	if (out != NULL)
		fclose(out);
	if (tmpdb != NULL)
		unlink(tmpdb);
	free(tmpdb);
	free(tmpout);
	free(blobdir);
	free(hdr);
	return rc;
}

static int
read_exact(FILE *f, void *p, size_t len)
{
	return fread(p, 1, len, f) == len ? 0 : EBADMSG;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Copy one file entry of the export into DIR. */
static int
restore_entry(FILE *in, const char *dir, int *done)
{
	uint8_t b[8], chunk[65536];
	char name[EXPORT_MAX_NAME + 1], *path;
	uint64_t size;
	uint32_t nlen;
	size_t n;
	FILE *out;
	int c, err = 0;

	if ((c = getc(in)) == EOF) {
		*done = 1;
		return 0;
	}
	ungetc(c, in);
	if (read_exact(in, b, 4) != 0 || (nlen = get_be32(b)) == 0 ||
	    nlen > EXPORT_MAX_NAME || read_exact(in, name, nlen) != 0)
		return EBADMSG;
	name[nlen] = '\0';
	/* Only the names an export writes: no paths out of DIR. */
	if (strcmp(name, STORE_DB_FILE) != 0 &&
	    (strncmp(name, STORE_BLOB_DIR "/", 6) != 0 ||
	        strchr(name + 6, '/') != NULL || name[6] == '.' ||
	        name[6] == '\0'))
		return EBADMSG;
	if (read_exact(in, b, 8) != 0)
		return EBADMSG;
	size = (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
	xasprintf(&path, "%s/%s", dir, name);
	if ((out = fopen(path, "wbx")) == NULL) {
		err = errno;
		free(path);
		return err;
	}
	while (size > 0 && err == 0) {
		n = size < sizeof(chunk) ? (size_t)size : sizeof(chunk);
		if (fread(chunk, 1, n, in) != n)
			err = EBADMSG;
		else if (fwrite(chunk, 1, n, out) != n)
			err = EIO;
		size -= n;
	}
	if (fflush(out) != 0 || fsync(fileno(out)) != 0)
		err = err ? err : EIO;
	fclose(out);
	free(path);
	return err;
}

static int
db_restore(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--in", 1, NULL },
		{ "--region-key", 1, NULL }, { "--kdf-ms", 1, NULL },
		{ "--kdf-mem", 1, NULL } };
	struct keyring *k = NULL;
	struct store *s = NULL;
	struct store_user u = { 0 };
	cbor_item_t *h = NULL;
	uint8_t magic[8], lb[4], *hdr = NULL, priv[32], key[32];
	const uint8_t *sealed, *pub;
	size_t slen, plen;
	uint32_t hlen;
	struct keyring_kdf cost;
	const struct keyring_kdf *costp;
	char *pass = NULL, *blobdir = NULL, *report = NULL;
	FILE *in = NULL;
	int err = 0, done = 0, rc = 1;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0, NULL) !=
	        0 ||
	    opts[0].value == NULL || opts[1].value == NULL)
		return cmd_usage(&cmd_db);
	if (cmd_opt_kdf(&opts[2], &opts[3], &cost, &costp) != 0)
		return 2;
	if (region_read_key(opts[1].value, priv) != 0)
		return 1;
	if (mkdir(ctx->data_dir, 0700) == -1) {
		fprintf(stderr,
		    "kiosk: restore needs a new, empty --data "
		    "directory (%s: %s)\n",
		    ctx->data_dir, strerror(errno));
		goto out;
	}
	if ((in = fopen(opts[0].value, "rb")) == NULL) {
		fprintf(stderr, "kiosk: cannot open %s: %s\n", opts[0].value,
		    strerror(errno));
		goto out;
	}
	if (read_exact(in, magic, 8) != 0 ||
	    memcmp(magic, EXPORT_MAGIC, 8) != 0 || read_exact(in, lb, 4) != 0 ||
	    (hlen = get_be32(lb)) == 0 || hlen > EXPORT_MAX_HEADER) {
		err = EBADMSG;
		goto bad;
	}
	hdr = xmalloc(hlen);
	if (read_exact(in, hdr, hlen) != 0 ||
	    cborx_decode(hdr, hlen, EXPORT_MAX_HEADER, &h) != 0 ||
	    cborx_map_bytes(h, 4, 32, &pub, &plen) != 0 || plen != 32 ||
	    cborx_map_bytes(h, 5, 256, &sealed, &slen) != 0) {
		err = EBADMSG;
		goto bad;
	}
	if (slen != 32 + CRYPTO_SEAL_OVERHEAD ||
	    crypto_unseal(priv, "outpost-export-v1", sealed, slen, key) != 0) {
		fprintf(stderr,
		    "kiosk: that region key does not open this "
		    "export\n");
		goto out;
	}
	blobdir = kctx_path(ctx, STORE_BLOB_DIR);
	mkdir(blobdir, 0700);
	while (!done && err == 0)
		err = restore_entry(in, ctx->data_dir, &done);
	if (err != 0)
		goto bad;
	if ((err = store_open(ctx->data_dir, key, 0, &s)) != 0 ||
	    (err = store_check(s, &report)) != 0) {
		fprintf(stderr,
		    "kiosk: the restored database does not check "
		    "out: %s\n%s",
		    kctx_explain(err), report ? report : "");
		goto out;
	}
	if (store_user_get(s, ctx->user, &u) != 0 &&
	    (err = store_user_add(s, ctx->user, STORE_ROLE_ADMIN, &u)) != 0) {
		fprintf(stderr, "kiosk: cannot add %s: %s\n", ctx->user,
		    kctx_explain(err));
		goto out;
	}
	if ((pass = kctx_read_new_secret(ctx, ctx->user)) == NULL)
		goto out;
	k = keyring_new(ctx->data_dir, KEYRING_DEFAULT_MAX_FAILURES,
	    KEYRING_DEFAULT_DELAY_MS);
	if ((err = keyring_wrap_user(k, ctx->user, pass, key, costp, pub)) !=
	    0) {
		fprintf(stderr, "kiosk: cannot write the keyring: %s\n",
		    kctx_explain(err));
		goto out;
	}
	store_set_actor(s, u.id);
	store_audit(
	    s, "create", "node", store_node_id(s), "restored from export");
	printf("Restored node %s into %s; %s may log in with the new "
	       "passphrase\n",
	    store_node_id(s), ctx->data_dir, ctx->user);
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "kiosk: %s is not a complete Outpost export (%s)\n",
	    opts[0].value, kctx_explain(err));
out:
	explicit_bzero(priv, sizeof(priv));
	explicit_bzero(key, sizeof(key));
	if (h != NULL)
		cbor_decref(&h);
	if (in != NULL)
		fclose(in);
	store_user_clear(&u);
	store_close(s);
	keyring_free(k);
	xfree_secret_str(pass);
	free(hdr);
	free(blobdir);
	free(report);
	return rc;
}

static int
db_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return db_check(ctx);
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return db_stats(ctx);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return db_export(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "restore") == 0)
		return db_restore(ctx, argc, argv);
	return cmd_usage(&cmd_db);
}

const struct kiosk_cmd cmd_db = {
	.name = "db",
	.usage =
	    "  db check                  integrity, audit chain, outbox\n"
	    "  db stats                  what this node holds\n"
	    "  db export --out FILE      encrypted backup the region key "
	    "restores (administrator)\n"
	    "  db restore --in FILE --region-key PRIVFILE [--kdf-mem KIB | "
	    "--kdf-ms N]\n"
	    "      into a new --data directory; --user gets a new "
	    "passphrase\n",
	.run = db_run,
};
