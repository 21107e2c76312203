/*
 * kiosk referral: referrals from the command line (issue 14), for scripts
 * and tests; the screens do the same through kiosk/store/referral.c.  The
 * facility is this kiosk's, from its enrolment.
 *
 *   new --patient ID --to FACILITY --reason TEXT [--urgency U]
 *       [--due-days N | --due-seconds N] [--visit V] [--consult C]
 *                                                  refer (prints its id)
 *   list [incoming|outgoing|followup|new]          one line per referral
 *   show ID
 *   accept|start|seen|fail ID [--why T]            the target's steps
 *   reject ID --why T
 *   cancel ID [--why T]                            the referrer's
 *   outcome ID seen-elsewhere|improved|refused|unreachable|died
 *   has FACT                                       1 when this kiosk holds
 *                                                  fact FACT (tests)
 */
#define LOG_MODULE "referral"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "model/referral.h"

extern const struct kiosk_cmd cmd_referral;

static int
ref_fail(const char *what, int err, char *cause)
{
	fprintf(stderr, "kiosk: %s: %s\n", what,
	    cause != NULL ? cause : kctx_explain(err));
	free(cause);
	return 1;
}

/* This kiosk's facility ("" when not enrolled). */
static void
ref_facility(struct kctx *ctx, char *out, size_t len)
{
	struct sync_status st;

	out[0] = '\0';
	if (sync_status_get(ctx->store, &st) == 0)
		snprintf(out, len, "%s", st.facility);
}

static int
ref_new(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--patient", 1, NULL }, { "--to", 1, NULL },
		{ "--reason", 1, NULL }, { "--urgency", 1, NULL },
		{ "--due-days", 1, NULL }, { "--visit", 1, NULL },
		{ "--consult", 1, NULL }, { "--due-seconds", 1, NULL } };
	struct store_referral_req q;
	char id[UUID_STRLEN + 1], facility[64], *cause = NULL;
	long long days, secs;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0, &npos) !=
	        0 ||
	    opts[0].value == NULL || opts[1].value == NULL)
		return cmd_usage(&cmd_referral);
	if (cmd_opt_int(&opts[4], 1, 365, 7, &days) != 0 ||
	    cmd_opt_int(&opts[7], 1, 86400, 0, &secs) != 0)
		return 2;
	if (kctx_open(ctx) != 0)
		return 1;
	ref_facility(ctx, facility, sizeof(facility));
	memset(&q, 0, sizeof(q));
	q.patient_id = opts[0].value;
	q.target = opts[1].value;
	q.reason = opts[2].value;
	q.urgency = opts[3].value != NULL ? opts[3].value : "routine";
	/* --due-seconds: a due-by within the day (scripts and tests) */
	q.due_ms = clock_wall_ms() +
	    (secs > 0 ? (uint64_t)secs * 1000ULL
	              : (uint64_t)days * 86400000ULL);
	q.encounter_id = opts[5].value;
	q.consult_id = opts[6].value;
	q.from = facility;
	if ((err = store_referral_new(ctx->store, &q, id, &cause)) != 0)
		return ref_fail("cannot refer", err, cause);
	printf("%s\n", id);
	return 0;
}

static void
ref_line(const struct store_referral *r)
{
	printf("%s %s %s->%s %s due=%" PRIu64 "%s%s%s%s \"%s\"\n", r->id,
	    referral_state_name(r->state), r->from, r->target, r->urgency,
	    r->due_ms, r->followup_due ? " follow-up-due" : "",
	    r->outcome[0] ? " outcome=" : "", r->outcome,
	    r->self_reported ? " self-reported" : "", r->reason);
}

static int
ref_list(struct kctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "incoming", "outgoing", "followup",
		"new" };
	struct store_referral *v = NULL;
	char facility[64];
	size_t i, n = 0;
	int which = STORE_REF_OUTGOING, err;

	if (argc > 3)
		return cmd_usage(&cmd_referral);
	if (argc == 3) {
		for (which = 0; which < (int)nitems(names); which++)
			if (strcmp(argv[2], names[which]) == 0)
				break;
		if (which == (int)nitems(names))
			return cmd_usage(&cmd_referral);
	}
	if (kctx_open(ctx) != 0)
		return 1;
	ref_facility(ctx, facility, sizeof(facility));
	if ((err = store_referral_list(
	         ctx->store, which, facility, clock_wall_ms(), &v, &n)) != 0)
		return ref_fail("cannot list referrals", err, NULL);
	for (i = 0; i < n; i++)
		ref_line(&v[i]);
	store_referral_free_array(v, n);
	return 0;
}

static int
ref_show(struct kctx *ctx, const char *id)
{
	struct store_referral r;
	int err;

	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_referral_get(ctx->store, id, clock_wall_ms(), &r)) !=
	    0)
		return ref_fail("cannot show the referral", err, NULL);
	ref_line(&r);
	printf("patient %s %s\nrequested_ms %" PRIu64 "\nupdated_ms %" PRIu64
	       "\nsteps %d\n",
	    r.patient_id, r.patient_name, r.requested_ms, r.updated_ms,
	    r.nsteps);
	if (r.state_reason[0] != '\0')
		printf("reason_for_state \"%s\"\n", r.state_reason);
	store_referral_clear(&r);
	return 0;
}

static int
ref_step(struct kctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *verb, *state;
	} steps[] = { { "accept", "accepted" }, { "start", "in-progress" },
		{ "seen", "completed" }, { "fail", "failed" },
		{ "reject", "rejected" }, { "cancel", "cancelled" },
		{ "outcome", "follow-up" }, { "receive", "received" } };
	struct cmd_opt opts[] = { { "--why", 1, NULL } };
	const char *pos[2], *state = NULL, *note;
	char facility[64], *cause = NULL;
	size_t i;
	int npos, err;

	for (i = 0; i < nitems(steps); i++)
		if (strcmp(argv[1], steps[i].verb) == 0)
			state = steps[i].state;
	if (state == NULL ||
	    cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 2, &npos) !=
	        0 ||
	    npos != (strcmp(argv[1], "outcome") == 0 ? 2 : 1))
		return cmd_usage(&cmd_referral);
	note = npos == 2 ? pos[1] : opts[0].value;
	if (kctx_open(ctx) != 0)
		return 1;
	ref_facility(ctx, facility, sizeof(facility));
	if ((err = store_referral_step(
	         ctx->store, pos[0], facility, state, note, &cause)) != 0)
		return ref_fail(argv[1], err, cause);
	return 0;
}

static int
cmd_referral_run(struct kctx *ctx, int argc, char **argv)
{
	int n, err;

	if (argc < 2)
		return cmd_usage(&cmd_referral);
	if (strcmp(argv[1], "new") == 0)
		return ref_new(ctx, argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return ref_list(ctx, argc, argv);
	if (strcmp(argv[1], "show") == 0 && argc == 3)
		return ref_show(ctx, argv[2]);
	if (strcmp(argv[1], "has") == 0 && argc == 3) {
		if (kctx_open(ctx) != 0)
			return 1;
		if ((err = store_referral_fact_count(
		         ctx->store, argv[2], &n)) != 0)
			return ref_fail("has", err, NULL);
		printf("%d\n", n);
		return 0;
	}
	return ref_step(ctx, argc, argv);
}

const struct kiosk_cmd cmd_referral = { "referral",
	"referral new --patient ID --to FACILITY --reason TEXT [--urgency "
	"routine|urgent|asap|stat] [--due-days N|--due-seconds N] [--visit V]"
	" [--consult C]\n"
	"referral list [incoming|outgoing|followup|new] | show ID | has FACT\n"
	"referral accept|start|seen|receive ID | reject ID --why T\n"
	"referral fail|cancel ID [--why T]\n"
	"referral outcome ID seen-elsewhere|improved|refused|unreachable|died",
	cmd_referral_run };
