/*
 * kiosk rx: prescriptions from the command line (issue 14), for scripts,
 * tests and printing; the screens do the same through kiosk/store/rx.c.
 *
 *   issue CONSULT CODE --dose N --per-day N --days N [--route R]
 *         [--note T] [--override REASON] [--first|--follow-up]
 *                                        check, sign and store an order
 *   cancel|stop ID --why T               a new signed record ending it
 *   list [PATIENT] [--new]               one line per record
 *   show ID                              the record and its signature
 *   print ID [--out FILE] [--lang L]     the sheet, as text
 *   print ID --escpos DEVICE             as an ESC/POS receipt (escpos.h)
 *   export ID --fhir                     FHIR R4 MedicationRequest JSON
 *   allergies PATIENT [--set TEXT]       the documented allergies
 *   formulary                            the node's formulary, one a line
 */
#define LOG_MODULE "rx"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinical/rx.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "compat.h"
#include "i18n.h"
#include "kiosk/cli/escpos.h"
#include "kiosk/cli/rx_fhir.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "kiosk/tui/screen_rx.h"
#include "str.h"

extern const struct kiosk_cmd cmd_rx;

static int
rx_fail(const char *what, int err, char *cause)
{
	fprintf(stderr, "kiosk: %s: %s\n", what,
	    cause != NULL ? cause : kctx_explain(err));
	free(cause);
	return 1;
}

static int
rx_issue(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--dose", 1, NULL },
		{ "--per-day", 1, NULL }, { "--days", 1, NULL },
		{ "--route", 1, NULL }, { "--note", 1, NULL },
		{ "--override", 1, NULL }, { "--first", 0, NULL },
		{ "--follow-up", 0, NULL } };
	struct rx_formulary f;
	struct rx_result res;
	struct store_rx_new n;
	const struct rx_item *it;
	char id[UUID_STRLEN + 1], *cause = NULL;
	const char *pos[2];
	long long per_day, days;
	size_t i;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 2, &npos) !=
	        0 ||
	    npos != 2 || opts[0].value == NULL)
		return cmd_usage(&cmd_rx);
	memset(&n, 0, sizeof(n));
	if (str_to_double(opts[0].value, &n.dose) != 0 || n.dose <= 0) {
		fprintf(stderr, "kiosk: --dose: a number above 0\n");
		return 2;
	}
	if (cmd_opt_int(&opts[1], 1, 24, 1, &per_day) != 0 ||
	    cmd_opt_int(&opts[2], 1, 365, 1, &days) != 0)
		return 2;
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_rx_formulary(ctx->store, &f, &cause)) != 0)
		return rx_fail("no formulary", err, cause);
	n.consult_id = pos[0];
	n.code = pos[1];
	n.per_day = (unsigned)per_day;
	n.days = (unsigned)days;
	it = rx_formulary_find(&f, n.code);
	n.route = opts[3].value != NULL ? opts[3].value
	    : it != NULL                ? it->routes
	                                : "oral";
	n.note = opts[4].value;
	n.override = opts[5].value;
	n.first = opts[6].value != NULL ? 1 : opts[7].value != NULL ? 0 : -1;
	err = store_rx_issue(ctx->store, &f, &n, &res, id, &cause);
	for (i = 0; i < res.n; i++)
		fprintf(stderr, "%s: %s: %s\n",
		    res.f[i].level == RX_HARD ? "blocked" : "warning",
		    rx_check_name(res.f[i].check), res.f[i].text);
	rx_formulary_free(&f);
	if (err != 0)
		return rx_fail(err == EAGAIN ? "needs an override reason "
		                               "(--override)"
		                             : "cannot prescribe",
		    err, cause);
	printf("%s\n", id);
	return 0;
}

static int
rx_end(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--why", 1, NULL } };
	char id[UUID_STRLEN + 1], *cause = NULL;
	const char *pos[1];
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_rx_end(
	         ctx->store, pos[0], argv[1], opts[0].value, id, &cause)) != 0)
		return rx_fail("cannot end the prescription", err, cause);
	printf("%s\n", id);
	return 0;
}

static void
rx_line(const struct store_rx *x)
{
	if (strcmp(x->action, "order") == 0)
		printf("%s order %s %s %g %s x%u %ud %s\n", x->id, x->status,
		    x->code ? x->code : "-", x->dose, x->unit ? x->unit : "",
		    x->per_day, x->days, x->patient_id ? x->patient_id : "-");
	else
		printf("%s %s %s %s\n", x->id, x->action,
		    x->order_id ? x->order_id : "-",
		    x->applied_ms ? "applied" : "pending");
}

static int
rx_list(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--new", 0, NULL } };
	struct store_rx *x = NULL;
	const char *pos[1] = { NULL };
	size_t i, n = 0;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	    0)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_rx_list(ctx->store, npos ? pos[0] : NULL,
	         opts[0].value != NULL, &x, &n)) != 0)
		return rx_fail("cannot list prescriptions", err, NULL);
	for (i = 0; i < n; i++)
		rx_line(&x[i]);
	store_rx_free_array(x, n);
	return 0;
}

/* Record ID into X with its signature checked; prints why not. */
static int
rx_load(struct kctx *ctx, const char *id, struct store_rx *x, int *verified)
{
	const char *why = NULL;
	int err;

	if ((err = store_rx_get(ctx->store, id, x)) != 0) {
		fprintf(stderr, "kiosk: no prescription %s here%s\n", id,
		    err == ENOENT ? " (or the prefix is ambiguous)" : "");
		return err;
	}
	*verified = store_rx_verify(ctx->store, x, &why) == 0;
	if (!*verified)
		fprintf(stderr, "kiosk: prescription %.8s: %s\n", x->id,
		    why ? why : "signature not checked");
	return 0;
}

static int
rx_show(struct kctx *ctx, int argc, char **argv)
{
	struct store_rx x;
	int verified;

	if (argc != 3)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if (rx_load(ctx, argv[2], &x, &verified) != 0)
		return 1;
	rx_line(&x);
	printf("signature: %s\n", verified ? "verified" : "NOT VERIFIED");
	if (x.override != NULL && x.override[0] != '\0')
		printf("override: %s\n", x.override);
	store_rx_seen(ctx->store, x.id);
	store_rx_clear(&x);
	return verified ? 0 : 1;
}

/* The sheet of X as an ESC/POS receipt on DEVICE (a USB printer's
 * /dev/usb/lp0, or a file): 0, or errno said on stderr. */
static int
rx_print_escpos(const struct store_rx *x, int verified, const char *device)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem, *dev;
	int err;

	if ((mem = open_memstream(&text, &len)) == NULL)
		return errno;
	err = rx_sheet_print(mem, x, verified);
	if (fclose(mem) != 0 && err == 0)
		err = errno;
	if (err != 0) {
		free(text);
		return err; /* rx_sheet_print said why */
	}
	if ((dev = fopen(device, "w")) == NULL) {
		err = errno;
		fprintf(stderr,
		    "kiosk: printer %s: %s (is it plugged in, and may this "
		    "user write to it?)\n",
		    device, strerror(err));
		free(text);
		return err;
	}
	err = escpos_receipt(dev, text, len, ESCPOS_COLS);
	if (fclose(dev) != 0 && err == 0)
		err = errno;
	if (err != 0)
		fprintf(
		    stderr, "kiosk: printer %s: %s\n", device, strerror(err));
	free(text);
	return err;
}

static int
rx_print(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--out", 1, NULL }, { "--lang", 1, NULL },
		{ "--escpos", 1, NULL } };
	struct store_rx x;
	const char *pos[1];
	FILE *fp = stdout;
	int npos, verified, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1)
		return cmd_usage(&cmd_rx);
	if (opts[1].value != NULL && i18n_set(opts[1].value) != 0) {
		fprintf(
		    stderr, "kiosk: --lang: no language %s\n", opts[1].value);
		return 2;
	}
	if (kctx_open(ctx) != 0)
		return 1;
	if (rx_load(ctx, pos[0], &x, &verified) != 0)
		return 1;
	if (strcmp(x.action, "order") != 0) {
		fprintf(stderr, "kiosk: %.8s is a %s; print its order %s\n",
		    x.id, x.action, x.order_id ? x.order_id : "");
		store_rx_clear(&x);
		return 1;
	}
	if (opts[2].value != NULL) {
		err = rx_print_escpos(&x, verified, opts[2].value);
		store_rx_clear(&x);
		return err == 0 ? 0 : 1;
	}
	if (opts[0].value != NULL && (fp = fopen(opts[0].value, "w")) == NULL) {
		fprintf(
		    stderr, "kiosk: %s: %s\n", opts[0].value, strerror(errno));
		store_rx_clear(&x);
		return 1;
	}
	err = rx_sheet_print(fp, &x, verified);
	if (fp != stdout && fclose(fp) != 0 && err == 0)
		err = errno;
	store_rx_clear(&x);
	return err == 0 ? 0 : 1;
}

static int
rx_export(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--fhir", 0, NULL } };
	struct store_rx x;
	const char *pos[1];
	json_t *j;
	char *s;
	int npos, verified;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1 || opts[0].value == NULL)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if (rx_load(ctx, pos[0], &x, &verified) != 0)
		return 1;
	j = verified ? rx_fhir_medication_request(&x) : NULL;
	store_rx_clear(&x);
	if (j == NULL) {
		fprintf(stderr, "kiosk: only a verified order is exported\n");
		return 1;
	}
	s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (s == NULL)
		return rx_fail("cannot export", ENOMEM, NULL);
	printf("%s\n", s);
	free(s);
	return 0;
}

static int
rx_allergies(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--set", 1, NULL } };
	const char *pos[1];
	char *text = NULL;
	int npos, err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if (opts[0].value != NULL &&
	    (err = store_patient_set_allergies(
	         ctx->store, pos[0], opts[0].value)) != 0)
		return rx_fail("cannot set the allergies", err, NULL);
	if ((err = store_patient_allergies(ctx->store, pos[0], &text)) != 0)
		return rx_fail("cannot read the allergies", err, NULL);
	printf("%s\n", text ? text : "none documented");
	free(text);
	return 0;
}

static int
rx_formulary_list(struct kctx *ctx, int argc, char **argv)
{
	struct rx_formulary f;
	char *cause = NULL;
	size_t i;
	int err;

	(void)argv;
	if (argc != 2)
		return cmd_usage(&cmd_rx);
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_rx_formulary(ctx->store, &f, &cause)) != 0)
		return rx_fail("no formulary", err, cause);
	for (i = 0; i < f.n; i++)
		printf("%s\t%s\t%s %s\t%s\t%s\n", f.items[i].code,
		    f.items[i].inn, f.items[i].form, f.items[i].strength,
		    f.items[i].routes, rx_class_name(f.items[i].cls));
	rx_formulary_free(&f);
	return 0;
}

static int
rx_run(struct kctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct kctx *, int, char **);
	} sub[] = { { "issue", rx_issue }, { "cancel", rx_end },
		{ "stop", rx_end }, { "list", rx_list }, { "show", rx_show },
		{ "print", rx_print }, { "export", rx_export },
		{ "allergies", rx_allergies },
		{ "formulary", rx_formulary_list } };
	size_t i;

	if (argc < 2)
		return cmd_usage(&cmd_rx);
	for (i = 0; i < nitems(sub); i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(ctx, argc, argv);
	return cmd_usage(&cmd_rx);
}

const struct kiosk_cmd cmd_rx = {
	"rx",
	"  kiosk rx issue CONSULT CODE --dose N [--per-day N] [--days N]\n"
	"           [--route R] [--note T] [--override REASON]"
	" [--first|--follow-up]\n"
	"  kiosk rx cancel|stop ID --why TEXT\n"
	"  kiosk rx list [PATIENT] [--new]\n"
	"  kiosk rx show ID\n"
	"  kiosk rx print ID [--out FILE | --escpos DEVICE] [--lang en|fr|sw]\n"
	"  kiosk rx export ID --fhir\n"
	"  kiosk rx allergies PATIENT [--set TEXT]\n"
	"  kiosk rx formulary\n",
	rx_run,
};
