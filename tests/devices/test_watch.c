/*
 * devices/watch.c: hot-plug and re-open logic against a fake bus whose
 * devices the test plugs in and out between steps.  Readable devices are
 * virtual-driver scripts; one fails to open, one stops answering.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/driver.h"
#include "devices/watch.h"
#include "test.h"
#include "xmalloc.h"

#define FAKE_MAX 8
#define EV_MAX 256

enum {
	GOOD_A = 1,
	GOOD_B = 2,
	BROKEN = 3,
	QUIET = 4,
	ENDLESS = 5,
	UNKNOWN = 9
};

static struct {
	pthread_mutex_t lock;
	struct dev_info present[FAKE_MAX];
	size_t npresent;
	struct script *scripts[64];
	size_t nscripts;
	struct {
		int kind, addr, err;
		double value;
	} ev[EV_MAX];
	size_t nev;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const texts[] = {
	[GOOD_A] = "spo2 97 pulse 72\nsys 120 dia 80\n",
	[GOOD_B] = "glucose-mgdl 133\n",
	[QUIET] = "temp 36.6\n",
};

static void
plug(int addr, int in)
{
	struct dev_info d;
	size_t i;

	pthread_mutex_lock(&fake.lock);
	if (in) {
		memset(&d, 0, sizeof(d));
		d.bus = 1;
		d.addr = (uint8_t)addr;
		if (addr == UNKNOWN) {
			d.vid = 0x046d;
			d.pid = 0xc52b;
			snprintf(d.path, sizeof(d.path), "1-9");
		} else
			snprintf(d.path, sizeof(d.path), "virtual");
		fake.present[fake.npresent++] = d;
	} else
		for (i = 0; i < fake.npresent; i++)
			if (fake.present[i].addr == addr) {
				fake.present[i] = fake.present[--fake.npresent];
				break;
			}
	pthread_mutex_unlock(&fake.lock);
}

static int
fake_list(void *arg, struct dev_info **list, size_t *n)
{
	(void)arg;
	pthread_mutex_lock(&fake.lock);
	*n = fake.npresent;
	*list = xcalloc(fake.npresent + 1, sizeof(**list));
	memcpy(*list, fake.present, fake.npresent * sizeof(**list));
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

static int
fake_open(void *arg, const struct driver *drv, const struct dev_info *info,
    struct dev **out, char **cause)
{
	const char *text;
	struct script *s;
	struct dev *d;
	int err;

	(void)arg;
	if (info->addr == BROKEN) {
		dev_cause(cause, "cannot claim the interface");
		return EBUSY;
	}
	if (info->addr == ENDLESS) { /* 200 readings, 20 ms apart */
		static char endless[200 * 32];
		size_t i, off = 0;

		for (i = 0; i < 200; i++)
			off += (size_t)snprintf(endless + off,
			    sizeof(endless) - off,
			    "spo2 97 pulse 72\nwait 20\n");
		text = endless;
	} else
		text = texts[info->addr];
	s = script_new_capture((const uint8_t *)text, strlen(text), 0);
	if (info->addr == QUIET)
		script_set_end(s, ETIMEDOUT);
	pthread_mutex_lock(&fake.lock);
	fake.scripts[fake.nscripts++] = s;
	pthread_mutex_unlock(&fake.lock);
	d = dev_new(drv, &script_transport, s, info);
	if ((err = dev_start(d, cause)) != 0)
		return err; /* dev_start freed d */
	*out = d;
	return 0;
}

static void
on_event(void *arg, const struct dev_event *ev)
{
	(void)arg;
	pthread_mutex_lock(&fake.lock);
	if (fake.nev < EV_MAX) {
		fake.ev[fake.nev].kind = ev->kind;
		fake.ev[fake.nev].addr = ev->info->addr;
		fake.ev[fake.nev].err = ev->err;
		fake.ev[fake.nev].value = ev->r != NULL ? ev->r->v[0].value : 0;
		fake.nev++;
	}
	pthread_mutex_unlock(&fake.lock);
}

static int
count(int kind, int addr)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&fake.lock);
	for (i = 0; i < fake.nev; i++)
		if (fake.ev[i].kind == kind && fake.ev[i].addr == addr)
			n++;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* Step until no reader runs (or 5 s). */
static void
settle(struct dev_watch *w)
{
	int i;

	for (i = 0; i < 500; i++)
		if (dev_watch_step(w, 10) == 0 && i > 0)
			break;
}

static void
reset(void)
{
	size_t i;

	for (i = 0; i < fake.nscripts; i++)
		script_free(fake.scripts[i]);
	fake.nscripts = 0;
	fake.npresent = 0;
	fake.nev = 0;
}

static const struct dev_watch_source source = { fake_list, fake_open, NULL };

static int
test_hotplug(void)
{
	struct dev_watch_opts o = { .retry_ms = 20 };
	struct dev_watch *w;
	int err = 0;

	reset();
	w = dev_watch_new(&o, &source, on_event, NULL);
	plug(GOOD_A, 1);
	plug(UNKNOWN, 1);
	settle(w);
	TEST_EQ(count(DEV_EV_ATTACHED, GOOD_A), 1);
	TEST_EQ(count(DEV_EV_ATTACHED, UNKNOWN), 1); /* listed, not read */
	TEST_EQ(count(DEV_EV_OPENED, UNKNOWN), 0);
	TEST_EQ(count(DEV_EV_READING, GOOD_A), 2);
	TEST_EQ(count(DEV_EV_CLOSED, GOOD_A), 1);
	/* Downloaded: not read again while it stays attached. */
	settle(w);
	TEST_EQ(count(DEV_EV_OPENED, GOOD_A), 1);
	/* A second device arrives while watching. */
	plug(GOOD_B, 1);
	settle(w);
	TEST_EQ(count(DEV_EV_READING, GOOD_B), 1);
	/* Removed, then plugged in again: read again. */
	plug(GOOD_A, 0);
	settle(w);
	TEST_EQ(count(DEV_EV_DETACHED, GOOD_A), 1);
	plug(GOOD_A, 1);
	settle(w);
	TEST_EQ(count(DEV_EV_ATTACHED, GOOD_A), 2);
	TEST_EQ(count(DEV_EV_READING, GOOD_A), 4);
out:
	dev_watch_free(w);
	reset();
	return err;
}

static int
test_reopen_after_failure(void)
{
	struct dev_watch_opts o = { .retry_ms = 20 };
	struct dev_watch *w;
	int err = 0, i;

	reset();
	w = dev_watch_new(&o, &source, on_event, NULL);
	plug(BROKEN, 1);
	plug(QUIET, 1);
	for (i = 0; i < 30; i++)
		dev_watch_step(w, 10);
	settle(w);
	/* Each failure closes the device and tries again later. */
	TEST_TRUE(count(DEV_EV_CLOSED, BROKEN) >= 2);
	TEST_EQ(count(DEV_EV_OPENED, BROKEN), 0);
	TEST_TRUE(count(DEV_EV_OPENED, QUIET) >= 2);
	TEST_TRUE(count(DEV_EV_READING, QUIET) >= 2);
	/* Gone: no more attempts. */
	plug(BROKEN, 0);
	plug(QUIET, 0);
	settle(w);
	i = count(DEV_EV_OPENED, QUIET);
	settle(w);
	TEST_EQ(count(DEV_EV_OPENED, QUIET), i);
	TEST_EQ(count(DEV_EV_DETACHED, QUIET), 1);
out:
	dev_watch_free(w);
	reset();
	return err;
}

static int
test_once(void)
{
	struct dev_watch_opts o = { .once = 1 };
	struct dev_watch *w;
	int err = 0;

	reset();
	w = dev_watch_new(&o, &source, on_event, NULL);
	TEST_EQ(dev_watch_once(w), ENOENT);
	dev_watch_free(w);
	w = dev_watch_new(&o, &source, on_event, NULL);
	plug(GOOD_A, 1);
	plug(GOOD_B, 1);
	TEST_EQ(dev_watch_once(w), 0);
	TEST_EQ(count(DEV_EV_READING, GOOD_A), 2); /* a whole session */
	TEST_EQ(count(DEV_EV_READING, GOOD_B), 1);
	dev_watch_free(w);
	w = dev_watch_new(&o, &source, on_event, NULL);
	plug(BROKEN, 1);
	TEST_EQ(dev_watch_once(w), EIO);
out:
	dev_watch_free(w);
	reset();
	return err;
}

/* dev_watch_stop() ends readers within one transfer, mid-session. */
static int
test_stop_midstream(void)
{
	struct dev_watch_opts o = { .retry_ms = 20 };
	struct dev_watch *w;
	int err = 0, i;

	reset();
	w = dev_watch_new(&o, &source, on_event, NULL);
	plug(ENDLESS, 1);
	for (i = 0; i < 300 && count(DEV_EV_READING, ENDLESS) < 3; i++)
		dev_watch_step(w, 10);
	TEST_TRUE(count(DEV_EV_READING, ENDLESS) >= 3);
	dev_watch_stop(w);
	dev_watch_free(w); /* joins: returns because reads are cancelled */
	w = NULL;
	TEST_EQ(count(DEV_EV_CLOSED, ENDLESS), 1);
out:
	dev_watch_free(w);
	reset();
	return err;
}

TEST_MAIN({ "hotplug", test_hotplug },
    { "stop_midstream", test_stop_midstream },
    { "reopen_after_failure", test_reopen_after_failure },
    { "once", test_once }, )
