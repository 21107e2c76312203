/*
 * A SQLite VFS shim for I/O fault tests (header-only, tests only): wraps
 * the default VFS and makes the Nth write, truncate or sync fail with a
 * chosen code (once or from then on), or opens files read-only as a
 * read-only file system would.  SQLCipher sits above the VFS, so the shim
 * sees encrypted pages only.
 */
#ifndef FAULTVFS_H
#define FAULTVFS_H

#include <string.h>

#include <sqlcipher/sqlite3.h>

struct faultvfs_state {
	int countdown; /* fail when it reaches 0; <0: never */
	int persistent; /* keep failing after the first */
	int code; /* SQLITE_FULL, SQLITE_IOERR_WRITE... */
	int readonly; /* open everything read-only */
	int failed; /* how many operations failed */
};

static struct faultvfs_state faultvfs = { .countdown = -1 };
static sqlite3_vfs *faultvfs_real;

struct faultvfs_file {
	sqlite3_file base;
	sqlite3_file *real;
};

static int
faultvfs_hit(void)
{
	if (faultvfs.countdown < 0)
		return 0;
	if (faultvfs.countdown > 0) {
		faultvfs.countdown--;
		return 0;
	}
	faultvfs.failed++;
	if (!faultvfs.persistent)
		faultvfs.countdown = -1;
	return 1;
}

#define FV(f) (((struct faultvfs_file *)(f))->real)

static int
fv_close(sqlite3_file *f)
{
	return FV(f)->pMethods->xClose(FV(f));
}
static int
fv_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	return FV(f)->pMethods->xRead(FV(f), b, n, o);
}
static int
fv_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	if (faultvfs_hit())
		return faultvfs.code;
	return FV(f)->pMethods->xWrite(FV(f), b, n, o);
}
static int
fv_truncate(sqlite3_file *f, sqlite3_int64 n)
{
	if (faultvfs_hit())
		return faultvfs.code;
	return FV(f)->pMethods->xTruncate(FV(f), n);
}
static int
fv_sync(sqlite3_file *f, int fl)
{
	if (faultvfs_hit())
		return faultvfs.code == SQLITE_FULL ? SQLITE_IOERR_FSYNC
		                                    : faultvfs.code;
	return FV(f)->pMethods->xSync(FV(f), fl);
}
static int
fv_size(sqlite3_file *f, sqlite3_int64 *n)
{
	return FV(f)->pMethods->xFileSize(FV(f), n);
}
static int
fv_lock(sqlite3_file *f, int l)
{
	return FV(f)->pMethods->xLock(FV(f), l);
}
static int
fv_unlock(sqlite3_file *f, int l)
{
	return FV(f)->pMethods->xUnlock(FV(f), l);
}
static int
fv_check(sqlite3_file *f, int *r)
{
	return FV(f)->pMethods->xCheckReservedLock(FV(f), r);
}
static int
fv_fctl(sqlite3_file *f, int op, void *a)
{
	return FV(f)->pMethods->xFileControl(FV(f), op, a);
}
static int
fv_sector(sqlite3_file *f)
{
	return FV(f)->pMethods->xSectorSize(FV(f));
}
static int
fv_dev(sqlite3_file *f)
{
	return FV(f)->pMethods->xDeviceCharacteristics(FV(f));
}
static int
fv_shmmap(sqlite3_file *f, int i, int sz, int e, void volatile **p)
{
	return FV(f)->pMethods->xShmMap(FV(f), i, sz, e, p);
}
static int
fv_shmlock(sqlite3_file *f, int o, int n, int fl)
{
	return FV(f)->pMethods->xShmLock(FV(f), o, n, fl);
}
static void
fv_shmbarrier(sqlite3_file *f)
{
	FV(f)->pMethods->xShmBarrier(FV(f));
}
static int
fv_shmunmap(sqlite3_file *f, int d)
{
	return FV(f)->pMethods->xShmUnmap(FV(f), d);
}
static int
fv_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
	return FV(f)->pMethods->xFetch(FV(f), o, n, p);
}
static int
fv_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
	return FV(f)->pMethods->xUnfetch(FV(f), o, p);
}

static const sqlite3_io_methods fv_methods = { 3, fv_close, fv_read, fv_write,
	fv_truncate, fv_sync, fv_size, fv_lock, fv_unlock, fv_check, fv_fctl,
	fv_sector, fv_dev, fv_shmmap, fv_shmlock, fv_shmbarrier, fv_shmunmap,
	fv_fetch, fv_unfetch };

static int
fv_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct faultvfs_file *ff = (struct faultvfs_file *)f;
	int rc;

	(void)v;
	ff->real = (sqlite3_file *)(ff + 1);
	if (faultvfs.readonly && (flags & SQLITE_OPEN_READWRITE)) {
		if (flags & SQLITE_OPEN_CREATE)
			return SQLITE_CANTOPEN;
		flags = (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY;
	}
	rc = faultvfs_real->xOpen(faultvfs_real, name, ff->real, flags, out);
	ff->base.pMethods = rc == SQLITE_OK ? &fv_methods : NULL;
	return rc;
}

static int
fv_delete(sqlite3_vfs *v, const char *n, int s)
{
	(void)v;
	return faultvfs_real->xDelete(faultvfs_real, n, s);
}
static int
fv_access(sqlite3_vfs *v, const char *n, int fl, int *r)
{
	(void)v;
	return faultvfs_real->xAccess(faultvfs_real, n, fl, r);
}
static int
fv_full(sqlite3_vfs *v, const char *n, int len, char *o)
{
	(void)v;
	return faultvfs_real->xFullPathname(faultvfs_real, n, len, o);
}
static void *
fv_dlopen(sqlite3_vfs *v, const char *n)
{
	(void)v;
	return faultvfs_real->xDlOpen(faultvfs_real, n);
}
static void
fv_dlerror(sqlite3_vfs *v, int n, char *m)
{
	(void)v;
	faultvfs_real->xDlError(faultvfs_real, n, m);
}
static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
	(void)v;
	return faultvfs_real->xDlSym(faultvfs_real, h, s);
}
static void
fv_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	faultvfs_real->xDlClose(faultvfs_real, h);
}
static int
fv_random(sqlite3_vfs *v, int n, char *o)
{
	(void)v;
	return faultvfs_real->xRandomness(faultvfs_real, n, o);
}
static int
fv_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return faultvfs_real->xSleep(faultvfs_real, us);
}
static int
fv_time(sqlite3_vfs *v, double *t)
{
	(void)v;
	return faultvfs_real->xCurrentTime(faultvfs_real, t);
}
static int
fv_lasterr(sqlite3_vfs *v, int n, char *m)
{
	(void)v;
	return faultvfs_real->xGetLastError(faultvfs_real, n, m);
}
static int
fv_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	(void)v;
	return faultvfs_real->xCurrentTimeInt64(faultvfs_real, t);
}

static sqlite3_vfs fv_vfs;

/* Register the shim as "faultvfs" (idempotent). */
static inline void
faultvfs_register(void)
{
	if (faultvfs_real != NULL)
		return;
	faultvfs_real = sqlite3_vfs_find(NULL);
	fv_vfs = (sqlite3_vfs){ 2,
		(int)sizeof(struct faultvfs_file) + faultvfs_real->szOsFile,
		faultvfs_real->mxPathname, NULL, "faultvfs", NULL, fv_open,
		fv_delete, fv_access, fv_full, fv_dlopen, fv_dlerror, fv_dlsym,
		fv_dlclose, fv_random, fv_sleep, fv_time, fv_lasterr, fv_time64,
		NULL, NULL, NULL };
	sqlite3_vfs_register(&fv_vfs, 0);
}

/* Fail the Nth operation from now (0 = the next) with CODE. */
static inline void
faultvfs_arm(int n, int code, int persistent)
{
	faultvfs.countdown = n;
	faultvfs.code = code;
	faultvfs.persistent = persistent;
	faultvfs.failed = 0;
}

static inline void
faultvfs_disarm(void)
{
	faultvfs.countdown = -1;
	faultvfs.readonly = 0;
}

#endif
