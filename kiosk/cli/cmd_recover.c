/*
 * kiosk recover: administrator recovery with the region private key.  It
 * opens the recovery copy of the data key, checks that it opens this
 * database, and sets a new passphrase for a user (clearing any lockout) —
 * for a forgotten PIN or a user locked out after wrong tries.
 */
#define LOG_MODULE "recover"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "log.h"
#include "kiosk/store/region.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_recover;

static int
recover_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--region-key", 1, NULL },
		{ "--kdf-ms", 1, NULL }, { "--kdf-mem", 1, NULL } };
	struct keyring *k = NULL;
	struct store *s = NULL;
	struct store_user u = { 0 };
	uint8_t priv[32], key[32];
	struct keyring_kdf cost;
	const struct keyring_kdf *costp;
	char *pass = NULL;
	int err, rc = 1;

	if (cmd_opt_parse(argc, argv, 1, opts, nitems(opts), NULL, 0, NULL) !=
	        0 ||
	    opts[0].value == NULL)
		return cmd_usage(&cmd_recover);
	if (cmd_opt_kdf(&opts[1], &opts[2], &cost, &costp) != 0)
		return 2;
	if (costp == NULL) /* the default, not a cost kept from before */
		keyring_kdf_default(&cost);
	if (region_read_key(opts[0].value, priv) != 0)
		return 1;
	if ((err = keyring_load(ctx->data_dir, &k)) != 0) {
		fprintf(stderr, "kiosk: cannot read the keyring in %s: %s\n",
		    ctx->data_dir, kctx_explain(err));
		goto out;
	}
	if ((err = keyring_recover(k, priv, key)) != 0) {
		fprintf(stderr, "kiosk: %s\n",
		    err == ENOENT
		        ? "this kiosk has no region recovery copy (it was never "
		          "given a region key)"
		        : "that region key does not open this kiosk's recovery "
		          "copy");
		goto out;
	}
	if ((err = store_open(ctx->data_dir, key, 0, &s)) != 0) {
		fprintf(stderr,
		    "kiosk: the recovered key does not open the "
		    "database: %s\n",
		    kctx_explain(err));
		goto out;
	}
	if ((err = store_user_get(s, ctx->user, &u)) != 0) {
		fprintf(stderr, "kiosk: no user called %s in this kiosk\n",
		    ctx->user);
		goto out;
	}
	if ((pass = kctx_read_new_secret(ctx, ctx->user)) == NULL)
		goto out;
	if ((err = keyring_wrap_user(k, ctx->user, pass, key, &cost, NULL)) !=
	    0) {
		fprintf(stderr, "kiosk: the keyring was not changed: %s\n",
		    kctx_explain(err));
		goto out;
	}
	store_audit(s, "change", "user", u.id, "recovered with region key");
	printf(
	    "Recovered: %s has a new passphrase and may log in\n", ctx->user);
	rc = 0;
out:
	explicit_bzero(priv, sizeof(priv));
	explicit_bzero(key, sizeof(key));
	xfree_secret_str(pass);
	store_user_clear(&u);
	store_close(s);
	keyring_free(k);
	return rc;
}

const struct kiosk_cmd cmd_recover = {
	.name = "recover",
	.usage =
	    "  recover --region-key PRIVFILE [--kdf-mem KIB | --kdf-ms N]\n"
	    "      give --user a new passphrase using the region key "
	    "(forgotten PIN, lockout)\n",
	.run = recover_run,
};
