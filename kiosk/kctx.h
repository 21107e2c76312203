/*
 * The context every kiosk command and the UI share: where the node's data
 * lives, who is acting, and the unlocked store.  Global options are parsed
 * by main() from anywhere on the command line:
 *
 *   --data DIR           node directory (default $OUTPOST_DATA, else ./outpost-data)
 *   --user NAME          who is acting (default: admin)
 *   --passphrase-fd N    read secrets, one per line, from descriptor N
 *                        instead of the terminal (for scripts and tests)
 *   -v                   more logging (to DIR/kiosk.log, never the terminal)
 *
 * Secrets are never taken from argv or the environment.
 */
#ifndef KIOSK_KCTX_H
#define KIOSK_KCTX_H

struct store;
struct keyring;

struct kctx {
	char *data_dir;
	char *user;
	int passphrase_fd; /* -1: use the terminal */
	int verbose;
	struct store *store; /* NULL until kctx_open() */
	struct keyring *keyring; /* loaded by kctx_open() */
	int role; /* acting user's role once open */
	/* set by the one command a user the second-factor policy stops may
	 * still run: setting up their own second factor (kctx_open) */
	int mfa_enrolling;
};

/*
 * Read one secret: from the passphrase fd when set, else from the terminal
 * with echo off, showing PROMPT.  Returns a new string (wipe with
 * xfree_secret_str) or NULL at end of input.
 */
char *kctx_read_secret(struct kctx *, const char *prompt);

/*
 * Unlock the node's store as ctx->user (asking for the passphrase) and keep
 * it in ctx->store.  On failure prints the reason for the person at the
 * keyboard and returns an errno value.  A clinician or administrator whom
 * the node's second-factor policy requires one of (past the grace, none
 * set up: kiosk/store/mfapolicy.h) is refused with EPERM and told to run
 * `kiosk user mfa enrol NAME`, unless ctx->mfa_enrolling is set.
 */
int kctx_open(struct kctx *);
void kctx_close(struct kctx *);

/*
 * Read a new passphrase for NAME: twice on a terminal (they must match),
 * once from the passphrase fd.  NULL (after printing why) when they differ,
 * input ended, or it is shorter than 4 characters.
 */
char *kctx_read_new_secret(struct kctx *, const char *name);

/*
 * Move the failed unlocks the keyring recorded into STORE's audit log and
 * clear them from the keyring (they stay there if the audit cannot be
 * written).  Called after every successful unlock, CLI or screen.
 */
void kctx_audit_failures(struct store *store, struct keyring *keyring);

/* Refuse (printing why) unless the acting user is an administrator. */
int kctx_require_admin(struct kctx *);

/*
 * What an errno from the store, keyring or a device means for the person
 * at the keyboard, and what to do: a sentence, never a bare code.  The one
 * table of these words: the screens use it too (ui_strerror).
 */
const char *kctx_explain(int err);

/* Path of FILE inside the data directory; caller frees. */
char *kctx_path(const struct kctx *, const char *file);

/*
 * The kiosk's own screen language (`kiosk language`), kept in
 * DATA/language as its code and a newline: shown before anyone unlocks,
 * so outside the encrypted store (a language is not a secret).
 * kctx_lang_get: 0 and the code in OUT, ENOENT when none is set, EINVAL
 * when the file holds no known code.  kctx_lang_set: 0 or an errno.
 */
#define KCTX_LANG_FILE "language"
int kctx_lang_get(const struct kctx *, char out[8]);
int kctx_lang_set(const struct kctx *, const char *lang);

#endif
