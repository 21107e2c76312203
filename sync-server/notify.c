/*
 * sd_notify(3) by hand: systemd's notification protocol is one datagram of
 * `KEY=value` lines on the AF_UNIX socket $NOTIFY_SOCKET names (a path, or
 * `@name` in the abstract namespace).  A few lines instead of linking
 * libsystemd for one call.  It does not pass file descriptors, use the
 * watchdog or check $NOTIFY_SOCKET's owner: the server only says READY=1
 * once it listens (and has dropped root), and STOPPING=1 on a stop signal.
 */
#define LOG_MODULE "notify"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int
notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	socklen_t salen;
	int fd, err = 0;

	if (name == NULL || name[0] == '\0')
		return 0;
	len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || len >= sizeof(sa.sun_path))
		return EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no terminating NUL */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (name[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	        (struct sockaddr *)&sa, salen) < 0)
		err = errno;
	close(fd);
	return err;
}
