/*
 * Contec CMS50D+ and CMS50E with the older firmware, on the same CP2102
 * cable (10c4:ea60) as the V7 models but speaking the legacy 5-byte
 * stream at 19200 8O1: live SpO2, pulse rate, finger-out.  Tried only
 * after the V7 driver found no V7 protocol on the cable (dev_open_usb
 * falls back to the next driver claiming the same ID on EPROTO).  Stored
 * records (f5 f5 ... f6 f6 f6) are not downloaded.
 *
 * CP210x set-up as in drv_contec_cms50_v7.c (AN571) but 19200 baud
 * (SET_BAUDRATE data 00 4b 00 00) and SET_LINE_CTL 0x0810 (8 data bits,
 * odd parity, 1 stop).  Flow control stays off: the stream can contain
 * 0x11/0x13.  "Any single byte sent to the device appears to turn USB
 * streaming on" (tranzoa.net); we send 0xf6, the end-of-download byte,
 * which is harmless in live mode [assumption].
 *
 * Packets of 5 bytes, about 60 a second; bit 7 is set only in byte 1, so
 * the receiver resynchronises on it (a group whose bit-7 pattern is not
 * 1,0,0,0,0 is a bad frame):
 *   1: b7 sync, b6 pulse beep, b5 SpO2 dropping, b4 finger out,
 *      b3..0 signal strength
 *   2: pleth 0..127
 *   3: b6 pulse-rate bit 7, b5 searching, b4 probe error, b3..0 bar graph
 *   4: pulse-rate bits 6..0
 *   5: SpO2 %
 *
 * Sources: atbrask/CMS50Dplus cms50dplus.py and unittests.py (BSD-2), the
 * tranzoa.net blog post ("19.2 8O1"), the picbasic.co.uk byte table;
 * research/devices.md §1.3.  No real capture of this protocol was found:
 * the test vectors are derived from atbrask's layout.
 */
#define LOG_MODULE "cms50old"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "log.h"
#include "xmalloc.h"

#define LG_READ_SIZE 64
#define LG_TIMEOUT_MS 1000
#define LG_QUIET_READS 3
#define LG_REPEAT_EVERY 60
#define LG_STREAM_MAX 256
#define LG_MAX_READS 64 /* reads without a whole packet */

struct legacy {
	uint8_t stream[LG_STREAM_MAX];
	size_t len;
	int finger_out, junk;
	int last_spo2, last_pr;
	unsigned since_emit;
	uint8_t pend[2][5]; /* the packets that identified the stream */
	int npend, next_pend;
};

static const struct dev_id lg_ids[] = {
	{ 0x10c4, 0xea60 },
	{ 0, 0 },
};

/* Next 5-byte packet into PKT: 1 found, 0 need more bytes. */
static int
lg_next(struct dev *d, struct legacy *l, uint8_t pkt[5])
{
	size_t i;

	for (;;) {
		for (i = 0; i < l->len && !(l->stream[i] & 0x80); i++)
			;
		if (i > 0) { /* bytes before a sync byte */
			if (!l->junk)
				dev_bad_frame(d, "bytes outside a packet");
			l->junk = 1;
			memmove(l->stream, l->stream + i, l->len - i);
			l->len -= i;
		}
		if (l->len < 5)
			return 0;
		for (i = 1; i < 5 && !(l->stream[i] & 0x80); i++)
			;
		if (i < 5) { /* another sync byte inside: cut short */
			dev_bad_frame(
			    d, "packet cut short at %zu of 5 bytes", i);
			memmove(l->stream, l->stream + i, l->len - i);
			l->len -= i;
			continue;
		}
		l->junk = 0;
		memcpy(pkt, l->stream, 5);
		memmove(l->stream, l->stream + 5, l->len - 5);
		l->len -= 5;
		return 1;
	}
}

static int
lg_packet(struct dev *d, struct legacy *l, uint8_t pkt[5])
{
	int err, reads = 0;

	while (!lg_next(d, l, pkt)) {
		if (++reads > LG_MAX_READS)
			return EPROTO; /* bytes, but never a packet */
		if (l->len == sizeof(l->stream))
			l->len = 0;
		if ((err = dev_fill(d, l->stream, &l->len, sizeof(l->stream),
		         LG_READ_SIZE, LG_TIMEOUT_MS, LG_QUIET_READS)) != 0)
			return err;
	}
	return 0;
}

static int
lg_open(struct dev *d, char **cause)
{
	static const uint8_t baud[4] = { 0x00, 0x4b, 0x00, 0x00 }; /* 19200 */
	static const uint8_t start = 0xf6;
	struct legacy *l;
	int err, i;

	l = xcalloc(1, sizeof(*l));
	l->last_spo2 = l->last_pr = -1;
	d->priv = l;
	if ((err = dev_control_out(
	         d, 0x41, 0x00, 0x0001, 0, NULL, 0, LG_TIMEOUT_MS)) != 0 ||
	    (err = dev_control_out(d, 0x41, 0x1e, 0, 0, baud, sizeof(baud),
	         LG_TIMEOUT_MS)) != 0 ||
	    (err = dev_control_out(
	         d, 0x41, 0x03, 0x0810, 0, NULL, 0, LG_TIMEOUT_MS)) != 0) {
		dev_cause(cause,
		    "cannot configure the CP210x serial bridge (%s)",
		    strerror(err));
		goto fail;
	}
	if ((err = dev_write(d, &start, 1, LG_TIMEOUT_MS)) != 0) {
		dev_cause(
		    cause, "cannot write to the oximeter (%s)", strerror(err));
		goto fail;
	}
	/* Identified by two well-formed packets in a row. */
	for (i = 0; i < 2; i++, l->npend++)
		if ((err = lg_packet(d, l, l->pend[i])) != 0 || d->nbad > 4) {
			if (err != 0 && err != ETIMEDOUT) {
				dev_cause(cause, "oximeter read failed (%s)",
				    strerror(err));
				goto fail;
			}
			err = EPROTO;
			dev_cause(cause,
			    "no CMS50 stream (V7 or legacy) on the "
			    "CP210x cable: is the oximeter on?");
			goto fail;
		}
	snprintf(d->firmware, sizeof(d->firmware), "CMS50 legacy protocol");
	log_info("%s: CMS50 legacy opened", d->id);
	return 0;
fail:
	free(l);
	d->priv = NULL;
	return err;
}

static int
lg_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct legacy *l = d->priv;
	uint8_t pkt[5];
	int err, pr, spo2;

	(void)cause;
	for (;;) {
		if (l->next_pend < l->npend)
			memcpy(pkt, l->pend[l->next_pend++], 5);
		else if ((err = lg_packet(d, l, pkt)) != 0)
			return err;
		l->since_emit++;
		if (pkt[0] & 0x10) {
			if (l->finger_out)
				continue;
			l->finger_out = 1;
			l->last_spo2 = l->last_pr = -1;
			r->flags |= DEV_FLAG_FINGER_OUT;
			dev_reading_hash(r, pkt, 5);
			return 0;
		}
		l->finger_out = 0;
		pr = ((pkt[2] & 0x40) << 1) | (pkt[3] & 0x7f);
		spo2 = pkt[4] & 0x7f;
		if ((pkt[2] & 0x30) || pr == 0 || spo2 == 0 || spo2 == 0x7f)
			continue; /* searching, probe error */
		if (spo2 == l->last_spo2 && pr == l->last_pr &&
		    l->since_emit < LG_REPEAT_EVERY)
			continue;
		l->last_spo2 = spo2;
		l->last_pr = pr;
		l->since_emit = 0;
		dev_reading_add(r, DEV_Q_SPO2, spo2);
		dev_reading_add(r, DEV_Q_PULSE, pr);
		dev_reading_hash(r, pkt, 5);
		return 0;
	}
}

static void
lg_close(struct dev *d)
{
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_contec_cms50_legacy = {
	.name = "contec_cms50_legacy",
	.full_name = "Contec CMS50D+/E pulse oximeter, older firmware "
	             "(CP210x cable, 5-byte protocol)",
	.ids = lg_ids,
	.live = 1,
	.open = lg_open,
	.read = lg_read,
	.close = lg_close,
};
