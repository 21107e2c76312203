/*
 * Omron HEM-790IT family blood-pressure monitors (also HEM-7080IT,
 * BP791IT/M7222IT, Elite 7300IT, HEM-670IT and the HHX-CABLE-USB1 of the
 * HEM-7301): 0590:0028.  Downloads the stored readings of memory bank A
 * (SYS, DIA, pulse, the device's clock, irregular-heartbeat and movement
 * flags).  Weekly averages, bank B and the device/serial info commands
 * (VER00/SRL00, which need another mode) are not used.
 *
 * Transport: HID, 8-byte reports on interrupt OUT 0x02 / IN 0x81, each
 * report "n, up to 7 payload bytes"; longer messages span reports.
 * Exchange (libomron's protocol notes):
 *   SET_REPORT(feature) 21 09 0300 0000, data 74 bc   daily-readings mode
 *   clearing block: send 12 zero bytes (07 00.. and 05 00..), read a
 *     report, until a reply starts with "OK"
 *   "GDC" 00 bank 00 00 bank -> "OK" 00 00 0a 00 NN xx: NN records
 *   "GME" 00 bank 00 idx idx^bank -> "OK" 00 + 14 bytes:
 *     year-2000 month day hour minute second unit SYS(16 bit BE) DIA
 *     pulse flags(16 bit BE: 0x0001 irregular, 0x0002 movement) xor
 *   "END" ff ff -> "OFF\r\n"
 * A command's last byte is the XOR of the bytes after its mnemonic; a
 * reply "OK" ... is good when the XOR of everything after "OK" is 0.  A
 * reply "NO" means "ask again".
 *
 * Source: openyou/libomron doc/omron_protocol_notes.asciidoc, src/omron.c
 * (BSD-3-Clause), with the 16-bit SYS and flags of libomron issue #25;
 * research/devices.md §2.1.  Deliberately different from libomron: no
 * blind read before the clearing block (it only flushes stale input, and
 * the "OK" check does that).
 */
#define LOG_MODULE "omron"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "log.h"
#include "xmalloc.h"

#define OM_REPORT 8
#define OM_TIMEOUT_MS 2000
#define OM_GME_LEN 17 /* "OK" 00 + 14 bytes */
#define OM_GDC_LEN 8
#define OM_TRIES 3

struct omron {
	int count, next;
	int ended;
};

static const struct dev_id om_ids[] = {
	{ 0x0590, 0x0028 },
	{ 0, 0 },
};

static int
om_send(struct dev *d, const uint8_t *msg, size_t len)
{
	uint8_t rep[OM_REPORT];
	size_t n;
	int err;

	while (len > 0) {
		n = len > OM_REPORT - 1 ? OM_REPORT - 1 : len;
		memset(rep, 0, sizeof(rep));
		rep[0] = (uint8_t)n;
		memcpy(rep + 1, msg, n);
		if ((err = dev_write(d, rep, sizeof(rep), OM_TIMEOUT_MS)) != 0)
			return err;
		msg += n;
		len -= n;
	}
	return 0;
}

/*
 * Read reports into OUT until WANT payload bytes have come, or a "NO"
 * reply.  Returns 0 with *LEN, or an errno.
 */
static int
om_recv(struct dev *d, uint8_t *out, size_t want, size_t *len)
{
	uint8_t rep[OM_REPORT];
	size_t got;
	int err;

	*len = 0;
	while (*len < want) {
		memset(rep, 0, sizeof(rep));
		if ((err = dev_read_in(
		         d, rep, sizeof(rep), &got, OM_TIMEOUT_MS)) != 0)
			return err;
		if (got == 0)
			continue;
		/* OUT holds WANT + OM_REPORT: one report may overshoot. */
		if (rep[0] == 0 || rep[0] > OM_REPORT - 1 ||
		    (size_t)rep[0] + 1 > got) {
			dev_bad_frame(d, "report with count %u", rep[0]);
			return EPROTO;
		}
		memcpy(out + *len, rep + 1, rep[0]);
		*len += rep[0];
		if (*len >= 2 && out[0] == 'N' && out[1] == 'O')
			return 0;
	}
	return 0;
}

static int
om_xor_ok(const uint8_t *b, size_t len)
{
	uint8_t x = 0;
	size_t i;

	for (i = 2; i < len; i++)
		x ^= b[i];
	return x == 0;
}

/* Send CMD and get a checked reply of WANT bytes into OUT. */
static int
om_exchange(
    struct dev *d, const uint8_t *cmd, size_t cmdlen, uint8_t *out, size_t want)
{
	size_t len;
	int err, i;

	for (i = 0; i < OM_TRIES; i++) {
		if ((err = om_send(d, cmd, cmdlen)) != 0 ||
		    (err = om_recv(d, out, want, &len)) != 0)
			return err;
		if (out[0] == 'N' && out[1] == 'O')
			continue;
		if (out[0] != 'O' || out[1] != 'K') {
			dev_bad_frame(d, "reply to %.3s without OK", cmd);
			continue;
		}
		if (!om_xor_ok(out, want)) {
			dev_bad_frame(d, "reply to %.3s: XOR check", cmd);
			continue;
		}
		return 0;
	}
	return EPROTO;
}

static int
om_open(struct dev *d, char **cause)
{
	static const uint8_t mode[2] = { 0x74, 0xbc }; /* daily readings */
	static const uint8_t zeros[12];
	static const uint8_t gdc[8] = { 'G', 'D', 'C', 0, 0, 0, 0, 0 };
	uint8_t rep[OM_REPORT], reply[OM_GDC_LEN + OM_REPORT];
	struct omron *o;
	size_t got;
	int err, i;

	o = xcalloc(1, sizeof(*o));
	d->priv = o;
	if ((err = dev_control_out(d, 0x21, 0x09, 0x0300, 0, mode, sizeof(mode),
	         OM_TIMEOUT_MS)) != 0) {
		dev_cause(
		    cause, "cannot set the monitor's mode (%s)", strerror(err));
		goto fail;
	}
	for (i = 0; i < 5; i++) {
		if ((err = om_send(d, zeros, sizeof(zeros))) != 0)
			goto fail;
		memset(rep, 0, sizeof(rep));
		err = dev_read_in(d, rep, sizeof(rep), &got, OM_TIMEOUT_MS);
		if (err == ETIMEDOUT)
			continue;
		if (err != 0)
			goto fail;
		if (got >= 3 && rep[0] >= 2 && rep[1] == 'O' && rep[2] == 'K')
			break;
	}
	if (i == 5) {
		err = EPROTO;
		dev_cause(cause,
		    "the monitor did not answer the clearing "
		    "block: is it an Omron HEM-790IT family monitor, awake?");
		goto fail;
	}
	if ((err = om_exchange(d, gdc, sizeof(gdc), reply, OM_GDC_LEN)) != 0) {
		dev_cause(cause,
		    "cannot read the number of stored readings "
		    "(%s)",
		    strerror(err));
		goto fail;
	}
	o->count = reply[6];
	log_info("%s: Omron opened, %d stored readings", d->id, o->count);
	return 0;
fail:
	free(o);
	d->priv = NULL;
	return err;
}

static int
om_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct omron *o = d->priv;
	uint8_t cmd[8] = { 'G', 'M', 'E', 0, 0, 0, 0, 0 };
	uint8_t b[OM_GME_LEN + OM_REPORT];
	unsigned flags;
	int err;

	while (o->next < o->count) {
		cmd[6] = (uint8_t)o->next;
		cmd[7] = (uint8_t)o->next; /* idx ^ bank, bank 0 */
		o->next++;
		err = om_exchange(d, cmd, sizeof(cmd), b, OM_GME_LEN);
		if (err == EPROTO)
			continue; /* counted as bad frames; next record */
		if (err != 0) {
			dev_cause(cause, "reading record %d failed (%s)",
			    o->next - 1, strerror(err));
			return err;
		}
		dev_reading_add(r, DEV_Q_SYS, b[10] << 8 | b[11]);
		dev_reading_add(r, DEV_Q_DIA, b[12]);
		dev_reading_add(r, DEV_Q_PULSE, b[13]);
		flags = (unsigned)(b[14] << 8 | b[15]);
		if (flags & 0x0001)
			r->flags |= DEV_FLAG_IRREGULAR;
		if (flags & 0x0002)
			r->flags |= DEV_FLAG_MOVEMENT;
		r->flags |= DEV_FLAG_STORED;
		dev_reading_time(r, 2000 + b[3], b[4], b[5], b[6], b[7], b[8]);
		dev_reading_hash(r, b, OM_GME_LEN);
		return 0;
	}
	return ENODATA;
}

static void
om_close(struct dev *d)
{
	static const uint8_t end[5] = { 'E', 'N', 'D', 0xff, 0xff };
	uint8_t b[OM_REPORT * 2];
	size_t len;

	if (d->priv == NULL)
		return;
	/* Power the monitor off, as its own software does. */
	if (om_send(d, end, sizeof(end)) == 0)
		(void)om_recv(d, b, 5, &len);
	free(d->priv);
	d->priv = NULL;
}

const struct driver drv_omron_hem790it = {
	.name = "omron_hem790it",
	.full_name = "Omron HEM-790IT family blood-pressure monitor",
	.ids = om_ids,
	.in_size = OM_REPORT,
	.open = om_open,
	.read = om_read,
	.close = om_close,
};
