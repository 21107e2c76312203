/*
 * RFC 4180 CSV reader (see csv.h).  A UTF-8 byte-order mark at the start
 * of the file (spreadsheets write one) is skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "xmalloc.h"

/* The next byte: pushed-back ones first (csv_ungetc), then the stream. */
static int
csv_getc(struct csv *c)
{
	if (c->nback > 0)
		return c->back[--c->nback];
	return getc(c->f);
}

static void
csv_ungetc(struct csv *c, int ch)
{
	if (ch != EOF && c->nback < (int)sizeof(c->back))
		c->back[c->nback++] = (unsigned char)ch;
}

void
csv_init(struct csv *c, FILE *f)
{
	static const int bom[3] = { 0xef, 0xbb, 0xbf };
	int b[3], i, n;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->line = 1;
	/* Give back what is not a whole BOM: a pipe cannot be rewound. */
	for (n = 0; n < 3; n++)
		if ((b[n] = getc(f)) != bom[n])
			break;
	if (n == 3)
		return;
	if (b[n] != EOF)
		n++;
	for (i = n - 1; i >= 0; i--)
		csv_ungetc(c, b[i]);
}

static void
csv_clear(struct csv *c)
{
	int i;

	for (i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	c->nfields = 0;
}

void
csv_free(struct csv *c)
{
	csv_clear(c);
}

/* Skip the rest of a bad physical line. */
static void
csv_skip_line(struct csv *c)
{
	int ch;

	while ((ch = csv_getc(c)) != EOF && ch != '\n')
		;
	c->line++;
}

int
csv_next(struct csv *c, unsigned long *line, char **cause)
{
	struct buf field;
	int ch, quoted = 0, in_quotes = 0, after_quote = 0, any = 0;

	csv_clear(c);
	*cause = NULL;
	*line = c->line;
	buf_init(&field, CSV_MAX_FIELD);
	for (;;) {
		ch = csv_getc(c);
		if (ch == EOF && !any && c->nfields == 0) {
			buf_free(&field);
			return ENOENT;
		}
		any = 1;
		if (in_quotes) {
			if (ch == EOF) {
				xasprintf(cause,
				    "a quoted field is never "
				    "closed");
				goto bad_eof;
			}
			if (ch == '"') {
				int next = csv_getc(c);
				if (next == '"') {
					ch = '"';
				} else {
					if (next != EOF)
						csv_ungetc(c, next);
					in_quotes = 0;
					after_quote = 1;
					continue;
				}
			} else if (ch == '\n')
				c->line++;
			if (buf_append_byte(&field, (uint8_t)ch) != 0) {
				xasprintf(cause,
				    "a field is longer than %d "
				    "bytes",
				    CSV_MAX_FIELD);
				goto bad;
			}
			continue;
		}
		if (ch == '"' && field.len == 0 && !quoted) {
			in_quotes = quoted = 1;
			continue;
		}
		if (ch == ',' || ch == '\n' || ch == EOF || ch == '\r') {
			if (ch == '\r') {
				int next = csv_getc(c);
				if (next != '\n' && next != EOF)
					csv_ungetc(c, next);
				ch = '\n';
			}
			if (c->nfields == CSV_MAX_FIELDS) {
				xasprintf(cause, "more than %d fields",
				    CSV_MAX_FIELDS);
				goto bad;
			}
			c->fields[c->nfields++] = buf_take_str(&field);
			buf_init(&field, CSV_MAX_FIELD);
			quoted = after_quote = 0;
			if (ch == ',')
				continue;
			if (ch == '\n')
				c->line++;
			buf_free(&field);
			return 0;
		}
		if (after_quote) {
			xasprintf(cause, "text after a closing quote");
			goto bad;
		}
		if (buf_append_byte(&field, (uint8_t)ch) != 0) {
			xasprintf(cause, "a field is longer than %d bytes",
			    CSV_MAX_FIELD);
			goto bad;
		}
	}
bad:
	if (ch != '\n')
		csv_skip_line(c);
	else
		c->line++;
bad_eof:
	buf_free(&field);
	csv_clear(c);
	return EBADMSG;
}
