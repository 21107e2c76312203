/*
 * Can this board do video in a consult?  Only with a camera that is a
 * real V4L2 capture device (not a /dev/video node that is a codec or
 * metadata only: VIDIOC_QUERYCAP says) and a display baresip 1.0 can
 * draw on: the Linux framebuffer (baresip's directfb module) or an X
 * server (its x11 module, package baresip-x11), each only when the
 * module is installed.  With either missing the call is voice only and
 * the screen says which is missing.  No guessing from names alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "call.h"

/* Is DEV a V4L2 device that captures video? */
static int
video_is_camera(const char *dev)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int fd, ok;

	if ((fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return 0;
	memset(&cap, 0, sizeof(cap));
	ok = ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0;
	close(fd);
	if (!ok)
		return 0;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps
	                                               : cap.capabilities;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) != 0 &&
	    (caps & V4L2_CAP_STREAMING) != 0;
}

static int
video_has_module(const char *moddir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s.so", moddir, name);
	return access(p, R_OK) == 0;
}

int
call_video_probe(const char *devdir, const char *moddir, const char *x_display,
    struct call_video *v)
{
	char best[16] = "", p[512];
	struct dirent *de;
	DIR *d;

	memset(v, 0, sizeof(*v));
	if (devdir == NULL)
		devdir = "/dev";
	if (moddir == NULL)
		moddir = CALL_BARESIP_MODULES;
	/* the lowest-numbered camera */
	if ((d = opendir(devdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "video", 5) != 0 ||
			    strlen(de->d_name) > 12)
				continue;
			snprintf(p, sizeof(p), "%s/%s", devdir, de->d_name);
			if ((best[0] == '\0' || strcmp(de->d_name, best) < 0) &&
			    video_is_camera(p))
				memcpy(best, de->d_name,
				    strlen(de->d_name) + 1); /* <= 13 */
		}
		closedir(d);
	}
	if (best[0] != '\0' && video_has_module(moddir, "v4l2")) {
		v->camera = 1;
		if ((size_t)snprintf(v->source, sizeof(v->source), "v4l2,%s/%s",
		        devdir, best) >= sizeof(v->source)) {
			v->camera = 0; /* a path too long for the config */
			v->source[0] = '\0';
		}
	}
	snprintf(p, sizeof(p), "%s/fb0", devdir);
	if (x_display != NULL && x_display[0] != '\0' &&
	    video_has_module(moddir, "x11")) {
		v->display = 1;
		snprintf(v->display_mod, sizeof(v->display_mod), "x11,nil");
	} else if (access(p, W_OK) == 0 &&
	    video_has_module(moddir, "directfb")) {
		v->display = 1;
		snprintf(
		    v->display_mod, sizeof(v->display_mod), "directfb,nil");
	}
	v->ok = v->camera && v->display;
	return v->ok;
}
