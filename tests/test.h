/*
 * The unit-test harness: a table of { name, fn }, run in order.  Each test
 * returns 0 (pass), TEST_SKIP (with a reason printed) or an error, and uses
 * the TEST_* macros, which print file:line and `goto out` like production
 * code.  Output is one line per case: "PASS: name", "FAIL: name" or
 * "SKIP: name: reason"; tests/run.sh counts them.
 *
 *   prog          run every case
 *   prog -l       list the cases
 *   prog NAME...  run the named cases
 */
#ifndef TEST_H
#define TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP 77

/* A fresh directory /tmp/outpost-TAG-XXXXXX (free with test_rmdir), or
 * NULL. */
static inline char *
test_tmpdir(const char *tag)
{
	char *d;

	if (asprintf(&d, "/tmp/outpost-%s-XXXXXX", tag) < 0)
		return NULL;
	if (mkdtemp(d) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

/* Remove D and everything in it, then free D; NULL is ignored. */
static inline void
test_rmdir(char *d)
{
	char cmd[512];

	if (d == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	free(d);
}

struct test {
	const char *name;
	int (*fn)(void);
};

#define TEST_FAILED(fmt, ...)                                                  \
	do {                                                                   \
		fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__,      \
		    __VA_ARGS__);                                              \
		err = EINVAL;                                                  \
		goto out;                                                      \
	} while (0)

#define TEST_EQ(a, b)                                                          \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			TEST_FAILED("%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)

#define TEST_TRUE(x)                                                           \
	do {                                                                   \
		if (!(x))                                                      \
			TEST_FAILED("%s is false", #x);                        \
	} while (0)

/* Expect a call returning 0 / errno to succeed. */
#define TEST_ERR(x)                                                            \
	do {                                                                   \
		int e_ = (x);                                                  \
		if (e_ != 0)                                                   \
			TEST_FAILED("%s: %s", #x, strerror(e_));               \
	} while (0)

#define TEST_STR(a, b)                                                         \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)           \
			TEST_FAILED("%s == %s: \"%s\" != \"%s\"", #a, #b,      \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)");           \
	} while (0)

#define TEST_MEM(a, b, n)                                                      \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0)                                \
			TEST_FAILED("%s == %s (%zu bytes) differ", #a, #b,     \
			    (size_t)(n));                                      \
	} while (0)

static inline int
test_run(const struct test *t, size_t n, int argc, char **argv)
{
	size_t i;
	int j, failed = 0, want, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		for (i = 0; i < n; i++)
			printf("%s\n", t[i].name);
		return 0;
	}
	for (i = 0; i < n; i++) {
		want = argc <= 1;
		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], t[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		r = t[i].fn();
		if (r == 0)
			printf("PASS: %s\n", t[i].name);
		else if (r == TEST_SKIP)
			printf("SKIP: %s\n", t[i].name);
		else {
			printf("FAIL: %s\n", t[i].name);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                         \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		static const struct test tests_[] = { __VA_ARGS__ };           \
		return test_run(                                               \
		    tests_, sizeof(tests_) / sizeof(tests_[0]), argc, argv);   \
	}

#endif
