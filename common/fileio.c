/*
 * Atomic, durable file writes (see fileio.h): temp file, fsync, rename,
 * fsync of the directory.  The directory fsync matters on ext4 and f2fs
 * (SD cards): without it the rename can be lost with power.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "xmalloc.h"

/* The directory part of PATH ("." when it has none); caller frees. */
static char *
fileio_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int
fileio_sync_dir(const char *dir)
{
	int fd, err = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (fsync(fd) == -1)
		err = errno;
	close(fd);
	return err;
}

int
fileio_rename(const char *from, const char *to)
{
	char *dir;
	int err;

	if (rename(from, to) == -1)
		return errno;
	dir = fileio_dir(to);
	err = fileio_sync_dir(dir);
	free(dir);
	return err;
}

int
fileio_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	const uint8_t *p = buf;
	const char *base;
	char *dir, *tmp = NULL;
	ssize_t n;
	int fd = -1, err = 0;

	dir = fileio_dir(path);
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	xasprintf(&tmp, "%s/.%s.XXXXXX", dir, base);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		err = errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		err = errno;
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		err = errno;
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n == -1) {
		err = errno;
		goto out;
	}
	if (rename(tmp, path) == -1) {
		err = errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* The rename is durable only once the directory entry is. */
	err = fileio_sync_dir(dir);
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	return err;
}
