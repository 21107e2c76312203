/*
 * The CSV reader (common/csv.c) against RFC 4180 and what spreadsheets
 * really write: quotes, doubled quotes, CRLF, LF and CR line ends, line
 * breaks inside quotes, a byte-order mark, empty fields, ragged rows, and
 * the bounds.  Each malformed record must give EBADMSG with a reason, and
 * the reader must go on with the next line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "test.h"
#include "xmalloc.h"

/* A reader over the bytes S (LEN of them, or strlen(S) when LEN is 0). */
struct rd {
	FILE *f;
	struct csv c;
	unsigned long line;
	char *cause;
};

static int
rd_open(struct rd *r, const char *s, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (len == 0)
		len = strlen(s);
	/* fmemopen may refuse a size of 0: an empty temporary file then */
	r->f = len > 0 ? fmemopen((void *)s, len, "r") : tmpfile();
	if (r->f == NULL)
		return errno;
	csv_init(&r->c, r->f);
	return 0;
}

static int
rd_next(struct rd *r)
{
	free(r->cause);
	r->cause = NULL;
	return csv_next(&r->c, &r->line, &r->cause);
}

static void
rd_close(struct rd *r)
{
	csv_free(&r->c);
	if (r->f != NULL)
		fclose(r->f);
	free(r->cause);
	r->f = NULL;
	r->cause = NULL;
}

/* The next record must be NF fields equal to WANT[], starting on LINE. */
static int
rd_expect(struct rd *r, unsigned long line, int nf, const char *const *want)
{
	int i, err = 0;

	TEST_ERR(rd_next(r));
	TEST_EQ(r->line, line);
	TEST_EQ(r->c.nfields, nf);
	for (i = 0; i < nf; i++)
		TEST_STR(r->c.fields[i], want[i]);
out:
	return err;
}

#define EXPECT(r, line, ...)                                                   \
	do {                                                                   \
		static const char *const w_[] = { __VA_ARGS__ };               \
		TEST_ERR(rd_expect(                                            \
		    (r), (line), (int)(sizeof(w_) / sizeof(w_[0])), w_));      \
	} while (0)

static int
test_csv_plain(void)
{
	struct rd r;
	int err = 0;

	/* CRLF, LF and a lone CR all end a record; no final line end */
	TEST_ERR(rd_open(&r, "a,b,c\r\n1,2,3\nx,y\rlast", 0));
	EXPECT(&r, 1, "a", "b", "c");
	EXPECT(&r, 2, "1", "2", "3");
	EXPECT(&r, 3, "x", "y");
	EXPECT(&r, 4, "last");
	TEST_EQ(rd_next(&r), ENOENT);
	TEST_EQ(rd_next(&r), ENOENT); /* and stays at the end */
	TEST_TRUE(r.cause == NULL);
out:
	rd_close(&r);
	return err;
}

static int
test_csv_quotes(void)
{
	struct rd r;
	int err = 0;

	TEST_ERR(rd_open(&r,
	    "\"Kibera, Nairobi\",\"he said \"\"hi\"\"\",plain\r\n"
	    "\"\",\"\"\"\",\"a\"\"\"\n"
	    "mid\"quote,\"x\"\n",
	    0));
	EXPECT(&r, 1, "Kibera, Nairobi", "he said \"hi\"", "plain");
	EXPECT(&r, 2, "", "\"", "a\"");
	/* a quote inside an unquoted field is kept as it is */
	EXPECT(&r, 3, "mid\"quote", "x");
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	return err;
}

static int
test_csv_quoted_newlines(void)
{
	struct rd r;
	int err = 0;

	/* line breaks inside quotes belong to the field; lines still count */
	TEST_ERR(rd_open(&r,
	    "\"two\nlines\",z\n"
	    "\"crlf\r\nkept\"\r\n"
	    "next\n",
	    0));
	EXPECT(&r, 1, "two\nlines", "z");
	EXPECT(&r, 3, "crlf\r\nkept");
	EXPECT(&r, 5, "next");
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	return err;
}

static int
test_csv_bom(void)
{
	struct rd r;
	int err = 0;

	TEST_ERR(rd_open(&r, "\xef\xbb\xbfname,label\nkib,Kibera\n", 0));
	EXPECT(&r, 1, "name", "label");
	EXPECT(&r, 2, "kib", "Kibera");
	TEST_EQ(rd_next(&r), ENOENT);
	rd_close(&r);
	/* only a whole BOM is skipped; other bytes stay */
	TEST_ERR(rd_open(&r, "\xef\xbbx,\xef\n", 0));
	EXPECT(&r, 1, "\xef\xbbx", "\xef");
	rd_close(&r);
	/* a BOM and nothing else is an empty file */
	TEST_ERR(rd_open(&r, "\xef\xbb\xbf", 0));
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	return err;
}

/* A pipe cannot be rewound: bytes read while looking for a BOM stay. */
static int
test_csv_bom_pipe(void)
{
	static const char *const in[] = { "\xef\xbbx,\xef\n",
		"\xef\xbb\xbfname\n", "\xef", "\xef\xbb" };
	static const char *const want[] = { "\xef\xbbx", "name", "\xef",
		"\xef\xbb" };
	struct rd r;
	size_t i;
	int fds[2], err = 0;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		TEST_ERR(pipe(fds) == 0 ? 0 : errno);
		if (write(fds[1], in[i], strlen(in[i])) !=
		    (ssize_t)strlen(in[i])) {
			close(fds[0]);
			close(fds[1]);
			TEST_FAILED("write %zu", i);
		}
		close(fds[1]);
		TEST_TRUE((r.f = fdopen(fds[0], "r")) != NULL);
		csv_init(&r.c, r.f);
		TEST_ERR(rd_next(&r));
		TEST_EQ(r.c.nfields, i == 0 ? 2 : 1);
		TEST_STR(r.c.fields[0], want[i]);
		TEST_EQ(rd_next(&r), ENOENT);
		rd_close(&r);
	}
out:
	rd_close(&r);
	return err;
}

static int
test_csv_empty_and_ragged(void)
{
	struct rd r;
	int err = 0;

	TEST_ERR(rd_open(&r, "", 0));
	TEST_EQ(rd_next(&r), ENOENT);
	rd_close(&r);
	TEST_ERR(rd_open(&r, ",,\n\na,\nh1,h2,h3\n1\n1,2,3,4\n", 0));
	EXPECT(&r, 1, "", "", "");
	EXPECT(&r, 2, ""); /* a blank line is one empty field */
	EXPECT(&r, 3, "a", "");
	/* ragged rows are returned as they are; callers decide */
	EXPECT(&r, 4, "h1", "h2", "h3");
	EXPECT(&r, 5, "1");
	EXPECT(&r, 6, "1", "2", "3", "4");
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	return err;
}

static int
test_csv_malformed(void)
{
	struct rd r;
	int err = 0;

	/* text after a closing quote: an error, then the next line */
	TEST_ERR(rd_open(&r, "ok\n\"a\"b,c\nnext\n", 0));
	EXPECT(&r, 1, "ok");
	TEST_EQ(rd_next(&r), EBADMSG);
	TEST_EQ(r.line, 2);
	TEST_TRUE(r.cause != NULL && strstr(r.cause, "closing quote") != NULL);
	TEST_EQ(r.c.nfields, 0);
	EXPECT(&r, 3, "next");
	TEST_EQ(rd_next(&r), ENOENT);
	rd_close(&r);
	/* a quote never closed: a clear error, then the end */
	TEST_ERR(rd_open(&r, "ok\n\"never closed,x\nmore\n", 0));
	EXPECT(&r, 1, "ok");
	TEST_EQ(rd_next(&r), EBADMSG);
	TEST_EQ(r.line, 2);
	TEST_TRUE(r.cause != NULL && strstr(r.cause, "never closed") != NULL);
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	return err;
}

static int
test_csv_bounds(void)
{
	struct rd r;
	char *s = NULL, *p;
	size_t n = CSV_MAX_FIELD + 1;
	int i, err = 0;

	/* a field of exactly CSV_MAX_FIELD bytes, then one byte more */
	s = xmalloc(3 * n + 64);
	p = s;
	memset(p, 'x', CSV_MAX_FIELD);
	p += CSV_MAX_FIELD;
	*p++ = '\n';
	memset(p, 'y', n);
	p += n;
	memcpy(p, ",z\n\"", 4);
	p += 4;
	memset(p, 'q', n);
	p += n;
	memcpy(p, "\"\nafter\n", 9);
	TEST_ERR(rd_open(&r, s, 0));
	TEST_ERR(rd_next(&r));
	TEST_EQ(r.c.nfields, 1);
	TEST_EQ(strlen(r.c.fields[0]), CSV_MAX_FIELD);
	TEST_EQ(rd_next(&r), EBADMSG);
	TEST_EQ(r.line, 2);
	TEST_TRUE(r.cause != NULL && strstr(r.cause, "longer than") != NULL);
	TEST_EQ(rd_next(&r), EBADMSG); /* the same, quoted */
	TEST_EQ(r.line, 3);
	EXPECT(&r, 4, "after");
	TEST_EQ(rd_next(&r), ENOENT);
	rd_close(&r);
	/* CSV_MAX_FIELDS fields, then one more */
	p = s;
	for (i = 0; i < CSV_MAX_FIELDS; i++)
		*p++ = ',';
	*p++ = '\n';
	for (i = 0; i < CSV_MAX_FIELDS - 1; i++)
		*p++ = ',';
	*p++ = '\n';
	*p = '\0';
	TEST_ERR(rd_open(&r, s, 0));
	TEST_EQ(rd_next(&r), EBADMSG);
	TEST_TRUE(r.cause != NULL && strstr(r.cause, "fields") != NULL);
	TEST_ERR(rd_next(&r));
	TEST_EQ(r.line, 2);
	TEST_EQ(r.c.nfields, CSV_MAX_FIELDS);
	TEST_EQ(rd_next(&r), ENOENT);
out:
	rd_close(&r);
	free(s);
	return err;
}

TEST_MAIN({ "csv_plain", test_csv_plain }, { "csv_quotes", test_csv_quotes },
    { "csv_quoted_newlines", test_csv_quoted_newlines },
    { "csv_bom", test_csv_bom }, { "csv_bom_pipe", test_csv_bom_pipe },
    { "csv_empty_and_ragged", test_csv_empty_and_ragged },
    { "csv_malformed", test_csv_malformed }, { "csv_bounds", test_csv_bounds })
