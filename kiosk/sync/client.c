/*
 * One sync run and enrolment (docs/PROTOCOL.md §3-§5).  Push reads the
 * outbox after the server's last acknowledged sequence and sends it in
 * batches sized in bytes: the first at most 128 KiB of CBOR (about 25 KiB
 * deflated, a few seconds at 50 kbit/s, so a short link window still
 * saves something; a 60-visit day with its forms, about 150 KiB, takes
 * two), then
 * sized to what the measured link carries in about 8 s, between 16 and
 * 256 KiB (under 64 KiB deflated) and never over 512 changes, or within
 * the lower limits the server announced at enrolment (state.c).  The
 * acknowledged high-water mark is stored after every batch, so a cut costs
 * at most the batch in flight, and the server makes re-sending it
 * harmless.  Attachments then go up by content hash in 64 KiB chunks,
 * each upload resuming from the bytes the server says it holds
 * (PROTOCOL.md §6).  Pull then applies pages, of the size the server
 * announced, until the server has nothing more; the first page's request
 * carries the licence, roster, queue and audit requests (§5.4).
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

#include "book.h"
#include "cborx.h"
#include "etoken.h"
#include "figures.h"
#include "clock.h"
#include "crypto.h"
#include "hlc.h"
#include "i18n.h"
#include "log.h"
#include "record.h"
#include "kiosk/store/emergency.h"
#include "kiosk/store/licstore.h"
#include "kiosk/store/store.h"
#include "kiosk/store/syncstate.h"
#include "protocol.h"
#include "str.h"
#include "sync.h"
#include "sync_int.h"
#include "uuid.h"
#include "xmalloc.h"

/* Defaults and caps; the server's limits (struct sync_limits) may lower
 * the maximum sizes. */
#define SYNC_MAX_CHANGES PROTO_PUSH_MAX_CHANGES
#define SYNC_FIRST_BYTES (128 * 1024)
#define SYNC_MIN_BYTES (16 * 1024)
#define SYNC_MAX_BYTES PROTO_PUSH_MAX_BYTES
#define SYNC_TARGET_MS 8000
#define SYNC_SEQ_BLOCK 64

struct sync_run_ctx {
	struct store *s;
	struct sync_http http;
	uint64_t seq, reserved;
	size_t budget; /* bytes of CBOR for the next batch */
	size_t cap; /* OUTPOST_SYNC_BATCH_BYTES (tests), or 0 */
	size_t min_bytes, max_bytes; /* budget bounds, within the server's */
	struct sync_limits lim;
	const int *cancel; /* the caller's, passed down to http.c */
	struct sync_report *rep;
	char **cause;
	int also_missing; /* the server answered no companions (§5.4) */
	int anchor_done; /* the pull's companion anchored the audit log */
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
	case WERR_BAD_SIGNATURE:
		sync_cause(c->cause,
		    "the server did not accept this kiosk's "
		    "signature; enrol it again");
		return EACCES;
	case WERR_UNKNOWN_NODE:
		sync_cause(c->cause,
		    "the server does not know this kiosk; "
		    "enrol it again");
		return EACCES;
	case WERR_REVOKED:
		sync_cause(c->cause,
		    "this kiosk was revoked by an "
		    "administrator; syncing has stopped");
		return EACCES;
	case WERR_CLOCK_AHEAD:
		/* Our clock is back within the bound (sync_signed_post) and
		 * sync_push already stamped the refused changes again. */
		if (detail <= INT64_MAX &&
		    HLC_MS(store_hlc_now(c->s)) <=
		        HLC_MS(detail) + HLC_MAX_AHEAD_MS)
			sync_cause(c->cause,
			    "records saved while this kiosk's clock was "
			    "wrong are still refused after being stamped "
			    "again; call support");
		else
			sync_cause(c->cause,
			    "this kiosk's date or time is later than the "
			    "server's; set the correct date and time, then "
			    "sync again");
		return ERANGE;
	case WERR_CONFLICT:
		sync_cause(c->cause,
		    "the server holds different data for "
		    "records this kiosk sent; call support");
		return EEXIST;
	case WERR_OVER_QUOTA:
		sync_cause(c->cause,
		    "the server's attachment space for this kiosk is full: "
		    "records still sync, attachments wait; tell the "
		    "administrator");
		return EDQUOT;
	case WERR_INTERNAL:
	case WERR_UNAVAILABLE:
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
	case EMSGSIZE:
		sync_cause(cause,
		    "the server's answer was larger than a kiosk accepts "
		    "(over 1 MiB or 8192 items) and was refused; check the "
		    "server address, or call support");
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
		    sync_err_code(resp, &detail) == WERR_STALE_REQUEST &&
		    detail != UINT64_MAX) {
			/* The server saw a later sequence (restored kiosk?). */
			log_info("request sequence behind the server's; "
			         "moving past %" PRIu64,
			    detail);
			c->seq = c->reserved = detail;
			buf_free(resp);
			continue;
		}
		if (c->http.status == 400 &&
		    sync_err_code(resp, &detail) == WERR_CLOCK_AHEAD &&
		    detail != UINT64_MAX && detail <= INT64_MAX) {
			/* The server's time, signed: a poisoned clock comes
			 * back to it; a wall clock ahead is the user's to set. */
			if ((err = store_hlc_recover(c->s, detail)) == 0) {
				store_audit(c->s, "sync-clock", NULL, NULL,
				    "clock reset to the server's time");
				buf_free(resp);
				continue;
			}
			if (err != ERANGE) {
				sync_cause(c->cause, "local storage failed");
				return err;
			}
		}
		return 0;
	}
	sync_cause(c->cause, "the server keeps refusing request numbers");
	return EPROTO;
}

/*
 * The refused list of a push answer (docs/PROTOCOL.md §4.1): each refused
 * change gets an audit entry, the count and the latest reason are kept
 * for `kiosk sync status` and the home screen.  The batch itself was
 * acknowledged: the outbox moves on.
 */
static int
sync_push_refused(struct sync_run_ctx *c, const cbor_item_t *answer)
{
	cbor_item_t *arr = cborx_map_get(answer, PUSHED_K_REFUSED), **r;
	const char *entity;
	char id[UUID_STRLEN + 1], *why = NULL, msg[256];
	uint64_t seq, code, total = 0;
	size_t i, n;
	int err = 0;

	if (arr == NULL)
		return 0;
	if (!cbor_isa_array(arr))
		return EBADMSG;
	n = cbor_array_size(arr);
	r = cbor_array_handle(arr);
	sync_state_u64(c->s, SYNC_K_REFUSED_N, &total);
	for (i = 0; i < n && err == 0; i++) {
		cbor_item_t **f;

		if (!cbor_isa_array(r[i]) ||
		    cbor_array_size(r[i]) != PUSHED_R_COUNT)
			return EBADMSG;
		f = cbor_array_handle(r[i]);
		if (cborx_get_uint(f[PUSHED_R_SEQ], &seq) != 0 ||
		    cborx_get_uint(f[PUSHED_R_CODE], &code) != 0 ||
		    cborx_get_text(f[PUSHED_R_MESSAGE], 200, &why) != 0)
			return EBADMSG;
		log_warnx("outbox change %" PRIu64
		          " refused by the server (code %" PRIu64 ")",
		    seq, code);
		err =
		    store_sync_refused(c->s, seq, (int)code, why, &entity, id);
		if (err == ENOENT)
			err = 0;
		if (code == WERR_CONSULT_TAKEN || code == WERR_CONSULT_STEP)
			snprintf(msg, sizeof(msg),
			    "consult %s: %s; it was not changed here", id, why);
		else if (code == WERR_LICENCE)
			snprintf(msg, sizeof(msg),
			    "consult %s: the server refused it: %s", id, why);
		else if (code == WERR_RX_BLOCKED || code == WERR_RX_OVERRIDE ||
		    code == WERR_RX_INVALID)
			snprintf(msg, sizeof(msg),
			    "prescription %s refused by the server's safety "
			    "checks: %s; it did not reach the patient, write "
			    "it again",
			    id, why);
		else
			snprintf(msg, sizeof(msg),
			    "the server refused %s %s (%s): %s; ask the "
			    "facility administrator",
			    entity, id,
			    code == WERR_FORBIDDEN
			        ? "not allowed from this kiosk"
			        : "does not fit the record model",
			    why);
		free(why);
		why = NULL;
		total++;
		if (c->rep != NULL)
			c->rep->refused++;
	}
	if (err == 0 && n > 0 &&
	    ((err = sync_state_put_u64(c->s, SYNC_K_REFUSED_N, total)) != 0 ||
	        (err = sync_state_put_text(c->s, SYNC_K_REFUSED, msg)) != 0))
		return err;
	return err;
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
	size_t n = 0, i, len, used, nre;
	int err, restamped = 0;

	memset(&resp, 0, sizeof(resp));
	sync_state_u64(c->s, SYNC_K_ACKED, &acked);
	if ((err = store_outbox_last(c->s, &last)) != 0) {
		sync_cause(c->cause, "cannot read the outbox");
		return err;
	}
	while (acked < last) {
		if ((err = store_outbox_read(
		         c->s, acked, c->lim.push_changes, &ch, &n)) != 0) {
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
			e = cborx_array(PUSH_C_COUNT);
			cborx_array_push(e, cborx_uint(ch[i].seq));
			cborx_array_push(e, cborx_uint((uint64_t)ch[i].entity));
			cborx_array_push(e, cborx_bytes(u.b, UUID_LEN));
			cborx_array_push(e, cborx_uint(ch[i].hlc));
			cborx_array_push(e, cborx_bytes(ch[i].body, ch[i].len));
			cborx_array_push(arr, e);
		}
		cborx_map_put(m, PUSH_K_FIRST, cborx_uint(ch[0].seq));
		cborx_map_put(m, PUSH_K_LAST, cborx_uint(ch[used - 1].seq));
		cborx_map_put(m, PUSH_K_CHANGES, arr);
		cborx_map_put(m, PUSH_K_OUTBOX_LAST, cborx_uint(last));
		err = cborx_encode(m, &body, &len);
		cbor_decref(&m);
		store_outbox_free(ch, n);
		ch = NULL;
		if (err != 0)
			goto out;
		t0 = clock_mono_ms();
		wire0 = c->http.bytes_up;
		err = sync_signed_post(c, PROTO_PATH_PUSH, body, len, &resp);
		dt = clock_mono_ms() - t0;
		wire = c->http.bytes_up - wire0;
		free(body);
		body = NULL;
		if (err != 0) {
			/* A cut or a stall suggests a smaller batch next. */
			c->budget = c->budget / 2 < c->min_bytes
			    ? c->min_bytes
			    : c->budget / 2;
			goto out;
		}
		if (c->http.status == 409 &&
		    sync_err_code(&resp, &detail) == WERR_GAP &&
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
		if (c->http.status == 413 &&
		    sync_err_code(&resp, NULL) == WERR_TOO_LARGE && used > 1) {
			/* The server's limit went down after enrolment:
			 * halve the batch until it fits, and keep that. */
			c->lim.push_changes = used / 2;
			log_info("server refused %zu changes in one push; "
			         "sending at most %zu",
			    used, c->lim.push_changes);
			if ((err = sync_state_put_u64(c->s, SYNC_K_PUSH_CHANGES,
			         c->lim.push_changes)) != 0) {
				sync_cause(c->cause, "local storage failed");
				goto out;
			}
			buf_free(&resp);
			continue;
		}
		if (c->http.status == 400 && !restamped &&
		    sync_err_code(&resp, &detail) == WERR_CLOCK_AHEAD &&
		    detail <= INT64_MAX &&
		    HLC_MS(store_hlc_now(c->s)) <=
		        HLC_MS(detail) + HLC_MAX_AHEAD_MS) {
			/* Our clock is sane again (sync_signed_post), so these
			 * changes were stamped while it was poisoned: stamp
			 * them again, once per run, and re-send. */
			restamped = 1;
			if ((err = store_outbox_restamp(c->s, acked,
			         HLC_MS(detail) + HLC_MAX_AHEAD_MS, &nre)) !=
			    0) {
				sync_cause(c->cause, "local storage failed");
				goto out;
			}
			if (nre > 0) {
				log_warnx("%zu records stamped while the clock "
				          "was wrong were stamped again",
				    nre);
				store_audit(c->s, "sync-clock", NULL, NULL,
				    "records saved while the clock was wrong "
				    "stamped again");
				buf_free(&resp);
				continue;
			}
		}
		if (c->http.status != 200) {
			err = sync_refused(c, &resp);
			goto out;
		}
		it = NULL;
		if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
		    cborx_map_uint(it, PUSHED_K_HW, &hw) != 0 ||
		    cborx_map_uint(it, PUSHED_K_ACCEPTED, &accepted) != 0 ||
		    cborx_map_uint(it, PUSHED_K_DUPS, &dups) != 0 ||
		    hw < acked) {
			if (it != NULL)
				cbor_decref(&it);
			sync_cause(c->cause, "malformed answer to a push");
			err = EBADMSG;
			goto out;
		}
		err = sync_push_refused(c, it);
		cbor_decref(&it);
		if (err != 0) {
			sync_cause(c->cause,
			    err == EBADMSG ? "malformed answer to a push"
			                   : "local storage failed");
			goto out;
		}
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
			if (next < (double)c->min_bytes)
				next = (double)c->min_bytes;
			if (next > (double)c->max_bytes)
				next = (double)c->max_bytes;
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

static int sync_load(struct sync_run_ctx *);

/* Requests per run for the audit anchor (each up to AUDIT_MAX_ENTRIES
 * entries): a kiosk far behind catches up over a few runs. */
#define SYNC_ANCHOR_ROUNDS 8

/* The audit request: the entries past ANCHORED (the first time, only the
 * newest: the server takes it as the first anchor, or says where its
 * anchor is) into *BODY, and the node's newest entry into *HEAD.
 * ENOENT: nothing new to send. */
static int
sync_anchor_req(struct sync_run_ctx *c, uint64_t anchored, uint8_t **body,
    size_t *len, uint64_t *head)
{
	struct store_audit_entry *e = NULL;
	cbor_item_t *m, *arr;
	uint64_t first;
	size_t n = 0, i;
	int err;

	if (store_audit_entries(c->s, 0, 0, &e, &n, head) != 0 || *head == 0 ||
	    anchored == *head)
		return ENOENT;
	first = anchored != 0 && anchored < *head ? anchored + 1 : *head;
	if ((err = store_audit_entries(
	         c->s, first, AUDIT_MAX_ENTRIES, &e, &n, head)) != 0 ||
	    n == 0) {
		log_warnx("audit anchor: cannot read the audit log");
		return err ? err : EIO;
	}
	m = cborx_map(3);
	arr = cborx_array(n);
	for (i = 0; i < n; i++)
		cborx_array_push(arr, cborx_bytes(e[i].cbor, e[i].len));
	cborx_map_put(m, AUDITREQ_K_FIRST, cborx_uint(first));
	cborx_map_put(m, AUDITREQ_K_ENTRIES, arr);
	cborx_map_put(m, AUDITREQ_K_HEAD, cborx_uint(*head));
	store_audit_entries_free(e, n);
	err = cborx_encode(m, body, len);
	cbor_decref(&m);
	return err;
}

/* The answer to it: 0 with *ANCHORED at the server's anchor now, or
 * nonzero when this run sends no more (a failure, an older server
 * without the route, or a break: audited here). */
static int
sync_anchor_got(struct sync_run_ctx *c, long status, const uint8_t *data,
    size_t len, uint64_t *anchored)
{
	cbor_item_t *it = NULL;
	uint64_t st, seq;

	if (status != 200) {
		/* an older server (not_found) or a failure: next run */
		log_info("audit anchor not sent (HTTP %ld)", status);
		return EAGAIN;
	}
	if (cborx_decode(data, len, len, &it) != 0 ||
	    cborx_map_uint(it, AUDIT_K_STATUS, &st) != 0 ||
	    cborx_map_uint(it, AUDIT_K_SEQ, &seq) != 0) {
		if (it != NULL)
			cbor_decref(&it);
		log_warnx("audit anchor: malformed answer");
		return EBADMSG;
	}
	cbor_decref(&it);
	if (st == AUDIT_S_BREAK) {
		log_warnx("the server finds this kiosk's audit log no "
		          "longer extends the anchor at entry %" PRIu64,
		    seq);
		store_audit(c->s, "audit-anchor-break", NULL, NULL,
		    "the server's anchor is not in this audit chain");
		return EPERM;
	}
	*anchored = seq;
	return sync_state_put_u64(c->s, SYNC_K_ANCHOR, seq);
}

/* Send the audit entries past the server's anchor (docs/PROTOCOL.md §14,
 * issue 17), in rounds.  A failure or a break is logged and audited,
 * never the sync's: nothing else waits on it. */
static void
sync_anchor(struct sync_run_ctx *c)
{
	struct buf resp;
	uint64_t anchored = 0, head;
	uint8_t *body = NULL;
	size_t len;
	int round, err;

	memset(&resp, 0, sizeof(resp));
	sync_state_u64(c->s, SYNC_K_ANCHOR, &anchored);
	for (round = 0; round < SYNC_ANCHOR_ROUNDS; round++) {
		if (sync_anchor_req(c, anchored, &body, &len, &head) != 0)
			return;
		err = sync_signed_post(c, PROTO_PATH_AUDIT, body, len, &resp);
		free(body);
		body = NULL;
		err = sync_anchor_got(c, err ? 0 : c->http.status, resp.data,
		    resp.len, &anchored);
		buf_free(&resp);
		if (err != 0)
			return;
	}
}

/*
 * Send the map M (consumed) to PATH as C's signed request, into RESP.  A
 * refusal with CODE or WERR_BREAKGLASS_SCOPE is said in the server's
 * words (EACCES), as is the search limit's (EDQUOT, the wait in seconds
 * into *WAIT_S); another is sync_refused's.
 */
static int
bg_post(struct sync_run_ctx *c, const char *path, cbor_item_t *m, uint64_t code,
    struct buf *resp, uint64_t *wait_s, char **why)
{
	cbor_item_t *it = NULL;
	uint8_t *body = NULL;
	char *msg = NULL;
	uint64_t got, detail = 0;
	size_t len = 0;
	int err;

	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	if (err != 0)
		return err;
	err = sync_signed_post(c, path, body, len, resp);
	xfree_secret(body, len);
	if (err != 0 || c->http.status == 200)
		return err;
	got = sync_err_code(resp, &detail);
	if ((got == code || got == WERR_BREAKGLASS_SCOPE ||
	        got == WERR_BREAKGLASS_RATE) &&
	    cborx_decode(resp->data, resp->len, resp->len, &it) == 0 &&
	    cborx_map_text(it, ERR_K_MESSAGE, 256, &msg) == 0) {
		sync_cause(why, "the server refused: %s", msg);
		err = got == WERR_BREAKGLASS_RATE ? EDQUOT : EACCES;
		if (wait_s != NULL)
			*wait_s = got == WERR_BREAKGLASS_RATE ? detail : 0;
	} else
		err = sync_refused(c, resp);
	if (it != NULL)
		cbor_decref(&it);
	free(msg);
	return err;
}

int
sync_breakglass(
    struct store *s, const char *patient_id, const char *reason, char **cause)
{
	struct sync_run_ctx c;
	struct uuid u;
	struct buf resp;
	cbor_item_t *m;
	char *why = NULL;
	int err;

	*cause = NULL;
	memset(&resp, 0, sizeof(resp));
	if (uuid_parse(patient_id, &u) != 0) {
		*cause = xstrdup("that is not a patient id");
		return EINVAL;
	}
	if (reason == NULL || strlen(reason) < BREAKGLASS_REASON_MIN) {
		*cause = xstrdup("write why you open this patient (at least "
		                 "10 letters)");
		return EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.cause = &why;
	sync_limits_get(s, &c.lim);
	if ((err = sync_load(&c)) != 0)
		goto out;
	m = cborx_map(3);
	cborx_map_put(m, BREAKGLASS_K_PATIENT, cborx_bytes(u.b, UUID_LEN));
	cborx_map_put(m, BREAKGLASS_K_REASON, cborx_text(reason));
	cborx_map_put(m, BREAKGLASS_K_USER,
	    cborx_text(store_actor(s) != NULL ? store_actor(s) : "system"));
	if ((err = bg_post(&c, PROTO_PATH_BREAKGLASS, m, WERR_BREAKGLASS_REASON,
	         &resp, NULL, &why)) != 0)
		goto out;
	/* the reason may name the patient: the audit entry does not carry it */
	err = store_audit(s, "breakglass", "patient", patient_id,
	    "opened outside this facility's scope, reason given");
	if (err != 0)
		sync_cause(&why,
		    "recorded on the server, but not in this "
		    "kiosk's audit log");
out:
	buf_free(&resp);
	sync_http_free(&c.http);
	if (err != 0 && why == NULL)
		sync_link_cause(&why, err);
	if (err != 0)
		*cause = why;
	else
		free(why);
	return err;
}

void
sync_bg_found_free(struct sync_bg_found *f, size_t n)
{
	size_t i;

	for (i = 0; f != NULL && i < n; i++) {
		free(f[i].given);
		free(f[i].family);
		free(f[i].sex);
		free(f[i].village);
		free(f[i].facility);
	}
	free(f);
}

/* The answer's patients into *OUT (BGSEARCH_K_FOUND). */
static int
sync_bg_found_read(
    const cbor_item_t *m, struct sync_bg_found **out, size_t *n, int *more)
{
	cbor_item_t *arr = cborx_map_get(m, BGSEARCH_K_FOUND), *p;
	struct sync_bg_found *f;
	const uint8_t *id;
	struct uuid u;
	size_t i, len, cnt;

	if (arr == NULL || !cbor_isa_array(arr))
		return EBADMSG;
	cnt = cbor_array_size(arr);
	if (cnt > BGSEARCH_MAX)
		return EBADMSG;
	*more = 0;
	cborx_get_bool(cborx_map_get(m, BGSEARCH_K_MORE), more);
	*out = xcalloc(cnt ? cnt : 1, sizeof(**out));
	for (i = 0; i < cnt; i++) {
		f = &(*out)[i];
		p = cbor_array_get(arr, i);
		if (p == NULL || !cbor_isa_map(p) ||
		    cborx_map_bytes(p, BGS_P_ID, 16, &id, &len) != 0 ||
		    len != 16 ||
		    cborx_map_text(p, BGS_P_GIVEN, 256, &f->given) != 0 ||
		    cborx_map_text(p, BGS_P_FAMILY, 256, &f->family) != 0 ||
		    cborx_map_uint(p, BGS_P_BIRTH_YEAR, &f->birth_year) != 0 ||
		    cborx_map_text(p, BGS_P_SEX, 32, &f->sex) != 0 ||
		    cborx_map_text(p, BGS_P_VILLAGE, 256, &f->village) != 0 ||
		    cborx_map_text(p, BGS_P_FACILITY, 256, &f->facility) != 0) {
			if (p != NULL)
				cbor_decref(&p);
			sync_bg_found_free(*out, i + 1);
			*out = NULL;
			return EBADMSG;
		}
		cbor_decref(&p);
		memcpy(u.b, id, 16);
		uuid_format(&u, f->id);
	}
	*n = cnt;
	return 0;
}

int
sync_breakglass_search(struct store *s, const char *query,
    struct sync_bg_found **out, size_t *n, int *more, uint64_t *wait_s,
    char **cause)
{
	struct sync_run_ctx c;
	struct buf resp;
	cbor_item_t *m, *it = NULL;
	char *why = NULL;
	int err;

	*cause = NULL;
	*out = NULL;
	*n = 0;
	*more = 0;
	memset(&resp, 0, sizeof(resp));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.cause = &why;
	sync_limits_get(s, &c.lim);
	if ((err = sync_load(&c)) != 0)
		goto out;
	m = cborx_map(2);
	cborx_map_put(m, BGSEARCH_K_QUERY, cborx_text(query));
	cborx_map_put(m, BGSEARCH_K_USER,
	    cborx_text(store_actor(s) != NULL ? store_actor(s) : "system"));
	if ((err = bg_post(&c, PROTO_PATH_BREAKGLASS_SEARCH, m,
	         WERR_BREAKGLASS_QUERY, &resp, wait_s, &why)) != 0)
		goto out;
	if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
	    !cbor_isa_map(it) || sync_bg_found_read(it, out, n, more) != 0) {
		sync_cause(&why, "the server's answer is not a search's");
		err = EBADMSG;
		goto out;
	}
	/* the words may name a patient: the audit entry does not carry them */
	store_audit(
	    s, "breakglass-search", "patient", NULL, "searched the region");
out:
	if (it != NULL)
		cbor_decref(&it);
	buf_free(&resp);
	sync_http_free(&c.http);
	if (err != 0 && why == NULL)
		sync_link_cause(&why, err);
	if (err != 0)
		*cause = why;
	else
		free(why);
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
		cborx_map_put(m, BLOB_K_HASH, cborx_bytes(hash, sizeof(hash)));
		cborx_map_put(m, BLOB_K_TOTAL, cborx_uint(len));
		cborx_map_put(m, BLOB_K_OFFSET, cborx_uint(held));
		cborx_map_put(m, BLOB_K_CHUNK, cborx_bytes(data + held, n));
		err = cborx_encode(m, &body, &blen);
		cbor_decref(&m);
		if (err != 0)
			break;
		err = sync_signed_post(c, PROTO_PATH_BLOB, body, blen, &resp);
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
		    cborx_map_uint(it, BLOBBED_K_HELD, &held) != 0 ||
		    held > len || (!probe && held <= prev)) {
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
	char **ids = NULL;
	size_t n = 0, i;
	int err;

	if ((err = store_sync_blobs_pending(c->s, &ids, &n)) != 0) {
		sync_cause(c->cause, "cannot list attachments");
		return err;
	}
	for (i = 0; i < n && err == 0; i++) {
		if ((err = sync_blob_one(c, ids[i])) != 0)
			break;
		if ((err = store_sync_blob_held(c->s, ids[i])) != 0)
			sync_cause(c->cause, "local storage failed");
	}
	store_sync_ids_free(ids, n);
	return err;
}

/*
 * The region's signed licence snapshot (docs/PROTOCOL.md §10), asked with
 * each pull and taken before its records (sync_also_got), so that a
 * revocation arrives ahead of other data.  The
 * store keeps it only when it verifies with the pinned server key and is
 * newer than the one held; a refused one is audited there and the last
 * good one stays.  A server without the route changes nothing.
 */
/* The licence request into *BODY: the version held, so that the server
 * sends the list only when it changed.  Nonzero: not asked (no pinned
 * server key yet). */
static int
sync_licences_req(struct sync_run_ctx *c, uint8_t **body, size_t *blen)
{
	struct store_licence_info info;
	uint8_t *pub = NULL;
	size_t plen;
	cbor_item_t *m;
	int err;

	if (store_state_get(c->s, SYNC_K_SERVER_PUB, &pub, &plen) != 0 ||
	    plen != 32 || store_licence_info(c->s, &info) != 0) {
		free(pub);
		return ENOENT;
	}
	free(pub);
	m = cborx_map(1);
	if (info.held)
		cborx_map_put(m, LICREQ_K_HELD, cborx_uint(info.version));
	err = cborx_encode(m, body, blen);
	cbor_decref(&m);
	return err;
}

/* The answer to it (STATUS, DATA), from the route or a pull. */
static void
sync_licences_got(
    struct sync_run_ctx *c, long status, const uint8_t *data, size_t dlen)
{
	cbor_item_t *it = NULL;
	const uint8_t *env;
	uint8_t *pub = NULL;
	size_t len, plen;
	int err;

	if (status != 200) {
		log_info("licence snapshot not fetched (HTTP %ld)", status);
		return;
	}
	if (store_state_get(c->s, SYNC_K_SERVER_PUB, &pub, &plen) != 0 ||
	    plen != 32)
		goto out;
	if (cborx_decode(data, dlen, dlen, &it) != 0 || !cbor_isa_map(it)) {
		log_warnx("malformed licence answer");
		goto out;
	}
	if (cborx_map_get(it, LICENCES_K_SNAPSHOT) == NULL)
		goto out; /* the one held is current */
	if (cborx_map_bytes(
	        it, LICENCES_K_SNAPSHOT, LIC_SNAPSHOT_MAX, &env, &len) != 0) {
		log_warnx("malformed licence answer");
		goto out;
	}
	err = store_licence_put(c->s, env, len, pub, (int64_t)hlc_wall_ms());
	if (err != 0 && err != EALREADY)
		log_warnx("licence snapshot refused: %s", strerror(err));
out:
	if (it != NULL)
		cbor_decref(&it);
	free(pub);
}

/*
 * The kiosk's emergency roster (issue 16, docs/PROTOCOL.md §13), fetched
 * with the licences: kept only when it verifies under the pinned server
 * key, is not older and has not expired (the last good one stays).  A
 * server without a roster for this kiosk (no_roster) changes nothing.
 */
/* The roster request into *BODY: the version held.  Nonzero: not
 * asked. */
static int
sync_roster_req(struct sync_run_ctx *c, uint8_t **body, size_t *blen)
{
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	uint8_t *pub = NULL;
	size_t plen;
	cbor_item_t *m;
	int stale = 0, err = ENOENT;

	if (store_state_get(c->s, SYNC_K_SERVER_PUB, &pub, &plen) != 0 ||
	    plen != 32)
		goto out;
	m = cborx_map(1);
	if (store_emergency_roster_get(
	        c->s, pub, (int64_t)(hlc_wall_ms() / 1000), r, &stale) == 0)
		cborx_map_put(m, ROSTERREQ_K_HELD, cborx_uint(r->version));
	err = cborx_encode(m, body, blen);
	cbor_decref(&m);
out:
	free(pub);
	free(r);
	return err;
}

static void
sync_roster_got(
    struct sync_run_ctx *c, long status, const uint8_t *data, size_t dlen)
{
	cbor_item_t *it = NULL;
	const uint8_t *signedr;
	uint8_t *pub = NULL;
	size_t len, plen;
	char *cause = NULL;
	int err;

	if (status != 200) {
		log_info("emergency roster not fetched (HTTP %ld)", status);
		return;
	}
	if (store_state_get(c->s, SYNC_K_SERVER_PUB, &pub, &plen) != 0 ||
	    plen != 32)
		goto out;
	if (cborx_decode(data, dlen, dlen, &it) != 0 || !cbor_isa_map(it)) {
		log_warnx("malformed roster answer");
		goto out;
	}
	if (cborx_map_get(it, ROSTER_K_SIGNED) == NULL)
		goto out; /* the one held is current */
	if (cborx_map_bytes(
	        it, ROSTER_K_SIGNED, ESC_ROSTER_MAX, &signedr, &len) != 0) {
		log_warnx("malformed roster answer");
		goto out;
	}
	err = store_emergency_roster_put(
	    c->s, signedr, len, pub, (int64_t)(hlc_wall_ms() / 1000), &cause);
	if (err != 0)
		log_warnx("emergency roster refused: %s",
		    cause ? cause : strerror(err));
out:
	if (it != NULL)
		cbor_decref(&it);
	free(cause);
	free(pub);
}

/* The consult queue (docs/PROTOCOL.md §9), kept as the server sent it
 * for sync_queue_get; a server without the route changes nothing.  An
 * admin node has none (the server would refuse it): not asked. */
static int
sync_queue_req(struct sync_run_ctx *c, uint8_t **body, size_t *blen)
{
	static const uint8_t empty[] = { 0xa0 }; /* {} */
	char *role = NULL;
	int admin;

	admin = sync_state_text(c->s, SYNC_K_ROLE, &role) == 0 &&
	    role != NULL && strcmp(role, "admin") == 0;
	free(role);
	if (admin)
		return ENOENT;
	*body = xmemdup(empty, sizeof(empty));
	*blen = sizeof(empty);
	return 0;
}
static void
sync_queue_got(
    struct sync_run_ctx *c, long status, const uint8_t *data, size_t dlen)
{
	if (status == 200)
		store_state_put(c->s, SYNC_K_QUEUE, data, dlen);
	else
		log_info("consult queue not fetched (HTTP %ld)", status);
}

/*
 * The pull's companions (docs/PROTOCOL.md §5.4): the licence, roster,
 * consult queue and audit requests ride in the first page's request and
 * their answers in its answer, so that a day's sync is its pushes and one
 * pull.  The licences and the roster are taken before the page's records,
 * as when they had requests of their own: a revocation ahead of other
 * data.  One the server finds too large for a pull (413) is asked on its
 * own route; an audit log too long for one is sent by sync_anchor.
 */
enum { ALSO_LIC, ALSO_ROSTER, ALSO_QUEUE, ALSO_AUDIT, ALSO_N };

/* Each but the audit: its route, its request (nonzero: not asked) and
 * what takes the answer (a status and a body). */
static const struct {
	const char *path;
	int (*req)(struct sync_run_ctx *, uint8_t **, size_t *);
	void (*got)(struct sync_run_ctx *, long, const uint8_t *, size_t);
} sync_also_route[ALSO_AUDIT] = {
	[ALSO_LIC] = { PROTO_PATH_LICENCES, sync_licences_req,
	    sync_licences_got },
	[ALSO_ROSTER] = { PROTO_PATH_ROSTER, sync_roster_req, sync_roster_got },
	[ALSO_QUEUE] = { PROTO_PATH_CONSULTS, sync_queue_req, sync_queue_got },
};

/* Companion K (not the audit) asked on its own route. */
static void
sync_also_alone(struct sync_run_ctx *c, int k)
{
	struct buf resp;
	uint8_t *body = NULL;
	size_t blen;

	memset(&resp, 0, sizeof(resp));
	if (sync_also_route[k].req(c, &body, &blen) != 0)
		return;
	if (sync_signed_post(c, sync_also_route[k].path, body, blen, &resp) !=
	    0)
		c->http.status = 0;
	sync_also_route[k].got(c, c->http.status, resp.data, resp.len);
	free(body);
	buf_free(&resp);
}

struct sync_also {
	uint8_t *body[ALSO_N]; /* NULL: not asked */
	size_t len[ALSO_N];
	uint64_t anchored, head; /* the audit request's */
	int audit_later; /* too long for a pull: sync_anchor sends it */
};

static void
sync_also_free(struct sync_also *a)
{
	int k;

	for (k = 0; k < ALSO_N; k++)
		free(a->body[k]);
	memset(a, 0, sizeof(*a));
}

static void
sync_also_req(struct sync_run_ctx *c, struct sync_also *a)
{
	size_t total = 0;
	int k;

	memset(a, 0, sizeof(*a));
	for (k = 0; k < ALSO_AUDIT; k++)
		if (sync_also_route[k].req(c, &a->body[k], &a->len[k]) != 0)
			a->body[k] = NULL;
	sync_state_u64(c->s, SYNC_K_ANCHOR, &a->anchored);
	if (sync_anchor_req(c, a->anchored, &a->body[ALSO_AUDIT],
	        &a->len[ALSO_AUDIT], &a->head) != 0)
		a->body[ALSO_AUDIT] = NULL;
	for (k = 0; k < ALSO_N; k++)
		total += a->body[k] != NULL ? a->len[k] : 0;
	if (total > PULL_ALSO_MAX) { /* a long audit log: on its own */
		free(a->body[ALSO_AUDIT]);
		a->body[ALSO_AUDIT] = NULL;
		a->audit_later = 1;
	}
}

/* The companions' map for the request, NULL when none is asked. */
static cbor_item_t *
sync_also_map(const struct sync_also *a)
{
	cbor_item_t *m;
	size_t n = 0;
	int k;

	for (k = 0; k < ALSO_N; k++)
		n += a->body[k] != NULL;
	if (n == 0)
		return NULL;
	m = cborx_map(n);
	for (k = 0; k < ALSO_N; k++)
		if (a->body[k] != NULL)
			cborx_map_put(m, (uint64_t)k + PULLALSO_K_LICENCES,
			    cborx_bytes(a->body[k], a->len[k]));
	return m;
}

/* Each answer in ALSO (the page's PULLED_K_ALSO) to its handler. */
static void
sync_also_got(
    struct sync_run_ctx *c, const struct sync_also *a, cbor_item_t *also)
{
	cbor_item_t *pair, **v;
	const uint8_t *data;
	uint64_t status;
	size_t len;
	int k, err;

	/* nothing new to anchor when the pull was asked: what the run
	 * audits after it goes with the next run's pull */
	if (a->body[ALSO_AUDIT] == NULL && !a->audit_later)
		c->anchor_done = 1;
	for (k = 0; k < ALSO_N; k++) {
		if (a->body[k] == NULL)
			continue;
		status = 0;
		data = NULL;
		len = 0;
		pair = cborx_map_get(also, (uint64_t)k + PULLALSO_K_LICENCES);
		v = pair != NULL && cbor_isa_array(pair) &&
		        cbor_array_size(pair) == 2
		    ? cbor_array_handle(pair)
		    : NULL;
		if (v == NULL ||
		    cborx_get_uint(v[PULLED_A_STATUS], &status) != 0 ||
		    cborx_get_bytes(
		        v[PULLED_A_BODY], PULL_ALSO_MAX, &data, &len) != 0) {
			log_warnx("malformed companion %d in a pull", k + 1);
			status = 0;
		}
		if (k == ALSO_AUDIT) {
			uint64_t anchored = a->anchored;

			if (status == 413)
				continue; /* sync_anchor sends it */
			err = sync_anchor_got(
			    c, (long)status, data, len, &anchored);
			/* caught up, or nothing more this run */
			c->anchor_done = err != 0 || anchored >= a->head;
		} else if (status == 413) /* too large for a pull */
			sync_also_alone(c, k);
		else
			sync_also_route[k].got(c, (long)status, data, len);
	}
}

static int
sync_pull(struct sync_run_ctx *c)
{
	struct sync_also also;
	struct buf resp;
	cbor_item_t *m, *it = NULL, *arr, *more, *am;
	uint8_t *cursor = NULL, *body = NULL;
	const uint8_t *cp;
	size_t clen = 0, len;
	uint64_t n, applied, srv_hlc;
	int err = 0, again = 1, pages = 0, resyncs = 0, asking = 1;

	memset(&resp, 0, sizeof(resp));
	if (store_state_get(c->s, SYNC_K_CURSOR, &cursor, &clen) != 0) {
		cursor = NULL;
		clen = 0;
	}
	sync_also_req(c, &also);
	while (again && pages++ < 100000) {
		if ((am = asking ? sync_also_map(&also) : NULL) == NULL)
			asking = 0; /* none to ask */
		m = cborx_map(am != NULL ? 3 : 2);
		cborx_map_put(m, PULL_K_CURSOR,
		    cborx_bytes(cursor ? cursor : (uint8_t *)"", clen));
		cborx_map_put(m, PULL_K_MAX, cborx_uint(c->lim.pull_page));
		if (am != NULL)
			cborx_map_put(m, PULL_K_ALSO, am);
		err = cborx_encode(m, &body, &len);
		cbor_decref(&m);
		if (err != 0)
			goto out;
		err = sync_signed_post(c, PROTO_PATH_PULL, body, len, &resp);
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
		if (c->http.status == 413 && am != NULL) {
			/* a server that takes smaller pulls: on their own */
			asking = 0;
			c->also_missing = 1;
			buf_free(&resp);
			continue;
		}
		if (c->http.status != 200) {
			err = sync_refused(c, &resp);
			goto out;
		}
		if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
		    (arr = cborx_map_get(it, PULLED_K_CHANGES)) == NULL ||
		    cborx_map_bytes(it, PULLED_K_CURSOR, 64, &cp, &len) != 0 ||
		    (more = cborx_map_get(it, PULLED_K_MORE)) == NULL ||
		    cborx_get_bool(more, &again) != 0) {
			sync_cause(c->cause, "malformed answer to a pull");
			err = EBADMSG;
			goto out;
		}
		free(cursor);
		cursor = xmemdup(cp, len ? len : 1);
		clen = len;
		if (cborx_map_uint(it, PULLED_K_HLC, &srv_hlc) == 0 &&
		    srv_hlc <= INT64_MAX)
			store_hlc_reference(c->s, srv_hlc);
		if (asking) {
			/* before the records: a revocation comes first */
			asking = 0;
			if ((am = cborx_map_get(it, PULLED_K_ALSO)) != NULL &&
			    cbor_isa_map(am))
				sync_also_got(c, &also, am);
			else if (am == NULL)
				c->also_missing = 1; /* an older server */
			else
				log_warnx("malformed companions in a pull");
		}
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
	sync_also_free(&also);
	free(cursor);
	free(body);
	buf_free(&resp);
	return err;
}

/* An admin node's region figures (issue 17, docs/PROTOCOL.md §12.2), kept
 * as the server sent them with the time they came, so the dashboard shows
 * the last ones offline.  Other nodes do not ask (the server refuses
 * them); an answer that does not decode is not kept. */
static void
sync_figures_fetch(struct sync_run_ctx *c)
{
	static const uint8_t empty[] = { 0xa0 }; /* {} */
	struct figures f;
	struct buf resp;
	char *role = NULL;

	if (sync_state_text(c->s, SYNC_K_ROLE, &role) != 0 || role == NULL ||
	    strcmp(role, "admin") != 0) {
		free(role);
		return;
	}
	free(role);
	memset(&resp, 0, sizeof(resp));
	if (sync_signed_post(c, PROTO_PATH_ADMIN_FIGURES, empty, sizeof(empty),
	        &resp) != 0 ||
	    c->http.status != 200) {
		log_info(
		    "region figures not fetched (HTTP %ld)", c->http.status);
		buf_free(&resp);
		return;
	}
	if (figures_from_cbor(resp.data, resp.len, &f) != 0)
		log_warnx("malformed region figures: not kept");
	else if (store_state_put(c->s, SYNC_K_FIGURES, resp.data, resp.len) ==
	    0)
		sync_state_put_u64(c->s, SYNC_K_FIGURES_AT, hlc_wall_ms());
	figures_clear(&f);
	buf_free(&resp);
}

int
sync_figures_get(struct store *s, struct figures *f, uint64_t *at_ms)
{
	uint8_t *v = NULL;
	size_t len;
	int err;

	memset(f, 0, sizeof(*f));
	*at_ms = 0;
	if ((err = store_state_get(s, SYNC_K_FIGURES, &v, &len)) != 0)
		return err;
	err = figures_from_cbor(v, len, f);
	free(v);
	if (err == 0 && sync_state_u64(s, SYNC_K_FIGURES_AT, at_ms) != 0)
		*at_ms = 0;
	return err;
}

/* The server's answer to each appointment this kiosk proposed and has no
 * answer for (docs/PROTOCOL.md §11): the same request again, idempotent
 * by the appointment's id, so the server's stored answer comes back. */
static int
sync_appt_ask(void *arg, const char *id, const char *patient, uint64_t slot)
{
	struct sync_run_ctx *c = arg;
	struct uuid a, p;
	cbor_item_t *m, *it = NULL, *alts;
	struct buf resp;
	uint8_t *body = NULL;
	uint64_t result = UINT64_MAX;
	size_t len, i;
	struct buf txt;
	char one[256];

	if (uuid_parse(id, &a) != 0 || uuid_parse(patient, &p) != 0)
		return 0;
	m = cborx_map(3);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a.b, 16));
	cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(slot));
	cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(p.b, 16));
	memset(&resp, 0, sizeof(resp));
	memset(&txt, 0, sizeof(txt));
	if (cborx_encode(m, &body, &len) == 0 &&
	    sync_signed_post(c, PROTO_PATH_APPOINTMENTS, body, len, &resp) ==
	        0 &&
	    c->http.status == 200 &&
	    cborx_decode(resp.data, resp.len, resp.len, &it) == 0 &&
	    cborx_map_uint(it, APPT_K_RESULT, &result) == 0) {
		/* "RESULT SLOT@START@END ...": what a refusal was and the
		 * alternatives (kiosk/tui/screen_appt.c reads them) */
		snprintf(one, sizeof(one), "%" PRIu64, result);
		buf_append(&txt, one, strlen(one));
		alts = cborx_map_get(it, APPT_K_ALTS);
		for (i = 0; alts != NULL && cbor_isa_array(alts) &&
		     i < cbor_array_size(alts);
		     i++) {
			cbor_item_t *s = cbor_array_get(alts, i);
			struct book_slot bs;

			one[0] = ' ';
			if (book_slot_read(s, &bs) == 0 &&
			    book_slot_fmt(&bs, one + 1, sizeof(one) - 1) > 0)
				buf_append(&txt, one, strlen(one));
			cbor_decref(&s);
		}
		buf_append(&txt, "", 1);
		if (result == 0 || result == WERR_SLOT_TAKEN ||
		    result == WERR_NO_SLOT || result == WERR_LICENCE)
			store_appt_answer(c->s, id,
			    result == 0 ? "booked" : "refused",
			    (const char *)txt.data);
	} else
		log_info("appointment answer not fetched (HTTP %ld)",
		    c->http.status);
	if (it != NULL)
		cbor_decref(&it);
	cbor_decref(&m);
	free(body);
	buf_free(&resp);
	buf_free(&txt);
	return 0;
}

static void
sync_appt_answers(struct sync_run_ctx *c)
{
	if (store_appt_pending(c->s, sync_appt_ask, c) != 0)
		log_info("appointments awaiting an answer not read");
}

/* --- the waitlist (issue 15, docs/PROTOCOL.md §11.1) ------------------- */

struct sync_waits {
	struct store_wait *v;
	size_t n;
};

static int
sync_wait_collect(void *arg, const struct store_wait *w)
{
	struct sync_waits *a = arg;

	if (w->pending[0] == '\0' && strcmp(w->status, "waiting") != 0 &&
	    strcmp(w->status, "offered") != 0 && strcmp(w->status, "new") != 0)
		return 0; /* finished: nothing to send or ask */
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = *w;
	return 0;
}

/* POST M (consumed) to PATH; *IT the decoded 200 answer (caller's). */
static int
sync_wait_post(
    struct sync_run_ctx *c, const char *path, cbor_item_t *m, cbor_item_t **it)
{
	struct buf resp;
	uint8_t *body = NULL;
	size_t len;
	int err;

	*it = NULL;
	memset(&resp, 0, sizeof(resp));
	if ((err = cborx_encode(m, &body, &len)) == 0 &&
	    (err = sync_signed_post(c, path, body, len, &resp)) == 0) {
		if (c->http.status != 200)
			err = EPROTO;
		else if (cborx_decode(resp.data, resp.len, resp.len, it) != 0)
			err = EBADMSG;
	}
	cbor_decref(&m);
	free(body);
	buf_free(&resp);
	return err;
}

/* Keep a waitlist answer IT for W; CLEAR the pending request. */
static void
sync_wait_keep(struct sync_run_ctx *c, struct store_wait *w,
    const cbor_item_t *it, int clear)
{
	cbor_item_t *o;
	uint64_t result = UINT64_MAX;
	char *t = NULL;

	if (cborx_map_uint(it, WAIT_K_RESULT, &result) != 0)
		return;
	if (result == WERR_WAIT_UNKNOWN) {
		/* the server lost it, or it was never listed: list it again */
		snprintf(w->pending, sizeof(w->pending), "add");
		snprintf(w->status, sizeof(w->status), "new");
		(void)store_wait_answer(c->s, w, 0);
		return;
	}
	if (cborx_map_text(it, WAIT_K_STATUS, 15, &t) == 0) {
		snprintf(w->status, sizeof(w->status), "%s", t);
		free(t);
	}
	(void)cborx_map_uint(it, WAIT_K_LISTED, &w->listed_ms);
	w->offer_slot = w->offer_start_ms = w->offer_end_ms = 0;
	w->offer_expires_ms = 0;
	if ((o = cborx_map_get(it, WAIT_K_OFFER)) != NULL && cbor_isa_map(o)) {
		(void)cborx_map_uint(o, SLOT_K_ID, &w->offer_slot);
		(void)cborx_map_uint(o, SLOT_K_START, &w->offer_start_ms);
		(void)cborx_map_uint(o, SLOT_K_END, &w->offer_end_ms);
		(void)cborx_map_uint(o, OFFER_K_EXPIRES, &w->offer_expires_ms);
	}
	if (store_wait_answer(c->s, w, clear) != 0)
		log_info("waitlist answer not kept");
}

static cbor_item_t *
sync_wait_req(const struct uuid *id, const char *op)
{
	cbor_item_t *m = cborx_map(9);

	cborx_map_put(m, WAITREQ_K_ID, cborx_bytes(id->b, 16));
	cborx_map_put(m, WAITREQ_K_OP, cborx_text(op));
	return m;
}

/* Accept W's offer: book its slot naming the entry (§11, key 5). */
static void
sync_wait_accept(
    struct sync_run_ctx *c, struct store_wait *w, const struct uuid *entry)
{
	struct uuid a, p;
	cbor_item_t *m, *it = NULL;
	uint64_t result = UINT64_MAX;

	if (uuid_parse(w->appt_id, &a) != 0 ||
	    uuid_parse(w->patient_id, &p) != 0)
		return;
	m = cborx_map(4);
	cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(a.b, 16));
	cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(w->offer_slot));
	cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(p.b, 16));
	cborx_map_put(m, APPTREQ_K_ENTRY, cborx_bytes(entry->b, 16));
	if (sync_wait_post(c, PROTO_PATH_APPOINTMENTS, m, &it) != 0 ||
	    cborx_map_uint(it, APPT_K_RESULT, &result) != 0) {
		log_info("waitlist offer not accepted yet (HTTP %ld)",
		    c->http.status);
	} else if (result == 0) {
		if (store_wait_booked(c->s, w) != 0)
			log_warnx("a booked waitlist offer was not kept");
	} else {
		/* lapsed or taken: the entry waits again (status below) */
		snprintf(w->note, sizeof(w->note), "%s",
		    N_("the offer had lapsed: not booked"));
		w->pending[0] = '\0';
		(void)store_wait_answer(c->s, w, 1);
	}
	if (it != NULL)
		cbor_decref(&it);
}

static void
sync_wait_one(struct sync_run_ctx *c, struct store_wait *w)
{
	struct uuid id, p;
	cbor_item_t *m, *it = NULL;

	if (uuid_parse(w->id, &id) != 0)
		return;
	if (strcmp(w->pending, "add") == 0) {
		if (uuid_parse(w->patient_id, &p) != 0)
			return;
		m = sync_wait_req(&id, "add");
		cborx_map_put(m, WAITREQ_K_PATIENT, cborx_bytes(p.b, 16));
		cborx_map_put(
		    m, WAITREQ_K_URGENCY, cborx_uint((uint64_t)w->urgency));
		cborx_map_put(m, WAITREQ_K_SERVICE, cborx_text(w->service));
		if (w->lang[0] != '\0')
			cborx_map_put(m, WAITREQ_K_LANG, cborx_text(w->lang));
		if (w->modality[0] != '\0')
			cborx_map_put(
			    m, WAITREQ_K_MODALITY, cborx_text(w->modality));
		if (w->clinician[0] != '\0')
			cborx_map_put(
			    m, WAITREQ_K_CLINICIAN, cborx_text(w->clinician));
	} else if (strcmp(w->pending, "remove") == 0)
		m = sync_wait_req(&id, "remove");
	else if (strcmp(w->pending, "decline") == 0) {
		m = sync_wait_req(&id, "decline");
		cborx_map_put(m, WAITREQ_K_SLOT, cborx_uint(w->offer_slot));
	} else if (strcmp(w->pending, "accept") == 0) {
		sync_wait_accept(c, w, &id);
		if (strcmp(w->pending, "accept") == 0)
			return; /* booked, or not reached: asked next time */
		m = sync_wait_req(&id, "status");
	} else
		m = sync_wait_req(&id, "status");
	if (sync_wait_post(c, PROTO_PATH_WAITLIST, m, &it) == 0)
		sync_wait_keep(c, w, it, 1);
	else {
		log_info("waitlist entry not asked (HTTP %ld)", c->http.status);
		/* refused, not lost: said on the screen, asked again */
		if (c->http.status == 403 || c->http.status == 400) {
			snprintf(w->note, sizeof(w->note), "%s",
			    c->http.status == 403
			        ? N_("the server refused: the patient is not "
			             "of this facility")
			        : N_("the server refused the entry as sent"));
			(void)store_wait_answer(c->s, w, 0);
		}
	}
	if (it != NULL)
		cbor_decref(&it);
}

/* Every entry not finished: what it asked for offline, then its status
 * (an offer made since the last sync is learnt here). */
static void
sync_waitlist(struct sync_run_ctx *c)
{
	struct sync_waits a = { NULL, 0 };
	size_t i;

	if (store_wait_list(c->s, NULL, sync_wait_collect, &a) != 0)
		log_info("waitlist not read");
	for (i = 0; i < a.n; i++)
		sync_wait_one(c, &a.v[i]);
	free(a.v);
}

void
sync_queue_clear(struct sync_queue *q)
{
	free(q->items);
	memset(q, 0, sizeof(*q));
}

const struct sync_queue_item *
sync_queue_find(const struct sync_queue *q, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < q->n; i++)
		if (strcmp(q->items[i].id, id) == 0)
			return &q->items[i];
	return NULL;
}

int
sync_queue_get(struct store *s, struct sync_queue *q)
{
	cbor_item_t *it = NULL, *arr, **a;
	uint8_t *v = NULL;
	const uint8_t *id;
	size_t len, i, n, idlen;
	char *t;
	int err;

	memset(q, 0, sizeof(*q));
	if ((err = store_state_get(s, SYNC_K_QUEUE, &v, &len)) != 0)
		return err == ENOENT ? 0 : err;
	err = EBADMSG;
	if (cborx_decode(v, len, len, &it) != 0 ||
	    (arr = cborx_map_get(it, QUEUE_K_ITEMS)) == NULL ||
	    !cbor_isa_array(arr))
		goto out;
	n = cbor_array_size(arr);
	a = cbor_array_handle(arr);
	q->items = xcalloc(n ? n : 1, sizeof(*q->items));
	for (i = 0; i < n; i++) {
		struct sync_queue_item *x = &q->items[q->n];
		struct uuid u;

		if (!cbor_isa_map(a[i]) ||
		    cborx_map_bytes(a[i], QITEM_K_ID, 16, &id, &idlen) != 0 ||
		    idlen != 16)
			continue;
		memcpy(u.b, id, 16);
		uuid_format(&u, x->id);
		t = NULL;
		if (cborx_get_text(cborx_map_get(a[i], QITEM_K_STATE),
		        sizeof(x->state) - 1, &t) == 0)
			str_lcpy(x->state, t, sizeof(x->state));
		free(t);
		t = NULL;
		if (cborx_get_text(cborx_map_get(a[i], QITEM_K_FACILITY),
		        sizeof(x->facility) - 1, &t) == 0)
			str_lcpy(x->facility, t, sizeof(x->facility));
		free(t);
		cborx_map_uint(a[i], QITEM_K_URGENCY, &x->urgency);
		cborx_map_uint(a[i], QITEM_K_REQUESTED, &x->requested_ms);
		cborx_map_uint(a[i], QITEM_K_POSITION, &x->position);
		cborx_map_uint(a[i], QITEM_K_ACCEPTED_BY, &x->accepted_by);
		cborx_map_uint(a[i], QITEM_K_NODE, &x->node);
		q->n++;
	}
	cborx_map_uint(it, QUEUE_K_LENGTH, &q->waiting);
	q->has_wait = cborx_map_uint(it, QUEUE_K_WAIT_MS, &q->wait_ms) == 0;
	q->known = 1;
	err = 0;
out:
	if (it != NULL)
		cbor_decref(&it);
	free(v);
	if (err != 0)
		sync_queue_clear(q);
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
	c->http.cancel = c->cancel;
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

/* Referrals to this node's facility that the pull brought are "received"
 * (issue 14): the steps go up with the next push.  A failure here is
 * logged, never the sync's. */
static void
sync_referrals_received(struct store *s)
{
	char *facility = NULL;
	size_t n = 0;

	if (sync_state_text(s, SYNC_K_FACILITY, &facility) != 0)
		return;
	if (store_referral_receive(s, facility, &n) != 0)
		log_warnx("referrals: cannot mark those pulled as received");
	else if (n > 0)
		log_info("%zu referral(s) received", n);
	free(facility);
}

int
sync_post(struct store *s, const char *path, const uint8_t *body, size_t len,
    uint8_t **out, size_t *outlen, long *status)
{
	struct sync_run_ctx c;
	struct buf resp;
	char *why = NULL;
	int err;

	memset(&c, 0, sizeof(c));
	memset(&resp, 0, sizeof(resp));
	*out = NULL;
	*outlen = 0;
	*status = 0;
	c.s = s;
	c.cause = &why;
	if ((err = sync_load(&c)) == 0 &&
	    (err = sync_signed_post(&c, path, body, len, &resp)) == 0) {
		*status = c.http.status;
		*out = xmemdup(
		    resp.len ? resp.data : (const uint8_t *)"", resp.len);
		*outlen = resp.len;
	}
	sync_http_free(&c.http);
	buf_free(&resp);
	free(why);
	return err;
}

int
sync_run(struct store *s, struct sync_report *rep, char **cause)
{
	return sync_run_cancel(s, rep, cause, NULL);
}

int
sync_run_cancel(
    struct store *s, struct sync_report *rep, char **cause, const int *cancel)
{
	struct sync_run_ctx c;
	struct sync_report local;
	uint64_t t0 = clock_mono_ms();
	const char *env;
	long long cap;
	char *why = NULL;
	int err, pushed = 0, k;

	memset(&c, 0, sizeof(c));
	memset(&local, 0, sizeof(local));
	c.s = s;
	c.rep = rep != NULL ? rep : &local;
	memset(c.rep, 0, sizeof(*c.rep));
	c.cause = &why;
	c.cancel = cancel;
	sync_limits_get(s, &c.lim);
	c.max_bytes = c.lim.push_bytes < SYNC_MAX_BYTES ? c.lim.push_bytes
	                                                : SYNC_MAX_BYTES;
	c.min_bytes =
	    SYNC_MIN_BYTES < c.max_bytes ? SYNC_MIN_BYTES : c.max_bytes;
	c.budget =
	    SYNC_FIRST_BYTES < c.max_bytes ? SYNC_FIRST_BYTES : c.max_bytes;
	/* Tests shrink batches to put cuts between them; never in use. */
	if ((env = getenv("OUTPOST_SYNC_BATCH_BYTES")) != NULL &&
	    str_to_ll(env, 256, SYNC_MAX_BYTES, &cap) == 0) {
		c.cap = (size_t)cap;
		c.budget = c.cap < c.max_bytes ? c.cap : c.max_bytes;
	}
	/* A full attachment quota holds back attachments only: the pull
	 * still runs, and the quota is what the run reports. */
	if ((err = sync_load(&c)) == 0 && (err = sync_push(&c)) == 0)
		pushed = 1;
	if (err == 0 && ((err = sync_blobs(&c)) == 0 || err == EDQUOT)) {
		int perr;

		/* with the licences, roster, queue and audit (§5.4) */
		perr = sync_pull(&c);

		if (perr != 0)
			err = perr;
		else {
			for (k = 0; c.also_missing && k < ALSO_AUDIT; k++)
				sync_also_alone(&c, k); /* an older server */
			sync_figures_fetch(&c);
			sync_referrals_received(s);
			sync_appt_answers(&c);
			sync_waitlist(&c); /* issue 15 */
		}
	}
	/* After any push that went through, whatever the pull did: what the
	 * pull's companion did not carry (an older server, a failed pull, a
	 * log too long for one request).  What this run audited after the
	 * pull goes with the next run's. */
	if (pushed && err != EINTR && !c.anchor_done)
		sync_anchor(&c);
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

/*
 * The settings map of an enrolment answer (docs/PROTOCOL.md §3.1): each
 * limit, when present, must be at least 1 and is capped at the protocol's
 * own; an absent map or key leaves the protocol's limit.
 */
static int
sync_enroll_limits(cbor_item_t *answer, struct sync_limits *l)
{
	static const struct {
		uint64_t key, max;
	} f[] = {
		{ SETTINGS_K_PUSH_BYTES, PROTO_PUSH_MAX_BYTES },
		{ SETTINGS_K_PUSH_CHANGES, PROTO_PUSH_MAX_CHANGES },
		{ SETTINGS_K_PULL_PAGE, PROTO_PULL_MAX },
	};
	cbor_item_t *set, *v;
	uint64_t n, val[3];
	size_t i;

	for (i = 0; i < 3; i++)
		val[i] = f[i].max;
	if ((set = cborx_map_get(answer, ENROLLED_K_SETTINGS)) != NULL) {
		if (!cbor_isa_map(set))
			return EBADMSG;
		for (i = 0; i < 3; i++) {
			if ((v = cborx_map_get(set, f[i].key)) == NULL)
				continue;
			if (cborx_get_uint(v, &n) != 0 || n == 0)
				return EBADMSG;
			val[i] = n < f[i].max ? n : f[i].max;
		}
	}
	l->push_bytes = (size_t)val[0];
	l->push_changes = (size_t)val[1];
	l->pull_page = val[2];
	return 0;
}

/*
 * The SIP credentials of an enrolment answer (ENROLLED_K_SIP), when
 * present, into the encrypted store.  A malformed map is left out (the
 * node works without calls) and logged without its contents.
 */
/* The node's facility (referrals are made from it and routed to others;
 * issue 14), kept under SYNC_K_FACILITY; an answer without one keeps
 * none. */
static int
sync_enroll_facility(struct store *s, const cbor_item_t *it)
{
	char *facility = NULL;
	int err = 0;

	if (cborx_map_text(it, ENROLLED_K_FACILITY, 63, &facility) == 0)
		err = sync_state_put_text(s, SYNC_K_FACILITY, facility);
	free(facility);
	return err;
}

static int
sync_enroll_sip(struct store *s, cbor_item_t *answer)
{
	cbor_item_t *sip = cborx_map_get(answer, ENROLLED_K_SIP);
	char *user = NULL, *pw = NULL, *reg = NULL, *turn = NULL;
	int err = 0;

	if (sip == NULL)
		return 0;
	if (!cbor_isa_map(sip) || cborx_map_text(sip, SIP_K_USER, 63, &user) ||
	    cborx_map_text(sip, SIP_K_PASSWORD, 127, &pw) ||
	    cborx_map_text(sip, SIP_K_REGISTRAR, 127, &reg) ||
	    (cborx_map_get(sip, SIP_K_TURN) != NULL &&
	        cborx_map_text(sip, SIP_K_TURN, 127, &turn))) {
		log_warnx("enrolment: SIP credentials malformed, left out");
		goto out;
	}
	if ((err = sync_state_put_text(s, SYNC_K_SIP_USER, user)) != 0 ||
	    (err = sync_state_put_text(s, SYNC_K_SIP_PASSWORD, pw)) != 0 ||
	    (err = sync_state_put_text(s, SYNC_K_SIP_REGISTRAR, reg)) != 0 ||
	    (err = sync_state_put_text(
	         s, SYNC_K_SIP_TURN, turn != NULL ? turn : "")) != 0)
		goto out;
	log_info("enrolment: SIP credentials stored");
out:
	free(user);
	if (pw != NULL)
		xfree_secret_str(pw);
	free(reg);
	free(turn);
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
	char secret[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1];
	char got[ETOKEN_FP_LEN + 1];
	struct sync_limits lim;
	int err;

	memset(&resp, 0, sizeof(resp));
	/* The token carries the server key's fingerprint: the key the
	 * answer brings is pinned only if it matches (issue 9, item 6). */
	if ((err = etoken_parse(token, secret, fp)) != 0) {
		sync_cause(cause,
		    err == ENOKEY
		        ? "this token has no server fingerprint (made by an "
		          "older sync-server): ask the administrator for a "
		          "new one (sync-server admin enroll-token)"
		        : err == EBADMSG
		        ? "the token is mistyped (its check character does "
		          "not match): type it again"
		        : "that is not an enrolment token (7 groups of 5 "
		          "letters and digits)");
		return EINVAL;
	}
	if ((err = sync_http_init(&h, url, ca_pem)) != 0)
		goto out_secret;
	if ((err = crypto_ed25519_keygen(priv, pub)) != 0)
		goto out;
	m = cborx_map(4);
	cborx_map_put(m, ENROLL_K_TOKEN, cborx_text(secret));
	cborx_map_put(m, ENROLL_K_PUB, cborx_bytes(pub, 32));
	cborx_map_put(m, ENROLL_K_LABEL, cborx_text(store_node_id(s)));
	cborx_map_put(m, ENROLL_K_HLC, cborx_uint(store_hlc_now(s)));
	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	if (err != 0)
		goto out;
	if ((err = sync_http_post(
	         &h, PROTO_PATH_ENROLL, body, len, 0, 0, &resp)) != 0) {
		sync_link_cause(cause, err);
		goto out;
	}
	if (h.status != 200) {
		sync_cause(cause,
		    sync_err_code(&resp, NULL) == WERR_BAD_TOKEN
		        ? "the server refused the token (unknown, used or "
		          "expired)"
		        : "the server refused the enrolment");
		err = EACCES;
		goto out;
	}
	if (cborx_decode(resp.data, resp.len, resp.len, &it) != 0 ||
	    cborx_map_uint(it, ENROLLED_K_NODE, &node) != 0 || node == 0 ||
	    cborx_map_bytes(it, ENROLLED_K_SERVER_PUB, 32, &spub, &slen) != 0 ||
	    slen != 32 ||
	    cborx_map_text(it, ENROLLED_K_REGION, 63, &region) != 0 ||
	    cborx_map_text(it, ENROLLED_K_ROLE, 63, &role) != 0 ||
	    sync_enroll_limits(it, &lim) != 0) {
		sync_cause(cause, "malformed answer from the server");
		err = EBADMSG;
		goto out;
	}
	etoken_fingerprint(spub, got);
	if (strcmp(got, fp) != 0) {
		log_warnx("enrolment: the server key does not match the "
		          "token's fingerprint; nothing stored");
		sync_cause(cause,
		    "the server's key does not match the token: someone may "
		    "be between this kiosk and the server. Nothing was "
		    "stored. Check the server address, use https://, and "
		    "ask the administrator for a new token (this one is "
		    "used up)");
		err = EKEYREJECTED;
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
	    (err = sync_limits_put(s, &lim)) != 0 ||
	    (err = store_state_put(s, SYNC_K_CURSOR, "", 0)) != 0 ||
	    (ca_pem != NULL &&
	        (err = sync_state_put_text(s, SYNC_K_CA, ca_pem)) != 0) ||
	    (err = sync_enroll_sip(s, it)) != 0 ||
	    (err = sync_enroll_facility(s, it)) != 0 ||
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
out_secret:
	explicit_bzero(secret, sizeof(secret));
	return err;
}

int
sync_status_get(struct store *s, struct sync_status *st)
{
	struct sync_limits lim;
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
	t = NULL;
	if (sync_state_text(s, SYNC_K_FACILITY, &t) == 0)
		str_lcpy(st->facility, t, sizeof(st->facility));
	free(t);
	if (sync_state_text(s, SYNC_K_LAST_ERR, &t) == 0)
		str_lcpy(st->last_error, t, sizeof(st->last_error));
	free(t);
	t = NULL;
	sync_state_u64(s, SYNC_K_REFUSED_N, &st->refused);
	if (sync_state_text(s, SYNC_K_REFUSED, &t) == 0)
		str_lcpy(st->refused_last, t, sizeof(st->refused_last));
	free(t);
	sync_limits_get(s, &lim);
	st->push_bytes = lim.push_bytes;
	st->push_changes = lim.push_changes;
	st->pull_page = lim.pull_page;
	return 0;
}

void
sync_status_line(
    const struct sync_status *st, uint64_t now_ms, char *out, size_t len)
{
	char age[32], pend[48];
	uint64_t s;

	if (!st->enrolled) {
		snprintf(out, len, "%s", _("Sync: not set up"));
		return;
	}
	if (st->last_ok_ms == 0)
		snprintf(age, sizeof(age), "%s", _("never synced"));
	else {
		s = now_ms > st->last_ok_ms ? (now_ms - st->last_ok_ms) / 1000
		                            : 0;
		if (s < 120)
			snprintf(
			    age, sizeof(age), _("last %" PRIu64 " s ago"), s);
		else if (s < 7200)
			snprintf(age, sizeof(age),
			    _("last %" PRIu64 " min ago"), s / 60);
		else if (s < 172800)
			snprintf(age, sizeof(age), _("last %" PRIu64 " h ago"),
			    s / 3600);
		else
			snprintf(age, sizeof(age),
			    _("last %" PRIu64 " days ago"), s / 86400);
	}
	if (st->pending == 0)
		snprintf(pend, sizeof(pend), "%s", _("all sent"));
	else
		snprintf(
		    pend, sizeof(pend), _("%" PRIu64 " waiting"), st->pending);
	if (st->last_error[0] != '\0')
		snprintf(
		    out, len, _("Sync: %s, %s: %s"), pend, age, st->last_error);
	else if (st->refused > 0)
		snprintf(out, len,
		    _("Sync: %s, %s; %" PRIu64 " refused by the server"
		      " (kiosk sync status)"),
		    pend, age, st->refused);
	else
		snprintf(out, len, _("Sync: %s, %s"), pend, age);
}
