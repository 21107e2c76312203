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
static inline int
devtest_run(const struct driver *drv, const char *text, struct collect *c,
    int *last_err)
{
	struct dev_reading r;
	struct script *s;
	struct dev *d;
	char *cause = NULL;
	int err, i;

	memset(c, 0, sizeof(*c));
	s = script_new(text);
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
	dev_close(d);
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
		err = dev_decode(drv, cap, len, collect_cb, collect_bad, c,
		    &cause);
	if (err != 0)
		fprintf(stderr, "  decode: %s\n", cause ? cause : "?");
	free(cap);
	free(cause);
	return err;
}

#endif
