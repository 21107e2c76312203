/*
 * USB medical devices as the kiosk sees them: which devices are attached,
 * which driver speaks to each, and the readings they produce.
 *
 * A reading (struct dev_reading) is one measurement event: one or more
 * values taken together (SpO2 + pulse, or SYS + DIA + pulse), the device's
 * own clock when it has one, flags, and the SHA-256 of the raw frames the
 * values were decoded from.  Values carry a quantity (enum dev_quantity)
 * that fixes their LOINC code and UCUM unit; dev_reading_check() rejects
 * implausible values with a reason before anything is shown or stored.
 *
 * This header knows nothing of libusb (see driver.h for the transport) or
 * of the store (kiosk/visit/observe.c turns readings into observations).
 */
#ifndef DEVICE_H
#define DEVICE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

enum dev_quantity {
	DEV_Q_SPO2 = 1, /* 59408-5, % */
	DEV_Q_PULSE, /* 8867-4, /min */
	DEV_Q_SYS, /* 8480-6, mm[Hg], panel 85354-9 */
	DEV_Q_DIA, /* 8462-4, mm[Hg], panel 85354-9 */
	DEV_Q_MAP, /* 8478-0, mm[Hg], panel 85354-9 */
	DEV_Q_GLUCOSE_MGDL, /* 2339-0, mg/dL */
	DEV_Q_GLUCOSE_MMOL, /* 15074-8, mmol/L */
	DEV_Q_TEMP, /* 8310-5, Cel */
	DEV_Q_WEIGHT, /* 29463-7, kg */
	DEV_Q_PI, /* 61006-3, % (perfusion index) */
	DEV_Q_MAX
};

struct dev_quantity_info {
	const char *name; /* "spo2", "pulse", ... (virtual scripts, JSON) */
	const char *loinc;
	const char *unit; /* UCUM */
	const char *panel; /* LOINC panel, or NULL */
	double min, max; /* plausible range, inclusive */
};

/* Lent; NULL for an unknown quantity. */
const struct dev_quantity_info *dev_quantity_info(int q);
/* Quantity by its name ("spo2"), or 0. */
int dev_quantity_by_name(const char *name);

#define DEV_READING_MAX 4

/* Flags of a reading. */
#define DEV_FLAG_IRREGULAR 0x01 /* irregular heartbeat detected */
#define DEV_FLAG_MOVEMENT 0x02 /* body movement during measurement */
#define DEV_FLAG_STORED 0x04 /* from the device's memory, not live */
#define DEV_FLAG_FINGER_OUT 0x08 /* status only: probe off, no values */

struct dev_value {
	int quantity; /* enum dev_quantity */
	double value;
};

struct dev_reading {
	struct dev_value v[DEV_READING_MAX];
	size_t n;
	char device_time[20]; /* "YYYY-MM-DDTHH:MM:SS" (device clock) or "" */
	unsigned flags; /* DEV_FLAG_* */
	char marker[16]; /* device-specific marker text (e.g. meal), or "" */
	uint8_t raw_sha256[32]; /* SHA-256 of the raw frames decoded */
};

/*
 * Is R plausible?  Each value within its quantity's range, DIA below SYS,
 * at least one value.  Returns 0 or EINVAL with *CAUSE (caller frees)
 * naming the quantity and the rule broken.
 */
int dev_reading_check(const struct dev_reading *r, char **cause);
/* Add a value to R; returns 0 or EMSGSIZE when R is full. */
int dev_reading_add(struct dev_reading *r, int quantity, double value);

/*
 * Format the reading's I-th value as one JSON object (no newline):
 * driver, loinc, value, unit, device_time, flags, and panel when set.
 * Returns a new string, the caller's.
 */
char *dev_value_json(const char *driver, const struct dev_reading *r, size_t i);

/* A USB device present on the bus. */
struct dev_info {
	uint16_t vid, pid;
	uint8_t bus, addr;
	char path[32]; /* "1-1.2": bus and port numbers */
	char product[64]; /* from sysfs or the string descriptor, or "" */
	char serial[64]; /* likewise */
	uint8_t classes[8]; /* interface classes of the active configuration */
	size_t nclasses;
};

struct driver;

/*
 * The driver for INFO, or NULL when no built-in driver knows it.  Matches
 * VID:PID (and the product string when the driver asks for one), then
 * interface classes (PHDC).
 */
const struct driver *driver_match(const struct dev_info *info);
/*
 * The next driver after AFTER in registry order that claims INFO by its
 * VID:PID, or NULL: several protocols share one ID (the CP2102 cable), so
 * a device is identified by which driver's handshake it answers.
 */
const struct driver *driver_match_next(
    const struct dev_info *info, const struct driver *after);
/* Driver by name, or NULL. */
const struct driver *driver_find(const char *name);
/* The NULL-terminated list of drivers, in registry order. */
extern const struct driver *const drivers[];
const char *driver_name(const struct driver *);
const char *driver_full_name(const struct driver *);

struct dev;

/*
 * Open the USB device INFO with DRV (the usb.c transport) and run the
 * driver's handshake; when that finds another protocol (EPROTO), try the
 * next driver claiming the same ID (driver_match_next); dev_driver() says
 * which one answered.  Returns 0, ENODEV (gone), EACCES (permissions),
 * EBUSY (claimed by another program), EIO/EPROTO/ETIMEDOUT with *CAUSE.
 */
int dev_open_usb(const struct driver *drv, const struct dev_info *info,
    struct dev **out, char **cause);
/*
 * Open the virtual driver's device (its script file comes from
 * $OUTPOST_VIRTUAL_DEVICE).  ENOENT when none is configured.
 */
int dev_open_virtual(struct dev **out, char **cause);
/*
 * Next reading.  Returns 0, ENODATA when the device has nothing more to
 * give in this session (a memory download ended, the agent released),
 * ETIMEDOUT when it went quiet, ENODEV when it was unplugged, EINVAL when
 * the reading was implausible and rejected (*CAUSE says why; keep reading),
 * or another errno with *CAUSE.  A reading with no values and
 * DEV_FLAG_FINGER_OUT is a status report, not a measurement.  Frames that fail their checks never yield a reading:
 * they are counted (dev_bad_frames) and skipped.
 */
int dev_read(struct dev *, struct dev_reading *r, char **cause);
/* Stop the device politely where the protocol allows, release it, free. */
void dev_close(struct dev *);

const struct driver *dev_driver(const struct dev *);
const struct dev_info *dev_get_info(const struct dev *);
/* Serial number / firmware reported by the protocol, or "". */
const char *dev_serial(const struct dev *);
const char *dev_firmware(const struct dev *);
/* Frames that failed a check (checksum, framing, sequence) so far. */
unsigned dev_bad_frames(const struct dev *);
/* A stable device id: "vvvv:pppp/serial" or "vvvv:pppp@path". Lent. */
const char *dev_id(const struct dev *);

/*
 * When *FLAG becomes non-zero, transfers fail with ECANCELED at once, so a
 * reader blocked in dev_read() returns within one transfer timeout.  FLAG
 * must outlive the device; setting it is safe from a signal handler.
 */
void dev_set_cancel(struct dev *, const volatile sig_atomic_t *flag);

/* Called for every frame that fails its checks (WHY is lent). */
typedef void (*dev_bad_cb)(void *arg, const char *why);
void dev_set_bad_cb(struct dev *, dev_bad_cb, void *arg);

/*
 * Decode CAPTURE (what the device sent in one session, in order) with
 * DRV, as if the device were attached: every reading goes to CB, every
 * bad frame to BAD.  Returns 0 or an errno with *CAUSE when the session
 * could not be followed at all.
 */
typedef void (*dev_reading_cb)(void *arg, const struct dev_reading *);
int dev_decode(const struct driver *drv, const uint8_t *capture, size_t len,
    dev_reading_cb cb, dev_bad_cb bad, void *arg, char **cause);

/* Read hex text (whitespace and '#' comments ignored) into bytes. */
int dev_hex_parse(const char *text, uint8_t **out, size_t *len, char **cause);

/* --- USB enumeration (usb.c) --- */

/* Attached USB devices; *LIST is the caller's (free()). */
int usb_list(struct dev_info **list, size_t *n, char **cause);

/*
 * Wait up to TIMEOUT_MS for a hot-plug event (libusb hot-plug when the
 * platform has it, else just sleep), so callers re-list only when
 * something may have changed.  Returns 1 when an event arrived, 0 on
 * timeout.
 */
int usb_wait_change(int timeout_ms);
void usb_shutdown(void);

#endif
