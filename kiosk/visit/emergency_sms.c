/*
 * The sms_port's in-memory back-end (emergency.h): a modem for tests that
 * keeps what was sent and hands out scripted replies.  It stands in for a
 * GSM modem, which cannot run here; the ModemManager back-end is to come.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kiosk/visit/emergency.h"

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
