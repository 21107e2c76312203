/*
 * The shared context of kiosk commands: reading secrets (terminal with echo
 * off, or a descriptor for scripts), unlocking the store through the
 * keyring, and turning error numbers into sentences a CHW can act on.
 */
#define LOG_MODULE "kiosk"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kiosk/store/keyring.h"
#include "kiosk/store/mfapolicy.h"
#include "kctx.h"
#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

#define SECRET_MAX 1024

char *
kctx_path(const struct kctx *ctx, const char *file)
{
	char *p;

	xasprintf(&p, "%s/%s", ctx->data_dir, file);
	return p;
}

int
kctx_lang_get(const struct kctx *ctx, char out[8])
{
	char *path = kctx_path(ctx, KCTX_LANG_FILE), buf[16];
	size_t n;
	FILE *fp;
	int i;

	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return errno == ENOENT ? ENOENT : errno;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	for (i = 0; i18n_langs[i] != NULL; i++)
		if (strcmp(buf, i18n_langs[i]) == 0) {
			memcpy(out, i18n_langs[i], strlen(i18n_langs[i]) + 1);
			return 0;
		}
	return EINVAL;
}

int
kctx_lang_set(const struct kctx *ctx, const char *lang)
{
	char *path = kctx_path(ctx, KCTX_LANG_FILE), line[16];
	int err;

	if (i18n_name(lang) == NULL) {
		free(path);
		return EINVAL;
	}
	snprintf(line, sizeof(line), "%s\n", lang);
	err = fileio_write_atomic(path, line, strlen(line), 0644);
	free(path);
	return err;
}

/* One line from FD, a byte at a time so nothing after it is consumed. */
static char *
read_line_fd(int fd)
{
	char *buf = xmalloc(SECRET_MAX + 1);
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n')
			break;
		if (n < SECRET_MAX)
			buf[n++] = c;
	}
	if (r <= 0 && n == 0) {
		xfree_secret(buf, SECRET_MAX + 1);
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return buf;
}

char *
kctx_read_secret(struct kctx *ctx, const char *prompt)
{
	struct termios old, quiet;
	char *line;
	int fd;

	if (ctx->passphrase_fd >= 0)
		return read_line_fd(ctx->passphrase_fd);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		fprintf(stderr,
		    "kiosk: there is no terminal to ask for the "
		    "passphrase; scripts pass it with --passphrase-fd N\n");
		return NULL;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		log_debug("prompt write failed");
	tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	line = read_line_fd(fd);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		log_debug("newline write failed");
	close(fd);
	return line;
}

char *
kctx_read_new_secret(struct kctx *ctx, const char *name)
{
	char prompt[160], *a, *b;
	const char *why;

	snprintf(
	    prompt, sizeof(prompt), "New passphrase or PIN for %s: ", name);
	if ((a = kctx_read_secret(ctx, prompt)) == NULL) {
		fprintf(stderr, "kiosk: no passphrase given\n");
		return NULL;
	}
	if (keyring_pass_check(a, &why) != 0) {
		fprintf(stderr, "kiosk: %s; nothing was changed\n", why);
		xfree_secret_str(a);
		return NULL;
	}
	if (ctx->passphrase_fd >= 0)
		return a;
	snprintf(prompt, sizeof(prompt), "Type it again: ");
	b = kctx_read_secret(ctx, prompt);
	if (b == NULL || strcmp(a, b) != 0) {
		fprintf(stderr,
		    "kiosk: the two entries differ; nothing was "
		    "changed\n");
		xfree_secret_str(a);
		xfree_secret_str(b);
		return NULL;
	}
	xfree_secret_str(b);
	return a;
}

const char *
kctx_explain(int err)
{
	switch (err) {
	case 0:
		return N_("done");
	case ENOSPC:
		return N_("the storage is full: nothing was saved; free space "
		          "(or replace the card) and try again");
	case EROFS:
		return N_(
		    "the storage is read-only (a failing card is often "
		    "switched to read-only): nothing was saved; copy the "
		    "data off with `kiosk db export` and replace the card");
	case EIO:
		return N_("the storage failed to read or write: nothing was "
		          "saved; run `kiosk db check` and consider replacing "
		          "the card");
	case EBUSY:
		return N_(
		    "the database is busy with another program; try again "
		    "in a moment");
	case EACCES:
		return N_("the key does not open this database (wrong keyring "
		          "for this data directory)");
	case EBADMSG:
		return N_("the data is damaged or was altered; run `kiosk db "
		          "check` and restore from an export if needed");
	case ENOENT:
		return N_("not found");
	case EEXIST:
		return N_("it is already stored");
	case EPROTO:
		return N_(
		    "this data was written by a newer version of Outpost; "
		    "update the kiosk software");
	case EINVAL:
		return N_("the input was not valid");
	case EPERM:
		return N_("locked out: ask an administrator");
	case ENODEV:
		return N_("the device was unplugged");
	case ETIMEDOUT:
		return N_("the device stopped answering");
	default:
		return strerror(err);
	}
}

void
kctx_audit_failures(struct store *store, struct keyring *keyring)
{
	const struct keyring_failure *f;
	char detail[96];
	size_t i, n;

	f = keyring_failures(keyring, &n);
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(detail, sizeof(detail), "at %llu",
		    (unsigned long long)f[i].at_ms);
		if (store_audit(
		        store, "login-failed", "user", f[i].user, detail) != 0)
			return; /* keep them in the keyring for next time */
	}
	keyring_forget_failures(keyring, n);
}

/*
 * The second-factor policy on the command line, as at the screen's
 * unlock: a user who must have a second factor by now and has none acts
 * in no command but the one that sets it up.  Audited; EPERM.
 */
static int
kctx_mfa_gate(struct kctx *ctx, const struct store_user *u)
{
	if (ctx->mfa_enrolling ||
	    store_mfa_due(ctx->store, ctx->keyring, u) != 0)
		return 0;
	fprintf(stderr,
	    "kiosk: %s must set up a second factor before anything else: "
	    "this node requires one of a %s after the grace period, which "
	    "is over; run `kiosk --user %s user mfa enrol %s` (a phone "
	    "authenticator app), or log in at the screen, which leads to "
	    "it\n",
	    ctx->user, store_role_name(u->role), ctx->user, ctx->user);
	log_info("command refused: second factor required");
	store_audit(ctx->store, "login-failed", "user", u->id,
	    "second factor required, none set up");
	return EPERM;
}

int
kctx_open(struct kctx *ctx)
{
	struct store_user u;
	uint8_t key[32];
	char prompt[160], *pass = NULL, *code = NULL, *cause = NULL;
	int err, recovery = 0;

	if (ctx->store != NULL)
		return 0;
	if ((err = keyring_load(ctx->data_dir, &ctx->keyring)) != 0) {
		if (err == ENOENT)
			fprintf(stderr,
			    "kiosk: no kiosk is set up in %s; run "
			    "`kiosk --data %s init` first\n",
			    ctx->data_dir, ctx->data_dir);
		else
			fprintf(stderr,
			    "kiosk: the keyring in %s cannot be "
			    "read: %s\n",
			    ctx->data_dir, kctx_explain(err));
		return err;
	}
	snprintf(
	    prompt, sizeof(prompt), "Passphrase or PIN for %s: ", ctx->user);
	if ((pass = kctx_read_secret(ctx, prompt)) == NULL) {
		fprintf(stderr, "kiosk: no passphrase given\n");
		err = EACCES;
		goto out;
	}
	if (keyring_user_mfa(ctx->keyring, ctx->user) &&
	    (code = kctx_read_secret(
	         ctx, "Code from the authenticator (or a recovery code): ")) ==
	        NULL) {
		fprintf(stderr, "kiosk: no code given\n");
		err = EACCES;
		goto out;
	}
	err = keyring_unlock_mfa(
	    ctx->keyring, ctx->user, pass, code, 0, key, &recovery, &cause);
	xfree_secret_str(pass);
	pass = NULL;
	if (err == 0 && recovery)
		fprintf(stderr,
		    "kiosk: a recovery code was used; %d left (enrol again "
		    "with `kiosk user mfa enrol %s` for new ones)\n",
		    keyring_mfa_left(ctx->keyring, ctx->user), ctx->user);
	if (err != 0) {
		fprintf(
		    stderr, "kiosk: %s\n", cause ? cause : kctx_explain(err));
		log_info("unlock refused (%s)", strerror(err));
		goto out;
	}
	err = store_open(ctx->data_dir, key, 0, &ctx->store);
	explicit_bzero(key, sizeof(key));
	if (err != 0) {
		fprintf(stderr, "kiosk: cannot open the database in %s: %s\n",
		    ctx->data_dir, kctx_explain(err));
		goto out;
	}
	if ((err = store_user_get(ctx->store, ctx->user, &u)) != 0) {
		fprintf(stderr,
		    "kiosk: user %s has a key but no account in "
		    "the database; an administrator must re-add them\n",
		    ctx->user);
		goto out;
	}
	err = kctx_mfa_gate(ctx, &u);
	if (err == 0) {
		store_set_actor(ctx->store, u.id);
		ctx->role = u.role;
	}
	store_user_clear(&u);
	if (err != 0)
		goto out;
	kctx_audit_failures(ctx->store, ctx->keyring);
	err = store_audit(ctx->store, "login", "user", NULL, NULL);
	if (err == ENOSPC || err == EROFS || err == EIO) {
		/* Failing storage must not hide the records from the CHW:
		 * go on, reads work; every write will say what happened. */
		fprintf(stderr, "kiosk: warning: %s\n", kctx_explain(err));
		err = 0;
	}
out:
	xfree_secret_str(pass);
	xfree_secret_str(code);
	free(cause);
	if (err != 0) {
		store_close(ctx->store);
		ctx->store = NULL;
	}
	return err;
}

void
kctx_close(struct kctx *ctx)
{
	store_close(ctx->store);
	ctx->store = NULL;
	keyring_free(ctx->keyring);
	ctx->keyring = NULL;
}

int
kctx_require_admin(struct kctx *ctx)
{
	if (ctx->role == STORE_ROLE_ADMIN ||
	    ctx->role == STORE_ROLE_REGIONAL_ADMIN)
		return 0;
	fprintf(stderr,
	    "kiosk: only an administrator can do this (%s is a "
	    "%s)\n",
	    ctx->user, store_role_name(ctx->role));
	return EPERM;
}
