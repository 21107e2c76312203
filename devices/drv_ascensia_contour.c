/*
 * Ascensia (Bayer) Contour USB and Contour Next USB glucometers, 1a79:6002
 * and 1a79:7410: downloads the stored glucose results, in mg/dL or mmol/L
 * as the meter reports them, with the meter's serial number and firmware
 * versions from its header record.
 *
 * Transport: HID, 64-byte reports on interrupt OUT 0x01 / IN 0x81.  OUT
 * reports are 3 filler bytes ("ABC"), a length, then up to 60 payload
 * bytes; IN reports have the payload length at byte 3 and the payload at
 * 4..; a length of exactly 60 means the message goes on in the next one.
 *
 * Link layer, ASTM E1381: ENQ 05, ACK 06, NAK 15, EOT 04.  A frame is
 *   STX FN text (ETB|ETX) C1 C2 CR LF
 * FN is '0'..'7', starting at '1' and counting mod 8; C1 C2 is the sum of
 * the bytes from FN through ETB/ETX, mod 256, in upper-case hex.  The host
 * ACKs a good frame and NAKs a bad one (the meter sends it again); a frame
 * repeating the previous FN (our ACK was lost) is acknowledged and
 * dropped.  A record ends with CR inside the text and may span frames.
 * Session (glucometerutils sync()): host sends EOT; the meter answers,
 * ending with ENQ, which the host ACKs; then one frame per record (H, P,
 * O, R..., L), each ACKed; EOT at the end.
 *
 * Records, ASTM E1394, delimiters taken from the header itself:
 *   H|\^&||pw|product^versions^serial^sku|settings|count||||||spec|clock
 *   R|seq|^^^Glucose|value|unit^method||markers||YYYYMMDDhhmm
 * Only "^^^Glucose" results become readings; P (patient) records are
 * ignored and never logged.
 *
 * Sources: glucometers-tech/glucometerutils support/contourusb.py,
 * drivers/contourusb.py and its tests (MIT); hilljb/glucodump usbcomm.py
 * and tests (GPL-3.0+); research/devices.md §3.1.  Unknown: the meaning of
 * each result marker letter; markers are passed through as text.
 */
#define LOG_MODULE "contour"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "driver.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

#define CT_REPORT 64
#define CT_PAYLOAD 60
#define CT_TIMEOUT_MS 3000
#define CT_MSG_MAX 2048
#define CT_RECORD_MAX 1024
#define CT_QUEUE 8
#define CT_MAX_NAKS 6

#define ENQ 0x05
#define ACK 0x06
#define NAK 0x15
#define EOT 0x04
#define STX 0x02
#define ETB 0x17
#define ETX 0x03

struct contour {
	char delim[4]; /* field, repeat, component, escape */
	int expect_fn; /* '0'..'7' */
	int frames; /* good frames so far */
	int done;
	int header;
	int naks; /* NAKs in a row */
	char rec[CT_RECORD_MAX];
	size_t reclen;
	uint8_t raw[CT_RECORD_MAX];
	size_t rawlen;
	struct dev_reading q[CT_QUEUE];
	size_t qn;
};

static const struct dev_id ct_ids[] = {
	{ 0x1a79, 0x6002 },
	{ 0x1a79, 0x7410 },
	{ 0, 0 },
};

static int
ct_send(struct dev *d, uint8_t byte)
{
	uint8_t rep[CT_REPORT] = { 'A', 'B', 'C', 1 };

	rep[4] = byte;
	return dev_write(d, rep, sizeof(rep), CT_TIMEOUT_MS);
}

/* One meter message: reports joined while their length is 60. */
static int
ct_message(struct dev *d, uint8_t *msg, size_t *len)
{
	uint8_t rep[CT_REPORT];
	size_t got, n;
	int err;

	*len = 0;
	for (;;) {
		memset(rep, 0, sizeof(rep));
		if ((err = dev_read_in(
		         d, rep, sizeof(rep), &got, CT_TIMEOUT_MS)) != 0)
			return err;
		if (got < 4 || rep[3] > CT_PAYLOAD || 4u + rep[3] > got) {
			dev_bad_frame(
			    d, "report with length %u", got < 4 ? 0 : rep[3]);
			return *len > 0 ? 0 : EAGAIN;
		}
		n = rep[3];
		if (*len + n > CT_MSG_MAX) {
			dev_bad_frame(d, "message too long");
			*len = 0;
			return EAGAIN;
		}
		memcpy(msg + *len, rep + 4, n);
		*len += n;
		if (n < CT_PAYLOAD)
			return 0;
	}
}

/* Split S at delimiter C into at most MAX fields (in place). */
static size_t
ct_split(char *s, char c, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = s;
	for (; *s != '\0' && n < max; s++)
		if (*s == c) {
			*s = '\0';
			f[n++] = s + 1;
		}
	return n;
}

static int
ct_digits(const char *s, size_t n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return EINVAL;
		v = v * 10 + (*s++ - '0');
	}
	*out = v;
	return 0;
}

static void
ct_header(struct dev *d, struct contour *c, char *rec)
{
	char *f[16], *comp[8];
	size_t n;

	if (strlen(rec) >= 5) {
		c->delim[0] = rec[1];
		c->delim[1] = rec[2];
		c->delim[2] = rec[3];
		c->delim[3] = rec[4];
	}
	c->header = 1;
	if ((n = ct_split(rec, c->delim[0], f, nitems(f))) < 5)
		return;
	n = ct_split(f[4], c->delim[2], comp, nitems(comp));
	if (n >= 2)
		snprintf(d->firmware, sizeof(d->firmware), "%s %s", comp[0],
		    comp[1]);
	if (n >= 3)
		str_lcpy(d->serial, comp[2], sizeof(d->serial));
}

static void
ct_result(struct dev *d, struct contour *c, char *rec)
{
	struct dev_reading *r;
	char *f[16], *comp[8], *end;
	const char *unit;
	double v;
	int y, mo, day, h, mi;
	size_t n, nc;

	n = ct_split(rec, c->delim[0], f, nitems(f));
	if (n < 5)
		return;
	nc = ct_split(f[2], c->delim[2], comp, nitems(comp));
	if (nc < 4 || strcmp(comp[3], "Glucose") != 0)
		return; /* insulin, carbohydrates... */
	unit = f[4];
	ct_split(f[4], c->delim[2], comp, nitems(comp));
	v = strtod(f[3], &end);
	if (end == f[3] || *end != '\0') {
		dev_bad_frame(d, "result value is not a number");
		return;
	}
	if (strcmp(unit, "mg/dL") != 0 && strcmp(unit, "mmol/L") != 0) {
		dev_bad_frame(d, "result unit not mg/dL or mmol/L");
		return;
	}
	if (c->qn >= CT_QUEUE) {
		dev_bad_frame(d, "too many results in one message");
		return;
	}
	r = &c->q[c->qn++];
	memset(r, 0, sizeof(*r));
	dev_reading_add(r,
	    strcmp(unit, "mg/dL") == 0 ? DEV_Q_GLUCOSE_MGDL
	                               : DEV_Q_GLUCOSE_MMOL,
	    v);
	r->flags = DEV_FLAG_STORED;
	if (n > 6)
		str_lcpy(r->marker, f[6], sizeof(r->marker));
	if (n > 8 && strlen(f[8]) >= 12 && ct_digits(f[8], 4, &y) == 0 &&
	    ct_digits(f[8] + 4, 2, &mo) == 0 &&
	    ct_digits(f[8] + 6, 2, &day) == 0 &&
	    ct_digits(f[8] + 8, 2, &h) == 0 &&
	    ct_digits(f[8] + 10, 2, &mi) == 0)
		dev_reading_time(r, y, mo, day, h, mi, 0);
	dev_reading_hash(r, c->raw, c->rawlen);
}

/* The record buffer ends with CR: handle each record in it. */
static void
ct_records(struct dev *d, struct contour *c)
{
	char *p, *next;

	c->rec[c->reclen] = '\0';
	for (p = c->rec; *p != '\0'; p = next) {
		if ((next = strchr(p, '\r')) == NULL)
			break;
		*next++ = '\0';
		if (p[0] == 'H')
			ct_header(d, c, p);
		else if (p[0] == 'R' && c->header)
			ct_result(d, c, p);
		else if (p[0] == 'L')
			c->done = 1; /* EOT follows */
	}
	c->reclen = 0;
	c->rawlen = 0;
}

/*
 * One frame starting at MSG[0] == STX.  Returns bytes used, and sets *GOOD
 * to 1 (accepted or duplicate) or 0 (bad: NAK it).
 */
static size_t
ct_frame(
    struct dev *d, struct contour *c, const uint8_t *msg, size_t len, int *good)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, end, textlen;
	unsigned sum = 0;
	int fn;

	*good = 0;
	for (end = 1;
	     end < len && msg[end] != ETB && msg[end] != ETX && msg[end] != STX;
	     end++)
		;
	if (end >= len || msg[end] == STX || end + 4 >= len) {
		dev_bad_frame(d, "frame cut short");
		return end < len ? end : len;
	}
	for (i = 1; i <= end; i++)
		sum += msg[i];
	sum &= 0xff;
	if (msg[end + 1] != hex[sum >> 4] || msg[end + 2] != hex[sum & 15] ||
	    msg[end + 3] != '\r' || msg[end + 4] != '\n') {
		dev_bad_frame(d, "frame checksum or trailer");
		return end + 5;
	}
	fn = msg[1];
	if (fn < '0' || fn > '7' || end < 2) {
		dev_bad_frame(d, "frame number");
		return end + 5;
	}
	if (fn != c->expect_fn) {
		if (fn == '0' + (c->expect_fn - '0' + 7) % 8 && c->frames > 0) {
			*good = 1; /* a repeat of the frame we acknowledged */
			return end + 5;
		}
		dev_bad_frame(d, "frame out of sequence");
		return end + 5;
	}
	*good = 1;
	c->frames++;
	c->expect_fn = '0' + (fn - '0' + 1) % 8;
	textlen = end - 2;
	if (c->reclen + textlen >= sizeof(c->rec) ||
	    c->rawlen + end + 5 > sizeof(c->raw)) {
		dev_bad_frame(d, "record too long");
		c->reclen = c->rawlen = 0;
		return end + 5;
	}
	memcpy(c->rec + c->reclen, msg + 2, textlen);
	c->reclen += textlen;
	memcpy(c->raw + c->rawlen, msg, end + 5);
	c->rawlen += end + 5;
	if (c->reclen > 0 && c->rec[c->reclen - 1] == '\r')
		ct_records(d, c);
	return end + 5;
}

/* Read one message, act on it and answer it. */
static int
ct_step(struct dev *d, struct contour *c)
{
	uint8_t msg[CT_MSG_MAX];
	size_t len, i;
	int err, good, nframes = 0, bad = 0, enq = 0, eot = 0;

	err = ct_message(d, msg, &len);
	if (err == EAGAIN)
		len = 0;
	else if (err != 0)
		return err;
	for (i = 0; i < len;) {
		if (msg[i] == STX) {
			i += ct_frame(d, c, msg + i, len - i, &good);
			nframes++;
			bad += !good;
			continue;
		}
		if (msg[i] == ENQ)
			enq = 1;
		else if (msg[i] == EOT && i == len - 1 && c->frames > 0)
			eot = 1;
		i++;
	}
	if (eot && bad == 0) {
		c->done = 2;
		return 0;
	}
	if (bad > 0 || (nframes == 0 && !enq)) {
		if (++c->naks > CT_MAX_NAKS)
			return EPROTO;
		return ct_send(d, NAK);
	}
	c->naks = 0;
	return ct_send(d, ACK);
}

static int
ct_open(struct dev *d, char **cause)
{
	struct contour *c;
	int err, i;

	c = xcalloc(1, sizeof(*c));
	memcpy(c->delim, "|\\^&", 4);
	c->expect_fn = '1';
	d->priv = c;
	if ((err = ct_send(d, EOT)) != 0)
		goto fail;
	for (i = 0; i < 10 && !c->header && c->done != 2; i++)
		if ((err = ct_step(d, c)) != 0)
			goto fail;
	if (!c->header) {
		err = EPROTO;
		goto fail;
	}
	log_info("%s: Contour opened", d->id);
	return 0;
fail:
	dev_cause(cause,
	    "no header record from the meter (%s): is it a "
	    "Contour USB glucometer?",
	    strerror(err));
	free(c);
	d->priv = NULL;
	return err;
}

static int
ct_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct contour *c = d->priv;
	int err;

	(void)cause;
	for (;;) {
		if (c->qn > 0) {
			*r = c->q[0];
			memmove(c->q, c->q + 1, --c->qn * sizeof(c->q[0]));
			return 0;
		}
		if (c->done == 2)
			return ENODATA;
		if ((err = ct_step(d, c)) != 0)
			return err;
	}
}

static void
ct_close(struct dev *d)
{
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_ascensia_contour = {
	.name = "ascensia_contour",
	.full_name = "Ascensia/Bayer Contour USB and Contour Next USB "
	             "glucometer",
	.ids = ct_ids,
	.in_size = CT_REPORT,
	.open = ct_open,
	.read = ct_read,
	.close = ct_close,
};
