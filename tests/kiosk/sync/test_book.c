/*
 * The booking client's slot texts (kiosk/sync/book.c, issue 15): a slot
 * map from the server read with its clinician (SLOT_K_CLINICIAN, absent
 * from older servers), and the words the kiosk keeps for itself (the slot
 * list for when the link is down, a refusal's alternatives) written and
 * read back with the clinician, whatever characters their id holds;
 * words written before the clinician was kept still read; malformed words
 * and texts that do not fit are refused, never cut mid-word.
 */
#define LOG_MODULE "test_book"

#include <stdio.h>
#include <string.h>

#include "cborx.h"
#include "kiosk/sync/book.h"
#include "protocol.h"
#include "test.h"

static int
test_words(void)
{
	static const char *const who[] = { "", "dr-a", "KMPDC 1@x%2", "%%@@  ",
		"Dr Ñandú" };
	struct book_slot s, t;
	char w[256];
	size_t i;
	int n, err = 0;

	for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.id = 42 + i;
		s.start_ms = 1800000000000ULL;
		s.end_ms = s.start_ms + 1800000;
		snprintf(s.clinician, sizeof(s.clinician), "%s", who[i]);
		n = book_slot_fmt(&s, w, sizeof(w));
		TEST_TRUE(n > 0 && (size_t)n == strlen(w));
		/* one word: no space, whatever the id holds */
		TEST_TRUE(strchr(w, ' ') == NULL);
		TEST_ERR(book_slot_scan(w, &t));
		TEST_EQ(t.id, s.id);
		TEST_EQ(t.start_ms, s.start_ms);
		TEST_EQ(t.end_ms, s.end_ms);
		TEST_STR(t.clinician, who[i]);
		TEST_STR(t.status, "free");
	}
	/* written before the clinician was kept */
	TEST_ERR(book_slot_scan("7@1000@2000", &t));
	TEST_EQ(t.id, 7);
	TEST_STR(t.clinician, "");
	TEST_EQ(book_slot_scan("7@1000", &t), EINVAL);
	TEST_EQ(book_slot_scan("7@2000@1000", &t), EINVAL);
	TEST_EQ(book_slot_scan("7@1000@2000x", &t), EINVAL);
	TEST_EQ(book_slot_scan("7@1000@2000@a%2", &t), EINVAL);
	/* too small: refused, not cut */
	memset(&s, 0, sizeof(s));
	s.id = 1;
	s.start_ms = 1000;
	s.end_ms = 2000;
	snprintf(s.clinician, sizeof(s.clinician), "dr-a");
	TEST_EQ(book_slot_fmt(&s, w, 12), -1);
	TEST_EQ(book_slot_fmt(&s, w, 16), -1);
	TEST_EQ(book_slot_fmt(&s, w, 17), 16);
	TEST_STR(w, "1@1000@2000@dr-a");
out:
	return err;
}

static int
test_map_and_alts(void)
{
	cbor_item_t *m = cborx_map(5);
	struct book_answer a;
	struct book_slot s;
	char text[50];
	int err = 0;

	cborx_map_put(m, SLOT_K_ID, cborx_uint(9));
	cborx_map_put(m, SLOT_K_START, cborx_uint(1000));
	cborx_map_put(m, SLOT_K_END, cborx_uint(2000));
	cborx_map_put(m, SLOT_K_STATUS, cborx_text("free"));
	TEST_ERR(book_slot_read(m, &s));
	TEST_STR(s.clinician, ""); /* an older server's */
	cborx_map_put(m, SLOT_K_CLINICIAN, cborx_text("dr a"));
	TEST_ERR(book_slot_read(m, &s));
	TEST_STR(s.clinician, "dr a");
	/* a refusal's text: the result, then whole alternatives only */
	memset(&a, 0, sizeof(a));
	a.result = WERR_SLOT_TAKEN;
	a.alts[0] = a.alts[1] = a.alts[2] = s;
	a.alts[1].id = 10;
	a.alts[2].id = 11;
	a.nalts = 3;
	book_alts_text(&a, text, sizeof(text));
	TEST_STR(text, "36 9@1000@2000@dr%20a 10@1000@2000@dr%20a");
out:
	cbor_decref(&m);
	return err;
}

TEST_MAIN({ "words", test_words }, { "map_and_alts", test_map_and_alts })
