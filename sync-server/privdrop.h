/*
 * Process hardening of the sync-server (privdrop.c).  Both return 0 or an
 * errno value.
 */
#ifndef SYNC_SERVER_PRIVDROP_H
#define SYNC_SERVER_PRIVDROP_H

/* RLIMIT_CORE 0 and not dumpable (no core file, no ptrace by others). */
int privdrop_no_core(void);
/*
 * Give DATA_DIR (every file under it) and LOG_FILE (may be NULL) to USER,
 * then drop to USER's uid and gid with no supplementary groups, and check
 * root cannot be regained.  EPERM when not root, EINVAL for root itself,
 * ENOENT for no such user; *WHY (static) says which step failed.
 */
int privdrop_to(const char *user, const char *data_dir, const char *log_file,
    const char **why);

#endif
