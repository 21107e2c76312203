/* Hex and base64 against RFC 4648 §10 test vectors. */
#include <errno.h>
#include <stdlib.h>

#include "encode.h"
#include "test.h"

static int
test_hex(void)
{
	uint8_t out[8];
	size_t n;
	char *s = NULL;
	int err = 0;

	s = hex_encode("\x00\xff\x10", 3);
	TEST_STR(s, "00ff10");
	TEST_ERR(hex_decode("00FF10", out, sizeof(out), &n));
	TEST_EQ(n, 3);
	TEST_MEM(out, "\x00\xff\x10", 3);
	TEST_EQ(hex_decode("0", out, sizeof(out), &n), EINVAL);
	TEST_EQ(hex_decode("zz", out, sizeof(out), &n), EINVAL);
	TEST_EQ(
	    hex_decode("001122334455667788", out, sizeof(out), &n), EMSGSIZE);
out:
	free(s);
	return err;
}

static int
test_base64(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
		"fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	uint8_t out[16];
	size_t i, n;
	char *s = NULL;
	int err = 0;

	for (i = 0; i < 7; i++) {
		s = base64_encode(plain[i], strlen(plain[i]), 0);
		TEST_STR(s, coded[i]);
		free(s);
		s = NULL;
		TEST_ERR(base64_decode(coded[i], strlen(coded[i]), out, &n));
		TEST_EQ(n, strlen(plain[i]));
		TEST_MEM(out, plain[i], n);
	}
	s = base64_encode("\xfb\xff", 2, 1);
	TEST_STR(s, "-_8=");
	TEST_EQ(base64_decode("Zm9v!", 5, out, &n), EINVAL);
	TEST_EQ(base64_decode("Zh==", 4, out, &n), EINVAL); /* stray bits */
out:
	free(s);
	return err;
}

TEST_MAIN({ "hex", test_hex }, { "base64", test_base64 })
