/*
 * IEEE 11073-20601 manager against antidote's real agent APDUs
 * (research/devices.md §4.3, §4.4) and derived edge cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "xmalloc.h"
#include "test.h"

/* Our AARE: result, then protocol 20601 as manager "OUTPOST\1". */
#define AARE(res)                                                              \
	"> e300002c " res " 50790026 80000000 8000 80000000 00000000 "         \
	"80000000 0008 4f5554504f535401 0000 00000000 00000000\n"

/* §4.3: pulse oximeter, standard configuration 0x0190 [V]. */
#define OXI_AARQ                                                               \
	"< e2000032 80000000 0001002a 50790026 80000000 a000 80000000 "        \
	"40000000 00800000 0008 1122334455667704 0190 00010100 00000000\n"
#define OXI_SCAN                                                               \
	"< e7000026 0024 1238 0101 001e 0000 ffffffff 0d1d 0014 f000 0000 "    \
	"0002 000c 0001 0002 0062 000a 0002 0048\n"
#define OXI_RESPONSE "> e7000012 0010 1238 0201 000a 0000 ffffffff 0d1d 0000\n"
#define RLRQ "< e4000002 0000\n"
#define RLRE "> e5000002 0000\n"

/* §4.4: blood pressure, extended configuration 0x4000 [V]. */
#define BP_AARQ                                                                \
	"< e2000032 80000000 0001002a 50790026 80000000 8000 80000000 "        \
	"00000000 00800000 0008 00220922580803cc 4000 00010100 00000000\n"
#define BP_CONFIG                                                              \
	"< e70000b0 00ae 0001 0101 00a8 0000 ffffffff 0d1c 009e 4000 0003 "    \
	"0098 "                                                                \
	"0006 0001 0006 0038 092f 0004 00024a04 0a46 0002 f040 0a73 0002 "     \
	"0303 0996 0002 0f20 0a76 000a 0003 0006 4a05 4a06 4a07 0a55 000c "    \
	"0002 0008 0a75 000a 0990 0008 "                                       \
	"0006 0002 0004 0024 092f 0004 0002482a 0a46 0002 f040 0996 0002 "     \
	"0aa0 0a55 000c 0002 0008 0a4c 0002 0990 0008 "                        \
	"0006 0003 0004 0024 092f 0004 0002f012 0a46 0002 f040 0996 0002 "     \
	"0200 0a55 000c 0002 0008 0a4c 0002 0990 0008\n"
#define BP_CONFIG_OK                                                           \
	"> e7000016 0014 0001 0201 000e 0000 ffffffff 0d1c 0004 4000 0000\n"
#define BP_SCAN                                                                \
	"< e7000052 0050 0001 0101 004a 0000 ffffffff 0d1f 0040 f000 0001 "    \
	"0001 0038 0042 0003 0032 "                                            \
	"0001 0012 0003 0006 0071 0047 0055 2010072115355300 "                 \
	"0002 000a 0047 2010072115355300 "                                     \
	"0003 000a 0000 2010072115355300\n"
#define BP_RESPONSE "> e7000012 0010 0001 0201 000a 0000 ffffffff 0d1f 0000\n"

static int
test_oximeter_0190(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_phdc_11073,
	    OXI_AARQ AARE("0000") OXI_SCAN OXI_RESPONSE RLRQ RLRE, &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_STR(c.serial, "1122334455667704");
	TEST_STR(c.firmware, "IEEE 11073-20601 config 0x0190");
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].n, 2);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_SPO2);
	TEST_EQ(c.r[0].v[0].value, 98);
	TEST_EQ(c.r[0].v[1].quantity, DEV_Q_PULSE);
	TEST_EQ(c.r[0].v[1].value, 72);
	TEST_STR(c.r[0].device_time, "");
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_oximeter_0191_timestamps(void)
{
	struct collect c;
	int err = 0, last;

	/* antidote's H241 APDU: 10-byte observations, as in 0x0191. */
	TEST_ERR(devtest_run(&drv_phdc_11073,
	    "< e2000032 80000000 0001002a 50790026 80000000 a000 80000000 "
	    "40000000 00800000 0008 1122334455667704 0191 00010100 00000000\n" AARE(
	        "0000") "< e7000036 0034 1238 0101 002e 0000 ffffffff 0d1d 0024 f000 0000 "
	                "0002 001c 0001 000a 0062 2007120612100000 000a 000a 0048 "
	                "2007120612100000\n" OXI_RESPONSE RLRQ RLRE,
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 98);
	TEST_EQ(c.r[0].v[1].value, 72);
	TEST_STR(c.r[0].device_time, "2007-12-06T12:10:00");
out:
	return err;
}

static int
test_bp_extended_config(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_phdc_11073,
	    BP_AARQ AARE("0003")
	        BP_CONFIG BP_CONFIG_OK BP_SCAN BP_RESPONSE RLRQ RLRE,
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_STR(c.serial, "00220922580803cc");
	TEST_STR(c.firmware, "IEEE 11073-20601 config 0x4000");
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].n, 4);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_SYS);
	TEST_EQ(c.r[0].v[0].value, 113);
	TEST_EQ(c.r[0].v[1].quantity, DEV_Q_DIA);
	TEST_EQ(c.r[0].v[1].value, 71);
	TEST_EQ(c.r[0].v[2].quantity, DEV_Q_MAP);
	TEST_EQ(c.r[0].v[2].value, 85);
	TEST_EQ(c.r[0].v[3].quantity, DEV_Q_PULSE);
	TEST_EQ(c.r[0].v[3].value, 71);
	TEST_STR(c.r[0].device_time, "2010-07-21T15:35:53");
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_edge_cases(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_phdc_11073,
	    OXI_AARQ AARE("0000")
	    /* garbage transfer: resynchronised */
	    "< 0102030405\n"
	    /* SpO2 is NaN (07ff): only the pulse is a reading */
	    "< e7000026 0024 1239 0101 001e 0000 ffffffff 0d1d 0014 f000 0001 "
	    "0002 000c 0001 0002 07ff 000a 0002 0048\n"
	    "> e7000012 0010 1239 0201 000a 0000 ffffffff 0d1d 0000\n"
	    /* SFLOAT with exponent -1: 985 x 10^-1 = 98.5 %; PR 0x0048 */
	    "< e7000026 0024 123a 0100 001e 0000 ffffffff 0d1d 0014 f000 0002 "
	    "0002 000c 0001 0002 f3d9 000a 0002 0048\n"
	    /* SpO2 1010 x 10^-1 = 101 %: implausible, rejected */
	    "< e7000026 0024 123b 0100 001e 0000 ffffffff 0d1d 0014 f000 0003 "
	    "0002 000c 0001 0002 f3f2 000a 0002 0048\n"
	    /* an observation cut short */
	    "< e7000025 0023 123c 0100 001d 0000 ffffffff 0d1d 0013 f000 0004 "
	    "0002 000a 0001 0002 0062 000a 0002 00\n"
	    /* the agent aborts */
	    "< e6000002 0000\n",
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 2);
	TEST_EQ(c.r[0].n, 1);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_PULSE);
	TEST_EQ(c.r[1].v[0].value * 10 + 0.5, 985);
	TEST_EQ(c.rejected, 1);
	TEST_TRUE(c.bad >= 2);
out:
	return err;
}

static int
test_split_transfers(void)
{
	struct collect c;
	int err = 0, last;

	/* An APDU over several bulk transfers (64-byte packets), and two
	 * APDUs in one transfer. */
	TEST_ERR(devtest_run(&drv_phdc_11073,
	    "< e2000032 80000000 0001002a 50790026 80000000 a000\n"
	    "< 80000000 40000000 00800000 0008 1122334455667704 0190 "
	    "00010100 00000000\n" AARE(
	        "0000") "< e7000026 0024 1238 0101 001e 0000 ffffffff 0d1d 0014 f000 0000 "
	                "0002 000c 0001 0002 0062 000a 0002 0048 e4000002 0000\n" OXI_RESPONSE
	                    RLRE,
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 98);
out:
	return err;
}

static int
test_unsupported_config(void)
{
	struct collect c;
	int err = 0, last;

	/* An extended configuration with only a vendor metric. */
	TEST_ERR(devtest_run(&drv_phdc_11073,
	    BP_AARQ AARE(
	        "0003") "< e7000044 0042 0001 0101 003c 0000 ffffffff 0d1c 0032 4000 0001 "
	                "002c 0006 0003 0004 0024 092f 0004 0002f012 0a46 0002 f040 0996 "
	                "0002 0200 0a55 000c 0002 0008 0a4c 0002 0990 0008\n"
	                "> e7000016 0014 0001 0201 000e 0000 ffffffff 0d1c 0004 4000 0001\n" RLRQ
	                    RLRE,
	    &c, &last));
	TEST_EQ(last, EPROTO);
	TEST_EQ(c.n, 0);
out:
	return err;
}

static int
test_decode(void)
{
	/* The agent's side of §4.4, from association on. */
	static const char *text = BP_AARQ BP_CONFIG BP_SCAN RLRQ;
	struct collect c;
	char *hex, *p;
	int err = 0;

	hex = xstrdup(text);
	for (p = hex; *p != '\0'; p++)
		if (*p == '<')
			*p = ' ';
	TEST_ERR(devtest_decode(&drv_phdc_11073, hex, &c));
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 113);
	TEST_EQ(c.bad, 0);
out:
	free(hex);
	return err;
}

static int
test_fault_loop(void)
{
	int err = 0;

	TEST_ERR(devtest_fault_loop(&drv_phdc_11073,
	    BP_AARQ AARE("0003")
	        BP_CONFIG BP_CONFIG_OK BP_SCAN BP_RESPONSE RLRQ RLRE,
	    ENODATA));
out:
	return err;
}

TEST_MAIN({ "oximeter_0190", test_oximeter_0190 },
    { "oximeter_0191_timestamps", test_oximeter_0191_timestamps },
    { "bp_extended_config", test_bp_extended_config },
    { "edge_cases", test_edge_cases },
    { "split_transfers", test_split_transfers },
    { "unsupported_config", test_unsupported_config },
    { "decode", test_decode }, { "fault_loop", test_fault_loop }, )
