/*
 * The emergency SMS (sms.h): the page and the cancel in one GSM-7 segment,
 * and the reply parser.  Everything not in the safe ASCII subset of GSM
 * 03.38 is transliterated or left out, so one character is one septet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "escalate/sms.h"

/* The GSM 03.38 basic characters with the same code in ASCII (and so one
 * septet each), less the ones a phone may show oddly. */
static int
safe_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr(" .,:;-+/()'?!=", c));
}

/* Copy S into OUT (at most MAX characters), safe characters only; common
 * Latin-1 letters in UTF-8 lose their accent, anything else goes. */
static void
clean(const char *s, char *out, size_t max)
{
	static const struct {
		const char *utf8;
		char ascii;
	} tr[] = {
		{ "\xc3\xa0", 'a' },
		{ "\xc3\xa1", 'a' },
		{ "\xc3\xa2", 'a' },
		{ "\xc3\xa7", 'c' },
		{ "\xc3\xa8", 'e' },
		{ "\xc3\xa9", 'e' },
		{ "\xc3\xaa", 'e' },
		{ "\xc3\xae", 'i' },
		{ "\xc3\xaf", 'i' },
		{ "\xc3\xb4", 'o' },
		{ "\xc3\xb6", 'o' },
		{ "\xc3\xb9", 'u' },
		{ "\xc3\xbb", 'u' },
		{ "\xc3\xbc", 'u' },
		{ "\xc3\x89", 'E' },
		{ "\xc3\x80", 'A' },
		{ "\xc3\x87", 'C' },
		{ "\xc3\xb1", 'n' },
	};
	size_t n = 0, i;

	while (*s != '\0' && n < max) {
		for (i = 0; i < sizeof(tr) / sizeof(tr[0]); i++)
			if (strncmp(s, tr[i].utf8, 2) == 0)
				break;
		if (i < sizeof(tr) / sizeof(tr[0])) {
			out[n++] = tr[i].ascii;
			s += 2;
			continue;
		}
		if (safe_char(*s) &&
		    !(*s == ' ' && (n == 0 || out[n - 1] == ' ')))
			out[n++] = *s;
		s++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int
e164(const char *p)
{
	size_t n;

	if (p == NULL || p[0] != '+' || p[1] < '1' || p[1] > '9')
		return 0;
	n = strspn(p + 1, "0123456789");
	return p[1 + n] == '\0' && n >= 7 && n <= 15;
}

static int
code_ok(const char *c)
{
	char n[ESC_CODE_LEN + 1];

	return esc_code_norm(c, strnlen(c, ESC_CODE_LEN + 1), n) == 0 &&
	    strcmp(n, c) == 0;
}

/* Append " NAME VAL" when VAL was measured. */
static void
vital(char *b, size_t sz, const char *name, int val)
{
	size_t n = strlen(b);

	if (val != ESC_VAL_NONE)
		snprintf(b + n, sz - n, "%s%s %d", n > 0 ? " " : "", name, val);
}

static void
vitals(const struct esc_sms_in *in, char *b, size_t sz)
{
	size_t n;

	b[0] = '\0';
	vital(b, sz, "SpO2", in->spo2);
	vital(b, sz, "RR", in->rr);
	vital(b, sz, "HR", in->hr);
	vital(b, sz, "BP", in->sbp);
	n = strlen(b);
	if (in->temp_dc != ESC_VAL_NONE)
		snprintf(b + n, sz - n, "%sT%d.%d", n > 0 ? " " : "",
		    in->temp_dc / 10,
		    (in->temp_dc < 0 ? -in->temp_dc : in->temp_dc) % 10);
	n = strlen(b);
	if (in->avpu != 0 && strchr("ACVPU", in->avpu) != NULL)
		snprintf(b + n, sz - n, "%s%c", n > 0 ? " " : "", in->avpu);
}

int
esc_sms_page(const struct esc_sms_in *in, char out[ESC_SMS_MAX + 1])
{
	char head[24] = "", who[16] = "", score[16] = "", vit[64],
	     land[ESC_LANDMARK_MAX + 1], pos[48] = "", body[512];
	int n, pass;

	out[0] = '\0';
	if (!code_ok(in->code) || !e164(in->chw_phone))
		return EINVAL;
	if (in->repeat > 0)
		snprintf(
		    head, sizeof(head), "REPEAT %d/%d ", in->repeat, in->loops);
	if (in->sex == 'F' || in->sex == 'M')
		who[0] = in->sex;
	if (in->age != ESC_VAL_NONE && in->age >= 0 && in->age < 150)
		snprintf(who + strlen(who), sizeof(who) - strlen(who), "%d",
		    in->age);
	if (in->news2 != ESC_VAL_NONE)
		snprintf(score, sizeof(score), "%sNEWS2 %d", who[0] ? " " : "",
		    in->news2);
	vitals(in, vit, sizeof(vit));
	clean(in->landmark != NULL ? in->landmark : "", land, ESC_LANDMARK_MAX);
	if (in->has_pos)
		snprintf(pos, sizeof(pos), " %.5f,%.5f.", in->lat, in->lon);
	for (pass = 0; pass < 2; pass++) {
		n = snprintf(body, sizeof(body),
		    "%sEMERGENCY %s: %s%s%s%s%s%s.%s%s%s CHW %s. Reply %s "
		    "A=accept X=cannot",
		    head, in->code, who, score,
		    vit[0] && (who[0] || score[0]) ? " " : "",
		    vit[0] ? "(" : "", vit, vit[0] ? ")" : "",
		    pass == 0 && land[0] ? " " : "", pass == 0 ? land : "",
		    pass == 0 && land[0] ? "." : "", in->chw_phone, in->code);
		if (pos[0] != '\0') {
			/* coordinates go after the site, before the CHW */
			char *chw = strstr(body, " CHW ");
			size_t pl = strlen(pos);

			if (chw != NULL && (size_t)n + pl < sizeof(body)) {
				memmove(chw + pl, chw, strlen(chw) + 1);
				memcpy(chw, pos, pl);
				n += (int)pl;
			}
		}
		if (n >= 0 && n <= ESC_SMS_MAX && esc_gsm7_septets(body) == n) {
			memcpy(out, body, (size_t)n + 1);
			return 0;
		}
	}
	return EMSGSIZE;
}

int
esc_sms_cancel(const char *code, const char *reason, char out[ESC_SMS_MAX + 1])
{
	char r[ESC_SMS_MAX + 1];
	int n;

	out[0] = '\0';
	if (!code_ok(code))
		return EINVAL;
	n = snprintf(out, ESC_SMS_MAX + 1, "CANCELLED %s: ", code);
	clean(reason != NULL ? reason : "", r, (size_t)(ESC_SMS_MAX - n));
	if (r[0] == '\0')
		snprintf(r, sizeof(r), "no reason given");
	snprintf(out + n, (size_t)(ESC_SMS_MAX + 1 - n), "%s", r);
	return 0;
}

int
esc_gsm7_septets(const char *s)
{
	/* GSM 03.38 basic characters that are ASCII at the same place, and
	 * the extension table (two septets each). */
	static const char basic[] = " !\"#%&'()*+,-./0123456789:;<=>?"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "abcdefghijklmnopqrstuvwxyz@$_\n\r";
	static const char ext[] = "^{}\\[~]|";
	int n = 0;

	for (; *s != '\0'; s++) {
		if (strchr(basic, *s) != NULL)
			n++;
		else if (strchr(ext, *s) != NULL)
			n += 2;
		else
			return -1;
	}
	return n;
}

int
esc_reply_parse(const char *text, size_t len, struct esc_reply *r)
{
	char b[64], c;
	size_t i, n = 0;
	uint32_t m = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < len && text[i] != '\0'; i++) {
		c = text[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (n + 1 >= sizeof(b))
			return EINVAL;
		b[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	while (n > 0 && (b[n - 1] == '.' || b[n - 1] == '!'))
		n--;
	b[n] = '\0';
	if (n < ESC_CODE_LEN + 1 || esc_code_norm(b, ESC_CODE_LEN, r->code))
		return EINVAL;
	c = b[ESC_CODE_LEN];
	if (c != 'A' && c != 'X' && c != 'D')
		return EINVAL;
	r->kind = (enum esc_reply_kind)c;
	for (i = ESC_CODE_LEN + 1; i < n; i++) {
		if (c != 'A' || b[i] < '0' || b[i] > '9' ||
		    i > ESC_CODE_LEN + 4)
			return EINVAL;
		m = m * 10 + (uint32_t)(b[i] - '0');
	}
	if (m > 600)
		return EINVAL;
	r->minutes = m;
	return 0;
}
