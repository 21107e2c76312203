/*
 * The server context: its Ed25519 key (DIR/server.key, created on first
 * start, mode 0600), its hybrid logical clock and the open store; plus the
 * reply helpers every endpoint uses.  It does not speak HTTP (httpd.c).
 */
#define LOG_MODULE "server"

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
#include "server.h"
#include "xmalloc.h"

static int
server_key_load(struct server *srv, const char *dir)
{
	uint8_t buf[64];
	char *path;
	ssize_t n;
	int fd = -1, err = 0;

	xasprintf(&path, "%s/server.key", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf));
		if (n != (ssize_t)sizeof(buf)) {
			log_warnx("server.key is damaged");
			err = EIO;
			goto out;
		}
		memcpy(srv->priv, buf, 32);
		memcpy(srv->pub, buf + 32, 32);
		goto out;
	}
	if (errno != ENOENT) {
		err = errno;
		goto out;
	}
	if ((err = crypto_ed25519_keygen(srv->priv, srv->pub)) != 0)
		goto out;
	memcpy(buf, srv->priv, 32);
	memcpy(buf + 32, srv->pub, 32);
	err = fileio_write_atomic(path, buf, sizeof(buf), 0600);
out:
	if (fd != -1)
		close(fd);
	explicit_bzero(buf, sizeof(buf));
	free(path);
	return err;
}

int
server_key_pub(const char *dir, uint8_t pub[32])
{
	struct server tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno;
	if ((err = server_key_load(&tmp, dir)) == 0)
		memcpy(pub, tmp.pub, 32);
	explicit_bzero(&tmp, sizeof(tmp));
	return err;
}

int
server_key_pair(const char *dir, uint8_t priv[32], uint8_t pub[32])
{
	struct server tmp;
	int err;

	memset(&tmp, 0, sizeof(tmp));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno;
	if ((err = server_key_load(&tmp, dir)) == 0) {
		memcpy(priv, tmp.priv, 32);
		memcpy(pub, tmp.pub, 32);
	}
	explicit_bzero(&tmp, sizeof(tmp));
	return err;
}

uint64_t
server_now_ms(void)
{
	return hlc_wall_ms();
}

const struct store_backend *
server_backend(const char *store)
{
	if (store == NULL)
		return &store_sqlite_backend;
	if (strncmp(store, "postgresql://", 13) == 0 ||
	    strncmp(store, "postgres://", 11) == 0 ||
	    strchr(store, '=') != NULL)
		return &store_pg_backend;
	return NULL;
}

/*
 * The store key: 64 hex digits (whitespace around them ignored) in FILE,
 * or, without FILE, in the systemd credential outpost-server-key
 * ($CREDENTIALS_DIRECTORY, LoadCredential= / LoadCredentialEncrypted=).
 * A file others may read is refused: the key opens every synced record.
 */
int
server_store_key_load(const char *file, uint8_t key[32], char **cause)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL, buf[130], *p, *e;
	struct stat st;
	ssize_t n;
	int fd = -1, err = 0;

	*cause = NULL;
	if (file != NULL)
		path = xstrdup(file);
	else if (cred != NULL && cred[0] != '\0')
		xasprintf(&path, "%s/outpost-server-key", cred);
	else {
		xasprintf(cause,
		    "no store key: give --key-file FILE (64 hex digits, mode"
		    " 0600; make one with `openssl rand -hex 32 > FILE`) or"
		    " the systemd credential outpost-server-key");
		return ENOKEY;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		err = errno;
		xasprintf(cause, "cannot read the store key %s: %s", path,
		    strerror(err));
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		err = EPERM;
		xasprintf(cause,
		    "the store key %s can be read by others: chmod 600 it",
		    path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n'; p++)
		;
	for (e = p; *e != '\0' && *e != ' ' && *e != '\n' && *e != '\r'; e++)
		;
	*e = '\0';
	if (n < 0 || e - p != 64 || hex_decode(p, key, 32, NULL) != 0) {
		err = EINVAL;
		xasprintf(cause,
		    "the store key %s is not 64 hex digits (a 256-bit key)",
		    path);
	}
out:
	if (fd != -1)
		close(fd);
	explicit_bzero(buf, sizeof(buf));
	free(path);
	return err;
}

int
server_open(struct server *srv, const char *dir)
{
	return server_open_key(srv, dir, NULL);
}

int
server_open_key(struct server *srv, const char *dir, const uint8_t *key)
{
	return server_open_store(srv, dir, NULL, key);
}

int
server_open_store(
    struct server *srv, const char *dir, const char *store, const uint8_t *key)
{
	uint8_t *v = NULL, seed[32];
	size_t len;
	uint64_t last = 0;
	int err;

	memset(srv, 0, sizeof(*srv));
	pthread_mutex_init(&srv->mu, NULL);
	srv->data_dir = xstrdup(dir);
	if ((srv->be = server_backend(store)) == NULL)
		return EINVAL;
	srv->push_max_bytes = PROTO_PUSH_MAX_BYTES;
	srv->push_max_changes = PROTO_PUSH_MAX_CHANGES;
	srv->pull_max = PROTO_PULL_MAX;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno;
	if ((err = server_key_load(srv, dir)) != 0) {
		log_warnx("server key: %s", strerror(err));
		return err;
	}
	srv->blob_quota = SERVER_BLOB_QUOTA;
	srv->blob_stale_ms = SERVER_BLOB_STALE_MS;
	srv->blob_sweep_ms = SERVER_BLOB_SWEEP_MS;
	/* Blob keys of their own, derived from the store key. */
	if (key == NULL)
		crypto_random(seed, sizeof(seed));
	else
		memcpy(seed, key, sizeof(seed));
	err = crypto_hkdf(
	    seed, 32, NULL, 0, "outpost-server-blob-v1", srv->blob_key, 32);
	if (err == 0)
		err = crypto_hkdf(seed, 32, NULL, 0,
		    "outpost-server-blob-name-v1", srv->blob_name_key, 32);
	explicit_bzero(seed, sizeof(seed));
	if (err != 0)
		return err;
	if ((err = srv->be->open(store ? store : dir, key, &srv->store)) != 0)
		return err;
	if (srv->be->meta_get(srv->store, "hlc", &v, &len) == 0 &&
	    len == sizeof(last))
		memcpy(&last, v, sizeof(last));
	free(v);
	hlc_init(&srv->hlc, last);
	if (hlc_clamp(&srv->hlc, 0) != 0) {
		/* Poisoned before the bound existed: come back to now. */
		log_warnx(
		    "server clock was far ahead of the wall clock; reset");
		srv->be->alert(srv->store, 0, "hlc-reset",
		    "stored server clock beyond the drift bound",
		    server_now_ms());
		last = srv->hlc.last;
		srv->be->meta_put(srv->store, "hlc", &last, sizeof(last));
	}
	return 0;
}

void
server_close(struct server *srv)
{
	uint64_t last;

	if (srv->stop_hook !=
	    NULL) /* emergency_stop: its timer uses the store */
		srv->stop_hook(srv);
	if (srv->wait_stop_hook != NULL) /* waitlist_stop: so does its timer */
		srv->wait_stop_hook(srv);
	if (srv->store != NULL) {
		last = srv->hlc.last;
		srv->be->meta_put(srv->store, "hlc", &last, sizeof(last));
		srv->be->close(srv->store);
	}
	explicit_bzero(srv->priv, sizeof(srv->priv));
	explicit_bzero(srv->blob_key, sizeof(srv->blob_key));
	explicit_bzero(srv->blob_name_key, sizeof(srv->blob_name_key));
	pthread_mutex_destroy(&srv->mu);
	free(srv->data_dir);
	srv->store = NULL;
	srv->data_dir = NULL;
}

uint64_t
server_hlc(struct server *srv, uint64_t remote)
{
	uint64_t t;

	pthread_mutex_lock(&srv->mu);
	if (remote == 0 || hlc_merge(&srv->hlc, remote, 0) != 0)
		t = hlc_now(&srv->hlc);
	else
		t = srv->hlc.last;
	pthread_mutex_unlock(&srv->mu);
	return t;
}

int
server_hlc_ahead(struct server *srv, uint64_t remote)
{
	int r;

	pthread_mutex_lock(&srv->mu);
	r = hlc_too_far(&srv->hlc, remote, 0);
	pthread_mutex_unlock(&srv->mu);
	return r;
}

void
req_reply(struct request *req, cbor_item_t *item)
{
	free(req->resp);
	req->resp = NULL;
	if (cborx_encode(item, &req->resp, &req->resp_len) != 0)
		fatalx("reply encode");
	cbor_decref(&item);
	req->status = 200;
}

unsigned
wire_err_status(enum wire_err code)
{
	switch (code) {
	case WERR_BAD_REQUEST:
	case WERR_CLOCK_AHEAD:
	case WERR_INVALID_CHANGE:
	case WERR_RX_INVALID:
	case WERR_EMERG_INVALID:
	case WERR_BREAKGLASS_REASON:
	case WERR_BREAKGLASS_QUERY:
		return 400;
	case WERR_RX_BLOCKED:
	case WERR_RX_OVERRIDE:
		return 422;
	case WERR_TOO_LARGE:
		return 413;
	case WERR_BAD_SIGNATURE:
	case WERR_UNKNOWN_NODE:
	case WERR_STALE_REQUEST:
	case WERR_GATEWAY_AUTH:
		return 401;
	case WERR_REVOKED:
	case WERR_BAD_TOKEN:
	case WERR_FORBIDDEN:
	case WERR_LICENCE:
	case WERR_NOT_ADMIN:
	case WERR_OUT_OF_REGION:
	case WERR_EMERG_OWNER:
	case WERR_BREAKGLASS_SCOPE:
		return 403;
	case WERR_CONFLICT:
	case WERR_GAP:
	case WERR_CONSULT_TAKEN:
	case WERR_CONSULT_STEP:
	case WERR_SLOT_TAKEN:
	case WERR_SLOT_OFFERED:
	case WERR_APPT_STATE:
	case WERR_WAIT_STATE:
		return 409;
	case WERR_NOT_FOUND:
	case WERR_NO_SLOT:
	case WERR_NO_ROSTER:
	case WERR_WAIT_UNKNOWN:
		return 404;
	case WERR_METHOD:
		return 405;
	case WERR_UNAVAILABLE:
	case WERR_FIGURES:
		return 503;
	case WERR_RESYNC:
		return 410;
	case WERR_OVER_QUOTA:
		return 507;
	case WERR_BREAKGLASS_RATE:
		return 429;
	case WERR_INTERNAL:
	default:
		return 500;
	}
}

void
req_error(
    struct request *req, enum wire_err code, const char *msg, long long detail)
{
	cbor_item_t *m = cborx_map(3);

	cborx_map_put(m, ERR_K_CODE, cborx_uint((uint64_t)code));
	cborx_map_put(m, ERR_K_MESSAGE, cborx_text(msg));
	if (detail >= 0)
		cborx_map_put(m, ERR_K_DETAIL, cborx_uint((uint64_t)detail));
	req_reply(req, m);
	req->status = wire_err_status(code);
	req->err = code;
}
