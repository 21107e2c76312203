/*
 * Region key files (see region.h).
 */
#define LOG_MODULE "region"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encode.h"
#include "region.h"
#include "str.h"
#include "xmalloc.h"

int
region_read_key(const char *path, uint8_t key[32])
{
	char buf[130];
	size_t len;
	ssize_t n;
	int fd, err = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		fprintf(stderr, "kiosk: cannot read key file %s: %s\n", path,
		    strerror(err));
		return err;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	str_trim(buf);
	if (hex_decode(buf, key, 32, &len) != 0 || len != 32) {
		fprintf(stderr,
		    "kiosk: %s is not a key file (64 hex digits "
		    "expected)\n",
		    path);
		err = EINVAL;
	}
	explicit_bzero(buf, sizeof(buf));
	return err;
}

int
region_write_key(const char *path, const uint8_t key[32])
{
	char *hex = hex_encode(key, 32);
	int fd, err = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		err = errno;
		fprintf(stderr, "kiosk: cannot create %s: %s\n", path,
		    strerror(err));
		goto out;
	}
	if (write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		err = errno ? errno : EIO;
		fprintf(stderr, "kiosk: cannot write %s: %s\n", path,
		    strerror(err));
	}
	close(fd);
out:
	explicit_bzero(hex, 64);
	free(hex);
	return err;
}
