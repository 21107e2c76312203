/*
 * Hybrid logical clock: max(wall, last) with a logical counter that breaks
 * ties.  When the counter would overflow, the millisecond part advances
 * instead, so the clock stays monotonic whatever the wall clock does.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "hlc.h"

uint64_t
hlc_wall_ms(void)
{
	return clock_wall_ms();
}

void
hlc_init(struct hlc *h, uint64_t last)
{
	h->last = last;
	h->now_ms = hlc_wall_ms;
}

static uint64_t
hlc_advance(struct hlc *h, uint64_t floor)
{
	uint64_t wall = HLC_MAKE(h->now_ms(), 0);

	if (wall > floor)
		h->last = wall;
	else
		h->last = floor + 1; /* carries into the ms part on overflow */
	return h->last;
}

uint64_t
hlc_now(struct hlc *h)
{
	return hlc_advance(h, h->last);
}

uint64_t
hlc_update(struct hlc *h, uint64_t remote)
{
	return hlc_advance(h, remote > h->last ? remote : h->last);
}

int
hlc_too_far(const struct hlc *h, uint64_t remote, uint64_t ref_ms)
{
	uint64_t phys = h->now_ms();

	if (ref_ms > phys)
		phys = ref_ms;
	return HLC_MS(remote) > phys + HLC_MAX_AHEAD_MS;
}

int
hlc_merge(struct hlc *h, uint64_t remote, uint64_t ref_ms)
{
	if (hlc_too_far(h, remote, ref_ms))
		return ERANGE;
	hlc_update(h, remote);
	return 0;
}

int
hlc_clamp(struct hlc *h, uint64_t ref_ms)
{
	uint64_t phys = h->now_ms();

	if (!hlc_too_far(h, h->last, ref_ms))
		return 0;
	if (ref_ms > phys)
		phys = ref_ms;
	h->last = HLC_MAKE(phys, 0);
	return ERANGE;
}

void
hlc_format(uint64_t t, char *out, unsigned long len)
{
	snprintf(out, len, "%llu.%llu", (unsigned long long)HLC_MS(t),
	    (unsigned long long)HLC_COUNT(t));
}
