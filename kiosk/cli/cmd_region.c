/*
 * kiosk region keygen|set-key: make a region key pair (on the region
 * administrator's machine) and give a kiosk the public half, so its data
 * key gets a recovery copy and its exports can be restored.
 */
#define LOG_MODULE "region"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "crypto.h"
#include "encode.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/region.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_region;

static int
region_keygen(int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--out", 1, NULL } };
	uint8_t priv[32], pub[32];
	char *pubpath = NULL, *hex;
	int rc = 1;

	if (cmd_opt_parse(argc, argv, 2, opts, 1, NULL, 0, NULL) != 0 ||
	    opts[0].value == NULL)
		return cmd_usage(&cmd_region);
	if (crypto_x25519_keygen(priv, pub) != 0)
		goto out;
	xasprintf(&pubpath, "%s.pub", opts[0].value);
	if (region_write_key(opts[0].value, priv) != 0 ||
	    region_write_key(pubpath, pub) != 0)
		goto out;
	hex = hex_encode(pub, 32);
	printf("Region private key: %s (keep it offline, with the region "
	       "administrator)\nRegion public key:  %s (%s)\n",
	    opts[0].value, pubpath, hex);
	free(hex);
	rc = 0;
out:
	explicit_bzero(priv, sizeof(priv));
	free(pubpath);
	return rc;
}

static int
region_set_key(struct kctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	uint8_t pub[32];
	int n, err;

	if (cmd_opt_parse(argc, argv, 2, NULL, 0, pos, 1, &n) != 0 || n != 1)
		return cmd_usage(&cmd_region);
	if (region_read_key(pos[0], pub) != 0)
		return 1;
	if (kctx_open(ctx) != 0 || kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = keyring_set_recovery(
	         ctx->keyring, pub, store_key(ctx->store))) != 0) {
		fprintf(stderr, "kiosk: the region key was not set: %s\n",
		    kctx_explain(err));
		return 1;
	}
	store_audit(ctx->store, "change", "node", store_node_id(ctx->store),
	    "region recovery key set");
	printf("Region recovery key set: the region can now recover this "
	       "kiosk and restore its exports\n");
	return 0;
}

static int
region_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return region_keygen(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "set-key") == 0)
		return region_set_key(ctx, argc, argv);
	return cmd_usage(&cmd_region);
}

const struct kiosk_cmd cmd_region = {
	.name = "region",
	.usage = "  region keygen --out FILE   make a region key pair (FILE, "
	         "FILE.pub)\n"
	         "  region set-key PUBFILE     seal a recovery copy of this "
	         "kiosk's key to the region (administrator)\n",
	.run = region_run,
};
