/*
 * Hybrid logical clock (Kulkarni et al. 2014).  A timestamp is 48 bits of
 * milliseconds and a 16-bit logical counter packed into one uint64_t, so
 * timestamps compare as integers.  Boards without an RTC boot with a wrong
 * wall clock: the HLC never goes backwards, and merging a remote timestamp
 * moves it forward past everything seen.  Order by HLC, never by wall time.
 */
#ifndef HLC_H
#define HLC_H

#include <stdint.h>

struct hlc {
	uint64_t last; /* last timestamp issued or seen */
	uint64_t (*now_ms)(void); /* wall clock; tests substitute their own */
};

#define HLC_MS(t) ((t) >> 16)
#define HLC_COUNT(t) ((t)&0xffff)
#define HLC_MAKE(ms, c) (((uint64_t)(ms) << 16) | ((c)&0xffff))

void hlc_init(struct hlc *, uint64_t last);
/* A new timestamp for a local event, greater than any before. */
uint64_t hlc_now(struct hlc *);
/* Merge a timestamp received from elsewhere; returns the new local one. */
uint64_t hlc_update(struct hlc *, uint64_t remote);
/* Wall clock in Unix milliseconds. */
uint64_t hlc_wall_ms(void);
/* Format as "ms.count" (for logs and debugging). */
void hlc_format(uint64_t t, char *out, unsigned long len);

#endif
