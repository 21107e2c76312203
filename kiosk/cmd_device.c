/*
 * kiosk device: USB medical devices from the command line, for support
 * staff, field debugging and tests.
 *
 *   kiosk device list [--drivers] [--udev] [--json]
 *   kiosk device read [--driver NAME] [--once] [--json] [--timeout SEC]
 *                     [--encounter ID | --patient ID]
 *   kiosk device decode --driver NAME FILE
 *
 * `read` without --once keeps running: devices attached later are
 * noticed (libusb hot-plug where the platform has it, otherwise a re-list
 * every second), each device is read by its own thread, a device that
 * stops answering is closed and opened again while it stays attached, and
 * a memory download is not repeated until the device is plugged in again.
 * Readings go to stdout; everything else (attach/detach, finger out,
 * rejected readings, bad frames) to stderr.  No values are logged.
 */
#define LOG_MODULE "cmd-device"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "devices/driver.h"
#include "kctx.h"
#include "log.h"
#include "store.h"
#include "vitals.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_device;

#define READ_SLOTS 32
#define RETRY_SECONDS 5

static volatile sig_atomic_t device_stop;

struct reader {
	pthread_mutex_t lock;
	int json, once;
	long long timeout;
	const char *encounter;
	struct store *store;
	unsigned readings, failures;
};

struct slot {
	struct dev_info info;
	const struct driver *drv;
	struct reader *rd;
	pthread_t thread;
	int used, present, running, joined, done;
	volatile int finished;
	int last_err;
	time_t retry_at;
};

static const char *
value_name(int q)
{
	const struct dev_quantity_info *qi = dev_quantity_info(q);

	return qi != NULL ? qi->name : "?";
}

static void
emit(struct reader *rd, struct dev *d, const struct dev_reading *r)
{
	const struct dev_info *info = dev_get_info(d);
	struct vitals_source src;
	char *line, *cause = NULL;
	size_t i, saved;
	int err;

	pthread_mutex_lock(&rd->lock);
	rd->readings++;
	for (i = 0; i < r->n; i++) {
		if (rd->json) {
			line = dev_value_json(dev_driver(d)->name, r, i);
			printf("%s\n", line);
			free(line);
		} else
			printf("%s%s %g %s", i == 0 ? "" : ", ",
			    value_name(r->v[i].quantity), r->v[i].value,
			    dev_quantity_info(r->v[i].quantity)->unit);
	}
	if (!rd->json)
		printf("  [%s %s%s%s]\n", dev_driver(d)->name, dev_id(d),
		    r->device_time[0] ? " " : "", r->device_time);
	fflush(stdout);
	if (rd->store != NULL) {
		src.driver = dev_driver(d)->name;
		src.vid = info->vid;
		src.pid = info->pid;
		src.device_id = dev_id(d);
		src.serial = dev_serial(d);
		src.firmware = dev_firmware(d);
		err = vitals_save(rd->store, rd->encounter, &src, r, &saved,
		    &cause);
		if (err != 0) {
			rd->failures++;
			fprintf(stderr, "kiosk: reading from %s not saved: %s\n",
			    dev_id(d), cause != NULL ? cause : strerror(err));
		} else
			fprintf(stderr, "saved %zu observation%s to encounter "
			    "%s\n", saved, saved == 1 ? "" : "s", rd->encounter);
		free(cause);
	}
	pthread_mutex_unlock(&rd->lock);
}

static void
say(struct reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&rd->lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&rd->lock);
}

static void
on_bad(void *arg, const char *why)
{
	struct reader *rd = arg;

	say(rd, "bad frame: %s\n", why);
}

/* Open and read one device until it is done, gone or told to stop. */
static int
read_device(struct reader *rd, const struct driver *drv,
    const struct dev_info *info)
{
	struct dev_reading r;
	struct dev *d;
	char *cause = NULL;
	time_t deadline = time(NULL) + rd->timeout;
	int err;

	if (info == NULL)
		err = dev_open_virtual(&d, &cause);
	else
		err = dev_open_usb(drv, info, &d, &cause);
	if (err != 0) {
		say(rd, "kiosk: %s %04x:%04x: %s\n", drv->name,
		    info ? info->vid : 0, info ? info->pid : 0,
		    cause ? cause : strerror(err));
		free(cause);
		return err;
	}
	dev_set_bad_cb(d, on_bad, rd);
	say(rd, "reading %s with %s%s%s\n", dev_id(d), drv->name,
	    dev_firmware(d)[0] ? ", " : "", dev_firmware(d));
	while (!device_stop) {
		err = dev_read(d, &r, &cause);
		if (err == 0 && r.n == 0 && (r.flags & DEV_FLAG_FINGER_OUT))
			say(rd, "%s: finger out\n", dev_id(d));
		else if (err == 0) {
			emit(rd, d, &r);
			if (rd->once && drv->live)
				break; /* else: the whole session */
		} else if (err == EINVAL)
			say(rd, "%s: reading rejected: %s\n", dev_id(d), cause);
		else if (err == ENODATA) {
			err = 0;
			say(rd, "%s: session complete\n", dev_id(d));
			break;
		} else {
			say(rd, "%s: %s\n", dev_id(d), err == ETIMEDOUT ?
			    "stopped answering" : cause ? cause :
			    strerror(err));
			break;
		}
		free(cause);
		cause = NULL;
		if (rd->once && time(NULL) > deadline) {
			say(rd, "%s: no reading within %lld s\n", dev_id(d),
			    rd->timeout);
			err = ETIMEDOUT;
			break;
		}
	}
	free(cause);
	if (dev_bad_frames(d) > 0)
		say(rd, "%s: %u bad frame%s\n", dev_id(d), dev_bad_frames(d),
		    dev_bad_frames(d) == 1 ? "" : "s");
	dev_close(d);
	return err;
}

static void *
slot_thread(void *arg)
{
	struct slot *s = arg;

	s->last_err = read_device(s->rd, s->drv,
	    s->info.path[0] == 'v' ? NULL : &s->info);
	s->finished = 1;
	return NULL;
}

static void
on_signal(int sig)
{
	(void)sig;
	device_stop = 1;
}

static int
same_device(const struct dev_info *a, const struct dev_info *b)
{
	return a->bus == b->bus && a->addr == b->addr && a->vid == b->vid &&
	    a->pid == b->pid && strcmp(a->path, b->path) == 0;
}

/* The devices to read now: USB ones DRV (or any driver) claims, and the
 * virtual device when asked for or configured. */
static int
gather(const struct driver *only, struct dev_info **out, size_t *n,
    const struct driver ***drvs)
{
	struct dev_info *list;
	size_t i, k = 0, cnt;
	const char *v = getenv("OUTPOST_VIRTUAL_DEVICE");
	char *cause = NULL;
	int err;

	if ((err = usb_list(&list, &cnt, &cause)) != 0) {
		log_warnx("%s", cause);
		free(cause);
		cnt = 0;
		list = xcalloc(1, sizeof(*list));
	}
	list = xreallocarray(list, cnt + 1, sizeof(*list));
	*drvs = xcalloc(cnt + 1, sizeof(**drvs));
	for (i = 0; i < cnt; i++) {
		const struct driver *drv = driver_match(&list[i]);

		if (only != NULL && drv != only)
			drv = NULL;
		list[k] = list[i];
		(*drvs)[k++] = drv;
	}
	if ((only == &drv_virtual) || (only == NULL && v != NULL && *v)) {
		memset(&list[k], 0, sizeof(list[k]));
		snprintf(list[k].path, sizeof(list[k].path), "virtual");
		(*drvs)[k++] = &drv_virtual;
	}
	*out = list;
	*n = k;
	return 0;
}

static int
read_once(struct reader *rd, const struct driver *only)
{
	const struct driver **drvs;
	struct dev_info *list;
	size_t i, n, tried = 0;
	int rc = 0;

	gather(only, &list, &n, &drvs);
	for (i = 0; i < n && !device_stop; i++) {
		if (drvs[i] == NULL)
			continue;
		tried++;
		if (read_device(rd, drvs[i], drvs[i] == &drv_virtual ? NULL :
		    &list[i]) != 0)
			rc = 1;
	}
	if (tried == 0) {
		fprintf(stderr, "kiosk: no %s device attached (see `kiosk "
		    "device list`)\n", only ? only->name : "supported");
		rc = 1;
	}
	free(list);
	free(drvs);
	return rc;
}

static void
slot_join(struct slot *s)
{
	if (!s->running || !s->finished)
		return;
	pthread_join(s->thread, NULL);
	s->running = 0;
	s->finished = 0;
	if (s->last_err == 0 && s->drv != NULL)
		s->done = 1; /* downloaded: not again until re-plugged */
	else
		s->retry_at = time(NULL) + RETRY_SECONDS;
}

static int
read_watch(struct reader *rd, const struct driver *only)
{
	struct slot slots[READ_SLOTS];
	const struct driver **drvs;
	struct dev_info *list;
	struct sigaction sa;
	size_t i, k, n;

	memset(slots, 0, sizeof(slots));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	say(rd, "watching for devices; Ctrl-C to stop\n");
	while (!device_stop) {
		gather(only, &list, &n, &drvs);
		for (k = 0; k < READ_SLOTS; k++)
			slots[k].present = 0;
		for (i = 0; i < n; i++) {
			for (k = 0; k < READ_SLOTS; k++)
				if (slots[k].used &&
				    same_device(&slots[k].info, &list[i]))
					break;
			if (k == READ_SLOTS) {
				for (k = 0; k < READ_SLOTS && slots[k].used; k++)
					;
				if (k == READ_SLOTS)
					continue;
				memset(&slots[k], 0, sizeof(slots[k]));
				slots[k].used = 1;
				slots[k].info = list[i];
				slots[k].drv = drvs[i];
				slots[k].rd = rd;
				say(rd, "attached: %04x:%04x at %s %s%s%s\n",
				    list[i].vid, list[i].pid, list[i].path,
				    list[i].product,
				    drvs[i] ? " -> " : " (no driver)",
				    drvs[i] ? drvs[i]->name : "");
			}
			slots[k].present = 1;
		}
		free(list);
		free(drvs);
		for (k = 0; k < READ_SLOTS; k++) {
			struct slot *s = &slots[k];

			if (!s->used)
				continue;
			slot_join(s);
			if (!s->present && !s->running) {
				say(rd, "removed: %04x:%04x at %s\n",
				    s->info.vid, s->info.pid, s->info.path);
				s->used = 0;
				continue;
			}
			if (s->present && s->drv != NULL && !s->running &&
			    !s->done && time(NULL) >= s->retry_at) {
				if (pthread_create(&s->thread, NULL,
				    slot_thread, s) == 0)
					s->running = 1;
			}
		}
		if (!device_stop)
			usb_wait_change(1000);
	}
	for (k = 0; k < READ_SLOTS; k++)
		if (slots[k].running) {
			pthread_join(slots[k].thread, NULL);
			slots[k].running = 0;
		}
	return 0;
}

static int
device_read(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = {
		{ "--driver", 1, NULL }, { "--once", 0, NULL },
		{ "--json", 0, NULL }, { "--timeout", 1, NULL },
		{ "--encounter", 1, NULL }, { "--patient", 1, NULL },
	};
	char encounter[UUID_STRLEN + 1];
	struct reader rd;
	const struct driver *only = NULL;
	long long timeout;
	int rc;

	if ((rc = cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0,
	    NULL)) != 0)
		return rc;
	if (opts[0].value != NULL &&
	    (only = driver_find(opts[0].value)) == NULL) {
		fprintf(stderr, "kiosk: no driver \"%s\" (see `kiosk device "
		    "list --drivers`)\n", opts[0].value);
		return 2;
	}
	if ((rc = cmd_opt_int(&opts[3], 1, 3600, 30, &timeout)) != 0)
		return rc;
	memset(&rd, 0, sizeof(rd));
	pthread_mutex_init(&rd.lock, NULL);
	rd.once = opts[1].value != NULL;
	rd.json = opts[2].value != NULL;
	rd.timeout = timeout;
	rd.encounter = opts[4].value;
	if (rd.encounter != NULL && opts[5].value != NULL) {
		fprintf(stderr, "kiosk: --encounter or --patient, not both\n");
		return 2;
	}
	if (rd.encounter != NULL || opts[5].value != NULL) {
		if (kctx_open(ctx) != 0)
			return 1;
		rd.store = ctx->store;
	}
	if (opts[5].value != NULL) {
		if ((rc = store_encounter_open(rd.store, opts[5].value,
		    "device readings", encounter)) != 0) {
			fprintf(stderr, "kiosk: cannot open an encounter for "
			    "patient %s: %s\n", opts[5].value, strerror(rc));
			return 1;
		}
		fprintf(stderr, "encounter %s\n", encounter);
		rd.encounter = encounter;
	}
	rc = rd.once ? read_once(&rd, only) : read_watch(&rd, only);
	if (rd.failures > 0)
		rc = 1;
	pthread_mutex_destroy(&rd.lock);
	usb_shutdown();
	return rc;
}

static void
list_drivers(int json)
{
	const struct dev_id *id;
	size_t i;

	for (i = 0; drivers[i] != NULL; i++) {
		const struct driver *d = drivers[i];

		if (json)
			printf("{\"driver\":\"%s\",\"name\":\"%s\",\"ids\":[",
			    d->name, d->full_name);
		else
			printf("%-18s %s\n%-18s", d->name, d->full_name, "");
		for (id = d->ids; id != NULL && id->vid != 0; id++)
			printf(json ? "%s\"%04x:%04x\"" : "%s%04x:%04x",
			    id == d->ids ? "" : json ? "," : " ", id->vid,
			    id->pid);
		if (d->iface_class != 0)
			printf(json ? "%s\"class:%02x\"" : "%sinterface class "
			    "%02x", d->ids != NULL && d->ids->vid ? (json ?
			    "," : " ") : "", d->iface_class);
		printf(json ? "]}\n" : "\n");
	}
}

/* udev rules from the ID tables: the drivers are the only source. */
static void
list_udev(void)
{
	const struct dev_id *id;
	size_t i;

	printf("# Outpost kiosk: USB medical devices (kiosk device list "
	    "--udev)\n");
	for (i = 0; drivers[i] != NULL; i++) {
		for (id = drivers[i]->ids; id != NULL && id->vid != 0; id++)
			printf("SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"%04x\", "
			    "ATTRS{idProduct}==\"%04x\", MODE=\"0660\", "
			    "GROUP=\"plugdev\"  # %s\n", id->vid, id->pid,
			    drivers[i]->name);
		if (drivers[i]->iface_class != 0)
			printf("SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\""
			    ", ENV{ID_USB_INTERFACES}==\"*:%02x????:*\", "
			    "MODE=\"0660\", GROUP=\"plugdev\"  # %s\n",
			    drivers[i]->iface_class, drivers[i]->name);
	}
}

static int
device_list(int argc, char **argv)
{
	struct cmd_opt opts[] = {
		{ "--drivers", 0, NULL }, { "--udev", 0, NULL },
		{ "--json", 0, NULL },
	};
	const struct driver **drvs;
	struct dev_info *list;
	size_t i, n;
	int rc, json;

	if ((rc = cmd_opt_parse(argc, argv, 2, opts, nitems(opts), NULL, 0,
	    NULL)) != 0)
		return rc;
	json = opts[2].value != NULL;
	if (opts[0].value != NULL) {
		list_drivers(json);
		return 0;
	}
	if (opts[1].value != NULL) {
		list_udev();
		return 0;
	}
	gather(NULL, &list, &n, &drvs);
	if (n == 0 && !json)
		printf("no USB devices attached\n");
	for (i = 0; i < n; i++) {
		const char *drv = drvs[i] ? drvs[i]->name : NULL;

		if (json)
			printf("{\"path\":\"%s\",\"vid\":\"%04x\",\"pid\":"
			    "\"%04x\",\"product\":\"%s\",\"driver\":%s%s%s}\n",
			    list[i].path, list[i].vid, list[i].pid,
			    list[i].product, drv ? "\"" : "",
			    drv ? drv : "null", drv ? "\"" : "");
		else
			printf("%-10s %04x:%04x  %-18s %s\n", list[i].path,
			    list[i].vid, list[i].pid, drv ? drv : "(unknown)",
			    list[i].product);
	}
	free(list);
	free(drvs);
	usb_shutdown();
	return 0;
}

struct decode_out {
	const char *driver;
	unsigned readings, bad;
};

static void
decode_reading(void *arg, const struct dev_reading *r)
{
	struct decode_out *o = arg;
	char *line;
	size_t i;

	if (r->n == 0 && (r->flags & DEV_FLAG_FINGER_OUT)) {
		fprintf(stderr, "finger out\n");
		return;
	}
	o->readings++;
	for (i = 0; i < r->n; i++) {
		line = dev_value_json(o->driver, r, i);
		printf("%s\n", line);
		free(line);
	}
}

static void
decode_bad(void *arg, const char *why)
{
	struct decode_out *o = arg;

	o->bad++;
	fprintf(stderr, "bad frame: %s\n", why);
}

static int
device_decode(int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--driver", 1, NULL } };
	struct decode_out o = { NULL, 0, 0 };
	const struct driver *drv;
	const char *pos[1];
	char *text, *cause = NULL;
	uint8_t *bytes = NULL;
	size_t len, cap = 0;
	FILE *f;
	int rc, npos, err;

	if ((rc = cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1,
	    &npos)) != 0)
		return rc;
	if (opts[0].value == NULL || npos != 1) {
		fprintf(stderr, "usage: kiosk device decode --driver NAME "
		    "FILE\n");
		return 2;
	}
	if ((drv = driver_find(opts[0].value)) == NULL) {
		fprintf(stderr, "kiosk: no driver \"%s\"\n", opts[0].value);
		return 2;
	}
	f = strcmp(pos[0], "-") == 0 ? stdin : fopen(pos[0], "r");
	if (f == NULL) {
		fprintf(stderr, "kiosk: %s: %s\n", pos[0], strerror(errno));
		return 1;
	}
	text = NULL;
	len = 0;
	for (;;) {
		if (len + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > 64 * 1024 * 1024) {
				fprintf(stderr, "kiosk: %s: too large\n", pos[0]);
				free(text);
				if (f != stdin)
					fclose(f);
				return 1;
			}
			text = xreallocarray(text, cap, 1);
		}
		size_t got = fread(text + len, 1, 4096, f);
		if (got == 0)
			break;
		len += got;
	}
	text = xreallocarray(text, len + 1, 1);
	text[len] = '\0';
	if (f != stdin)
		fclose(f);
	o.driver = drv->name;
	if (drv == &drv_virtual) { /* the script is text, not hex */
		bytes = (uint8_t *)text;
		text = NULL;
	} else if ((err = dev_hex_parse(text, &bytes, &len, &cause)) != 0) {
		fprintf(stderr, "kiosk: %s: %s\n", pos[0], cause);
		free(cause);
		free(text);
		return 1;
	}
	free(text);
	err = dev_decode(drv, bytes, len, decode_reading, decode_bad, &o,
	    &cause);
	free(bytes);
	if (err != 0) {
		fprintf(stderr, "kiosk: cannot follow the session: %s\n",
		    cause ? cause : strerror(err));
		free(cause);
		return 1;
	}
	fprintf(stderr, "%u reading%s, %u bad frame%s\n", o.readings,
	    o.readings == 1 ? "" : "s", o.bad, o.bad == 1 ? "" : "s");
	return 0;
}

static int
cmd_device_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return device_list(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "read") == 0)
		return device_read(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "decode") == 0)
		return device_decode(argc, argv);
	return cmd_usage(&cmd_device);
}

const struct kiosk_cmd cmd_device = {
	.name = "device",
	.usage = "  device list [--drivers] [--udev] [--json]\n"
		 "  device read [--driver NAME] [--once] [--json] "
		 "[--timeout SEC]\n"
		 "              [--encounter ID | --patient ID]\n"
		 "      save each reading as observations (--patient opens a "
		 "new encounter)\n"
		 "  device decode --driver NAME FILE\n",
	.run = cmd_device_run,
};
