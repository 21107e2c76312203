/* UUIDv7 layout and order; hybrid logical clock behaviour. */
#include <errno.h>
#include <string.h>

#include "hlc.h"
#include "test.h"
#include "uuid.h"

static int
test_uuid_v7(void)
{
	struct uuid a, b, p;
	char s[UUID_STRLEN + 1], t[UUID_STRLEN + 1];
	uint64_t ms;
	int i, err = 0;

	uuid_v7(&a);
	TEST_EQ(uuid_version(&a), 7);
	TEST_EQ(a.b[8] >> 6, 2); /* RFC 9562 variant */
	ms = 0;
	for (i = 0; i < 6; i++)
		ms = ms << 8 | a.b[i];
	TEST_TRUE(ms + 5000 > hlc_wall_ms() && ms <= hlc_wall_ms());
	uuid_format(&a, s);
	TEST_EQ(strlen(s), 36);
	TEST_EQ(s[14], '7');
	TEST_ERR(uuid_parse(s, &p));
	TEST_MEM(p.b, a.b, 16);
	/* strictly increasing within one process, even in one millisecond */
	for (i = 0; i < 5000; i++) {
		uuid_v7(&b);
		uuid_format(&b, t);
		if (strcmp(s, t) >= 0)
			TEST_FAILED(
			    "uuid %d not increasing: %s then %s", i, s, t);
		memcpy(s, t, sizeof(s));
	}
	TEST_EQ(uuid_parse("not-a-uuid", &p), EINVAL);
	TEST_EQ(uuid_parse("0192f000-0000-7000-8000-00000000000g", &p), EINVAL);
out:
	return err;
}

static uint64_t fake_ms;
static uint64_t
fake_clock(void)
{
	return fake_ms;
}

static int
test_hlc(void)
{
	struct hlc h;
	uint64_t t1, t2, t3, r;
	int err = 0;

	hlc_init(&h, 0);
	h.now_ms = fake_clock;
	fake_ms = 1000;
	t1 = hlc_now(&h);
	TEST_EQ(HLC_MS(t1), 1000);
	t2 = hlc_now(&h); /* same millisecond: counter */
	TEST_EQ(HLC_MS(t2), 1000);
	TEST_EQ(HLC_COUNT(t2), 1);
	fake_ms = 10; /* clock jumps back (board without RTC) */
	t3 = hlc_now(&h);
	TEST_TRUE(t3 > t2);
	/* a remote clock ten years ahead: we move past it */
	r = HLC_MAKE(1000 + 315360000000ull, 5);
	TEST_TRUE(hlc_update(&h, r) > r);
	TEST_TRUE(hlc_now(&h) > r);
	/* counter overflow carries into the millisecond */
	hlc_init(&h, HLC_MAKE(5000, 0xffff));
	h.now_ms = fake_clock;
	TEST_EQ(hlc_now(&h), HLC_MAKE(5001, 0));
out:
	return err;
}

TEST_MAIN({ "uuid_v7", test_uuid_v7 }, { "hlc", test_hlc })
