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

#include "visit.h"

void
visit_init(struct visit *v, struct kctx *ctx)
{
	memset(v, 0, sizeof(*v));
	v->ctx = ctx;
	v->dev_pipe[0] = v->dev_pipe[1] = -1;
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
	switch (err) {
	case 0:
		return "done";
	case EACCES:
		return "wrong passphrase or not allowed";
	case ENOENT:
		return "not found";
	case EEXIST:
		return "already stored";
	case EINVAL:
		return "not valid";
	case ENOSPC:
		return "the disk is full: nothing was saved";
	case EROFS:
		return "the storage is read-only: nothing was saved";
	case EIO:
		return "the storage failed: nothing was saved";
	case EBUSY:
		return "busy: try again";
	case EPERM:
		return "locked out: ask an administrator";
	case ENODEV:
		return "the device was unplugged";
	case ETIMEDOUT:
		return "the device stopped answering";
	default:
		return "unexpected error (see the log)";
	}
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
