/*
 * The visit as a whole: starting it empty, the words it uses for errors,
 * the one door through which it speaks to the person (the say callback
 * the UI sets), and today's list for the home screen, asked of the store.
 * No curses and no SQL here (kiosk/visit/visit.h says why).
 */
#define LOG_MODULE "visit"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "kiosk/kctx.h"
#include "visit.h"

void
visit_init(struct visit *v, struct kctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->ctx = ctx;
	v->dev_pipe[0] = v->dev_pipe[1] = -1;
	v->mfa_due = -1;
	visit_vitals_reset(&v->vitals);
}

void
visit_say(struct visit *v, int kind, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	if (v->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	v->say(v->say_arg, kind, text);
}

const char *
visit_strerror(int err)
{
	return _(kctx_explain(err));
}

int
visit_today_list(struct visit *v, struct store_today *rows, int max, int *n)
{
	size_t got = 0;
	int err;

	*n = 0;
	if (v->store == NULL || max < 0)
		return EINVAL;
	err = store_encounter_list_today(v->store, rows, (size_t)max, &got);
	*n = (int)got;
	return err;
}
