/*
 * What drivers use: struct driver (one per drv_*.c file, listed by hand in
 * registry.c), struct dev (an opened device) and the transport calls.
 *
 * Drivers never call libusb.  They talk through dev_write(), dev_read_in()
 * and dev_control_out(), which go to a transport: usb.c over libusb, or
 * script.c (scripted bytes for unit tests and `kiosk device decode`).  The
 * transport picks bulk or interrupt from the endpoint descriptors; drivers
 * only say "out" and "in".
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

struct dev_id {
	uint16_t vid, pid;
};

struct driver {
	const char *name; /* "contec_cms50_v7" */
	const char *full_name; /* "Contec CMS50D+/E/F (CP210x cable, V7)" */
	const struct dev_id *ids; /* ends with {0, 0}; may be NULL */
	uint8_t iface_class; /* match any device with this class, or 0 */
	const char *product; /* required product string, or NULL */
	size_t in_size; /* bytes per IN read: report size, or 0 */
	int live; /* streams live values (else: sessions) */
	int (*open)(struct dev *, char **cause);
	int (*read)(struct dev *, struct dev_reading *, char **cause);
	void (*close)(struct dev *); /* may be NULL; must not fail */
};

struct dev_transport {
	int (*control_out)(void *ctx, uint8_t reqtype, uint8_t req,
	    uint16_t value, uint16_t index, const uint8_t *data, size_t len,
	    unsigned timeout_ms);
	int (*write)(
	    void *ctx, const uint8_t *data, size_t len, unsigned timeout_ms);
	/* ETIMEDOUT when nothing arrived; ENODATA at the end of a capture. */
	int (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *got,
	    unsigned timeout_ms);
	void (*close)(void *ctx);
};

struct dev {
	const struct driver *drv;
	const struct dev_transport *tp;
	void *tp_ctx;
	struct dev_info info;
	char serial[64]; /* from the protocol */
	char firmware[64]; /* from the protocol */
	char id[96];
	int decoding; /* replaying a capture: host writes go nowhere */
	unsigned nbad;
	dev_bad_cb bad_cb;
	void *bad_arg;
	const volatile sig_atomic_t *cancel; /* reads stop when set */
	void *priv; /* the driver's; its close() frees it */
};

/* Transport calls for drivers.  0 or an errno (ETIMEDOUT, ENODEV, EIO...). */
int dev_write(struct dev *, const void *data, size_t len, unsigned timeout_ms);
int dev_read_in(
    struct dev *, uint8_t *buf, size_t cap, size_t *got, unsigned timeout_ms);
int dev_control_out(struct dev *, uint8_t reqtype, uint8_t req, uint16_t value,
    uint16_t index, const void *data, size_t len, unsigned timeout_ms);

/*
 * Append what the device sends next to BUF (*LEN bytes used of CAP), in
 * reads of at most CHUNK bytes; a read that times out is tried again up
 * to QUIET times.  Returns 0 once at least one byte came, ETIMEDOUT when
 * the device stayed quiet, EMSGSIZE when BUF is full, or the transport's
 * error.
 */
int dev_fill(struct dev *, uint8_t *buf, size_t *len, size_t cap, size_t chunk,
    unsigned timeout_ms, unsigned quiet);
/* Count a frame that failed its checks; logs WHY (never a value). */
void dev_bad_frame(struct dev *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set *CAUSE (when CAUSE is not NULL) to a formatted message. */
void dev_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* SHA-256 of LEN bytes into R->raw_sha256. */
void dev_reading_hash(struct dev_reading *r, const void *raw, size_t len);
/* Format a device clock into R->device_time; ignores impossible dates. */
void dev_reading_time(struct dev_reading *r, int year, int mon, int day,
    int hour, int min, int sec);

/*
 * Make a device over transport TP/CTX for DRV; dev_close() calls
 * TP->close(CTX) (a no-op for scripts, which their owner frees).  INFO may
 * be NULL.  Does not run the driver's open().
 */
struct dev *dev_new(const struct driver *drv, const struct dev_transport *tp,
    void *ctx, const struct dev_info *info);
/* Run the driver's open(); on failure the device is closed and freed. */
int dev_start(struct dev *, char **cause);

/* --- script transport (script.c) --- */

/*
 * A scripted device for tests.  TEXT has one step per line:
 *   > HEX        the host must write exactly these bytes
 *   < HEX        the next read returns these bytes
 *   c RT RQ VALUE INDEX [HEX]   the host must send this control-OUT
 *   ! ERRNAME    the next transfer fails (ETIMEDOUT, ENODEV, EIO, EPIPE)
 *   # comment, blank lines ignored.  HEX may end with "*N": pad with
 *   zeros to N bytes (a 64-byte report is "> 8101 *64").
 * After the last step reads return END_ERR (ETIMEDOUT by default).
 * A host transfer that differs from the script fails with EIO and is
 * recorded (script_error()).
 */
struct script;
struct script *script_new(const char *text);
/* A transport that serves CAPTURE in reads of CHUNK bytes (0: as much as
 * the reader asks) and accepts and ignores every host transfer. */
struct script *script_new_capture(
    const uint8_t *capture, size_t len, size_t chunk);
extern const struct dev_transport script_transport;
void script_set_end(struct script *, int end_err);
/* Make the Nth host-visible transfer (1-based) fail with ERR. */
void script_fail_at(struct script *, unsigned n, int err);
/* First mismatch, or NULL (lent). */
const char *script_error(const struct script *);
/* Steps not yet consumed. */
size_t script_left(const struct script *);
unsigned script_transfers(const struct script *);
void script_free(struct script *);

/* --- the drivers (registry.c lists them) --- */
extern const struct driver drv_contec_cms50_v7;
extern const struct driver drv_contec_cms50_legacy;
extern const struct driver drv_contec_cms50_hid;
extern const struct driver drv_omron_hem790it;
extern const struct driver drv_ascensia_contour;
extern const struct driver drv_phdc_11073;
extern const struct driver drv_virtual;

#endif
