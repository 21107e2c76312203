/*
 * The virtual device: plays scripted measurements from a text file, for
 * demos, training and the UI tests.  dev_open_virtual() opens the file
 * named by $OUTPOST_VIRTUAL_DEVICE and feeds it through the same transport
 * seam as a USB device, so `kiosk device decode --driver virtual FILE`
 * reads the same format.
 *
 * Format, one measurement per line ('#' starts a comment):
 *   spo2 97 pulse 72                 quantity names of device.h, values
 *   sys 120 dia 80 pulse 70 time 2024-05-17T09:30:00
 *   glucose-mmol 5.4 flags stored
 *   finger-out                       a status report, no values
 *   wait 500                         pause 500 ms (not when decoding)
 * A line that does not parse is a bad frame: counted, reported, skipped.
 */
#define LOG_MODULE "virtual"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

#define VD_LINE_MAX 512
#define VD_READ 256

struct vdev {
	char line[VD_LINE_MAX + VD_READ];
	size_t len;
	unsigned lineno;
	int eof;
};

/* Next line into OUT (NUL-terminated); ENODATA at the end. */
static int
vd_line(struct dev *d, struct vdev *v, char *out, size_t cap)
{
	char *nl;
	size_t got, n;
	int err;

	for (;;) {
		if ((nl = memchr(v->line, '\n', v->len)) != NULL ||
		    (v->eof && v->len > 0)) {
			n = nl != NULL ? (size_t)(nl - v->line) : v->len;
			if (n >= cap) {
				dev_bad_frame(
				    d, "line %u too long", v->lineno + 1);
				n = cap - 1;
			}
			memcpy(out, v->line, n);
			out[n] = '\0';
			n = nl != NULL ? (size_t)(nl - v->line) + 1 : v->len;
			memmove(v->line, v->line + n, v->len - n);
			v->len -= n;
			v->lineno++;
			return 0;
		}
		if (v->eof)
			return ENODATA;
		if (v->len >= VD_LINE_MAX) { /* no newline in sight */
			v->len = 0;
			dev_bad_frame(d, "line %u too long", v->lineno + 1);
		}
		err = dev_read_in(
		    d, (uint8_t *)v->line + v->len, VD_READ, &got, 1000);
		if (err == ENODATA || (err == 0 && got == 0))
			v->eof = 1;
		else if (err != 0)
			return err;
		v->len += got;
	}
}

static int
vd_parse(struct dev *d, struct vdev *v, char *line, struct dev_reading *r)
{
	char *tok, *val, *save = NULL;
	double x;
	long long ms;
	int q, y, mo, day, h, mi, s;

	if ((tok = strchr(line, '#')) != NULL)
		*tok = '\0';
	for (tok = strtok_r(line, " \t\r", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (strcmp(tok, "finger-out") == 0) {
			r->flags |= DEV_FLAG_FINGER_OUT;
			continue;
		}
		if ((val = strtok_r(NULL, " \t\r", &save)) == NULL)
			goto bad;
		if (strcmp(tok, "wait") == 0) {
			if (str_to_ll(val, 0, 60000, &ms) != 0)
				goto bad;
			if (!d->decoding) {
				struct timespec ts = { ms / 1000,
					(ms % 1000) * 1000000 };

				nanosleep(&ts, NULL);
			}
		} else if (strcmp(tok, "time") == 0) {
			if (sscanf(val, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo,
			        &day, &h, &mi, &s) != 6)
				goto bad;
			dev_reading_time(r, y, mo, day, h, mi, s);
		} else if (strcmp(tok, "flags") == 0) {
			if (strstr(val, "stored") != NULL)
				r->flags |= DEV_FLAG_STORED;
			if (strstr(val, "irregular") != NULL)
				r->flags |= DEV_FLAG_IRREGULAR;
			if (strstr(val, "movement") != NULL)
				r->flags |= DEV_FLAG_MOVEMENT;
		} else if ((q = dev_quantity_by_name(tok)) != 0) {
			if (str_to_double(val, &x) != 0 ||
			    dev_reading_add(r, q, x) != 0)
				goto bad;
		} else
			goto bad;
	}
	return 0;
bad:
	dev_bad_frame(
	    d, "line %u: cannot parse '%s'", v->lineno, tok != NULL ? tok : "");
	return EBADMSG;
}

static int
vd_open(struct dev *d, char **cause)
{
	(void)cause;
	d->priv = xcalloc(1, sizeof(struct vdev));
	snprintf(d->firmware, sizeof(d->firmware), "virtual");
	return 0;
}

static int
vd_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct vdev *v = d->priv;
	char line[VD_LINE_MAX];
	int err;

	(void)cause;
	for (;;) {
		if ((err = vd_line(d, v, line, sizeof(line))) != 0)
			return err;
		memset(r, 0, sizeof(*r));
		if (vd_parse(d, v, line, r) != 0)
			continue;
		if (r->n == 0 && !(r->flags & DEV_FLAG_FINGER_OUT))
			continue; /* blank, comment or wait */
		dev_reading_hash(r, line, strlen(line));
		return 0;
	}
}

static void
vd_close(struct dev *d)
{
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_virtual = {
	.name = "virtual",
	.full_name = "Virtual device: scripted readings from "
	             "$OUTPOST_VIRTUAL_DEVICE",
	.ids = NULL,
	.open = vd_open,
	.read = vd_read,
	.close = vd_close,
};
