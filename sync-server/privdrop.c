/*
 * The server as a process (issue 9, item 10): no core dumps (a dump held
 * patient data and the server's private key), and, with --user, no root
 * once the port is bound and the store is open.  It does not chroot or
 * filter system calls.
 */
#define LOG_MODULE "privdrop"

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop_no_core(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return errno;
	return 0;
}

static uid_t privdrop_uid;
static gid_t privdrop_gid;

static int
privdrop_chown_one(
    const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (st->st_uid == privdrop_uid && st->st_gid == privdrop_gid)
		return 0;
	if (lchown(path, privdrop_uid, privdrop_gid) != 0)
		return errno;
	return 0;
}

int
privdrop_to(const char *user, const char *data_dir, const char *log_file,
    const char **why)
{
	struct passwd *pw;
	int err;

	*why = NULL;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		err = errno ? errno : ENOENT;
		*why = "no such user";
		return err;
	}
	if (pw->pw_uid == 0) {
		*why = "--user must not be root";
		return EINVAL;
	}
	if (geteuid() != 0) {
		*why = "--user needs the server to be started as root";
		return EPERM;
	}
	/* The store's files were opened (and perhaps made) as root; the
	 * server keeps writing them, its WAL and its blobs as USER. */
	privdrop_uid = pw->pw_uid;
	privdrop_gid = pw->pw_gid;
	if ((err = nftw(data_dir, privdrop_chown_one, 16, FTW_PHYS)) != 0) {
		*why = "cannot give the data directory to the user";
		return err > 0 ? err : EIO;
	}
	if (log_file != NULL && chown(log_file, pw->pw_uid, pw->pw_gid) != 0) {
		*why = "cannot give the log file to the user";
		return errno;
	}
	/* Groups first (needs root), then the gid, then the uid. */
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		err = errno;
		*why = "cannot change user";
		return err;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		*why = "could regain root after dropping it";
		return EPERM;
	}
	/* A setuid resets the dumpable flag to the system default. */
	return privdrop_no_core();
}
