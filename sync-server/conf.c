/*
 * `sync-server --config FILE` (issue 18): the file's `key = value` lines
 * become the options they name, placed before the command line's own so
 * the command line wins.  Only options the server has are accepted, and
 * each once: a typo is refused with its line number rather than ignored.
 * It holds no secrets (the store key stays in --key-file or the
 * credential), so nothing here is wiped.
 */
#define LOG_MODULE "conf"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "conf.h"
#include "str.h"
#include "xmalloc.h"

#define CONF_LINE_MAX 1024

/* Every option of main.c that takes a value, without its dashes. */
static const char *const conf_keys[] = { "data", "store", "listen", "tls-cert",
	"tls-key", "threads", "max-conns", "max-per-ip", "timeout", "pull-page",
	"push-changes", "header-timeout", "request-timeout", "min-rate",
	"body-memory", "port-file", "log", "key-file", "user", "blob-quota-mb",
	"blob-stale-hours", "licence-hours" };

struct conf_list {
	char **v;
	int n, cap;
};

static void
conf_push(struct conf_list *l, const char *s)
{
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, (size_t)l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s ? xstrdup(s) : NULL;
	l->v[l->n] = NULL;
}

static int
conf_known(const char *key)
{
	size_t i;

	for (i = 0; i < nitems(conf_keys); i++)
		if (strcmp(conf_keys[i], key) == 0)
			return 1;
	return strcmp(key, "verbose") == 0;
}

/* Has KEY already been read (as --KEY, or verbose as -v)? */
static int
conf_seen(const struct conf_list *l, int from, const char *opt)
{
	int i;

	for (i = from; i < l->n; i++)
		if (l->v[i] != NULL && strcmp(l->v[i], opt) == 0)
			return 1;
	return 0;
}

/* One line of FILE: append its option to L. */
static int
conf_line(struct conf_list *l, int from, char *line, char **cause)
{
	char *eq, *key, *val, opt[64];

	if ((eq = strchr(line, '=')) == NULL) {
		*cause = xstrdup("not a `key = value` line");
		return EINVAL;
	}
	*eq = '\0';
	key = str_trim(line);
	val = str_trim(eq + 1);
	if (!conf_known(key)) {
		xasprintf(cause,
		    "unknown setting '%s' (settings are the long options "
		    "without their dashes, and verbose)",
		    key);
		return EINVAL;
	}
	if (*val == '\0') {
		xasprintf(cause, "%s has no value", key);
		return EINVAL;
	}
	if (strcmp(key, "verbose") == 0) {
		if (conf_seen(l, from, "-v") || conf_seen(l, from, "verbose")) {
			*cause = xstrdup("verbose is given twice");
			return EINVAL;
		}
		if (strcmp(val, "yes") == 0)
			conf_push(l, "-v");
		else if (strcmp(val, "no") != 0) {
			*cause = xstrdup("verbose is yes or no");
			return EINVAL;
		}
		return 0;
	}
	snprintf(opt, sizeof(opt), "--%s", key);
	if (conf_seen(l, from, opt)) {
		xasprintf(cause, "%s is given twice", key);
		return EINVAL;
	}
	conf_push(l, opt);
	conf_push(l, val);
	return 0;
}

static int
conf_read(struct conf_list *l, const char *path, char **cause)
{
	char line[CONF_LINE_MAX + 2], *why = NULL, *p;
	int from = l->n, lineno = 0, err = 0;
	size_t len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		err = errno;
		xasprintf(cause, "--config %s: %s", path, strerror(err));
		return err;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > CONF_LINE_MAX ||
		    (len > 0 && line[len - 1] != '\n' && !feof(fp))) {
			why = xstrdup("line longer than 1 KiB");
			err = EINVAL;
			break;
		}
		p = str_trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((err = conf_line(l, from, p, &why)) != 0)
			break;
	}
	if (err == 0 && ferror(fp)) {
		err = EIO;
		why = xstrdup("read error");
	}
	fclose(fp);
	if (err != 0) {
		xasprintf(cause, "%s, line %d: %s", path, lineno, why);
		free(why);
	}
	return err;
}

int
conf_argv(int argc, char **argv, int *argcp, char ***argvp, char **cause)
{
	struct conf_list l = { NULL, 0, 0 };
	int i, at = -1, err = 0;

	*cause = NULL;
	for (i = 1; i < argc && strcmp(argv[i], "admin") != 0; i++)
		if (strcmp(argv[i], "--config") == 0) {
			at = i;
			break;
		}
	conf_push(&l, argc > 0 ? argv[0] : "sync-server");
	if (at >= 0) {
		if (at + 1 >= argc) {
			*cause = xstrdup("--config needs a file");
			err = EINVAL;
			goto out;
		}
		if ((err = conf_read(&l, argv[at + 1], cause)) != 0)
			goto out;
	}
	for (i = 1; i < argc; i++) {
		if (i == at) {
			i++;
			continue;
		}
		conf_push(&l, argv[i]);
	}
out:
	if (err != 0) {
		conf_argv_free(l.n, l.v);
		return err;
	}
	*argcp = l.n;
	*argvp = l.v;
	return 0;
}

void
conf_argv_free(int argc, char **argv)
{
	int i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
