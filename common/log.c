/*
 * Log lines to a file or stderr: "time level module func: message".
 * The kiosk always logs to a file (the terminal belongs to curses).
 * This file does not filter content: callers must not pass patient data.
 */
#define LOG_MODULE "log"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int log_level_current = LOG_LEVEL_INFO;
static FILE *log_file; /* NULL: stderr */
static void (*log_fatal_hook)(void);

static const char *const log_names[] = { "fatal", "warn", "info", "debug" };

int
log_init(const char *path, enum log_level level)
{
	FILE *f;
	int fd;

	log_level_current = level;
	if (path == NULL) {
		log_close();
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1)
		return errno;
	if ((f = fdopen(fd, "a")) == NULL) {
		close(fd);
		return errno;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	log_close();
	log_file = f;
	return 0;
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

void
log_set_fatal_hook(void (*hook)(void))
{
	log_fatal_hook = hook;
}

static void
log_vemit(enum log_level lvl, const char *module, const char *func,
    int saved_errno, const char *fmt, va_list ap)
{
	FILE *out = log_file != NULL ? log_file : stderr;
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%03ldZ %s %s", when, ts.tv_nsec / 1000000,
	    log_names[lvl], module);
	if (func != NULL && lvl == LOG_LEVEL_DEBUG)
		fprintf(out, " %s", func);
	fputs(": ", out);
	vfprintf(out, fmt, ap);
	if (saved_errno >= 0)
		fprintf(out, ": %s", strerror(saved_errno));
	fputc('\n', out);
}

void
log_emit(enum log_level lvl, const char *module, const char *func,
    int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(lvl, module, func, with_errno ? saved : -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_fatal(const char *module, int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_fatal_hook != NULL)
		log_fatal_hook();
	va_start(ap, fmt);
	log_vemit(
	    LOG_LEVEL_FATAL, module, NULL, with_errno ? saved : -1, fmt, ap);
	va_end(ap);
	if (log_file != NULL) {
		/* The person at the terminal must see it too, without detail. */
		fprintf(stderr, "%s: fatal error, see the log\n", module);
	}
	exit(1);
}
