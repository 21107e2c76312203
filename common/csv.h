/*
 * An RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF, LF or CR
 * line ends, line breaks inside quotes, a UTF-8 byte-order mark skipped.
 * Lenient where no data is lost: a quote inside an unquoted field is kept
 * as it is, rows may have any number of fields.  Bounded: a record is at
 * most 64 fields of at most 4096 bytes each.  It reports the line each
 * record starts on.  Fields are C strings: a NUL byte ends its field.
 * Reads any stream, pipes too (it never seeks).
 */
#ifndef CSV_H
#define CSV_H

#include <stdio.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD 4096

struct csv {
	FILE *f;
	unsigned long line; /* line the next record starts on */
	char *fields[CSV_MAX_FIELDS];
	int nfields;
	unsigned char back[3]; /* bytes pushed back, last first */
	int nback;
};

void csv_init(struct csv *, FILE *);
/*
 * Read the next record into c->fields (valid until the next call).
 * Returns 0, ENOENT at end of file, or EBADMSG with *CAUSE for a malformed
 * record (unclosed quote, too many or too long fields); after EBADMSG the
 * reader has skipped to the next line and may go on.
 */
int csv_next(struct csv *, unsigned long *line, char **cause);
void csv_free(struct csv *);

#endif
