/*
 * ESC/POS receipts (escpos.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "escpos.h"

static const unsigned char esc_init[] = { 0x1b, 0x40 }; /* ESC @ */
static const unsigned char esc_feed[] = { 0x1b, 0x64, 4 }; /* ESC d 4 */
static const unsigned char gs_cut[] = { 0x1d, 0x56, 0x42, 0 }; /* GS V B 0 */

/* One line of TEXT (N bytes, no '\n') wrapped at COLS, at a space when
 * there is one in the row. */
static void
escpos_line(FILE *out, const char *t, size_t n, int cols)
{
	size_t i, cut;
	char c;

	while (n > (size_t)cols) {
		for (cut = (size_t)cols; cut > 0 && t[cut] != ' '; cut--)
			;
		if (cut == 0)
			cut = (size_t)cols;
		for (i = 0; i < cut; i++) {
			c = t[i];
			fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
		}
		fputc('\n', out);
		t += cut;
		n -= cut;
		while (n > 0 && *t == ' ') {
			t++;
			n--;
		}
	}
	for (i = 0; i < n; i++) {
		c = t[i];
		fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
	}
	fputc('\n', out);
}

int
escpos_receipt(FILE *out, const char *text, size_t len, int cols)
{
	const char *nl;
	size_t n;

	if (cols < 8)
		return EINVAL;
	fwrite(esc_init, 1, sizeof(esc_init), out);
	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		escpos_line(out, text, n, cols);
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
	fwrite(esc_feed, 1, sizeof(esc_feed), out);
	fwrite(gs_cut, 1, sizeof(gs_cut), out);
	if (fflush(out) != 0 || ferror(out))
		return errno ? errno : EIO;
	return 0;
}
