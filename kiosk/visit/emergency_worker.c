/*
 * The emergency pump's worker thread (emergency.h): the UI raises an
 * incident and records the CHW's steps on its own connection, and kicks
 * this thread, which does everything that may block (the modem) on a
 * second connection to the store (SQLite WAL: the UI keeps reading and
 * writing meanwhile).  A send is never inside a transaction (claim, send,
 * result: store/emergency.h), so a modem that hangs holds no lock.  No
 * curses, no patient data in the log.
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "log.h"
#include "xmalloc.h"

#define WORKER_PERIOD_MS 1000
#define MM_RETRY_MS 30000

static pthread_t w_tid;
static pthread_mutex_t w_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t w_cv = PTHREAD_COND_INITIALIZER;
static int w_running, w_stop, w_kicked;
static struct store *w_store;
static struct emerg_worker_status w_st;
static struct sms_port w_real; /* the back-end the wrapper calls */
static struct sms_dir w_dir;
static struct sms_mm *w_mm; /* ModemManager, when in use (under w_mu) */
/* The fast path (POST /v1/emergency through kiosk/sync's signed client)
 * and its retry state, kept from one round to the next. */
static struct emerg_fast w_fast;
static struct emerg_fast_slot w_fslots[EMERG_FAST_SLOTS];

/* The port the pump sees: the back-end, with the worker's status kept
 * around each send (what the screens read). */
static int
watched_send(void *arg, const char *to, const char *text, char ref[32])
{
	int rc;

	(void)arg;
	pthread_mutex_lock(&w_mu);
	w_st.busy_since_ms = clock_mono_ms();
	pthread_mutex_unlock(&w_mu);
	rc = w_real.send(w_real.arg, to, text, ref);
	pthread_mutex_lock(&w_mu);
	w_st.busy_since_ms = 0;
	w_st.last_err = rc;
	w_st.modem = rc == 0 ? EMERG_MODEM_OK : EMERG_MODEM_FAILED;
	pthread_mutex_unlock(&w_mu);
	return rc;
}

static int
watched_recv(void *arg, struct sms_msg *m)
{
	(void)arg;
	return w_real.recv(w_real.arg, m);
}

static int
watched_report(void *arg, char ref[32], int *delivered)
{
	(void)arg;
	if (w_real.report == NULL)
		return ENOENT;
	return w_real.report(w_real.arg, ref, delivered);
}

/* The roster kept in the store, under the pinned server key: 0 or
 * ENOENT (not enrolled, none, or it no longer verifies). */
static int
roster_load(struct store *s, struct esc_roster *r)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int err;

	if (store_state_get(s, SYNC_K_SERVER_PUB, &v, &len) != 0 || v == NULL ||
	    len != 32) {
		free(v);
		return ENOENT;
	}
	err = store_emergency_roster_get(s, v, (int64_t)time(NULL), r, NULL);
	free(v);
	return err != 0 ? ENOENT : 0;
}

static void
one_round(struct sms_port *port, struct esc_roster *r)
{
	struct emerg_ctx c;
	struct esc_now now;
	uint8_t *cb = NULL;
	size_t len = 0;
	char phone[ESC_NUM_LEN + 1] = "";
	int err;

	memset(r, 0, sizeof(*r));
	if ((err = roster_load(w_store, r)) == 0 &&
	    (err = esc_now_read(&now)) == 0) {
		if (store_state_get(w_store, EMERG_K_CALLBACK, &cb, &len) ==
		        0 &&
		    cb != NULL && len < sizeof(phone)) {
			memcpy(phone, cb, len);
			phone[len] = '\0';
		}
		free(cb);
		memset(&c, 0, sizeof(c));
		c.s = w_store;
		c.roster = r;
		c.port = port;
		c.chw_phone = phone;
		c.fast = &w_fast;
		memcpy(c.fslots, w_fslots, sizeof(w_fslots));
		err = emerg_pump(&c, &now, NULL);
		memcpy(w_fslots, c.fslots, sizeof(w_fslots));
	}
	pthread_mutex_lock(&w_mu);
	if (err != 0 && err != w_st.pump_err)
		log_warnx("emergency pump: %s", strerror(err));
	w_st.pump_err = err;
	w_st.rounds++;
	pthread_mutex_unlock(&w_mu);
}

/* ModemManager, when no modem is in hand (at most every 30 s). */
static void
modem_look(struct sms_mm **mm, uint64_t *last)
{
	if (w_real.send != NULL || w_dir.dir[0] != '\0' ||
	    (*last != 0 && clock_mono_ms() - *last < MM_RETRY_MS))
		return;
	*last = clock_mono_ms();
	if (emergency_sms_mm(&w_real, mm) != 0)
		return;
	log_info("emergency: SMS through ModemManager");
	pthread_mutex_lock(&w_mu);
	w_st.modem = EMERG_MODEM_UNTRIED;
	w_mm = *mm;
	pthread_mutex_unlock(&w_mu);
}

static void *
worker_main(void *arg)
{
	struct sms_port watched = { NULL, watched_send, watched_recv,
		watched_report };
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct sms_mm *mm = NULL;
	struct timespec ts;
	uint64_t mm_last = 0;
	int resent = 0, superseded = 0;

	(void)arg;
	if (store_emergency_recover(w_store, &resent, &superseded) != 0)
		log_warnx("emergency sends not recovered");
	pthread_mutex_lock(&w_mu);
	while (!w_stop) {
		w_kicked = 0;
		pthread_mutex_unlock(&w_mu);
		modem_look(&mm, &mm_last);
		one_round(w_real.send != NULL ? &watched : NULL, r);
		pthread_mutex_lock(&w_mu);
		if (w_stop || w_kicked)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)WORKER_PERIOD_MS * 1000000;
		while (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w_cv, &w_mu, &ts);
	}
	w_mm = NULL;
	pthread_mutex_unlock(&w_mu);
	emergency_sms_mm_free(mm);
	free(r);
	return NULL;
}

int
emerg_worker_start(const char *dir, const uint8_t key[32])
{
	const char *mdir = getenv("OUTPOST_TEST_MODEM_DIR");
	int err;

	if (w_running)
		return EALREADY;
	if ((err = store_open(dir, key, 0, &w_store)) != 0)
		return err;
	memset(&w_real, 0, sizeof(w_real));
	memset(&w_st, 0, sizeof(w_st));
	memset(&w_dir, 0, sizeof(w_dir));
	memset(w_fslots, 0, sizeof(w_fslots));
	emerg_fast_sync(&w_fast, w_store);
	/* test-only: the folder modem; else ModemManager (the worker looks) */
	if (mdir != NULL && mdir[0] != '\0') {
		emergency_sms_dir(&w_real, &w_dir, mdir);
		w_st.modem = EMERG_MODEM_UNTRIED;
	}
	w_stop = 0;
	w_kicked = 0;
	w_st.running = 1;
	if ((err = pthread_create(&w_tid, NULL, worker_main, NULL)) != 0) {
		store_close(w_store);
		w_store = NULL;
		w_st.running = 0;
		return err;
	}
	w_running = 1;
	return 0;
}

void
emerg_worker_kick(void)
{
	pthread_mutex_lock(&w_mu);
	w_kicked = 1;
	pthread_cond_signal(&w_cv);
	pthread_mutex_unlock(&w_mu);
}

void
emerg_worker_stop(void)
{
	if (!w_running)
		return;
	pthread_mutex_lock(&w_mu);
	w_stop = 1;
	/* a ModemManager call in flight is cut short: the lock does not
	 * wait for the modem (the send is recorded "unknown": it may have
	 * gone, and the server may take the level over) */
	emergency_sms_mm_cancel(w_mm);
	pthread_cond_signal(&w_cv);
	pthread_mutex_unlock(&w_mu);
	/* the folder modem's "hang" (tests) still runs its seconds */
	pthread_join(w_tid, NULL);
	store_close(w_store);
	w_store = NULL;
	w_running = 0;
	pthread_mutex_lock(&w_mu);
	w_st.running = 0;
	pthread_mutex_unlock(&w_mu);
}

void
emerg_worker_status(struct emerg_worker_status *out)
{
	pthread_mutex_lock(&w_mu);
	*out = w_st;
	pthread_mutex_unlock(&w_mu);
}
