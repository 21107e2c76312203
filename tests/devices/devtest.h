/*
 * Helpers shared by the driver tests: run a driver against a scripted
 * device (driver.h, script_new) and collect what it produced.
 */
#ifndef DEVTEST_H
#define DEVTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/driver.h"

struct collect {
	struct dev_reading r[16];
	size_t n;
	unsigned bad, rejected;
	char serial[64], firmware[64];
	unsigned transfers; /* before close */
};

static inline void
collect_cb(void *arg, const struct dev_reading *r)
{
	struct collect *c = arg;

	if (c->n < sizeof(c->r) / sizeof(c->r[0]))
		c->r[c->n++] = *r;
}

static inline void
collect_bad(void *arg, const char *why)
{
	struct collect *c = arg;

	(void)why;
	c->bad++;
}

/*
 * Open DRV on the script TEXT and read until an error other than EINVAL
 * (a rejected reading, counted); *LAST_ERR is that error, or the open
 * error.  Returns EIO when the host's transfers did not follow the script
 * (or left some of it unused), else 0.
 */
static inline int devtest_run_faulty(const struct driver *drv, const char *text,
    struct collect *c, int *last_err, unsigned fail_at);

static inline int
devtest_run(const struct driver *drv, const char *text, struct collect *c,
    int *last_err)
{
	return devtest_run_faulty(drv, text, c, last_err, 0);
}

/* The same, with the FAIL_AT-th transfer failing with EIO (0: none). */
static inline int
devtest_run_faulty(const struct driver *drv, const char *text,
    struct collect *c, int *last_err, unsigned fail_at)
{
	struct dev_reading r;
	struct script *s;
	struct dev *d;
	char *cause = NULL;
	int err, i;

	memset(c, 0, sizeof(*c));
	s = script_new(text);
	if (fail_at != 0)
		script_fail_at(s, fail_at, EIO);
	d = dev_new(drv, &script_transport, s, NULL);
	dev_set_bad_cb(d, collect_bad, c);
	if ((err = dev_start(d, &cause)) != 0) {
		*last_err = err;
		err = 0;
		goto out;
	}
	snprintf(c->serial, sizeof(c->serial), "%s", dev_serial(d));
	snprintf(c->firmware, sizeof(c->firmware), "%s", dev_firmware(d));
	for (i = 0; i < 32; i++) {
		err = dev_read(d, &r, &cause);
		free(cause);
		cause = NULL;
		if (err == EINVAL) {
			c->rejected++;
			continue;
		}
		if (err != 0)
			break;
		collect_cb(c, &r);
	}
	*last_err = err;
	err = 0;
	c->transfers = script_transfers(s);
	dev_close(d);
	if (fail_at != 0)
		goto out; /* the rest of the script is moot */
	if (script_error(s) != NULL) {
		fprintf(stderr, "  script: %s\n", script_error(s));
		err = EIO;
	} else if (script_left(s) != 0) {
		fprintf(stderr, "  script: %zu steps left\n", script_left(s));
		err = EIO;
	}
out:
	script_free(s);
	free(cause);
	return err;
}

/*
 * Fail each transfer of the session TEXT in turn (the session ends with
 * CLEAN_END, ENODATA or ETIMEDOUT, when nothing fails).  Every run must
 * end with another error, never as a complete session, and leak nothing
 * (LeakSanitizer).
 */
static inline int
devtest_fault_loop(const struct driver *drv, const char *text, int clean_end)
{
	struct collect c;
	unsigned n, total;
	int last;

	if (devtest_run(drv, text, &c, &last) != 0 || last != clean_end) {
		fprintf(stderr, "  fault loop: the clean run failed\n");
		return EIO;
	}
	total = c.transfers;
	for (n = 1; n <= total; n++) {
		devtest_run_faulty(drv, text, &c, &last, n);
		if (last == clean_end || last == 0) {
			fprintf(stderr,
			    "  fault loop: transfer %u of %u failed "
			    "unnoticed\n",
			    n, total);
			return EIO;
		}
	}
	return 0;
}

/* Decode the hex capture HEX with DRV into C. */
static inline int
devtest_decode(const struct driver *drv, const char *hex, struct collect *c)
{
	uint8_t *cap = NULL;
	size_t len;
	char *cause = NULL;
	int err;

	memset(c, 0, sizeof(*c));
	if ((err = dev_hex_parse(hex, &cap, &len, &cause)) == 0)
		err = dev_decode(
		    drv, cap, len, collect_cb, collect_bad, c, &cause);
	if (err != 0)
		fprintf(stderr, "  decode: %s\n", cause ? cause : "?");
	free(cap);
	free(cause);
	return err;
}

#endif
