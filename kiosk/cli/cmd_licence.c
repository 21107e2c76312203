/*
 * kiosk licence list|flags: who may consult here, from the signed licence
 * snapshot the kiosk holds (issue 14; kiosk/store/licstore.h), and the acts
 * flagged on this kiosk.  It says when the snapshot is stale (past its
 * not_after: acts are flagged for re-check at the next sync).
 */
#define LOG_MODULE "cmd_licence"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "hlc.h"
#include "i18n.h"
#include "kiosk/kctx.h"
#include "kiosk/store/licstore.h"
#include "kiosk/store/store.h"
#include "licence.h"

extern const struct kiosk_cmd cmd_licence;

struct lic_list_arg {
	const struct licence_set *set;
	int64_t now;
	int n;
};

static void
lic_date(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "?");
	else
		strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

static int
lic_one(void *arg, const char *name, const char *regno)
{
	struct lic_list_arg *a = arg;
	struct licence_verdict v;

	licence_permitted(
	    a->set, regno, LIC_ACT_CONSULT, a->set->region, a->now, &v);
	printf("%-20s %-14s %s%s\n", name, regno[0] ? regno : "-",
	    v.permitted ? "may consult" : "may not consult: ",
	    v.permitted ? "" : _(v.words));
	a->n++;
	return 0;
}

static int
licence_list(struct kctx *ctx)
{
	struct store_licence_info info;
	struct licence_set set = { 0 };
	struct lic_list_arg a;
	char d1[32], d2[32];
	int64_t now = (int64_t)hlc_wall_ms();
	int err;

	if ((err = store_licence_info(ctx->store, &info)) != 0 ||
	    (info.held && (err = store_licence_get(ctx->store, &set)) != 0)) {
		fprintf(stderr,
		    "kiosk: the licence list cannot be read: "
		    "%s\n",
		    kctx_explain(err));
		return 1;
	}
	if (!info.held) {
		printf("%s\n",
		    "No licence list yet: it comes with the next "
		    "sync. Until then the server checks each "
		    "consult.");
		return 0;
	}
	lic_date(info.issued, d1, sizeof(d1));
	lic_date(info.not_after, d2, sizeof(d2));
	printf("Licence list for %s, version %" PRIu64
	       ", %zu licences, issued %s UTC, good until %s UTC\n",
	    info.region, info.version, info.n, d1, d2);
	if (now >= info.not_after)
		printf("%s\n",
		    "STALE: the list is past its date; acts are "
		    "flagged and checked again at the next "
		    "sync. Connect to sync.");
	memset(&a, 0, sizeof(a));
	a.set = &set;
	a.now = now;
	err = store_licence_clinicians(ctx->store, lic_one, &a);
	if (err == 0 && a.n == 0)
		printf("%s\n", "No clinicians on this kiosk.");
	licence_set_clear(&set);
	return err == 0 ? 0 : 1;
}

static int
licence_flags(struct kctx *ctx, const char *consult)
{
	char *out = NULL;
	int err;

	if ((err = store_licence_flags(ctx->store, consult, &out)) != 0) {
		fprintf(stderr, "kiosk: %s\n", kctx_explain(err));
		return 1;
	}
	fputs(out, stdout);
	free(out);
	return 0;
}

static int
licence_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		return cmd_usage(&cmd_licence);
	if (kctx_open(ctx) != 0)
		return 1;
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		return licence_list(ctx);
	if (strcmp(argv[1], "flags") == 0)
		return licence_flags(ctx, argc == 3 ? argv[2] : NULL);
	return cmd_usage(&cmd_licence);
}

const struct kiosk_cmd cmd_licence = {
	.name = "licence",
	.usage = "  licence list               who may consult here (the "
	         "signed licence list)\n"
	         "  licence flags [CONSULT]    acts flagged licence_lapsed "
	         "or for re-check\n",
	.run = licence_run,
};
