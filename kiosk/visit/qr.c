/*
 * QR codes in the terminal through libqrencode.  Only drawing: what the
 * code holds (an otpauth:// URI with a secret) is the caller's, and its
 * copy inside libqrencode's symbol is wiped before it is freed.
 */
#define LOG_MODULE "qr"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "kiosk/visit/qr.h"
#include "log.h"
#include "xmalloc.h"

#define QR_QUIET 2

/* Whether module (X, Y) is dark; outside the symbol: light. */
static int
qr_dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int
qr_print(FILE *fp, const char *text)
{
	/* top light, bottom light: light modules are drawn (a terminal's
	 * background is usually dark) */
	static const char *half[4] = { "\u2588", "\u2580", "\u2584", " " };
	QRcode *q;
	int x, y, lo, hi;

	errno = 0;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL) {
		log_warnx("QR encoding failed");
		return errno != 0 ? errno : EINVAL;
	}
	lo = -QR_QUIET;
	hi = q->width + QR_QUIET;
	for (y = lo; y < hi; y += 2) {
		for (x = lo; x < hi; x++)
			fputs(half[qr_dark(q, x, y) * 2 +
			          (y + 1 < hi ? qr_dark(q, x, y + 1) : 1)],
			    fp);
		fputc('\n', fp);
	}
	explicit_bzero(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return 0;
}

int
qr_rows(const char *text, int ec_low, char ***rows, int *nrows, int *width)
{
	static const char *half[4] = { "\u2588", "\u2580", "\u2584", " " };
	QRcode *q;
	char *row;
	size_t cap, off, l;
	int x, y, lo, hi, n = 0, cell;

	*rows = NULL;
	*nrows = *width = 0;
	errno = 0;
	q = QRcode_encodeString(
	    text, 0, ec_low ? QR_ECLEVEL_L : QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL) {
		log_warnx("QR encoding failed");
		return errno != 0 ? errno : EINVAL;
	}
	lo = -QR_QUIET;
	hi = q->width + QR_QUIET;
	*rows = xcalloc((size_t)(hi - lo + 1) / 2, sizeof(**rows));
	cap = (size_t)(hi - lo) * 3 + 1; /* 3 bytes per half block */
	for (y = lo; y < hi; y += 2) {
		row = xcalloc(1, cap);
		for (x = lo, off = 0; x < hi; x++) {
			cell = qr_dark(q, x, y) * 2 +
			    (y + 1 < hi ? qr_dark(q, x, y + 1) : 1);
			l = strlen(half[cell]);
			memcpy(row + off, half[cell], l);
			off += l;
		}
		(*rows)[n++] = row;
	}
	*nrows = n;
	*width = hi - lo;
	explicit_bzero(q->data, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return 0;
}

void
qr_rows_free(char **rows, int nrows)
{
	int i;

	for (i = 0; i < nrows; i++)
		xfree_secret_str(rows[i]);
	free(rows);
}
