/*
 * Durable file replacement: a reader sees the old file or the new one,
 * never a half-written one, and after a crash the new one survives once
 * the call returned 0.  Plain POSIX; no locking (one writer per file).
 */
#ifndef FILEIO_H
#define FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace PATH with LEN bytes of BUF: a temporary file in the same
 * directory (mode MODE, not masked by the umask), fsync, rename over PATH,
 * fsync of the directory.  Returns 0 or an errno (ENOSPC, EROFS, EIO...);
 * on failure PATH is unchanged and no temporary file is left.
 */
int fileio_write_atomic(
    const char *path, const void *buf, size_t len, mode_t mode);
/*
 * rename(FROM, TO), then fsync of TO's directory so that the new name
 * survives a crash.  FROM's contents must already be synced.  Returns 0 or
 * an errno; a failed directory fsync is reported, the rename has happened.
 */
int fileio_rename(const char *from, const char *to);

#endif
