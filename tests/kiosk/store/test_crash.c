/*
 * Power-cut safety of the save path: a child process saves encounters in a
 * loop and reports each id only after store_encounter_save() returned; the
 * parent SIGKILLs it at a random moment, 200+ times.  After every kill the
 * store must hold every reported encounter, with all its observations (no
 * half-written encounter), an intact audit chain and a gapless outbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "kiosk/store/store_int.h"
#include "test.h"
#include "xmalloc.h"

#define KILLS 200
#define NOBS 7

static void
child(const char *dir, const uint8_t key[32], const char *pid, int fd)
{
	struct store *s;
	struct store_encounter e;
	struct store_obs o[NOBS];
	char line[UUID_STRLEN + 2];
	int i;

	if (store_open(dir, key, 0, &s) != 0)
		_exit(3);
	if (write(fd, "ready\n", 6) != 6) /* start the parent's clock */
		_exit(5);
	for (;;) {
		memset(&e, 0, sizeof(e));
		snprintf(e.patient_id, sizeof(e.patient_id), "%s", pid);
		e.reason = (char *)"crash test";
		for (i = 0; i < NOBS; i++)
			o[i] = (struct store_obs){ .loinc = "8867-4",
				.value = 60 + i,
				.unit = "/min" };
		if (store_encounter_save(s, &e, o, NOBS) != 0)
			_exit(4);
		snprintf(line, sizeof(line), "%s\n", e.id);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			_exit(5);
	}
}

static int
present(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int n = -1;

	sqlite3_prepare_v2(store_db(s),
	    "SELECT count(*) FROM observations "
	    "WHERE encounter_id = ?",
	    -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
half_written(struct store *s)
{
	sqlite3_stmt *st;
	int n = -1;

	sqlite3_prepare_v2(store_db(s),
	    "SELECT count(*) FROM (SELECT "
	    "e.id FROM encounters e LEFT JOIN observations o ON "
	    "o.encounter_id = e.id GROUP BY e.id HAVING count(o.id) != 7)",
	    -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
test_sigkill_during_saves(void)
{
	struct store *s = NULL;
	struct store_patient p = { 0 };
	struct buf got;
	uint8_t key[32];
	char dir[] = "/tmp/outpost-crash-XXXXXX", *cause = NULL, *report = NULL;
	char *ids = NULL, *line, *save, cmd[128];
	struct timespec ts;
	pid_t pid;
	int fds[2], k, err = 0, status, total = 0;
	ssize_t n;
	char tmp[4096];

	TEST_TRUE(mkdtemp(dir) != NULL);
	crypto_random(key, 32);
	TEST_ERR(store_open(dir, key, 1, &s));
	p.given = (char *)"Crash";
	p.family = (char *)"Test";
	TEST_ERR(store_patient_add(s, &p, NULL, &cause));
	store_close(s);
	s = NULL;
	srand((unsigned)time(NULL));
	buf_init(&got, 1 << 24);
	for (k = 0; k < KILLS; k++) {
		TEST_EQ(pipe(fds), 0);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			child(dir, key, p.id, fds[1]);
		}
		close(fds[1]);
		/* wait until the child is saving, then kill it somewhere in
		 * its first 40 ms of saves; every other run, only after its
		 * first acknowledged save, so however slow the machine, half
		 * the kills land among saves (not all before the first) */
		if (read(fds[0], tmp, 6) != 6 || memcmp(tmp, "ready\n", 6) != 0)
			TEST_FAILED("kill %d: child did not start", k);
		buf_reset(&got);
		if (k % 2 == 1) {
			do {
				if (read(fds[0], tmp, 1) != 1)
					TEST_FAILED(
					    "kill %d: no first save", k);
				buf_append(&got, tmp, 1);
			} while (tmp[0] != '\n');
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % 40000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status))
			TEST_FAILED("child exited with %d before the kill",
			    WEXITSTATUS(status));
		while ((n = read(fds[0], tmp, sizeof(tmp))) > 0)
			buf_append(&got, tmp, (size_t)n);
		close(fds[0]);
		TEST_ERR(store_open(dir, key, 0, &s));
		free(ids);
		ids = buf_take_str(&got);
		buf_init(&got, 1 << 24);
		for (line = strtok_r(ids, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strlen(line) != UUID_STRLEN)
				continue; /* the kill cut the report itself */
			if (present(s, line) != NOBS)
				TEST_FAILED("kill %d: committed encounter %s "
				            "lost or partial",
				    k, line);
			total++;
		}
		TEST_EQ(half_written(s), 0);
		if (store_check(s, &report) != 0)
			TEST_FAILED("kill %d: %s", k, report);
		free(report);
		report = NULL;
		store_close(s);
		s = NULL;
	}
	printf("# %d kills, %d acknowledged encounters all present\n", KILLS,
	    total);
	TEST_TRUE(total >= KILLS / 2); /* the kills landed among saves */
out:
	buf_free(&got);
	free(ids);
	free(cause);
	free(report);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		err = err ? err : EIO;
	return err;
}

TEST_MAIN({ "sigkill_during_saves", test_sigkill_during_saves })
