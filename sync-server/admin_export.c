/*
 * `sync-server admin export --fhir|--csv --region R [--from D] [--to D]
 * --out DIR` (issue 17): the region's records as FHIR R4 NDJSON and/or
 * CSV (work/export.h), written only into DIR: made with mode 0700 (an
 * existing DIR must be an empty directory, and is set to 0700), each file
 * created new with mode 0600.  Nothing else is written: no temporary
 * file, no patient data on the terminal or in the log (counts only).
 *
 * D is a day, YYYY-MM-DD (UTC): --from's day is the first included,
 * --to's the last; or Unix milliseconds (--to exclusive).
 *
 * admin_export_collect is also the route's (api/export.c): what an admin
 * node of REGION would pull, its own changes included.
 */
#define LOG_MODULE "admin_export"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "str.h"
#include "sync-server/admin_export.h"
#include "sync-server/work/export.h"

static int
admin_export_take(const struct schange *c, void *arg)
{
	xport_add(arg, c->entity, c->id, c->hlc, c->origin, c->body, c->len);
	return 0;
}

int
admin_export_collect(const struct store_backend *be, struct sstore *s,
    const char *region, struct xport *x)
{
	return store_region_each(
	    be, s, region, 4096, clock_wall_ms(), admin_export_take, x);
}

/* A day (YYYY-MM-DD, UTC) or Unix ms; END: the day's end. */
static int
parse_when(const char *s, int end, uint64_t *out)
{
	struct tm tm;
	long long ms;
	char tail;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tail) == 3 &&
	    strlen(s) == 10) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
		    tm.tm_mday > 31 || (t = timegm(&tm)) < 0)
			return EINVAL;
		*out = ((uint64_t)t + (end ? 86400 : 0)) * 1000;
		return 0;
	}
	if (str_to_ll(s, 0, INT64_MAX, &ms) != 0)
		return EINVAL;
	*out = (uint64_t)ms;
	return 0;
}

struct outdir {
	int fd;
};

static int
write_file(void *arg, const char *name, const struct buf *b)
{
	struct outdir *o = arg;
	size_t off = 0;
	ssize_t w;
	int fd, err = 0;

	fd = openat(o->fd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (fchmod(fd, 0600) != 0)
		err = errno;
	while (err == 0 && off < b->len) {
		w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0)
		printf("  %s: %zu bytes\n", name, b->len);
	return err;
}

/* DIR made 0700, or an existing empty directory set to 0700. */
static int
open_out(const char *dir, int *fd)
{
	struct dirent *d;
	DIR *dp;
	int err = 0;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno;
	if ((*fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
	    0)
		return errno;
	if (fchmod(*fd, 0700) != 0) {
		err = errno;
		goto out;
	}
	if ((dp = fdopendir(dup(*fd))) == NULL) {
		err = errno;
		goto out;
	}
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			err = ENOTEMPTY;
	closedir(dp);
out:
	if (err != 0) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

int
admin_export(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	const char *region = NULL, *out = NULL;
	uint64_t from = 0, to = UINT64_MAX;
	struct xport_summary sum;
	struct outdir o = { -1 };
	struct xport *x;
	int i, formats = 0, err;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fhir") == 0)
			formats |= XPORT_FHIR;
		else if (strcmp(argv[i], "--csv") == 0)
			formats |= XPORT_CSV;
		else if (i + 1 < argc && strcmp(argv[i], "--region") == 0)
			region = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			out = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--from") == 0) {
			if (parse_when(argv[++i], 0, &from) != 0)
				goto usage;
		} else if (i + 1 < argc && strcmp(argv[i], "--to") == 0) {
			if (parse_when(argv[++i], 1, &to) != 0)
				goto usage;
		} else
			goto usage;
	}
	if (formats == 0 || region == NULL || region[0] == '\0' ||
	    out == NULL || from >= to)
		goto usage;
	if ((err = open_out(out, &o.fd)) != 0) {
		fprintf(stderr, "sync-server: export: %s: %s\n", out,
		    err == ENOTEMPTY ? "not empty: give a new or empty "
		                       "directory"
		                     : strerror(err));
		return 1;
	}
	x = xport_new();
	if ((err = admin_export_collect(be, s, region, x)) != 0) {
		fprintf(stderr, "sync-server: export: reading the store: %s\n",
		    strerror(err));
		goto done;
	}
	printf("export of region %s into %s:\n", region, out);
	err = xport_run(
	    x, from, to, formats, (size_t)1 << 31, write_file, &o, &sum);
	if (err != 0) {
		fprintf(stderr,
		    "sync-server: export: %s (files written so far are in "
		    "%s; remove them and export again)\n",
		    err == EMSGSIZE ? "a file would pass 2 GiB: export a "
		                      "shorter date range"
		                    : strerror(err),
		    out);
		goto done;
	}
	printf("%" PRIu64 " records chosen, %" PRIu64
	       " brought along by reference, %" PRIu64
	       " left out as deleted, %" PRIu64
	       " left out for a reference the region does not hold; %" PRIu64
	       " FHIR resources, %" PRIu64 " CSV rows in %zu files; %" PRIu64
	       " forms whose answers did not parse (exported without "
	       "them)\n",
	    sum.chosen, sum.referenced, sum.deleted, sum.skipped, sum.resources,
	    sum.rows, sum.files, sum.malformed);
done:
	xport_free(x);
	close(o.fd);
	return err == 0 ? 0 : 1;
usage:
	fprintf(stderr,
	    "usage: sync-server --data DIR admin export --fhir|--csv "
	    "--region R [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out DIR\n");
	return 2;
}
