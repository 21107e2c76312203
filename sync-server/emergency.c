/*
 * The server's emergency escalation (emergency.h; issue 16, research
 * emergency.md §7.3): the incident upserted by UUID from the fast path and
 * from sync, the engine (escalate/) run by a timer thread under the
 * kiosk's roster, the ownership rule deciding each gateway page, the
 * gateway's delivery reports and replies, and the intervals for the
 * dashboard.  The engine's state of an incident is the stored row's
 * "eng" (a struct esc_incident); every change to it happens under one
 * mutex, pages committed before the engine that asked for them (a crash
 * between the two re-asks, and the claim refuses the second), and a page
 * committed "sending" before the gateway is called.  No patient data in
 * logs: codes, levels and counts.
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "escalate/roster.h"
#include "escalate/sms.h"
#include "log.h"
#include "model.h"
#include "record.h"
#include "sync-server/emergency.h"
#include "sync-server/partners.h"
#include "sync-server/server.h"
#include "uuid.h"
#include "xmalloc.h"

_Static_assert(sizeof(struct esc_incident) <= SEMERG_ENG_MAX,
    "the engine's state fits the row");

#define EMERG_OPEN_MAX 64 /* open incidents one tick looks at */
#define EMERG_PAGES_MAX 128 /* pages of one incident */
#define EMERG_ATTEMPTS 2 /* a page sent at most twice (one duplicate) */

struct emerg_srv {
	struct server *srv;
	pthread_mutex_t mu; /* the engines, the gateway, the hooks */
	pthread_mutex_t tmu;
	pthread_cond_t cv;
	pthread_t thr;
	int running, stop, kick;
	uint32_t tick_ms;
	int has_gw;
	struct gateway_cfg gw;
	struct emerg_hooks hooks;
	struct partners_worker *pw; /* CAP/FHIR deliveries (partners.c) */
};

/* --- roster per node ---------------------------------------------------- */

static void
roster_key(uint64_t node, char key[40])
{
	snprintf(key, 40, "roster:%" PRIu64, node);
}

int
emergency_roster_put(
    struct server *srv, uint64_t node, const uint8_t *buf, size_t len)
{
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	char key[40], *cause = NULL;
	int err;

	if ((err = esc_roster_open(buf, len, srv->pub, r, &cause)) != 0) {
		log_warnx("roster for node %" PRIu64 " refused: %s", node,
		    cause ? cause : "does not verify");
		free(cause);
		free(r);
		return EBADMSG;
	}
	free(r);
	roster_key(node, key);
	return srv->be->meta_put(srv->store, key, buf, len);
}

int
emergency_roster_get(
    struct server *srv, uint64_t node, uint8_t **buf, size_t *len)
{
	char key[40];

	roster_key(node, key);
	return srv->be->meta_get(srv->store, key, buf, len);
}

/* The roster kept for NODE, verified, and its policy: 0 or ENOENT. */
static int
roster_of(struct server *srv, uint64_t node, struct esc_roster *r,
    struct esc_policy *p)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *cause = NULL;
	int err;

	if ((err = emergency_roster_get(srv, node, &buf, &len)) != 0)
		return err == ENOENT ? ENOENT : err;
	err = esc_roster_open(buf, len, srv->pub, r, &cause);
	free(buf);
	free(cause);
	if (err != 0 || esc_roster_policy(r, p) != 0)
		return ENOENT;
	return 0;
}

int
emergency_roster_of(struct server *srv, uint64_t node, struct esc_roster *r)
{
	struct esc_policy p;

	return roster_of(srv, node, r, &p);
}

/* Queue what the region's partners have not had of E (partners.c); a
 * failure is logged, the next tick tries again. */
static void
em_partners(struct server *srv, const struct semerg *e,
    const struct esc_roster *r, uint64_t now_ms)
{
	int err;

	if ((err = partners_note(srv, e, r, now_ms, NULL)) != 0)
		log_warnx("incident %s: partner messages not queued (%s)",
		    e->code, strerror(err));
}

static const struct esc_service *
service_of_number(const struct esc_roster *r, const char *from)
{
	const struct esc_service *s;
	int i, k;

	for (i = 0; i < r->nservices; i++) {
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

/* --- clock, faults ------------------------------------------------------ */

static int
em_now(struct emerg_srv *em, struct esc_now *now)
{
	if (em->hooks.now != NULL)
		return em->hooks.now(em->hooks.arg, now);
	return esc_now_read(now);
}

static uint64_t
em_wall(const struct esc_now *now)
{
	return now->wall_ms > 0 ? (uint64_t)now->wall_ms : 0;
}

/* A commit point: non-zero abandons the work there (a test's kill -9). */
static int
em_fault(struct emerg_srv *em, const char *point)
{
	if (em->hooks.fault != NULL && em->hooks.fault(em->hooks.arg, point))
		return ECANCELED;
	return 0;
}

/* --- rows ---------------------------------------------------------------- */

struct em_one {
	int found;
	struct semerg e;
};

static int
one_cb(const struct semerg *e, void *arg)
{
	struct em_one *o = arg;

	o->e = *e;
	o->found = 1;
	return 0;
}

/* Incident ID: 0 or ENOENT. */
static int
em_get(struct server *srv, const uint8_t id[16], struct semerg *out)
{
	struct em_one *o = xcalloc(1, sizeof(*o));
	int err;

	err = srv->be->emerg_list(srv->store, id, 0, 0, one_cb, o);
	if (err == 0 && !o->found)
		err = ENOENT;
	if (err == 0)
		*out = o->e;
	free(o);
	return err;
}

struct em_list {
	size_t n;
	struct semerg *e; /* EMERG_OPEN_MAX */
};

static int
list_cb(const struct semerg *e, void *arg)
{
	struct em_list *l = arg;

	if (l->n < EMERG_OPEN_MAX)
		l->e[l->n++] = *e;
	return 0;
}

struct em_pages {
	size_t n;
	struct semerg_page p[EMERG_PAGES_MAX];
};

static int
pages_cb(const struct semerg_page *p, void *arg)
{
	struct em_pages *l = arg;

	if (l->n < EMERG_PAGES_MAX)
		l->p[l->n++] = *p;
	return 0;
}

static const char *
mv_text(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && v->set && !v->null && v->text ? v->text : NULL;
}

static uint64_t
mv_uint(const struct model_rec *r, uint64_t key)
{
	const struct model_value *v = model_get(r, key);

	return v != NULL && v->set && !v->null ? v->u : 0;
}

/* The record's fields into E (what it does not carry stays empty: the
 * merge keeps the stored value). */
static int
em_from_record(const uint8_t *body, size_t len, struct semerg *e)
{
	struct model_rec r;
	const char *t;
	int err = 0;

	if (model_decode(model_entity(REC_EMERGENCY), body, len, &r) != 0) {
		model_rec_clear(&r);
		return EBADMSG;
	}
	if ((t = mv_text(&r, REC_EMERG_CODE)) != NULL) {
		if (strlen(t) != ESC_CODE_LEN)
			err = EBADMSG;
		snprintf(e->code, sizeof(e->code), "%s", t);
	}
	if ((t = mv_text(&r, REC_EMERG_STATE)) != NULL)
		snprintf(e->state, sizeof(e->state), "%s", t);
	e->level = mv_uint(&r, REC_EMERG_LEVEL);
	e->loop = mv_uint(&r, REC_EMERG_LOOP);
	if ((t = mv_text(&r, REC_EMERG_MODEM)) != NULL)
		snprintf(e->modem, sizeof(e->modem), "%s", t);
	e->raised_ms = mv_uint(&r, REC_EMERG_RAISED);
	e->first_send_ms = mv_uint(&r, REC_EMERG_FIRST_SEND);
	e->first_delivery_ms = mv_uint(&r, REC_EMERG_FIRST_DELIVERY);
	e->acked_ms = mv_uint(&r, REC_EMERG_ACKED);
	if ((t = mv_text(&r, REC_EMERG_ACKED_BY)) != NULL)
		snprintf(e->acked_by, sizeof(e->acked_by), "%s", t);
	e->eta_min = mv_uint(&r, REC_EMERG_ETA);
	e->ended_ms = mv_uint(&r, REC_EMERG_ENDED);
	if (strcmp(e->state, "arrived") == 0)
		e->arrived_ms = e->ended_ms;
	model_rec_clear(&r);
	return err;
}

static void
em_kick(struct emerg_srv *em)
{
	if (em == NULL)
		return;
	pthread_mutex_lock(&em->tmu);
	em->kick = 1;
	pthread_cond_signal(&em->cv);
	pthread_mutex_unlock(&em->tmu);
}

int
emergency_ingest(struct server *srv, uint64_t node, const uint8_t id[16],
    uint64_t hlc, const uint8_t *body, size_t len,
    const struct semerg_page *pages, size_t npages, const char *text,
    struct semerg *out, int *created)
{
	struct semerg *e = xcalloc(1, sizeof(*e)), *old;
	struct semerg_page p;
	uint64_t now = server_now_ms();
	size_t i;
	int err;

	memcpy(e->id, id, 16);
	if ((err = em_from_record(body, len, e)) != 0)
		goto out;
	old = xcalloc(1, sizeof(*old));
	err = em_get(srv, id, old);
	if (err == 0 && pages != NULL && old->node != 0 && old->node != node)
		err = EACCES; /* the fast path is the raising kiosk's */
	free(old);
	if (err != 0 && err != ENOENT)
		goto out;
	e->node = node;
	e->hlc = hlc;
	e->updated_ms = now;
	if (e->raised_ms == 0)
		e->raised_ms = now;
	if (text != NULL)
		snprintf(e->page, sizeof(e->page), "%s", text);
	if ((err = srv->be->emerg_upsert(srv->store, e, created)) != 0)
		goto out;
	for (i = 0; i < npages; i++) {
		p = pages[i];
		memcpy(p.incident, id, 16);
		snprintf(p.channel, sizeof(p.channel), "modem");
		p.at_ms = p.updated_ms = now;
		if ((err = srv->be->emerg_page_put(srv->store, &p, 0)) != 0)
			goto out;
	}
	if ((err = em_get(srv, id, e)) != 0)
		goto out;
	if (out != NULL)
		*out = *e;
	{
		/* a close the kiosk reported is never ticked: tell the
		 * partners here (the worker sends it, not this request) */
		struct esc_roster *r = xcalloc(1, sizeof(*r));

		em_partners(srv, e,
		    emergency_roster_of(srv, e->node, r) == 0 ? r : NULL, now);
		free(r);
	}
	em_kick(srv->emerg);
out:
	free(e);
	return err;
}

void
emergency_pushed(struct server *srv, uint64_t node,
    const struct schange *changes, const int *accepted, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (changes[i].entity != REC_EMERGENCY || !accepted[i])
			continue;
		err = emergency_ingest(srv, node, changes[i].id, changes[i].hlc,
		    changes[i].body, changes[i].len, NULL, 0, NULL, NULL, NULL);
		if (err != 0)
			log_warnx("node %" PRIu64 ": emergency change %" PRIu64
			          " not indexed (%s)",
			    node, changes[i].seq, strerror(err));
	}
}

/* --- the engine ---------------------------------------------------------- */

/* The engine of incident E into *INC, raised now if the server has none
 * yet.  ACTS gets what raising asked for. */
static int
eng_load(struct semerg *e, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_incident *inc,
    struct esc_actions *acts)
{
	acts->n = 0;
	if (e->eng_len == sizeof(*inc)) {
		memcpy(inc, e->eng, sizeof(*inc));
		return 0;
	}
	/* The kiosk raised it and is paging level 1 already: the server's
	 * engine starts at level 1 too, each page judged by the ownership
	 * rule. */
	return esc_raise(inc, e->id, ESC_TRIG_MANUAL, pol, now, acts);
}

/* Commit the pages ACTS asks for ("deferred"), then the engine INC and
 * the incident's state: pages first, so a crash between the two makes
 * the engine ask again, and the claim (EEXIST) keeps one row. */
static int
eng_save(struct emerg_srv *em, struct semerg *e, const struct esc_incident *inc,
    const struct esc_actions *acts, const struct esc_now *now)
{
	struct server *srv = em->srv;
	struct semerg_page p;
	int i, err;

	/* nothing asked and nothing moved: no write (a tick a second) */
	if (acts->n == 0 && e->eng_len == sizeof(*inc) &&
	    memcmp(e->eng, inc, sizeof(*inc)) == 0)
		return 0;
	for (i = 0; i < acts->n; i++) {
		if (acts->a[i].kind != ESC_A_PAGE)
			continue;
		memset(&p, 0, sizeof(p));
		memcpy(p.incident, e->id, 16);
		p.loop = (uint64_t)acts->a[i].loop;
		p.level = (uint64_t)acts->a[i].level;
		snprintf(p.rcpt, sizeof(p.rcpt), "%s", acts->a[i].rcpt);
		snprintf(p.channel, sizeof(p.channel), "gateway");
		snprintf(p.status, sizeof(p.status), "deferred");
		p.at_ms = p.updated_ms = em_wall(now);
		err = srv->be->emerg_page_put(srv->store, &p, 1);
		if (err != 0 && err != EEXIST)
			return err;
	}
	if ((err = em_fault(em, "pages-committed")) != 0)
		return err;
	memcpy(e->eng, inc, sizeof(*inc));
	e->eng_len = sizeof(*inc);
	snprintf(e->state, sizeof(e->state), "%s", esc_state_name(inc->state));
	e->level = inc->level >= 0 ? (uint64_t)inc->level : 0;
	e->loop = (uint64_t)inc->loop;
	e->hlc = server_hlc(srv, 0);
	if (inc->state == ESC_ACKED || inc->wall_ack_ms > 0) {
		e->acked_ms = inc->wall_ack_ms > 0 ? (uint64_t)inc->wall_ack_ms
		                                   : e->acked_ms;
		snprintf(e->acked_by, sizeof(e->acked_by), "%s", inc->ack_by);
		e->eta_min = inc->eta_min;
	}
	if (esc_closed(inc) && inc->wall_end_ms > 0) {
		e->ended_ms = (uint64_t)inc->wall_end_ms;
		if (inc->state == ESC_ARRIVED)
			e->arrived_ms = e->ended_ms;
	}
	e->updated_ms = em_wall(now);
	if ((err = srv->be->emerg_upsert(srv->store, e, NULL)) != 0)
		return err;
	return em_fault(em, "engine-committed");
}

/* What the kiosk reported and the server's engine has not seen: a yes,
 * an arrival, a cancel (the row's state, from the kiosk's record). */
static void
eng_follow(struct semerg *e, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_incident *inc,
    struct esc_actions *acts)
{
	if (strcmp(e->state, "cancelled") == 0 && !esc_closed(inc))
		(void)esc_cancel(inc, now, acts);
	else if (strcmp(e->state, "arrived") == 0 && !esc_closed(inc))
		(void)esc_arrived(inc, now);
	else if (strcmp(e->state, "acknowledged") == 0 &&
	    inc->state != ESC_ACKED && !esc_closed(inc))
		(void)esc_ack(inc, pol, now,
		    e->acked_by[0] ? e->acked_by : "kiosk",
		    (uint32_t)e->eta_min, acts);
}

/* The text to send for page P of incident E: the kiosk's page, with
 * "REPEAT n/N " ahead of it on later loops when that still fits. */
static int
page_text(const struct semerg *e, const struct esc_roster *r,
    const struct semerg_page *p, char out[ESC_SMS_MAX + 1])
{
	char buf[208];

	if (e->page[0] == '\0')
		return ENOENT;
	snprintf(out, ESC_SMS_MAX + 1, "%.160s", e->page);
	if (p->loop > 1) {
		snprintf(buf, sizeof(buf), "REPEAT %" PRIu64 "/%d %.160s",
		    p->loop, r->loops, e->page);
		if (strlen(buf) <= ESC_SMS_MAX && esc_gsm7_septets(buf) >= 0 &&
		    esc_gsm7_septets(buf) <= ESC_SMS_MAX)
			memcpy(out, buf, strlen(buf) + 1);
	}
	return 0;
}

/* Send gateway page P (its row committed "sending" by the caller). */
static int
page_send(struct emerg_srv *em, struct semerg *e, const struct esc_roster *r,
    struct semerg_page *p, const struct esc_now *now, int *sent)
{
	struct server *srv = em->srv;
	const struct esc_service *svc = esc_roster_service(r, p->rcpt);
	char text[ESC_SMS_MAX + 1], ext[64] = "";
	int rc, err;

	if ((err = em_fault(em, "sending-committed")) != 0)
		return err;
	if (svc == NULL || svc->nsms == 0 || page_text(e, r, p, text) != 0)
		rc = EINVAL;
	else
		rc = gateway_send(&em->gw, svc->sms[0], text, ext);
	if (sent != NULL && rc != EINVAL)
		(*sent)++;
	if ((err = em_fault(em, "sent")) != 0)
		return err;
	snprintf(p->status, sizeof(p->status), "%s",
	    rc == 0 ? "sent" : (rc == ETIMEDOUT ? "unknown" : "failed"));
	snprintf(p->ext_id, sizeof(p->ext_id), "%s", ext);
	p->updated_ms = em_wall(now);
	if (rc != 0)
		log_info("incident %s: gateway page, level %" PRIu64
		         ", not sent (%s)",
		    e->code, p->level + 1, strerror(rc));
	if ((err = srv->be->emerg_page_put(srv->store, p, 0)) != 0)
		return err;
	if (rc == 0 && e->first_send_ms == 0) {
		struct semerg *m = xcalloc(1, sizeof(*m));

		memcpy(m->id, e->id, 16);
		m->first_send_ms = em_wall(now);
		m->updated_ms = em_wall(now);
		err = srv->be->emerg_upsert(srv->store, m, NULL);
		free(m);
		e->first_send_ms = em_wall(now);
	}
	return err;
}

static const struct semerg_page *
kiosk_page(const struct em_pages *l, const struct semerg_page *g)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->p[i].channel, "modem") == 0 &&
		    l->p[i].loop == g->loop && l->p[i].level == g->level &&
		    strcmp(l->p[i].rcpt, g->rcpt) == 0)
			return &l->p[i];
	return NULL;
}

/* Judge the gateway pages of E: the ownership rule for the deferred
 * ones, one more try for one left "sending" by a crash. */
static int
pages_judge(struct emerg_srv *em, struct semerg *e,
    const struct esc_incident *inc, const struct esc_roster *r,
    const struct esc_now *now, int *sent)
{
	struct server *srv = em->srv;
	struct em_pages *l = xcalloc(1, sizeof(*l));
	const struct semerg_page *k;
	struct semerg_page p;
	struct esc_action a;
	uint64_t age, wall = em_wall(now);
	size_t i;
	int err;

	if ((err = srv->be->emerg_pages(srv->store, e->id, NULL, pages_cb, l)))
		goto out;
	for (i = 0; i < l->n; i++) {
		p = l->p[i];
		if (strcmp(p.channel, "gateway") != 0 ||
		    (strcmp(p.status, "deferred") != 0 &&
		        strcmp(p.status, "sending") != 0))
			continue;
		memset(&a, 0, sizeof(a));
		a.kind = ESC_A_PAGE;
		a.loop = (int)p.loop;
		a.level = (int)p.level;
		snprintf(a.rcpt, sizeof(a.rcpt), "%s", p.rcpt);
		p.updated_ms = wall;
		if (strcmp(p.status, "sending") == 0) {
			/* a crash after "sending" was committed: once more
			 * while its level is current, never a third time */
			if (p.attempt >= EMERG_ATTEMPTS ||
			    esc_claim(inc, &a) != 0) {
				snprintf(p.status, sizeof(p.status), "unknown");
				err =
				    srv->be->emerg_page_put(srv->store, &p, 0);
				if (err != 0)
					goto out;
				continue;
			}
		} else {
			if (esc_claim(inc, &a) != 0) {
				snprintf(
				    p.status, sizeof(p.status), "superseded");
				err =
				    srv->be->emerg_page_put(srv->store, &p, 0);
				if (err != 0)
					goto out;
				continue;
			}
			k = kiosk_page(l, &p);
			age = wall - (k != NULL ? k->at_ms : p.at_ms);
			if (k != NULL && k->at_ms > wall)
				age = 0;
			if (!esc_server_owns(
			        e->modem, k ? k->status : "", age)) {
				if (k != NULL &&
				    (strcmp(k->status, "sent") == 0 ||
				        strcmp(k->status, "delivered") == 0 ||
				        strcmp(k->status, "superseded") == 0)) {
					snprintf(
					    p.status, sizeof(p.status), "left");
					err = srv->be->emerg_page_put(
					    srv->store, &p, 0);
					if (err != 0)
						goto out;
				}
				continue;
			}
			if (!em->has_gw || e->page[0] == '\0')
				continue; /* nothing to send with, or no text */
		}
		snprintf(p.status, sizeof(p.status), "sending");
		p.attempt++;
		if ((err = srv->be->emerg_page_put(srv->store, &p, 0)) != 0)
			goto out;
		if ((err = page_send(em, e, r, &p, now, sent)) != 0)
			goto out;
	}
out:
	free(l);
	return err;
}

/* --- stand-down texts ------------------------------------------------------ */

struct stop_rcpt {
	int n;
	char rcpt[ESC_MAX_PEOPLE][ESC_RCPT_LEN];
	const struct semerg_page *stop[ESC_MAX_PEOPLE];
};

/*
 * Issue 16 item 3: once E is cancelled, acknowledged or arrived after the
 * gateway paged people, each of them (but the one who said yes) gets one
 * short text, research §7.5's "CANCELLED <CODE>: <reason>" in one GSM-7
 * segment.  Its row (channel "gwstop", loop 0, level 0) is claimed
 * "sending" before the gateway is asked: once each, one more try after
 * a crash mid-send, never a third.  The kiosk's modem stands down its
 * own pages (kiosk/visit/emergency_pump.c).  *STOPS (may be NULL): texts
 * handed to the gateway (not pages: emergency_tick's count leaves them).
 */
static int
stand_down(struct emerg_srv *em, struct semerg *e, const struct esc_roster *r,
    const struct esc_now *now, int *stops)
{
	struct server *srv = em->srv;
	struct em_pages *l;
	struct stop_rcpt *x;
	struct semerg_page p;
	const struct esc_service *svc;
	const char *why;
	char text[ESC_SMS_MAX + 1], ext[64];
	size_t i;
	int k, rc, err = 0;

	if (strcmp(e->state, "cancelled") == 0)
		why = "cancelled by the health worker";
	else if (strcmp(e->state, "arrived") == 0)
		why = "help arrived";
	else if (strcmp(e->state, "acknowledged") == 0 || e->acked_ms != 0)
		why = "another service accepted";
	else
		return 0;
	if (!em->has_gw || esc_sms_cancel(e->code, why, text) != 0)
		return 0;
	l = xcalloc(1, sizeof(*l));
	x = xcalloc(1, sizeof(*x));
	if ((err = srv->be->emerg_pages(srv->store, e->id, NULL, pages_cb, l)))
		goto out;
	/* those the gateway paged (but the one who said yes), then the
	 * stand-downs already claimed for them (loop 0: listed first) */
	for (i = 0; i < l->n; i++) {
		const struct semerg_page *g = &l->p[i];

		if (strcmp(g->channel, "gateway") != 0 ||
		    (strcmp(g->status, "sent") != 0 &&
		        strcmp(g->status, "delivered") != 0 &&
		        strcmp(g->status, "unknown") != 0) ||
		    strcmp(g->rcpt, e->acked_by) == 0)
			continue;
		for (k = 0; k < x->n; k++)
			if (strcmp(x->rcpt[k], g->rcpt) == 0)
				break;
		if (k == x->n && x->n < ESC_MAX_PEOPLE)
			snprintf(x->rcpt[x->n++], ESC_RCPT_LEN, "%s", g->rcpt);
	}
	for (i = 0; i < l->n; i++)
		for (k = 0; k < x->n; k++)
			if (strcmp(l->p[i].channel, "gwstop") == 0 &&
			    strcmp(x->rcpt[k], l->p[i].rcpt) == 0)
				x->stop[k] = &l->p[i];
	for (k = 0; k < x->n; k++) {
		memset(&p, 0, sizeof(p));
		if (x->stop[k] != NULL) {
			/* left "sending" by a crash: once more, no more */
			if (strcmp(x->stop[k]->status, "sending") != 0 ||
			    x->stop[k]->attempt >= EMERG_ATTEMPTS)
				continue;
			p = *x->stop[k];
			p.attempt++;
			if ((err = srv->be->emerg_page_put(srv->store, &p, 0)))
				goto out;
		} else {
			memcpy(p.incident, e->id, 16);
			snprintf(p.rcpt, sizeof(p.rcpt), "%s", x->rcpt[k]);
			snprintf(p.channel, sizeof(p.channel), "gwstop");
			snprintf(p.status, sizeof(p.status), "sending");
			p.attempt = 1;
			p.at_ms = p.updated_ms = em_wall(now);
			err = srv->be->emerg_page_put(srv->store, &p, 1);
			if (err == EEXIST) {
				err = 0;
				continue;
			}
			if (err != 0)
				goto out;
		}
		if ((err = em_fault(em, "stop-committed")) != 0)
			goto out;
		svc = esc_roster_service(r, p.rcpt);
		ext[0] = '\0';
		rc = svc == NULL || svc->nsms == 0
		    ? EINVAL
		    : gateway_send(&em->gw, svc->sms[0], text, ext);
		if (stops != NULL && rc != EINVAL)
			(*stops)++;
		if ((err = em_fault(em, "stop-sent")) != 0)
			goto out;
		snprintf(p.status, sizeof(p.status), "%s",
		    rc == 0 ? "sent"
		            : (rc == ETIMEDOUT ? "unknown" : "failed"));
		snprintf(p.ext_id, sizeof(p.ext_id), "%s", ext);
		p.updated_ms = em_wall(now);
		log_info("incident %s: stand-down to %s %s", e->code, p.rcpt,
		    p.status);
		if ((err = srv->be->emerg_page_put(srv->store, &p, 0)) != 0)
			goto out;
	}
out:
	free(l);
	free(x);
	return err;
}

/* The closed incidents of the last day: their stand-down texts (a
 * closed incident is not ticked otherwise). */
static int
closed_stand_down(struct emerg_srv *em, const struct esc_now *now)
{
	struct server *srv = em->srv;
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct em_list l;
	uint64_t wall = em_wall(now), since;
	size_t i;
	int err;

	since = wall > 86400000ULL ? wall - 86400000ULL : 0;
	l.n = 0;
	l.e = xcalloc(EMERG_OPEN_MAX, sizeof(*l.e));
	err = srv->be->emerg_list(srv->store, NULL, 0, since, list_cb, &l);
	for (i = 0; err == 0 && i < l.n; i++) {
		if (strcmp(l.e[i].state, "cancelled") != 0 &&
		    strcmp(l.e[i].state, "arrived") != 0)
			continue;
		if (roster_of(srv, l.e[i].node, r, &(struct esc_policy){ 0 }))
			continue;
		err = stand_down(em, &l.e[i], r, now, NULL);
	}
	free(l.e);
	free(r);
	return err;
}

/* One incident's turn of the timer (em->mu held). */
static int
tick_one(struct emerg_srv *em, struct semerg *e, const struct esc_now *now,
    int *sent)
{
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct esc_policy pol;
	struct esc_incident inc;
	struct esc_actions *acts = xcalloc(2, sizeof(*acts));
	int err, i;

	if (roster_of(em->srv, e->node, r, &pol) != 0) {
		err = 0; /* no roster kept for that kiosk: nothing to run */
		goto out;
	}
	if ((err = eng_load(e, &pol, now, &inc, &acts[0])) != 0)
		goto out;
	eng_follow(e, &pol, now, &inc, &acts[1]);
	for (i = 0; i < acts[1].n && acts[0].n < ESC_MAX_ACTIONS; i++)
		acts[0].a[acts[0].n++] = acts[1].a[i];
	acts[1].n = 0;
	esc_tick(&inc, &pol, now, &acts[1]);
	for (i = 0; i < acts[1].n && acts[0].n < ESC_MAX_ACTIONS; i++)
		acts[0].a[acts[0].n++] = acts[1].a[i];
	if ((err = eng_save(em, e, &inc, &acts[0], now)) != 0)
		goto out;
	err = pages_judge(em, e, &inc, r, now, sent);
	if (err == 0)
		err = stand_down(em, e, r, now, NULL);
	if (err == 0)
		em_partners(em->srv, e, r, em_wall(now));
out:
	free(r);
	free(acts);
	return err;
}

int
emergency_tick(struct server *srv, int *sent)
{
	struct emerg_srv *em = srv->emerg;
	struct em_list l;
	struct esc_now now;
	size_t i;
	int err;

	if (sent != NULL)
		*sent = 0;
	if (em == NULL)
		return EINVAL;
	l.n = 0;
	l.e = xcalloc(EMERG_OPEN_MAX, sizeof(*l.e));
	pthread_mutex_lock(&em->mu);
	if ((err = em_now(em, &now)) != 0)
		goto out;
	if ((err = srv->be->emerg_list(srv->store, NULL, 1, 0, list_cb, &l)))
		goto out;
	for (i = 0; i < l.n; i++)
		if ((err = tick_one(em, &l.e[i], &now, sent)) != 0)
			break;
	if (err == 0 && em->has_gw)
		err = closed_stand_down(em, &now);
out:
	pthread_mutex_unlock(&em->mu);
	free(l.e);
	return err;
}

/* --- the gateway's callbacks --------------------------------------------- */

struct dlr_arg {
	size_t n;
	struct semerg_page p[4];
};

static int
dlr_cb(const struct semerg_page *p, void *arg)
{
	struct dlr_arg *d = arg;

	if (d->n < 4)
		d->p[d->n++] = *p;
	return 0;
}

int
emergency_dlr(struct server *srv, const char *ext, const char *status)
{
	struct dlr_arg d;
	struct semerg *m;
	struct esc_now en;
	uint64_t now = server_now_ms();
	size_t i;
	int err;

	if (ext == NULL || ext[0] == '\0' || status == NULL)
		return EINVAL;
	if (srv->emerg != NULL) {
		pthread_mutex_lock(&srv->emerg->mu);
		if (em_now(srv->emerg, &en) == 0)
			now = em_wall(&en); /* the engine's clock (tests') */
		pthread_mutex_unlock(&srv->emerg->mu);
	}
	memset(&d, 0, sizeof(d));
	if ((err = srv->be->emerg_pages(srv->store, NULL, ext, dlr_cb, &d)))
		return err;
	if (d.n == 0)
		return ENOENT;
	for (i = 0; i < d.n; i++) {
		snprintf(d.p[i].status, sizeof(d.p[i].status), "%s", status);
		d.p[i].updated_ms = now;
		if ((err = srv->be->emerg_page_put(srv->store, &d.p[i], 0)))
			return err;
		if (strcmp(status, "delivered") != 0 ||
		    strcmp(d.p[i].channel, "gateway") != 0)
			continue; /* a stand-down's delivery is not a page's */
		/* the first delivery marks the incident (never a yes) */
		m = xcalloc(1, sizeof(*m));
		memcpy(m->id, d.p[i].incident, 16);
		m->first_delivery_ms = now;
		m->updated_ms = now;
		err = srv->be->emerg_upsert(srv->store, m, NULL);
		free(m);
		if (err != 0)
			return err;
	}
	return 0;
}

/* The open incident with CODE: 0 or ENOENT. */
static int
by_code(struct server *srv, const char *code, struct semerg *out)
{
	struct em_list l;
	size_t i;
	int err;

	l.n = 0;
	l.e = xcalloc(EMERG_OPEN_MAX, sizeof(*l.e));
	err = srv->be->emerg_list(srv->store, NULL, 1, 0, list_cb, &l);
	for (i = 0; err == 0 && i < l.n; i++)
		if (strcmp(l.e[i].code, code) == 0)
			break;
	if (err == 0 && i == l.n)
		err = ENOENT;
	if (err == 0)
		*out = l.e[i];
	free(l.e);
	return err;
}

int
emergency_inbound(
    struct server *srv, const char *ext, const char *from, const char *text)
{
	struct emerg_srv *em = srv->emerg;
	struct semerg *e = xcalloc(1, sizeof(*e));
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	struct esc_actions *acts = xcalloc(1, sizeof(*acts));
	const struct esc_service *svc = NULL;
	struct semerg_reply rep;
	struct esc_reply rp;
	struct esc_incident inc;
	struct esc_policy pol;
	struct esc_now now;
	int err, found, step = 0;

	if (em == NULL || ext == NULL || ext[0] == '\0' || from == NULL ||
	    text == NULL) {
		err = EINVAL;
		goto done;
	}
	pthread_mutex_lock(&em->mu);
	memset(&rep, 0, sizeof(rep));
	snprintf(rep.ext_id, sizeof(rep.ext_id), "%s", ext);
	snprintf(rep.from, sizeof(rep.from), "%s", from);
	snprintf(rep.text, sizeof(rep.text), "%s", text);
	if ((err = em_now(em, &now)) != 0)
		goto out;
	rep.at_ms = em_wall(&now);
	found = esc_reply_parse(text, strlen(text), &rp) == 0 &&
	    by_code(srv, rp.code, e) == 0;
	if (found) {
		memcpy(rep.incident, e->id, 16);
		snprintf(rep.kind, sizeof(rep.kind), "%c", (char)rp.kind);
		if (roster_of(srv, e->node, r, &pol) == 0 &&
		    (svc = service_of_number(r, from)) != NULL)
			rep.counted = 1; /* only a roster number's counts */
	}
	/* the reply once: a duplicate callback does nothing more */
	if ((err = srv->be->emerg_reply_add(srv->store, &rep)) != 0)
		goto out;
	if (!rep.counted) {
		log_info("a reply %s not counted (%s)",
		    found ? "to an open incident" : "",
		    found ? "number not on the roster"
		          : "no open incident with that code");
		goto out;
	}
	if ((err = eng_load(e, &pol, &now, &inc, acts)) != 0)
		goto out;
	switch (rp.kind) {
	case ESC_R_ACCEPT:
		step = esc_ack(&inc, &pol, &now, svc->id, rp.minutes, acts);
		break;
	case ESC_R_CANNOT:
		step = esc_decline(&inc, &pol, &now, acts);
		break;
	default:
		step = esc_arrived(&inc, &now);
		break;
	}
	log_info("incident %s: reply %c from a roster number%s", e->code,
	    (char)rp.kind, step == EALREADY ? " (already past that)" : "");
	if ((err = eng_save(em, e, &inc, acts, &now)) != 0)
		goto out;
	em_partners(srv, e, r, em_wall(&now));
	em_kick(em); /* a decline fires the next level now */
out:
	pthread_mutex_unlock(&em->mu);
done:
	free(e);
	free(r);
	free(acts);
	return err;
}

/* --- intervals ------------------------------------------------------------ */

struct iv_arg {
	size_t n, cap;
	struct emerg_interval *v;
};

static int64_t
since(uint64_t from, uint64_t to)
{
	return to == 0 || from == 0 || to < from ? -1 : (int64_t)(to - from);
}

static int
iv_cb(const struct semerg *e, void *arg)
{
	struct iv_arg *a = arg;
	struct emerg_interval *iv;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	iv = &a->v[a->n++];
	memset(iv, 0, sizeof(*iv));
	snprintf(iv->code, sizeof(iv->code), "%s", e->code);
	snprintf(iv->state, sizeof(iv->state), "%s", e->state);
	iv->node = e->node;
	iv->raised_ms = e->raised_ms;
	iv->to_first_send = since(e->raised_ms, e->first_send_ms);
	iv->to_first_delivery = since(e->raised_ms, e->first_delivery_ms);
	iv->to_ack = since(e->raised_ms, e->acked_ms);
	iv->to_arrival = since(e->raised_ms, e->arrived_ms);
	return 0;
}

int
store_emergency_intervals(struct server *srv, uint64_t since_ms,
    struct emerg_interval **out, size_t *n)
{
	struct iv_arg a = { 0, 0, NULL };
	int err;

	err = srv->be->emerg_list(srv->store, NULL, 0, since_ms, iv_cb, &a);
	if (err != 0) {
		free(a.v);
		return err;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

int
emergency_callback_ok(struct server *srv, const char *secret)
{
	struct emerg_srv *em = srv->emerg;
	size_t n;
	int ok;

	if (em == NULL || secret == NULL)
		return 0;
	pthread_mutex_lock(&em->mu);
	n = strlen(em->gw.secret);
	ok = em->has_gw && n > 0 && strlen(secret) == n &&
	    crypto_memcmp(secret, em->gw.secret, n) == 0;
	pthread_mutex_unlock(&em->mu);
	return ok;
}

/* --- the timer ------------------------------------------------------------ */

static void *
em_thread(void *arg)
{
	struct emerg_srv *em = arg;
	struct timespec ts;
	int err;

	pthread_mutex_lock(&em->tmu);
	while (!em->stop) {
		em->kick = 0;
		pthread_mutex_unlock(&em->tmu);
		if ((err = emergency_tick(em->srv, NULL)) != 0)
			log_warnx("emergency timer: %s", strerror(err));
		pthread_mutex_lock(&em->tmu);
		if (em->stop || em->kick)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += em->tick_ms / 1000;
		ts.tv_nsec += (long)(em->tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&em->cv, &em->tmu, &ts);
	}
	pthread_mutex_unlock(&em->tmu);
	return NULL;
}

int
emergency_start(struct server *srv, uint32_t tick_ms)
{
	struct emerg_srv *em;
	char path[1024];
	int err;

	em = xcalloc(1, sizeof(*em));
	em->srv = srv;
	em->tick_ms = tick_ms ? tick_ms : 1000;
	pthread_mutex_init(&em->mu, NULL);
	pthread_mutex_init(&em->tmu, NULL);
	pthread_cond_init(&em->cv, NULL);
	if (srv->data_dir != NULL) {
		snprintf(path, sizeof(path), "%s/gateway.conf", srv->data_dir);
		err = gateway_load(path, &em->gw);
		if (err == 0)
			em->has_gw = 1;
		else if (err != ENOENT)
			log_warnx(
			    "%s: not used; the server sends no SMS", path);
	}
	srv->emerg = em;
	srv->stop_hook = emergency_stop;
	if (tick_ms == UINT32_MAX)
		return 0;
	em->pw = partners_start(srv, em->tick_ms);
	if ((err = pthread_create(&em->thr, NULL, em_thread, em)) != 0) {
		srv->emerg = NULL;
		free(em);
		return err;
	}
	em->running = 1;
	return 0;
}

void
emergency_stop(struct server *srv)
{
	struct emerg_srv *em = srv->emerg;

	if (em == NULL)
		return;
	if (em->running) {
		pthread_mutex_lock(&em->tmu);
		em->stop = 1;
		pthread_cond_signal(&em->cv);
		pthread_mutex_unlock(&em->tmu);
		pthread_join(em->thr, NULL);
	}
	partners_stop(em->pw);
	srv->emerg = NULL;
	pthread_mutex_destroy(&em->mu);
	pthread_mutex_destroy(&em->tmu);
	pthread_cond_destroy(&em->cv);
	explicit_bzero(&em->gw, sizeof(em->gw));
	free(em);
}

void
emergency_hooks(struct server *srv, const struct emerg_hooks *h)
{
	pthread_mutex_lock(&srv->emerg->mu);
	srv->emerg->hooks = *h;
	pthread_mutex_unlock(&srv->emerg->mu);
}

void
emergency_gateway(struct server *srv, const struct gateway_cfg *cfg)
{
	pthread_mutex_lock(&srv->emerg->mu);
	srv->emerg->has_gw = cfg != NULL;
	if (cfg != NULL)
		srv->emerg->gw = *cfg;
	pthread_mutex_unlock(&srv->emerg->mu);
}
