/*
 * Contec CMS50D+ (firmware 4.6), CMS50E/F and CMS50EW pulse oximeters on
 * their USB cable, speaking the vendor's "Communication protocol of pulse
 * oximeter V7.0" (Contec, 2010) at 115200 8N1.  Live mode only: SpO2,
 * pulse rate, perfusion index where the model has it, finger-out.  Stored
 * sessions (commands A3..A6) are not downloaded.
 *
 * Transport.  The oximeter's socket carries TTL serial; the cable holds a
 * Silicon Labs CP2102 (10c4:ea60, the chip's factory default ID, shared by
 * countless other products).  We drive it from libusb alone with the
 * vendor requests of Silicon Labs AN571 on interface 0:
 *   41 00 0001 0000         IFC_ENABLE (must come first)
 *   41 1e 0000 0000 + 00 c2 01 00   SET_BAUDRATE 115200 (uint32 LE)
 *   41 03 0800 0000         SET_LINE_CTL 8 data bits, no parity, 1 stop
 * after which serial bytes are the payload of bulk transfers; endpoints are
 * taken from the descriptors (captures show 0x81/0x01 and 0x82/0x02).
 * Because the ID proves nothing, the device is identified by its reply to
 * the protocol-version command.
 *
 * Packets, both directions: TYPE (bit 7 clear), HI (bit 7 set), then data
 * bytes sent with bit 7 forced to 1; bit n of HI is bit 7 of data byte n.
 * There is no checksum: a packet is bad when a byte with bit 7 clear
 * appears before its length is reached, and we resynchronise on it.
 * Host commands are 9 bytes: 7d 81 CMD 80 80 80 80 80 80.
 *   A7 stop stored stream, A2 stop live stream (reply 0c)
 *   A0 protocol version     reply 06, 4 bytes: d1 = 7 for "V7"
 *   A8 model                two 02 replies, 9 bytes: segment, 6 chars
 *   A1 start live stream    01 packets, 9 bytes, about 60 a second
 *   AF keep-alive           (live output stops after about 30 s without it)
 * Live packet 01, after high-bit restoration: d0 status (bit 7: finger
 * out / probe off; low nibble signal strength), d1 pleth, d2 bar graph,
 * d3 pulse rate (bpm, 8 bits), d4 SpO2 %, d5 d6 perfusion index as two
 * 7-bit halves in 1/100 % (ff ff: the model has no PI).
 *
 * Sources: MarkMLl/Contec_cms50dplus cms50dplus4v6/consoleapp.pas (a USB
 * capture), headrotor/art-sensors spO2/stream_data.py (a serial capture),
 * OSCAR cms50f37_loader.cpp (packet lengths), tobac/cms50ew (command
 * list), AN571 and Linux drivers/usb/serial/cp210x.c (CP210x requests);
 * summarised with examples in research/devices.md §1.2 and §1.4.
 * Unknowns: the meaning of the PI halves' order is our reading of the
 * sources (no capture with PI); status bits other than bit 7 are ignored.
 */
#define LOG_MODULE "cms50v7"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "log.h"
#include "xmalloc.h"

#define V7_READ_SIZE 64
#define V7_TIMEOUT_MS 1000
#define V7_QUIET_READS 3 /* timeouts in a row before "went quiet" */
#define V7_KEEPALIVE_EVERY 250 /* live packets between keep-alives */
#define V7_REPEAT_EVERY 60 /* re-emit an unchanged reading (~1 s) */
#define V7_STREAM_MAX 512
#define V7_MAX_READS 64 /* reads without a whole packet */

struct v7 {
	uint8_t stream[V7_STREAM_MAX];
	size_t len;
	uint8_t pending[16]; /* a live packet seen while identifying */
	size_t pending_len;
	int finger_out;
	int last_spo2, last_pr;
	unsigned since_emit, since_keepalive;
	int junk; /* inside a run of bytes outside any packet */
};

static const struct dev_id v7_ids[] = {
	{ 0x10c4, 0xea60 },
	{ 0, 0 },
};

/* Packet lengths by type (OSCAR's table); 0: unknown, ends at next type. */
static size_t
v7_packet_len(uint8_t type)
{
	switch (type) {
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x04:
	case 0x11:
		return 9;
	case 0x07:
	case 0x08:
	case 0x0f:
	case 0x12:
		return 8;
	case 0x06:
	case 0x0a:
		return 4;
	case 0x0e:
	case 0x10:
		return 3;
	case 0x0c:
		return 2;
	default:
		return 0;
	}
}

static int
v7_command(struct dev *d, uint8_t cmd)
{
	uint8_t b[9] = { 0x7d, 0x81, cmd, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80 };

	return dev_write(d, b, sizeof(b), V7_TIMEOUT_MS);
}

/*
 * Take the next complete packet out of the stream buffer into PKT.
 * Returns 1 with *LEN set, or 0 when more bytes are needed.
 */
static int
v7_next_packet(struct dev *d, struct v7 *v, uint8_t *pkt, size_t *len)
{
	size_t i, want, skip;

	for (;;) {
		for (skip = 0; skip < v->len && (v->stream[skip] & 0x80);
		     skip++)
			;
		if (skip > 0) {
			if (!v->junk)
				dev_bad_frame(d, "bytes outside a packet");
			v->junk = 1;
			memmove(v->stream, v->stream + skip, v->len - skip);
			v->len -= skip;
		}
		if (v->len == 0)
			return 0;
		want = v7_packet_len(v->stream[0]);
		for (i = 1; i < v->len && (v->stream[i] & 0x80) &&
		     (want == 0 || i < want);
		     i++)
			;
		if (i == v->len && (want == 0 || i < want)) {
			if (v->len == sizeof(v->stream)) /* never ends */
				v->len = 0;
			return 0; /* need more bytes */
		}
		if (want != 0 && i < want) {
			dev_bad_frame(d,
			    "packet type %02x cut short at %zu of "
			    "%zu bytes",
			    v->stream[0], i, want);
			memmove(v->stream, v->stream + i, v->len - i);
			v->len -= i;
			continue;
		}
		v->junk = 0;
		if (want != 0) { /* known types are at most 9 bytes */
			memcpy(pkt, v->stream, i);
			*len = i;
		}
		memmove(v->stream, v->stream + i, v->len - i);
		v->len -= i;
		if (want == 0)
			continue; /* unknown type: skipped */
		return 1;
	}
}

/* Restore the high bits: data byte N is PKT[2 + N]. */
static uint8_t
v7_data(const uint8_t *pkt, size_t n)
{
	return (uint8_t)((pkt[2 + n] & 0x7f) | (((pkt[1] >> n) & 1) << 7));
}

/* Read until a packet is available; ETIMEDOUT after repeated silence. */
static int
v7_packet(struct dev *d, struct v7 *v, uint8_t *pkt, size_t *len)
{
	int err, reads = 0;

	while (!v7_next_packet(d, v, pkt, len)) {
		/* Bytes keep coming but no packet: not this protocol (a
		 * legacy CMS50 at the wrong baud rate looks like this). */
		if (++reads > V7_MAX_READS)
			return EPROTO;
		if ((err = dev_fill(d, v->stream, &v->len, sizeof(v->stream),
		         V7_READ_SIZE, V7_TIMEOUT_MS, V7_QUIET_READS)) != 0)
			return err;
	}
	return 0;
}

static int
v7_open(struct dev *d, char **cause)
{
	static const uint8_t baud[4] = { 0x00, 0xc2, 0x01, 0x00 }; /* 115200 */
	uint8_t pkt[16];
	char model[16] = "";
	struct v7 *v;
	size_t len, n;
	int err, i, segs = 0, version = -1;

	v = xcalloc(1, sizeof(*v));
	v->last_spo2 = v->last_pr = -1;
	d->priv = v;
	if ((err = dev_control_out(
	         d, 0x41, 0x00, 0x0001, 0, NULL, 0, V7_TIMEOUT_MS)) != 0 ||
	    (err = dev_control_out(d, 0x41, 0x1e, 0, 0, baud, sizeof(baud),
	         V7_TIMEOUT_MS)) != 0 ||
	    (err = dev_control_out(
	         d, 0x41, 0x03, 0x0800, 0, NULL, 0, V7_TIMEOUT_MS)) != 0) {
		dev_cause(cause,
		    "cannot configure the CP210x serial bridge "
		    "(%s)",
		    strerror(err));
		goto out;
	}
	if ((err = v7_command(d, 0xa7)) != 0 ||
	    (err = v7_command(d, 0xa2)) != 0 ||
	    (err = v7_command(d, 0xa0)) != 0) {
		dev_cause(
		    cause, "cannot write to the oximeter (%s)", strerror(err));
		goto out;
	}
	/* Skip the stop acknowledgements and any live data still in flight. */
	for (i = 0; i < 200 && version < 0; i++) {
		if ((err = v7_packet(d, v, pkt, &len)) != 0)
			break;
		if (pkt[0] == 0x06)
			version = v7_data(pkt, 1);
		else if (pkt[0] == 0x01 && d->decoding) {
			/* A capture that starts while streaming. */
			memcpy(v->pending, pkt, len);
			v->pending_len = len;
			version = 7;
		}
	}
	if (version < 0 && err != 0 && err != ETIMEDOUT && err != ENODATA &&
	    err != EPROTO) {
		dev_cause(cause, "oximeter read failed (%s)", strerror(err));
		goto out; /* a transport error, not another protocol */
	}
	if (version != 7) {
		err = EPROTO;
		dev_cause(cause,
		    "no reply to the V7 version command: not a "
		    "Contec CMS50 on a CP210x cable, or the oximeter is off");
		goto out;
	}
	if (v->pending_len == 0 && (err = v7_command(d, 0xa8)) == 0) {
		for (i = 0; i < 20 && segs < 2; i++) {
			if (v7_packet(d, v, pkt, &len) != 0)
				break;
			if (pkt[0] != 0x02)
				continue;
			for (n = 1; n < 7; n++) {
				uint8_t c = v7_data(pkt, n);
				size_t ml = strlen(model);

				if (c >= 0x21 && c < 0x7f &&
				    ml + 1 < sizeof(model)) {
					model[ml] = (char)c;
					model[ml + 1] = '\0';
				}
			}
			segs++;
		}
	}
	snprintf(d->firmware, sizeof(d->firmware), "CMS%s protocol V7", model);
	if (v->pending_len == 0 && (err = v7_command(d, 0xa1)) != 0) {
		dev_cause(
		    cause, "cannot start the live stream (%s)", strerror(err));
		goto out;
	}
	err = 0;
	log_info("%s: CMS50 V7 opened", d->id);
out:
	if (err != 0) {
		free(v);
		d->priv = NULL;
	}
	return err;
}

static int
v7_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct v7 *v = d->priv;
	uint8_t pkt[16];
	size_t len;
	int err, spo2, pr, pi_lo, pi_hi, out;

	(void)cause;
	for (;;) {
		if (v->pending_len != 0) {
			len = v->pending_len;
			memcpy(pkt, v->pending, len);
			v->pending_len = 0;
		} else if ((err = v7_packet(d, v, pkt, &len)) != 0)
			return err;
		if (pkt[0] != 0x01 || len != 9)
			continue;
		if (++v->since_keepalive >= V7_KEEPALIVE_EVERY) {
			v->since_keepalive = 0;
			if ((err = v7_command(d, 0xaf)) != 0)
				return err;
		}
		v->since_emit++;
		out = (v7_data(pkt, 0) & 0x80) != 0;
		if (out) {
			if (v->finger_out)
				continue;
			v->finger_out = 1;
			v->last_spo2 = v->last_pr = -1;
			r->flags |= DEV_FLAG_FINGER_OUT;
			dev_reading_hash(r, pkt, len);
			return 0;
		}
		v->finger_out = 0;
		pr = v7_data(pkt, 3);
		spo2 = v7_data(pkt, 4);
		if (pr == 0 || spo2 == 0 || spo2 == 0x7f)
			continue; /* still searching */
		if (spo2 == v->last_spo2 && pr == v->last_pr &&
		    v->since_emit < V7_REPEAT_EVERY)
			continue;
		v->last_spo2 = spo2;
		v->last_pr = pr;
		v->since_emit = 0;
		dev_reading_add(r, DEV_Q_SPO2, spo2);
		dev_reading_add(r, DEV_Q_PULSE, pr);
		pi_lo = pkt[7] & 0x7f;
		pi_hi = pkt[8] & 0x7f;
		if (!(pkt[7] == 0xff && pkt[8] == 0xff) &&
		    !(pi_lo == 0x7f && pi_hi == 0x7f))
			dev_reading_add(
			    r, DEV_Q_PI, (pi_lo | pi_hi << 7) / 100.0);
		dev_reading_hash(r, pkt, len);
		return 0;
	}
}

static void
v7_close(struct dev *d)
{
	if (d->priv == NULL)
		return;
	(void)v7_command(d, 0xa2); /* stop live; the device may be gone */
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_contec_cms50_v7 = {
	.name = "contec_cms50_v7",
	.full_name = "Contec CMS50D+/E/F pulse oximeter (CP210x cable, "
	             "protocol V7)",
	.ids = v7_ids,
	.live = 1,
	.open = v7_open,
	.read = v7_read,
	.close = v7_close,
};
