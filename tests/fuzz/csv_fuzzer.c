/*
 * Fuzz the CSV reader (common/csv.c) with arbitrary bytes: it must end,
 * keep its bounds (at most CSV_MAX_FIELDS fields of at most CSV_MAX_FIELD
 * bytes), give a cause exactly when a record is malformed, count lines
 * forward only, and read back what it accepted: every good record, written
 * again with every field quoted, must parse to the same fields.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Write C's record as CSV with every field quoted, one LF at the end. */
static void
requote(const struct csv *c, struct buf *out)
{
	const char *p;
	int i;

	for (i = 0; i < c->nfields; i++) {
		if (i > 0)
			buf_append_byte(out, ',');
		buf_append_byte(out, '"');
		for (p = c->fields[i]; *p != '\0'; p++) {
			if (*p == '"')
				buf_append_byte(out, '"');
			buf_append_byte(out, (uint8_t)*p);
		}
		buf_append_byte(out, '"');
	}
	buf_append_byte(out, '\n');
}

static void
roundtrip(const struct csv *c)
{
	struct buf out;
	struct csv back;
	unsigned long line;
	char *cause = NULL;
	FILE *f;
	int i;

	/* quoting at most doubles a field, plus quotes and commas */
	buf_init(&out, (size_t)CSV_MAX_FIELDS * (2 * CSV_MAX_FIELD + 3) + 1);
	requote(c, &out);
	if ((f = fmemopen(out.data, out.len, "r")) == NULL)
		abort();
	csv_init(&back, f);
	/*
	 * A quoted field may hold up to twice CSV_MAX_FIELD bytes on the wire,
	 * but once read it is the same length: it must come back whole.
	 */
	if (csv_next(&back, &line, &cause) != 0 || back.nfields != c->nfields ||
	    line != 1)
		abort();
	for (i = 0; i < c->nfields; i++)
		if (strcmp(back.fields[i], c->fields[i]) != 0)
			abort();
	if (csv_next(&back, &line, &cause) != ENOENT)
		abort();
	csv_free(&back);
	fclose(f);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct csv c;
	unsigned long line, last = 0;
	char *cause = NULL;
	FILE *f;
	size_t calls = 0;
	int i, err;

	if (len == 0 || len > 64 * 1024)
		return 0;
	if ((f = fmemopen((void *)data, len, "r")) == NULL)
		return 0;
	csv_init(&c, f);
	while ((err = csv_next(&c, &line, &cause)) != ENOENT) {
		/* every call but the last consumes at least one byte */
		if (++calls > len + 1)
			abort();
		if (line < last || line < 1)
			abort();
		last = line;
		if (err == EBADMSG) {
			if (cause == NULL || c.nfields != 0)
				abort();
			free(cause);
			cause = NULL;
			continue;
		}
		if (err != 0 || cause != NULL || c.nfields < 1 ||
		    c.nfields > CSV_MAX_FIELDS)
			abort();
		for (i = 0; i < c.nfields; i++)
			if (strlen(c.fields[i]) > CSV_MAX_FIELD)
				abort();
		roundtrip(&c);
	}
	if (cause != NULL)
		abort();
	csv_free(&c);
	fclose(f);
	return 0;
}
