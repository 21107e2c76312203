/*
 * Omron HEM-790IT family against the exchange of libomron's protocol
 * notes (research/devices.md §2.1) and derived records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "test.h"

#define OM_MODE "c 21 09 0300 0000 74bc\n"
#define OM_CLEAR                                                               \
	"> 07 00000000000000\n"                                                \
	"> 05 0000000000 *8\n"                                                 \
	"< 02 4f4b *8\n"
#define OM_GDC "> 07 47444300000000\n> 01 00 *8\n"
#define OM_GME(i) "> 07 474d45000000" i "\n> 01 " i " *8\n"
#define OM_END "> 05 454e44ffff *8\n< 07 4f46460d0a0000\n"

/* Count replies: "OK" 00 00 0a 00 N xor. */
#define OM_COUNT_0 "< 07 4f4b00000a0000\n< 01 0a *8\n"
#define OM_COUNT_3 "< 07 4f4b00000a0003\n< 01 09 *8\n"

/* The record of libomron's notes: 2007-01-03 00:06:51, 112/75, 71. */
#define REC_DOC                                                                \
	"< 07 4f4b0007010300 *8\n< 07 06330000704b47 *8\n< 03 00004c *8\n"
/* 2024-05-17 09:30:00, SYS 262 (16 bit), 95, 88, irregular + movement. */
#define REC_FLAGS                                                              \
	"< 07 4f4b0018051109 *8\n< 07 1e000001065f58 *8\n< 03 000318 *8\n"
/* DIA 90 above SYS 80: implausible. */
#define REC_BAD_BP                                                             \
	"< 07 4f4b0018051109 *8\n< 07 1f000000505a46 *8\n< 03 000056 *8\n"

static int
test_doc_exchange(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_omron_hem790it,
	    OM_MODE OM_CLEAR OM_GDC
	    "< 07 4f4b00000a0001\n< 01 0b *8\n" OM_GME("00") REC_DOC OM_END,
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].n, 3);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_SYS);
	TEST_EQ(c.r[0].v[0].value, 112);
	TEST_EQ(c.r[0].v[1].quantity, DEV_Q_DIA);
	TEST_EQ(c.r[0].v[1].value, 75);
	TEST_EQ(c.r[0].v[2].quantity, DEV_Q_PULSE);
	TEST_EQ(c.r[0].v[2].value, 71);
	TEST_STR(c.r[0].device_time, "2007-01-03T00:06:51");
	TEST_EQ(c.r[0].flags, DEV_FLAG_STORED);
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_empty_log(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_omron_hem790it,
	    OM_MODE OM_CLEAR OM_GDC OM_COUNT_0 OM_END, &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 0);
out:
	return err;
}

static int
test_flags_xor_and_retry(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_omron_hem790it,
	    OM_MODE
	    /* clearing takes two rounds */
	    "> 07 00000000000000\n> 05 0000000000 *8\n< 01 00 *8\n" OM_CLEAR OM_GDC OM_COUNT_3
	        /* record 0: "NO" first, then the answer */
	        OM_GME("00") "< 02 4e4f *8\n" OM_GME("00") REC_FLAGS
	            /* record 1: XOR fails three times: skipped */
	            OM_GME("01") "< 07 4f4b0007010300 *8\n< 07 06330000704b47 *8\n< 03 00004d *8\n" OM_GME(
	                "01") "< 07 4f4b0007010300 *8\n< 07 06330000704b47 *8\n< 03 00004d *8\n" OM_GME("01") "< 07 4f4b0007010300 *8\n< 07 06330000704b47 *8\n< 03 00004d *8\n"
	    /* record 2: DIA above SYS, rejected */
	    OM_GME("02") REC_BAD_BP OM_END,
	    &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 262);
	TEST_EQ(c.r[0].flags,
	    DEV_FLAG_STORED | DEV_FLAG_IRREGULAR | DEV_FLAG_MOVEMENT);
	TEST_STR(c.r[0].device_time, "2024-05-17T09:30:00");
	TEST_EQ(c.bad, 3);
	TEST_EQ(c.rejected, 1);
out:
	return err;
}

static int
test_silent_monitor(void)
{
	struct collect c;
	int err = 0, last = 0;

	/* Five clearing rounds without an answer. */
	TEST_ERR(devtest_run(&drv_omron_hem790it,
	    OM_MODE "> 07 00000000000000\n> 05 0000000000 *8\n"
	            "> 07 00000000000000\n> 05 0000000000 *8\n"
	            "> 07 00000000000000\n> 05 0000000000 *8\n"
	            "> 07 00000000000000\n> 05 0000000000 *8\n"
	            "> 07 00000000000000\n> 05 0000000000 *8\n",
	    &c, &last));
	TEST_EQ(last, EPROTO);
out:
	return err;
}

static int
test_decode(void)
{
	static const char *hex =
	    "02 4f4b 0000000000\n"
	    "07 4f4b00000a0001 01 0b 000000000000\n"
	    "07 4f4b0007010300 07 06330000704b47 03 00004c 00000000\n"
	    "07 4f46460d0a0000\n";
	struct collect c;
	int err = 0;

	TEST_ERR(devtest_decode(&drv_omron_hem790it, hex, &c));
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 112);
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_fault_loop(void)
{
	int err = 0;

	TEST_ERR(devtest_fault_loop(&drv_omron_hem790it,
	    OM_MODE OM_CLEAR OM_GDC
	    "< 07 4f4b00000a0001\n< 01 0b *8\n" OM_GME("00") REC_DOC OM_END,
	    ENODATA));
out:
	return err;
}

TEST_MAIN({ "doc_exchange", test_doc_exchange },
    { "empty_log", test_empty_log },
    { "flags_xor_and_retry", test_flags_xor_and_retry },
    { "silent_monitor", test_silent_monitor }, { "decode", test_decode },
    { "fault_loop", test_fault_loop }, )
