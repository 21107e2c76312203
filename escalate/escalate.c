/*
 * The escalation engine (escalate.h): levels, loops, the confirm window,
 * acks, declines, cancels and the rate limit, on a boot-clock schedule.
 * No I/O, no clock reads, no allocation: the caller passes the time in and
 * gets actions out.
 */
#include <errno.h>
#include <string.h>

#include "escalate/escalate.h"

/* A tick later than this after a due time re-anchors the schedule on the
 * tick (a stalled process gives each level its whole window again). */
#define ESC_SLACK_MS 5000

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
esc_policy_default(struct esc_policy *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->nlevels = 3;
	for (i = 0; i < p->nlevels; i++)
		p->levels[i].deadline_s = 300;
	p->confirm_s = 30;
	p->loop_every_s = 600;
	p->loops = 5;
	p->remind_s = 600;
	p->eta_default_min = 30;
	p->eta_grace_s = 900;
	p->rate_s = 120;
	p->max_pages = 20;
}

int
esc_policy_check(const struct esc_policy *p)
{
	int i, j;

	if (p->nlevels < 1 || p->nlevels > ESC_MAX_LEVELS || p->loops < 1 ||
	    p->max_pages < 1 || p->remind_s == 0 || p->eta_grace_s == 0)
		return EINVAL;
	for (i = 0; i < p->nlevels; i++) {
		const struct esc_level *l = &p->levels[i];

		if (l->deadline_s == 0 || l->nrcpt < 1 ||
		    l->nrcpt > ESC_MAX_RCPT)
			return EINVAL;
		for (j = 0; j < l->nrcpt; j++)
			if (l->rcpt[j][0] == '\0' ||
			    memchr(l->rcpt[j], '\0', ESC_RCPT_LEN) == NULL)
				return EINVAL;
	}
	return 0;
}

void
esc_code(const uint8_t uuid[16], char out[ESC_CODE_LEN + 1])
{
	uint32_t v;
	int i;

	v = (uint32_t)uuid[12] << 24 | (uint32_t)uuid[13] << 16 |
	    (uint32_t)uuid[14] << 8 | uuid[15];
	for (i = ESC_CODE_LEN - 1; i >= 0; i--) {
		out[i] = crockford[v & 31];
		v >>= 5;
	}
	out[ESC_CODE_LEN] = '\0';
}

int
esc_code_norm(const char *in, size_t len, char out[ESC_CODE_LEN + 1])
{
	size_t i;
	char c;

	if (len != ESC_CODE_LEN)
		return EINVAL;
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (strchr(crockford, c) == NULL || c == '\0')
			return EINVAL;
		out[i] = c;
	}
	out[ESC_CODE_LEN] = '\0';
	return 0;
}

const char *
esc_state_name(enum esc_state s)
{
	switch (s) {
	case ESC_CONFIRMING:
		return "confirming";
	case ESC_PAGING:
		return "paging";
	case ESC_ACKED:
		return "acknowledged";
	case ESC_UNRESOLVED:
		return "unresolved";
	case ESC_ARRIVED:
		return "arrived";
	case ESC_CANCELLED:
		return "cancelled";
	}
	return "?";
}

int
esc_closed(const struct esc_incident *inc)
{
	return inc->state == ESC_ARRIVED || inc->state == ESC_CANCELLED;
}

static void
set_due(struct esc_deadline *d, const struct esc_now *now, uint64_t at_ms)
{
	d->boot_ms = at_ms;
	memcpy(d->boot_id, now->boot_id, sizeof(d->boot_id));
}

static void
clear_due(struct esc_deadline *d)
{
	memset(d, 0, sizeof(*d));
}

static int
same_boot(const char *a, const char *b)
{
	return strncmp(a, b, ESC_BOOTID_LEN) == 0;
}

/* Is D due at NOW?  A deadline of another boot is (elapsed unknown). */
static int
is_due(const struct esc_deadline *d, const struct esc_now *now)
{
	if (d->boot_id[0] == '\0')
		return 0;
	if (!same_boot(d->boot_id, now->boot_id))
		return 1;
	return now->boot_ms >= d->boot_ms;
}

/* Where the next step is counted from: the due time when the tick is
 * punctual, else now (late tick, or another boot). */
static uint64_t
anchor(const struct esc_deadline *d, const struct esc_now *now)
{
	if (d->boot_id[0] != '\0' && same_boot(d->boot_id, now->boot_id) &&
	    now->boot_ms >= d->boot_ms &&
	    now->boot_ms - d->boot_ms <= ESC_SLACK_MS)
		return d->boot_ms;
	return now->boot_ms;
}

static struct esc_action *
push(struct esc_actions *acts, enum esc_act_kind kind,
    const struct esc_incident *inc, const char *rcpt)
{
	struct esc_action *a;

	if (acts == NULL || acts->n >= ESC_MAX_ACTIONS)
		return NULL;
	a = &acts->a[acts->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->loop = inc->loop;
	a->level = inc->level;
	a->repeat = inc->loop > 1 ? inc->loop : 0;
	if (rcpt != NULL)
		memcpy(a->rcpt, rcpt, ESC_RCPT_LEN);
	a->rcpt[ESC_RCPT_LEN - 1] = '\0';
	return a;
}

/* The recipient's slot in people[], added when new; -1 when full. */
static int
person(struct esc_incident *inc, const char *rcpt, int *isnew)
{
	int i;

	*isnew = 0;
	for (i = 0; i < inc->npeople; i++)
		if (strncmp(inc->people[i], rcpt, ESC_RCPT_LEN) == 0)
			return i;
	if (inc->npeople >= ESC_MAX_PEOPLE)
		return -1;
	memcpy(inc->people[i], rcpt, ESC_RCPT_LEN);
	inc->people[i][ESC_RCPT_LEN - 1] = '\0';
	inc->npeople++;
	*isnew = 1;
	return i;
}

/* Page every recipient of the current level, within the rate limits: one
 * page per recipient per rate_s and max_pages an incident, but the first
 * page to a new recipient always goes. */
static void
page_level(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	const struct esc_level *l = &pol->levels[inc->level];
	int i, k, isnew;

	for (i = 0; i < l->nrcpt; i++) {
		k = person(inc, l->rcpt[i], &isnew);
		if (!isnew) {
			if (inc->pages >= pol->max_pages)
				continue;
			if (k >= 0 &&
			    same_boot(inc->last_page_boot[k], now->boot_id) &&
			    now->boot_ms - inc->last_page_ms[k] <
			        (uint64_t)pol->rate_s * 1000)
				continue;
		}
		if (push(acts, ESC_A_PAGE, inc, l->rcpt[i]) == NULL)
			continue;
		inc->pages++;
		if (k >= 0) {
			inc->last_page_ms[k] = now->boot_ms;
			memcpy(inc->last_page_boot[k], now->boot_id,
			    sizeof(inc->last_page_boot[k]));
		}
	}
}

/* Fire LEVEL at AT (boot ms): page it and set its ack deadline. */
static void
fire(struct esc_incident *inc, const struct esc_policy *pol, int level,
    uint64_t at, const struct esc_now *now, struct esc_actions *acts)
{
	inc->level = level;
	inc->state = ESC_PAGING;
	page_level(inc, pol, now, acts);
	if (level == pol->nlevels - 1)
		push(acts, ESC_A_REMIND, inc, NULL); /* CHW: phone again */
	set_due(&inc->due, now,
	    at + (uint64_t)pol->levels[level].deadline_s * 1000);
}

static void
start_loop(struct esc_incident *inc, const struct esc_policy *pol, uint64_t at,
    const struct esc_now *now, struct esc_actions *acts)
{
	inc->loop++;
	set_due(&inc->loop_start, now, at);
	fire(inc, pol, 0, at, now, acts);
}

/*
 * The current level is over (deadline, decline, not arrived, reboot):
 * the next level, the next loop or UNRESOLVED.  NOW_LOOP starts the next
 * loop without waiting for loop_every_s (a person declined).
 */
static void
advance(struct esc_incident *inc, const struct esc_policy *pol, uint64_t at,
    int now_loop, const struct esc_now *now, struct esc_actions *acts)
{
	uint64_t next;

	if (inc->level >= 0 && inc->level + 1 < pol->nlevels) {
		fire(inc, pol, inc->level + 1, at, now, acts);
		return;
	}
	if (inc->loop >= pol->loops) {
		inc->state = ESC_UNRESOLVED;
		inc->level = pol->nlevels - 1;
		push(acts, ESC_A_UNRESOLVED, inc, NULL);
		push(acts, ESC_A_REMIND, inc, NULL);
		set_due(&inc->due, now, at + (uint64_t)pol->remind_s * 1000);
		return;
	}
	next = at;
	if (!now_loop && inc->level >= 0 &&
	    same_boot(inc->loop_start.boot_id, now->boot_id) &&
	    inc->loop_start.boot_ms + (uint64_t)pol->loop_every_s * 1000 > at)
		next = inc->loop_start.boot_ms +
		    (uint64_t)pol->loop_every_s * 1000;
	if (next > at) {
		/* between loops: level stays "past the last" until next */
		inc->level = pol->nlevels;
		set_due(&inc->due, now, next);
		return;
	}
	start_loop(inc, pol, at, now, acts);
}

int
esc_raise(struct esc_incident *inc, const uint8_t uuid[16],
    enum esc_trigger trig, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	if (esc_policy_check(pol) != 0 ||
	    (trig != ESC_TRIG_MANUAL && trig != ESC_TRIG_AUTO))
		return EINVAL;
	memset(inc, 0, sizeof(*inc));
	memcpy(inc->uuid, uuid, sizeof(inc->uuid));
	esc_code(uuid, inc->code);
	inc->trigger = trig;
	inc->level = -1;
	inc->wall_trigger_ms = now->wall_ms;
	if (trig == ESC_TRIG_AUTO && pol->confirm_s > 0) {
		inc->state = ESC_CONFIRMING;
		set_due(&inc->due, now,
		    now->boot_ms + (uint64_t)pol->confirm_s * 1000);
		return 0;
	}
	start_loop(inc, pol, now->boot_ms, now, acts);
	return 0;
}

int
esc_confirm(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	if (inc->state != ESC_CONFIRMING)
		return EALREADY;
	start_loop(inc, pol, now->boot_ms, now, acts);
	return 0;
}

void
esc_tick(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	uint64_t at;

	if (esc_closed(inc) || !is_due(&inc->due, now))
		return;
	at = anchor(&inc->due, now);
	switch (inc->state) {
	case ESC_CONFIRMING:
		start_loop(inc, pol, at, now, acts); /* sends on timeout */
		break;
	case ESC_PAGING:
		if (inc->level >= pol->nlevels)
			start_loop(inc, pol, at, now, acts);
		else
			advance(inc, pol, at, 0, now, acts);
		break;
	case ESC_UNRESOLVED:
		push(acts, ESC_A_REMIND, inc, NULL);
		set_due(&inc->due, now, at + (uint64_t)pol->remind_s * 1000);
		break;
	case ESC_ACKED:
		push(acts, ESC_A_ARRIVAL, inc, NULL);
		set_due(&inc->due, now, at + (uint64_t)pol->remind_s * 1000);
		break;
	default:
		break;
	}
}

uint64_t
esc_wait_ms(const struct esc_incident *inc, const struct esc_now *now)
{
	if (esc_closed(inc) || inc->due.boot_id[0] == '\0')
		return UINT64_MAX;
	if (is_due(&inc->due, now))
		return 0;
	return inc->due.boot_ms - now->boot_ms;
}

int
esc_ack(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, const char *by, uint32_t eta_min,
    struct esc_actions *acts)
{
	(void)acts;
	if (esc_closed(inc) || inc->state == ESC_ACKED)
		return EALREADY;
	inc->state = ESC_ACKED;
	inc->wall_ack_ms = now->wall_ms;
	memset(inc->ack_by, 0, sizeof(inc->ack_by));
	if (by != NULL)
		memcpy(inc->ack_by, by, strnlen(by, ESC_RCPT_LEN - 1));
	inc->eta_min = eta_min ? eta_min : pol->eta_default_min;
	set_due(&inc->due, now,
	    now->boot_ms + (uint64_t)inc->eta_min * 60000 +
	        (uint64_t)pol->eta_grace_s * 1000);
	return 0;
}

int
esc_decline(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	if (inc->state != ESC_PAGING)
		return EALREADY;
	if (inc->level >= pol->nlevels)
		start_loop(inc, pol, now->boot_ms, now, acts);
	else
		advance(inc, pol, now->boot_ms, 1, now, acts);
	return 0;
}

int
esc_arrived(struct esc_incident *inc, const struct esc_now *now)
{
	if (esc_closed(inc))
		return EALREADY;
	inc->state = ESC_ARRIVED;
	inc->wall_end_ms = now->wall_ms;
	clear_due(&inc->due);
	return 0;
}

int
esc_not_arrived(struct esc_incident *inc, const struct esc_policy *pol,
    const struct esc_now *now, struct esc_actions *acts)
{
	if (inc->state != ESC_ACKED)
		return EALREADY;
	inc->state = ESC_PAGING;
	memset(inc->ack_by, 0, sizeof(inc->ack_by));
	if (inc->level < 0 || inc->level >= pol->nlevels)
		start_loop(inc, pol, now->boot_ms, now, acts);
	else
		advance(inc, pol, now->boot_ms, 1, now, acts);
	return 0;
}

int
esc_cancel(struct esc_incident *inc, const struct esc_now *now,
    struct esc_actions *acts)
{
	int i;

	if (esc_closed(inc))
		return EALREADY;
	inc->state = ESC_CANCELLED;
	inc->wall_end_ms = now->wall_ms;
	clear_due(&inc->due);
	for (i = 0; i < inc->npeople; i++)
		push(acts, ESC_A_CANCEL, inc, inc->people[i]);
	return 0;
}

int
esc_claim(const struct esc_incident *inc, const struct esc_action *a)
{
	switch (a->kind) {
	case ESC_A_PAGE:
		if (inc->state == ESC_PAGING && a->loop == inc->loop &&
		    a->level == inc->level)
			return 0;
		return ECANCELED;
	case ESC_A_CANCEL:
		return inc->state == ESC_CANCELLED ? 0 : ECANCELED;
	default:
		return esc_closed(inc) ? ECANCELED : 0;
	}
}

int
esc_server_owns(const char *modem, const char *kiosk_send, uint64_t age_ms)
{
	if (modem != NULL &&
	    (strcmp(modem, "none") == 0 || strcmp(modem, "failed") == 0))
		return 1;
	if (kiosk_send == NULL)
		kiosk_send = "";
	if (strcmp(kiosk_send, "sent") == 0 ||
	    strcmp(kiosk_send, "delivered") == 0 ||
	    strcmp(kiosk_send, "superseded") == 0)
		return 0; /* the kiosk's modem did it, or nobody should */
	if (strcmp(kiosk_send, "failed") == 0)
		return 1;
	/* unknown, pending, sending, or nothing heard: wait a while */
	return age_ms >= ESC_HANDOVER_MS;
}
