/*
 * Device watching (watch.h): one slot per attached device, one reader
 * thread per slot while it is being read.  The caller's thread lists the
 * bus, reports arrivals and removals, starts and joins readers; readers
 * only open, read, report and close.  Deliberately simple: a fixed table
 * of slots, no queue (events go straight to the callback).
 */
#define LOG_MODULE "watch"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "clock.h"
#include "driver.h"
#include "log.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_SLOTS 32

struct slot {
	struct dev_info info;
	const struct driver *drv;
	struct dev_watch *w;
	struct dev *dev; /* while open, for bad-frame events */
	pthread_t thread;
	int used, present, running, done;
	atomic_int finished;
	int last_err;
	uint64_t retry_at;
};

struct dev_watch {
	struct dev_watch_opts opts;
	struct dev_watch_source src;
	int usb;
	dev_event_cb cb;
	void *arg;
	volatile sig_atomic_t stop;
	struct slot slots[WATCH_SLOTS];
};

static int
default_list(void *arg, struct dev_info **list, size_t *n)
{
	const char *v = getenv("OUTPOST_VIRTUAL_DEVICE");
	char *cause = NULL;
	int err;

	(void)arg;
	if ((err = usb_list(list, n, &cause)) != 0) {
		log_warnx("%s", cause);
		free(cause);
		*n = 0;
		*list = NULL;
	}
	/* The virtual device is "attached" while its script exists, so
	 * demos and tests can plug it in and pull it out. */
	if (v != NULL && *v != '\0' && access(v, R_OK) == 0) {
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		memset(&(*list)[*n], 0, sizeof(**list));
		snprintf((*list)[*n].path, sizeof((*list)[*n].path), "virtual");
		(*n)++;
	}
	return 0;
}

static int
default_open(void *arg, const struct driver *drv, const struct dev_info *info,
    struct dev **d, char **cause)
{
	(void)arg;
	if (drv == &drv_virtual)
		return dev_open_virtual(d, cause);
	return dev_open_usb(drv, info, d, cause);
}

struct dev_watch *
dev_watch_new(const struct dev_watch_opts *opts,
    const struct dev_watch_source *src, dev_event_cb cb, void *arg)
{
	struct dev_watch *w;

	w = xcalloc(1, sizeof(*w));
	if (opts != NULL)
		w->opts = *opts;
	if (w->opts.retry_ms == 0)
		w->opts.retry_ms = 5000;
	if (w->opts.timeout_s == 0)
		w->opts.timeout_s = 30;
	if (src != NULL)
		w->src = *src;
	else {
		w->src.list = default_list;
		w->src.open = default_open;
		w->usb = 1;
	}
	w->cb = cb;
	w->arg = arg;
	return w;
}

static void
emit(struct slot *s, enum dev_event_kind kind, const struct dev_reading *r,
    int err, const char *text)
{
	struct dev_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.info = &s->info;
	ev.drv = s->dev != NULL ? dev_driver(s->dev) : s->drv;
	ev.dev = s->dev;
	ev.r = r;
	ev.err = err;
	ev.text = text;
	s->w->cb(s->w->arg, &ev);
}

static void
on_bad(void *arg, const char *why)
{
	emit(arg, DEV_EV_BAD_FRAME, NULL, 0, why);
}

/* A reader thread: open, read until done, gone or stopped, close. */
static void *
reader(void *arg)
{
	struct slot *s = arg;
	struct dev_watch *w = s->w;
	struct dev_reading r;
	struct dev *d = NULL;
	char *cause = NULL, *closing = NULL;
	uint64_t deadline =
	    clock_mono_ms() + (uint64_t)w->opts.timeout_s * 1000;
	int err;

	if ((err = w->src.open(w->src.arg, s->drv, &s->info, &d, &cause)) !=
	    0) {
		emit(
		    s, DEV_EV_CLOSED, NULL, err, cause ? cause : strerror(err));
		goto out;
	}
	s->dev = d;
	dev_set_bad_cb(d, on_bad, s);
	dev_set_cancel(d, &w->stop);
	emit(s, DEV_EV_OPENED, NULL, 0, NULL);
	while (!w->stop) {
		err = dev_read(d, &r, &cause);
		if (err == 0 && r.n == 0 && (r.flags & DEV_FLAG_FINGER_OUT))
			emit(s, DEV_EV_FINGER_OUT, NULL, 0, NULL);
		else if (err == 0) {
			emit(s, DEV_EV_READING, &r, 0, NULL);
			if (w->opts.once && dev_driver(d)->live)
				break;
		} else if (err == EINVAL)
			emit(s, DEV_EV_REJECTED, NULL, err, cause);
		else {
			if (err == ENODATA)
				err = 0;
			else if (err == ETIMEDOUT)
				closing = xstrdup("stopped answering");
			else
				closing =
				    xstrdup(cause ? cause : strerror(err));
			break;
		}
		free(cause);
		cause = NULL;
		if (w->opts.once && clock_mono_ms() > deadline) {
			err = ETIMEDOUT;
			xasprintf(&closing, "no reading within %u s",
			    w->opts.timeout_s);
			break;
		}
	}
	if (w->stop) { /* asked to stop: not a device failure */
		err = 0;
		free(closing);
		closing = NULL;
	}
	/* Reported while the device can still be named. */
	emit(s, DEV_EV_CLOSED, NULL, err,
	    closing != NULL ? closing
	        : w->stop   ? "stopped"
	                    : "session complete");
	dev_close(d);
	s->dev = NULL;
out:
	free(cause);
	free(closing);
	s->last_err = err;
	atomic_store(&s->finished, 1);
	return NULL;
}

static int
same_device(const struct dev_info *a, const struct dev_info *b)
{
	return a->bus == b->bus && a->addr == b->addr && a->vid == b->vid &&
	    a->pid == b->pid && strcmp(a->path, b->path) == 0;
}

static const struct driver *
match(const struct dev_watch *w, const struct dev_info *info)
{
	const struct driver *drv;

	drv = strcmp(info->path, "virtual") == 0 ? &drv_virtual
	                                         : driver_match(info);
	if (w->opts.only != NULL && drv != w->opts.only)
		return NULL;
	return drv;
}

static void
start(struct slot *s)
{
	atomic_store(&s->finished, 0);
	if (pthread_create(&s->thread, NULL, reader, s) == 0)
		s->running = 1;
	else
		log_warnx("cannot start a reader thread");
}

static void
join(struct slot *s, int force)
{
	if (!s->running || (!force && !atomic_load(&s->finished)))
		return;
	pthread_join(s->thread, NULL);
	s->running = 0;
	if (s->last_err == 0)
		s->done = 1; /* not again until it is plugged in again */
	else
		s->retry_at = clock_mono_ms() + s->w->opts.retry_ms;
}

/* List and update the slots; report arrivals and removals. */
static void
scan(struct dev_watch *w)
{
	struct dev_info *list = NULL;
	struct slot *s;
	size_t i, k, n = 0;

	if (w->src.list(w->src.arg, &list, &n) != 0)
		n = 0;
	for (k = 0; k < WATCH_SLOTS; k++)
		w->slots[k].present = 0;
	for (i = 0; i < n; i++) {
		for (k = 0; k < WATCH_SLOTS; k++)
			if (w->slots[k].used &&
			    same_device(&w->slots[k].info, &list[i]))
				break;
		if (k == WATCH_SLOTS) {
			for (k = 0; k < WATCH_SLOTS && w->slots[k].used; k++)
				;
			if (k == WATCH_SLOTS)
				continue; /* more devices than a kiosk has */
			s = &w->slots[k];
			memset(s, 0, sizeof(*s));
			s->used = 1;
			s->w = w;
			s->info = list[i];
			s->drv = match(w, &list[i]);
			emit(s, DEV_EV_ATTACHED, NULL, 0, NULL);
		}
		w->slots[k].present = 1;
	}
	free(list);
}

int
dev_watch_step(struct dev_watch *w, int wait_ms)
{
	struct timespec ts = { wait_ms / 1000,
		(long)(wait_ms % 1000) * 1000000 };
	struct slot *s;
	size_t k;
	int reading = 0;

	scan(w);
	for (k = 0; k < WATCH_SLOTS; k++) {
		s = &w->slots[k];
		if (!s->used)
			continue;
		join(s, 0);
		if (!s->present && !s->running) {
			emit(s, DEV_EV_DETACHED, NULL, 0, NULL);
			s->used = 0;
			continue;
		}
		if (s->present && s->drv != NULL && !s->running && !s->done &&
		    !w->stop && clock_mono_ms() >= s->retry_at)
			start(s);
		reading += s->running;
	}
	if (wait_ms > 0 && !w->stop) {
		if (w->usb)
			usb_wait_change(wait_ms);
		else
			nanosleep(&ts, NULL);
	}
	return reading;
}

int
dev_watch_once(struct dev_watch *w)
{
	size_t k;
	int tried = 0, failed = 0;

	scan(w);
	for (k = 0; k < WATCH_SLOTS; k++)
		if (w->slots[k].used && w->slots[k].drv != NULL) {
			start(&w->slots[k]);
			tried++;
		}
	for (k = 0; k < WATCH_SLOTS; k++) {
		if (!w->slots[k].running)
			continue;
		join(&w->slots[k], 1);
		if (w->slots[k].last_err != 0)
			failed++;
	}
	if (tried == 0)
		return ENOENT;
	return failed > 0 ? EIO : 0;
}

void
dev_watch_stop(struct dev_watch *w)
{
	w->stop = 1;
}

int
dev_watch_stopped(const struct dev_watch *w)
{
	return w->stop != 0;
}

void
dev_watch_free(struct dev_watch *w)
{
	size_t k;

	if (w == NULL)
		return;
	w->stop = 1;
	for (k = 0; k < WATCH_SLOTS; k++)
		join(&w->slots[k], 1);
	free(w);
}
