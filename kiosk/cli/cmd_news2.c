/*
 * `kiosk news2`: score one set of vital signs with NEWS2 and print the
 * result as JSON on stdout (clinical/triage.h does the scoring).  Needs no
 * node and no passphrase: it reads nothing and stores nothing, so form
 * authors and tests can use it anywhere.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "cmd.h"
#include "str.h"
#include "clinical/triage.h"

extern const struct kiosk_cmd cmd_news2;

static void
print_param(const char *name, const char *value, int points, int last)
{
	printf("    \"%s\": {\"value\": %s, \"points\": %d}%s\n", name, value,
	    points, last ? "" : ",");
}

static void
print_json(const struct news2_input *in, const struct news2_result *r)
{
	char v[32];

	printf("{\n");
	printf("  \"applicable\": %s,\n", r->applicable ? "true" : "false");
	if (!r->applicable) {
		printf("  \"reason\": \"%s\",\n", r->not_applicable);
		printf("  \"risk\": \"%s\",\n", news2_risk_name(r->risk));
		printf("  \"response\": \"%s\"\n",
		    news2_risk_response(r->risk, 0));
		printf("}\n");
		return;
	}
	printf("  \"score\": %d,\n", r->score);
	printf("  \"scale\": %d,\n", in->scale2 ? 2 : 1);
	printf("  \"parameters\": {\n");
	snprintf(v, sizeof(v), "%d", in->rr);
	print_param("rr", v, r->points[NEWS2_RR], 0);
	snprintf(v, sizeof(v), "%d", in->spo2);
	print_param("spo2", v, r->points[NEWS2_SPO2], 0);
	print_param("oxygen", in->oxygen ? "true" : "false",
	    r->points[NEWS2_AIR_O2], 0);
	snprintf(v, sizeof(v), "%d", in->sbp);
	print_param("sbp", v, r->points[NEWS2_SBP], 0);
	snprintf(v, sizeof(v), "%d", in->pulse);
	print_param("pulse", v, r->points[NEWS2_PULSE], 0);
	snprintf(v, sizeof(v), "\"%s\"", triage_acvpu_name(in->acvpu));
	print_param("acvpu", v, r->points[NEWS2_ACVPU], 0);
	snprintf(v, sizeof(v), "%.1f", in->temp);
	print_param("temp", v, r->points[NEWS2_TEMP], 1);
	printf("  },\n");
	printf(
	    "  \"single_parameter_3\": %s,\n", r->single3 ? "true" : "false");
	printf("  \"red_flag\": %s,\n", r->red_flag ? "true" : "false");
	printf("  \"risk\": \"%s\",\n", news2_risk_name(r->risk));
	printf("  \"monitoring\": \"%s\",\n",
	    news2_risk_monitoring(r->risk, r->score));
	printf(
	    "  \"response\": \"%s\"\n", news2_risk_response(r->risk, r->score));
	printf("}\n");
}

static int
int_arg(const char *opt, const char *s, int *out)
{
	long long v;

	if (s == NULL || str_to_ll(s, -100000, 100000, &v) != 0) {
		fprintf(stderr, "kiosk news2: %s needs a whole number\n", opt);
		return EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* The whole-number options: which parameter, and where it goes. */
static const struct int_opt {
	const char *name;
	enum news2_param param;
	size_t off;
} int_opts[] = {
	{ "--rr", NEWS2_RR, offsetof(struct news2_input, rr) },
	{ "--spo2", NEWS2_SPO2, offsetof(struct news2_input, spo2) },
	{ "--sbp", NEWS2_SBP, offsetof(struct news2_input, sbp) },
	{ "--pulse", NEWS2_PULSE, offsetof(struct news2_input, pulse) },
};

static const struct int_opt *
int_option(const char *opt)
{
	size_t i;

	for (i = 0; i < nitems(int_opts); i++)
		if (strcmp(opt, int_opts[i].name) == 0)
			return &int_opts[i];
	return NULL;
}

static int
news2_run(struct kctx *ctx, int argc, char **argv)
{
	struct news2_input in;
	struct news2_result r;
	const struct int_opt *num;
	const char *cause = NULL, *opt;
	int i, scale = 1, pregnant = 0;

	(void)ctx;
	memset(&in, 0, sizeof(in));
	in.age = -1;
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--oxygen") == 0) {
			in.oxygen = 1;
			in.have |= 1u << NEWS2_AIR_O2;
			continue;
		}
		if (strcmp(opt, "--air") == 0) {
			in.oxygen = 0;
			in.have |= 1u << NEWS2_AIR_O2;
			continue;
		}
		if (strcmp(opt, "--pregnant") == 0) {
			pregnant = 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr,
			    "kiosk news2: unknown option or "
			    "missing value: %s\n",
			    opt);
			return cmd_usage(&cmd_news2);
		}
		i++;
		if ((num = int_option(opt)) != NULL) {
			if (int_arg(opt, argv[i],
			        (int *)((char *)&in + num->off)) != 0)
				return cmd_usage(&cmd_news2);
			in.have |= 1u << num->param;
		} else if (strcmp(opt, "--scale") == 0) {
			if (int_arg(opt, argv[i], &scale) != 0 ||
			    (scale != 1 && scale != 2)) {
				fprintf(stderr,
				    "kiosk news2: --scale is 1 or "
				    "2\n");
				return cmd_usage(&cmd_news2);
			}
		} else if (strcmp(opt, "--acvpu") == 0) {
			in.acvpu = triage_acvpu_parse(argv[i]);
			if (in.acvpu < 0) {
				fprintf(stderr,
				    "kiosk news2: --acvpu is one "
				    "of A, C, V, P, U\n");
				return cmd_usage(&cmd_news2);
			}
			in.have |= 1u << NEWS2_ACVPU;
		} else if (strcmp(opt, "--temp") == 0) {
			if (str_to_double(argv[i], &in.temp) != 0) {
				fprintf(stderr,
				    "kiosk news2: --temp needs a "
				    "number such as 36.8\n");
				return cmd_usage(&cmd_news2);
			}
			in.have |= 1u << NEWS2_TEMP;
		} else if (strcmp(opt, "--age") == 0) {
			if (int_arg(opt, argv[i], &in.age) != 0 || in.age < 0 ||
			    in.age > 130) {
				fprintf(stderr,
				    "kiosk news2: --age is 0-130 "
				    "years\n");
				return cmd_usage(&cmd_news2);
			}
		} else {
			fprintf(
			    stderr, "kiosk news2: unknown option %s\n", opt);
			return cmd_usage(&cmd_news2);
		}
	}
	/* Air is the default on the chart's "air or oxygen" row. */
	in.have |= 1u << NEWS2_AIR_O2;
	in.scale2 = scale == 2;
	in.pregnant = pregnant;
	if ((in.have & NEWS2_HAVE_ALL) != NEWS2_HAVE_ALL) {
		fprintf(stderr,
		    "kiosk news2: give every parameter: --rr "
		    "--spo2 --sbp --pulse --acvpu --temp\n");
		return cmd_usage(&cmd_news2);
	}
	if (news2_score(&in, &r, &cause) != 0) {
		fprintf(stderr, "kiosk news2: %s\n", cause);
		return 1;
	}
	print_json(&in, &r);
	return 0;
}

const struct kiosk_cmd cmd_news2 = {
	"news2",
	"  news2 --rr N --spo2 N [--scale 2] [--oxygen] --sbp N "
	"--pulse N\n"
	"        --acvpu A|C|V|P|U --temp X.Y [--age N] [--pregnant]\n"
	"      Score vital signs with NEWS2 (RCP 2017) and print JSON: the\n"
	"      score, each parameter's points, the risk band and response.\n"
	"      --scale 2 only when a clinician has recorded SpO2 scale 2.\n",
	news2_run,
};
