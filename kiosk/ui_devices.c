/*
 * The device worker: while the vitals screen is open, one thread opens
 * the configured device and blocks in dev_read(), posting each reading
 * (or the reason it stopped) to the UI loop through a pipe.  The worker
 * never touches curses or the store; the UI thread applies readings to
 * the visit (kiosk/ui_vitals.c).
 *
 * Readings are stored whole with their provenance (kiosk/vitals.c) and
 * then scored.  The device is the virtual one when $OUTPOST_VIRTUAL_DEVICE
 * names a script (demos, training, tests), else the first attached USB
 * device a built-in driver knows (looked for again each time the visit
 * opens, so a device plugged in later is found).  One device at a time.
 */
#define LOG_MODULE "ui-dev"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/device.h"
#include "devices/driver.h"
#include "vitals.h"
#include "log.h"
#include "str.h"
#include "ui.h"
#include "xmalloc.h"

enum { EV_OPENED = 1, EV_READING, EV_REFUSED, EV_END, EV_ERROR };

struct dev_event {
	int kind;
	int err;
	struct dev_reading r;
	char text[96]; /* device id, or the reason it stopped */
	/* EV_OPENED: where readings come from (provenance) */
	char driver[32], serial[64], firmware[64];
	uint16_t vid, pid;
};

struct worker {
	pthread_t thread;
	atomic_int stop;
	int fd; /* write end */
	const struct driver *drv; /* NULL: the virtual device */
	struct dev_info info;
};

/* The USB device found by the last scan (UI thread only). */
static struct {
	int found;
	const struct driver *drv;
	struct dev_info info;
} usb;

static void
post(struct worker *w, const struct dev_event *ev)
{
	ssize_t n;

	/* one event is far below PIPE_BUF, so the write is atomic */
	do
		n = write(w->fd, ev, sizeof(*ev));
	while (n < 0 && errno == EINTR);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dev_event ev;
	struct dev *dev = NULL;
	char *cause = NULL;
	int err;

	memset(&ev, 0, sizeof(ev));
	err = w->drv != NULL ? dev_open_usb(w->drv, &w->info, &dev, &cause)
	                     : dev_open_virtual(&dev, &cause);
	if (err != 0) {
		ev.kind = EV_ERROR;
		ev.err = err;
		str_lcpy(ev.text, cause != NULL ? cause : ui_strerror(err),
		    sizeof(ev.text));
		free(cause);
		post(w, &ev);
		return NULL;
	}
	ev.kind = EV_OPENED;
	str_lcpy(ev.text, dev_id(dev), sizeof(ev.text));
	str_lcpy(ev.driver, driver_name(dev_driver(dev)), sizeof(ev.driver));
	str_lcpy(ev.serial, dev_serial(dev), sizeof(ev.serial));
	str_lcpy(ev.firmware, dev_firmware(dev), sizeof(ev.firmware));
	ev.vid = dev_get_info(dev)->vid;
	ev.pid = dev_get_info(dev)->pid;
	post(w, &ev);
	while (!atomic_load(&w->stop)) {
		memset(&ev, 0, sizeof(ev));
		err = dev_read(dev, &ev.r, &cause);
		if (atomic_load(&w->stop))
			break;
		if (err == ETIMEDOUT)
			continue;
		if (err == EINVAL) {
			/* One implausible reading was refused (dev_read said
			 * why); the device is fine: tell the CHW, read on. */
			ev.kind = EV_REFUSED;
			str_lcpy(ev.text,
			    cause != NULL ? cause : "implausible value",
			    sizeof(ev.text));
			free(cause);
			cause = NULL;
			post(w, &ev);
			continue;
		}
		if (err != 0) {
			ev.kind = err == ENODATA ? EV_END : EV_ERROR;
			ev.err = err;
			str_lcpy(ev.text,
			    cause != NULL ? cause : ui_strerror(err),
			    sizeof(ev.text));
			free(cause);
			cause = NULL;
			post(w, &ev);
			break;
		}
		ev.kind = EV_READING;
		post(w, &ev);
	}
	free(cause);
	dev_close(dev);
	return NULL;
}

/* Look for the first attached USB device a driver knows. */
static void
usb_scan(void)
{
	struct dev_info *list = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	memset(&usb, 0, sizeof(usb));
	if (usb_list(&list, &n, &cause) != 0) {
		log_info("no USB listing: %s", cause != NULL ? cause : "?");
		free(cause);
		return;
	}
	for (i = 0; i < n && !usb.found; i++)
		if ((usb.drv = driver_match(&list[i])) != NULL) {
			usb.info = list[i];
			usb.found = 1;
		}
	free(list);
}

void
ui_devices_init(struct ui *ui)
{
	const char *v = getenv("OUTPOST_VIRTUAL_DEVICE");

	if (v != NULL && v[0] != '\0') {
		ui->dev_state = UI_DEV_IDLE;
		str_lcpy(ui->dev_name, "virtual", sizeof(ui->dev_name));
		return;
	}
	usb_scan();
	if (usb.found) {
		ui->dev_state = UI_DEV_IDLE;
		str_lcpy(
		    ui->dev_name, driver_name(usb.drv), sizeof(ui->dev_name));
	} else {
		ui->dev_state = UI_DEV_NONE;
		ui->dev_name[0] = '\0';
	}
}

void
ui_devices_fini(struct ui *ui)
{
	ui_devices_stop(ui);
	if (getenv("OUTPOST_VIRTUAL_DEVICE") == NULL)
		usb_shutdown();
}

void
ui_devices_start(struct ui *ui)
{
	struct worker *w;

	if (ui->dev_worker != NULL)
		return;
	if (strcmp(ui->dev_name, "virtual") != 0) {
		ui_devices_init(ui); /* a device may have been plugged in */
		if (ui->dev_state == UI_DEV_NONE)
			return;
	}
	if (pipe2(ui->dev_pipe, O_CLOEXEC) != 0) {
		log_warn("pipe");
		ui->dev_pipe[0] = ui->dev_pipe[1] = -1;
		return;
	}
	w = xcalloc(1, sizeof(*w));
	atomic_init(&w->stop, 0);
	w->fd = ui->dev_pipe[1];
	if (strcmp(ui->dev_name, "virtual") != 0) {
		w->drv = usb.drv;
		w->info = usb.info;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		log_warnx("cannot start the device thread");
		close(ui->dev_pipe[0]);
		close(ui->dev_pipe[1]);
		ui->dev_pipe[0] = ui->dev_pipe[1] = -1;
		free(w);
		return;
	}
	ui->dev_worker = w;
	ui->dev_state = UI_DEV_READING;
	ui->dev_error[0] = '\0';
	ui->dev_readings = 0;
	log_info("device worker started");
}

void
ui_devices_stop(struct ui *ui)
{
	struct worker *w = ui->dev_worker;

	if (w == NULL)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	free(w);
	ui->dev_worker = NULL;
	close(ui->dev_pipe[0]);
	close(ui->dev_pipe[1]);
	ui->dev_pipe[0] = ui->dev_pipe[1] = -1;
	if (ui->dev_state != UI_DEV_NONE)
		ui->dev_state = UI_DEV_IDLE;
	log_info("device worker stopped");
}

/* Apply one reading to the visit: each value that NEWS2 or the BP panel
 * uses.  A reading that fails the device module's own checks is dropped
 * with a message, never shown as a number. */
static void
apply_reading(struct ui *ui, const struct dev_reading *r)
{
	struct vitals_source src;
	const char *cause = NULL;
	char *why = NULL;
	size_t i, saved = 0;
	int p, err;

	if (r->flags & DEV_FLAG_FINGER_OUT) {
		ui_message(
		    ui, UI_MSG_WARN, "Oximeter: finger out of the probe.");
		return;
	}
	if (dev_reading_check(r, &why) != 0) {
		ui_message(ui, UI_MSG_WARN, "Device reading refused: %s",
		    why != NULL ? why : "implausible");
		free(why);
		return;
	}
	/* the whole reading, with where it came from, in the visit */
	memset(&src, 0, sizeof(src));
	src.driver = ui->dev_driver;
	src.vid = ui->dev_vid;
	src.pid = ui->dev_pid;
	src.device_id = ui->dev_id;
	src.serial = ui->dev_serial;
	src.firmware = ui->dev_firmware;
	if (ui->store != NULL &&
	    (err = ui_session_encounter(ui, "vitals")) == 0 &&
	    (err = vitals_save(
	         ui->store, ui->encounter_id, &src, r, &saved, &why)) != 0) {
		ui_message(ui, UI_MSG_WARN, "Device reading not saved: %s",
		    why != NULL ? why : ui_strerror(err));
		free(why);
		return;
	}
	for (i = 0; i < r->n; i++) {
		switch (r->v[i].quantity) {
		case DEV_Q_SPO2:
			p = NEWS2_SPO2;
			break;
		case DEV_Q_PULSE:
			p = NEWS2_PULSE;
			break;
		case DEV_Q_SYS:
			p = NEWS2_SBP;
			break;
		case DEV_Q_TEMP:
			p = NEWS2_TEMP;
			break;
		case DEV_Q_DIA:
			ui_vitals_set_dia(ui, (int)(r->v[i].value + 0.5), 1);
			continue;
		default:
			continue; /* glucose, weight...: not NEWS2 */
		}
		if (ui_vitals_set(ui, p, r->v[i].value, 1, &cause) != 0)
			ui_message(
			    ui, UI_MSG_WARN, "Device value refused: %s", cause);
	}
	ui->dev_readings++;
}

int
ui_devices_drain(struct ui *ui)
{
	struct dev_event ev;
	ssize_t n;
	int changed = 0;

	n = read(ui->dev_pipe[0], &ev, sizeof(ev));
	if (n != (ssize_t)sizeof(ev))
		return 0;
	changed = 1;
	switch (ev.kind) {
	case EV_OPENED:
		ui->dev_state = UI_DEV_READING;
		str_lcpy(ui->dev_id, ev.text, sizeof(ui->dev_id));
		str_lcpy(ui->dev_driver, ev.driver, sizeof(ui->dev_driver));
		str_lcpy(ui->dev_serial, ev.serial, sizeof(ui->dev_serial));
		str_lcpy(
		    ui->dev_firmware, ev.firmware, sizeof(ui->dev_firmware));
		ui->dev_vid = ev.vid;
		ui->dev_pid = ev.pid;
		log_info("device %s open", ev.text);
		break;
	case EV_READING:
		if (ui->have_patient)
			apply_reading(ui, &ev.r);
		break;
	case EV_REFUSED:
		ui_message(
		    ui, UI_MSG_WARN, "Device reading refused: %s", ev.text);
		break;
	case EV_END:
		ui->dev_state = UI_DEV_DONE;
		break;
	default:
		ui->dev_state = UI_DEV_ERROR;
		str_lcpy(ui->dev_error, ev.text, sizeof(ui->dev_error));
		log_warnx("device stopped: %d", ev.err);
		break;
	}
	return changed;
}
