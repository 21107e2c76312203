/*
 * Contec CMS50 legacy 5-byte protocol, against packets derived from
 * atbrask's layout and unit tests (research/devices.md §1.3; no real
 * capture exists).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "test.h"

#define LG_OPEN                                                                \
	"c 41 00 0001 0000\n"                                                  \
	"c 41 1e 0000 0000 004b0000\n"                                         \
	"c 41 03 0810 0000\n"                                                  \
	"> f6\n"

static int
test_live(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_contec_cms50_legacy,
	    LG_OPEN
	    /* two packets identify the stream; then readings */
	    "< c53c074861 c53c074861\n"
	    /* PR 0x48 = 72, SpO2 0x61 = 97; repeated: once */
	    "< c53c074861 c53c074861 c5\n"
	    "< 3c07486180\n"
	    /* atbrask's "80 00 40 01 00": PR 129 but SpO2 0: no reading */
	    "< 0040010090000000 00\n"
	    /* finger out, twice: reported once */
	    "< 9000000000\n"
	    /* PR bit 7 from byte 3: 0x80 | 0x02 = 130, SpO2 95 */
	    "< c53c47025f\n"
	    /* searching (byte 3 bit 5): no reading */
	    "< c53c27485f\n"
	    /* a packet cut short by the next sync byte, then good */
	    "< c53c07 c53c07485e\n",
	    &c, &last));
	TEST_EQ(last, ETIMEDOUT);
	TEST_EQ(c.n, 4);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_SPO2);
	TEST_EQ(c.r[0].v[0].value, 97);
	TEST_EQ(c.r[0].v[1].value, 72);
	TEST_TRUE(c.r[1].flags & DEV_FLAG_FINGER_OUT);
	TEST_EQ(c.r[2].v[1].value, 130);
	TEST_EQ(c.r[2].v[0].value, 95);
	TEST_EQ(c.r[3].v[0].value, 94);
	TEST_EQ(c.bad, 1);
	TEST_STR(c.firmware, "CMS50 legacy protocol");
out:
	return err;
}

static int
test_no_stream(void)
{
	struct collect c;
	int err = 0, last = 0;

	/* Nothing that looks like the 5-byte stream (a V7 reply, say). */
	TEST_ERR(devtest_run(
	    &drv_contec_cms50_legacy, LG_OPEN "< 06808087 0c80\n", &c, &last));
	TEST_EQ(last, EPROTO);
out:
	return err;
}

static int
test_fault_loop(void)
{
	int err = 0;

	TEST_ERR(devtest_fault_loop(&drv_contec_cms50_legacy,
	    LG_OPEN "< c53c074861 c53c074861 c53c074962\n", ETIMEDOUT));
out:
	return err;
}

static int
test_decode(void)
{
	struct collect c;
	int err = 0;

	TEST_ERR(devtest_decode(&drv_contec_cms50_legacy,
	    "c53c074861 c53c074861 9000000000 c53c074962", &c));
	TEST_EQ(c.n, 3);
	TEST_EQ(c.r[0].v[0].value, 97);
	TEST_TRUE(c.r[1].flags & DEV_FLAG_FINGER_OUT);
	TEST_EQ(c.r[2].v[1].value, 73);
out:
	return err;
}

TEST_MAIN({ "live", test_live }, { "no_stream", test_no_stream },
    { "fault_loop", test_fault_loop }, { "decode", test_decode }, )
