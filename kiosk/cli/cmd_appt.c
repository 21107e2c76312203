/*
 * kiosk appt: appointments from the command line (issue 15; the screens
 * are still to come).  A booking is a proposal of one of the server's
 * slots (its id and window, as `sync-server admin schedule --list` or
 * POST /v1/slots give them); it goes by sync, and the server books it or
 * refuses it (docs/PROTOCOL.md §11).
 *
 *   appt book PATIENT --slot N --start MS --end MS [--clinician C]
 *             [--replaces ID]
 *   appt cancel ID REASON
 *   appt checkin ID chw|self
 *   appt list [--days N]     from now, local wall time of this kiosk
 *   appt wait add PATIENT --urgency 1|2|3 --service S [--lang L]
 *             [--modality M] [--clinician C]
 *   appt wait remove|accept|decline ID
 *   appt wait status [PATIENT]
 * The waitlist (docs/PROTOCOL.md §11.1): each goes at the next sync,
 * which also brings the server's offers.
 */
#define LOG_MODULE "appt"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"

extern const struct kiosk_cmd cmd_appt;

static int
appt_fail(const char *what, int err)
{
	fprintf(stderr, "kiosk: %s: %s\n", what,
	    err == EINVAL ? "check the patient, slot and window given"
	        : err == ENOENT
	        ? "no such appointment that is still booked or proposed"
	        : kctx_explain(err));
	return 1;
}

static int
appt_book(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--slot", 1, NULL }, { "--start", 1, NULL },
		{ "--end", 1, NULL }, { "--clinician", 1, NULL },
		{ "--replaces", 1, NULL } };
	const char *pos[1];
	long long slot, start, end;
	struct store_appt a;
	char id[UUID_STRLEN + 1];
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1 || cmd_opt_int(&opts[0], 1, INT64_MAX, 0, &slot) != 0 ||
	    cmd_opt_int(&opts[1], 1, INT64_MAX, 0, &start) != 0 ||
	    cmd_opt_int(&opts[2], 1, INT64_MAX, 0, &end) != 0 || slot == 0)
		return cmd_usage(&cmd_appt);
	if (kctx_open(ctx) != 0)
		return 1;
	memset(&a, 0, sizeof(a));
	a.patient_id = pos[0];
	a.slot_id = (uint64_t)slot;
	a.start_ms = (uint64_t)start;
	a.end_ms = (uint64_t)end;
	a.clinician = opts[3].value;
	a.replaces = opts[4].value;
	if ((err = store_appt_propose(ctx->store, &a, id)) != 0)
		return appt_fail("cannot propose the appointment", err);
	printf("%s proposed; the server answers at the next sync\n", id);
	return 0;
}

static int
appt_line(void *arg, const struct store_appt_row *r)
{
	time_t t = (time_t)(r->start_ms / 1000);
	struct tm tm;
	char when[32];

	(void)arg;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	printf("%s %s %s %s %s\n", r->id, when, r->status,
	    r->clinician[0] ? r->clinician : "-", r->patient_id);
	return 0;
}

static int
appt_list(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--days", 1, NULL } };
	long long days;
	uint64_t now = clock_wall_ms();
	int err;

	if (cmd_opt_parse(argc, argv, 2, opts, 1, NULL, 0, NULL) != 0 ||
	    cmd_opt_int(&opts[0], 1, 366, 2, &days) != 0)
		return cmd_usage(&cmd_appt);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_appt_list(ctx->store, now - 3600000ULL,
	         now + (uint64_t)days * 86400000ULL, appt_line, NULL)) != 0)
		return appt_fail("cannot list appointments", err);
	return 0;
}

/* --- the waitlist ------------------------------------------------------ */

static const char *const wait_urgency[] = { "?", "urgent (30 days)",
	"soon (90 days)", "routine (365 days)" };

static int
wait_line(void *arg, const struct store_wait *w)
{
	char when[32] = "-", start[32] = "";
	time_t t;
	struct tm tm;

	(void)arg;
	if (strcmp(w->status, "offered") == 0 && w->offer_expires_ms > 0) {
		t = (time_t)(w->offer_expires_ms / 1000);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		t = (time_t)(w->offer_start_ms / 1000);
		localtime_r(&t, &tm);
		strftime(start, sizeof(start), "%Y-%m-%d %H:%M", &tm);
	}
	printf("%s %s %s %s %s%s%s%s%s\n", w->id, w->patient_id, w->status,
	    w->pending[0] ? w->pending : "-",
	    wait_urgency[w->urgency >= 1 && w->urgency <= 3 ? w->urgency : 0],
	    w->service[0] ? " " : "", w->service, start[0] ? " offer " : "",
	    start);
	if (start[0])
		printf("  slot %" PRIu64 " until %s\n", w->offer_slot, when);
	if (w->note[0])
		printf("  %s\n", w->note);
	return 0;
}

static int
appt_wait(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--urgency", 1, NULL },
		{ "--service", 1, NULL }, { "--lang", 1, NULL },
		{ "--modality", 1, NULL }, { "--clinician", 1, NULL } };
	const char *pos[1];
	struct store_wait w;
	char id[UUID_STRLEN + 1];
	long long urgency;
	int npos, err;

	if (argc >= 3 && strcmp(argv[2], "add") == 0) {
		if (cmd_opt_parse(argc, argv, 3, opts, nitems(opts), pos, 1,
		        &npos) != 0 ||
		    npos != 1 ||
		    cmd_opt_int(&opts[0], 1, 3, 0, &urgency) != 0 ||
		    urgency == 0 || opts[1].value == NULL)
			return cmd_usage(&cmd_appt);
		memset(&w, 0, sizeof(w));
		snprintf(w.patient_id, sizeof(w.patient_id), "%s", pos[0]);
		w.urgency = (int)urgency;
		snprintf(w.service, sizeof(w.service), "%s", opts[1].value);
		snprintf(w.lang, sizeof(w.lang), "%s",
		    opts[2].value ? opts[2].value : "");
		snprintf(w.modality, sizeof(w.modality), "%s",
		    opts[3].value ? opts[3].value : "");
		snprintf(w.clinician, sizeof(w.clinician), "%s",
		    opts[4].value ? opts[4].value : "");
		if (kctx_open(ctx) != 0)
			return 1;
		if ((err = store_wait_add(ctx->store, &w, id)) != 0) {
			fprintf(stderr, "kiosk: cannot list the patient: %s\n",
			    err == EINVAL
			        ? "give a patient id, --urgency 1-3 and a "
			          "--service"
			        : kctx_explain(err));
			return 1;
		}
		printf("%s listed; sent at the next sync\n", id);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[2], "status") == 0 && argc <= 4) {
		if (kctx_open(ctx) != 0)
			return 1;
		if ((err = store_wait_list(ctx->store,
		         argc == 4 ? argv[3] : NULL, wait_line, NULL)) != 0)
			return appt_fail("cannot read the waitlist", err);
		return 0;
	}
	if (argc == 4 &&
	    (strcmp(argv[2], "remove") == 0 || strcmp(argv[2], "accept") == 0 ||
	        strcmp(argv[2], "decline") == 0)) {
		if (kctx_open(ctx) != 0)
			return 1;
		err = store_wait_intent(
		    ctx->store, argv[3], argv[2], clock_wall_ms());
		if (err != 0) {
			fprintf(stderr, "kiosk: cannot %s %s: %s\n", argv[2],
			    argv[3],
			    err == ENOENT ? "no such waitlist entry"
			        : err == EALREADY
			        ? (strcmp(argv[2], "remove") == 0
			                  ? "the entry is booked, removed or "
			                    "expired already"
			                  : "no live offer (sync, then look at "
			                    "its status)")
			        : kctx_explain(err));
			return 1;
		}
		printf("%s: %s at the next sync\n", argv[3], argv[2]);
		return 0;
	}
	return cmd_usage(&cmd_appt);
}

static int
appt_run(struct kctx *ctx, int argc, char **argv)
{
	int err;

	if (argc >= 2 && strcmp(argv[1], "book") == 0)
		return appt_book(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return appt_list(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "wait") == 0)
		return appt_wait(ctx, argc, argv);
	if (argc == 4 && strcmp(argv[1], "cancel") == 0) {
		if (kctx_open(ctx) != 0)
			return 1;
		if ((err = store_appt_cancel(ctx->store, argv[2], argv[3])) !=
		    0)
			return appt_fail("cannot cancel", err);
		printf("%s cancelled\n", argv[2]);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "checkin") == 0) {
		if (kctx_open(ctx) != 0)
			return 1;
		if ((err = store_appt_checkin(
		         ctx->store, argv[2], argv[3], clock_wall_ms())) != 0)
			return appt_fail("cannot check in", err);
		printf("%s checked in\n", argv[2]);
		return 0;
	}
	return cmd_usage(&cmd_appt);
}

const struct kiosk_cmd cmd_appt = {
	.name = "appt",
	.usage =
	    "  appt book PATIENT --slot N --start MS --end MS [--clinician C]"
	    " [--replaces ID]\n"
	    "                             propose a booking of a server "
	    "slot (answered at the next sync)\n"
	    "  appt cancel ID REASON       cancel a proposed or booked "
	    "appointment\n"
	    "  appt checkin ID chw|self    record that the patient came\n"
	    "  appt list [--days N]        this kiosk's appointments from "
	    "now\n"
	    "  appt wait add PATIENT --urgency 1|2|3 --service S [--lang L]"
	    " [--modality M] [--clinician C]\n"
	    "                             put the patient on the waitlist "
	    "(1 urgent, 2 soon, 3 routine)\n"
	    "  appt wait remove|accept|decline ID\n"
	    "                             leave the list, book or decline "
	    "its offer (at the next sync)\n"
	    "  appt wait status [PATIENT]  entries, offers and their "
	    "expiry\n",
	.run = appt_run,
};
