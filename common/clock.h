/*
 * Monotonic time for timeouts, back-off and benchmarks: it never jumps when
 * the wall clock is set (boards without an RTC set it late).  Not for
 * timestamps that are stored or sent: those come from the HLC (hlc.h).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin). */
uint64_t clock_mono_ms(void);
/* Microseconds on CLOCK_MONOTONIC (an arbitrary origin). */
uint64_t clock_mono_us(void);

#endif
