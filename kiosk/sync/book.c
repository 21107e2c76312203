/*
 * Booking requests for the screens (book.h): the signed POSTs of
 * docs/PROTOCOL.md §11 through sync_post, and the one worker thread that
 * runs them off the UI's thread.
 */
#define LOG_MODULE "book"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "cborx.h"
#include "kiosk/store/store.h"
#include "log.h"
#include "protocol.h"
#include "sync.h"
#include "xmalloc.h"

int
book_slot_read(const cbor_item_t *m, struct book_slot *s)
{
	char *t = NULL;

	memset(s, 0, sizeof(*s));
	if (m == NULL || !cbor_isa_map(m) ||
	    cborx_map_uint(m, SLOT_K_ID, &s->id) != 0 ||
	    cborx_map_uint(m, SLOT_K_START, &s->start_ms) != 0 ||
	    cborx_map_uint(m, SLOT_K_END, &s->end_ms) != 0 ||
	    s->end_ms <= s->start_ms)
		return EBADMSG;
	if (cborx_map_text(m, SLOT_K_STATUS, sizeof(s->status) - 1, &t) == 0)
		snprintf(s->status, sizeof(s->status), "%s", t);
	free(t);
	t = NULL;
	/* whose slot: absent from older servers (then unknown) */
	if (cborx_map_text(m, SLOT_K_CLINICIAN, sizeof(s->clinician) - 1, &t) ==
	    0)
		snprintf(s->clinician, sizeof(s->clinician), "%s", t);
	free(t);
	return 0;
}

int
book_slot_fmt(const struct book_slot *s, char *out, size_t len)
{
	size_t off;
	const char *c;
	int n, esc;

	n = snprintf(out, len, "%" PRIu64 "@%" PRIu64 "@%" PRIu64, s->id,
	    s->start_ms, s->end_ms);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
	if (s->clinician[0] != '\0')
		out[off++] = '@';
	for (c = s->clinician; *c != '\0'; c++) {
		esc = *c == '%' || *c == ' ' || *c == '@';
		if (off + (esc ? 3 : 1) >= len) /* and the NUL */
			return -1;
		if (esc)
			off += (size_t)snprintf(
			    out + off, len - off, "%%%02X", (unsigned char)*c);
		else
			out[off++] = *c;
	}
	if (off >= len)
		return -1;
	out[off] = '\0';
	return (int)off;
}

int
book_slot_scan(const char *word, struct book_slot *s)
{
	const char *c;
	unsigned x;
	size_t k = 0;
	int n = 0;

	memset(s, 0, sizeof(*s));
	if (sscanf(word, "%" SCNu64 "@%" SCNu64 "@%" SCNu64 "%n", &s->id,
	        &s->start_ms, &s->end_ms, &n) != 3 ||
	    s->end_ms <= s->start_ms)
		return EINVAL;
	c = word + n;
	if (*c == '@')
		c++;
	else if (*c != '\0')
		return EINVAL;
	for (; *c != '\0'; c++) {
		if (k + 1 >= sizeof(s->clinician))
			return EINVAL;
		if (*c == '%') {
			if (sscanf(c + 1, "%2x", &x) != 1 || c[1] == '\0' ||
			    c[2] == '\0')
				return EINVAL;
			s->clinician[k++] = (char)x;
			c += 2;
		} else
			s->clinician[k++] = *c;
	}
	s->clinician[k] = '\0';
	snprintf(s->status, sizeof(s->status), "free");
	return 0;
}

/* One signed POST of the map M; *IT the decoded answer (status 200). */
static int
book_post(struct store *s, const char *path, cbor_item_t *m, long *http,
    cbor_item_t **it)
{
	uint8_t *body = NULL, *ans = NULL;
	size_t len = 0, alen = 0;
	int err;

	*it = NULL;
	*http = 0;
	if (cborx_encode(m, &body, &len) != 0)
		return ENOMEM;
	err = sync_post(s, path, body, len, &ans, &alen, http);
	free(body);
	if (err == 0 && *http != 200) {
		log_info("%s: HTTP %ld", path, *http);
		err = EPROTO;
	}
	if (err == 0 &&
	    (cborx_decode(ans, alen, alen, it) != 0 || !cbor_isa_map(*it)))
		err = EBADMSG;
	free(ans);
	if (err != 0 && *it != NULL)
		cbor_decref(it);
	return err;
}

static int
book_slot_cmp(const void *a, const void *b)
{
	const struct book_slot *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
book_slots(struct store *s, uint64_t from_ms, uint64_t to_ms,
    struct book_slot **out, size_t *n)
{
	cbor_item_t *m, *it = NULL, *arr;
	struct book_slot *v = NULL;
	size_t i, k = 0, cnt;
	long http;
	int err;

	*out = NULL;
	*n = 0;
	m = cborx_map(2);
	cborx_map_put(m, SLOTSREQ_K_FROM, cborx_uint(from_ms));
	cborx_map_put(m, SLOTSREQ_K_TO, cborx_uint(to_ms));
	err = book_post(s, PROTO_PATH_SLOTS, m, &http, &it);
	cbor_decref(&m);
	if (err != 0)
		return err;
	arr = cborx_map_get(it, SLOTS_K_ITEMS);
	if (arr == NULL || !cbor_isa_array(arr)) { /* lent */
		cbor_decref(&it);
		return EBADMSG;
	}
	cnt = cbor_array_size(arr);
	if (cnt > BOOK_SLOTS_MAX)
		cnt = BOOK_SLOTS_MAX;
	v = xcalloc(cnt ? cnt : 1, sizeof(*v));
	for (i = 0; i < cnt; i++) {
		cbor_item_t *e = cbor_array_get(arr, i);

		if (book_slot_read(e, &v[k]) == 0)
			k++;
		cbor_decref(&e);
	}
	cbor_decref(&it);
	qsort(v, k, sizeof(*v), book_slot_cmp);
	*out = v;
	*n = k;
	return 0;
}

static int
book_put_id(cbor_item_t *m, uint64_t key, const char *text)
{
	struct uuid u;

	if (uuid_parse(text, &u) != 0)
		return EINVAL;
	cborx_map_put(m, key, cborx_bytes(u.b, 16));
	return 0;
}

int
book_request(struct store *s, const struct book_job *j, struct book_answer *a)
{
	cbor_item_t *m, *it = NULL, *alts;
	size_t i;
	int err;

	memset(a, 0, sizeof(*a));
	if (j->kind == BOOK_SLOTS)
		return a->err = book_slots(
		           s, j->from_ms, j->to_ms, &a->slots, &a->nslots);
	m = cborx_map(4);
	err = book_put_id(m, APPTREQ_K_ID, j->id);
	if (err == 0 && j->kind == BOOK_CANCEL)
		cborx_map_put(m, APPTREQ_K_CANCEL, cborx_text(j->reason));
	else if (err == 0) {
		cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(j->slot));
		err = book_put_id(m, APPTREQ_K_PATIENT, j->patient);
		if (err == 0 && j->replaces[0] != '\0')
			err = book_put_id(m, APPTREQ_K_REPLACES, j->replaces);
	}
	if (err == 0)
		err = book_post(s, PROTO_PATH_APPOINTMENTS, m, &a->http, &it);
	cbor_decref(&m);
	if (err == 0 && cborx_map_uint(it, APPT_K_RESULT, &a->result) != 0)
		err = EBADMSG;
	alts = err == 0 ? cborx_map_get(it, APPT_K_ALTS) : NULL;
	for (i = 0; alts != NULL && cbor_isa_array(alts) &&
	     i < cbor_array_size(alts) && a->nalts < BOOK_ALTS;
	     i++) {
		cbor_item_t *e = cbor_array_get(alts, i);

		if (book_slot_read(e, &a->alts[a->nalts]) == 0)
			a->nalts++;
		cbor_decref(&e);
	}
	if (it != NULL)
		cbor_decref(&it);
	return a->err = err;
}

void
book_answer_clear(struct book_answer *a)
{
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

void
book_alts_text(const struct book_answer *a, char *out, size_t len)
{
	size_t off;
	int i, n;

	n = snprintf(out, len, "%" PRIu64, a->result);
	off = n > 0 && (size_t)n < len ? (size_t)n : len;
	for (i = 0; i < a->nalts && off + 1 < len; i++) {
		out[off] = ' ';
		if ((n = book_slot_fmt(
		         &a->alts[i], out + off + 1, len - off - 1)) < 0) {
			out[off] = '\0'; /* whole words only */
			break;
		}
		off += 1 + (size_t)n;
	}
}

/* --- the worker --- */

static pthread_mutex_t bk_mu = PTHREAD_MUTEX_INITIALIZER;
static int bk_running, bk_done;
static struct book_job bk_job;
static struct book_answer bk_ans;
static char *bk_dir;
static uint8_t bk_key[32];

static void *
book_main(void *arg)
{
	struct store *s = NULL;
	struct book_answer a;
	struct book_job j;
	uint8_t key[32];
	char *dir;
	int err;

	(void)arg;
	pthread_mutex_lock(&bk_mu);
	j = bk_job;
	dir = bk_dir;
	bk_dir = NULL;
	memcpy(key, bk_key, sizeof(key));
	explicit_bzero(bk_key, sizeof(bk_key));
	pthread_mutex_unlock(&bk_mu);
	memset(&a, 0, sizeof(a));
	if ((err = store_open(dir, key, 0, &s)) != 0)
		a.err = err;
	else {
		book_request(s, &j, &a);
		store_close(s);
	}
	explicit_bzero(key, sizeof(key));
	free(dir);
	pthread_mutex_lock(&bk_mu);
	bk_ans = a;
	bk_done = 1;
	bk_running = 0;
	pthread_mutex_unlock(&bk_mu);
	return NULL;
}

int
book_async_start(
    const char *dir, const uint8_t key[32], const struct book_job *job)
{
	pthread_attr_t at;
	pthread_t t;
	int err;

	pthread_mutex_lock(&bk_mu);
	if (bk_running) {
		pthread_mutex_unlock(&bk_mu);
		return EBUSY;
	}
	book_answer_clear(&bk_ans);
	bk_done = 0;
	bk_job = *job;
	free(bk_dir);
	bk_dir = xstrdup(dir);
	memcpy(bk_key, key, sizeof(bk_key));
	bk_running = 1;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if ((err = pthread_create(&t, &at, book_main, NULL)) != 0) {
		bk_running = 0;
		explicit_bzero(bk_key, sizeof(bk_key));
	}
	pthread_attr_destroy(&at);
	pthread_mutex_unlock(&bk_mu);
	return err;
}

int
book_async_poll(struct book_job *job, struct book_answer *out)
{
	int done;

	pthread_mutex_lock(&bk_mu);
	done = bk_done;
	if (done) {
		*job = bk_job;
		*out = bk_ans;
		memset(&bk_ans, 0, sizeof(bk_ans));
		bk_done = 0;
	}
	pthread_mutex_unlock(&bk_mu);
	return done;
}

int
book_async_busy(void)
{
	int b;

	pthread_mutex_lock(&bk_mu);
	b = bk_running;
	pthread_mutex_unlock(&bk_mu);
	return b;
}
