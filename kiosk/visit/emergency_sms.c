/*
 * The sms_port's in-memory back-end (emergency.h): a modem for tests that
 * keeps what was sent and hands out scripted replies; and a modem in a
 * folder for the screen tests, which a test script steers.  Both stand in
 * for a GSM modem, which cannot run here; the ModemManager back-end is to
 * come.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiosk/visit/emergency.h"
#include "str.h"
#include "xmalloc.h"

static int
fake_send(void *arg, const char *to, const char *text, char ref[32])
{
	struct sms_fake *f = arg;

	if (f->outcome != 0)
		return f->outcome;
	if (f->nsent < SMS_FAKE_MAX) {
		snprintf(
		    f->sent[f->nsent].from, sizeof(f->sent[0].from), "%s", to);
		snprintf(f->sent[f->nsent].text, sizeof(f->sent[0].text), "%s",
		    text);
	}
	f->nsent++;
	snprintf(ref, 32, "%d", f->nsent);
	return 0;
}

static int
fake_recv(void *arg, struct sms_msg *m)
{
	struct sms_fake *f = arg;

	if (f->inpos >= f->nin)
		return ENOENT;
	*m = f->in[f->inpos++];
	return 0;
}

void
emergency_sms_fake(struct sms_port *p, struct sms_fake *f)
{
	memset(f, 0, sizeof(*f));
	p->arg = f;
	p->send = fake_send;
	p->recv = fake_recv;
	p->report = NULL;
}

void
emergency_sms_fake_reply(struct sms_fake *f, const char *from, const char *text)
{
	if (f->nin >= (int)(sizeof(f->in) / sizeof(f->in[0])))
		return;
	snprintf(f->in[f->nin].from, sizeof(f->in[0].from), "%s", from);
	snprintf(f->in[f->nin].text, sizeof(f->in[0].text), "%s", text);
	f->nin++;
}

/* --- the folder modem (screen tests) --- */

static void
dir_path(const struct sms_dir *d, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", d->dir, name);
}

/* DIR/modem's first word (MODE, "ok" when absent) and seconds. */
static void
dir_mode(const struct sms_dir *d, char mode[16], int *secs)
{
	char path[300];
	FILE *f;

	snprintf(mode, 16, "ok");
	*secs = 0;
	dir_path(d, "modem", path, sizeof(path));
	if ((f = fopen(path, "re")) != NULL) {
		if (fscanf(f, "%15s %d", mode, secs) < 1)
			snprintf(mode, 16, "ok");
		fclose(f);
	}
}

static int
dir_send(void *arg, const char *to, const char *text, char ref[32])
{
	struct sms_dir *d = arg;
	char path[300], mode[16];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	FILE *f;
	int secs, i;

	dir_mode(d, mode, &secs);
	if (strcmp(mode, "fail") == 0)
		return EIO;
	if (strcmp(mode, "gone") == 0)
		return ENODEV;
	if (strcmp(mode, "hang") == 0) {
		/* no +CMGS for SECS (30 unless said), or until the test
		 * changes the modem's word: then no answer either */
		if (secs <= 0 || secs > 120)
			secs = 30;
		for (i = 0; i < secs * 10; i++) {
			nanosleep(&ts, NULL);
			dir_mode(d, mode, &secs);
			if (strcmp(mode, "hang") != 0)
				break;
		}
		return ETIMEDOUT;
	}
	dir_path(d, "sent", path, sizeof(path));
	if ((f = fopen(path, "ae")) == NULL)
		return EIO;
	fprintf(f, "%s\t%s\n", to, text);
	if (fclose(f) != 0)
		return EIO;
	snprintf(ref, 32, "%d", ++d->nsent);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
dir_recv(void *arg, struct sms_msg *m)
{
	struct sms_dir *d = arg;
	struct dirent *e;
	char path[300], *names[64], line[ESC_SMS_MAX + 2];
	size_t n = 0, i, len;
	DIR *dp;
	FILE *f;
	int err = ENOENT;

	dir_path(d, "in", path, sizeof(path));
	if ((dp = opendir(path)) == NULL)
		return ENOENT;
	while (n < 64 && (e = readdir(dp)) != NULL)
		if ((len = strlen(e->d_name)) > 4 &&
		    strcmp(e->d_name + len - 4, ".sms") == 0)
			names[n++] = xstrdup(e->d_name);
	closedir(dp);
	qsort(names, n, sizeof(names[0]), by_name);
	for (i = 0; i < n && err != 0; i++) {
		snprintf(path, sizeof(path), "%s/in/%s", d->dir, names[i]);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		memset(m, 0, sizeof(*m));
		if (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			str_lcpy(m->from, line, sizeof(m->from));
			if (fgets(line, sizeof(line), f) != NULL) {
				line[strcspn(line, "\r\n")] = '\0';
				str_lcpy(m->text, line, sizeof(m->text));
				err = 0;
			}
		}
		fclose(f);
		unlink(path); /* read once, as a modem deletes it */
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return err;
}

void
emergency_sms_dir(struct sms_port *p, struct sms_dir *d, const char *dir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	p->arg = d;
	p->send = dir_send;
	p->recv = dir_recv;
	p->report = NULL;
}
