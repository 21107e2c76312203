/*
 * Watching for devices: notices devices attached and removed (libusb
 * hot-plug where the platform has it, otherwise a re-list every poll),
 * reads each device its driver knows on its own thread, closes a device
 * that stops answering and opens it again while it stays attached, and
 * does not repeat a finished memory download until the device is plugged
 * in again.  Everything that happens is an event passed to one callback;
 * the kiosk UI posts them to its loop, `kiosk device read` prints them.
 */
#ifndef DEVICES_WATCH_H
#define DEVICES_WATCH_H

#include "device.h"

enum dev_event_kind {
	DEV_EV_ATTACHED = 1, /* info; drv NULL when no driver knows it */
	DEV_EV_DETACHED, /* info */
	DEV_EV_OPENED, /* dev */
	DEV_EV_READING, /* dev, r (already checked) */
	DEV_EV_FINGER_OUT, /* dev */
	DEV_EV_REJECTED, /* dev, text: why the reading was refused */
	DEV_EV_BAD_FRAME, /* dev, text */
	DEV_EV_CLOSED, /* info, err (0: complete), text; dev if it opened */
};

struct dev_event {
	enum dev_event_kind kind;
	const struct dev_info *info;
	const struct driver *drv;
	struct dev *dev; /* lent, for the call only; or NULL */
	const struct dev_reading *r; /* DEV_EV_READING */
	int err;
	const char *text;
};

/*
 * Called from the watch's threads (one per device) and from the thread
 * calling dev_watch_step(): it must be thread-safe and must not block for
 * long.  Nothing passed to it outlives the call.
 */
typedef void (*dev_event_cb)(void *arg, const struct dev_event *);

/*
 * Where devices come from; the defaults are USB and the virtual device.
 * A listed device whose path is "virtual" is read by the virtual driver.
 */
struct dev_watch_source {
	int (*list)(void *arg, struct dev_info **list, size_t *n);
	int (*open)(void *arg, const struct driver *, const struct dev_info *,
	    struct dev **, char **cause);
	void *arg;
};

struct dev_watch_opts {
	const struct driver *only; /* read only this driver's devices */
	int once; /* stop a live device at its first reading */
	unsigned retry_ms; /* before re-opening (default 5000) */
	unsigned timeout_s; /* with once: give up after (default 30) */
};

struct dev_watch;

/* SOURCE may be NULL (USB + $OUTPOST_VIRTUAL_DEVICE). */
struct dev_watch *dev_watch_new(const struct dev_watch_opts *,
    const struct dev_watch_source *source, dev_event_cb cb, void *arg);
/*
 * Re-list, report what came and went, start readers for new devices and
 * collect finished ones, then wait up to WAIT_MS for a hot-plug event.
 * Returns the number of devices being read.
 */
int dev_watch_step(struct dev_watch *, int wait_ms);
/*
 * Read every device present now, in parallel, each to the end of its
 * session (or its first live reading with opts.once).  Returns 0 when all
 * ended cleanly, ENOENT when there was none to read, EIO when one failed.
 */
int dev_watch_once(struct dev_watch *);
/* Ask the readers to stop (safe from a signal handler). */
void dev_watch_stop(struct dev_watch *);
int dev_watch_stopped(const struct dev_watch *);
/* Stop, join the readers and free.  NULL is a no-op. */
void dev_watch_free(struct dev_watch *);

#endif
