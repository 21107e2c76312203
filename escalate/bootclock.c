/*
 * The one clock reading of the escalation engine (escalate.h): milliseconds
 * on CLOCK_BOOTTIME (it counts suspend and never jumps when the wall clock
 * is set), the kernel's boot id (a new one each boot, so a deadline of an
 * earlier boot is recognised) and the wall clock for records.  Kept apart
 * from escalate.c, which reads nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escalate/escalate.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

int
esc_now_read(struct esc_now *now)
{
	struct timespec ts;
	ssize_t n;
	int fd;

	memset(now, 0, sizeof(*now));
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return errno;
	now->boot_ms =
	    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return errno;
	now->wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	n = read(fd, now->boot_id, ESC_BOOTID_LEN);
	close(fd);
	if (n != ESC_BOOTID_LEN)
		return EIO;
	now->boot_id[ESC_BOOTID_LEN] = '\0';
	return 0;
}
