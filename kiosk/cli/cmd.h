/*
 * The kiosk's command line: one `const struct kiosk_cmd` per file
 * (kiosk/cli/cmd_<name>.c), listed by hand in kiosk_cmds[] (kiosk/cli/cmd.c).
 * A command receives the shared context and its own arguments (argv[0] is
 * the command name) and returns an exit status: 0 success, 1 failure
 * (after printing what happened and what to do), 2 usage error.
 */
#ifndef KIOSK_CMD_H
#define KIOSK_CMD_H

struct kctx;

struct kiosk_cmd {
	const char *name;
	const char *usage; /* one or more lines, shown by `kiosk help` */
	int (*run)(struct kctx *, int argc, char **argv);
};

extern const struct kiosk_cmd *const kiosk_cmds[];

/* Print the usage of CMD to stderr and return 2. */
int cmd_usage(const struct kiosk_cmd *cmd);
/* LANG is not one the screens are translated into: says which are, on
 * stderr; returns 2 (the usage exit status). */
int cmd_bad_lang(const char *lang);

#endif
