/*
 * IEEE 11073-20601 personal health devices ("Continua") over USB PHDC,
 * interface class 0x0f: we are the manager, the device is the agent.
 * Supported: association; the standard configurations of the pulse
 * oximeter (0x0190, 0x0191) and the blood-pressure monitor (0x02bc); any
 * extended configuration (>= 0x4000) the agent describes with
 * MDC_NOTI_CONFIG, as long as its numeric metrics are ones we know (SpO2,
 * pulse rate, NIBP, body temperature, body weight, capillary glucose);
 * fixed, variable and multi-person scan reports; SFLOAT, FLOAT and
 * absolute time; release and abort.  Not supported: GET of the MDS
 * attributes (manufacturer, model), PM-stores (stored history), episodic
 * configuration changes during operation, PHDC metadata preambles.
 *
 * Transport: each APDU is one bulk transfer (or several, reassembled by
 * its length).  APDU = choice(2) length(2) body; big-endian (MDER).
 *   AARQ e200: assoc-version, [data-proto 20601: protocol-version,
 *     encoding rules (MDER 0x8000), nomenclature, functional units,
 *     system-type, system-id, dev-config-id, data-req-mode, options]
 *   AARE e300: result (0 accepted, 3 accepted-unknown-config, 4 rejected
 *     no common protocol) + our own PhdAssociationInformation
 *   PRST e700: octet-string length, invoke-id, data-apdu choice, length:
 *     0100/0101 (un)confirmed event report: obj-handle, event-time,
 *     event-type (0d1c config, 0d1d scan fixed, 0d1e scan var, 0d1f
 *     MP fixed, 0d20 MP var), event-info
 *     0201 our confirmed-event-report response: obj-handle, event-time
 *     echoed, event-type, reply-info (config: report-id + result)
 *   RLRQ e400 -> RLRE e500 0000; ABRT e600 ends the association.
 * SFLOAT: 4-bit exponent, 12-bit mantissa, both signed (07ff NaN, 0800
 * NRes, 07fe/0802 +-INF); FLOAT: 8-bit exponent, 24-bit mantissa.
 * AbsoluteTime: BCD century, year, month, day, hour, minute, second, 1/100.
 *
 * Sources: signove/antidote (LGPL-2.1) src/asn1/phd_types.h,
 * src/dim/nomenclature.h, src/specializations/ and the real APDUs in
 * tests/resources/apdu/ (research/devices.md §4).
 */
#define LOG_MODULE "phdc"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "driver.h"
#include "log.h"
#include "xmalloc.h"

#define PH_READ 1024
#define PH_APDU_MAX 8192
#define PH_TIMEOUT_MS 5000
#define PH_QUIET_READS 6 /* 30 s without a word: the agent is gone */
#define PH_OBJS 16
#define PH_MAP 8
#define PH_QUEUE 16
#define PH_MAX_GARBAGE 16 /* transfers in a row that are not APDUs */

/* Nomenclature (antidote src/dim/nomenclature.h). */
#define MDC_NOTI_CONFIG 0x0d1c
#define MDC_NOTI_SCAN_REPORT_FIXED 0x0d1d
#define MDC_NOTI_SCAN_REPORT_VAR 0x0d1e
#define MDC_NOTI_SCAN_REPORT_MP_FIXED 0x0d1f
#define MDC_NOTI_SCAN_REPORT_MP_VAR 0x0d20
#define MDC_ATTR_ID_TYPE 0x092f
#define MDC_ATTR_UNIT_CODE 0x0996
#define MDC_ATTR_ATTRIBUTE_VAL_MAP 0x0a55
#define MDC_ATTR_ID_PHYSIO_LIST 0x0a76
#define MDC_ATTR_NU_VAL_OBS_BASIC 0x0a4c
#define MDC_ATTR_NU_VAL_OBS_SIMP 0x0a56
#define MDC_ATTR_NU_CMPD_VAL_OBS_BASIC 0x0a75
#define MDC_ATTR_NU_CMPD_VAL_OBS_SIMP 0x0a77
#define MDC_ATTR_TIME_STAMP_ABS 0x0990
#define MDC_MOC_VMO_METRIC_NU 6

struct ph_metric {
	uint16_t code, unit;
	int quantity;
};

/* The metrics we turn into readings, with the one unit each must have. */
static const struct ph_metric ph_metrics[] = {
	{ 0x4bb8, 0x0220, DEV_Q_SPO2 }, /* MDC_PULS_OXIM_SAT_O2, % */
	{ 0x481a, 0x0aa0, DEV_Q_PULSE }, /* MDC_PULS_OXIM_PULS_RATE */
	{ 0x482a, 0x0aa0, DEV_Q_PULSE }, /* MDC_PULS_RATE_NON_INV */
	{ 0x4a05, 0x0f20, DEV_Q_SYS }, /* NIBP systolic, mmHg */
	{ 0x4a06, 0x0f20, DEV_Q_DIA }, /* NIBP diastolic */
	{ 0x4a07, 0x0f20, DEV_Q_MAP }, /* NIBP mean */
	{ 0x4b5c, 0x17a0, DEV_Q_TEMP }, /* MDC_TEMP_BODY, degC */
	{ 0xe140, 0x06c3, DEV_Q_WEIGHT }, /* MDC_MASS_BODY_ACTUAL, kg */
	{ 0x71b8, 0x0852, DEV_Q_GLUCOSE_MGDL }, /* capillary glucose, mg/dL */
	{ 0x71b8, 0x1272, DEV_Q_GLUCOSE_MMOL }, /* same, mmol/L */
};

struct ph_obj {
	uint16_t handle, type, unit;
	uint16_t physio[4]; /* compound: member codes */
	size_t nphysio;
	struct {
		uint16_t attr, len;
	} map[PH_MAP];
	size_t nmap;
};

struct phdc {
	uint8_t in[PH_APDU_MAX];
	size_t inlen;
	uint16_t config_id;
	struct ph_obj obj[PH_OBJS];
	size_t nobj;
	int operating; /* associated with a known configuration */
	int ended;
	struct dev_reading q[PH_QUEUE];
	size_t qn;
};

/* Bounded big-endian reader over untrusted bytes. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static uint16_t
rd_u16(struct rd *r)
{
	uint16_t v;

	if (r->bad || r->len - r->off < 2) {
		r->bad = 1;
		return 0;
	}
	v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t hi = rd_u16(r);

	return hi << 16 | rd_u16(r);
}

static const uint8_t *
rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* A sub-reader over the next N bytes. */
static struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd s = { NULL, 0, 0, 1 };
	const uint8_t *p;

	if ((p = rd_bytes(r, n)) != NULL) {
		s.p = p;
		s.len = n;
		s.bad = 0;
	}
	return s;
}

static int
ph_sfloat(uint16_t raw, double *out)
{
	int m = raw & 0x0fff, e = raw >> 12;
	double v;

	if (m == 0x07ff || m == 0x0800 || m == 0x07fe || m == 0x0802 ||
	    m == 0x0801)
		return EDOM;
	if (m >= 0x0800)
		m -= 0x1000;
	if (e >= 8)
		e -= 16;
	for (v = m; e > 0; e--)
		v *= 10;
	for (; e < 0; e++)
		v /= 10;
	*out = v;
	return 0;
}

static int
ph_float(uint32_t raw, double *out)
{
	long m = (long)(raw & 0xffffff);
	int e = (int)(raw >> 24);
	double v;

	if (m == 0x7fffff || m == 0x800000 || m == 0x7ffffe || m == 0x800002 ||
	    m == 0x800001)
		return EDOM;
	if (m >= 0x800000)
		m -= 0x1000000;
	if (e >= 128)
		e -= 256;
	for (v = (double)m; e > 0; e--)
		v *= 10;
	for (; e < 0; e++)
		v /= 10;
	*out = v;
	return 0;
}

static int
bcd(uint8_t b)
{
	if ((b >> 4) > 9 || (b & 15) > 9)
		return -1;
	return (b >> 4) * 10 + (b & 15);
}

static const struct ph_metric *
ph_metric(uint16_t code, uint16_t unit)
{
	size_t i;

	for (i = 0; i < nitems(ph_metrics); i++)
		if (ph_metrics[i].code == code && ph_metrics[i].unit == unit)
			return &ph_metrics[i];
	return NULL;
}

static const struct dev_id ph_ids[] = { { 0, 0 } };

/* --- standard configurations (IEEE 11073-10404 and -10407) --- */

static void
ph_obj_add(struct phdc *p, uint16_t handle, uint16_t type, uint16_t unit,
    int timestamp)
{
	struct ph_obj *o = &p->obj[p->nobj++];

	memset(o, 0, sizeof(*o));
	o->handle = handle;
	o->type = type;
	o->unit = unit;
	if (type == 0x4a04) {
		o->physio[0] = 0x4a05;
		o->physio[1] = 0x4a06;
		o->physio[2] = 0x4a07;
		o->nphysio = 3;
		o->map[o->nmap].attr = MDC_ATTR_NU_CMPD_VAL_OBS_BASIC;
		o->map[o->nmap++].len = 10;
	} else {
		o->map[o->nmap].attr = MDC_ATTR_NU_VAL_OBS_BASIC;
		o->map[o->nmap++].len = 2;
	}
	if (timestamp) {
		o->map[o->nmap].attr = MDC_ATTR_TIME_STAMP_ABS;
		o->map[o->nmap++].len = 8;
	}
}

static int
ph_standard_config(struct phdc *p, uint16_t id)
{
	p->nobj = 0;
	switch (id) {
	case 0x0190: /* pulse oximeter */
	case 0x0191: /* the same with time stamps */
		ph_obj_add(p, 1, 0x4bb8, 0x0220, id == 0x0191);
		ph_obj_add(p, 10, 0x481a, 0x0aa0, id == 0x0191);
		return 1;
	case 0x02bc: /* blood-pressure monitor */
		ph_obj_add(p, 1, 0x4a04, 0x0f20, 1);
		ph_obj_add(p, 2, 0x482a, 0x0aa0, 1);
		return 1;
	default:
		return 0;
	}
}

/* --- sending --- */

static int
ph_send(struct dev *d, const uint8_t *apdu, size_t len)
{
	return dev_write(d, apdu, len, PH_TIMEOUT_MS);
}

static int
ph_send_aare(struct dev *d, uint16_t result)
{
	uint8_t a[48] = {
		0xe3, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x50, 0x79, 0x00, 0x26,
		0x80, 0x00, 0x00, 0x00, /* protocol version 1 */
		0x80, 0x00, /* MDER */
		0x80, 0x00, 0x00, 0x00, /* nomenclature version 1 */
		0x00, 0x00, 0x00, 0x00, /* functional units */
		0x80, 0x00, 0x00, 0x00, /* system type: manager */
		0x00, 0x08, 'O', 'U', 'T', 'P', 'O', 'S', 'T', 0x01, 0x00,
		0x00, /* dev-config-id: manager */
		0x00, 0x00, 0x00, 0x00, /* data-req-mode-capab */
		0x00, 0x00, 0x00, 0x00, /* option list: empty */
	};

	a[4] = (uint8_t)(result >> 8);
	a[5] = (uint8_t)result;
	return ph_send(d, a, sizeof(a));
}

/* Confirmed-event-report response echoing EVENT_TIME and TYPE. */
static int
ph_send_response(struct dev *d, uint16_t invoke, uint16_t handle,
    uint32_t event_time, uint16_t type, const uint8_t *reply, size_t rlen)
{
	uint8_t a[64];
	size_t n = 0, body = 10 + rlen;

	a[n++] = 0xe7;
	a[n++] = 0x00;
	a[n++] = (uint8_t)((body + 8) >> 8);
	a[n++] = (uint8_t)(body + 8);
	a[n++] = (uint8_t)((body + 6) >> 8);
	a[n++] = (uint8_t)(body + 6);
	a[n++] = (uint8_t)(invoke >> 8);
	a[n++] = (uint8_t)invoke;
	a[n++] = 0x02;
	a[n++] = 0x01;
	a[n++] = (uint8_t)(body >> 8);
	a[n++] = (uint8_t)body;
	a[n++] = (uint8_t)(handle >> 8);
	a[n++] = (uint8_t)handle;
	a[n++] = (uint8_t)(event_time >> 24);
	a[n++] = (uint8_t)(event_time >> 16);
	a[n++] = (uint8_t)(event_time >> 8);
	a[n++] = (uint8_t)event_time;
	a[n++] = (uint8_t)(type >> 8);
	a[n++] = (uint8_t)type;
	a[n++] = (uint8_t)(rlen >> 8);
	a[n++] = (uint8_t)rlen;
	if (rlen > 0)
		memcpy(a + n, reply, rlen);
	return ph_send(d, a, n + rlen);
}

/* --- receiving --- */

/* Next whole APDU into *APDU (lent until the next call), *LEN. */
static int
ph_apdu(struct dev *d, struct phdc *p, const uint8_t **apdu, size_t *len)
{
	size_t need;
	int err, garbage = 0;
	static const size_t hdr = 4;

	for (;;) {
		if (p->inlen >= hdr) {
			need = hdr + (size_t)(p->in[2] << 8 | p->in[3]);
			if ((p->in[0] < 0xe2 || p->in[0] > 0xe7 ||
			        p->in[1] != 0x00) ||
			    need > sizeof(p->in)) {
				dev_bad_frame(d,
				    "not an APDU (%02x%02x, %zu "
				    "bytes)",
				    p->in[0], p->in[1], need);
				p->inlen = 0; /* resynchronise on a transfer */
				if (++garbage > PH_MAX_GARBAGE)
					return EPROTO; /* not 11073 at all */
				continue;
			}
			if (p->inlen >= need) {
				*apdu = p->in;
				*len = need;
				return 0;
			}
		}
		if ((err = dev_fill(d, p->in, &p->inlen, sizeof(p->in), PH_READ,
		         PH_TIMEOUT_MS, PH_QUIET_READS)) != 0)
			return err;
	}
}

static void
ph_consume(struct phdc *p, size_t len)
{
	memmove(p->in, p->in + len, p->inlen - len);
	p->inlen -= len;
}

/* Parse AARQ; returns the AARE result to send. */
static uint16_t
ph_aarq(struct dev *d, struct phdc *p, struct rd *r)
{
	struct rd proto, info;
	uint16_t count, id, enc;
	const uint8_t *sysid;
	size_t i, n;

	(void)rd_u32(r); /* assoc-version */
	count = rd_u16(r);
	(void)rd_u16(r);
	for (i = 0; i < count && !r->bad; i++) {
		id = rd_u16(r);
		n = rd_u16(r);
		proto = rd_sub(r, n);
		if (id != 20601)
			continue;
		info = proto;
		(void)rd_u32(&info); /* protocol-version */
		enc = rd_u16(&info);
		(void)rd_u32(&info); /* nomenclature-version */
		(void)rd_u32(&info); /* functional-units */
		(void)rd_u32(&info); /* system-type */
		n = rd_u16(&info);
		sysid = rd_bytes(&info, n);
		p->config_id = rd_u16(&info);
		if (info.bad) {
			dev_bad_frame(d, "AARQ truncated");
			return 4;
		}
		if (!(enc & 0x8000))
			return 4; /* no MDER */
		if (sysid != NULL) {
			size_t k, o = 0;

			for (k = 0; k < n && o + 3 < sizeof(d->serial); k++)
				o += (size_t)snprintf(d->serial + o,
				    sizeof(d->serial) - o, "%02x", sysid[k]);
		}
		snprintf(d->firmware, sizeof(d->firmware),
		    "IEEE 11073-20601 config 0x%04x", p->config_id);
		if (ph_standard_config(p, p->config_id)) {
			p->operating = 1;
			return 0;
		}
		p->operating = 0;
		return 3; /* accepted-unknown-config: send us your config */
	}
	if (r->bad)
		dev_bad_frame(d, "AARQ truncated");
	return 4;
}

/* Parse a ConfigReport into p->obj; returns the config-result. */
static uint16_t
ph_config(struct dev *d, struct phdc *p, struct rd *r, uint16_t *report_id)
{
	struct rd attrs, val;
	struct ph_obj scratch, *o = &scratch;
	uint16_t count, cls, nattr, id, len, k, n;
	size_t i, j, known = 0;

	*report_id = rd_u16(r);
	count = rd_u16(r);
	(void)rd_u16(r);
	p->nobj = 0;
	for (i = 0; i < count && !r->bad; i++) {
		cls = rd_u16(r);
		memset(o, 0, sizeof(*o));
		o->handle = rd_u16(r);
		nattr = rd_u16(r);
		attrs = rd_sub(r, rd_u16(r));
		for (j = 0; j < nattr && !attrs.bad; j++) {
			id = rd_u16(&attrs);
			len = rd_u16(&attrs);
			val = rd_sub(&attrs, len);
			switch (id) {
			case MDC_ATTR_ID_TYPE:
				(void)rd_u16(&val); /* partition */
				o->type = rd_u16(&val);
				break;
			case MDC_ATTR_UNIT_CODE:
				o->unit = rd_u16(&val);
				break;
			case MDC_ATTR_ID_PHYSIO_LIST:
				n = rd_u16(&val);
				(void)rd_u16(&val);
				for (k = 0;
				     k < n && o->nphysio < nitems(o->physio);
				     k++)
					o->physio[o->nphysio++] = rd_u16(&val);
				break;
			case MDC_ATTR_ATTRIBUTE_VAL_MAP:
				n = rd_u16(&val);
				(void)rd_u16(&val);
				for (k = 0; k < n && o->nmap < PH_MAP; k++) {
					o->map[o->nmap].attr = rd_u16(&val);
					o->map[o->nmap++].len = rd_u16(&val);
				}
				break;
			}
			if (val.bad)
				attrs.bad = 1;
		}
		if (attrs.bad) {
			dev_bad_frame(
			    d, "configuration object %u malformed", o->handle);
			r->bad = 1;
			break;
		}
		if (cls != MDC_MOC_VMO_METRIC_NU || p->nobj >= PH_OBJS)
			continue;
		p->obj[p->nobj++] = *o;
		if (o->nphysio > 0) {
			for (k = 0; k < o->nphysio; k++)
				if (ph_metric(o->physio[k], o->unit) != NULL)
					known++;
		} else if (ph_metric(o->type, o->unit) != NULL)
			known++;
	}
	if (r->bad) {
		p->nobj = 0;
		return 1; /* unsupported-config */
	}
	return known > 0 ? 0 : 1;
}

/* Add one value to the reading queue, starting a new reading as needed. */
static void
ph_emit(struct dev *d, struct phdc *p, const uint8_t *apdu, size_t alen,
    int quantity, double v, const char *when, int *fresh)
{
	struct dev_reading *r;
	size_t i;
	int clash = 0;

	if (p->qn > 0 && !*fresh) {
		r = &p->q[p->qn - 1];
		for (i = 0; i < r->n; i++)
			if (r->v[i].quantity == quantity)
				clash = 1;
		if (strcmp(r->device_time, when) != 0 && r->n > 0)
			clash = 1;
		if (!clash && dev_reading_add(r, quantity, v) == 0)
			return;
	}
	if (p->qn >= PH_QUEUE) {
		dev_bad_frame(d, "too many observations in one report");
		return;
	}
	r = &p->q[p->qn++];
	memset(r, 0, sizeof(*r));
	snprintf(r->device_time, sizeof(r->device_time), "%s", when);
	dev_reading_hash(r, apdu, alen);
	dev_reading_add(r, quantity, v);
	*fresh = 0;
}

static void
ph_abs_time(const uint8_t *t, char *out, size_t len)
{
	struct dev_reading tmp;
	int c = bcd(t[0]), y = bcd(t[1]);

	memset(&tmp, 0, sizeof(tmp));
	if (c >= 0 && y >= 0)
		dev_reading_time(&tmp, c * 100 + y, bcd(t[2]), bcd(t[3]),
		    bcd(t[4]), bcd(t[5]), bcd(t[6]));
	snprintf(out, len, "%s", tmp.device_time);
}

/* Decode one attribute value of object O into the queue. */
static void
ph_value(struct dev *d, struct phdc *p, const struct ph_obj *o, uint16_t attr,
    struct rd *v, const uint8_t *apdu, size_t alen, const char *when,
    int *fresh)
{
	const struct ph_metric *m;
	uint16_t n, k;
	double x;
	int err;

	switch (attr) {
	case MDC_ATTR_NU_VAL_OBS_BASIC:
	case MDC_ATTR_NU_VAL_OBS_SIMP:
		err = attr == MDC_ATTR_NU_VAL_OBS_BASIC
		    ? ph_sfloat(rd_u16(v), &x)
		    : ph_float(rd_u32(v), &x);
		if (v->bad || err != 0 ||
		    (m = ph_metric(o->type, o->unit)) == NULL)
			return;
		ph_emit(d, p, apdu, alen, m->quantity, x, when, fresh);
		return;
	case MDC_ATTR_NU_CMPD_VAL_OBS_BASIC:
	case MDC_ATTR_NU_CMPD_VAL_OBS_SIMP:
		n = rd_u16(v);
		(void)rd_u16(v);
		for (k = 0; k < n && !v->bad; k++) {
			err = attr == MDC_ATTR_NU_CMPD_VAL_OBS_BASIC
			    ? ph_sfloat(rd_u16(v), &x)
			    : ph_float(rd_u32(v), &x);
			if (v->bad || err != 0 || k >= o->nphysio ||
			    (m = ph_metric(o->physio[k], o->unit)) == NULL)
				continue;
			ph_emit(d, p, apdu, alen, m->quantity, x, when, fresh);
		}
		return;
	}
}

static const struct ph_obj *
ph_find(const struct phdc *p, uint16_t handle)
{
	size_t i;

	for (i = 0; i < p->nobj; i++)
		if (p->obj[i].handle == handle)
			return &p->obj[i];
	return NULL;
}

/* One observation in fixed format: the object's attribute-value map. */
static void
ph_obs_fixed(struct dev *d, struct phdc *p, uint16_t handle, struct rd *v,
    const uint8_t *apdu, size_t alen, int *fresh)
{
	const struct ph_obj *o;
	struct rd field;
	char when[20] = "";
	size_t i, off;

	if ((o = ph_find(p, handle)) == NULL) {
		dev_bad_frame(d, "observation for unknown handle %u", handle);
		return;
	}
	/* The time stamp first, so values carry it wherever it sits. */
	for (i = 0, off = v->off; i < o->nmap; off += o->map[i++].len) {
		if (o->map[i].attr != MDC_ATTR_TIME_STAMP_ABS)
			continue;
		if (off + 8 <= v->len)
			ph_abs_time(v->p + off, when, sizeof(when));
	}
	for (i = 0; i < o->nmap; i++) {
		field = rd_sub(v, o->map[i].len);
		if (field.bad) {
			dev_bad_frame(
			    d, "observation %u shorter than its map", handle);
			return;
		}
		ph_value(
		    d, p, o, o->map[i].attr, &field, apdu, alen, when, fresh);
	}
}

/* One observation in variable format: attribute list. */
static void
ph_obs_var(struct dev *d, struct phdc *p, uint16_t handle, struct rd *r,
    const uint8_t *apdu, size_t alen, int *fresh)
{
	const struct ph_obj *o;
	struct rd attrs, scan, v;
	char when[20] = "";
	uint16_t n, k, id;

	if ((o = ph_find(p, handle)) == NULL) {
		dev_bad_frame(d, "observation for unknown handle %u", handle);
		return;
	}
	n = rd_u16(r);
	attrs = rd_sub(r, rd_u16(r));
	scan = attrs;
	for (k = 0; k < n && !scan.bad; k++) {
		id = rd_u16(&scan);
		v = rd_sub(&scan, rd_u16(&scan));
		if (id == MDC_ATTR_TIME_STAMP_ABS && v.len >= 8)
			ph_abs_time(v.p, when, sizeof(when));
	}
	for (k = 0; k < n && !attrs.bad; k++) {
		id = rd_u16(&attrs);
		v = rd_sub(&attrs, rd_u16(&attrs));
		if (!v.bad)
			ph_value(d, p, o, id, &v, apdu, alen, when, fresh);
	}
	if (attrs.bad)
		dev_bad_frame(d, "variable observation malformed");
}

static void
ph_scan(struct dev *d, struct phdc *p, uint16_t type, struct rd *r,
    const uint8_t *apdu, size_t alen)
{
	struct rd list = { NULL, 0, 0, 0 }, obs, people;
	uint16_t n, k, persons, j, handle;
	int mp, var, fresh = 1;
	size_t q0 = p->qn;
	unsigned bad0 = d->nbad;

	mp = type == MDC_NOTI_SCAN_REPORT_MP_FIXED ||
	    type == MDC_NOTI_SCAN_REPORT_MP_VAR;
	var = type == MDC_NOTI_SCAN_REPORT_VAR ||
	    type == MDC_NOTI_SCAN_REPORT_MP_VAR;
	(void)rd_u16(r); /* data-req-id */
	(void)rd_u16(r); /* scan-report-no */
	persons = mp ? rd_u16(r) : 1;
	people = mp ? rd_sub(r, rd_u16(r)) : *r;
	for (j = 0; j < persons && !people.bad; j++) {
		if (mp)
			(void)rd_u16(&people); /* person-id */
		n = rd_u16(&people);
		list = rd_sub(&people, rd_u16(&people));
		for (k = 0; k < n && !list.bad; k++) {
			handle = rd_u16(&list);
			if (var) {
				ph_obs_var(
				    d, p, handle, &list, apdu, alen, &fresh);
				continue;
			}
			obs = rd_sub(&list, rd_u16(&list));
			if (!obs.bad)
				ph_obs_fixed(
				    d, p, handle, &obs, apdu, alen, &fresh);
		}
		if (list.bad)
			break;
	}
	if (people.bad || list.bad)
		dev_bad_frame(d, "scan report malformed");
	if (d->nbad != bad0)
		p->qn = q0; /* no reading from a bad report, even in part */
}

/* Handle one PRST APDU. */
static int
ph_prst(struct dev *d, struct phdc *p, struct rd *r, const uint8_t *apdu,
    size_t alen)
{
	struct rd body, info;
	uint16_t invoke, choice, handle, type, result, report_id;
	uint32_t etime;
	uint8_t reply[4];

	(void)rd_u16(r); /* octet-string length */
	invoke = rd_u16(r);
	choice = rd_u16(r);
	body = rd_sub(r, rd_u16(r));
	if (r->bad || body.bad) {
		dev_bad_frame(d, "PRST truncated");
		return 0;
	}
	if (choice != 0x0100 && choice != 0x0101)
		return 0; /* responses, errors: nothing to do */
	handle = rd_u16(&body);
	etime = rd_u32(&body);
	type = rd_u16(&body);
	info = rd_sub(&body, rd_u16(&body));
	if (body.bad) {
		dev_bad_frame(d, "event report truncated");
		return 0;
	}
	if (type == MDC_NOTI_CONFIG) {
		result = ph_config(d, p, &info, &report_id);
		p->operating = result == 0;
		p->config_id = report_id;
		snprintf(d->firmware, sizeof(d->firmware),
		    "IEEE 11073-20601 config 0x%04x", report_id);
		reply[0] = (uint8_t)(report_id >> 8);
		reply[1] = (uint8_t)report_id;
		reply[2] = (uint8_t)(result >> 8);
		reply[3] = (uint8_t)result;
		return ph_send_response(
		    d, invoke, handle, etime, type, reply, 4);
	}
	if (type < MDC_NOTI_SCAN_REPORT_FIXED ||
	    type > MDC_NOTI_SCAN_REPORT_MP_VAR)
		return 0;
	if (!p->operating) {
		dev_bad_frame(d, "scan report before a configuration");
		return 0;
	}
	ph_scan(d, p, type, &info, apdu, alen);
	if (choice == 0x0101)
		return ph_send_response(
		    d, invoke, handle, etime, type, NULL, 0);
	return 0;
}

/* Read and handle one APDU. */
static int
ph_step(struct dev *d, struct phdc *p)
{
	static const uint8_t rlre[6] = { 0xe5, 0x00, 0x00, 0x02, 0x00, 0x00 };
	const uint8_t *a;
	uint8_t apdu[PH_APDU_MAX];
	struct rd r;
	size_t len;
	int err = 0;

	if ((err = ph_apdu(d, p, &a, &len)) != 0)
		return err;
	memcpy(apdu, a, len);
	ph_consume(p, len);
	r.p = apdu + 4;
	r.len = len - 4;
	r.off = 0;
	r.bad = 0;
	switch (apdu[0]) {
	case 0xe2:
		p->ended = 0;
		err = ph_send_aare(d, ph_aarq(d, p, &r));
		break;
	case 0xe7:
		err = ph_prst(d, p, &r, apdu, len);
		break;
	case 0xe4:
		err = ph_send(d, rlre, sizeof(rlre));
		p->ended = 1;
		p->operating = 0;
		break;
	case 0xe6:
		log_info("%s: agent aborted the association", d->id);
		p->ended = 1;
		p->operating = 0;
		break;
	default: /* AARE, RLRE: not for a manager */
		break;
	}
	return err;
}

static int
ph_open(struct dev *d, char **cause)
{
	struct phdc *p;
	int err, i;

	p = xcalloc(1, sizeof(*p));
	d->priv = p;
	/* The agent speaks first: association, then its configuration. */
	for (i = 0; i < 8 && !p->operating && !p->ended; i++)
		if ((err = ph_step(d, p)) != 0)
			goto fail;
	if (!p->operating) {
		err = EPROTO;
		dev_cause(cause,
		    "the agent did not associate with a "
		    "configuration we can read (0x%04x)",
		    p->config_id);
		goto fail;
	}
	log_info(
	    "%s: 11073 agent associated, config 0x%04x", d->id, p->config_id);
	return 0;
fail:
	if (err != EPROTO)
		dev_cause(
		    cause, "no association from the agent (%s)", strerror(err));
	free(p);
	d->priv = NULL;
	return err;
}

static int
ph_read(struct dev *d, struct dev_reading *r, char **cause)
{
	struct phdc *p = d->priv;
	int err;

	(void)cause;
	for (;;) {
		if (p->qn > 0) {
			*r = p->q[0];
			memmove(p->q, p->q + 1, --p->qn * sizeof(p->q[0]));
			return 0;
		}
		if (p->ended)
			return ENODATA;
		if ((err = ph_step(d, p)) != 0)
			return err;
	}
}

static void
ph_close(struct dev *d)
{
	static const uint8_t rlrq[6] = { 0xe4, 0x00, 0x00, 0x02, 0x00, 0x00 };
	struct phdc *p = d->priv;

	if (p == NULL)
		return;
	if (!p->ended)
		(void)ph_send(d, rlrq, sizeof(rlrq));
	free(p);
	d->priv = NULL;
}

const struct driver drv_phdc_11073 = {
	.name = "phdc_11073",
	.full_name = "IEEE 11073-20601 agent over USB PHDC (Continua)",
	.ids = ph_ids,
	.iface_class = 0x0f,
	.open = ph_open,
	.read = ph_read,
	.close = ph_close,
};
