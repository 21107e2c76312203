/*
 * The USB transport: the only file that calls libusb.  Lists attached
 * devices (with product and serial strings from sysfs, so listing never
 * talks to a device), opens one for a driver, and carries its transfers
 * with explicit timeouts, translating LIBUSB_ERROR_* to errno values here.
 *
 * Deliberately not used: libusb's auto-detach (claiming then fails under
 * umockdev, and we want to re-attach the kernel driver ourselves) and
 * control-IN on the hot path (umockdev's ioctl replay cannot serve it).
 */
#define LOG_MODULE "usb"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#include "compat.h"
#include "driver.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"

#define USB_MAX_DEVICES 64

static libusb_context *usb_ctx;
static int usb_init_err;
static pthread_once_t usb_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t usb_lock = PTHREAD_MUTEX_INITIALIZER;
static int usb_hotplug_registered;
static volatile int usb_changed;

static int
usb_errno(int rc)
{
	switch (rc) {
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_NOT_FOUND:
		return ENODEV;
	case LIBUSB_ERROR_ACCESS:
		return EACCES;
	case LIBUSB_ERROR_BUSY:
		return EBUSY;
	case LIBUSB_ERROR_TIMEOUT:
		return ETIMEDOUT;
	case LIBUSB_ERROR_PIPE:
		return EPIPE;
	case LIBUSB_ERROR_OVERFLOW:
		return EOVERFLOW;
	case LIBUSB_ERROR_NO_MEM:
		fatalx("libusb: out of memory");
	case LIBUSB_ERROR_INTERRUPTED:
		return EINTR;
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return ENOTSUP;
	default:
		return EIO;
	}
}

static void
usb_init_once(void)
{
	int rc;

	if ((rc = libusb_init(&usb_ctx)) != 0) {
		log_warnx("libusb_init: %s", libusb_error_name(rc));
		usb_init_err = usb_errno(rc);
		usb_ctx = NULL;
	}
}

static int
usb_init(char **cause)
{
	pthread_once(&usb_once, usb_init_once);
	if (usb_ctx == NULL) {
		dev_cause(
		    cause, "USB is not available (%s)", strerror(usb_init_err));
		return usb_init_err != 0 ? usb_init_err : EIO;
	}
	return 0;
}

void
usb_shutdown(void)
{
	if (usb_ctx != NULL)
		libusb_exit(usb_ctx);
	usb_ctx = NULL;
}

/* Read one line of a sysfs attribute DIR/NAME into OUT. */
static void
sysfs_attr(const char *dir, const char *name, char *out, size_t len)
{
	char path[512], *nl;
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	fclose(f);
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
}

/* Product and serial strings of the device at BUS/ADDR, from sysfs. */
static void
sysfs_strings(struct dev_info *info)
{
	char v[32];
	long long bus, addr;
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/sys/bus/usb/devices")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, ':') != NULL)
			continue;
		sysfs_attr(de->d_name, "busnum", v, sizeof(v));
		if (str_to_ll(str_trim(v), 0, 255, &bus) != 0 ||
		    bus != info->bus)
			continue;
		sysfs_attr(de->d_name, "devnum", v, sizeof(v));
		if (str_to_ll(str_trim(v), 0, 255, &addr) != 0 ||
		    addr != info->addr)
			continue;
		sysfs_attr(de->d_name, "product", info->product,
		    sizeof(info->product));
		sysfs_attr(
		    de->d_name, "serial", info->serial, sizeof(info->serial));
		break;
	}
	closedir(d);
}

static void
usb_fill_info(libusb_device *ud, const struct libusb_device_descriptor *dd,
    struct dev_info *info)
{
	struct libusb_config_descriptor *cfg = NULL;
	uint8_t ports[8];
	int i, n, k, off;

	memset(info, 0, sizeof(*info));
	info->vid = dd->idVendor;
	info->pid = dd->idProduct;
	info->bus = libusb_get_bus_number(ud);
	info->addr = libusb_get_device_address(ud);
	off = snprintf(info->path, sizeof(info->path), "%u", info->bus);
	n = libusb_get_port_numbers(ud, ports, sizeof(ports));
	for (i = 0; i < n && off < (int)sizeof(info->path); i++)
		off += snprintf(info->path + off, sizeof(info->path) - off,
		    "%c%u", i == 0 ? '-' : '.', ports[i]);
	if (libusb_get_active_config_descriptor(ud, &cfg) != 0 &&
	    libusb_get_config_descriptor(ud, 0, &cfg) != 0)
		cfg = NULL;
	for (i = 0; cfg != NULL && i < cfg->bNumInterfaces; i++)
		for (k = 0; k < cfg->interface[i].num_altsetting &&
		     info->nclasses < nitems(info->classes);
		     k++)
			info->classes[info->nclasses++] =
			    cfg->interface[i].altsetting[k].bInterfaceClass;
	if (cfg != NULL)
		libusb_free_config_descriptor(cfg);
	sysfs_strings(info);
}

int
usb_list(struct dev_info **list, size_t *n, char **cause)
{
	struct libusb_device_descriptor dd;
	libusb_device **devs;
	struct dev_info *out;
	ssize_t cnt, i;
	int err;

	*list = NULL;
	*n = 0;
	if ((err = usb_init(cause)) != 0)
		return err;
	if ((cnt = libusb_get_device_list(usb_ctx, &devs)) < 0) {
		err = usb_errno((int)cnt);
		dev_cause(cause, "cannot list USB devices (%s)", strerror(err));
		return err;
	}
	out = xcalloc((size_t)cnt + 1, sizeof(*out));
	for (i = 0; i < cnt && *n < USB_MAX_DEVICES; i++) {
		if (libusb_get_device_descriptor(devs[i], &dd) != 0)
			continue;
		if (dd.bDeviceClass == LIBUSB_CLASS_HUB)
			continue;
		usb_fill_info(devs[i], &dd, &out[(*n)++]);
	}
	libusb_free_device_list(devs, 1);
	*list = out;
	return 0;
}

/* --- an opened device --- */

struct usb_tp {
	libusb_device_handle *h;
	int iface, detached;
	uint8_t ep_in, ep_out;
	int in_bulk, out_bulk;
};

static int
u_control(void *ctx, uint8_t rt, uint8_t rq, uint16_t value, uint16_t index,
    const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct usb_tp *u = ctx;
	uint8_t buf[64];
	int rc;

	if (len > sizeof(buf))
		return EINVAL;
	if (len > 0)
		memcpy(buf, data, len);
	rc = libusb_control_transfer(
	    u->h, rt, rq, value, index, buf, (uint16_t)len, timeout_ms);
	if (rc < 0) {
		log_debug(
		    "control %02x/%02x: %s", rt, rq, libusb_error_name(rc));
		return usb_errno(rc);
	}
	return (size_t)rc == len ? 0 : EIO;
}

static int
u_write(void *ctx, const uint8_t *data, size_t len, unsigned timeout_ms)
{
	struct usb_tp *u = ctx;
	uint8_t buf[1024];
	int rc, done = 0;

	if (len > sizeof(buf) || u->ep_out == 0)
		return EINVAL;
	memcpy(buf, data, len); /* libusb wants a mutable buffer */
	if (u->out_bulk)
		rc = libusb_bulk_transfer(
		    u->h, u->ep_out, buf, (int)len, &done, timeout_ms);
	else
		rc = libusb_interrupt_transfer(
		    u->h, u->ep_out, buf, (int)len, &done, timeout_ms);
	if (rc != 0) {
		log_debug("OUT %02x: %s", u->ep_out, libusb_error_name(rc));
		return usb_errno(rc);
	}
	return (size_t)done == len ? 0 : EIO;
}

static int
u_read(void *ctx, uint8_t *buf, size_t cap, size_t *got, unsigned timeout_ms)
{
	struct usb_tp *u = ctx;
	int rc, done = 0;

	*got = 0;
	if (u->in_bulk)
		rc = libusb_bulk_transfer(
		    u->h, u->ep_in, buf, (int)cap, &done, timeout_ms);
	else
		rc = libusb_interrupt_transfer(
		    u->h, u->ep_in, buf, (int)cap, &done, timeout_ms);
	if (done > 0) { /* data that came before a timeout still counts */
		*got = (size_t)done;
		return 0;
	}
	if (rc != 0) {
		if (rc != LIBUSB_ERROR_TIMEOUT)
			log_debug(
			    "IN %02x: %s", u->ep_in, libusb_error_name(rc));
		return usb_errno(rc);
	}
	return 0;
}

static void
u_close(void *ctx)
{
	struct usb_tp *u = ctx;

	if (u == NULL)
		return;
	if (u->h != NULL) {
		libusb_release_interface(u->h, u->iface);
		if (u->detached)
			libusb_attach_kernel_driver(u->h, u->iface);
		libusb_close(u->h);
	}
	free(u);
}

static const struct dev_transport usb_transport = {
	.control_out = u_control,
	.write = u_write,
	.read = u_read,
	.close = u_close,
};

/* Pick the interface and its endpoints for DRV. */
static int
usb_endpoints(libusb_device *ud, const struct driver *drv, struct usb_tp *u)
{
	const struct libusb_interface_descriptor *alt;
	const struct libusb_endpoint_descriptor *ep;
	struct libusb_config_descriptor *cfg;
	int i, k, type, found = 0;

	if (libusb_get_active_config_descriptor(ud, &cfg) != 0 &&
	    libusb_get_config_descriptor(ud, 0, &cfg) != 0)
		return EIO;
	for (i = 0; i < cfg->bNumInterfaces && !found; i++) {
		if (cfg->interface[i].num_altsetting < 1)
			continue;
		alt = &cfg->interface[i].altsetting[0];
		if (drv->iface_class != 0 &&
		    alt->bInterfaceClass != drv->iface_class)
			continue;
		found = 1;
		u->iface = alt->bInterfaceNumber;
		for (k = 0; k < alt->bNumEndpoints; k++) {
			ep = &alt->endpoint[k];
			type = ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK;
			if (type != LIBUSB_TRANSFER_TYPE_BULK &&
			    type != LIBUSB_TRANSFER_TYPE_INTERRUPT)
				continue;
			if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) {
				/* PHDC: bulk IN, the interrupt IN is optional */
				if (u->ep_in == 0 ||
				    (!u->in_bulk &&
				        type == LIBUSB_TRANSFER_TYPE_BULK)) {
					u->ep_in = ep->bEndpointAddress;
					u->in_bulk =
					    type == LIBUSB_TRANSFER_TYPE_BULK;
				}
			} else if (u->ep_out == 0) {
				u->ep_out = ep->bEndpointAddress;
				u->out_bulk = type == LIBUSB_TRANSFER_TYPE_BULK;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return found && u->ep_in != 0 ? 0 : ENODEV;
}

static int
usb_open_one(const struct driver *drv, const struct dev_info *info,
    struct dev **out, char **cause)
{
	struct libusb_device_descriptor dd;
	libusb_device **devs, *ud = NULL;
	struct usb_tp *u;
	struct dev *d;
	ssize_t cnt, i;
	int err, rc;

	*out = NULL;
	if ((err = usb_init(cause)) != 0)
		return err;
	if ((cnt = libusb_get_device_list(usb_ctx, &devs)) < 0) {
		dev_cause(cause, "cannot list USB devices");
		return usb_errno((int)cnt);
	}
	for (i = 0; i < cnt; i++)
		if (libusb_get_bus_number(devs[i]) == info->bus &&
		    libusb_get_device_address(devs[i]) == info->addr &&
		    libusb_get_device_descriptor(devs[i], &dd) == 0 &&
		    dd.idVendor == info->vid && dd.idProduct == info->pid)
			ud = devs[i];
	u = xcalloc(1, sizeof(*u));
	if (ud == NULL) {
		err = ENODEV;
		dev_cause(cause, "%04x:%04x is no longer attached", info->vid,
		    info->pid);
		goto fail;
	}
	if ((err = usb_endpoints(ud, drv, u)) != 0) {
		dev_cause(cause, "%04x:%04x has no interface %s can use",
		    info->vid, info->pid, drv->name);
		goto fail;
	}
	if ((rc = libusb_open(ud, &u->h)) != 0) {
		err = usb_errno(rc);
		u->h = NULL;
		dev_cause(cause, "cannot open %04x:%04x: %s%s", info->vid,
		    info->pid, libusb_error_name(rc),
		    err == EACCES
		        ? " (install the udev rules: `kiosk device list --udev`)"
		        : "");
		goto fail;
	}
	/* Not fatal when unsupported (umockdev's pcap replay says so). */
	if (libusb_kernel_driver_active(u->h, u->iface) == 1) {
		if ((rc = libusb_detach_kernel_driver(u->h, u->iface)) == 0)
			u->detached = 1;
		else
			log_warnx(
			    "detach kernel driver: %s", libusb_error_name(rc));
	}
	if ((rc = libusb_claim_interface(u->h, u->iface)) != 0) {
		err = usb_errno(rc);
		dev_cause(cause, "cannot claim %04x:%04x: %s", info->vid,
		    info->pid, libusb_error_name(rc));
		libusb_close(u->h);
		u->h = NULL;
		goto fail;
	}
	libusb_free_device_list(devs, 1);
	d = dev_new(drv, &usb_transport, u, info);
	if ((err = dev_start(d, cause)) != 0)
		return err;
	*out = d;
	return 0;
fail:
	free(u);
	libusb_free_device_list(devs, 1);
	return err;
}

int
dev_open_usb(const struct driver *drv, const struct dev_info *info,
    struct dev **out, char **cause)
{
	const struct driver *next;
	int err;

	for (;;) {
		err = usb_open_one(drv, info, out, cause);
		if (err != EPROTO ||
		    (next = driver_match_next(info, drv)) == NULL)
			return err;
		/* Another protocol on the same ID: ask the next driver. */
		log_info("%04x:%04x does not speak %s; trying %s", info->vid,
		    info->pid, drv->name, next->name);
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
		drv = next;
	}
}

/* --- hot-plug --- */

static int LIBUSB_CALL
usb_hotplug_cb(
    libusb_context *ctx, libusb_device *ud, libusb_hotplug_event ev, void *arg)
{
	(void)ctx;
	(void)ud;
	(void)ev;
	(void)arg;
	usb_changed = 1;
	return 0;
}

int
usb_wait_change(int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct timespec ts = { timeout_ms / 1000,
		(long)(timeout_ms % 1000) * 1000000 };
	int completed = 0, have;

	if (usb_init(NULL) != 0) {
		nanosleep(&ts, NULL);
		return 0;
	}
	pthread_mutex_lock(&usb_lock);
	have = libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG);
	if (have && !usb_hotplug_registered) {
		if (libusb_hotplug_register_callback(usb_ctx,
		        LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
		            LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
		        0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
		        LIBUSB_HOTPLUG_MATCH_ANY, usb_hotplug_cb, NULL,
		        NULL) == LIBUSB_SUCCESS)
			usb_hotplug_registered = 1;
		else
			have = 0;
	}
	pthread_mutex_unlock(&usb_lock);
	if (!have) { /* polling: the caller re-lists after the timeout */
		nanosleep(&ts, NULL);
		return 0;
	}
	(void)completed;
	libusb_handle_events_timeout_completed(usb_ctx, &tv, NULL);
	if (usb_changed) {
		usb_changed = 0;
		return 1;
	}
	return 0;
}
