/*
 * Fuzz the ascensia_contour frame parser: the input is what the device sends in
 * one session, fed through dev_decode() exactly as `kiosk device decode`
 * does.  Invariants: no crash, no leak, no reading that fails
 * dev_reading_check() (bad frames never yield readings).
 */
#include <stdint.h>
#include <stdlib.h>

#include "devices/driver.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
reading(void *arg, const struct dev_reading *r)
{
	(void)arg;
	if (r->n > 0 && dev_reading_check(r, NULL) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;

	if (size > 65536)
		return 0;
	log_level_current = LOG_LEVEL_FATAL; /* bad frames are expected */
	(void)dev_decode(&drv_ascensia_contour, data, size, reading, NULL, NULL,
	    &cause);
	free(cause);
	return 0;
}
