/*
 * Phone numbers to E.164 (model/phone.c): local numbers with the node's
 * country, international ones kept, bad ones refused with words a person
 * can act on, and search matching a local query against a stored E.164
 * number (issue 10, item 12).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "phone.h"
#include "test.h"

static int
test_normalise(void)
{
	static const char *const ok[][3] = {
		/* typed, country code, stored */
		{ "0756477422", "254", "+254756477422" },
		{ "0756 477-422", "254", "+254756477422" },
		{ "756477422", "254", "+254756477422" },
		{ "254756477422", "254", "+254756477422" },
		{ "+254756477422", "254", "+254756477422" },
		{ "+254 (756) 477.422", NULL, "+254756477422" },
		{ "00256772123456", "254", "+256772123456" },
		{ "+256772123456", "254", "+256772123456" },
		{ " 0772123456", "256", "+256772123456" },
		{ "2125551234", "1", "+12125551234" },
		{ "0756477422", NULL, "0756477422" }, /* no country: kept */
		{ "0756-477-422", NULL, "0756477422" },
	};
	static const char *const bad[][3] = {
		{ "07564x7422", "254", "only digits" },
		{ "0711", "254", "6 to 15 digits" },
		{ "", "254", "6 to 15 digits" },
		{ "+0756477422", "254", "never starts with 0" },
		{ "+254751", NULL, "7 to 15 digits after the +" },
		{ "+2547564774221234", NULL, "7 to 15 digits after the +" },
		{ "0756477422123456", "254", "more than 15 digits" },
		{ "+254 756 477 422 ext 3", "254", "only digits" },
	};
	char out[PHONE_MAX];
	const char *cause;
	size_t i;
	int err = 0;

	for (i = 0; i < nitems(ok); i++) {
		if (phone_normalise(
		        ok[i][0], ok[i][1], out, sizeof(out), &cause) != 0) {
			fprintf(stderr, "refused %s: %s\n", ok[i][0], cause);
			TEST_TRUE(0);
		}
		TEST_STR(out, ok[i][2]);
	}
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		TEST_EQ(phone_normalise(
		            bad[i][0], bad[i][1], out, sizeof(out), &cause),
		    EINVAL);
		TEST_TRUE(cause != NULL && strstr(cause, bad[i][2]) != NULL);
	}
	TEST_STR(phone_calling_code("ke"), "254");
	TEST_STR(phone_country("ke"), "KE");
	TEST_TRUE(phone_calling_code("XX") == NULL);
	TEST_TRUE(phone_calling_code("KEN") == NULL);
	TEST_TRUE(phone_calling_code(NULL) == NULL);
out:
	return err;
}

static int
test_match(void)
{
	int err = 0;

	/* the case: a local query finds the E.164 number */
	TEST_TRUE(phone_match("+254756477422", "0756477422", "254"));
	TEST_TRUE(phone_match("+254756477422", "0756 477 422", "254"));
	TEST_TRUE(phone_match("+254756477422", "+254756477422", "254"));
	TEST_TRUE(phone_match("+254756477422", "0756477422", NULL));
	/* a number stored before the node had a country */
	TEST_TRUE(phone_match("0756477422", "+254756477422", "254"));
	/* parts */
	TEST_TRUE(phone_match("+254756477422", "0756", "254"));
	TEST_TRUE(phone_match("+254756477422", "7422", "254"));
	TEST_TRUE(phone_match("+254756477422", "254756", "254"));
	/* not the same number */
	TEST_TRUE(!phone_match("+254756477422", "0756477423", "254"));
	TEST_TRUE(!phone_match("+256756477422", "+254756477422", "254"));
	TEST_TRUE(!phone_match("+254756477422", "075", "254"));
	TEST_TRUE(!phone_match(NULL, "0756477422", "254"));
	/* whole numbers only (the check-in's test) */
	TEST_TRUE(phone_same("+254756477422", "0756 477 422", "254"));
	TEST_TRUE(!phone_same("+254756477422", "0756", "254"));
	TEST_TRUE(!phone_same("+254756477422", "0756477422", "256"));
out:
	return err;
}

TEST_MAIN({ "normalise", test_normalise }, { "match", test_match })
