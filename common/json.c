/*
 * JSON string escaping (see json.h), for the few places that print JSON
 * (device readings, server admin output).  It does not validate UTF-8:
 * the strings come from our own records and drivers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

int
json_str(struct buf *b, const char *s)
{
	int err;

	if ((err = buf_append_byte(b, '"')) != 0)
		return err;
	for (; *s != '\0' && err == 0; s++) {
		if (*s == '"' || *s == '\\')
			err = buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			err = buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			err = buf_append_byte(b, (uint8_t)*s);
	}
	if (err == 0)
		err = buf_append_byte(b, '"');
	return err;
}

/* Longer strings are refused (EMSGSIZE, nothing written): ours are names. */
#define JSON_FPUTS_MAX (1024 * 1024)

int
json_fputs(FILE *f, const char *s)
{
	struct buf b;
	char *out;
	int err;

	buf_init(&b, JSON_FPUTS_MAX);
	err = json_str(&b, s);
	out = buf_take_str(&b);
	if (err == 0 && fputs(out, f) == EOF)
		err = errno != 0 ? errno : EIO;
	free(out);
	return err;
}
