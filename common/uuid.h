/*
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, so ids
 * sort roughly by creation time.  Ids made in the same millisecond by one
 * process still increase (the 12-bit rand_a field is used as a counter).
 */
#ifndef UUID_H
#define UUID_H

#include <stdint.h>

#define UUID_LEN 16
#define UUID_STRLEN 36

struct uuid {
	uint8_t b[UUID_LEN];
};

void uuid_v7(struct uuid *);
/* Format as 8-4-4-4-12 lowercase hex into OUT (UUID_STRLEN + 1 bytes). */
void uuid_format(const struct uuid *, char out[UUID_STRLEN + 1]);
/* Parse the 36-character form; returns 0 or EINVAL. */
int uuid_parse(const char *, struct uuid *);
/* Version field (7 for ours). */
int uuid_version(const struct uuid *);

#endif
