/*
 * kiosk country [CODE]: show or set this node's country (ISO 3166
 * alpha-2, "KE"), which turns the local phone numbers typed, imported or
 * searched here into E.164 (+254...).  Setting it needs an administrator;
 * numbers stored before are not rewritten (a search still finds them).
 */
#define LOG_MODULE "cli"

#include <stdio.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "phone.h"

extern const struct kiosk_cmd cmd_country;

static int
country_run(struct kctx *ctx, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	char c[3];
	int n, err;

	if (cmd_opt_parse(argc, argv, 1, NULL, 0, pos, 1, &n) != 0)
		return cmd_usage(&cmd_country);
	if (n == 1 && phone_country(pos[0]) == NULL) {
		fprintf(stderr,
		    "kiosk: %s is not a country this kiosk knows; give its "
		    "two-letter code (KE, UG, TZ, NG...)\n",
		    pos[0]);
		return 2;
	}
	if (kctx_open(ctx) != 0)
		return 1;
	if (n == 0) {
		if (store_country_get(ctx->store, c) != 0) {
			printf(
			    "No country set: local phone numbers are kept as "
			    "typed (kiosk country CODE sets it)\n");
			return 0;
		}
		printf("%s (+%s)\n", c, phone_calling_code(c));
		return 0;
	}
	if (kctx_require_admin(ctx) != 0)
		return 1;
	if ((err = store_country_set(ctx->store, pos[0])) != 0) {
		fprintf(stderr, "kiosk: the country was not set: %s\n",
		    kctx_explain(err));
		return 1;
	}
	printf("Country: %s (+%s); local phone numbers are stored as "
	       "+%s...\n",
	    phone_country(pos[0]), phone_calling_code(pos[0]),
	    phone_calling_code(pos[0]));
	return 0;
}

const struct kiosk_cmd cmd_country = {
	.name = "country",
	.usage = "  country [CODE]             show or set this node's country "
	         "(KE: phone numbers as +254...)\n",
	.run = country_run,
};
