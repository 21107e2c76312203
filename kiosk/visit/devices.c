/*
 * The device worker: while the vitals screen is open, one thread opens
 * the configured device and blocks in dev_read(), posting each reading
 * (or the reason it stopped) to the UI loop through a pipe
 * (visit_devices_fd).  The worker never touches curses, the store or the
 * visit; the UI thread drains the pipe (visit_devices_drain), which
 * applies readings to the visit (kiosk/visit/vitals.c).
 *
 * Readings are stored whole with their provenance (kiosk/visit/observe.c) and
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
#include "devices/watch.h"
#include "observe.h"
#include "i18n.h"
#include "log.h"
#include "str.h"
#include "visit.h"
#include "xmalloc.h"

enum {
	EV_ATTACHED = 1,
	EV_DETACHED,
	EV_OPENED,
	EV_READING,
	EV_REFUSED,
	EV_END,
	EV_ERROR
};

/* What the worker posts to the UI loop (a copy: nothing is shared). */
struct visit_dev_event {
	int kind;
	int err;
	int known; /* EV_ATTACHED: a driver knows it */
	struct dev_reading r;
	char text[96]; /* device id, driver, or the reason it stopped */
	/* EV_OPENED: where readings come from (provenance) */
	char driver[32], serial[64], firmware[64];
	uint16_t vid, pid;
};

struct worker {
	pthread_t thread;
	struct dev_watch *watch;
	int fd; /* write end */
};

static void
post(struct worker *w, const struct visit_dev_event *ev)
{
	ssize_t n;

	/* one event is far below PIPE_BUF, so the write is atomic */
	do
		n = write(w->fd, ev, sizeof(*ev));
	while (n < 0 && errno == EINTR);
}

/*
 * Called from the watch's threads: turn its event into a message for the
 * UI loop.  Hot-plug comes from devices/watch.c: a device plugged in while
 * the vitals screen is open is noticed and read, one that stops answering
 * is re-opened while it stays attached, and an unknown one is named.
 */
static void
on_watch_event(void *arg, const struct dev_event *de)
{
	struct worker *w = arg;
	struct visit_dev_event ev;

	memset(&ev, 0, sizeof(ev));
	if (de->info != NULL) {
		ev.vid = de->info->vid;
		ev.pid = de->info->pid;
	}
	switch (de->kind) {
	case DEV_EV_ATTACHED:
		ev.kind = EV_ATTACHED;
		ev.known = de->drv != NULL;
		str_lcpy(ev.text, de->drv != NULL ? driver_name(de->drv) : "",
		    sizeof(ev.text));
		break;
	case DEV_EV_DETACHED:
		ev.kind = EV_DETACHED;
		break;
	case DEV_EV_OPENED:
		ev.kind = EV_OPENED;
		str_lcpy(ev.text, dev_id(de->dev), sizeof(ev.text));
		str_lcpy(ev.driver, driver_name(dev_driver(de->dev)),
		    sizeof(ev.driver));
		str_lcpy(ev.serial, dev_serial(de->dev), sizeof(ev.serial));
		str_lcpy(
		    ev.firmware, dev_firmware(de->dev), sizeof(ev.firmware));
		ev.vid = dev_get_info(de->dev)->vid;
		ev.pid = dev_get_info(de->dev)->pid;
		break;
	case DEV_EV_READING:
		ev.kind = EV_READING;
		ev.r = *de->r;
		break;
	case DEV_EV_FINGER_OUT:
		ev.kind = EV_READING; /* a status report: no values */
		ev.r.flags = DEV_FLAG_FINGER_OUT;
		break;
	case DEV_EV_REJECTED:
		ev.kind = EV_REFUSED;
		str_lcpy(ev.text,
		    de->text != NULL ? de->text : "implausible value",
		    sizeof(ev.text));
		break;
	case DEV_EV_CLOSED:
		ev.kind =
		    de->err == 0 || de->err == ENODATA ? EV_END : EV_ERROR;
		ev.err = de->err;
		str_lcpy(ev.text,
		    de->text != NULL ? de->text : visit_strerror(de->err),
		    sizeof(ev.text));
		break;
	default:
		return; /* bad frames are counted by the driver */
	}
	post(w, &ev);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	while (
	    !dev_watch_stopped(w->watch) && dev_watch_step(w->watch, 500) >= 0)
		;
	return NULL;
}

/* Is a device a driver knows attached now (USB or the virtual one)? */
static const struct driver *
usb_known_device(void)
{
	struct dev_info *list = NULL;
	const struct driver *drv = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	if (usb_list(&list, &n, &cause) != 0) {
		log_info("no USB listing: %s", cause != NULL ? cause : "?");
		free(cause);
		return NULL;
	}
	for (i = 0; i < n && drv == NULL; i++)
		drv = driver_match(&list[i]);
	free(list);
	return drv;
}

void
visit_devices_init(struct visit *v)
{
	const char *script = getenv("OUTPOST_VIRTUAL_DEVICE");
	const struct driver *drv;

	if (script != NULL && script[0] != '\0' && access(script, R_OK) == 0) {
		v->dev_state = VISIT_DEV_IDLE;
		str_lcpy(v->dev_name, "virtual", sizeof(v->dev_name));
		return;
	}
	if ((drv = usb_known_device()) != NULL) {
		v->dev_state = VISIT_DEV_IDLE;
		str_lcpy(v->dev_name, driver_name(drv), sizeof(v->dev_name));
	} else {
		v->dev_state = VISIT_DEV_NONE;
		v->dev_name[0] = '\0';
	}
}

void
visit_devices_fini(struct visit *v)
{
	visit_devices_stop(v);
	if (getenv("OUTPOST_VIRTUAL_DEVICE") == NULL)
		usb_shutdown();
}

void
visit_devices_start(struct visit *v)
{
	struct dev_watch_opts wo;
	struct worker *w;

	if (v->dev_worker != NULL)
		return;
	if (pipe2(v->dev_pipe, O_CLOEXEC) != 0) {
		log_warn("pipe");
		v->dev_pipe[0] = v->dev_pipe[1] = -1;
		return;
	}
	/* Watch for devices for as long as the visit's vitals screen is
	 * open, even when none is attached yet: plugging one in is noticed. */
	w = xcalloc(1, sizeof(*w));
	w->fd = v->dev_pipe[1];
	memset(&wo, 0, sizeof(wo));
	w->watch = dev_watch_new(&wo, NULL, on_watch_event, w);
	if (w->watch == NULL ||
	    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		log_warnx("cannot start the device thread");
		dev_watch_free(w->watch);
		close(v->dev_pipe[0]);
		close(v->dev_pipe[1]);
		v->dev_pipe[0] = v->dev_pipe[1] = -1;
		free(w);
		return;
	}
	v->dev_worker = w;
	v->dev_error[0] = '\0';
	v->dev_readings = 0;
	log_info("device watch started");
}

void
visit_devices_stop(struct visit *v)
{
	struct worker *w = v->dev_worker;

	if (w == NULL)
		return;
	dev_watch_stop(w->watch);
	pthread_join(w->thread, NULL);
	dev_watch_free(w->watch); /* joins the readers */
	free(w);
	v->dev_worker = NULL;
	close(v->dev_pipe[0]);
	close(v->dev_pipe[1]);
	v->dev_pipe[0] = v->dev_pipe[1] = -1;
	if (v->dev_state != VISIT_DEV_NONE)
		v->dev_state = VISIT_DEV_IDLE;
	log_info("device worker stopped");
}

int
visit_devices_fd(const struct visit *v)
{
	return v->dev_pipe[0];
}

/* Apply one reading to the visit: each value that NEWS2 or the BP panel
 * uses.  A reading that fails the device module's own checks is dropped
 * with a message, never shown as a number. */
static void
apply_reading(struct visit *v, const struct dev_reading *r)
{
	struct vitals_source src;
	const char *cause = NULL;
	char *why = NULL;
	size_t i, saved = 0;
	int p, err;

	if (r->flags & DEV_FLAG_FINGER_OUT) {
		visit_say(
		    v, VISIT_MSG_WARN, _("Oximeter: finger out of the probe."));
		return;
	}
	if (dev_reading_check(r, &why) != 0) {
		visit_say(v, VISIT_MSG_WARN, _("Device reading refused: %s"),
		    why != NULL ? why : "implausible");
		free(why);
		return;
	}
	/* the whole reading, with where it came from, in the visit */
	memset(&src, 0, sizeof(src));
	src.driver = v->dev_driver;
	src.vid = v->dev_vid;
	src.pid = v->dev_pid;
	src.device_id = v->dev_id;
	src.serial = v->dev_serial;
	src.firmware = v->dev_firmware;
	if (v->store != NULL &&
	    (err = visit_session_encounter(v, "vitals")) == 0 &&
	    (err = vitals_save(
	         v->store, v->encounter_id, &src, r, &saved, &why)) != 0) {
		visit_say(v, VISIT_MSG_WARN, _("Device reading not saved: %s"),
		    why != NULL ? why : visit_strerror(err));
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
			visit_vitals_set_dia(v, (int)(r->v[i].value + 0.5), 1);
			continue;
		default:
			continue; /* glucose, weight...: not NEWS2 */
		}
		if (visit_vitals_set(v, p, r->v[i].value, 1, &cause) != 0)
			visit_say(v, VISIT_MSG_WARN,
			    _("Device value refused: %s"), cause);
	}
	v->dev_readings++;
}

int
visit_devices_drain(struct visit *v)
{
	struct visit_dev_event ev;
	ssize_t n;
	int changed = 0;

	n = read(v->dev_pipe[0], &ev, sizeof(ev));
	if (n != (ssize_t)sizeof(ev))
		return 0;
	changed = 1;
	switch (ev.kind) {
	case EV_ATTACHED:
		if (!ev.known) {
			visit_say(v, VISIT_MSG_WARN,
			    _("USB device %04x:%04x "
			      "plugged in: no driver knows it (type vitals in "
			      "by hand)"),
			    ev.vid, ev.pid);
			break;
		}
		/* say so only for a device plugged in now, not for the one
		 * that was there when the visit opened */
		if (v->dev_state == VISIT_DEV_NONE ||
		    v->dev_state == VISIT_DEV_ERROR) {
			v->dev_state = VISIT_DEV_IDLE;
			visit_say(v, VISIT_MSG_INFO, _("Device attached: %s"),
			    ev.text);
		}
		str_lcpy(v->dev_name, ev.text, sizeof(v->dev_name));
		break;
	case EV_DETACHED:
		if (v->dev_vid == ev.vid && v->dev_pid == ev.pid) {
			v->dev_state = VISIT_DEV_NONE;
			visit_say(v, VISIT_MSG_WARN,
			    _("Device removed: readings "
			      "stop; plug it back in or type vitals in"));
		}
		break;
	case EV_OPENED:
		v->dev_state = VISIT_DEV_READING;
		str_lcpy(v->dev_id, ev.text, sizeof(v->dev_id));
		str_lcpy(v->dev_driver, ev.driver, sizeof(v->dev_driver));
		str_lcpy(v->dev_serial, ev.serial, sizeof(v->dev_serial));
		str_lcpy(v->dev_firmware, ev.firmware, sizeof(v->dev_firmware));
		v->dev_vid = ev.vid;
		v->dev_pid = ev.pid;
		log_info("device %s open", ev.text);
		break;
	case EV_READING:
		if (v->have_patient)
			apply_reading(v, &ev.r);
		break;
	case EV_REFUSED:
		visit_say(v, VISIT_MSG_WARN, _("Device reading refused: %s"),
		    ev.text);
		break;
	case EV_END:
		v->dev_state = VISIT_DEV_DONE;
		break;
	default:
		v->dev_state = VISIT_DEV_ERROR;
		str_lcpy(v->dev_error, ev.text, sizeof(v->dev_error));
		log_warnx("device stopped: %d", ev.err);
		break;
	}
	return changed;
}
