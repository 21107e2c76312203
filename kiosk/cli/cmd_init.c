/*
 * kiosk init: create a node's database, keyring and first (administrator)
 * user.  The data key is random; the administrator's passphrase wraps it.
 * With --region-key the recovery copy is sealed to the region at once.
 */
#define LOG_MODULE "init"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "crypto.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "log.h"
#include "phone.h"
#include "kiosk/store/region.h"
#include "kiosk/store/store.h"
#include "xmalloc.h"

static int
init_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--region-key", 1, NULL },
		{ "--kdf-ms", 1, NULL }, { "--max-failures", 1, NULL },
		{ "--unlock-delay-ms", 1, NULL }, { "--kdf-mem", 1, NULL },
		{ "--country", 1, NULL } };
	struct keyring *k = NULL;
	struct store *s = NULL;
	struct store_user u = { 0 };
	uint8_t key[32], pub[32];
	struct keyring_kdf cost;
	const struct keyring_kdf *costp;
	long long maxf, delay;
	char *pass = NULL, *path = NULL, *logpath;
	struct stat sb;
	int err, rc = 1, have_pub = 0;

	if (cmd_opt_parse(argc, argv, 1, opts, nitems(opts), NULL, 0, NULL) !=
	    0)
		return 2;
	if (cmd_opt_kdf(&opts[1], &opts[4], &cost, &costp) != 0 ||
	    cmd_opt_int(
	        &opts[2], 1, 1000, KEYRING_DEFAULT_MAX_FAILURES, &maxf) != 0 ||
	    cmd_opt_int(&opts[3], 0, 30000, KEYRING_DEFAULT_DELAY_MS, &delay) !=
	        0)
		return 2;
	if (opts[5].value != NULL && phone_country(opts[5].value) == NULL) {
		fprintf(stderr,
		    "kiosk: %s is not a country this kiosk knows; give its "
		    "two-letter code (KE, UG, TZ, NG...)\n",
		    opts[5].value);
		return 2;
	}
	if (opts[0].value != NULL) {
		if ((err = region_read_key(opts[0].value, pub)) != 0)
			return 1;
		have_pub = 1;
	}
	if (mkdir(ctx->data_dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "kiosk: cannot create %s: %s\n", ctx->data_dir,
		    strerror(errno));
		return 1;
	}
	path = kctx_path(ctx, KEYRING_FILE);
	if (stat(path, &sb) == 0) {
		fprintf(stderr,
		    "kiosk: %s already holds a kiosk; nothing was "
		    "changed\n",
		    ctx->data_dir);
		goto out;
	}
	free(path);
	path = kctx_path(ctx, STORE_DB_FILE);
	if (stat(path, &sb) == 0) {
		fprintf(stderr,
		    "kiosk: %s has a database but no keyring; "
		    "restore the keyring or use `kiosk recover`\n",
		    ctx->data_dir);
		goto out;
	}
	logpath = kctx_path(ctx, "kiosk.log");
	log_init(logpath, ctx->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	free(logpath);
	if ((pass = kctx_read_new_secret(ctx, ctx->user)) == NULL)
		goto out;
	if (costp == NULL)
		keyring_kdf_default(&cost);
	else if (cost.m_cost < KEYRING_ARGON2_M_COST)
		fprintf(stderr,
		    "kiosk: warning: a key derivation cheaper than the "
		    "default is for tests; a stolen kiosk's passphrase is "
		    "easier to guess\n");
	crypto_random(key, sizeof(key));
	if ((err = store_open(ctx->data_dir, key, 1, &s)) != 0) {
		fprintf(stderr, "kiosk: cannot create the database: %s\n",
		    kctx_explain(err));
		goto out;
	}
	if ((err = store_user_add(s, ctx->user, STORE_ROLE_ADMIN, &u)) != 0) {
		fprintf(stderr, "kiosk: cannot add user %s: %s\n", ctx->user,
		    kctx_explain(err));
		goto fail;
	}
	if (opts[5].value != NULL &&
	    (err = store_country_set(s, opts[5].value)) != 0) {
		fprintf(stderr, "kiosk: cannot set the country: %s\n",
		    kctx_explain(err));
		goto fail;
	}
	k = keyring_new(ctx->data_dir, (unsigned)maxf, (unsigned)delay);
	if ((err = keyring_wrap_user(
	         k, ctx->user, pass, key, &cost, have_pub ? pub : NULL)) != 0) {
		fprintf(stderr, "kiosk: cannot write the keyring: %s\n",
		    kctx_explain(err));
		goto fail;
	}
	printf("Initialised kiosk node %s in %s\n", store_node_id(s),
	    ctx->data_dir);
	printf("Administrator: %s (key derivation: Argon2id, %u passes, "
	       "%u KiB, %u lane%s)\n",
	    ctx->user, cost.t_cost, cost.m_cost, cost.parallelism,
	    cost.parallelism == 1 ? "" : "s");
	if (opts[5].value != NULL)
		printf("Country: %s (phone numbers as +%s...)\n",
		    phone_country(opts[5].value),
		    phone_calling_code(opts[5].value));
	printf("Region recovery key: %s\n",
	    have_pub ? "configured"
	             : "not configured (kiosk region set-key FILE)");
	rc = 0;
	goto out;
fail:
	/* Leave no half-made node behind: it could never be unlocked. */
	store_close(s);
	s = NULL;
	free(path);
	path = kctx_path(ctx, STORE_DB_FILE);
	unlink(path);
	free(path);
	path = kctx_path(ctx, STORE_DB_FILE "-wal");
	unlink(path);
	free(path);
	path = kctx_path(ctx, STORE_DB_FILE "-shm");
	unlink(path);
out:
	explicit_bzero(key, sizeof(key));
	store_user_clear(&u);
	store_close(s);
	keyring_free(k);
	xfree_secret_str(pass);
	free(path);
	return rc;
}

const struct kiosk_cmd cmd_init = {
	.name = "init",
	.usage = "  init [--region-key PUBFILE] [--kdf-mem KIB | --kdf-ms N]"
	         " [--max-failures N] [--unlock-delay-ms N] [--country CC]\n"
	         "      create this node's encrypted store and its first "
	         "administrator (--user, default admin); CC: the country "
	         "of local phone numbers (KE)\n",
	.run = init_run,
};
