/* Fuzz the omron_hem790it frame parser (see device_fuzz.h). */
#include "device_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return device_fuzz(&drv_omron_hem790it, data, size);
}
