/*
 * JSON output helpers.  Writing only: nothing here parses JSON.
 */
#ifndef JSON_H
#define JSON_H

#include <stdio.h>

#include "buf.h"

/*
 * Append S to B as a quoted JSON string: '"' and '\\' are escaped, control
 * bytes become \u00XX, other bytes (UTF-8 included) pass through.  Returns
 * 0 or EMSGSIZE when B's maximum would be passed (B then holds a prefix).
 */
int json_str(struct buf *b, const char *s);
/*
 * Write S to F as a quoted JSON string (as json_str).  Returns 0, EMSGSIZE
 * (S longer than 1 MiB escaped: nothing written) or the write error.
 */
int json_fputs(FILE *f, const char *s);

#endif
