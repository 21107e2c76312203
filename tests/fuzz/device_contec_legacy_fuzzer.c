/* Fuzz the contec_cms50_legacy frame parser (see device_fuzz.h). */
#include "device_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return device_fuzz(&drv_contec_cms50_legacy, data, size);
}
