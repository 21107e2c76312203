/* Fuzz the phdc_11073 frame parser (see device_fuzz.h). */
#include "device_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return device_fuzz(&drv_phdc_11073, data, size);
}
