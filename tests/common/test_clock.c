/* Clock readings (common/clock.c): units and direction. */
#include <time.h>

#include "clock.h"
#include "test.h"

static int
test_clock(void)
{
	struct timespec ts = { 0, 20 * 1000000 };
	uint64_t ms, us, wall;
	time_t now;
	int err = 0;

	ms = clock_mono_ms();
	us = clock_mono_us();
	/* the same clock in two units (read a moment apart) */
	TEST_TRUE(us / 1000 >= ms && us / 1000 - ms < 1000);
	nanosleep(&ts, NULL);
	TEST_TRUE(clock_mono_ms() >= ms + 20);
	TEST_TRUE(clock_mono_us() >= us + 20000);
	wall = clock_wall_ms();
	now = time(NULL);
	TEST_TRUE(wall / 1000 + 1 >= (uint64_t)now &&
	    wall / 1000 <= (uint64_t)now + 1);
out:
	return err;
}

TEST_MAIN({ "clock", test_clock })
