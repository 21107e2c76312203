/*
 * kiosk consult: consults from the command line (issue 13), for scripts
 * and tests; the screens do the same through kiosk/store/consult.c.
 *
 *   request VISIT|--patient ID --reason TEXT [--mode video|voice|store-forward]
 *           [--news2 N] [--danger]       a CHW asks for a clinician
 *   list [queue|mine|open|new|all]        one line per consult
 *   show ID                               the consult, its note and
 *                                         whether its signature verifies
 *   queue                                 the server's queue (last sync)
 *   key [--regno R]                       a clinician's signing key
 *   accept|call|sign|close ID             the lifecycle's steps
 *   note ID [--subjective T] [--objective T] [--assessment T]
 *           [--plan T] [--advice T]
 *   return ID [--to USER] [--why T]       back to the queue (handover)
 *   cancel|fail ID --why T
 *   seen ID                               the answer was read here
 */
#define LOG_MODULE "consult"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "consult.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"

extern const struct kiosk_cmd cmd_consult;

static int
consult_fail(const char *what, int err, char *cause)
{
	fprintf(stderr, "kiosk: %s: %s\n", what,
	    cause != NULL ? cause : kctx_explain(err));
	free(cause);
	return 1;
}

static const char *
consult_s(const char *s)
{
	return s != NULL ? s : "";
}

static int
consult_request(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--reason", 1, NULL },
		{ "--mode", 1, NULL }, { "--news2", 1, NULL },
		{ "--danger", 0, NULL }, { "--patient", 1, NULL } };
	struct store_consult_req q;
	char id[UUID_STRLEN + 1], visit[UUID_STRLEN + 1], *cause = NULL;
	const char *pos[1];
	long long news2;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != (opts[4].value != NULL ? 0 : 1))
		return cmd_usage(&cmd_consult);
	if (cmd_opt_int(&opts[2], 0, 20, -1, &news2) != 0)
		return 2;
	if (kctx_open(ctx) != 0)
		return 1;
	memset(&q, 0, sizeof(q));
	/* --patient P: a new visit of P, for scripts */
	if (opts[4].value != NULL &&
	    (err = store_encounter_open(
	         ctx->store, opts[4].value, opts[0].value, visit)) != 0)
		return consult_fail("cannot open a visit", err, NULL);
	q.encounter_id = opts[4].value != NULL ? visit : pos[0];
	q.reason = opts[0].value;
	q.mode = opts[1].value != NULL ? opts[1].value : "store-forward";
	q.news2 = (int)news2;
	q.urgency = consult_urgency((int)news2, 0, opts[3].value != NULL);
	if ((err = store_consult_request(ctx->store, &q, id, &cause)) != 0)
		return consult_fail("cannot ask for a clinician", err, cause);
	printf("%s\n", id);
	return 0;
}

static void
consult_line(const struct store_consult *c, const struct sync_queue *q)
{
	const struct sync_queue_item *it = sync_queue_find(q, c->id);

	printf("%s %s %s %s \"%s\"", c->id, c->state,
	    consult_urgency_name(c->urgency), consult_s(c->mode),
	    consult_s(c->reason));
	if (it != NULL && it->position > 0)
		printf(" position=%" PRIu64, it->position);
	printf("\n");
}

static int
consult_list(struct kctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "queue", "mine", "open", "new",
		"all" };
	struct store_consult *c = NULL;
	struct sync_queue q;
	size_t i, n = 0;
	int which = STORE_CL_OPEN, err;

	if (argc > 3)
		return cmd_usage(&cmd_consult);
	if (argc == 3) {
		for (which = 0; which < (int)nitems(names); which++)
			if (strcmp(argv[2], names[which]) == 0)
				break;
		if (which == (int)nitems(names))
			return cmd_usage(&cmd_consult);
	}
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_consult_list(ctx->store, which, &c, &n)) != 0)
		return consult_fail("cannot list consults", err, NULL);
	sync_queue_get(ctx->store, &q);
	for (i = 0; i < n; i++)
		consult_line(&c[i], &q);
	sync_queue_clear(&q);
	store_consult_free_array(c, n);
	return 0;
}

static int
consult_show(struct kctx *ctx, int argc, char **argv)
{
	struct store_consult c;
	const char *why;
	int err;

	if (argc != 3)
		return cmd_usage(&cmd_consult);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_consult_get(ctx->store, argv[2], &c)) != 0)
		return consult_fail("no such consult", err, NULL);
	printf("consult %s\nstate: %s\nurgency: %s\nmode: %s\nreason: %s\n",
	    c.id, c.state, consult_urgency_name(c.urgency), consult_s(c.mode),
	    consult_s(c.reason));
	printf("clinician: %s %s\nregno: %s\n", consult_s(c.clinician),
	    consult_s(c.clinician_name), consult_s(c.regno));
	printf("S: %s\nO: %s\nA: %s\nP: %s\nadvice: %s\n",
	    consult_s(c.subjective), consult_s(c.objective),
	    consult_s(c.assessment), consult_s(c.plan), consult_s(c.advice));
	if (c.end_reason != NULL)
		printf("why: %s\n", c.end_reason);
	err = store_consult_verify(ctx->store, &c, &why);
	printf("signature: %s\n",
	    err == 0            ? "verified"
	        : err == ENOENT ? "none"
	        : why != NULL   ? why
	                        : "cannot be checked");
	store_consult_clear(&c);
	return err == EBADMSG ? 1 : 0;
}

static int
consult_queue(struct kctx *ctx)
{
	struct sync_queue q;
	size_t i;

	if (kctx_open(ctx) != 0)
		return 1;
	if (sync_queue_get(ctx->store, &q) != 0 || !q.known) {
		printf("queue not known yet: sync first\n");
		sync_queue_clear(&q);
		return 0;
	}
	printf("waiting: %" PRIu64 "\n", q.waiting);
	if (q.has_wait)
		printf("expected wait: %" PRIu64 " min\n",
		    (q.wait_ms + 59999) / 60000);
	else
		printf("expected wait: unknown\n");
	for (i = 0; i < q.n; i++)
		printf("%s %s %s position=%" PRIu64 " facility=%s\n",
		    q.items[i].id, q.items[i].state,
		    consult_urgency_name((int)q.items[i].urgency),
		    q.items[i].position, q.items[i].facility);
	sync_queue_clear(&q);
	return 0;
}

static int
consult_key(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--regno", 1, NULL } };
	struct store_user u;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0, &npos) !=
	        0 ||
	    npos != 0)
		return cmd_usage(&cmd_consult);
	if (kctx_open(ctx) != 0)
		return 1;
	if (ctx->role != STORE_ROLE_CLINICIAN) {
		fprintf(stderr, "kiosk: only a clinician signs notes\n");
		return 1;
	}
	if ((err = store_user_get(ctx->store, ctx->user, &u)) != 0)
		return consult_fail("no such user", err, NULL);
	err = store_user_signkey(ctx->store, u.id, opts[0].value);
	store_user_clear(&u);
	if (err != 0)
		return consult_fail("cannot make the signing key", err, NULL);
	printf("signing key ready\n");
	return 0;
}

static int
consult_note(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--subjective", 1, NULL },
		{ "--objective", 1, NULL }, { "--assessment", 1, NULL },
		{ "--plan", 1, NULL }, { "--advice", 1, NULL } };
	struct store_consult_note n;
	const char *pos[1];
	char *cause = NULL;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1)
		return cmd_usage(&cmd_consult);
	if (kctx_open(ctx) != 0)
		return 1;
	n.subjective = opts[0].value;
	n.objective = opts[1].value;
	n.assessment = opts[2].value;
	n.plan = opts[3].value;
	n.advice = opts[4].value;
	if ((err = store_consult_note(ctx->store, pos[0], &n, &cause)) != 0)
		return consult_fail("cannot write the note", err, cause);
	return 0;
}

/* accept, call, sign, close, return, cancel, fail, seen */
static int
consult_step(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--why", 1, NULL }, { "--to", 1, NULL } };
	const char *pos[1], *what = argv[1];
	struct store_user to;
	char *cause = NULL;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1)
		return cmd_usage(&cmd_consult);
	if (kctx_open(ctx) != 0)
		return 1;
	memset(&to, 0, sizeof(to));
	if (opts[1].value != NULL &&
	    (err = store_user_get(ctx->store, opts[1].value, &to)) != 0)
		return consult_fail("no such clinician here", err, NULL);
	if (strcmp(what, "accept") == 0)
		err = store_consult_accept(ctx->store, pos[0], &cause);
	else if (strcmp(what, "sign") == 0)
		err = store_consult_sign(ctx->store, pos[0], &cause);
	else if (strcmp(what, "seen") == 0)
		err = store_consult_seen(ctx->store, pos[0]);
	else
		err = store_consult_step(ctx->store, pos[0],
		    strcmp(what, "call") == 0         ? "call"
		        : strcmp(what, "close") == 0  ? "closed"
		        : strcmp(what, "return") == 0 ? "requested"
		        : strcmp(what, "cancel") == 0 ? "cancelled"
		                                      : "failed",
		    opts[0].value, to.name != NULL ? to.id : NULL, &cause);
	store_user_clear(&to);
	if (err != 0)
		return consult_fail(what, err, cause);
	return 0;
}

static int
cmd_consult_run(struct kctx *ctx, int argc, char **argv)
{
	static const char *const steps[] = { "accept", "call", "sign", "close",
		"return", "cancel", "fail", "seen" };
	size_t i;

	if (argc < 2)
		return cmd_usage(&cmd_consult);
	if (strcmp(argv[1], "request") == 0)
		return consult_request(ctx, argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return consult_list(ctx, argc, argv);
	if (strcmp(argv[1], "show") == 0)
		return consult_show(ctx, argc, argv);
	if (strcmp(argv[1], "queue") == 0 && argc == 2)
		return consult_queue(ctx);
	if (strcmp(argv[1], "key") == 0)
		return consult_key(ctx, argc, argv);
	if (strcmp(argv[1], "note") == 0)
		return consult_note(ctx, argc, argv);
	for (i = 0; i < nitems(steps); i++)
		if (strcmp(argv[1], steps[i]) == 0)
			return consult_step(ctx, argc, argv);
	return cmd_usage(&cmd_consult);
}

const struct kiosk_cmd cmd_consult = { "consult",
	"consult request VISIT|--patient ID --reason TEXT [--mode video|"
	"voice|store-forward] [--news2 N] [--danger]\n"
	"consult list [queue|mine|open|new|all] | show ID | queue\n"
	"consult key [--regno R]\n"
	"consult accept|call|sign|close|seen ID\n"
	"consult note ID [--subjective T] [--objective T] [--assessment T]"
	" [--plan T] [--advice T]\n"
	"consult return ID [--to USER] [--why T] | cancel|fail ID --why T",
	cmd_consult_run };
