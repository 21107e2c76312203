/*
 * Bounded byte buffers.  Input from the network or a device goes into a
 * buffer with a hard maximum; appends past it fail with EMSGSIZE instead of
 * growing without bound.  Lengths are checked with __builtin_add_overflow.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max; /* hard limit on len */
};

/* Start an empty buffer that may hold at most MAX bytes. */
void buf_init(struct buf *, size_t max);
/* Free the storage (wiped first: buffers may hold secrets) and reset. */
void buf_free(struct buf *);
void buf_reset(struct buf *);
/* Append; returns 0 or EMSGSIZE when MAX would be passed. */
int buf_append(struct buf *, const void *, size_t);
int buf_append_byte(struct buf *, uint8_t);
int buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* Drop the first N bytes (N <= len). */
void buf_consume(struct buf *, size_t n);
/* Return the contents as a NUL-terminated string, caller frees; resets B. */
char *buf_take_str(struct buf *b);

#endif
