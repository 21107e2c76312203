/*
 * One sync run and enrolment (docs/PROTOCOL.md §3-§5).  Push reads the
 * outbox after the server's last acknowledged sequence and sends it in
 * batches sized in bytes: the first at most 128 KiB of CBOR (about 25 KiB
 * deflated, a few seconds at 50 kbit/s, so a short link window still
 * saves something and a clinic day usually goes in one request), then
 * sized to what the measured link carries in about 8 s, between 16 and
 * 256 KiB (under 64 KiB deflated) and never over 512 changes.  The
 * acknowledged high-water mark is stored after every batch, so a cut costs
 * at most the batch in flight, and the server makes re-sending it
 * harmless.  Attachments then go up by content hash in 64 KiB chunks,
 * each upload resuming from the bytes the server says it holds
 * (PROTOCOL.md §6).  Pull then applies pages until the server has nothing
 * more.
 *
 * Request sequences are reserved in blocks of 64 in the store before use,
 * so a crash never reuses one.  The private key and the pinned server key
 * live in the encrypted store only.
 */
#define LOG_MODULE "sync"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlcipher/sqlite3.h>

#include "cborx.h"
#include "clock.h"
#include "crypto.h"
#include "hlc.h"
#include "log.h"
#include "record.h"
#include "kiosk/store/store.h"
#include "str.h"
#include "sync.h"
#include "sync_int.h"
#include "uuid.h"
#include "xmalloc.h"

#define SYNC_MAX_CHANGES 512
#define SYNC_FIRST_BYTES (128 * 1024)
#define SYNC_MIN_BYTES (16 * 1024)
#define SYNC_MAX_BYTES (256 * 1024)
#define SYNC_TARGET_MS 8000
#define SYNC_SEQ_BLOCK 64

struct sync_run_ctx {
	struct store *s;
	struct sync_http http;
	uint64_t seq, reserved;
	size_t budget; /* bytes of CBOR for the next batch */
	size_t cap; /* OUTPOST_SYNC_BATCH_BYTES (tests), or 0 */
	struct sync_report *rep;
	char **cause;
};

static void sync_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sync_cause(char **cause, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	if (cause == NULL || *cause != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*cause = xstrdup(buf);
}

int
sync_state_text(struct store *s, const char *key, char **out)
{
	uint8_t *v;
	size_t len;
	int err;

	*out = NULL;
	if ((err = store_state_get(s, key, &v, &len)) != 0)
		return err;
	*out = xstrndup((const char *)v, len);
	free(v);
	return 0;
}

int
sync_state_u64(struct store *s, const char *key, uint64_t *val)
{
	long long v;
	char *t;
	int err;

	*val = 0;
	if ((err = sync_state_text(s, key, &t)) != 0)
		return err;
	err = str_to_ll(t, 0, INT64_MAX, &v) == 0 ? 0 : EINVAL;
	if (err == 0)
		*val = (uint64_t)v;
	free(t);
	return err;
}

int
sync_state_put_u64(struct store *s, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return store_state_put(s, key, buf, strlen(buf));
}

static int
sync_state_put_text(struct store *s, const char *key, const char *t)
{
	return store_state_put(s, key, t, strlen(t));
}

static int
sync_next_seq(struct sync_run_ctx *c, uint64_t *out)
{
	int err;

	if (c->seq >= c->reserved) {
		if ((err = sync_state_put_u64(
		         c->s, SYNC_K_SEQ, c->seq + SYNC_SEQ_BLOCK)) != 0)
			return err;
		c->reserved = c->seq + SYNC_SEQ_BLOCK;
	}
	*out = ++c->seq;
	return 0;
}

/* Describe a refusal from the server; returns the errno to report. */
static int
sync_refused(struct sync_run_ctx *c, const struct buf *resp)
{
	uint64_t detail, code = sync_err_code(resp, &detail);
	long st = c->http.status;

	switch (code) {
	case 3:
		sync_cause(c->cause,
		    "the server did not accept this kiosk's "
		    "signature; enrol it again");
		return EACCES;
	case 4:
		sync_cause(c->cause,
		    "the server does not know this kiosk; "
		    "enrol it again");
		return EACCES;
	case 5:
		sync_cause(c->cause,
		    "this kiosk was revoked by an "
		    "administrator; syncing has stopped");
		return EACCES;
	case 7:
		sync_cause(c->cause,
		    "the server holds different data for "
		    "records this kiosk sent; call support");
		return EEXIST;
	case 12:
	case 13:
		sync_cause(c->cause,
		    "the server is unavailable (HTTP %ld); "
		    "will retry",
		    st);
		return EAGAIN;
	default:
		sync_cause(c->cause,
		    "the server refused the request (HTTP %ld, "
		    "code %" PRIu64 ")",
		    st, code);
		return st >= 500 ? EAGAIN : EPROTO;
	}
}

static void
sync_link_cause(char **cause, int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
		sync_cause(cause, "no connection to the server; will retry");
		break;
	case ETIMEDOUT:
		sync_cause(
		    cause, "the link is too slow or stalled; will retry");
		break;
	case ECONNRESET:
		sync_cause(cause, "the connection dropped; will retry");
		break;
	case EPROTO:
		sync_cause(cause, "secure connection to the server failed");
		break;
	case EBADMSG:
		sync_cause(cause,
		    "an answer was not signed by this kiosk's "
		    "server; check the network");
		break;
	default:
		sync_cause(cause, "sync failed: %s", strerror(err));
	}
}

/* POST with a fresh sequence; retries once on a stale sequence. */
static int
sync_signed_post(struct sync_run_ctx *c, const char *path, const uint8_t *body,
    size_t len, struct buf *resp)
{
	uint64_t seq, detail;
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		if ((err = sync_next_seq(c, &seq)) != 0) {
			sync_cause(c->cause, "local storage failed");
			return err;
		}
		err = sync_http_post(
		    &c->http, path, body, len, seq, store_hlc_now(c->s), resp);
		if (err != 0) {
			sync_link_cause(c->cause, err);
			return err;
		}
		if (c->http.status == 401 &&
		    sync_err_code(resp, &detail) == 6 && detail != UINT64_MAX) {
			/* The server saw a later sequence (restored kiosk?). */
			log_info("request sequence behind the server's; "
			         "moving past %" PRIu64,
			    detail);
			c->seq = c->reserved = detail;
			buf_free(resp);
			continue;
		}
		return 0;
	}
	sync_cause(c->cause, "the server keeps refusing request numbers");
	return EPROTO;
}

static int
sync_push(struct sync_run_ctx *c)
{
	struct store_change *ch = NULL;
	struct buf resp;
	cbor_item_t *m, *arr, *e, *it;
	struct uuid u;
	uint64_t acked = 0, last = 0, hw, accepted, dups, detail, t0, dt;
	uint64_t wire0, wire;
	double next;
	uint8_t *body = NULL;
	size_t n = 0, i, len, used;
	int err;

	memset(&resp, 0, sizeof(resp));
	sync_state_u64(c->s, SYNC_K_ACKED, &acked);
	if ((err = store_outbox_last(c->s, &last)) != 0) {
		sync_cause(c->cause, "cannot read the outbox");
		return err;
	}
	while (acked < last) {
		if ((err = store_outbox_read(
		         c->s, acked, SYNC_MAX_CHANGES, &ch, &n)) != 0) {
			sync_cause(c->cause, "cannot read the outbox");
			return err;
		}
		if (n == 0)
			break;
		/* Take changes while the body stays under the byte cap. */
		used = 0;
		for (i = 0, len = 0; i < n; i++) {
			if (ch[i].seq != acked + 1 + i) {
				sync_cause(c->cause,
				    "the outbox has a gap "
				    "after %" PRIu64 "; run kiosk db check",
				    acked + i);
				err = EIO;
				goto out;
			}
			if (i > 0 && len + ch[i].len + 40 > c->budget)
				break;
			len += ch[i].len + 40;
			used++;
		}
		m = cborx_map(4);
		arr = cborx_array(used);
		for (i = 0; i < used; i++) {
			if (uuid_parse(ch[i].id, &u) != 0) {
				sync_cause(c->cause,
				    "outbox record %" PRIu64
				    " has a malformed id",
				    ch[i].seq);
				cbor_decref(&m);
				cbor_decref(&arr);
				err = EIO;
				goto out;
			}
			e = cborx_array(5);
			cborx_array_push(e, cborx_uint(ch[i].seq));
			cborx_array_push(e, cborx_uint((uint64_t)ch[i].entity));
			cborx_array_push(e, cborx_bytes(u.b, UUID_LEN));
			cborx_array_push(e, cborx_uint(ch[i].hlc));
			cborx_array_push(e, cborx_bytes(ch[i].body, ch[i].len));
			cborx_array_push(arr, e);
		}
		cborx_map_put(m, 1, cborx_uint(ch[0].seq));
		cborx_map_put(m, 2, cborx_uint(ch[used - 1].seq));
		cborx_map_put(m, 3, arr);
		cborx_map_put(m, 4, cborx_uint(last));
		err = cborx_encode(m, &body, &len);
		cbor_decref(&m);
		store_outbox_free(ch, n);
		ch = NULL;
		if (err != 0)
			goto out;
		t0 = clock_mono_ms();
		wire0 = c->http.bytes_up;
		err = sync_signed_post(c, "/v1/push", body, len, &resp);
		dt = clock_mono_ms() - t0;
		wire = c->http.bytes_up - wire0;
		free(body);
		body = NULL;
		if (err != 0) {
			/* A cut or a stall suggests a smaller batch next. */
			c->budget = c->budget / 2 < SYNC_MIN_BYTES
			    ? SYNC_MIN_BYTES
			    : c->budget / 2;
			goto out;
		}
		if (c->http.status == 409 &&
		    sync_err_code(&resp, &detail) == 8 &&
		    detail != UINT64_MAX) {
			log_warnx("server holds only up to %" PRIu64
			          "; re-sending from there",
			    detail);
			acked = detail;
			if ((err = sync_state_put_u64(
			         c->s, SYNC_K_ACKED, acked)) != 0)
				goto out;
			buf_free(&resp);
			continue;
		}
		if (c->http.status != 200) {
			err = sync_refused(c, &resp);
			goto out;
		}
		it = NULL;
		if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
		    cborx_map_uint(it, 1, &hw) != 0 ||
		    cborx_map_uint(it, 2, &accepted) != 0 ||
		    cborx_map_uint(it, 3, &dups) != 0 || hw < acked) {
			if (it != NULL)
				cbor_decref(&it);
			sync_cause(c->cause, "malformed answer to a push");
			err = EBADMSG;
			goto out;
		}
		cbor_decref(&it);
		acked = hw;
		if ((err = sync_state_put_u64(c->s, SYNC_K_ACKED, acked)) !=
		    0) {
			sync_cause(c->cause, "local storage failed");
			goto out;
		}
		if (c->rep != NULL) {
			c->rep->pushed += accepted;
			c->rep->dups += dups;
		}
		buf_free(&resp);
		/* What the link carried, in CBOR bytes, scaled to the target
		 * time; the measurement includes one round trip. */
		if (wire > 0) {
			next = (double)len * SYNC_TARGET_MS / (double)(dt + 1);
			if (next < SYNC_MIN_BYTES)
				next = SYNC_MIN_BYTES;
			if (next > SYNC_MAX_BYTES)
				next = SYNC_MAX_BYTES;
			c->budget = (size_t)next;
			if (c->cap > 0 && c->budget > c->cap)
				c->budget = c->cap;
		}
		if (acked >= last && store_outbox_last(c->s, &last) != 0)
			break;
	}
out:
	if (c->rep != NULL)
		c->rep->acked = acked;
	store_outbox_free(ch, n);
	free(body);
	buf_free(&resp);
	return err;
}

#define SYNC_BLOB_CHUNK (64 * 1024)

/* Upload one attachment's content, resuming from what the server holds. */
static int
sync_blob_one(struct sync_run_ctx *c, const char *id)
{
	struct buf resp;
	cbor_item_t *m, *it = NULL;
	uint8_t *data = NULL, *body = NULL, hash[CRYPTO_SHA256_LEN];
	uint64_t held = 0, prev;
	size_t len = 0, blen, n;
	int err, probe = 1;

	memset(&resp, 0, sizeof(resp));
	if ((err = store_attach_get(c->s, id, &data, &len)) != 0) {
		sync_cause(c->cause, "cannot read attachment %s", id);
		return err;
	}
	crypto_sha256(data, len, hash);
	for (;;) {
		n = probe ? 0
		          : (len - held < SYNC_BLOB_CHUNK ? len - held
		                                          : SYNC_BLOB_CHUNK);
		m = cborx_map(4);
		cborx_map_put(m, 1, cborx_bytes(hash, sizeof(hash)));
		cborx_map_put(m, 2, cborx_uint(len));
		cborx_map_put(m, 3, cborx_uint(held));
		cborx_map_put(m, 4, cborx_bytes(data + held, n));
		err = cborx_encode(m, &body, &blen);
		cbor_decref(&m);
		if (err != 0)
			break;
		err = sync_signed_post(c, "/v1/blob", body, blen, &resp);
		free(body);
		body = NULL;
		if (err != 0)
			break;
		if (c->http.status != 200) {
			err = sync_refused(c, &resp);
			break;
		}
		prev = held;
		if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
		    cborx_map_uint(it, 1, &held) != 0 || held > len ||
		    (!probe && held <= prev)) {
			sync_cause(c->cause, "malformed answer to an upload");
			err = EBADMSG;
			break;
		}
		cbor_decref(&it);
		it = NULL;
		buf_free(&resp);
		probe = 0;
		if (held == len)
			break;
	}
	if (it != NULL)
		cbor_decref(&it);
	buf_free(&resp);
	xfree_secret(data, len);
	return err;
}

/* Upload every attachment not yet marked as held by the server. */
static int
sync_blobs(struct sync_run_ctx *c)
{
	sqlite3 *db = store_db(c->s);
	sqlite3_stmt *st = NULL;
	char **ids = NULL;
	size_t n = 0, i;
	int rc, err = 0;

	if (sqlite3_prepare_v2(db,
	        "SELECT id FROM attachments WHERE id NOT IN"
	        " (SELECT id FROM sync_blobs) ORDER BY id",
	        -1, &st, NULL) != SQLITE_OK) {
		log_warnx("attachments: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sync_cause(c->cause, "cannot list attachments");
		return EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < n && err == 0; i++) {
		if ((err = sync_blob_one(c, ids[i])) != 0)
			break;
		if (sqlite3_prepare_v2(db,
		        "INSERT OR IGNORE INTO sync_blobs(id) VALUES(?)", -1,
		        &st, NULL) != SQLITE_OK) {
			err = EIO;
			break;
		}
		sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			err = EIO;
		sqlite3_finalize(st);
		st = NULL;
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return err;
}

static int
sync_pull(struct sync_run_ctx *c)
{
	struct buf resp;
	cbor_item_t *m, *it = NULL, *arr, *more;
	uint8_t *cursor = NULL, *body = NULL;
	const uint8_t *cp;
	size_t clen = 0, len;
	uint64_t n, applied;
	int err = 0, again = 1, pages = 0, resyncs = 0;

	memset(&resp, 0, sizeof(resp));
	if (store_state_get(c->s, SYNC_K_CURSOR, &cursor, &clen) != 0) {
		cursor = NULL;
		clen = 0;
	}
	while (again && pages++ < 100000) {
		m = cborx_map(2);
		cborx_map_put(
		    m, 1, cborx_bytes(cursor ? cursor : (uint8_t *)"", clen));
		cborx_map_put(m, 2, cborx_uint(500));
		err = cborx_encode(m, &body, &len);
		cbor_decref(&m);
		if (err != 0)
			goto out;
		err = sync_signed_post(c, "/v1/pull", body, len, &resp);
		free(body);
		body = NULL;
		if (err != 0)
			goto out;
		if (c->http.status == 410 && resyncs++ == 0) {
			log_info("server feed changed era; pulling again from "
			         "the start");
			free(cursor);
			cursor = NULL;
			clen = 0;
			buf_free(&resp);
			continue;
		}
		if (c->http.status != 200) {
			err = sync_refused(c, &resp);
			goto out;
		}
		if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
		    (arr = cborx_map_get(it, 1)) == NULL ||
		    cborx_map_bytes(it, 2, 64, &cp, &len) != 0 ||
		    (more = cborx_map_get(it, 3)) == NULL ||
		    cborx_get_bool(more, &again) != 0) {
			sync_cause(c->cause, "malformed answer to a pull");
			err = EBADMSG;
			goto out;
		}
		free(cursor);
		cursor = xmemdup(cp, len ? len : 1);
		clen = len;
		if ((err = sync_apply_page(
		         c->s, arr, cursor, clen, &n, &applied)) != 0) {
			sync_cause(c->cause, "storing pulled records failed");
			goto out;
		}
		if (c->rep != NULL) {
			c->rep->pulled += n;
			c->rep->applied += applied;
		}
		cbor_decref(&it);
		it = NULL;
		buf_free(&resp);
	}
	if (c->rep != NULL && c->rep->applied > 0)
		store_audit(c->s, "sync-pull", NULL, NULL, "records merged");
out:
	if (it != NULL)
		cbor_decref(&it);
	free(cursor);
	free(body);
	buf_free(&resp);
	return err;
}

/* Load URL, keys and node id from the store into C->http. */
static int
sync_load(struct sync_run_ctx *c)
{
	uint8_t *v = NULL;
	size_t len;
	char *url = NULL, *ca = NULL;
	uint64_t node;
	int err;

	if (sync_state_text(c->s, SYNC_K_URL, &url) != 0 ||
	    sync_state_u64(c->s, SYNC_K_NODE, &node) != 0 || node == 0) {
		free(url);
		sync_cause(c->cause,
		    "this kiosk is not enrolled with a sync "
		    "server (kiosk enroll)");
		return ENOTCONN;
	}
	sync_state_text(c->s, SYNC_K_CA, &ca);
	err = sync_http_init(&c->http, url, ca);
	free(url);
	free(ca);
	if (err != 0)
		return err;
	c->http.node = node;
	if (store_state_get(c->s, SYNC_K_PRIV, &v, &len) != 0 || len != 32) {
		free(v);
		sync_cause(c->cause, "the kiosk's sync key is missing");
		return ENOTCONN;
	}
	memcpy(c->http.priv, v, 32);
	xfree_secret(v, len);
	v = NULL;
	if (store_state_get(c->s, SYNC_K_SERVER_PUB, &v, &len) != 0 ||
	    len != 32) {
		free(v);
		sync_cause(c->cause, "the pinned server key is missing");
		return ENOTCONN;
	}
	memcpy(c->http.server_pub, v, 32);
	c->http.pinned = 1;
	free(v);
	sync_state_u64(c->s, SYNC_K_SEQ, &c->reserved);
	c->seq = c->reserved;
	return 0;
}

int
sync_run(struct store *s, struct sync_report *rep, char **cause)
{
	struct sync_run_ctx c;
	struct sync_report local;
	uint64_t t0 = clock_mono_ms();
	const char *env;
	long long cap;
	char *why = NULL;
	int err;

	memset(&c, 0, sizeof(c));
	memset(&local, 0, sizeof(local));
	c.s = s;
	c.rep = rep != NULL ? rep : &local;
	memset(c.rep, 0, sizeof(*c.rep));
	c.cause = &why;
	c.budget = SYNC_FIRST_BYTES;
	/* Tests shrink batches to put cuts between them; never in use. */
	if ((env = getenv("OUTPOST_SYNC_BATCH_BYTES")) != NULL &&
	    str_to_ll(env, 256, SYNC_MAX_BYTES, &cap) == 0) {
		c.cap = (size_t)cap;
		c.budget = c.cap;
	}
	if ((err = sync_load(&c)) == 0 && (err = sync_push(&c)) == 0 &&
	    (err = sync_blobs(&c)) == 0)
		err = sync_pull(&c);
	c.rep->requests = c.http.requests;
	c.rep->bytes_up = c.http.bytes_up;
	c.rep->bytes_down = c.http.bytes_down;
	c.rep->elapsed_ms = clock_mono_ms() - t0;
	sync_http_free(&c.http);
	if (err == 0) {
		sync_state_put_u64(s, SYNC_K_LAST_OK, hlc_wall_ms());
		sync_state_put_text(s, SYNC_K_LAST_ERR, "");
	} else if (err == EINTR) {
		log_info("sync interrupted: the kiosk locked or quit");
	} else {
		sync_state_put_text(
		    s, SYNC_K_LAST_ERR, why ? why : strerror(err));
		log_info("sync failed: %s", strerror(err));
	}
	if (cause != NULL && err != 0) {
		*cause = why;
		why = NULL;
	}
	free(why);
	return err;
}

int
sync_enroll(struct store *s, const char *url, const char *token,
    const char *ca_pem, char **cause)
{
	struct sync_http h;
	struct buf resp;
	cbor_item_t *m, *it = NULL;
	uint8_t priv[32], pub[32], *body = NULL;
	const uint8_t *spub;
	size_t len, slen;
	uint64_t node;
	char *region = NULL, *role = NULL;
	int err;

	memset(&resp, 0, sizeof(resp));
	if ((err = sync_http_init(&h, url, ca_pem)) != 0)
		return err;
	if ((err = crypto_ed25519_keygen(priv, pub)) != 0)
		goto out;
	m = cborx_map(4);
	cborx_map_put(m, 1, cborx_text(token));
	cborx_map_put(m, 2, cborx_bytes(pub, 32));
	cborx_map_put(m, 3, cborx_text(store_node_id(s)));
	cborx_map_put(m, 4, cborx_uint(store_hlc_now(s)));
	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	if (err != 0)
		goto out;
	if ((err = sync_http_post(&h, "/v1/enroll", body, len, 0, 0, &resp)) !=
	    0) {
		sync_link_cause(cause, err);
		goto out;
	}
	if (h.status != 200) {
		sync_cause(cause,
		    sync_err_code(&resp, NULL) == 11
		        ? "the server refused the token (unknown, used or "
		          "expired)"
		        : "the server refused the enrolment");
		err = EACCES;
		goto out;
	}
	if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
	    cborx_map_uint(it, 1, &node) != 0 || node == 0 ||
	    cborx_map_bytes(it, 2, 32, &spub, &slen) != 0 || slen != 32 ||
	    cborx_map_text(it, 3, 63, &region) != 0 ||
	    cborx_map_text(it, 5, 63, &role) != 0) {
		sync_cause(cause, "malformed answer from the server");
		err = EBADMSG;
		goto out;
	}
	/* One transaction would be nicer; each put is idempotent, and the
	 * node id goes last so a half-stored enrolment reads as "not
	 * enrolled". */
	if ((err = sync_state_put_text(s, SYNC_K_URL, url)) != 0 ||
	    (err = store_state_put(s, SYNC_K_PRIV, priv, 32)) != 0 ||
	    (err = store_state_put(s, SYNC_K_SERVER_PUB, spub, 32)) != 0 ||
	    (err = sync_state_put_text(s, SYNC_K_REGION, region)) != 0 ||
	    (err = sync_state_put_text(s, SYNC_K_ROLE, role)) != 0 ||
	    (err = sync_state_put_u64(s, SYNC_K_ACKED, 0)) != 0 ||
	    (err = sync_state_put_u64(s, SYNC_K_SEQ, 0)) != 0 ||
	    (err = store_state_put(s, SYNC_K_CURSOR, "", 0)) != 0 ||
	    (ca_pem != NULL &&
	        (err = sync_state_put_text(s, SYNC_K_CA, ca_pem)) != 0) ||
	    (err = sync_state_put_u64(s, SYNC_K_NODE, node)) != 0) {
		sync_cause(cause, "cannot store the enrolment");
		goto out;
	}
	store_audit(s, "enrol", NULL, NULL, "enrolled with sync server");
	log_info("enrolled as node %" PRIu64, node);
out:
	if (it != NULL)
		cbor_decref(&it);
	explicit_bzero(priv, sizeof(priv));
	free(region);
	free(role);
	free(body);
	buf_free(&resp);
	sync_http_free(&h);
	return err;
}

int
sync_status_get(struct store *s, struct sync_status *st)
{
	char *t = NULL;
	int err;

	memset(st, 0, sizeof(*st));
	if ((err = store_outbox_last(s, &st->outbox_last)) != 0)
		return err;
	st->enrolled = sync_state_u64(s, SYNC_K_NODE, &st->node_id) == 0 &&
	    st->node_id != 0;
	sync_state_u64(s, SYNC_K_ACKED, &st->acked);
	sync_state_u64(s, SYNC_K_LAST_OK, &st->last_ok_ms);
	st->pending =
	    st->outbox_last > st->acked ? st->outbox_last - st->acked : 0;
	if (sync_state_text(s, SYNC_K_URL, &t) == 0)
		str_lcpy(st->url, t, sizeof(st->url));
	free(t);
	if (sync_state_text(s, SYNC_K_REGION, &t) == 0)
		str_lcpy(st->region, t, sizeof(st->region));
	free(t);
	if (sync_state_text(s, SYNC_K_LAST_ERR, &t) == 0)
		str_lcpy(st->last_error, t, sizeof(st->last_error));
	free(t);
	return 0;
}

void
sync_status_line(
    const struct sync_status *st, uint64_t now_ms, char *out, size_t len)
{
	char age[32], pend[48];
	uint64_t s;

	if (!st->enrolled) {
		snprintf(out, len, "Sync: not set up");
		return;
	}
	if (st->last_ok_ms == 0)
		snprintf(age, sizeof(age), "never synced");
	else {
		s = now_ms > st->last_ok_ms ? (now_ms - st->last_ok_ms) / 1000
		                            : 0;
		if (s < 120)
			snprintf(age, sizeof(age), "last %" PRIu64 " s ago", s);
		else if (s < 7200)
			snprintf(age, sizeof(age), "last %" PRIu64 " min ago",
			    s / 60);
		else if (s < 172800)
			snprintf(age, sizeof(age), "last %" PRIu64 " h ago",
			    s / 3600);
		else
			snprintf(age, sizeof(age), "last %" PRIu64 " days ago",
			    s / 86400);
	}
	if (st->pending == 0)
		snprintf(pend, sizeof(pend), "all sent");
	else
		snprintf(
		    pend, sizeof(pend), "%" PRIu64 " waiting", st->pending);
	if (st->last_error[0] != '\0')
		snprintf(
		    out, len, "Sync: %s, %s: %s", pend, age, st->last_error);
	else
		snprintf(out, len, "Sync: %s, %s", pend, age);
}
