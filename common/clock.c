/*
 * Clock readings (see clock.h).  clock_gettime() cannot fail on Linux for
 * these clocks with a valid pointer; its result is not checked.
 */
#include <time.h>

#include "clock.h"

/* CLOCK's time in units of 1/PER_SEC seconds (PER_SEC divides 10^9). */
static uint64_t
clock_read(clockid_t clock, uint64_t per_sec)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * per_sec +
	    (uint64_t)ts.tv_nsec / (1000000000 / per_sec);
}

uint64_t
clock_mono_ms(void)
{
	return clock_read(CLOCK_MONOTONIC, 1000);
}

uint64_t
clock_mono_us(void)
{
	return clock_read(CLOCK_MONOTONIC, 1000000);
}

uint64_t
clock_wall_ms(void)
{
	return clock_read(CLOCK_REALTIME, 1000);
}
