/*
 * kiosk: the clinic node program.  Parses the global options (anywhere on
 * the line), sets up logging to DIR/kiosk.log, and runs the command named
 * in kiosk_cmds[] (kiosk/cli/cmd.c).  With no command it runs the `ui` command
 * (the ncurses kiosk) when one is built in.
 */
#define LOG_MODULE "kiosk"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "compat.h"
#include "kiosk/cli/cmd.h"
#include "kctx.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

static void
usage(void)
{
	const struct kiosk_cmd *const *c;

	fprintf(stderr,
	    "usage: kiosk [--data DIR] [--user NAME] "
	    "[--passphrase-fd N] [-v] COMMAND [ARGS]\n\ncommands:\n");
	for (c = kiosk_cmds; *c != NULL; c++)
		fprintf(stderr, "%s", (*c)->usage);
}

static const struct kiosk_cmd *
find_cmd(const char *name)
{
	const struct kiosk_cmd *const *c;

	for (c = kiosk_cmds; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* Take the global options out of argv, leaving the command and its own. */
static int
parse_globals(struct kctx *ctx, int *argc, char **argv)
{
	long long fd;
	int i, o = 0;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--data") == 0 || strcmp(a, "--user") == 0 ||
		        strcmp(a, "--passphrase-fd") == 0) &&
		    i + 1 >= *argc) {
			fprintf(stderr, "kiosk: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(a, "--data") == 0) {
			free(ctx->data_dir);
			ctx->data_dir = xstrdup(argv[++i]);
		} else if (strcmp(a, "--user") == 0) {
			free(ctx->user);
			ctx->user = xstrdup(argv[++i]);
		} else if (strcmp(a, "--passphrase-fd") == 0) {
			if (str_to_ll(argv[++i], 0, 1023, &fd) != 0) {
				fprintf(stderr,
				    "kiosk: --passphrase-fd takes "
				    "a descriptor number\n");
				return 2;
			}
			ctx->passphrase_fd = (int)fd;
		} else if (strcmp(a, "-v") == 0)
			ctx->verbose++;
		else
			argv[o++] = argv[i];
	}
	*argc = o;
	argv[o] = NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct kiosk_cmd *cmd;
	struct kctx ctx = { .passphrase_fd = -1 };
	char *logpath = NULL, *def_argv[] = { (char *)"ui", NULL };
	const char *env;
	struct stat sb;
	int rc;

	/* Patient data must never land in a core dump. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	prctl(PR_SET_DUMPABLE, 0);
	argc--;
	argv++;
	if ((rc = parse_globals(&ctx, &argc, argv)) != 0)
		goto out;
	if (ctx.data_dir == NULL)
		ctx.data_dir = xstrdup(
		    (env = getenv("OUTPOST_DATA")) != NULL && *env != '\0'
		        ? env
		        : "outpost-data");
	if (ctx.user == NULL)
		ctx.user = xstrdup("admin");
	if (argc == 0) {
		argc = 1;
		argv = def_argv;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		usage();
		rc = 0;
		goto out;
	}
	if (strcmp(argv[0], "--version") == 0) {
		printf("kiosk %s\n", OUTPOST_VERSION);
		rc = 0;
		goto out;
	}
	if ((cmd = find_cmd(argv[0])) == NULL) {
		fprintf(stderr, "kiosk: unknown command \"%s\"\n", argv[0]);
		usage();
		rc = 2;
		goto out;
	}
	/* The kiosk logs to a file beside its data, never the terminal. */
	log_init(NULL, ctx.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (stat(ctx.data_dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		logpath = kctx_path(&ctx, "kiosk.log");
		if (log_init(logpath,
		        ctx.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO) != 0)
			log_init("/dev/null", LOG_LEVEL_FATAL);
	} else
		log_init("/dev/null", LOG_LEVEL_FATAL);
	rc = cmd->run(&ctx, argc, argv);
out:
	kctx_close(&ctx);
	log_close();
	free(logpath);
	free(ctx.data_dir);
	free(ctx.user);
	return rc;
}
