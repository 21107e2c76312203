/*
 * The waitlist's moving offers (wait_timer.h): the rank callback the store
 * calls, the offer maker, and a timer thread that sweeps lapsed offers as
 * the emergency engine's timer sweeps incidents (emergency.c).
 */
#define LOG_MODULE "waitlist"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "str.h"
#include "xmalloc.h"
#include "sync-server/wait_timer.h"
#include "sync-server/work/sched.h"

struct wait_srv {
	struct server *srv;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t tick_ms;
	int stop;
};

/* The store's candidates in sched.c's order (urgency, share of the
 * recommended wait used, time listed, id), hard preferences applied. */
static size_t
wl_rank(const struct swait *w, size_t n, const struct ssched *d,
    const struct sslot *slot, size_t *order, void *arg)
{
	struct sched_wl *e = xcalloc(n ? n : 1, sizeof(*e));
	struct sched_wl_slot s;
	uint64_t now = *(const uint64_t *)arg;
	size_t i, k;

	memset(&s, 0, sizeof(s));
	str_lcpy(s.clinician, d->clinician, sizeof(s.clinician));
	str_lcpy(s.service, d->service, sizeof(s.service));
	str_lcpy(s.modalities, d->modalities, sizeof(s.modalities));
	str_lcpy(s.langs, d->langs, sizeof(s.langs));
	s.start_ms = (int64_t)slot->start_ms;
	for (i = 0; i < n; i++) {
		memcpy(e[i].id, w[i].id, 16);
		e[i].urgency = w[i].urgency;
		e[i].listed_ms = (int64_t)w[i].listed_ms;
		e[i].recommended_ms = (int64_t)w[i].recommended_ms;
		str_lcpy(e[i].lang, w[i].lang, sizeof(e[i].lang));
		str_lcpy(e[i].modality, w[i].modality, sizeof(e[i].modality));
		str_lcpy(
		    e[i].clinician, w[i].clinician, sizeof(e[i].clinician));
		str_lcpy(e[i].service, w[i].service, sizeof(e[i].service));
	}
	k = sched_wl_rank(e, n, &s, (int64_t)now, order);
	free(e);
	return k;
}

int
waitlist_offer(
    struct server *srv, uint64_t slot, uint64_t start_ms, uint64_t now_ms)
{
	struct soffer o;
	uint64_t hold;
	int err;

	if (srv->be->wait_offer == NULL)
		return ENOENT;
	if (start_ms <= now_ms + 60000ULL)
		return ENOENT; /* too soon to hold an offer for it */
	hold = srv->wait_hold_ms != 0
	    ? srv->wait_hold_ms
	    : (uint64_t)sched_offer_hold_ms((int64_t)start_ms, (int64_t)now_ms);
	err = srv->be->wait_offer(
	    srv->store, slot, now_ms, now_ms + hold, wl_rank, &now_ms, &o);
	if (err == 0)
		log_info("slot %llu offered to a waitlist entry",
		    (unsigned long long)slot);
	else if (err != ENOENT)
		log_warnx("slot %llu: waitlist offer failed: %s",
		    (unsigned long long)slot, strerror(err));
	return err;
}

int
waitlist_tick(struct server *srv, uint64_t now_ms, unsigned *moved)
{
	struct sslot *v = NULL;
	size_t n = 0, i;
	unsigned k = 0;
	int err;

	if (moved != NULL)
		*moved = 0;
	if (srv->be->wait_sweep == NULL)
		return 0;
	if ((err = srv->be->wait_sweep(srv->store, now_ms, &v, &n)) != 0)
		return err;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].status, "free") == 0 &&
		    waitlist_offer(srv, v[i].id, v[i].start_ms, now_ms) == 0)
			k++;
	free(v);
	if (moved != NULL)
		*moved = k;
	return 0;
}

static void *
wl_thread(void *arg)
{
	struct wait_srv *ws = arg;
	struct timespec ts;
	int err;

	pthread_mutex_lock(&ws->mu);
	while (!ws->stop) {
		pthread_mutex_unlock(&ws->mu);
		if ((err = waitlist_tick(ws->srv, server_now_ms(), NULL)) != 0)
			log_warnx("waitlist timer: %s", strerror(err));
		pthread_mutex_lock(&ws->mu);
		if (ws->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ws->tick_ms / 1000;
		ts.tv_nsec += (long)(ws->tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&ws->cv, &ws->mu, &ts);
	}
	pthread_mutex_unlock(&ws->mu);
	return NULL;
}

int
waitlist_start(struct server *srv, uint32_t tick_ms)
{
	struct wait_srv *ws;
	int err;

	ws = xcalloc(1, sizeof(*ws));
	ws->srv = srv;
	ws->tick_ms = tick_ms ? tick_ms : 10000;
	pthread_mutex_init(&ws->mu, NULL);
	pthread_cond_init(&ws->cv, NULL);
	if ((err = pthread_create(&ws->thr, NULL, wl_thread, ws)) != 0) {
		pthread_mutex_destroy(&ws->mu);
		pthread_cond_destroy(&ws->cv);
		free(ws);
		return err;
	}
	srv->wait = ws;
	srv->wait_stop_hook = waitlist_stop;
	return 0;
}

void
waitlist_stop(struct server *srv)
{
	struct wait_srv *ws = srv->wait;

	if (ws == NULL)
		return;
	pthread_mutex_lock(&ws->mu);
	ws->stop = 1;
	pthread_cond_signal(&ws->cv);
	pthread_mutex_unlock(&ws->mu);
	pthread_join(ws->thr, NULL);
	pthread_mutex_destroy(&ws->mu);
	pthread_cond_destroy(&ws->cv);
	srv->wait = NULL;
	srv->wait_stop_hook = NULL;
	free(ws);
}
