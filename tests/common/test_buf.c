/* Bounded buffers and string helpers. */
#include <errno.h>
#include <stdlib.h>

#include "buf.h"
#include "str.h"
#include "test.h"
#include "xmalloc.h"

static int
test_buf_bounds(void)
{
	struct buf b;
	char *s = NULL;
	int err = 0;

	buf_init(&b, 8);
	TEST_ERR(buf_append(&b, "abcd", 4));
	TEST_ERR(buf_printf(&b, "%d", 1234));
	TEST_EQ(b.len, 8);
	TEST_EQ(buf_append_byte(&b, 'x'), EMSGSIZE);
	TEST_EQ(b.len, 8); /* a refused append leaves the buffer as it was */
	buf_consume(&b, 2);
	TEST_EQ(b.len, 6);
	s = buf_take_str(&b);
	TEST_STR(s, "cd1234");
	TEST_EQ(buf_append(&b, "123456789", 9), EMSGSIZE);
	/* length overflow must not wrap */
	TEST_EQ(buf_append(&b, "x", SIZE_MAX), EMSGSIZE);
out:
	free(s);
	buf_free(&b);
	return err;
}

static int
test_str_numbers(void)
{
	long long v;
	double d;
	int err = 0;

	TEST_ERR(str_to_ll("42", 0, 100, &v));
	TEST_EQ(v, 42);
	TEST_EQ(str_to_ll("101", 0, 100, &v), ERANGE);
	TEST_EQ(str_to_ll("4x", 0, 100, &v), EINVAL);
	TEST_EQ(str_to_ll("", 0, 100, &v), EINVAL);
	TEST_EQ(str_to_ll(" 4", 0, 100, &v), EINVAL);
	TEST_ERR(str_to_double("36.6", &d));
	TEST_TRUE(d > 36.59 && d < 36.61);
	TEST_EQ(str_to_double("nan", &d), EINVAL);
	TEST_EQ(str_to_double("1e999", &d), EINVAL);
out:
	return err;
}

static int
test_str_text(void)
{
	char small[4], t[] = "  hello \n";
	int err = 0;

	TEST_EQ(str_lcpy(small, "abcdef", sizeof(small)), 6);
	TEST_STR(small, "abc");
	TEST_STR(str_trim(t), "hello");
	TEST_TRUE(str_icontains("Amina Otieno", "otie"));
	TEST_TRUE(!str_icontains("Amina", "bob"));
	TEST_EQ(str_edit_distance("Otieno", "otieno", 2), 0);
	TEST_EQ(str_edit_distance("Otieno", "Otiena", 2), 1);
	TEST_EQ(str_edit_distance("Wanjiku", "Wanjku", 2), 1);
	TEST_EQ(str_edit_distance("Amina", "Zawadi", 2), 3); /* limit+1 */
out:
	return err;
}

TEST_MAIN({ "buf_bounds", test_buf_bounds },
    { "str_numbers", test_str_numbers }, { "str_text", test_str_text })
