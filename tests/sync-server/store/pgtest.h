/*
 * A throwaway PostgreSQL 15 cluster for a test program, through
 * tests/tools/pgcluster.sh (a copy of an initdb template in /tmp/outpost-pg.XXXXXX, Unix socket
 * only, an unprivileged server user when run as root), and a fresh
 * database per case.  Static functions in a header, like fixture.h.
 */
#ifndef TESTS_SERVER_PGTEST_H
#define TESTS_SERVER_PGTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

struct pgtest {
	char dir[128]; /* the cluster's directory and socket */
	char why[256]; /* why it could not start */
	int up;
	unsigned ndb;
};

static inline const char *
pgtest_tool(void)
{
	static char path[512];
	const char *src = getenv("OUTPOST_SRC");

	snprintf(
	    path, sizeof(path), "%s/tests/tools/pgcluster.sh", src ? src : ".");
	return path;
}

/* 0, TEST_SKIP-worthy 77 (PostgreSQL missing, reason in why), or -1. */
static inline int
pgtest_start(struct pgtest *pg)
{
	char cmd[600];
	FILE *f;
	int st;

	memset(pg, 0, sizeof(*pg));
	/* stopped by a watchdog should this process die first */
	snprintf(cmd, sizeof(cmd),
	    "PGCLUSTER_OWNER=%ld sh %s start 2>/dev/null", (long)getpid(),
	    pgtest_tool());
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(pg->dir, sizeof(pg->dir), f) == NULL)
		pg->dir[0] = '\0';
	pg->dir[strcspn(pg->dir, "\n")] = '\0';
	st = pclose(f);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		snprintf(pg->why, sizeof(pg->why),
		    "PostgreSQL 15 server not installed (make deps)");
		return 77;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || pg->dir[0] == '\0') {
		snprintf(pg->why, sizeof(pg->why),
		    "pgcluster.sh start failed (exit %d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	pg->up = 1;
	return 0;
}

static inline int
pgtest_stop(struct pgtest *pg)
{
	char cmd[700];
	int st;

	if (!pg->up)
		return 0;
	pg->up = 0;
	snprintf(cmd, sizeof(cmd), "sh %s stop %s", pgtest_tool(), pg->dir);
	st = system(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The conninfo of database DB ("postgres" when NULL). */
static inline void
pgtest_conninfo(const struct pgtest *pg, const char *db, char *out, size_t size)
{
	snprintf(out, size, "host=%s dbname=%s user=postgres", pg->dir,
	    db ? db : "postgres");
}

/* Run SQL on DB; the first value of the first row into OUT if set. */
static inline int
pgtest_sql(const struct pgtest *pg, const char *db, const char *sql, char *out,
    size_t size)
{
	char ci[256];
	PGconn *c;
	PGresult *r;
	int err = 0;

	pgtest_conninfo(pg, db, ci, sizeof(ci));
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtest: %s", PQerrorMessage(c));
		PQfinish(c);
		return EIO;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
		err = EIO;
	} else if (out != NULL && size > 0) {
		if (PQntuples(r) > 0 && PQnfields(r) > 0)
			snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
		else
			out[0] = '\0';
	}
	PQclear(r);
	PQfinish(c);
	return err;
}

/* A fresh database; its conninfo into OUT. */
static inline int
pgtest_newdb(struct pgtest *pg, char *out, size_t size)
{
	char sql[128], db[32];
	int err;

	snprintf(db, sizeof(db), "t%u", ++pg->ndb);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", db);
	if ((err = pgtest_sql(pg, NULL, sql, NULL, 0)) != 0)
		return err;
	pgtest_conninfo(pg, db, out, size);
	return 0;
}

#endif
