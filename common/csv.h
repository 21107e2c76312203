/*
 * An RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF line
 * ends, line breaks inside quotes.  Bounded: a record is at most 64 fields
 * of at most 4096 bytes each.  It reports the line each record starts on.
 */
#ifndef KIOSK_CSV_H
#define KIOSK_CSV_H

#include <stdio.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD 4096

struct csv {
	FILE *f;
	unsigned long line; /* line the next record starts on */
	char *fields[CSV_MAX_FIELDS];
	int nfields;
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
