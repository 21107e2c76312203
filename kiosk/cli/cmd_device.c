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

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
/* driver.h, not only device.h: `list --drivers` and `--udev` print each
 * driver's ID table and interface class (struct driver), which the public
 * device API does not expose. */
#include "devices/driver.h"
#include "devices/watch.h"
#include "kiosk/kctx.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/observe.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_device;

static struct dev_watch *device_watch;

struct reader {
	pthread_mutex_t lock;
	int json;
	const char *encounter;
	struct store *store;
	unsigned failures;
};

static const char *
value_name(int q)
{
	const struct dev_quantity_info *qi = dev_quantity_info(q);

	return qi != NULL ? qi->name : "?";
}

static void
print_reading(struct reader *rd, const struct dev_event *ev)
{
	const struct dev_reading *r = ev->r;
	char *line;
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (rd->json) {
			line = dev_value_json(ev->drv->name, r, i);
			printf("%s\n", line);
			free(line);
		} else
			printf("%s%s %g %s", i == 0 ? "" : ", ",
			    value_name(r->v[i].quantity), r->v[i].value,
			    dev_quantity_info(r->v[i].quantity)->unit);
	}
	if (!rd->json)
		printf("  [%s %s%s%s]\n", ev->drv->name, dev_id(ev->dev),
		    r->device_time[0] ? " " : "", r->device_time);
	fflush(stdout);
}

static void
save_reading(struct reader *rd, const struct dev_event *ev)
{
	struct vitals_source src;
	char *cause = NULL;
	size_t saved;
	int err;

	src.driver = ev->drv->name;
	src.vid = ev->info->vid;
	src.pid = ev->info->pid;
	src.device_id = dev_id(ev->dev);
	src.serial = dev_serial(ev->dev);
	src.firmware = dev_firmware(ev->dev);
	if ((err = vitals_save(
	         rd->store, rd->encounter, &src, ev->r, &saved, &cause)) != 0) {
		rd->failures++;
		fprintf(stderr, "kiosk: reading from %s not saved: %s\n",
		    src.device_id, cause != NULL ? cause : strerror(err));
	} else
		fprintf(stderr, "saved %zu observation%s to encounter %s\n",
		    saved, saved == 1 ? "" : "s", rd->encounter);
	free(cause);
}

/* Events come from the watch's threads: one at a time, under the lock. */
static void
on_event(void *arg, const struct dev_event *ev)
{
	struct reader *rd = arg;
	const struct dev_info *in = ev->info;
	const char *id = ev->dev != NULL ? dev_id(ev->dev) : in->path;

	pthread_mutex_lock(&rd->lock);
	switch (ev->kind) {
	case DEV_EV_ATTACHED:
		fprintf(stderr, "attached: %04x:%04x at %s %s%s%s\n", in->vid,
		    in->pid, in->path, in->product,
		    ev->drv ? " -> " : " (no driver)",
		    ev->drv ? ev->drv->name : "");
		break;
	case DEV_EV_DETACHED:
		fprintf(stderr, "removed: %04x:%04x at %s\n", in->vid, in->pid,
		    in->path);
		break;
	case DEV_EV_OPENED:
		fprintf(stderr, "reading %s with %s%s%s\n", id, ev->drv->name,
		    dev_firmware(ev->dev)[0] ? ", " : "",
		    dev_firmware(ev->dev));
		break;
	case DEV_EV_READING:
		print_reading(rd, ev);
		if (rd->store != NULL)
			save_reading(rd, ev);
		break;
	case DEV_EV_FINGER_OUT:
		fprintf(stderr, "%s: finger out\n", id);
		break;
	case DEV_EV_REJECTED:
		fprintf(stderr, "%s: reading rejected: %s\n", id, ev->text);
		break;
	case DEV_EV_BAD_FRAME:
		fprintf(stderr, "%s: bad frame: %s\n", id, ev->text);
		break;
	case DEV_EV_CLOSED:
		fprintf(stderr, "%s %s: %s\n", ev->drv->name, id, ev->text);
		break;
	}
	pthread_mutex_unlock(&rd->lock);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (device_watch != NULL)
		dev_watch_stop(device_watch);
}

static int
device_read(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = {
		{ "--driver", 1, NULL },
		{ "--once", 0, NULL },
		{ "--json", 0, NULL },
		{ "--timeout", 1, NULL },
		{ "--encounter", 1, NULL },
		{ "--patient", 1, NULL },
	};
	char encounter[UUID_STRLEN + 1];
	struct dev_watch_opts wo;
	struct sigaction sa;
	struct reader rd;
	const struct driver *only = NULL;
	long long timeout;
	int rc;

	if ((rc = cmd_opt_parse(
	         argc, argv, 2, opts, nitems(opts), NULL, 0, NULL)) != 0)
		return rc;
	if (opts[0].value != NULL &&
	    (only = driver_find(opts[0].value)) == NULL) {
		fprintf(stderr,
		    "kiosk: no driver \"%s\" (see `kiosk device "
		    "list --drivers`)\n",
		    opts[0].value);
		return 2;
	}
	if ((rc = cmd_opt_int(&opts[3], 1, 3600, 30, &timeout)) != 0)
		return rc;
	memset(&rd, 0, sizeof(rd));
	pthread_mutex_init(&rd.lock, NULL);
	memset(&wo, 0, sizeof(wo));
	wo.only = only;
	wo.once = opts[1].value != NULL;
	wo.timeout_s = (unsigned)timeout;
	rd.json = opts[2].value != NULL;
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
			fprintf(stderr,
			    "kiosk: cannot open an encounter for "
			    "patient %s: %s\n",
			    opts[5].value, strerror(rc));
			return 1;
		}
		fprintf(stderr, "encounter %s\n", encounter);
		rd.encounter = encounter;
	}
	if (only == &drv_virtual && getenv("OUTPOST_VIRTUAL_DEVICE") == NULL) {
		fprintf(stderr,
		    "kiosk: set OUTPOST_VIRTUAL_DEVICE to a script "
		    "file (devices/drv_virtual.c)\n");
		return 1;
	}
	device_watch = dev_watch_new(&wo, NULL, on_event, &rd);
	if (wo.once) {
		rc = dev_watch_once(device_watch);
		if (rc == ENOENT)
			fprintf(stderr,
			    "kiosk: no %s device attached (see "
			    "`kiosk device list`)\n",
			    only ? only->name : "supported");
		rc = rc != 0;
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		fprintf(stderr, "watching for devices; Ctrl-C to stop\n");
		while (dev_watch_step(device_watch, 1000) >= 0 &&
		    !dev_watch_stopped(device_watch))
			;
		rc = 0;
	}
	dev_watch_free(device_watch);
	device_watch = NULL;
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
			printf("%-20s %s\n%-20s", d->name, d->full_name, "");
		for (id = d->ids; id != NULL && id->vid != 0; id++)
			printf(json ? "%s\"%04x:%04x\"" : "%s%04x:%04x",
			    id == d->ids ? ""
			        : json   ? ","
			                 : " ",
			    id->vid, id->pid);
		if (d->iface_class != 0)
			printf(json ? "%s\"class:%02x\""
			            : "%sinterface class "
			              "%02x",
			    d->ids != NULL && d->ids->vid ? (json ? "," : " ")
			                                  : "",
			    d->iface_class);
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
			if (driver_match_next(
			        &(struct dev_info){
			            .vid = id->vid, .pid = id->pid },
			        NULL) == drivers[i]) /* once per ID */
				printf(
				    "SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"%04x\", "
				    "ATTRS{idProduct}==\"%04x\", MODE=\"0660\", "
				    "GROUP=\"plugdev\"  # %s\n",
				    id->vid, id->pid, drivers[i]->name);
		if (drivers[i]->iface_class != 0)
			printf(
			    "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\""
			    ", ENV{ID_USB_INTERFACES}==\"*:%02x????:*\", "
			    "MODE=\"0660\", GROUP=\"plugdev\"  # %s\n",
			    drivers[i]->iface_class, drivers[i]->name);
	}
}

static int
device_list(int argc, char **argv)
{
	struct cmd_opt opts[] = {
		{ "--drivers", 0, NULL },
		{ "--udev", 0, NULL },
		{ "--json", 0, NULL },
	};
	struct dev_info *list;
	const char *v = getenv("OUTPOST_VIRTUAL_DEVICE");
	char *cause = NULL;
	size_t i, n;
	int rc, json;

	if ((rc = cmd_opt_parse(
	         argc, argv, 2, opts, nitems(opts), NULL, 0, NULL)) != 0)
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
	if (usb_list(&list, &n, &cause) != 0) {
		fprintf(stderr, "kiosk: %s\n", cause);
		free(cause);
		return 1;
	}
	if (n == 0 && !json)
		printf("no USB devices attached\n");
	for (i = 0; i < n; i++) {
		const struct driver *d = driver_match(&list[i]);
		const char *drv = d != NULL ? d->name : NULL;

		if (json)
			printf(
			    "{\"path\":\"%s\",\"vid\":\"%04x\",\"pid\":"
			    "\"%04x\",\"product\":\"%s\",\"driver\":%s%s%s}\n",
			    list[i].path, list[i].vid, list[i].pid,
			    list[i].product, drv ? "\"" : "",
			    drv ? drv : "null", drv ? "\"" : "");
		else
			printf("%-10s %04x:%04x  %-18s %s\n", list[i].path,
			    list[i].vid, list[i].pid, drv ? drv : "(unknown)",
			    list[i].product);
	}
	if (v != NULL && *v != '\0' && !json)
		printf("%-10s %-9s  %-18s %s\n", "virtual", "-", "virtual", v);
	free(list);
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

	if ((rc = cmd_opt_parse(
	         argc, argv, 2, opts, nitems(opts), pos, 1, &npos)) != 0)
		return rc;
	if (opts[0].value == NULL || npos != 1) {
		fprintf(stderr,
		    "usage: kiosk device decode --driver NAME "
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
				fprintf(
				    stderr, "kiosk: %s: too large\n", pos[0]);
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
	err =
	    dev_decode(drv, bytes, len, decode_reading, decode_bad, &o, &cause);
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
