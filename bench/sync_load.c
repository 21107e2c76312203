/*
 * bench/sync_load: many simulated kiosks pushing to one sync-server at
 * once, to measure durable records per second on the server.
 *
 *   sync_load URL SERVER_BIN DATA_DIR KIOSKS SECONDS RECORDS_PER_PUSH
 *
 * Each simulated kiosk is a thread with its own enrolled node key (tokens
 * made with `SERVER_BIN --data DATA_DIR admin enroll-token`), its own
 * keep-alive connection (the kiosk's own transport, kiosk/sync/http.c),
 * and pushes signed batches of observation-shaped records (about 200-byte
 * bodies, like the kiosk's) back to back.  A record counts only when the
 * server acknowledged it, i.e. after its commit.  Prints key=value pairs.
 * The load generator shares the machine's cores with the server, so the
 * figure understates the server.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cborx.h"
#include "clock.h"
#include "crypto.h"
#include "etoken.h"
#include "hlc.h"
#include "kiosk/sync/sync_int.h"
#include "record.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"

struct load {
	const char *url;
	char token[64];
	unsigned records;
	uint64_t deadline_ms;
	uint64_t acked, pushes, errors;
	uint64_t lat_max_ms;
	uint64_t *lat; /* per push, ms */
	size_t nlat, caplat;
};

static int
enroll(struct sync_http *h, const char *token)
{
	struct buf resp;
	cbor_item_t *m, *it = NULL;
	uint8_t pub[32], *body;
	const uint8_t *sp;
	char secret[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1];
	size_t len, splen;
	int err;

	crypto_ed25519_keygen(h->priv, pub);
	/* the server is sent the token's secret part (common/etoken.h) */
	if (etoken_parse(token, secret, fp) != 0)
		return EINVAL;
	m = cborx_map(3);
	cborx_map_put(m, 1, cborx_text(secret));
	cborx_map_put(m, 2, cborx_bytes(pub, 32));
	cborx_map_put(m, 3, cborx_text("load"));
	if (cborx_encode(m, &body, &len) != 0)
		abort();
	cbor_decref(&m);
	err = sync_http_post(h, "/v1/enroll", body, len, 0, 0, &resp);
	free(body);
	if (err == 0 &&
	    (h->status != 200 ||
	        cborx_decode(resp.data, resp.len, resp.len, &it) ||
	        cborx_map_uint(it, 1, &h->node) != 0 ||
	        cborx_map_bytes(it, 2, 32, &sp, &splen) != 0))
		err = EPROTO;
	if (err == 0) {
		memcpy(h->server_pub, sp, 32);
		h->pinned = 1;
	}
	if (it != NULL)
		cbor_decref(&it);
	buf_free(&resp);
	return err;
}

static void
batch(uint64_t first, unsigned n, uint8_t **out, size_t *len)
{
	cbor_item_t *m = cborx_map(4), *arr = cborx_array(n), *c, *b;
	struct uuid id, enc, pat, by;
	uint8_t *body;
	size_t blen;
	char s[UUID_STRLEN + 1];
	unsigned i;

	uuid_v7(&enc);
	uuid_v7(&pat);
	uuid_v7(&by);
	for (i = 0; i < n; i++) {
		uuid_v7(&id);
		b = cborx_map(10);
		cborx_map_put(b, REC_K_ID, cborx_bytes(id.b, 16));
		cborx_map_put(
		    b, REC_K_HLC, cborx_uint(HLC_MAKE(hlc_wall_ms(), i)));
		cborx_map_put(b, REC_K_BY, cborx_bytes(by.b, 16));
		cborx_map_put(b, REC_K_NODE, cborx_bytes(by.b, 16));
		uuid_format(&enc, s);
		cborx_map_put(b, REC_OBS_ENCOUNTER, cborx_text(s));
		uuid_format(&pat, s);
		cborx_map_put(b, REC_OBS_PATIENT, cborx_text(s));
		cborx_map_put(b, REC_OBS_LOINC, cborx_text("8867-4"));
		cborx_map_put(b, REC_OBS_VALUE, cborx_double(60 + i % 40));
		cborx_map_put(b, REC_OBS_UNIT, cborx_text("/min"));
		cborx_map_put(b, REC_OBS_RECORDED, cborx_uint(hlc_wall_ms()));
		if (cborx_encode(b, &body, &blen) != 0)
			abort();
		cbor_decref(&b);
		c = cborx_array(5);
		cborx_array_push(c, cborx_uint(first + i));
		cborx_array_push(c, cborx_uint(REC_OBSERVATION));
		cborx_array_push(c, cborx_bytes(id.b, 16));
		cborx_array_push(c, cborx_uint(HLC_MAKE(hlc_wall_ms(), i)));
		cborx_array_push(c, cborx_bytes(body, blen));
		free(body);
		cborx_array_push(arr, c);
	}
	cborx_map_put(m, 1, cborx_uint(first));
	cborx_map_put(m, 2, cborx_uint(first + n - 1));
	cborx_map_put(m, 3, arr);
	if (cborx_encode(m, out, len) != 0)
		abort();
	cbor_decref(&m);
}

static void *
kiosk_run(void *arg)
{
	struct load *l = arg;
	struct sync_http h;
	struct buf resp;
	uint64_t seq = 0, next = 1, t0, dt;
	uint8_t *body;
	size_t len;

	if (sync_http_init(&h, l->url, NULL) != 0 || enroll(&h, l->token)) {
		l->errors++;
		sync_http_free(&h);
		return NULL;
	}
	while (clock_mono_ms() < l->deadline_ms) {
		batch(next, l->records, &body, &len);
		t0 = clock_mono_ms();
		if (sync_http_post(&h, "/v1/push", body, len, ++seq,
		        HLC_MAKE(hlc_wall_ms(), 0), &resp) == 0 &&
		    h.status == 200) {
			dt = clock_mono_ms() - t0;
			l->acked += l->records;
			next += l->records;
			l->pushes++;
			if (l->nlat == l->caplat) {
				l->caplat = l->caplat ? l->caplat * 2 : 1024;
				l->lat = xreallocarray(
				    l->lat, l->caplat, sizeof(*l->lat));
			}
			l->lat[l->nlat++] = dt;
		} else
			l->errors++;
		buf_free(&resp);
		free(body);
	}
	sync_http_free(&h);
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct load *l;
	pthread_t *t;
	long long nk, secs, recs;
	uint64_t t0, el, acked = 0, pushes = 0, errors = 0, *all = NULL;
	size_t nall = 0, i, j;
	char cmd[1024];
	FILE *p;

	if (argc != 7 || str_to_ll(argv[4], 1, 1000, &nk) != 0 ||
	    str_to_ll(argv[5], 1, 3600, &secs) != 0 ||
	    str_to_ll(argv[6], 1, 512, &recs) != 0) {
		fprintf(stderr,
		    "usage: sync_load URL SERVER_BIN DATA_DIR "
		    "KIOSKS SECONDS RECORDS_PER_PUSH\n");
		return 2;
	}
	l = xcalloc((size_t)nk, sizeof(*l));
	t = xcalloc((size_t)nk, sizeof(*t));
	for (i = 0; i < (size_t)nk; i++) {
		snprintf(cmd, sizeof(cmd),
		    "'%s' --data '%s' admin enroll-token --role clinic "
		    "--region load --facility f",
		    argv[2], argv[3]);
		if ((p = popen(cmd, "r")) == NULL ||
		    fgets(l[i].token, sizeof(l[i].token), p) == NULL) {
			fprintf(stderr, "cannot make a token\n");
			return 1;
		}
		pclose(p);
		str_trim(l[i].token);
		l[i].url = argv[1];
		l[i].records = (unsigned)recs;
	}
	t0 = clock_mono_ms();
	for (i = 0; i < (size_t)nk; i++) {
		l[i].deadline_ms = t0 + (uint64_t)secs * 1000;
		pthread_create(&t[i], NULL, kiosk_run, &l[i]);
	}
	for (i = 0; i < (size_t)nk; i++)
		pthread_join(t[i], NULL);
	el = clock_mono_ms() - t0;
	for (i = 0; i < (size_t)nk; i++) {
		acked += l[i].acked;
		pushes += l[i].pushes;
		errors += l[i].errors;
		all = xreallocarray(all, nall + l[i].nlat + 1, sizeof(*all));
		for (j = 0; j < l[i].nlat; j++)
			all[nall++] = l[i].lat[j];
		free(l[i].lat);
	}
	qsort(all, nall, sizeof(*all), cmp_u64);
	printf("kiosks=%lld seconds=%.1f records_per_push=%lld pushes=%" PRIu64
	       " records=%" PRIu64 " records_per_s=%.0f errors=%" PRIu64
	       " push_p50_ms=%" PRIu64 " push_p99_ms=%" PRIu64 "\n",
	    nk, (double)el / 1000, recs, pushes, acked,
	    (double)acked * 1000 / (double)(el ? el : 1), errors,
	    nall ? all[nall / 2] : 0, nall ? all[nall * 99 / 100] : 0);
	free(all);
	free(l);
	free(t);
	return errors > pushes / 100 ? 1 : 0;
}
