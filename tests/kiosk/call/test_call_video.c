/*
 * Video detection (kiosk/call/call_video.c): a camera only when a
 * /dev/video node answers VIDIOC_QUERYCAP as a capture device, a display
 * only with a framebuffer (directfb) or an X display (x11), each only
 * with its baresip module installed.  Fake device trees in a temporary
 * directory: a node named video0 that is not a V4L2 device is no camera.
 * No V4L2 device exists on this machine (and v4l2loopback cannot be
 * loaded here), so the "camera found" branch is not exercised: said in
 * kiosk/call/README.md.  The real /dev is probed too and must agree with
 * what the kernel says.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiosk/call/call.h"
#include "test.h"
#include "xmalloc.h"

static int
touch(const char *dir, const char *name)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_CREAT | O_WRONLY, 0600)) < 0)
		return errno;
	close(fd);
	return 0;
}

static int
test_probe(void)
{
	char *dev = test_tmpdir("vdev"), *mods = test_tmpdir("vmod");
	struct call_video v;
	int err = 0;

	TEST_TRUE(dev != NULL && mods != NULL);
	/* nothing at all: no camera, no display, even with X set but no
	 * x11 module */
	TEST_EQ(call_video_probe(dev, mods, ":0", &v), 0);
	TEST_EQ(v.camera, 0);
	TEST_EQ(v.display, 0);
	/* a "video0" that is a plain file, not a V4L2 device, and the v4l2
	 * module: still no camera */
	TEST_ERR(touch(dev, "video0"));
	TEST_ERR(touch(mods, "v4l2.so"));
	TEST_EQ(call_video_probe(dev, mods, NULL, &v), 0);
	TEST_EQ(v.camera, 0);
	TEST_STR(v.source, "");
	/* a framebuffer without the directfb module: no display */
	TEST_ERR(touch(dev, "fb0"));
	TEST_EQ(call_video_probe(dev, mods, NULL, &v), 0);
	TEST_EQ(v.display, 0);
	/* with it: a display, still voice only (no camera) */
	TEST_ERR(touch(mods, "directfb.so"));
	TEST_EQ(call_video_probe(dev, mods, NULL, &v), 0);
	TEST_EQ(v.display, 1);
	TEST_STR(v.display_mod, "directfb,nil");
	TEST_EQ(v.camera, 0);
	/* X preferred when $DISPLAY is set and x11 is installed */
	TEST_ERR(touch(mods, "x11.so"));
	TEST_EQ(call_video_probe(dev, mods, ":0", &v), 0);
	TEST_STR(v.display_mod, "x11,nil");
	TEST_EQ(call_video_probe(dev, mods, "", &v), 0);
	TEST_STR(v.display_mod, "directfb,nil");
	/* the real board: a camera only if the kernel has a capture node */
	call_video_probe(NULL, NULL, getenv("DISPLAY"), &v);
	if (access("/dev/video0", F_OK) != 0)
		TEST_EQ(v.camera, 0);
	fprintf(stderr, "  this machine: camera %d, display %d%s%s\n", v.camera,
	    v.display, v.camera ? ", " : "", v.source);
out:
	if (dev != NULL)
		test_rmdir(dev);
	if (mods != NULL)
		test_rmdir(mods);
	return err;
}

TEST_MAIN({ "probe", test_probe })
