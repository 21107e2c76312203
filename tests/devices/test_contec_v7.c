/*
 * Contec CMS50 V7 over the CP210x cable, against scripted exchanges built
 * from research/devices.md §1.4 (MarkMLl's USB capture, headrotor's live
 * packets) and derived edge cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"
#include "test.h"
#include "xmalloc.h"

#define CP210X_SETUP                                                           \
	"c 41 00 0001 0000\n"                                                  \
	"c 41 1e 0000 0000 00c20100\n"                                         \
	"c 41 03 0800 0000\n"

/* MarkMLl's capture: stop, version, model, start live. */
#define V7_OPEN                                                                \
	CP210X_SETUP                                                           \
	"> 7d81a7808080808080\n"                                               \
	"> 7d81a2808080808080\n"                                               \
	"> 7d81a0808080808080\n"                                               \
	"< 0c80 0c80 06808087\n"                                               \
	"> 7d81a8808080808080\n"                                               \
	"< 028080b5b0c4a8c1a9 0281ffaba0a0a0a0a0\n"                            \
	"> 7d81a1808080808080\n"

struct fixture {
	struct script *s;
	struct dev *d;
	unsigned nbad_cb;
};

static void
count_bad(void *arg, const char *why)
{
	struct fixture *f = arg;

	(void)why;
	f->nbad_cb++;
}

static int
start(struct fixture *f, const char *text, char **cause)
{
	memset(f, 0, sizeof(*f));
	f->s = script_new(text);
	f->d = dev_new(&drv_contec_cms50_v7, &script_transport, f->s, NULL);
	dev_set_bad_cb(f->d, count_bad, f);
	return dev_start(f->d, cause); /* frees d on failure */
}

static void
finish(struct fixture *f)
{
	dev_close(f->d);
	script_free(f->s);
}

static int
test_open_identifies(void)
{
	struct fixture f;
	char *cause = NULL;
	int err = 0;

	TEST_ERR(start(&f, V7_OPEN "> 7d81a2808080808080\n", &cause));
	TEST_STR(dev_firmware(f.d), "CMS50D(A)+ protocol V7");
	dev_close(f.d);
	f.d = NULL;
	TEST_TRUE(script_error(f.s) == NULL);
	TEST_EQ(script_left(f.s), 0);
out:
	if (f.d != NULL)
		dev_close(f.d);
	script_free(f.s);
	free(cause);
	return err;
}

static int
test_live_readings(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* headrotor's packets (one split across reads), then MarkMLl's. */
	TEST_ERR(start(&f,
	    V7_OPEN "< 01e085b396c1e1ffff01e085b0\n"
	            "< 96c1e1ffff\n"
	            "< 01e085ae95c1e1ffff\n"
	            "< 01e085d59abde3ffff\n",
	    &cause));
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.n, 2);
	TEST_EQ(r.v[0].quantity, DEV_Q_SPO2);
	TEST_EQ(r.v[0].value, 97);
	TEST_EQ(r.v[1].quantity, DEV_Q_PULSE);
	TEST_EQ(r.v[1].value, 65);
	TEST_STR(r.device_time, "");
	/* The two next packets repeat 97/65: not re-emitted. */
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.v[0].value, 99);
	TEST_EQ(r.v[1].value, 61);
	TEST_EQ(dev_read(f.d, &r, &cause), ETIMEDOUT);
	TEST_EQ(dev_bad_frames(f.d), 0);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_pulse_high_bit(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* hi bit 3 restores bit 7 of the pulse: 0x02 | 0x80 = 130 bpm. */
	TEST_ERR(start(&f, V7_OPEN "< 01e885b39682e1ffff\n", &cause));
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.v[1].value, 130);
	TEST_EQ(r.v[0].value, 97);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_finger_out(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* MarkMLl's idle packets: status bit 7 from hi bit 0. */
	TEST_ERR(start(&f,
	    V7_OPEN "< 01e184c0908080ffff01e184c0908080ffff\n"
	            "< 01e085d59abde3ffff\n",
	    &cause));
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.n, 0);
	TEST_TRUE(r.flags & DEV_FLAG_FINGER_OUT);
	/* The second finger-out packet is not reported again. */
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.n, 2);
	TEST_EQ(r.v[0].value, 99);
	TEST_EQ(dev_bad_frames(f.d), 0);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_perfusion_index(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* PI halves 0x2c + (0x02 << 7) = 300 -> 3.00 %. */
	TEST_ERR(start(&f, V7_OPEN "< 0180 85b396c1e1ac82\n", &cause));
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.n, 3);
	TEST_EQ(r.v[2].quantity, DEV_Q_PI);
	TEST_EQ(r.v[2].value * 100 + 0.5, 300);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_resync_after_corruption(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* Junk, then a packet cut short by the next type byte, then good. */
	TEST_ERR(start(&f,
	    V7_OPEN "< c1e1 01e085b396\n"
	            "< 01e085d59abde3ffff\n",
	    &cause));
	TEST_ERR(dev_read(f.d, &r, &cause));
	TEST_EQ(r.v[0].value, 99);
	TEST_EQ(r.v[1].value, 61);
	TEST_EQ(dev_bad_frames(f.d), 2);
	TEST_EQ(f.nbad_cb, 2);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_implausible_rejected(void)
{
	struct fixture f;
	struct dev_reading r;
	char *cause = NULL;
	int err = 0;

	/* SpO2 0x65 = 101 %: rejected with a reason, not a reading. */
	TEST_ERR(start(&f, V7_OPEN "< 01e085b396c1e5ffff\n", &cause));
	TEST_EQ(dev_read(f.d, &r, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "spo2") != NULL);
out:
	finish(&f);
	free(cause);
	return err;
}

static int
test_not_an_oximeter(void)
{
	struct script *s;
	struct dev *d;
	char *cause = NULL;
	int err = 0;

	/* A CP2102 that never answers the version command. */
	s = script_new(CP210X_SETUP "> 7d81a7808080808080\n"
	                            "> 7d81a2808080808080\n"
	                            "> 7d81a0808080808080\n");
	d = dev_new(&drv_contec_cms50_v7, &script_transport, s, NULL);
	TEST_EQ(dev_start(d, &cause), EPROTO);
	TEST_TRUE(cause != NULL && strstr(cause, "V7") != NULL);
out:
	script_free(s);
	free(cause);
	return err;
}

/* Fail each transfer of the session in turn: a clean errno, no leak. */
static int
test_fault_loop(void)
{
	struct script *s;
	struct dev *d;
	struct dev_reading r;
	char *cause = NULL;
	unsigned n;
	int err = 0, e;

	for (n = 1; n < 20; n++) {
		s = script_new(V7_OPEN "< 01e085d59abde3ffff\n"
		                       "> 7d81a2808080808080\n");
		script_fail_at(s, n, n % 2 ? EIO : ENODEV);
		d = dev_new(&drv_contec_cms50_v7, &script_transport, s, NULL);
		e = dev_start(d, &cause);
		if (e == 0) {
			e = dev_read(d, &r, &cause);
			dev_close(d);
		}
		script_free(s);
		free(cause);
		cause = NULL;
		if (e == 0 && n <= 11)
			TEST_FAILED("failure at transfer %u went unnoticed", n);
		if (e != 0 && e != EIO && e != ENODEV && e != EPROTO &&
		    e != ETIMEDOUT)
			TEST_FAILED(
			    "transfer %u: unexpected %s", n, strerror(e));
	}
out:
	return err;
}

static int
test_decode_capture(void)
{
	/* MarkMLl's device-to-host bytes, in order, as `decode` sees them. */
	static const char *hex =
	    "0c80 0c80 06808087 118081818080808080\n"
	    "0e8081 028080b5b0c4a8c1a9 0281ffaba0a0a0a0a0\n"
	    "0480f5f3e5f2a0a0a0 0380a0a0a0a0a0a0a0  # device id, vendor\n"
	    "01e184c0908080ffff 01e085d59abde3ffff";
	struct collect c;
	int err = 0;

	TEST_ERR(devtest_decode(&drv_contec_cms50_v7, hex, &c));
	TEST_EQ(c.n, 2);
	TEST_TRUE(c.r[0].flags & DEV_FLAG_FINGER_OUT);
	TEST_EQ(c.r[1].v[0].value, 99);
	TEST_EQ(c.r[1].v[1].value, 61);
	TEST_EQ(c.bad, 0);
out:
	return err;
}

TEST_MAIN({ "open_identifies", test_open_identifies },
    { "live_readings", test_live_readings },
    { "pulse_high_bit", test_pulse_high_bit },
    { "finger_out", test_finger_out },
    { "perfusion_index", test_perfusion_index },
    { "resync_after_corruption", test_resync_after_corruption },
    { "implausible_rejected", test_implausible_rejected },
    { "not_an_oximeter", test_not_an_oximeter },
    { "fault_loop", test_fault_loop },
    { "decode_capture", test_decode_capture }, )
