/*
 * Contec CMS50E/F pulse oximeters of the HID generation (hardware 2.0,
 * firmware 2.0.x; also sold as Pulox PO-400 and Beurer PO 80): 28e9:028a,
 * a generic GigaDevice ID, so the product string "Pulse Oximeter" is
 * checked too.  Live mode only: SpO2, pulse rate, perfusion index,
 * finger-out.  Stored-record download (9c/9d "datums") is not done.
 *
 * Transport: 64-byte reports, no report ID, interrupt OUT 0x01 and IN
 * 0x81.  Only the first bytes of a report are meaningful; the rest is 0.
 * Each command, and each packet the device sends, ends with a checksum
 * byte: the sum of its preceding bytes & 0x7f (the first stop command is
 * the exception, it is two V7 commands without checksum).
 *
 *   host: 7d 81 a7 80 80 80 80 80 80 7d 81 a2 80 80 80 80 80 80   stop
 *   dev:  f0 70
 *   host: 81 01                                  model
 *   dev:  f1 "50E     " 3b                       (reply type = request ^ 0x70)
 *   host: 9b 01 1c                               send measurements
 *   dev:  reports of packets, all starting eb, about 20 reports a second:
 *         eb 00 xx PLETH BAR cs                  amplitude, 6 bytes
 *         eb 01 F PR SPO2 PIlo PIhi cs           measurement, 8 bytes, 1/s
 *            F bit 1: add 0x80 to PR; SPO2 7f: finger out;
 *            PI = (PIlo + (PIhi << 7)) / 100 %, 7f 00: no PI
 *   host: 9a 1a every 5 s (keep-alive); 9b 7f 1a to stop (reply eb 7f 6a)
 *
 * Source: icefest/pulseoxdl README.md, src/exchange.h and its capture
 * data/test/transmission/live (research/devices.md §1.5).  Unknown: the
 * third amplitude byte (04/06/07 in captures) is ignored.
 */
#define LOG_MODULE "cms50hid"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "log.h"
#include "xmalloc.h"

#define HID_REPORT 64
#define HID_TIMEOUT_MS 1000
#define HID_QUIET_READS 3
#define HID_KEEPALIVE_EVERY 100 /* reports, about 5 s */

struct chid {
	uint8_t rep[HID_REPORT];
	size_t len, off; /* current report, parse offset */
	unsigned reports;
	int finger_out;
};

static const struct dev_id chid_ids[] = {
	{ 0x28e9, 0x028a },
	{ 0, 0 },
};

static uint8_t
chid_sum(const uint8_t *b, size_t n)
{
	unsigned s = 0;

	while (n-- > 0)
		s += *b++;
	return (uint8_t)(s & 0x7f);
}

static int
chid_send(struct dev *d, const uint8_t *cmd, size_t n)
{
	uint8_t rep[HID_REPORT] = { 0 };

	memcpy(rep, cmd, n);
	return dev_write(d, rep, sizeof(rep), HID_TIMEOUT_MS);
}

static int
chid_report(struct dev *d, struct chid *c)
{
	int err, quiet = 0;

	for (;;) {
		memset(c->rep, 0, sizeof(c->rep));
		err = dev_read_in(
		    d, c->rep, sizeof(c->rep), &c->len, HID_TIMEOUT_MS);
		if (err == ETIMEDOUT && ++quiet < HID_QUIET_READS)
			continue;
		if (err != 0)
			return err;
		c->off = 0;
		c->reports++;
		return 0;
	}
}

/* Read reports until one starts with TYPE; its checksum is checked. */
static int
chid_reply(struct dev *d, struct chid *c, uint8_t type, size_t len)
{
	int i, err;

	for (i = 0; i < 20; i++) {
		if ((err = chid_report(d, c)) != 0)
			return err;
		if (c->rep[0] != type)
			continue;
		if (len > 2 && chid_sum(c->rep, len - 1) != c->rep[len - 1]) {
			dev_bad_frame(d, "reply %02x: checksum", type);
			continue;
		}
		return 0;
	}
	return EPROTO;
}

static int
chid_open(struct dev *d, char **cause)
{
	static const uint8_t stop[18] = { 0x7d, 0x81, 0xa7, 0x80, 0x80, 0x80,
		0x80, 0x80, 0x80, 0x7d, 0x81, 0xa2, 0x80, 0x80, 0x80, 0x80,
		0x80, 0x80 };
	static const uint8_t model[2] = { 0x81, 0x01 };
	static const uint8_t start[3] = { 0x9b, 0x01, 0x1c };
	struct chid *c;
	char name[9];
	size_t i;
	int err;

	c = xcalloc(1, sizeof(*c));
	d->priv = c;
	if ((err = chid_send(d, stop, sizeof(stop))) != 0)
		goto fail;
	if ((err = chid_reply(d, c, 0xf0, 2)) != 0)
		goto fail;
	if ((err = chid_send(d, model, sizeof(model))) != 0)
		goto fail;
	if ((err = chid_reply(d, c, 0xf1, 10)) != 0)
		goto fail;
	for (i = 0; i < 8; i++)
		name[i] = c->rep[1 + i] >= 0x20 && c->rep[1 + i] < 0x7f
		    ? (char)c->rep[1 + i]
		    : ' ';
	name[8] = '\0';
	while (i > 0 && name[i - 1] == ' ')
		name[--i] = '\0';
	snprintf(d->firmware, sizeof(d->firmware), "CMS%s", name);
	if ((err = chid_send(d, start, sizeof(start))) != 0)
		goto fail;
	c->len = c->off = 0;
	log_info("%s: CMS50 HID opened", d->id);
	return 0;
fail:
	if (err == EPROTO)
		dev_cause(cause,
		    "no reply to the model command: not a Contec "
		    "CMS50 HID oximeter, or it is off");
	else
		dev_cause(
		    cause, "oximeter handshake failed (%s)", strerror(err));
	free(c);
	d->priv = NULL;
	return err;
}

/*
 * Next measurement packet of the current report into *PKT (8 bytes);
 * other packets are checked and skipped.  0 when the report is used up.
 */
static int
chid_next_measurement(struct dev *d, struct chid *c, const uint8_t **pkt)
{
	size_t n;

	while (c->off < c->len) {
		const uint8_t *p = c->rep + c->off;
		size_t left = c->len - c->off;

		if (p[0] == 0x00) { /* zero padding: the report is done */
			c->off = c->len;
			break;
		}
		if (p[0] != 0xeb || left < 2) {
			dev_bad_frame(d, "byte %02x outside a packet", p[0]);
			for (c->off++;
			     c->off < c->len && c->rep[c->off] != 0xeb;
			     c->off++)
				;
			continue;
		}
		n = p[1] == 0x00 ? 6 : p[1] == 0x01 ? 8 : p[1] == 0x7f ? 3 : 0;
		if (n == 0 || n > left || chid_sum(p, n - 1) != p[n - 1]) {
			dev_bad_frame(d,
			    n == 0         ? "unknown packet type %02x"
			        : n > left ? "packet type %02x cut short"
			                   : "packet type %02x: checksum",
			    p[1]);
			for (c->off++;
			     c->off < c->len && c->rep[c->off] != 0xeb;
			     c->off++)
				;
			continue;
		}
		c->off += n;
		if (p[1] == 0x01) {
			*pkt = p;
			return 1;
		}
	}
	return 0;
}

static int
chid_read(struct dev *d, struct dev_reading *r, char **cause)
{
	static const uint8_t ping[2] = { 0x9a, 0x1a };
	struct chid *c = d->priv;
	const uint8_t *p;
	int err, pr, spo2;

	(void)cause;
	for (;;) {
		if (!chid_next_measurement(d, c, &p)) {
			if ((err = chid_report(d, c)) != 0)
				return err;
			if (c->reports % HID_KEEPALIVE_EVERY == 0 &&
			    (err = chid_send(d, ping, sizeof(ping))) != 0)
				return err;
			continue;
		}
		if (p[4] == 0x7f) {
			if (c->finger_out)
				continue;
			c->finger_out = 1;
			r->flags |= DEV_FLAG_FINGER_OUT;
			dev_reading_hash(r, p, 8);
			return 0;
		}
		c->finger_out = 0;
		pr = p[3] | ((p[2] & 0x02) ? 0x80 : 0);
		spo2 = p[4];
		if (pr == 0 || spo2 == 0)
			continue; /* searching */
		dev_reading_add(r, DEV_Q_SPO2, spo2);
		dev_reading_add(r, DEV_Q_PULSE, pr);
		if (!(p[5] == 0x7f && p[6] == 0x00))
			dev_reading_add(
			    r, DEV_Q_PI, (p[5] + (p[6] << 7)) / 100.0);
		dev_reading_hash(r, p, 8);
		return 0;
	}
}

static void
chid_close(struct dev *d)
{
	static const uint8_t stop[3] = { 0x9b, 0x7f, 0x1a };

	if (d->priv == NULL)
		return;
	(void)chid_send(d, stop, sizeof(stop));
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_contec_cms50_hid = {
	.name = "contec_cms50_hid",
	.full_name = "Contec CMS50E/F pulse oximeter (USB HID)",
	.ids = chid_ids,
	.live = 1,
	.product = "Pulse Oximeter",
	.in_size = HID_REPORT,
	.open = chid_open,
	.read = chid_read,
	.close = chid_close,
};
