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
/*
 * How far ahead of physical time a remote timestamp may be (docs/PROTOCOL.md
 * §3.4): one day.  Behind is always fine (a board without an RTC boots in
 * 1970); ahead is what poisons a clock, since HLCs never go back.
 */
#define HLC_MAX_AHEAD_MS (24ULL * 3600 * 1000)
/* Is REMOTE more than HLC_MAX_AHEAD_MS past physical time, taken as the
 * later of the wall clock and REF_MS (a trusted peer's time, or 0)? */
int hlc_too_far(const struct hlc *, uint64_t remote, uint64_t ref_ms);
/* hlc_update, unless hlc_too_far(REMOTE): then ERANGE, the clock unmoved. */
int hlc_merge(struct hlc *, uint64_t remote, uint64_t ref_ms);
/* Recovery of a poisoned clock: when the last timestamp is too far ahead
 * (as hlc_too_far sees it), bring it back to physical time and return
 * ERANGE; otherwise 0, the clock unchanged. */
int hlc_clamp(struct hlc *, uint64_t ref_ms);
/* Wall clock in Unix milliseconds. */
uint64_t hlc_wall_ms(void);
/* Format as "ms.count" (for logs and debugging). */
void hlc_format(uint64_t t, char *out, unsigned long len);

#endif
