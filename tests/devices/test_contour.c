/*
 * Contour USB / Contour Next USB against ASTM E1381 sessions built from
 * the frames in research/devices.md §3.1 (glucodump and glucometerutils
 * test vectors, checksums verified) and derived link-layer trouble.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "test.h"

/* Generated with a throwaway script from the frames of devices.md. */
#define CT_OPEN                                                                                                                                     \
	"> 41424301 04 *64\n"                                                                                                                       \
	"< 4142433c 040231487c5c5e267c7c3777334c424c7c4261796572373339305e30312e32345c30312e30345c30392e30322e32305e373339302d32333336373733 *64\n" \
	"< 4142433c 5e373430332d7c413d315e433d36335e473d315e493d303230305e523d305e533d315e553d305e563d31303630305e583d3037303037303037303037 *64\n" \
	"< 4142433c 303138303133303135303235305e593d3336303132363039303035303039393035303330303038395e5a3d317c313731347c7c7c7c7c7c317c323031 *64\n" \
	"< 41424310 3930393232313330340d1744370d0a05 *64\n"                                                                                         \
	"> 41424301 06 *64\n"

#define CT_RECORDS                                                                                                                    \
	"< 4142430b 0232507c310d1735330d0a *64\n"                                                                                     \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424335 0233527c317c5e5e5e476c75636f73657c3133337c6d672f644c5e507c7c422f587c7c3230313230323035323033340d1742430d0a *64\n" \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424334 0234527c327c5e5e5e476c75636f73657c372e397c6d6d6f6c2f4c5e507c7c427c7c3230313031313238313934390d1743430d0a *64\n"   \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 4142430e 02354c7c317c7c4e0d0338340d0a *64\n"                                                                               \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424301 04 *64\n"

#define CT_TROUBLE                                                                                                                    \
	"< 41424335 0232527c317c5e5e5e476d75636f73657c3133337c6d672f644c5e507c7c422f587c7c3230313230323035323033340d1742420d0a *64\n" \
	"> 41424301 15 *64\n"                                                                                                         \
	"< 41424335 0232527c317c5e5e5e476c75636f73657c3133337c6d672f644c5e507c7c422f587c7c3230313230323035323033340d1742420d0a *64\n" \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424335 0232527c317c5e5e5e476c75636f73657c3133337c6d672f644c5e507c7c422f587c7c3230313230323035323033340d1742420d0a *64\n" \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424331 0235527c397c5e5e5e476c75636f73657c39397c6d672f644c5e507c7c7c7c3230313230323035323033340d1744380d0a *64\n"         \
	"> 41424301 15 *64\n"                                                                                                         \
	"< 41424331 0233527c327c5e5e5e476c75636f73657c48497c6d672f644c5e507c7c7c7c3230313230323035323033350d1745460d0a *64\n"         \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424330 0234527c337c5e5e5e476c75636f73657c307c6d672f644c5e507c7c7c7c3230313230323035323033360d1739310d0a *64\n"           \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 4142432c 0235527c347c5e5e5e496e73756c696e7c347c555e507c7c7c7c3230313230323035323033360d1734390d0a *64\n"                   \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 4142430e 02364c7c317c7c4e0d0338350d0a *64\n"                                                                               \
	"> 41424301 06 *64\n"                                                                                                         \
	"< 41424301 04 *64\n"

#define CT_EMPTY                                                               \
	"< 4142430e 02324c7c317c7c4e0d0338310d0a *64\n"                        \
	"> 41424301 06 *64\n"                                                  \
	"< 41424301 04 *64\n"

#define CT_CAPTURE_LEN 448
static const char ct_capture_hex[] =
    "4142433c040231487c5c5e267c7c3777334c424c7c4261796572373339305e30"
    "312e32345c30312e30345c30392e30322e32305e373339302d32333336373733"
    "4142433c5e373430332d7c413d315e433d36335e473d315e493d303230305e52"
    "3d305e533d315e553d305e563d31303630305e583d3037303037303037303037"
    "4142433c303138303133303135303235305e593d333630313236303930303530"
    "3039393035303330303038395e5a3d317c313731347c7c7c7c7c7c317c323031"
    "414243103930393232313330340d1744370d0a05000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "414243350232527c317c5e5e5e476c75636f73657c3133337c6d672f644c5e50"
    "7c7c422f587c7c3230313230323035323033340d1742420d0a00000000000000"
    "4142430e02334c7c317c7c4e0d0338320d0a0000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "4142430104000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000";

static int
test_session(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(
	    devtest_run(&drv_ascensia_contour, CT_OPEN CT_RECORDS, &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_STR(c.serial, "7390-2336773");
	TEST_STR(c.firmware, "Bayer7390 01.24\\01.04\\09.02.20");
	TEST_EQ(c.n, 2);
	TEST_EQ(c.r[0].v[0].quantity, DEV_Q_GLUCOSE_MGDL);
	TEST_EQ(c.r[0].v[0].value, 133);
	TEST_STR(c.r[0].device_time, "2012-02-05T20:34:00");
	TEST_STR(c.r[0].marker, "B/X");
	TEST_EQ(c.r[0].flags, DEV_FLAG_STORED);
	TEST_EQ(c.r[1].v[0].quantity, DEV_Q_GLUCOSE_MMOL);
	TEST_EQ(c.r[1].v[0].value * 10 + 0.5, 79);
	TEST_STR(c.r[1].device_time, "2010-11-28T19:49:00");
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_link_trouble(void)
{
	struct collect c;
	int err = 0, last;

	/* Bad checksum (NAK, resent), a repeated frame, a frame out of
	 * sequence (NAK), "HI", an implausible 0 and an insulin result. */
	TEST_ERR(
	    devtest_run(&drv_ascensia_contour, CT_OPEN CT_TROUBLE, &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 133);
	TEST_EQ(c.bad, 3);
	TEST_EQ(c.rejected, 1);
out:
	return err;
}

static int
test_empty_log(void)
{
	struct collect c;
	int err = 0, last;

	TEST_ERR(
	    devtest_run(&drv_ascensia_contour, CT_OPEN CT_EMPTY, &c, &last));
	TEST_EQ(last, ENODATA);
	TEST_EQ(c.n, 0);
out:
	return err;
}

static int
test_not_a_meter(void)
{
	struct collect c;
	int err = 0, last;

	/* Answers with garbage: NAKs until the driver gives up. */
	TEST_ERR(devtest_run(&drv_ascensia_contour,
	    "> 41424301 04 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n> 41424301 15 *64\n"
	    "< 41424302 3132 *64\n",
	    &c, &last));
	TEST_EQ(last, EPROTO);
out:
	return err;
}

static int
test_decode(void)
{
	struct collect c;
	int err = 0;

	TEST_EQ(strlen(ct_capture_hex), 2 * CT_CAPTURE_LEN);
	TEST_ERR(devtest_decode(&drv_ascensia_contour, ct_capture_hex, &c));
	TEST_EQ(c.n, 1);
	TEST_EQ(c.r[0].v[0].value, 133);
	TEST_EQ(c.bad, 0);
out:
	return err;
}

static int
test_fault_loop(void)
{
	int err = 0;

	TEST_ERR(devtest_fault_loop(
	    &drv_ascensia_contour, CT_OPEN CT_RECORDS, ENODATA));
out:
	return err;
}

TEST_MAIN({ "session", test_session }, { "link_trouble", test_link_trouble },
    { "empty_log", test_empty_log }, { "not_a_meter", test_not_a_meter },
    { "decode", test_decode }, { "fault_loop", test_fault_loop }, )
