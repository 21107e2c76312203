/*
 * kiosk user add|list|passwd|unlock: the people who use this kiosk and
 * their passphrases.  Adding users and resetting someone else's passphrase
 * or lockout are administrator actions; everyone may change their own.
 */
#define LOG_MODULE "user"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "crypto.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "kiosk/kctx.h"
#include "kiosk/visit/qr.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/mfapolicy.h"
#include "kiosk/sync/sync.h"
#include "kiosk/store/totp.h"
#include "i18n.h"
#include "log.h"
#include "role.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_user;

/*
 * Does ROLE fit the node role this kiosk was enrolled with (model/role.h;
 * docs/SECURITY.md "Roles and the access matrix")?  Before enrolment
 * every role fits: the node role is not known yet.
 */
static int
user_role_fits(struct kctx *ctx, int role)
{
	char *node_role = NULL;
	uint8_t *v = NULL;
	size_t len;
	int ok;

	if (store_state_get(ctx->store, SYNC_K_ROLE, &v, &len) != 0 ||
	    v == NULL)
		return 0;
	node_role = xstrndup((const char *)v, len);
	free(v);
	ok = rec_role_node_ok(role, node_role);
	if (!ok)
		fprintf(stderr,
		    "kiosk: role %s works on %s nodes; this node is enrolled "
		    "as %s: add the user on a node of that role\n",
		    rec_role_name(role), rec_role_nodes(role), node_role);
	free(node_role);
	return ok ? 0 : EPERM;
}

static int
user_add(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--role", 1, NULL },
		{ "--kdf-ms", 1, NULL }, { "--kdf-mem", 1, NULL },
		{ "--lang", 1, NULL } };
	const char *pos[1];
	struct keyring_kdf cost;
	const struct keyring_kdf *costp;
	char *pass = NULL;
	int n, role, err, rc = 1;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &n) != 0 ||
	    n != 1 || opts[0].value == NULL)
		return cmd_usage(&cmd_user);
	if ((role = store_role_from_name(opts[0].value)) == 0) {
		fprintf(stderr,
		    "kiosk: role must be chw, clinician, facility-admin or "
		    "regional-admin\n");
		return 2;
	}
	if (cmd_opt_kdf(&opts[1], &opts[2], &cost, &costp) != 0)
		return 2;
	if (opts[3].value != NULL && i18n_name(opts[3].value) == NULL)
		return cmd_bad_lang(opts[3].value);
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if (user_role_fits(ctx, role) != 0)
		return 1;
	if (keyring_has_user(ctx->keyring, pos[0])) {
		fprintf(stderr, "kiosk: there is already a user called %s\n",
		    pos[0]);
		return 1;
	}
	if ((pass = kctx_read_new_secret(ctx, pos[0])) == NULL)
		return 1;
	if ((err = store_user_add(ctx->store, pos[0], role, NULL)) != 0) {
		fprintf(stderr, "kiosk: cannot add %s: %s\n", pos[0],
		    err == EEXIST ? "that name is taken" : kctx_explain(err));
		goto out;
	}
	if ((err = keyring_wrap_user(ctx->keyring, pos[0], pass,
	         store_key(ctx->store), costp, NULL)) != 0) {
		fprintf(stderr,
		    "kiosk: %s is in the database but their "
		    "passphrase could not be saved (%s); run `kiosk user "
		    "passwd %s` as an administrator\n",
		    pos[0], kctx_explain(err), pos[0]);
		goto out;
	}
	if (opts[3].value != NULL &&
	    (err = store_user_set_lang(ctx->store, pos[0], opts[3].value)) !=
	        0) {
		fprintf(stderr,
		    "kiosk: %s was added but their language was not set "
		    "(%s); run `kiosk user set %s --lang %s`\n",
		    pos[0], kctx_explain(err), pos[0], opts[3].value);
		goto out;
	}
	printf("Added %s (%s)\n", pos[0], store_role_name(role));
	rc = 0;
out:
	xfree_secret_str(pass);
	return rc;
}

static int
user_list(struct kctx *ctx)
{
	struct store_user *u = NULL;
	char when[32];
	size_t i, n;
	time_t t;
	int err;

	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_user_list(ctx->store, &u, &n)) != 0) {
		fprintf(stderr, "kiosk: %s\n", kctx_explain(err));
		return 1;
	}
	printf("%-20s %-10s %-11s %s\n", "NAME", "ROLE", "CREATED", "KEY");
	for (i = 0; i < n; i++) {
		t = (time_t)(u[i].created_ms / 1000);
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&t));
		printf("%-20s %-10s %-11s %s\n", u[i].name,
		    store_role_name(u[i].role), when,
		    keyring_has_user(ctx->keyring, u[i].name) ? "set"
		                                              : "missing");
	}
	store_user_free_array(u, n);
	return 0;
}

static int
user_passwd(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--kdf-ms", 1, NULL },
		{ "--kdf-mem", 1, NULL } };
	const char *pos[1], *who;
	struct keyring_kdf cost;
	const struct keyring_kdf *costp;
	char *pass = NULL;
	int n, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &n) != 0)
		return cmd_usage(&cmd_user);
	if (cmd_opt_kdf(&opts[0], &opts[1], &cost, &costp) != 0)
		return 2;
	who = n == 1 ? pos[0] : ctx->user;
	if (kctx_open(ctx) != 0)
		return 1;
	if (strcmp(who, ctx->user) != 0 && kctx_require_admin(ctx) != 0)
		return 1;
	if (!keyring_has_user(ctx->keyring, who)) {
		struct store_user u;
		if (store_user_get(ctx->store, who, &u) != 0) {
			fprintf(stderr, "kiosk: no user called %s\n", who);
			return 1;
		}
		store_user_clear(&u);
	}
	if ((pass = kctx_read_new_secret(ctx, who)) == NULL)
		return 1;
	/* Keep the stored Argon2id cost (NULL) unless given one. */
	err = keyring_wrap_user(
	    ctx->keyring, who, pass, store_key(ctx->store), costp, NULL);
	xfree_secret_str(pass);
	if (err != 0) {
		fprintf(stderr, "kiosk: the passphrase was not changed: %s\n",
		    kctx_explain(err));
		return 1;
	}
	store_audit(ctx->store, "change", "user", who, "passphrase");
	printf("Passphrase changed for %s\n", who);
	return 0;
}

/* `user set NAME --lang L`: the language NAME's screens are in from
 * their next unlock (administrator, or NAME for themselves). */
static int
user_set(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--lang", 1, NULL } };
	const char *pos[1];
	int n, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &n) != 0 ||
	    n != 1 || opts[0].value == NULL)
		return cmd_usage(&cmd_user);
	if (i18n_name(opts[0].value) == NULL)
		return cmd_bad_lang(opts[0].value);
	if (kctx_open(ctx) != 0)
		return 1;
	if (strcmp(pos[0], ctx->user) != 0 && kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = store_user_set_lang(ctx->store, pos[0], opts[0].value)) !=
	    0) {
		fprintf(stderr, "kiosk: the language of %s was not set: %s\n",
		    pos[0], err == ENOENT ? "no such user" : kctx_explain(err));
		return 1;
	}
	printf("%s: screens in %s from the next unlock\n", pos[0],
	    i18n_name(opts[0].value));
	return 0;
}

static int
user_unlock(struct kctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	int n, err;

	if (cmd_opt_parse(argc, argv, 2, NULL, 0, pos, 1, &n) != 0 || n != 1)
		return cmd_usage(&cmd_user);
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = keyring_reset_failures(ctx->keyring, pos[0])) != 0) {
		fprintf(stderr, "kiosk: cannot unlock %s: %s\n", pos[0],
		    err == ENOENT ? "no such user" : kctx_explain(err));
		return 1;
	}
	store_audit(ctx->store, "change", "user", pos[0], "unlocked");
	printf("%s may try again\n", pos[0]);
	return 0;
}

/*
 * `user mfa enrol NAME`: a new TOTP secret shown as a QR code of its
 * otpauth:// URI and as base32 to type, confirmed by a first code from the
 * authenticator before anything is saved; then the one-time recovery
 * codes, shown once (only their hashes are kept).  The administrator, or
 * NAME for themselves.
 */
static int
user_mfa_enrol(struct kctx *ctx, const char *name)
{
	char codes[TOTP_RECOVERY_N][TOTP_RECOVERY_LEN + 1];
	uint8_t secret[TOTP_SECRET_LEN];
	char *b32 = NULL, *uri = NULL, *code = NULL;
	uint64_t step = 0;
	int i, err, rc = 1;

	if (strcmp(name, ctx->user) != 0 && kctx_require_admin(ctx) != 0)
		return 1;
	if (!keyring_has_user(ctx->keyring, name)) {
		fprintf(stderr, "kiosk: no user called %s with a passphrase\n",
		    name);
		return 1;
	}
	crypto_random(secret, sizeof(secret));
	b32 = totp_base32(secret, sizeof(secret));
	uri = totp_uri("Outpost", name, b32);
	printf("Second factor for %s: scan this with an authenticator app\n"
	       "(TOTP, 6 digits, 30 s), or type the key by hand.\n\n",
	    name);
	fflush(stdout);
	if ((err = qr_print(stdout, uri)) != 0)
		printf("(the QR code could not be drawn: type the key)\n");
	printf("\nKey: %s\n\n", b32);
	fflush(stdout);
	if ((code = kctx_read_secret(
	         ctx, "Code shown by the authenticator: ")) == NULL ||
	    totp_verify(secret, sizeof(secret), code, time(NULL), 0, &step) !=
	        0) {
		fprintf(stderr,
		    "kiosk: that is not the code of this key now; nothing "
		    "was saved: check the phone's clock and run `kiosk user "
		    "mfa enrol %s` again\n",
		    name);
		goto out;
	}
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		totp_recovery_new(codes[i]);
	if ((err = keyring_mfa_set(ctx->keyring, name, store_key(ctx->store),
	         secret, (const char(*)[TOTP_RECOVERY_LEN + 1]) codes, step)) !=
	    0) {
		fprintf(stderr, "kiosk: the second factor was not saved: %s\n",
		    kctx_explain(err));
		goto out;
	}
	store_audit(ctx->store, "change", "user", name, "mfa enrolled");
	printf("Second factor enrolled for %s. From now on an unlock asks "
	       "for a code.\n\nRecovery codes, each usable once instead of "
	       "a code (write them down\nand keep them apart from the phone; "
	       "they are not shown again):\n\n",
	    name);
	for (i = 0; i < TOTP_RECOVERY_N; i++)
		printf("  %2d. %s\n", i + 1, codes[i]);
	rc = 0;
out:
	explicit_bzero(codes, sizeof(codes));
	explicit_bzero(secret, sizeof(secret));
	xfree_secret_str(b32);
	xfree_secret_str(uri);
	xfree_secret_str(code);
	return rc;
}

/* `user mfa remove NAME` (administrator): the passphrase alone again. */
static int
user_mfa_remove(struct kctx *ctx, const char *name)
{
	int err;

	if (kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = keyring_mfa_clear(ctx->keyring, name)) != 0) {
		fprintf(stderr,
		    "kiosk: cannot remove the second factor of %s: "
		    "%s\n",
		    name, err == ENOENT ? "no such user" : kctx_explain(err));
		return 1;
	}
	store_audit(ctx->store, "change", "user", name, "mfa removed");
	printf("%s unlocks with the passphrase alone\n", name);
	return 0;
}

/* `user mfa status NAME`: enrolled or not, recovery codes left. */
static int
user_mfa_status(struct kctx *ctx, const char *name)
{
	if (!keyring_has_user(ctx->keyring, name)) {
		fprintf(stderr, "kiosk: no user called %s\n", name);
		return 1;
	}
	if (!keyring_user_mfa(ctx->keyring, name))
		printf("%s: no second factor\n", name);
	else
		printf("%s: second factor enrolled, %d recovery codes left\n",
		    name, keyring_mfa_left(ctx->keyring, name));
	return 0;
}

/*
 * `user mfa policy [required|off] [--grace-days N]`: show the node's
 * second-factor policy (kiosk/store/mfapolicy.h), or set it
 * (administrator); a change starts its grace period now.
 */
static int
user_mfa_policy(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--grace-days", 1, NULL } };
	const char *pos[1];
	struct mfa_policy p;
	char when[32];
	long long grace;
	time_t t;
	int n, err, required;

	if (cmd_opt_parse(argc, argv, 3, opts, nitems(opts), pos, 1, &n) != 0)
		return cmd_usage(&cmd_user);
	if (kctx_open(ctx) != 0)
		return 1;
	if (n == 1) {
		if (strcmp(pos[0], "required") != 0 &&
		    strcmp(pos[0], "off") != 0) {
			fprintf(stderr,
			    "kiosk: the policy is required or "
			    "off\n");
			return 2;
		}
		if (kctx_require_admin(ctx) != 0)
			return 1;
		if ((err = store_mfa_policy_get(ctx->store, &p)) != 0) {
			fprintf(stderr, "kiosk: %s\n", kctx_explain(err));
			return 1;
		}
		if (cmd_opt_int(&opts[0], 0, MFA_GRACE_DAYS_MAX, p.grace_days,
		        &grace) != 0)
			return 2;
		required = strcmp(pos[0], "required") == 0;
		if ((err = store_mfa_policy_set(
		         ctx->store, required, (int)grace)) != 0) {
			fprintf(stderr,
			    "kiosk: the policy was not changed: "
			    "%s\n",
			    kctx_explain(err));
			return 1;
		}
	} else if (opts[0].value != NULL)
		return cmd_usage(&cmd_user);
	if ((err = store_mfa_policy_get(ctx->store, &p)) != 0) {
		fprintf(stderr, "kiosk: %s\n", kctx_explain(err));
		return 1;
	}
	t = (time_t)(p.start_ms / 1000);
	strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&t));
	if (!p.required)
		printf(
		    "second factor: optional for everyone (since %s)\n", when);
	else
		printf("second factor: required for clinicians and "
		       "administrators, %d days after %s or after the "
		       "user's creation, whichever is later; CHWs exempt\n",
		    p.grace_days, when);
	return 0;
}

static int
user_mfa(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[2], "policy") == 0)
		return user_mfa_policy(ctx, argc, argv);
	if (argc != 4)
		return cmd_usage(&cmd_user);
	/* the one command the policy leaves a user without a second factor:
	 * setting up their own (and seeing whether they have one) */
	ctx->mfa_enrolling = strcmp(argv[3], ctx->user) == 0 &&
	    (strcmp(argv[2], "enrol") == 0 || strcmp(argv[2], "enroll") == 0 ||
	        strcmp(argv[2], "status") == 0);
	if (kctx_open(ctx) != 0)
		return 1;
	if (strcmp(argv[2], "enrol") == 0 || strcmp(argv[2], "enroll") == 0)
		return user_mfa_enrol(ctx, argv[3]);
	if (strcmp(argv[2], "remove") == 0)
		return user_mfa_remove(ctx, argv[3]);
	if (strcmp(argv[2], "status") == 0)
		return user_mfa_status(ctx, argv[3]);
	return cmd_usage(&cmd_user);
}

static int
user_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_user);
	if (strcmp(argv[1], "add") == 0)
		return user_add(ctx, argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return user_list(ctx);
	if (strcmp(argv[1], "passwd") == 0)
		return user_passwd(ctx, argc, argv);
	if (strcmp(argv[1], "unlock") == 0)
		return user_unlock(ctx, argc, argv);
	if (strcmp(argv[1], "set") == 0)
		return user_set(ctx, argc, argv);
	if (strcmp(argv[1], "mfa") == 0)
		return user_mfa(ctx, argc, argv);
	return cmd_usage(&cmd_user);
}

const struct kiosk_cmd cmd_user = {
	.name = "user",
	.usage = "  user add NAME --role chw|clinician|facility-admin|"
	         "regional-admin\n"
	         "           [--lang en|fr|sw] [--kdf-mem KIB | --kdf-ms N]\n"
	         "           (admin: facility-admin; the role must fit the "
	         "node's)\n"
	         "  user set NAME --lang en|fr|sw   screen language from the "
	         "next unlock\n"
	         "  user list\n"
	         "  user passwd [NAME] [--kdf-mem KIB | --kdf-ms N]\n"
	         "  user unlock NAME      clear a lockout after wrong "
	         "passphrases (administrator)\n"
	         "  user mfa enrol|remove|status NAME   TOTP second factor "
	         "(QR code, recovery codes)\n"
	         "  user mfa policy [required|off] [--grace-days N]   who "
	         "must have one (admin)\n",
	.run = user_run,
};
