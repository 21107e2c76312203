/*
 * Option parsing for the kiosk commands (see cmd_opt.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd_opt.h"
#include "kiosk/store/keyring.h"
#include "str.h"

int
cmd_opt_parse(int argc, char **argv, int first, struct cmd_opt *opts, int nopts,
    const char **pos, int npos, int *npos_out)
{
	int i, j, n = 0;

	for (i = first; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			if (n >= npos) {
				fprintf(stderr,
				    "kiosk: unexpected argument "
				    "\"%s\"\n",
				    argv[i]);
				return 2;
			}
			pos[n++] = argv[i];
			continue;
		}
		for (j = 0; j < nopts; j++)
			if (strcmp(argv[i], opts[j].name) == 0)
				break;
		if (j == nopts) {
			fprintf(stderr, "kiosk: unknown option %s\n", argv[i]);
			return 2;
		}
		if (opts[j].takes_value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kiosk: %s needs a value\n",
				    argv[i]);
				return 2;
			}
			opts[j].value = argv[++i];
		} else
			opts[j].value = "1";
	}
	if (npos_out != NULL)
		*npos_out = n;
	return 0;
}

int
cmd_opt_int(const struct cmd_opt *o, long long min, long long max,
    long long def, long long *out)
{
	if (o->value == NULL) {
		*out = def;
		return 0;
	}
	if (str_to_ll(o->value, min, max, out) != 0) {
		fprintf(stderr, "kiosk: %s takes a number from %lld to %lld\n",
		    o->name, min, max);
		return 2;
	}
	return 0;
}

int
cmd_opt_kdf(const struct cmd_opt *ms, const struct cmd_opt *mem,
    struct keyring_kdf *cost, const struct keyring_kdf **costp)
{
	long long v;

	*costp = NULL;
	if (ms->value != NULL && mem->value != NULL) {
		fprintf(stderr, "kiosk: give %s or %s, not both\n", ms->name,
		    mem->name);
		return 2;
	}
	if (ms->value != NULL) {
		if (cmd_opt_int(ms, 1, 60000, 0, &v) != 0)
			return 2;
		keyring_kdf_calibrate((unsigned)v, cost);
		*costp = cost;
	} else if (mem->value != NULL) {
		if (cmd_opt_int(mem, 64, 1024 * 1024, 0, &v) != 0)
			return 2;
		keyring_kdf_default(cost);
		cost->m_cost = (uint32_t)v;
		*costp = cost;
	}
	return 0;
}
