/*
 * kiosk patient import|find|add: bring a clinic's existing register in,
 * look people up, register one from a script.  Import reads RFC 4180 CSV
 * whose header names the columns in any order (given, family, sex,
 * birth_date, phone, village, national_id); bad rows are reported by line
 * and skipped, and each good row is imported once however often the file
 * is imported (the row's normalised content is its import key).
 */
#define LOG_MODULE "patient"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "buf.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "crypto.h"
#include "csv.h"
#include "encode.h"
#include "kiosk/kctx.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "patient.h"
#include "str.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_patient;

enum {
	COL_GIVEN,
	COL_FAMILY,
	COL_SEX,
	COL_BIRTH,
	COL_PHONE,
	COL_VILLAGE,
	COL_NATID,
	NCOLS
};
static const char *const col_names[NCOLS] = { "given", "family", "sex",
	"birth_date", "phone", "village", "national_id" };

/* The import key: SHA-256 over the normalised row, as hex. */
static char *
import_key(char *const v[NCOLS])
{
	struct crypto_sha256 *h = crypto_sha256_new();
	uint8_t d[32];
	size_t i, j;
	char c;

	for (i = 0; i < NCOLS; i++) {
		const char *s = v[i] ? v[i] : "";
		for (j = 0; s[j] != '\0'; j++) {
			c = (char)tolower((unsigned char)s[j]);
			if (i == COL_PHONE && !isdigit((unsigned char)c))
				continue;
			crypto_sha256_update(h, &c, 1);
		}
		crypto_sha256_update(h, "\x1f", 1);
	}
	crypto_sha256_final(h, d);
	return hex_encode(d, sizeof(d));
}

static int
patient_import(struct kctx *ctx, int argc, char **argv)
{
	struct csv c;
	struct store_patient p;
	unsigned long line;
	int map[NCOLS], i, j, err, n, blank;
	unsigned long imported = 0, present = 0, bad = 0;
	char *v[NCOLS], *cause = NULL, *key;
	const char *pos[1], *sex;
	FILE *f;

	if (cmd_opt_parse(argc, argv, 2, NULL, 0, pos, 1, &n) != 0 || n != 1)
		return cmd_usage(&cmd_patient);
	if ((f = fopen(pos[0], "r")) == NULL) {
		fprintf(stderr, "kiosk: cannot open %s: %s\n", pos[0],
		    strerror(errno));
		return 1;
	}
	csv_init(&c, f);
	if ((err = csv_next(&c, &line, &cause)) != 0) {
		fprintf(stderr, "kiosk: %s: no header row%s%s\n", pos[0],
		    cause ? ": " : "", cause ? cause : "");
		free(cause);
		fclose(f);
		return 1;
	}
	for (i = 0; i < NCOLS; i++)
		map[i] = -1;
	for (j = 0; j < c.nfields; j++) {
		str_trim(c.fields[j]);
		for (i = 0; i < NCOLS; i++)
			if (strcasecmp(c.fields[j], col_names[i]) == 0)
				map[i] = j;
		for (i = 0;
		     i < NCOLS && strcasecmp(c.fields[j], col_names[i]) != 0;
		     i++)
			;
		if (i == NCOLS)
			fprintf(stderr, "%s: column \"%s\" is not used\n",
			    pos[0], c.fields[j]);
	}
	if (map[COL_GIVEN] < 0 || map[COL_FAMILY] < 0) {
		fprintf(stderr,
		    "kiosk: %s: the header must name at least the "
		    "given and family columns (found: none of them)\n",
		    pos[0]);
		csv_free(&c);
		fclose(f);
		return 1;
	}
	if (kctx_open(ctx) != 0) {
		csv_free(&c);
		fclose(f);
		return 1;
	}
	for (;;) {
		err = csv_next(&c, &line, &cause);
		if (err == ENOENT)
			break;
		if (err != 0) {
			fprintf(stderr, "%s: line %lu: %s; row skipped\n",
			    pos[0], line, cause);
			free(cause);
			bad++;
			continue;
		}
		blank = 1;
		for (j = 0; j < c.nfields; j++)
			if (str_trim(c.fields[j])[0] != '\0')
				blank = 0;
		if (blank)
			continue;
		for (i = 0; i < NCOLS; i++) {
			v[i] = map[i] >= 0 && map[i] < c.nfields &&
			        c.fields[map[i]][0] != '\0'
			    ? c.fields[map[i]]
			    : NULL;
		}
		memset(&p, 0, sizeof(p));
		sex = NULL;
		if (v[COL_SEX] != NULL &&
		    (sex = patient_sex_parse(v[COL_SEX])) == NULL) {
			fprintf(stderr,
			    "%s: line %lu: sex must be F, M, other "
			    "or unknown; row skipped\n",
			    pos[0], line);
			bad++;
			continue;
		}
		p.given = v[COL_GIVEN];
		p.family = v[COL_FAMILY];
		p.sex = (char *)sex;
		p.birth_date = v[COL_BIRTH];
		p.phone = v[COL_PHONE];
		p.village = v[COL_VILLAGE];
		p.national_id = v[COL_NATID];
		key = import_key(v);
		err = store_patient_add(ctx->store, &p, key, &cause);
		free(key);
		if (err == 0)
			imported++;
		else if (err == EEXIST)
			present++;
		else if (err == EINVAL) {
			fprintf(stderr, "%s: line %lu: %s; row skipped\n",
			    pos[0], line, cause ? cause : "invalid row");
			bad++;
		} else {
			fprintf(stderr,
			    "kiosk: import stopped at line %lu: "
			    "%s\n",
			    line, kctx_explain(err));
			free(cause);
			break;
		}
		free(cause);
		cause = NULL;
	}
	csv_free(&c);
	fclose(f);
	printf("Imported %lu new patients; %lu were already here; %lu rows "
	       "skipped%s\n",
	    imported, present, bad,
	    bad ? " (fix them and import the file again: nothing is "
	          "imported twice)"
	        : "");
	return err != 0 && err != ENOENT ? 1 : bad > 0 ? 1 : 0;
}

static void
print_patient_row(const struct store_patient *p)
{
	printf("%-36s  %-28.28s %-7s %-10s %-12.12s %s\n", p->id,
	    p->family ? p->family : "", p->sex ? p->sex : "-",
	    p->birth_date ? p->birth_date : "-", p->village ? p->village : "-",
	    p->phone ? p->phone : "-");
}

static int
patient_find(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--max", 1, NULL } };
	struct store_patient *p = NULL;
	struct buf q;
	long long max;
	size_t i, n;
	const char *pos[8];
	char *text, name[128];
	int np, err, j;

	if (cmd_opt_parse(argc, argv, 2, opts, 1, pos, 8, &np) != 0 || np == 0)
		return cmd_usage(&cmd_patient);
	if (cmd_opt_int(&opts[0], 1, 1000, 20, &max) != 0)
		return 2;
	buf_init(&q, 256);
	for (j = 0; j < np; j++)
		if ((j > 0 && buf_append_byte(&q, ' ') != 0) ||
		    buf_append(&q, pos[j], strlen(pos[j])) != 0) {
			fprintf(stderr, "kiosk: search text is too long\n");
			buf_free(&q);
			return 2;
		}
	text = buf_take_str(&q);
	if (kctx_open(ctx) != 0) {
		free(text);
		return 1;
	}
	err = store_patient_find(ctx->store, text, (size_t)max, &p, &n);
	free(text);
	if (err != 0) {
		fprintf(
		    stderr, "kiosk: search failed: %s\n", kctx_explain(err));
		return 1;
	}
	if (n == 0) {
		printf("No patient matches. Check the spelling, or search by "
		       "phone, village or birth year.\n");
		store_patient_free_array(p, n);
		return 1;
	}
	printf("%-36s  %-28s %-7s %-10s %-12s %s\n", "ID", "NAME", "SEX",
	    "BORN", "VILLAGE", "PHONE");
	for (i = 0; i < n; i++) {
		struct store_patient row = p[i];
		snprintf(name, sizeof(name), "%s, %s", p[i].family, p[i].given);
		row.family = name;
		print_patient_row(&row);
	}
	store_patient_free_array(p, n);
	return 0;
}

static int
patient_add(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--given", 1, NULL },
		{ "--family", 1, NULL }, { "--sex", 1, NULL },
		{ "--birth-date", 1, NULL }, { "--phone", 1, NULL },
		{ "--village", 1, NULL }, { "--national-id", 1, NULL } };
	struct store_patient p = { 0 };
	char *cause = NULL;
	int err;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0, NULL) !=
	    0)
		return cmd_usage(&cmd_patient);
	p.given = (char *)opts[0].value;
	p.family = (char *)opts[1].value;
	if (opts[2].value != NULL &&
	    (p.sex = (char *)patient_sex_parse(opts[2].value)) == NULL) {
		fprintf(stderr, "kiosk: sex must be F, M, other or unknown\n");
		return 2;
	}
	p.birth_date = (char *)opts[3].value;
	p.phone = (char *)opts[4].value;
	p.village = (char *)opts[5].value;
	p.national_id = (char *)opts[6].value;
	if (kctx_open(ctx) != 0)
		return 1;
	if ((err = store_patient_add(ctx->store, &p, NULL, &cause)) != 0) {
		fprintf(stderr, "kiosk: patient not registered: %s\n",
		    cause ? cause : kctx_explain(err));
		free(cause);
		return 1;
	}
	printf("%s\n", p.id);
	return 0;
}

/* kiosk patient merge SURVIVOR DUPLICATE: staff say two records are one
 * person (the duplicates screen does the same). */
static int
patient_merge(struct kctx *ctx, int argc, char **argv)
{
	int err;

	if (argc != 4)
		return cmd_usage(&cmd_patient);
	if (kctx_open(ctx) != 0)
		return 1;
	err = store_patient_merge(ctx->store, argv[2], argv[3], "staff");
	if (err == EEXIST) {
		printf("They are one record already.\n");
		return 0;
	}
	if (err != 0) {
		fprintf(stderr, "kiosk: not merged: %s\n",
		    err == ENOENT ? "no such patient here (check both ids with "
		                    "`kiosk patient find`)"
		                  : kctx_explain(err));
		return 1;
	}
	printf("merged %s into %s\n", argv[3], argv[2]);
	return 0;
}

static int
patient_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return patient_import(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "find") == 0)
		return patient_find(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return patient_add(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return patient_merge(ctx, argc, argv);
	return cmd_usage(&cmd_patient);
}

const struct kiosk_cmd cmd_patient = {
	.name = "patient",
	.usage = "  patient import FILE.csv   a clinic register: header row "
	         "with given, family, sex,\n"
	         "      birth_date, phone, village, national_id in any order\n"
	         "  patient find TEXT [--max N]   by name (typos allowed), id, "
	         "phone, village, birth year\n"
	         "  patient add --given G --family F [--sex S] [--birth-date D]"
	         " [--phone P]\n"
	         "      [--village V] [--national-id N]   prints the new id\n"
	         "  patient merge SURVIVOR DUPLICATE   two records of one "
	         "person become one\n"
	         "      (synced as a merge record; the duplicate leaves "
	         "search)\n",
	.run = patient_run,
};
