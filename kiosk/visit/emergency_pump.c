/*
 * The kiosk's emergency pump (emergency.h): replies first (a yes that has
 * arrived must stop the pages about to go), then the engine's ticks, then
 * the pending sends, each claimed in the store before it is handed to the
 * sms_port and its result recorded after.  No SQL, no curses; no patient
 * data in logs (codes and counts only).
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/visit/emergency.h"
#include "log.h"
#include "xmalloc.h"

#define OPEN_MAX 8

static int
policy_of(const struct emerg_ctx *c, struct esc_policy *p)
{
	if (c->roster == NULL || c->roster->version == 0)
		return EINVAL;
	return esc_roster_policy(c->roster, p);
}

int
emerg_raise(struct emerg_ctx *c, const struct store_emergency_in *in,
    const struct esc_now *now, char id[UUID_STRLEN + 1])
{
	struct store_emergency_in x = *in;
	struct esc_policy p;
	int err;

	if ((err = policy_of(c, &p)) != 0)
		return err;
	x.roster_version = c->roster->version;
	if (x.modem == NULL)
		x.modem = c->port != NULL ? "ok" : "none";
	return store_emergency_raise(c->s, &x, &p, now, id);
}

/* "SpO2 84 RR 28 HR 132 BP 88 T39.1 V" back into the SMS builder's
 * fields; what is missing stays ESC_VAL_NONE. */
static void
vitals_of(const char *v, struct esc_sms_in *in)
{
	char tok[16];
	int n, a, b;

	in->spo2 = in->rr = in->hr = in->sbp = in->temp_dc = ESC_VAL_NONE;
	in->avpu = 0;
	while (sscanf(v, "%15s%n", tok, &n) == 1) {
		v += n;
		if (strcmp(tok, "SpO2") == 0 && sscanf(v, "%d%n", &a, &n) == 1)
			in->spo2 = a, v += n;
		else if (strcmp(tok, "RR") == 0 &&
		    sscanf(v, "%d%n", &a, &n) == 1)
			in->rr = a, v += n;
		else if (strcmp(tok, "HR") == 0 &&
		    sscanf(v, "%d%n", &a, &n) == 1)
			in->hr = a, v += n;
		else if (strcmp(tok, "BP") == 0 &&
		    sscanf(v, "%d%n", &a, &n) == 1)
			in->sbp = a, v += n;
		else if (tok[0] == 'T' && sscanf(tok + 1, "%d.%d", &a, &b) == 2)
			in->temp_dc = a * 10 + (a < 0 ? -b : b);
		else if (tok[1] == '\0' && strchr("ACVPU", tok[0]) != NULL)
			in->avpu = tok[0];
	}
}

int
emerg_page_text(const struct emerg_ctx *c, const struct store_emergency *e,
    int repeat, char out[ESC_SMS_MAX + 1])
{
	struct esc_sms_in in;

	memset(&in, 0, sizeof(in));
	memcpy(in.code, e->eng.code, sizeof(in.code));
	in.age = e->age >= 0 ? e->age : ESC_VAL_NONE;
	in.sex = e->sex;
	in.news2 = e->news2 >= 0 ? e->news2 : ESC_VAL_NONE;
	vitals_of(e->vitals, &in);
	if (c->roster != NULL) {
		in.landmark = c->roster->landmark;
		in.has_pos = 1;
		in.lat = c->roster->lat;
		in.lon = c->roster->lon;
		in.loops = c->roster->loops;
	}
	in.chw_phone = c->chw_phone;
	in.repeat = repeat;
	return esc_sms_page(&in, out);
}

struct open_list {
	int n;
	struct store_emergency e[OPEN_MAX];
};

static int
collect_open(void *arg, const struct store_emergency *e)
{
	struct open_list *l = arg;

	if (l->n < OPEN_MAX)
		l->e[l->n++] = *e;
	return 0;
}

/* The roster service a number belongs to (its SMS or reply numbers). */
static const struct esc_service *
service_of_number(const struct esc_roster *r, const char *from)
{
	const struct esc_service *s;
	int i, k;

	for (i = 0; r != NULL && i < r->nservices; i++) {
		s = &r->services[i];
		for (k = 0; k < s->nreply; k++)
			if (strcmp(s->reply_from[k], from) == 0)
				return s;
		for (k = 0; k < s->nsms; k++)
			if (strcmp(s->sms[k], from) == 0)
				return s;
	}
	return NULL;
}

/* "<who>: A 20" as read (the incident's code is the event's), whatever
 * the case and spacing sent. */
static void
reply_words(const char *who, const struct esc_reply *r, char *out, size_t len)
{
	if (r->kind == ESC_R_ACCEPT && r->minutes > 0)
		snprintf(out, len, "%s: %c %u", who, (char)r->kind, r->minutes);
	else
		snprintf(out, len, "%s: %c", who, (char)r->kind);
}

static int
reply(struct emerg_ctx *c, const struct esc_policy *p,
    const struct esc_now *now, const struct sms_msg *m,
    const struct open_list *l, struct emerg_report *rep)
{
	const struct esc_service *svc;
	struct esc_reply r;
	char detail[STORE_EMERG_TEXT_MAX];
	int i, err;

	if (esc_reply_parse(m->text, strlen(m->text), &r) != 0) {
		rep->unreadable++;
		return 0;
	}
	for (i = 0; i < l->n; i++)
		if (strcmp(l->e[i].eng.code, r.code) == 0)
			break;
	if (i == l->n) {
		rep->unreadable++; /* no open incident has that code */
		return 0;
	}
	if ((svc = service_of_number(c->roster, m->from)) == NULL) {
		/* shown to the CHW, never counted as a yes */
		rep->foreign++;
		log_info("incident %s: a reply from a number not on the "
		         "roster",
		    r.code);
		reply_words(m->from, &r, detail, sizeof(detail));
		return store_emergency_event(
		    c->s, l->e[i].id, now, "reply-foreign", detail);
	}
	/* what was said, for the card and the strip; the step counts it */
	reply_words(svc->id, &r, detail, sizeof(detail));
	if ((err = store_emergency_event(
	         c->s, l->e[i].id, now, "reply", detail)) != 0)
		return err;
	switch (r.kind) {
	case ESC_R_ACCEPT:
		err = store_emergency_step(c->s, l->e[i].id, STORE_EMERG_ACK, p,
		    now, svc->id, r.minutes, NULL);
		rep->acks += err == 0;
		break;
	case ESC_R_CANNOT:
		err = store_emergency_step(c->s, l->e[i].id,
		    STORE_EMERG_DECLINE, p, now, svc->id, 0, NULL);
		rep->declines += err == 0;
		break;
	default:
		err = store_emergency_step(c->s, l->e[i].id,
		    STORE_EMERG_ARRIVED, p, now, svc->id, 0, NULL);
		rep->done += err == 0;
		break;
	}
	return err == EALREADY ? 0 : err;
}

struct send_list {
	int n;
	struct store_emergency_send x[64];
};

static int
collect_send(void *arg, const struct store_emergency_send *x)
{
	struct send_list *l = arg;

	if (l->n < 64)
		l->x[l->n++] = *x;
	return 0;
}

static int
send_one(struct emerg_ctx *c, const struct esc_now *now,
    const struct store_emergency_send *pending, struct emerg_report *rep)
{
	struct store_emergency_send x;
	struct store_emergency e;
	const struct esc_service *svc;
	char text[ESC_SMS_MAX + 1], ref[32] = "";
	const char *status;
	int err, rc;

	if ((err = store_emergency_claim(c->s, pending->id, &x)) != 0) {
		if (err == ECANCELED) {
			rep->superseded++;
			return 0;
		}
		return err;
	}
	if ((err = store_emergency_get(c->s, x.incident_id, &e)) != 0)
		return err;
	svc = c->roster != NULL ? esc_roster_service(c->roster, x.act.rcpt)
	                        : NULL;
	if (x.act.kind == ESC_A_CANCEL)
		rc = esc_sms_cancel(e.eng.code, e.end_reason, text);
	else
		rc = emerg_page_text(c, &e, x.act.repeat, text);
	if (rc != 0 || svc == NULL || svc->nsms == 0 || c->port == NULL)
		rc = rc != 0 ? rc : ENODEV;
	else
		rc = c->port->send(c->port->arg, svc->sms[0], text, ref);
	switch (rc) {
	case 0:
		status = "sent";
		rep->sent++;
		break;
	case ETIMEDOUT:
		status = "unknown"; /* no +CMGS: the server may take over */
		rep->failed++;
		break;
	default:
		status = "failed";
		rep->failed++;
		break;
	}
	if (rc != 0)
		log_info("incident %s: SMS to level %d not sent (%s)",
		    e.eng.code, x.act.level + 1, strerror(rc));
	return store_emergency_result(
	    c->s, x.id, status, ref[0] ? ref : NULL, now);
}

int
emerg_pump(
    struct emerg_ctx *c, const struct esc_now *now, struct emerg_report *rep)
{
	struct emerg_report dummy;
	struct esc_policy p;
	struct open_list *l;
	struct send_list *sl;
	struct sms_msg m;
	int i, err = 0;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	if ((err = policy_of(c, &p)) != 0)
		return err;
	l = xcalloc(1, sizeof(*l));
	sl = xcalloc(1, sizeof(*sl));
	if ((err = store_emergency_open(c->s, collect_open, l)) != 0)
		goto out;
	while (c->port != NULL && c->port->recv(c->port->arg, &m) == 0)
		if ((err = reply(c, &p, now, &m, l, rep)) != 0)
			goto out;
	for (i = 0; i < l->n; i++)
		if ((err = store_emergency_step(c->s, l->e[i].id,
		         STORE_EMERG_TICK, &p, now, NULL, 0, NULL)) != 0 &&
		    err != EALREADY)
			goto out;
	err = 0;
	if ((err = store_emergency_pending(c->s, collect_send, sl)) != 0)
		goto out;
	for (i = 0; i < sl->n; i++)
		if ((err = send_one(c, now, &sl->x[i], rep)) != 0)
			goto out;
out:
	free(l);
	free(sl);
	return err;
}
