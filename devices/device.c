/*
 * The device layer between drivers and the kiosk: quantities with their
 * LOINC codes, UCUM units and plausible ranges; reading checks and JSON;
 * the transport calls drivers make; and offline decoding of captures.
 * It does not know any protocol (drv_*.c) nor libusb (usb.c).
 */
#define LOG_MODULE "device"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "buf.h"
#include "crypto.h"
#include "driver.h"
#include "encode.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Ranges: wide enough for any real patient (the kiosk is also used in
 * emergencies), narrow enough that a mis-decoded frame is caught.
 */
static const struct dev_quantity_info quantities[DEV_Q_MAX] = {
	[DEV_Q_SPO2] = { "spo2", "59408-5", "%", NULL, 1, 100 },
	[DEV_Q_PULSE] = { "pulse", "8867-4", "/min", NULL, 1, 350 },
	[DEV_Q_SYS] = { "sys", "8480-6", "mm[Hg]", "85354-9", 20, 350 },
	[DEV_Q_DIA] = { "dia", "8462-4", "mm[Hg]", "85354-9", 5, 300 },
	[DEV_Q_MAP] = { "map", "8478-0", "mm[Hg]", "85354-9", 10, 320 },
	[DEV_Q_GLUCOSE_MGDL] = { "glucose-mgdl", "2339-0", "mg/dL", NULL, 5,
	    2000 },
	[DEV_Q_GLUCOSE_MMOL] = { "glucose-mmol", "15074-8", "mmol/L", NULL, 0.3,
	    110 },
	[DEV_Q_TEMP] = { "temp", "8310-5", "Cel", NULL, 25, 45 },
	[DEV_Q_WEIGHT] = { "weight", "29463-7", "kg", NULL, 0.2, 500 },
	[DEV_Q_PI] = { "pi", "61006-3", "%", NULL, 0, 30 },
};

const struct dev_quantity_info *
dev_quantity_info(int q)
{
	if (q <= 0 || q >= DEV_Q_MAX)
		return NULL;
	return &quantities[q];
}

int
dev_quantity_by_name(const char *name)
{
	int q;

	for (q = 1; q < DEV_Q_MAX; q++)
		if (strcmp(quantities[q].name, name) == 0)
			return q;
	return 0;
}

void
dev_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	free(*cause);
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
}

int
dev_reading_add(struct dev_reading *r, int quantity, double value)
{
	if (r->n >= DEV_READING_MAX)
		return EMSGSIZE;
	r->v[r->n].quantity = quantity;
	r->v[r->n].value = value;
	r->n++;
	return 0;
}

static const struct dev_value *
find_value(const struct dev_reading *r, int q)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].quantity == q)
			return &r->v[i];
	return NULL;
}

int
dev_reading_check(const struct dev_reading *r, char **cause)
{
	const struct dev_quantity_info *qi;
	const struct dev_value *sys, *dia;
	size_t i;

	if (r->n == 0) {
		dev_cause(cause, "no value");
		return EINVAL;
	}
	for (i = 0; i < r->n; i++) {
		if ((qi = dev_quantity_info(r->v[i].quantity)) == NULL) {
			dev_cause(
			    cause, "unknown quantity %d", r->v[i].quantity);
			return EINVAL;
		}
		/* NaN fails both comparisons, so test the good case. */
		if (!(r->v[i].value >= qi->min && r->v[i].value <= qi->max)) {
			dev_cause(cause, "%s outside %g..%g %s", qi->name,
			    qi->min, qi->max, qi->unit);
			return EINVAL;
		}
	}
	sys = find_value(r, DEV_Q_SYS);
	dia = find_value(r, DEV_Q_DIA);
	if ((sys == NULL) != (dia == NULL)) {
		dev_cause(cause, "blood pressure without both sys and dia");
		return EINVAL;
	}
	if (sys != NULL && dia->value >= sys->value) {
		dev_cause(cause, "dia not below sys");
		return EINVAL;
	}
	return 0;
}

char *
dev_value_json(const char *driver, const struct dev_reading *r, size_t i)
{
	static const struct {
		unsigned flag;
		const char *name;
	} flags[] = {
		{ DEV_FLAG_IRREGULAR, "irregular-heartbeat" },
		{ DEV_FLAG_MOVEMENT, "movement" },
		{ DEV_FLAG_STORED, "stored" },
		{ DEV_FLAG_FINGER_OUT, "finger-out" },
	};
	const struct dev_quantity_info *qi;
	struct buf b;
	size_t k;
	int first = 1;

	static const struct dev_quantity_info unknown = { "?", "", "", NULL, 0,
		0 };

	if ((qi = dev_quantity_info(r->v[i].quantity)) == NULL)
		qi = &unknown;
	buf_init(&b, 4096);
	buf_printf(&b, "{\"driver\":");
	json_str(&b, driver);
	buf_printf(&b, ",\"loinc\":");
	json_str(&b, qi->loinc);
	buf_printf(&b, ",\"value\":%.10g,\"unit\":", r->v[i].value);
	json_str(&b, qi->unit);
	if (qi->panel != NULL) {
		buf_printf(&b, ",\"panel\":");
		json_str(&b, qi->panel);
	}
	buf_printf(&b, ",\"device_time\":");
	if (r->device_time[0] != '\0')
		json_str(&b, r->device_time);
	else
		buf_printf(&b, "null");
	buf_printf(&b, ",\"flags\":[");
	for (k = 0; k < nitems(flags); k++) {
		if ((r->flags & flags[k].flag) == 0)
			continue;
		buf_printf(&b, "%s\"%s\"", first ? "" : ",", flags[k].name);
		first = 0;
	}
	if (r->marker[0] != '\0') {
		char *m;

		xasprintf(&m, "marker:%s", r->marker);
		buf_printf(&b, "%s", first ? "" : ",");
		json_str(&b, m);
		free(m);
	}
	buf_printf(&b, "]}");
	return buf_take_str(&b);
}

/* --- opened devices --- */

struct dev *
dev_new(const struct driver *drv, const struct dev_transport *tp, void *ctx,
    const struct dev_info *info)
{
	struct dev *d;

	d = xcalloc(1, sizeof(*d));
	d->drv = drv;
	d->tp = tp;
	d->tp_ctx = ctx;
	if (info != NULL)
		d->info = *info;
	if (d->info.serial[0] != '\0')
		snprintf(d->id, sizeof(d->id), "%04x:%04x/%s", d->info.vid,
		    d->info.pid, d->info.serial);
	else
		snprintf(d->id, sizeof(d->id), "%04x:%04x@%s", d->info.vid,
		    d->info.pid, d->info.path[0] ? d->info.path : "-");
	return d;
}

int
dev_start(struct dev *d, char **cause)
{
	int err;

	if (d->drv->open == NULL)
		return 0;
	if ((err = d->drv->open(d, cause)) != 0) {
		log_warnx("%s: %s open failed: %s", d->id, d->drv->name,
		    strerror(err));
		if (cause != NULL && *cause == NULL)
			dev_cause(cause, "%s", strerror(err));
		d->drv = NULL; /* open() cleaned up after itself */
		dev_close(d);
	}
	return err;
}

void
dev_close(struct dev *d)
{
	if (d == NULL)
		return;
	if (d->drv != NULL && d->drv->close != NULL)
		d->drv->close(d);
	if (d->tp != NULL && d->tp->close != NULL)
		d->tp->close(d->tp_ctx);
	free(d);
}

int
dev_read(struct dev *d, struct dev_reading *r, char **cause)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = d->drv->read(d, r, cause);
	if (err == 0 && !(r->n == 0 && (r->flags & DEV_FLAG_FINGER_OUT)) &&
	    (err = dev_reading_check(r, cause)) != 0) {
		log_warnx("%s: implausible reading rejected", d->id);
		return EINVAL;
	}
	if (err != 0 && err != ENODATA && err != ETIMEDOUT && cause != NULL &&
	    *cause == NULL)
		dev_cause(cause, "%s", strerror(err));
	return err;
}

const struct driver *
dev_driver(const struct dev *d)
{
	return d->drv;
}

const struct dev_info *
dev_get_info(const struct dev *d)
{
	return &d->info;
}

const char *
dev_serial(const struct dev *d)
{
	return d->serial[0] != '\0' ? d->serial : d->info.serial;
}

const char *
dev_firmware(const struct dev *d)
{
	return d->firmware;
}

unsigned
dev_bad_frames(const struct dev *d)
{
	return d->nbad;
}

const char *
dev_id(const struct dev *d)
{
	return d->id;
}

void
dev_set_bad_cb(struct dev *d, dev_bad_cb cb, void *arg)
{
	d->bad_cb = cb;
	d->bad_arg = arg;
}

void
dev_bad_frame(struct dev *d, const char *fmt, ...)
{
	char *why;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	d->nbad++;
	log_warnx("%s: bad frame (%u so far): %s", d->id, d->nbad, why);
	if (d->bad_cb != NULL)
		d->bad_cb(d->bad_arg, why);
	free(why);
}

void
dev_reading_hash(struct dev_reading *r, const void *raw, size_t len)
{
	crypto_sha256(raw, len, r->raw_sha256);
}

void
dev_reading_time(struct dev_reading *r, int year, int mon, int day, int hour,
    int min, int sec)
{
	if (year < 1990 || year > 2099 || mon < 1 || mon > 12 || day < 1 ||
	    day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 ||
	    sec < 0 || sec > 60)
		return;
	snprintf(r->device_time, sizeof(r->device_time),
	    "%04d-%02d-%02dT%02d:%02d:%02d", year, mon, day, hour, min, sec);
}

/* --- transport calls --- */

void
dev_set_cancel(struct dev *d, const volatile sig_atomic_t *flag)
{
	d->cancel = flag;
}

static int
cancelled(const struct dev *d)
{
	return d->cancel != NULL && *d->cancel != 0;
}

int
dev_write(struct dev *d, const void *data, size_t len, unsigned timeout_ms)
{
	if (cancelled(d))
		return ECANCELED;
	return d->tp->write(d->tp_ctx, data, len, timeout_ms);
}

int
dev_read_in(
    struct dev *d, uint8_t *buf, size_t cap, size_t *got, unsigned timeout_ms)
{
	*got = 0;
	if (cancelled(d))
		return ECANCELED;
	return d->tp->read(d->tp_ctx, buf, cap, got, timeout_ms);
}

int
dev_fill(struct dev *d, uint8_t *buf, size_t *len, size_t cap, size_t chunk,
    unsigned timeout_ms, unsigned quiet)
{
	size_t got, n;
	unsigned silent = 0;
	int err;

	if (*len >= cap)
		return EMSGSIZE;
	n = cap - *len < chunk ? cap - *len : chunk;
	for (;;) {
		err = dev_read_in(d, buf + *len, n, &got, timeout_ms);
		if (err == 0 && got > 0) {
			*len += got;
			return 0;
		}
		if (err != 0 && err != ETIMEDOUT)
			return err;
		if (++silent >= quiet)
			return ETIMEDOUT;
	}
}

int
dev_control_out(struct dev *d, uint8_t reqtype, uint8_t req, uint16_t value,
    uint16_t index, const void *data, size_t len, unsigned timeout_ms)
{
	if (cancelled(d))
		return ECANCELED;
	return d->tp->control_out(
	    d->tp_ctx, reqtype, req, value, index, data, len, timeout_ms);
}

/* --- offline decoding --- */

int
dev_hex_parse(const char *text, uint8_t **out, size_t *len, char **cause)
{
	const char *p;
	char *digits;
	size_t n = 0, line = 1;
	int err;

	/* Strip white space and comments, then let hex_decode() work. */
	digits = xmalloc(strlen(text) + 1);
	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			line++;
		if (*p == '#') {
			while (p[1] != '\0' && p[1] != '\n')
				p++;
			continue;
		}
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p)) {
			dev_cause(cause, "line %zu: '%c' is not a hex digit",
			    line, *p);
			free(digits);
			return EINVAL;
		}
		digits[n++] = *p;
	}
	digits[n] = '\0';
	*out = xmalloc(n / 2 + 1);
	if ((err = hex_decode(digits, *out, n / 2 + 1, len)) != 0) {
		dev_cause(cause, "odd number of hex digits");
		free(*out);
		*out = NULL;
	}
	free(digits);
	return err;
}

int
dev_decode(const struct driver *drv, const uint8_t *capture, size_t len,
    dev_reading_cb cb, dev_bad_cb bad, void *arg, char **cause)
{
	struct dev_reading r;
	struct script *s;
	struct dev *d;
	char *why = NULL;
	int err;

	s = script_new_capture(capture, len, drv->in_size);
	d = dev_new(drv, &script_transport, s, NULL);
	d->decoding = 1;
	dev_set_bad_cb(d, bad, arg);
	if ((err = dev_start(d, cause)) != 0) {
		script_free(s);
		return err;
	}
	for (;;) {
		err = dev_read(d, &r, &why);
		if (err == 0) {
			cb(arg, &r);
			continue;
		}
		if (err == EINVAL && why != NULL) {
			/* An implausible reading: reported, not fatal. */
			char *msg;

			xasprintf(
			    &msg, "implausible reading rejected: %s", why);
			if (bad != NULL)
				bad(arg, msg);
			free(msg);
			free(why);
			why = NULL;
			continue;
		}
		break;
	}
	if (err == ENODATA || err == ETIMEDOUT)
		err = 0;
	else if (cause != NULL) {
		free(*cause);
		*cause = why;
		why = NULL;
	}
	free(why);
	dev_close(d);
	script_free(s);
	return err;
}

/* --- the virtual device: a script file over the capture transport --- */

#define VIRTUAL_FILE_MAX (1024 * 1024)

struct vfile {
	struct script *s;
	uint8_t *data;
};

static int
vf_control(void *ctx, uint8_t rt, uint8_t rq, uint16_t value, uint16_t index,
    const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct vfile *f = ctx;

	return script_transport.control_out(
	    f->s, rt, rq, value, index, data, len, timeout_ms);
}

static int
vf_write(void *ctx, const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct vfile *f = ctx;

	return script_transport.write(f->s, data, len, timeout_ms);
}

static int
vf_read(void *ctx, uint8_t *buf, size_t cap, size_t *got, unsigned timeout_ms)
{
	struct vfile *f = ctx;

	return script_transport.read(f->s, buf, cap, got, timeout_ms);
}

static void
vf_close(void *ctx)
{
	struct vfile *f = ctx;

	script_free(f->s);
	free(f->data);
	free(f);
}

static const struct dev_transport vfile_transport = {
	.control_out = vf_control,
	.write = vf_write,
	.read = vf_read,
	.close = vf_close,
};

int
dev_open_virtual(struct dev **out, char **cause)
{
	struct dev_info info;
	struct vfile *f;
	struct dev *d;
	const char *path;
	FILE *fp;
	size_t n;
	int err;

	*out = NULL;
	if ((path = getenv("OUTPOST_VIRTUAL_DEVICE")) == NULL ||
	    *path == '\0') {
		dev_cause(cause,
		    "no virtual device: set OUTPOST_VIRTUAL_DEVICE "
		    "to a script file");
		return ENOENT;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		err = errno;
		dev_cause(cause, "%s: %s", path, strerror(err));
		return err;
	}
	f = xcalloc(1, sizeof(*f));
	f->data = xmalloc(VIRTUAL_FILE_MAX);
	n = fread(f->data, 1, VIRTUAL_FILE_MAX, fp);
	fclose(fp);
	f->s = script_new_capture(f->data, n, 0);
	memset(&info, 0, sizeof(info));
	snprintf(info.path, sizeof(info.path), "virtual");
	snprintf(info.product, sizeof(info.product), "Virtual device");
	d = dev_new(&drv_virtual, &vfile_transport, f, &info);
	snprintf(d->id, sizeof(d->id), "virtual");
	if ((err = dev_start(d, cause)) != 0)
		return err;
	*out = d;
	return 0;
}
