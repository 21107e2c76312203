/*
 * The body shared by the device frame-parser harnesses: the input is what
 * a device sends in one session, fed through dev_decode() exactly as
 * `kiosk device decode` does.  Invariants: no crash, no leak, and no
 * reading that fails dev_reading_check() (bad frames never yield one).
 */
#ifndef DEVICE_FUZZ_H
#define DEVICE_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

#include "devices/driver.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
device_fuzz_reading(void *arg, const struct dev_reading *r)
{
	(void)arg;
	if (r->n > 0 && dev_reading_check(r, NULL) != 0)
		abort();
}

static inline int
device_fuzz(const struct driver *drv, const uint8_t *data, size_t size)
{
	char *cause = NULL;

	if (size > 65536)
		return 0;
	log_level_current = LOG_LEVEL_FATAL; /* bad frames are expected */
	(void)dev_decode(
	    drv, data, size, device_fuzz_reading, NULL, NULL, &cause);
	free(cause);
	return 0;
}

#endif
