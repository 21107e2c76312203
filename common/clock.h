/*
 * Clock readings.  Monotonic time is for timeouts, back-off and benchmarks:
 * it never jumps when the wall clock is set (boards without an RTC set it
 * late).  Wall time is for the HLC (hlc.h); records are ordered by the HLC,
 * never by wall time.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin). */
uint64_t clock_mono_ms(void);
/* Microseconds on CLOCK_MONOTONIC (an arbitrary origin). */
uint64_t clock_mono_us(void);
/* Wall clock (CLOCK_REALTIME) in Unix milliseconds. */
uint64_t clock_wall_ms(void);

#endif
