/*
 * The feed-stall monitor of the PostgreSQL store (pg_int.h): the pull feed
 * shows nothing newer than the oldest transaction that holds an xid in the
 * whole cluster, so one left open (a stuck session, a long migration, a
 * bulk load in another database) stops every kiosk's pull.  Sessions of
 * the store's role are ended by the server after 10 s idle in a
 * transaction (pg_schema.c); this thread sees the rest and says so: a log
 * line and a "feed-stall" alert (admin stats) per offending transaction.
 *
 * It uses its own connection (application_name outpost-sync-monitor), not
 * one of the pool, and does not end anything itself.
 */
#define LOG_MODULE "store_pg"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hlc.h"
#include "log.h"
#include "pg_int.h"

static const char pg_monitor_sql[] =
    "SELECT pid, (extract(epoch FROM now() - xact_start) * 1000)::bigint,"
    " coalesce(datname, ''), pid || '@' || xact_start FROM pg_stat_activity"
    " WHERE backend_xid IS NOT NULL ORDER BY xact_start LIMIT 1";

/* LAST: the transaction alerted last ("pid@start"), not alerted twice. */
static void
pg_monitor_check(struct sstore *s, PGconn *c, char *last, size_t size)
{
	PGresult *r = PQexec(c, pg_monitor_sql);
	char detail[200];
	long long ms;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		goto out;
	ms = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	if (ms < PG_STALL_MS || strcmp(last, PQgetvalue(r, 0, 3)) == 0)
		goto out;
	snprintf(last, size, "%s", PQgetvalue(r, 0, 3));
	snprintf(detail, sizeof(detail),
	    "backend %s (database %s) has held a transaction id for %lld s:"
	    " pulls show nothing newer until it ends",
	    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), ms / 1000);
	log_warnx("feed stalled: %s", detail);
	if (store_pg_backend.alert(s, 0, "feed-stall", detail, hlc_wall_ms()) ==
	    0) {
		pthread_mutex_lock(&s->mon_mu);
		s->stalls++;
		pthread_mutex_unlock(&s->mon_mu);
	}
out:
	PQclear(r);
}

static void *
pg_monitor_run(void *arg)
{
	struct sstore *s = arg;
	struct timespec until;
	char last[96] = "";
	PGconn *c = NULL;

	pthread_mutex_lock(&s->mon_mu);
	while (!s->mon_stop) {
		pthread_mutex_unlock(&s->mon_mu);
		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = PQconnectdb(s->conninfo);
			if (PQstatus(c) == CONNECTION_OK)
				PQclear(PQexec(c,
				    "SET application_name ="
				    " 'outpost-sync-monitor'"));
		}
		if (PQstatus(c) == CONNECTION_OK)
			pg_monitor_check(s, c, last, sizeof(last));
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PG_MONITOR_MS / 1000;
		pthread_mutex_lock(&s->mon_mu);
		if (!s->mon_stop)
			pthread_cond_timedwait(&s->mon_cv, &s->mon_mu, &until);
	}
	pthread_mutex_unlock(&s->mon_mu);
	PQfinish(c);
	return NULL;
}

int
pg_monitor_start(struct sstore *s)
{
	pthread_mutex_init(&s->mon_mu, NULL);
	pthread_cond_init(&s->mon_cv, NULL);
	if (pthread_create(&s->mon, NULL, pg_monitor_run, s) != 0) {
		pthread_mutex_destroy(&s->mon_mu);
		pthread_cond_destroy(&s->mon_cv);
		return EAGAIN;
	}
	s->mon_running = 1;
	return 0;
}

void
pg_monitor_stop(struct sstore *s)
{
	if (!s->mon_running)
		return;
	pthread_mutex_lock(&s->mon_mu);
	s->mon_stop = 1;
	pthread_cond_signal(&s->mon_cv);
	pthread_mutex_unlock(&s->mon_mu);
	pthread_join(s->mon, NULL);
	pthread_mutex_destroy(&s->mon_mu);
	pthread_cond_destroy(&s->mon_cv);
	s->mon_running = 0;
}
