/*
 * The sync-server's configuration file (issue 18): `--config FILE` reads
 * `key = value` lines whose keys are the long options without their
 * dashes (`listen = 0.0.0.0:8443`, `data = /var/lib/outpost`), plus
 * `verbose = yes|no` for -v.  Blank lines and lines starting with `#` are
 * skipped.  Options on the command line win over the file.
 */
#ifndef SYNC_SERVER_CONF_H
#define SYNC_SERVER_CONF_H

/*
 * Build in *ARGVP (*ARGCP entries, NULL-terminated) the command line the
 * server parses: ARGV[0], the options read from the --config file (if
 * ARGV has `--config FILE` before any `admin`), then the rest of ARGV
 * without `--config FILE`.  0; EINVAL (*CAUSE says which line and why:
 * an unknown key, a line without `=`, an empty value, a key given twice,
 * a line over 1 KiB, or --config without a file); an errno from reading
 * the file (*CAUSE names it).  Free with conf_argv_free().
 */
int conf_argv(int argc, char **argv, int *argcp, char ***argvp, char **cause);
void conf_argv_free(int argc, char **argv);

#endif
