/* JSON string escaping (common/json.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "test.h"

static int
test_json_str(void)
{
	struct buf b;
	char *s = NULL, out[64];
	FILE *f = NULL;
	int err = 0;

	buf_init(&b, 1024);
	TEST_ERR(json_str(&b, "a\"b\\c\n\x01\x1f k\xc3\xa9"));
	s = buf_take_str(&b);
	TEST_STR(s, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f k\xc3\xa9\"");
	free(s);
	s = NULL;
	TEST_ERR(json_str(&b, ""));
	s = buf_take_str(&b);
	TEST_STR(s, "\"\"");
	/* bounded: "abc" needs 5 bytes */
	buf_init(&b, 4);
	TEST_EQ(json_str(&b, "abc"), EMSGSIZE);
	buf_free(&b);
	/* the stdio form writes the same */
	TEST_TRUE((f = tmpfile()) != NULL);
	TEST_ERR(json_fputs(f, "x\"\t"));
	rewind(f);
	memset(out, 0, sizeof(out));
	TEST_EQ(fread(out, 1, sizeof(out) - 1, f), 11);
	TEST_STR(out, "\"x\\\"\\u0009\"");
out:
	if (f != NULL)
		fclose(f);
	buf_free(&b);
	free(s);
	return err;
}

TEST_MAIN({ "json_str", test_json_str })
