/*
 * The background sync loop.  The thread opens its own connection to the
 * store (SQLite WAL lets the UI keep writing meanwhile) and runs sync_run
 * when kicked, when the outbox grew, or every INTERVAL seconds.  After a
 * failure it waits with capped exponential back-off and full jitter
 * (1 s doubling to 5 min), and it never gives up while anything is
 * unsynced: only sync_thread_stop ends it.  A refusal a person must act on
 * (revoked, conflict) backs off at the cap instead of spinning.
 */
#define LOG_MODULE "sync_thread"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "sync.h"
#include "xmalloc.h"

#define SYNC_BACKOFF_MIN_MS 1000
#define SYNC_BACKOFF_MAX_MS (5 * 60 * 1000)

static pthread_t sync_tid;
static pthread_mutex_t sync_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static int sync_running, sync_stop_flag, sync_kicked;
static struct store *sync_store;
static unsigned sync_interval_s;

/*
 * Wait up to MS or until kicked or stopped.  *STOP may be set from a
 * signal handler (kiosk sync --loop), which must not take the mutex, so
 * the wait wakes every 250 ms to look at it.
 */
static void
sync_wait(uint64_t ms, volatile int *stop)
{
	struct timespec ts;
	uint64_t slice;

	pthread_mutex_lock(&sync_mu);
	while (ms > 0 && !sync_kicked && !*stop && !sync_stop_flag) {
		slice = ms < 250 ? ms : 250;
		ms -= slice;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)slice * 1000000;
		while (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sync_cv, &sync_mu, &ts);
	}
	sync_kicked = 0;
	pthread_mutex_unlock(&sync_mu);
}

/* CANCEL ends a transfer in flight (the background thread's stop flag). */
static int
sync_loop_run(
    struct store *s, unsigned interval_s, volatile int *stop, const int *cancel)
{
	uint64_t backoff = SYNC_BACKOFF_MIN_MS, wait, r;
	char *cause = NULL;
	int err = 0;

	while (!*stop && !sync_stop_flag) {
		err = sync_run_cancel(s, NULL, &cause, cancel);
		free(cause);
		cause = NULL;
		if (err == 0) {
			backoff = SYNC_BACKOFF_MIN_MS;
			wait = (uint64_t)interval_s * 1000;
		} else {
			if (err == EACCES || err == EEXIST || err == ENOTCONN)
				backoff = SYNC_BACKOFF_MAX_MS;
			crypto_random(&r, sizeof(r));
			wait = r % backoff + 1; /* full jitter */
			if (backoff < SYNC_BACKOFF_MAX_MS)
				backoff *= 2;
			if (backoff > SYNC_BACKOFF_MAX_MS)
				backoff = SYNC_BACKOFF_MAX_MS;
		}
		sync_wait(wait, stop);
	}
	return err;
}

int
sync_loop(struct store *s, unsigned interval_s, volatile int *stop)
{
	return sync_loop_run(s, interval_s, stop, NULL);
}

static void *
sync_thread_main(void *arg)
{
	static volatile int never;

	(void)arg;
	/* Only this thread's own transfers are cut short by a stop. */
	sync_loop_run(sync_store, sync_interval_s, &never, &sync_stop_flag);
	return NULL;
}

int
sync_thread_start(const char *dir, const uint8_t key[32], unsigned interval_s)
{
	int err;

	if (sync_running)
		return EALREADY;
	if ((err = store_open(dir, key, 0, &sync_store)) != 0)
		return err;
	sync_interval_s = interval_s ? interval_s : 60;
	sync_stop_flag = 0;
	if ((err = pthread_create(&sync_tid, NULL, sync_thread_main, NULL))) {
		store_close(sync_store);
		sync_store = NULL;
		return err;
	}
	sync_running = 1;
	return 0;
}

int
sync_thread_stopping(void)
{
	/* Only the background thread's own transfers are cut short. */
	return __atomic_load_n(&sync_running, __ATOMIC_SEQ_CST) &&
	    pthread_equal(pthread_self(), sync_tid) &&
	    __atomic_load_n(&sync_stop_flag, __ATOMIC_SEQ_CST);
}

void
sync_thread_kick(void)
{
	pthread_mutex_lock(&sync_mu);
	sync_kicked = 1;
	pthread_cond_signal(&sync_cv);
	pthread_mutex_unlock(&sync_mu);
}

void
sync_thread_stop(void)
{
	if (!sync_running)
		return;
	pthread_mutex_lock(&sync_mu);
	__atomic_store_n(&sync_stop_flag, 1, __ATOMIC_SEQ_CST);
	pthread_cond_signal(&sync_cv);
	pthread_mutex_unlock(&sync_mu);
	pthread_join(sync_tid, NULL);
	store_close(sync_store);
	sync_store = NULL;
	__atomic_store_n(&sync_running, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sync_stop_flag, 0, __ATOMIC_SEQ_CST);
}
