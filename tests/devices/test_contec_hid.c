/*
 * Contec CMS50E/F HID generation against the exchange in
 * research/devices.md §1.5 (pulseoxdl's real reports) and derived cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "test.h"

#define HID_OPEN                                                               \
	"> 7d81a78080808080807d81a2808080808080 *64\n"                         \
	"< f070 *64\n"                                                         \
	"> 8101 *64\n"                                                         \
	"< f1 3530452020202020 3b *64\n"                                       \
	"> 9b011c *64\n"

static int
test_live_capture(void)
{
	struct collect c;
	int err = 0, last;

	/* Two real reports from pulseoxdl's capture, then its last one. */
	TEST_ERR(devtest_run(&drv_contec_cms50_hid,
	    HID_OPEN "< eb000627041c eb000626041b eb000625041a *64\n"
	             "< eb00061803 0c eb0104515f7f001f eb000618030c *64\n"
	             "< eb00071d0312 eb000725041b eb000440600f *64\n"
	             "> 9b7f1a *64\n",
	    &c, &last));
	TEST_EQ(last, ETIMEDOUT);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].n, 2); /* 7f 00: no PI */
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_SPO2);
	TEST_EQ(c.r[0].v[0].value, 95);
	TEST_EQ(c.r[0].v[1].value, 81);
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_edge_cases(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(devtest_run(&drv_contec_cms50_hid,
	    HID_OPEN
	    /* finger out, twice: reported once */
	    "< eb0104007f7f006e eb0104007f7f006e *64\n"
	    /* the real measurement with a wrong checksum: no reading */
	    "< eb0104515f7f001e *64\n"
	    /* F bit 1: pulse 0x02 + 0x80 = 130 */
	    "< eb010602 5f7f0052 *64\n"
	    /* perfusion index 0x2c + (0x02 << 7) = 3.00 % */
	    "< eb0104515f2c024e *64\n"
	    /* junk, an unknown packet type, a packet cut at the report end */
	    "< 33 eb0599 eb0104515f *5\n"
	    "> 9b7f1a *64\n",
	    &c, &last));
	TEST_EQ(last, ETIMEDOUT);
	TEST_EQ(c.n, 3);
	TEST_TRUE(c.r[0].flags & DEV_FLAG_FINGER_OUT);
	TEST_EQ(c.r[0].n, 0);
	TEST_EQ(c.r[1].v[1].value, 130);
	TEST_EQ(c.r[2].n, 3);
	TEST_EQ(c.r[2].v[2].value * 100 + 0.5, 300);
	TEST_EQ(c.bad, 4);
out:
	return err;
}

static int
test_not_an_oximeter(void)
{
	struct script *s;
	struct dev *d;
	char *cause = NULL;
	int err = 0;

	/* Another gadget on 28e9:028a: answers nothing we know. */
	s = script_new("> 7d81a78080808080807d81a2808080808080 *64\n"
	               "< 0102 *64\n< 0102 *64\n");
	d = dev_new(&drv_contec_cms50_hid, &script_transport, s, NULL);
	TEST_EQ(dev_start(d, &cause), ETIMEDOUT);
	TEST_TRUE(cause != NULL);
out:
	script_free(s);
	free(cause);
	return err;
}

static int
test_decode(void)
{
	/* Three whole 64-byte reports, as a capture of the IN endpoint. */
	static const uint8_t f0[] = { 0xf0, 0x70 };
	static const uint8_t f1[] = { 0xf1, '5', '0', 'E', ' ', ' ', ' ', ' ',
		' ', 0x3b };
	static const uint8_t live[] = { 0xeb, 0x00, 0x06, 0x18, 0x03, 0x0c,
		0xeb, 0x01, 0x04, 0x51, 0x5f, 0x7f, 0x00, 0x1f };
	struct collect c = { .n = 0 };
	uint8_t cap[3 * 64] = { 0 };
	char *cause = NULL;
	int err = 0;

	memcpy(cap, f0, sizeof(f0));
	memcpy(cap + 64, f1, sizeof(f1));
	memcpy(cap + 128, live, sizeof(live));
	TEST_ERR(dev_decode(&drv_contec_cms50_hid, cap, sizeof(cap), collect_cb,
	    collect_bad, &c, &cause));
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 95);
	TEST_EQ(c.bad, 0);
out:
	free(cause);
	return err;
}

static int
test_fault_loop(void)
{
	int err = 0;

	TEST_ERR(devtest_fault_loop(&drv_contec_cms50_hid,
	    HID_OPEN "< eb000618030ceb0104515f7f001feb000618030c *64\n"
	             "> 9b7f1a *64\n",
	    ETIMEDOUT));
out:
	return err;
}

TEST_MAIN({ "live_capture", test_live_capture },
    { "edge_cases", test_edge_cases },
    { "not_an_oximeter", test_not_an_oximeter }, { "decode", test_decode },
    { "fault_loop", test_fault_loop }, )
