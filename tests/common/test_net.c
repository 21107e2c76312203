/* ADDR:PORT parsing (common/net.c), as --listen and faultproxy take it. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "net.h"
#include "test.h"

static int
test_parse_addr(void)
{
	static const char *const bad[] = { "", "8443", "127.0.0.1", ":",
		"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8x",
		"localhost:80", "::1:80", "1.2.3.4.5:80",
		"0123456789012345678901234567890123456789012345678901234567890123"
		"4567:80" };
	struct sockaddr_in sa;
	size_t i;
	int err = 0;

	TEST_ERR(net_parse_addr("127.0.0.1:8443", &sa));
	TEST_EQ(sa.sin_family, AF_INET);
	TEST_EQ(ntohs(sa.sin_port), 8443);
	TEST_EQ(ntohl(sa.sin_addr.s_addr), 0x7f000001);
	TEST_ERR(net_parse_addr("10.0.0.2:0", &sa));
	TEST_EQ(ntohs(sa.sin_port), 0);
	TEST_ERR(net_parse_addr("*:65535", &sa));
	TEST_EQ(ntohs(sa.sin_port), 65535);
	TEST_EQ(sa.sin_addr.s_addr, htonl(INADDR_ANY));
	TEST_ERR(net_parse_addr(":80", &sa));
	TEST_EQ(sa.sin_addr.s_addr, htonl(INADDR_ANY));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (net_parse_addr(bad[i], &sa) != EINVAL)
			TEST_FAILED("accepted \"%s\"", bad[i]);
out:
	return err;
}

TEST_MAIN({ "parse_addr", test_parse_addr })
