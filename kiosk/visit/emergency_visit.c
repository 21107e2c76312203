/*
 * Emergencies from the visit (emergency.h, the screens' side): raising
 * an incident for the patient in hand (or nobody), the CHW's steps, and
 * what the CALL NOW card and the status strip show.  Runs on the UI
 * thread and only ever does short store transactions: every send is the
 * worker's (emergency_worker.c), which this kicks.  No curses, no SQL; no
 * patient data in the log (the incident's code only).
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "log.h"
#include "visit.h"
#include "xmalloc.h"

/* No answer from the server for this long after a raise (and no earlier
 * success) counts as no server path. */
#define SERVER_WAIT_MS 10000

/* The roster kept in the store under the pinned server key: 0 or ENOENT. */
static int
roster_here(struct store *s, struct esc_roster *r, int *stale)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int err;

	*stale = 0;
	if (store_state_get(s, SYNC_K_SERVER_PUB, &v, &len) != 0 || v == NULL ||
	    len != 32) {
		free(v);
		return ENOENT;
	}
	err = store_emergency_roster_get(s, v, (int64_t)time(NULL), r, stale);
	free(v);
	return err != 0 ? ENOENT : 0;
}

/* The policy the incident runs: the roster's, with the confirm window of
 * the test-only OUTPOST_EMERGENCY_CONFIRM_S when set. */
static int
policy_here(const struct esc_roster *r, struct esc_policy *p)
{
	const char *env = getenv("OUTPOST_EMERGENCY_CONFIRM_S");
	long v;
	int err;

	if ((err = esc_roster_policy(r, p)) != 0)
		return err;
	if (env != NULL && (v = strtol(env, NULL, 10)) > 0 && v <= 600)
		p->confirm_s = (uint32_t)v;
	return 0;
}

/* "SpO2 84 RR 28 HR 132 BP 88 T39.1 V": the validated values of the
 * visit, as the SMS builder reads them back (emergency_pump.c). */
static void
vitals_text(const struct visit_vitals *v, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
#define ADD(...)                                                               \
	do {                                                                   \
		if (n < len)                                                   \
			n += (size_t)snprintf(out + n, len - n, __VA_ARGS__);  \
	} while (0)
	if (v->in.have & (1u << NEWS2_SPO2))
		ADD("%sSpO2 %d", n ? " " : "", v->in.spo2);
	if (v->in.have & (1u << NEWS2_RR))
		ADD("%sRR %d", n ? " " : "", v->in.rr);
	if (v->in.have & (1u << NEWS2_PULSE))
		ADD("%sHR %d", n ? " " : "", v->in.pulse);
	if (v->in.have & (1u << NEWS2_SBP))
		ADD("%sBP %d", n ? " " : "", v->in.sbp);
	if (v->in.have & (1u << NEWS2_TEMP))
		ADD("%sT%.1f", n ? " " : "", v->in.temp);
	if (v->in.have & (1u << NEWS2_ACVPU))
		ADD("%s%s", n ? " " : "", triage_acvpu_name(v->in.acvpu));
#undef ADD
}

int
visit_emergency_raise(
    struct visit *vis, enum esc_trigger trig, char id_out[UUID_STRLEN + 1])
{
	struct store_emergency_in in;
	struct esc_roster *r;
	struct esc_policy p;
	struct esc_now now;
	struct emerg_worker_status ws;
	char vit[STORE_EMERG_VITALS_MAX], id[UUID_STRLEN + 1];
	const struct news2_result *res = &vis->vitals.r;
	int err, stale;

	if (vis->store == NULL)
		return EINVAL;
	r = xcalloc(1, sizeof(*r));
	if ((err = roster_here(vis->store, r, &stale)) != 0 ||
	    (err = policy_here(r, &p)) != 0) {
		free(r);
		return ENOENT; /* nobody can be paged: the card says phone */
	}
	memset(&in, 0, sizeof(in));
	in.trigger = trig;
	in.news2 = -1;
	in.age = -1;
	if (vis->have_patient) {
		in.patient_id = vis->patient.id;
		in.encounter_id =
		    vis->encounter_id[0] ? vis->encounter_id : NULL;
		in.age = visit_age_years(vis->patient.birth_date);
		if (vis->patient.sex != NULL)
			in.sex = strcmp(vis->patient.sex, "female") == 0 ? 'F'
			    : strcmp(vis->patient.sex, "male") == 0      ? 'M'
			                                                 : 0;
		if (res->applicable && vis->vitals.in.have)
			in.news2 = res->score;
		vitals_text(&vis->vitals, vit, sizeof(vit));
		in.vitals = vit;
	}
	in.roster_version = r->version;
	emerg_worker_status(&ws);
	in.modem = ws.modem == EMERG_MODEM_NONE ? "none"
	    : ws.modem == EMERG_MODEM_FAILED    ? "failed"
	                                        : "ok";
	if ((err = esc_now_read(&now)) == 0)
		err = store_emergency_raise(vis->store, &in, &p, &now, id);
	free(r);
	if (err != 0) {
		log_warnx("emergency not recorded: %s", strerror(err));
		return err;
	}
	/* the pages and the server: off this thread, at once */
	emerg_worker_kick();
	sync_thread_kick();
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
	return 0;
}

int
visit_emergency_step(struct visit *vis, const char *id, enum store_emerg_op op,
    const char *by, uint32_t eta, const char *text)
{
	struct esc_roster *r;
	struct esc_policy p;
	struct esc_now now;
	int err, stale;

	if (vis->store == NULL)
		return EINVAL;
	r = xcalloc(1, sizeof(*r));
	/* the roster's policy; the defaults do for a step without one */
	if (roster_here(vis->store, r, &stale) != 0 || policy_here(r, &p) != 0)
		esc_policy_default(&p);
	free(r);
	if ((err = esc_now_read(&now)) != 0)
		return err;
	err = store_emergency_step(vis->store, id, op, &p, &now, by, eta, text);
	if (err == 0) {
		emerg_worker_kick();
		sync_thread_kick();
	}
	return err;
}

static int
newest_open(void *arg, const struct store_emergency *e)
{
	struct visit_emerg *v = arg;

	v->open++;
	v->e = *e; /* oldest first: the last one is the newest */
	return 0;
}

static int
reply_ev(void *arg, const struct store_emergency_ev *ev)
{
	struct visit_emerg *v = arg;
	struct visit_emerg_reply *x;

	if (strcmp(ev->kind, "reply") == 0 ||
	    strcmp(ev->kind, "reply-foreign") == 0) {
		if (v->nreplies == VISIT_EMERG_REPLIES) {
			memmove(&v->replies[0], &v->replies[1],
			    sizeof(v->replies[0]) * (VISIT_EMERG_REPLIES - 1));
			v->nreplies--;
		}
		x = &v->replies[v->nreplies++];
		x->at_ms = ev->at_ms;
		x->foreign = ev->kind[5] == '-';
		snprintf(x->text, sizeof(x->text), "%s", ev->detail);
	} else if (strcmp(ev->kind, "sent") == 0) {
		v->sent++;
		snprintf(
		    v->last_sent_to, sizeof(v->last_sent_to), "%s", ev->detail);
	} else if (strcmp(ev->kind, "failed") == 0 ||
	    strcmp(ev->kind, "unknown") == 0)
		v->failed++;
	return 0;
}

int
visit_emergency_view(struct visit *vis, struct visit_emerg *v)
{
	struct emerg_worker_status ws;
	struct sync_status ss;
	struct esc_now now;
	uint64_t wait, since;
	int err;

	memset(v, 0, sizeof(*v));
	if (vis->store == NULL)
		return ENOENT;
	/* read every second: the roster (a signature check) only when an
	 * incident is open */
	if ((err = store_emergency_open(vis->store, newest_open, v)) != 0)
		return err;
	if (v->open == 0)
		return ENOENT;
	v->have_roster =
	    roster_here(vis->store, &v->roster, &v->roster_stale) == 0;
	if (v->have_roster)
		v->nranked = esc_roster_rank(
		    &v->roster, (int64_t)time(NULL), NULL, v->order);
	if ((err = store_emergency_events(
	         vis->store, v->e.id, NULL, reply_ev, v)) != 0)
		return err;
	if (esc_now_read(&now) == 0) {
		wait = esc_wait_ms(&v->e.eng, &now);
		v->next_ms = wait == UINT64_MAX ? 0 : wait;
		v->elapsed_s = now.wall_ms > (int64_t)v->e.raised_ms
		    ? (uint64_t)(now.wall_ms - (int64_t)v->e.raised_ms) / 1000
		    : 0;
	}
	/* the paths: the modem (the worker's last word), the server (the
	 * sync thread's) */
	emerg_worker_status(&ws);
	v->modem = ws.modem;
	since = ws.busy_since_ms;
	v->modem_stuck =
	    since != 0 && clock_mono_ms() - since >= EMERG_MODEM_STUCK_MS;
	v->modem_down = ws.modem == EMERG_MODEM_NONE ||
	    ws.modem == EMERG_MODEM_FAILED || v->modem_stuck;
	memset(&ss, 0, sizeof(ss));
	if (sync_status_get(vis->store, &ss) != 0 || !ss.enrolled)
		v->server_down = 1;
	else if (ss.last_ok_ms >= v->e.raised_ms)
		v->server_up = 1; /* the server has had a sync since */
	else
		v->server_down = ss.last_error[0] != '\0' ||
		    v->elapsed_s * 1000 >= SERVER_WAIT_MS;
	v->no_network = v->modem_down && v->server_down;
	return 0;
}
