/*
 * ADDR:PORT parsing (see net.h).  No name resolution: a kiosk site may
 * have no DNS, and a listen address is always a literal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net.h"
#include "str.h"

int
net_parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	long long port;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
	    str_to_ll(colon + 1, 0, 65535, &port) != 0)
		return EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return EINVAL;
	return 0;
}
