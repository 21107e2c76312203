/*
 * Logging: levels, a module prefix per file (LOG_MODULE), output to a file
 * or stderr.  Never log patient-identifying data or measurement values:
 * record ids, device ids and error codes only.
 *
 * Each .c file defines LOG_MODULE before including this header.  The level
 * check happens in the macro, before any argument is evaluated.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#ifndef LOG_MODULE
#define LOG_MODULE "-"
#endif

enum log_level {
	LOG_LEVEL_FATAL = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

extern int log_level_current;

/*
 * Send log lines to PATH (appended, created 0600) or, when PATH is NULL,
 * to stderr.  Returns 0 or an errno value; on failure logging stays where
 * it was.
 */
int log_init(const char *path, enum log_level level);
void log_close(void);
/* Called before fatal() exits, e.g. to restore the terminal. */
void log_set_fatal_hook(void (*hook)(void));

void log_emit(enum log_level, const char *module, const char *func,
    int with_errno, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void log_fatal(const char *module, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define log_at(lvl, e, ...)                                                    \
	do {                                                                   \
		if (log_level_current >= (lvl))                                \
			log_emit(                                              \
			    (lvl), LOG_MODULE, __func__, (e), __VA_ARGS__);    \
	} while (0)

#define log_debug(...) log_at(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_at(LOG_LEVEL_INFO, 0, __VA_ARGS__)
/* log_warn appends strerror(errno); log_warnx does not. */
#define log_warn(...) log_at(LOG_LEVEL_WARN, 1, __VA_ARGS__)
#define log_warnx(...) log_at(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define fatal(...) log_fatal(LOG_MODULE, 1, __VA_ARGS__)
#define fatalx(...) log_fatal(LOG_MODULE, 0, __VA_ARGS__)

#endif
