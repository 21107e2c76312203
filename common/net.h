/*
 * Socket address helpers shared by the sync server and the test tools.
 * IPv4 only, as the server listens on IPv4 only.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>

/*
 * Parse "ADDR:PORT" (PORT 0-65535; ADDR a dotted quad, or empty or "*" for
 * any address) into SA.  Returns 0 or EINVAL.
 */
int net_parse_addr(const char *s, struct sockaddr_in *sa);

#endif
