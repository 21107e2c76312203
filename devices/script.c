/*
 * The scripted transport: a device made of text, for unit tests and for
 * replaying a capture (`kiosk device decode`).  Strict scripts check every
 * host transfer byte for byte and serve one IN step per read; capture
 * scripts ignore what the host sends and serve the capture in chunks.
 * Fault injection: script_fail_at() makes the Nth transfer fail, so tests
 * can walk a failure through every step of a driver (STYLE.md, tests).
 */
#define LOG_MODULE "script"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "driver.h"
#include "encode.h"
#include "xmalloc.h"

enum step_kind { STEP_OUT, STEP_IN, STEP_CTRL, STEP_FAIL };

struct step {
	enum step_kind kind;
	uint8_t *data;
	size_t len;
	uint8_t rt, rq;
	uint16_t value, index;
	int err;
};

struct script {
	struct step *steps;
	size_t n, pos;
	int capture;
	const uint8_t *cap; /* capture mode */
	size_t caplen, capoff, chunk;
	int end_err;
	unsigned transfers, fail_at;
	int fail_err;
	char error[256];
};

static int
errno_by_name(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} names[] = {
		{ "ETIMEDOUT", ETIMEDOUT },
		{ "ENODEV", ENODEV },
		{ "EIO", EIO },
		{ "EPIPE", EPIPE },
		{ "EOVERFLOW", EOVERFLOW },
	};
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].err;
	return EIO;
}

/* The hex digits of P (anything else skipped), then "*N" zero-padding. */
static uint8_t *
hex_bytes(const char *p, size_t *len)
{
	char *digits;
	uint8_t *b;
	size_t n = 0, want = 0;

	digits = xmalloc(strlen(p) + 1);
	for (; *p != '\0'; p++) {
		if (*p == '*') { /* "*N": zero-pad to N bytes */
			want = strtoul(p + 1, NULL, 10);
			break;
		}
		if (isxdigit((unsigned char)*p))
			digits[n++] = *p;
	}
	digits[n & ~(size_t)1] = '\0';
	b = xcalloc(n / 2 + want + 1, 1);
	if (hex_decode(digits, b, n / 2 + 1, len) != 0)
		abort(); /* a broken test script */
	if (want > *len)
		*len = want;
	free(digits);
	return b;
}

struct script *
script_new(const char *text)
{
	struct script *s;
	struct step *st;
	char *copy, *line, *next, *p;
	unsigned rt, rq, value, index;
	int off;

	s = xcalloc(1, sizeof(*s));
	s->end_err = ETIMEDOUT;
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		s->steps = xreallocarray(s->steps, s->n + 1, sizeof(*s->steps));
		st = &s->steps[s->n++];
		memset(st, 0, sizeof(*st));
		p = line + 1;
		switch (*line) {
		case '>':
			st->kind = STEP_OUT;
			st->data = hex_bytes(p, &st->len);
			break;
		case '<':
			st->kind = STEP_IN;
			st->data = hex_bytes(p, &st->len);
			break;
		case 'c':
			st->kind = STEP_CTRL;
			off = 0;
			if (sscanf(p, "%x %x %x %x%n", &rt, &rq, &value, &index,
			        &off) != 4)
				abort(); /* a broken test script */
			st->rt = rt;
			st->rq = rq;
			st->value = value;
			st->index = index;
			st->data = hex_bytes(p + off, &st->len);
			break;
		case '!':
			st->kind = STEP_FAIL;
			while (isspace((unsigned char)*p))
				p++;
			st->err = errno_by_name(p);
			break;
		default:
			abort(); /* a broken test script */
		}
	}
	free(copy);
	return s;
}

struct script *
script_new_capture(const uint8_t *capture, size_t len, size_t chunk)
{
	struct script *s;

	s = xcalloc(1, sizeof(*s));
	s->capture = 1;
	s->cap = capture;
	s->caplen = len;
	s->chunk = chunk;
	s->end_err = ENODATA;
	return s;
}

void
script_set_end(struct script *s, int end_err)
{
	s->end_err = end_err;
}

void
script_fail_at(struct script *s, unsigned n, int err)
{
	s->fail_at = n;
	s->fail_err = err;
}

const char *
script_error(const struct script *s)
{
	return s->error[0] != '\0' ? s->error : NULL;
}

size_t
script_left(const struct script *s)
{
	return s->n - s->pos;
}

unsigned
script_transfers(const struct script *s)
{
	return s->transfers;
}

void
script_free(struct script *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->steps[i].data);
	free(s->steps);
	free(s);
}

static void
mismatch(struct script *s, const char *what)
{
	if (s->error[0] == '\0')
		snprintf(s->error, sizeof(s->error),
		    "transfer %u: %s (script step %zu)", s->transfers, what,
		    s->pos + 1);
}

/* Common start of every transfer: counting, injected faults. */
static int
begin(struct script *s)
{
	s->transfers++;
	if (s->fail_at != 0 && s->transfers == s->fail_at)
		return s->fail_err;
	if (!s->capture && s->pos < s->n && s->steps[s->pos].kind == STEP_FAIL)
		return s->steps[s->pos++].err;
	return 0;
}

static int
s_write(void *ctx, const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct script *s = ctx;
	struct step *st;
	int err;

	(void)timeout_ms;
	if ((err = begin(s)) != 0)
		return err;
	if (s->capture)
		return 0;
	if (s->pos >= s->n) {
		mismatch(s, "unexpected write after the end");
		return EIO;
	}
	st = &s->steps[s->pos];
	if (st->kind != STEP_OUT) {
		mismatch(s, "unexpected write");
		return EIO;
	}
	if (st->len != len || memcmp(st->data, data, len) != 0) {
		mismatch(s, "written bytes differ");
		return EIO;
	}
	s->pos++;
	return 0;
}

static int
s_control(void *ctx, uint8_t rt, uint8_t rq, uint16_t value, uint16_t index,
    const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct script *s = ctx;
	struct step *st;
	int err;

	(void)timeout_ms;
	if ((err = begin(s)) != 0)
		return err;
	if (s->capture)
		return 0;
	if (s->pos >= s->n || (st = &s->steps[s->pos])->kind != STEP_CTRL) {
		mismatch(s, "unexpected control transfer");
		return EIO;
	}
	if (st->rt != rt || st->rq != rq || st->value != value ||
	    st->index != index || st->len != len ||
	    (len > 0 && memcmp(st->data, data, len) != 0)) {
		mismatch(s, "control transfer differs");
		return EIO;
	}
	s->pos++;
	return 0;
}

static int
s_read(void *ctx, uint8_t *buf, size_t cap, size_t *got, unsigned timeout_ms)
{
	struct script *s = ctx;
	struct step *st;
	size_t n;
	int err;

	(void)timeout_ms;
	*got = 0;
	if ((err = begin(s)) != 0)
		return err;
	if (s->capture) {
		if (s->capoff >= s->caplen)
			return s->end_err;
		n = s->caplen - s->capoff;
		if (s->chunk != 0 && n > s->chunk)
			n = s->chunk;
		if (n > cap)
			n = cap;
		memcpy(buf, s->cap + s->capoff, n);
		s->capoff += n;
		*got = n;
		return 0;
	}
	if (s->pos >= s->n)
		return s->end_err;
	st = &s->steps[s->pos];
	if (st->kind != STEP_IN) {
		/* The device has nothing to say until the host writes. */
		return ETIMEDOUT;
	}
	if (st->len > cap) {
		mismatch(s, "IN step larger than the read buffer");
		return EOVERFLOW;
	}
	memcpy(buf, st->data, st->len);
	*got = st->len;
	s->pos++;
	return 0;
}

static void
s_close(void *ctx)
{
	(void)ctx; /* the script's owner frees it */
}

const struct dev_transport script_transport = {
	.control_out = s_control,
	.write = s_write,
	.read = s_read,
	.close = s_close,
};
