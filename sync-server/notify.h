/*
 * Readiness for systemd's Type=notify (issue 18), without libsystemd: one
 * datagram to $NOTIFY_SOCKET (notify.c).
 */
#ifndef SYNC_SERVER_NOTIFY_H
#define SYNC_SERVER_NOTIFY_H

/*
 * Send STATE ("READY=1", "STOPPING=1", "STATUS=...") to the socket named by
 * $NOTIFY_SOCKET.  0 when sent or when there is no such variable (not
 * under systemd); EINVAL for a name that is not an absolute path or an
 * abstract name (`@...`) or is too long; an errno of socket/sendto.
 */
int notify_send(const char *state);

#endif
