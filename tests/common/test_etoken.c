/*
 * common/etoken.c: enrolment tokens as typed (issue 9, item 6).  A token
 * names its server key; every single mistyped character is caught by the
 * check character; case, dashes, spaces and o/i/l do not matter; a token
 * of the old form (32 hex digits) is told apart.
 */
#include <errno.h>
#include <ctype.h>
#include <string.h>

#include "crypto.h"
#include "etoken.h"
#include "test.h"

static int
test_round_trip(void)
{
	uint8_t pub[32], other[32];
	char secret[ETOKEN_SECRET_LEN + 1], text[ETOKEN_TEXT_MAX];
	char s2[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1];
	char want[ETOKEN_FP_LEN + 1], typed[64];
	size_t i, o = 0;
	int err = 0;

	crypto_random(pub, sizeof(pub));
	crypto_random(other, sizeof(other));
	etoken_make(pub, secret, text);
	TEST_EQ(strlen(text), 41);
	TEST_EQ(text[5], '-');
	TEST_ERR(etoken_parse(text, s2, fp));
	TEST_STR(s2, secret);
	etoken_fingerprint(pub, want);
	TEST_STR(fp, want);
	etoken_fingerprint(other, want);
	TEST_TRUE(strcmp(fp, want) != 0);
	/* upper case, no dashes, spaces, o for 0 and l for 1 */
	for (i = 0; text[i] != '\0'; i++) {
		char c = text[i];

		if (c == '-') {
			typed[o++] = ' ';
			continue;
		}
		typed[o++] = c == '0' ? 'O' : c == '1' ? 'l' : (char)toupper(c);
	}
	typed[o] = '\0';
	TEST_ERR(etoken_parse(typed, s2, fp));
	TEST_STR(s2, secret);
out:
	return err;
}

static int
test_typos(void)
{
	static const char alpha[] = "0123456789abcdefghjkmnpqrstvwxyz";
	uint8_t pub[32];
	char secret[ETOKEN_SECRET_LEN + 1], text[ETOKEN_TEXT_MAX];
	char s2[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1], t[64];
	size_t i, a, caught = 0, swaps = 0, tried = 0;
	int round, err = 0;

	for (round = 0; round < 20; round++) {
		crypto_random(pub, sizeof(pub));
		etoken_make(pub, secret, text);
		for (i = 0; text[i] != '\0'; i++) {
			if (text[i] == '-')
				continue;
			for (a = 0; a < 32; a++) {
				if (alpha[a] == text[i])
					continue;
				memcpy(t, text, sizeof(text));
				t[i] = alpha[a];
				TEST_EQ(etoken_parse(t, s2, fp), EBADMSG);
				caught++;
			}
			/* swap with the next character of the token */
			if (text[i + 1] != '\0' && text[i + 1] != '-' &&
			    text[i + 1] != text[i]) {
				memcpy(t, text, sizeof(text));
				t[i] = text[i + 1];
				t[i + 1] = text[i];
				tried++;
				swaps += etoken_parse(t, s2, fp) == EBADMSG;
			}
		}
	}
	TEST_EQ(caught, 20 * 35 * 31);
	/* Luhn mod 32 misses only a few swaps (pairs summing to 31...) */
	TEST_TRUE(swaps * 100 >= tried * 90);
out:
	return err;
}

static int
test_bad_forms(void)
{
	char s[ETOKEN_SECRET_LEN + 1], fp[ETOKEN_FP_LEN + 1];
	int err = 0;

	TEST_EQ(
	    etoken_parse("00112233445566778899aabbccddeeff", s, fp), ENOKEY);
	TEST_EQ(etoken_parse("", s, fp), EINVAL);
	TEST_EQ(etoken_parse("abcd-efgh", s, fp), EINVAL);
	TEST_EQ(
	    etoken_parse("uuuuu-uuuuu-uuuuu-uuuuu-uuuuu-uuuuu-uuuuu", s, fp),
	    EINVAL);
	TEST_EQ(etoken_parse("00000-00000-00000-00000-00000-00000-00000-0000"
	                     "0-00000",
	            s, fp),
	    EINVAL);
out:
	return err;
}

TEST_MAIN({ "round_trip", test_round_trip }, { "typos", test_typos },
    { "bad_forms", test_bad_forms })
