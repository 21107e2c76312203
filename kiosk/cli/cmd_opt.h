/*
 * Small option parsing shared by the kiosk commands: "--name VALUE" pairs
 * and flags after the subcommand, with clear messages for the person
 * typing them.
 */
#ifndef KIOSK_CMD_OPT_H
#define KIOSK_CMD_OPT_H

struct keyring_kdf;

struct cmd_opt {
	const char *name; /* "--role" */
	int takes_value;
	const char *value; /* filled in: the value, or "1" for a flag */
};

/*
 * Match argv[FIRST..] against OPTS; anything not starting with "--" is a
 * positional argument collected into POS (at most NPOS).  Returns 0, or 2
 * after printing what was wrong.
 */
int cmd_opt_parse(int argc, char **argv, int first, struct cmd_opt *opts,
    int nopts, const char **pos, int npos, int *npos_out);
/* Parse an option value as an integer in [MIN, MAX]; prints on error. */
int cmd_opt_int(const struct cmd_opt *, long long min, long long max,
    long long def, long long *out);
/*
 * The Argon2id cost asked for by --kdf-ms N (MS: memory calibrated to
 * about N ms here; for tests) or --kdf-mem KIB (MEM: that much memory,
 * default passes and lanes).  *COSTP is COST when one was given, NULL when
 * neither was (the command then uses the default or the stored cost).
 * Returns 0, or 2 after printing what was wrong.
 */
int cmd_opt_kdf(const struct cmd_opt *ms, const struct cmd_opt *mem,
    struct keyring_kdf *cost, const struct keyring_kdf **costp);

#endif
