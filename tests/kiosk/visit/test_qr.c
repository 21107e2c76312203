/*
 * The QR code as rows of text (kiosk/visit/qr.c) that the enrolment
 * screen draws:
 *
 * same_as_print: at error correction M the rows are exactly what
 * `kiosk user mfa enrol` prints (qr_print), line for line.
 *
 * fits_screen: the screen's otpauth:// URI (totp_uri_short) of a user
 * with a 32-character name at error correction L fits beside the text of
 * an 80x24 screen (at most 21 rows, 42 columns); the full URI would not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kiosk/store/totp.h"
#include "kiosk/visit/qr.h"
#include "test.h"
#include "xmalloc.h"

static int
test_same_as_print(void)
{
	const char *text = "otpauth://totp/Outpost:doc?secret=ABCDEFGH";
	char **rows = NULL, *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	int n = 0, w = 0, i = 0, err = 0;

	TEST_ERR(qr_rows(text, 0, &rows, &n, &w));
	TEST_TRUE(n > 0 && w > 0);
	fp = open_memstream(&buf, &len);
	TEST_TRUE(fp != NULL);
	TEST_ERR(qr_print(fp, text));
	fclose(fp);
	fp = NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		TEST_TRUE(i < n);
		TEST_STR(line, rows[i]);
	}
	TEST_EQ(i, n);
out:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	qr_rows_free(rows, n);
	return err;
}

static int
test_fits_screen(void)
{
	uint8_t secret[TOTP_SECRET_LEN];
	char *b32, *uri, *full, **rows = NULL;
	const char *name = "abcdefghijklmnopqrstuvwxyz-12345";
	int n = 0, w = 0, err = 0;

	crypto_random(secret, sizeof(secret));
	b32 = totp_base32(secret, sizeof(secret));
	uri = totp_uri_short("Outpost", name, b32);
	full = totp_uri("Outpost", name, b32);
	TEST_ERR(qr_rows(uri, 1, &rows, &n, &w));
	printf("  %zu-byte URI: %d rows of %d columns\n", strlen(uri), n, w);
	TEST_TRUE(n <= 21 && w <= 42);
	qr_rows_free(rows, n);
	rows = NULL;
	TEST_ERR(qr_rows(full, 0, &rows, &n, &w));
	TEST_TRUE(n > 21);
out:
	qr_rows_free(rows, n);
	xfree_secret_str(b32);
	xfree_secret_str(uri);
	xfree_secret_str(full);
	return err;
}

TEST_MAIN({ "same_as_print", test_same_as_print },
    { "fits_screen", test_fits_screen })
