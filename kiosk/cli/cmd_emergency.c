/*
 * kiosk emergency: emergency incidents from the command line (issue 16),
 * for scripts, tests and support; the engine is escalate/, the store
 * kiosk/store/emergency.c; the screens are kiosk/tui/screen_emergency.c
 * (the CALL NOW card) and the status strip in kiosk/tui/ui.c.
 *
 *   list                                  open incidents, one per line
 *   roster FILE                           install a signed roster (checked
 *                                         against the server key pinned at
 *                                         enrolment; the last good one is
 *                                         kept when it is refused)
 *   raise [--patient ID] [--age N] [--sex F|M] [--news2 N]
 *         [--vitals TEXT]                 raise an incident now (the key)
 *   ack CODE [--by WHO] [--eta MIN]       the CHW phoned and they are coming
 *   arrived CODE                          help arrived
 *   cancel CODE --why TEXT                cancelled, with the reason
 *   note CODE TEXT                        a note on the incident
 *   phone [E164]                          the callback number the pages
 *                                         give (the CHW's phone): set it,
 *                                         or show it
 *
 * Output names incidents by their code and state, never the patient.
 */
#define LOG_MODULE "cli"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "escalate/roster.h"
#include "kiosk/kctx.h"
#include "kiosk/store/emergency.h"
#include "kiosk/store/store.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_emergency;

/* The server key pinned at enrolment: 0, or ENOENT (said unless
 * QUIET). */
static int
server_key(struct kctx *ctx, uint8_t pub[32], int quiet)
{
	uint8_t *v = NULL;
	size_t len = 0;

	if (store_state_get(ctx->store, SYNC_K_SERVER_PUB, &v, &len) != 0 ||
	    v == NULL || len != 32) {
		free(v);
		if (quiet)
			return ENOENT;
		fprintf(stderr,
		    "kiosk: this kiosk is not enrolled, so it has no server key "
		    "to check a roster against (kiosk enroll first); call the "
		    "emergency number by phone\n");
		return ENOENT;
	}
	memcpy(pub, v, 32);
	free(v);
	return 0;
}

struct find {
	const char *code;
	char id[UUID_STRLEN + 1];
	int n;
};

static int
print_one(void *arg, const struct store_emergency *e)
{
	int *n = arg;

	printf("%s  %-12s  loop %d level %d  %s\n", e->eng.code,
	    esc_state_name(e->eng.state), e->eng.loop, e->eng.level + 1,
	    e->eng.ack_by[0] ? e->eng.ack_by : "-");
	(*n)++;
	return 0;
}

static int
find_one(void *arg, const struct store_emergency *e)
{
	struct find *f = arg;
	char c[ESC_CODE_LEN + 1];

	if (esc_code_norm(f->code, strlen(f->code), c) == 0 &&
	    strcmp(c, e->eng.code) == 0) {
		memcpy(f->id, e->id, sizeof(f->id));
		f->n++;
	}
	return 0;
}

static int
policy_here(
    struct kctx *ctx, struct esc_roster *r, struct esc_policy *p, int quiet)
{
	uint8_t pub[32];
	int stale = 0;

	esc_policy_default(p);
	memset(r, 0, sizeof(*r));
	if (server_key(ctx, pub, quiet) != 0 ||
	    store_emergency_roster_get(
	        ctx->store, pub, (int64_t)time(NULL), r, &stale) != 0)
		return ENOENT;
	if (stale)
		fprintf(stderr,
		    "kiosk: the roster (version %llu) is stale; ask "
		    "the server for a new one\n",
		    (unsigned long long)r->version);
	return esc_roster_policy(r, p);
}

static int
step(struct kctx *ctx, const char *code, enum store_emerg_op op, const char *by,
    uint32_t eta, const char *text)
{
	struct find f = { code, "", 0 };
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct esc_policy p;
	struct esc_now now;
	int err;

	policy_here(ctx, r, &p, 1); /* the defaults do without a roster */
	free(r);
	if ((err = store_emergency_open(ctx->store, find_one, &f)) != 0)
		goto out;
	if (f.n != 1) {
		fprintf(stderr,
		    "kiosk: no open emergency has the code %s "
		    "(kiosk emergency list shows them)\n",
		    code);
		return 1;
	}
	if ((err = esc_now_read(&now)) != 0)
		goto out;
	err =
	    store_emergency_step(ctx->store, f.id, op, &p, &now, by, eta, text);
	if (err == EALREADY) {
		fprintf(stderr,
		    "kiosk: emergency %s: that step does not apply "
		    "any more (already acknowledged or closed)\n",
		    code);
		return 1;
	}
out:
	if (err != 0) {
		fprintf(stderr, "kiosk: emergency %s: %s\n", code,
		    kctx_explain(err));
		return 1;
	}
	printf("Emergency %s: done\n", code);
	return 0;
}

/* Read at most MAX bytes of PATH into *OUT (xmalloc'd): 0, EFBIG, errno. */
static int
read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return errno;
	*out = xmalloc(max + 1);
	n = fread(*out, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(*out);
		*out = NULL;
		return EFBIG;
	}
	*len = n;
	return 0;
}

static int
roster_install(struct kctx *ctx, const char *path)
{
	uint8_t pub[32], *b = NULL;
	size_t len = 0;
	char *cause = NULL;
	int err;

	if (server_key(ctx, pub, 0) != 0)
		return 1;
	if ((err = read_file(path, ESC_ROSTER_MAX + 128, &b, &len)) != 0) {
		fprintf(
		    stderr, "kiosk: cannot read %s: %s\n", path, strerror(err));
		return 1;
	}
	err = store_emergency_roster_put(
	    ctx->store, b, len, pub, (int64_t)time(NULL), &cause);
	free(b);
	if (err != 0) {
		fprintf(stderr,
		    "kiosk: roster refused, the one in use is kept: "
		    "%s\n",
		    cause != NULL ? cause : kctx_explain(err));
		free(cause);
		return 1;
	}
	printf("Roster installed\n");
	return 0;
}

static int
raise_now(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt o[] = { { "--patient", 1, NULL }, { "--age", 1, NULL },
		{ "--sex", 1, NULL }, { "--news2", 1, NULL },
		{ "--vitals", 1, NULL } };
	struct store_emergency_in in = {
		.trigger = ESC_TRIG_MANUAL, .news2 = -1, .age = -1
	};
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct esc_now now;
	struct emerg_ctx c;
	struct store_emergency e;
	char id[UUID_STRLEN + 1];
	long long v;
	int n, err, rc = 1;

	if (cmd_opt_parse(argc, argv, 2, o, 5, NULL, 0, &n) != 0) {
		rc = 2;
		goto out;
	}
	in.patient_id = o[0].value;
	if (o[1].value != NULL) {
		if (cmd_opt_int(&o[1], 0, 130, -1, &v) != 0) {
			rc = 2;
			goto out;
		}
		in.age = (int)v;
	}
	if (o[2].value != NULL)
		in.sex = o[2].value[0] == 'F' || o[2].value[0] == 'f' ? 'F'
		    : o[2].value[0] == 'M' || o[2].value[0] == 'm'    ? 'M'
		                                                      : 0;
	if (o[3].value != NULL) {
		if (cmd_opt_int(&o[3], 0, 20, -1, &v) != 0) {
			rc = 2;
			goto out;
		}
		in.news2 = (int)v;
	}
	in.vitals = o[4].value;
	{
		struct esc_policy p;

		if (policy_here(ctx, r, &p, 0) != 0) {
			fprintf(stderr,
			    "kiosk: no usable emergency roster on this kiosk, "
			    "so nobody can be paged: call the emergency number "
			    "by phone now\n");
			goto out;
		}
	}
	memset(&c, 0, sizeof(c));
	c.s = ctx->store;
	c.roster = r;
	if ((err = esc_now_read(&now)) != 0 ||
	    (err = emerg_raise(&c, &in, &now, id)) != 0 ||
	    (err = store_emergency_get(ctx->store, id, &e)) != 0) {
		fprintf(stderr,
		    "kiosk: the emergency was not recorded: %s; "
		    "call the emergency number by phone now\n",
		    kctx_explain(err));
		goto out;
	}
	printf("Emergency %s raised: call the emergency number now too\n",
	    e.eng.code);
	rc = 0;
out:
	free(r);
	return rc;
}

/* The callback number every page gives (EMERG_K_CALLBACK). */
static int
callback(struct kctx *ctx, const char *num)
{
	uint8_t *v = NULL;
	size_t len = 0, i, n;

	if (num == NULL) {
		if (store_state_get(ctx->store, EMERG_K_CALLBACK, &v, &len) !=
		        0 ||
		    v == NULL || len == 0) {
			free(v);
			printf("No callback number: the pages cannot be "
			       "built (kiosk emergency phone +E164)\n");
			return 0;
		}
		printf("Callback number %.*s\n", (int)len, (const char *)v);
		free(v);
		return 0;
	}
	n = strlen(num);
	for (i = 1; i < n && num[i] >= '0' && num[i] <= '9'; i++)
		;
	if (num[0] != '+' || i != n || n < 8 || n > ESC_NUM_LEN - 1) {
		fprintf(stderr,
		    "kiosk: %s is not an E.164 number (+, the country code "
		    "and the number, digits only: +254712345678)\n",
		    num);
		return 2;
	}
	if (store_state_put(
	        ctx->store, EMERG_K_CALLBACK, (const uint8_t *)num, n) != 0) {
		fprintf(stderr, "kiosk: the callback number was not saved\n");
		return 1;
	}
	printf("Callback number set\n");
	return 0;
}

static int
emergency_run(struct kctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct cmd_opt o[] = { { "--by", 1, NULL }, { "--eta", 1, NULL },
		{ "--why", 1, NULL } };
	const char *pos[2] = { NULL, NULL };
	long long eta = 0;
	int n = 0;

	if (sub == NULL)
		return cmd_usage(&cmd_emergency);
	if (kctx_open(ctx) != 0)
		return 1;
	if (strcmp(sub, "list") == 0) {
		if (store_emergency_open(ctx->store, print_one, &n) != 0)
			return 1;
		if (n == 0)
			printf("No open emergency\n");
		return 0;
	}
	if (strcmp(sub, "raise") == 0)
		return raise_now(ctx, argc, argv);
	if (strcmp(sub, "phone") == 0 && argc <= 3)
		return callback(ctx, argc == 3 ? argv[2] : NULL);
	if (cmd_opt_parse(argc, argv, 2, o, 3, pos, 2, &n) != 0 || n < 1)
		return cmd_usage(&cmd_emergency);
	if (strcmp(sub, "roster") == 0)
		return roster_install(ctx, pos[0]);
	if (strcmp(sub, "ack") == 0) {
		if (cmd_opt_int(&o[1], 0, 600, 0, &eta) != 0)
			return 2;
		return step(ctx, pos[0], STORE_EMERG_ACK,
		    o[0].value != NULL ? o[0].value : "chw-phoned",
		    (uint32_t)eta, NULL);
	}
	if (strcmp(sub, "arrived") == 0)
		return step(ctx, pos[0], STORE_EMERG_ARRIVED, NULL, 0, NULL);
	if (strcmp(sub, "cancel") == 0) {
		if (o[2].value == NULL || o[2].value[0] == '\0') {
			fprintf(stderr,
			    "kiosk: a cancel needs --why (the "
			    "reason everyone paged is told)\n");
			return 2;
		}
		return step(
		    ctx, pos[0], STORE_EMERG_CANCEL, NULL, 0, o[2].value);
	}
	if (strcmp(sub, "note") == 0 && n == 2)
		return step(ctx, pos[0], STORE_EMERG_NOTE, NULL, 0, pos[1]);
	return cmd_usage(&cmd_emergency);
}

const struct kiosk_cmd cmd_emergency = {
	"emergency",
	"emergency list | roster FILE | raise [--patient ID] [--age N] "
	"[--sex F|M]\n"
	"          [--news2 N] [--vitals TEXT] | ack CODE [--by WHO] "
	"[--eta MIN]\n"
	"          | arrived CODE | cancel CODE --why TEXT | note CODE TEXT\n"
	"          | phone [+E164]",
	emergency_run,
};
