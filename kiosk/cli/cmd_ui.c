/*
 * `kiosk ui`: the ncurses kiosk, and what main() runs when no command is
 * given.  Options only shape the session; the store is unlocked inside
 * the UI (kiosk/tui/ui.h), never here.  Without a terminal, or without a
 * node in the data directory, it says so and exits before any screen.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "kiosk/tui/ui.h"
#include "str.h"

extern const struct kiosk_cmd cmd_ui;

/*
 * What the screen cannot do without, said at once and plainly rather than
 * after a passphrase or as a spinning loop: a terminal on both ends, and a
 * node set up in the data directory.  0, or the exit status.
 */
static int
ui_cmd_ready(struct kctx *ctx)
{
	struct stat sb;
	char *path;
	int ok;

	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr,
		    "kiosk ui: the kiosk screen needs a terminal (standard "
		    "input and output are not one); the commands in `kiosk "
		    "help` work without one\n");
		return 1;
	}
	path = kctx_path(ctx, KEYRING_FILE);
	ok = stat(path, &sb) == 0;
	free(path);
	if (!ok) {
		fprintf(stderr,
		    "kiosk ui: no kiosk node in %s (no %s there); set one up "
		    "with:\n    kiosk --data %s init\n",
		    ctx->data_dir, KEYRING_FILE, ctx->data_dir);
		return 1;
	}
	return 0;
}

static int
ui_cmd_run(struct kctx *ctx, int argc, char **argv)
{
	struct ui_opts o;
	const char *env;
	long long v;
	int i;

	memset(&o, 0, sizeof(o));
	o.idle_lock_s = UI_IDLE_LOCK_DEFAULT_S;
	o.checkin_idle_s = UI_CHECKIN_IDLE_DEFAULT_S;
	/* a shorter check-in idle time for tests */
	if ((env = getenv("OUTPOST_CHECKIN_IDLE_S")) != NULL &&
	    str_to_ll(env, 0, 86400, &v) == 0)
		o.checkin_idle_s = (unsigned)v;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--checkin") == 0)
			o.checkin = 1;
		else if (strcmp(argv[i], "--speech") == 0)
			o.speech = 1;
		else if (strcmp(argv[i], "--idle-lock") == 0 && i + 1 < argc) {
			if (str_to_ll(argv[++i], 0, 86400, &v) != 0) {
				fprintf(stderr,
				    "kiosk ui: --idle-lock takes "
				    "seconds (0 never locks)\n");
				return cmd_usage(&cmd_ui);
			}
			o.idle_lock_s = (unsigned)v;
		} else if (strcmp(argv[i], "--max-frames") == 0 &&
		    i + 1 < argc) {
			if (str_to_ll(argv[++i], 1, 1000000, &v) != 0)
				return cmd_usage(&cmd_ui);
			o.max_frames = (long)v;
		} else {
			fprintf(
			    stderr, "kiosk ui: unknown option %s\n", argv[i]);
			return cmd_usage(&cmd_ui);
		}
	}
	if ((i = ui_cmd_ready(ctx)) != 0)
		return i;
	return ui_run_opts(ctx, &o);
}

const struct kiosk_cmd cmd_ui = {
	"ui",
	"  ui [--checkin] [--speech] [--idle-lock SECONDS]\n"
	"      The kiosk screen (the default: `kiosk` alone).  --checkin: patient\n"
	"      self check-in after a staff unlock; --speech: check-in prompts\n"
	"      also spoken (eSpeak NG, in the screen language); --idle-lock:\n"
	"      lock after SECONDS without a key (default 300, 0 never).  In\n"
	"      check-in a half-typed entry clears after 60 s without a key\n"
	"      (OUTPOST_CHECKIN_IDLE_S sets other seconds).\n",
	ui_cmd_run,
};
