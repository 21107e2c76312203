/*
 * The one list of built-in drivers, written by hand, and matching a USB
 * device to its driver.  Order matters only for matching: specific
 * VID:PID entries come before the class-based PHDC driver, and the virtual
 * driver matches no USB device.
 */
#include <string.h>

#include "driver.h"

const struct driver *const drivers[] = {
	&drv_contec_cms50_v7,
	&drv_contec_cms50_legacy, /* same cable, tried when V7 is not spoken */
	&drv_contec_cms50_hid,
	&drv_omron_hem790it,
	&drv_ascensia_contour,
	&drv_phdc_11073,
	&drv_virtual,
	NULL,
};

const struct driver *
driver_find(const char *name)
{
	size_t i;

	for (i = 0; drivers[i] != NULL; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

const char *
driver_name(const struct driver *drv)
{
	return drv->name;
}

const char *
driver_full_name(const struct driver *drv)
{
	return drv->full_name;
}

static int
claims(const struct driver *drv, const struct dev_info *info)
{
	const struct dev_id *id;

	for (id = drv->ids; id != NULL && id->vid != 0; id++) {
		if (id->vid != info->vid || id->pid != info->pid)
			continue;
		/* Generic IDs are shared with unrelated gadgets. */
		if (drv->product != NULL && info->product[0] != '\0' &&
		    strcmp(drv->product, info->product) != 0)
			continue;
		return 1;
	}
	return 0;
}

const struct driver *
driver_match_next(const struct dev_info *info, const struct driver *after)
{
	size_t i = 0;

	if (after != NULL) {
		while (drivers[i] != NULL && drivers[i] != after)
			i++;
		if (drivers[i] == NULL)
			return NULL;
		i++;
	}
	for (; drivers[i] != NULL; i++)
		if (claims(drivers[i], info))
			return drivers[i];
	return NULL;
}

const struct driver *
driver_match(const struct dev_info *info)
{
	const struct driver *drv;
	size_t i, k;

	if ((drv = driver_match_next(info, NULL)) != NULL)
		return drv;
	for (i = 0; (drv = drivers[i]) != NULL; i++) {
		if (drv->iface_class == 0)
			continue;
		for (k = 0; k < info->nclasses; k++)
			if (info->classes[k] == drv->iface_class)
				return drv;
	}
	return NULL;
}
