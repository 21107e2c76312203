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

#include "cborx.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/emergency.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "uuid.h"
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

/* --- the fast path ---------------------------------------------------- */

static int collect_send(void *arg, const struct store_emergency_send *x);

static struct emerg_fast_slot *
fast_slot(struct emerg_ctx *c, const char *id)
{
	struct emerg_fast_slot *s, *free_slot = NULL;
	int i;

	for (i = 0; i < EMERG_FAST_SLOTS; i++) {
		s = &c->fslots[i];
		if (strcmp(s->id, id) == 0)
			return s;
		if (s->id[0] == '\0' && free_slot == NULL)
			free_slot = s;
	}
	if (free_slot == NULL)
		free_slot = &c->fslots[0]; /* more open than slots: reuse */
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
	return free_slot;
}

/* The request for incident E: the record as the kiosk holds it, its
 * modem pages, the page text; *WHAT what it reports (to see a change). */
static int
fast_body(struct emerg_ctx *c, const struct store_emergency *e,
    const struct send_list *sl, uint8_t **out, size_t *len,
    char what[EMERG_FAST_WHAT])
{
	const struct esc_incident *inc = &e->eng;
	cbor_item_t *m = cborx_map(5), *arr, *p, *rec = NULL;
	struct model_rec r;
	struct uuid u;
	uint8_t *rb = NULL;
	size_t rlen, off;
	char text[ESC_SMS_MAX + 1];
	uint64_t hlc = store_hlc_now(c->s);
	int i, err;

	if (uuid_parse(e->id, &u) != 0) {
		cbor_decref(&m);
		return EINVAL;
	}
	model_rec_init(&r, model_entity(REC_EMERGENCY), e->id, hlc, NULL);
	model_set_text(&r, REC_EMERG_CODE, inc->code);
	model_set_text(&r, REC_EMERG_TRIGGER,
	    inc->trigger == ESC_TRIG_AUTO ? "news2" : "key");
	model_set_text(&r, REC_EMERG_STATE, esc_state_name(inc->state));
	model_set_uint(
	    &r, REC_EMERG_LEVEL, inc->level < 0 ? 0 : (uint64_t)inc->level);
	model_set_uint(&r, REC_EMERG_LOOP, (uint64_t)inc->loop);
	model_set_uint(&r, REC_EMERG_RAISED, e->raised_ms);
	if (e->first_send_ms)
		model_set_uint(&r, REC_EMERG_FIRST_SEND, e->first_send_ms);
	if (e->first_delivery_ms)
		model_set_uint(
		    &r, REC_EMERG_FIRST_DELIVERY, e->first_delivery_ms);
	if (inc->state == ESC_ACKED || inc->wall_ack_ms > 0) {
		model_set_uint(&r, REC_EMERG_ACKED, (uint64_t)inc->wall_ack_ms);
		model_set_text(&r, REC_EMERG_ACKED_BY, inc->ack_by);
		model_set_uint(&r, REC_EMERG_ETA, inc->eta_min);
	}
	if (esc_closed(inc))
		model_set_uint(&r, REC_EMERG_ENDED, (uint64_t)inc->wall_end_ms);
	model_set_text(&r, REC_EMERG_MODEM, c->port != NULL ? "ok" : "none");
	if ((err = model_encode(&r, &rec)) != 0 ||
	    (err = cborx_encode(rec, &rb, &rlen)) != 0)
		goto out;
	off = (size_t)snprintf(what, EMERG_FAST_WHAT, "%s %d %d %s",
	    esc_state_name(inc->state), inc->level, inc->loop,
	    c->port != NULL ? "ok" : "none");
	arr = cborx_array((size_t)sl->n);
	for (i = 0; i < sl->n; i++) {
		const struct store_emergency_send *x = &sl->x[i];

		if (x->act.kind != ESC_A_PAGE)
			continue;
		p = cborx_array(4);
		cborx_array_push(p, cborx_uint((uint64_t)x->act.loop));
		cborx_array_push(p, cborx_uint((uint64_t)x->act.level));
		cborx_array_push(p, cborx_text(x->act.rcpt));
		cborx_array_push(p, cborx_text(x->status));
		cborx_array_push(arr, p);
		if (off < EMERG_FAST_WHAT)
			off += (size_t)snprintf(what + off,
			    EMERG_FAST_WHAT - off, " %d/%d/%s/%s", x->act.loop,
			    x->act.level, x->act.rcpt, x->status);
	}
	cborx_map_put(m, EMREQ_K_ID, cborx_bytes(u.b, 16));
	cborx_map_put(m, EMREQ_K_HLC, cborx_uint(hlc));
	cborx_map_put(m, EMREQ_K_RECORD, cborx_bytes(rb, rlen));
	cborx_map_put(m, EMREQ_K_PAGES, arr);
	if (emerg_page_text(c, e, 0, text) == 0)
		cborx_map_put(m, EMREQ_K_TEXT, cborx_text(text));
	err = cborx_encode(m, out, len);
out:
	if (rec != NULL)
		cbor_decref(&rec);
	cbor_decref(&m);
	free(rb);
	return err;
}

/* One incident's fast path, when due; a yes the server holds becomes the
 * kiosk's (the first yes counts, EALREADY when the kiosk has one). */
static int
fast_one(struct emerg_ctx *c, const struct esc_policy *p,
    const struct esc_now *now, const struct store_emergency *e,
    struct emerg_report *rep)
{
	struct emerg_fast_slot *slot = fast_slot(c, e->id);
	struct send_list *sl = xcalloc(1, sizeof(*sl));
	char what[EMERG_FAST_WHAT], state[16] = "", by[ESC_RCPT_LEN] = "";
	uint8_t *body = NULL;
	size_t len;
	uint32_t eta = 0;
	int err;

	if ((err = store_emergency_sends(c->s, e->id, collect_send, sl)) != 0)
		goto out;
	if ((err = fast_body(c, e, sl, &body, &len, what)) != 0)
		goto out;
	if (strcmp(what, slot->what) == 0 && slot->next_ms == UINT64_MAX)
		goto out; /* the server has this already */
	if (strcmp(what, slot->what) != 0 && slot->next_ms == UINT64_MAX)
		slot->next_ms = 0; /* something to tell: now */
	if (now->boot_ms < slot->next_ms)
		goto out;
	if (c->fast->post(c->fast->arg, body, len, state, by, &eta) != 0) {
		rep->fast_failed++;
		slot->backoff_ms = slot->backoff_ms == 0
		    ? 2000
		    : (slot->backoff_ms >= 8000 ? 8000 : slot->backoff_ms * 2);
		slot->next_ms = now->boot_ms + slot->backoff_ms;
		goto out;
	}
	rep->fast_ok++;
	snprintf(slot->what, sizeof(slot->what), "%s", what);
	slot->next_ms = UINT64_MAX;
	slot->backoff_ms = 0;
	if (strcmp(state, "acknowledged") == 0 && e->eng.state == ESC_PAGING) {
		err = store_emergency_step(c->s, e->id, STORE_EMERG_ACK, p, now,
		    by[0] ? by : "server", eta, NULL);
		if (err == 0) {
			rep->server_acks++;
			log_info("incident %s: a yes through the server",
			    e->eng.code);
		}
		err = err == EALREADY ? 0 : err;
	}
out:
	free(body);
	free(sl);
	return err;
}

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

/* Incidents the fast path told about that have closed since: told once
 * more (arrived, cancelled: the server stops paging at once rather than
 * at the next sync), then forgotten. */
static int
fast_closed(struct emerg_ctx *c, const struct esc_policy *p,
    const struct esc_now *now, const struct open_list *l,
    struct emerg_report *rep)
{
	struct store_emergency *e = xcalloc(1, sizeof(*e));
	struct emerg_fast_slot *s;
	int i, k, err = 0;

	for (k = 0; k < EMERG_FAST_SLOTS && err == 0; k++) {
		s = &c->fslots[k];
		if (s->id[0] == '\0')
			continue;
		for (i = 0; i < l->n; i++)
			if (strcmp(l->e[i].id, s->id) == 0)
				break;
		if (i < l->n)
			continue; /* still open */
		if (store_emergency_get(c->s, s->id, e) != 0) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if ((err = fast_one(c, p, now, e, rep)) == 0 &&
		    s->next_ms == UINT64_MAX)
			memset(s, 0, sizeof(*s)); /* the server has the end */
	}
	free(e);
	return err;
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
	/* delivery reports: the interval to the first delivery (never a
	 * yes); a report for a send we no longer hold is dropped */
	if (c->port != NULL && c->port->report != NULL) {
		char ref[32];
		int delivered;

		while (c->port->report(c->port->arg, ref, &delivered) == 0) {
			err = store_emergency_report(
			    c->s, ref, delivered ? "delivered" : "failed", now);
			if (err == 0)
				rep->delivered += delivered;
			else if (err != ENOENT)
				goto out;
			err = 0;
		}
	}
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
	/* the fast path last: it reports the sends just made */
	if (c->fast != NULL) {
		l->n = 0;
		if ((err = store_emergency_open(c->s, collect_open, l)) != 0)
			goto out;
		for (i = 0; i < l->n; i++)
			if ((err = fast_one(c, &p, now, &l->e[i], rep)) != 0)
				goto out;
		err = fast_closed(c, &p, now, l, rep);
	}
out:
	free(l);
	free(sl);
	return err;
}
