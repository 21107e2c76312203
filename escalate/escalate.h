/*
 * The emergency escalation engine (issue 16, research emergency.md §7): one
 * pure state machine linked by both the kiosk and the sync server.  It does
 * no I/O and reads no clock: every call takes a clock reading (struct
 * esc_now) and returns what to do (struct esc_action) for the caller to
 * persist and send.
 *
 * Time.  Deadlines are milliseconds on CLOCK_BOOTTIME paired with the boot
 * id they belong to; the wall clock is carried for records only and moves no
 * deadline.  A deadline of another boot is "elapsed unknown": the current
 * level counts as expired and the next one fires at once (§7.2).
 *
 * Schedule.  An incident is raised manually (it fires level 1 at once) or
 * automatically (a confirm window first, which fires level 1 when it runs
 * out unless the CHW cancels).  Level L fires, and level L+1 is due
 * policy.levels[L].deadline_s later; the schedule is anchored on the due
 * times, not on when a late tick noticed them, so ticks one second apart
 * keep every level within one second of its deadline.  After the last level
 * the next loop starts at level 1, no earlier than loop_every_s after the
 * previous loop started; after policy.loops loops the incident is
 * UNRESOLVED and the CHW is reminded every remind_s (never silent).
 *
 * Only a person's yes stops paging: esc_ack (a roster reply "A", a
 * dispatcher, or the CHW's "I phoned and they are coming").  A decline
 * ("X") fires the next level at once.  Transport results never change the
 * state.  A page the engine asked for is sent only after esc_claim says it
 * is still wanted, so a page queued before an ack is never sent after it.
 *
 * What it does not do: store, send, parse SMS (escalate/sms.h) or choose
 * the services (the roster).
 */
#ifndef ESCALATE_H
#define ESCALATE_H

#include <stddef.h>
#include <stdint.h>

#define ESC_MAX_LEVELS 4
#define ESC_MAX_RCPT 6 /* recipients per level */
#define ESC_MAX_PEOPLE 16 /* distinct recipients per incident */
#define ESC_RCPT_LEN 24 /* a roster service/contact id */
#define ESC_BOOTID_LEN 36 /* /proc/sys/kernel/random/boot_id */
#define ESC_CODE_LEN 6 /* Crockford base32 */
#define ESC_MAX_ACTIONS 32 /* actions one call can return */

/* A clock reading: CLOCK_BOOTTIME in ms with its boot id, and the wall
 * clock (records and logs only). */
struct esc_now {
	uint64_t boot_ms;
	char boot_id[ESC_BOOTID_LEN + 1];
	int64_t wall_ms;
};

/* A deadline: a point on one boot's CLOCK_BOOTTIME.  Zero boot_id: none. */
struct esc_deadline {
	uint64_t boot_ms;
	char boot_id[ESC_BOOTID_LEN + 1];
};

struct esc_level {
	uint32_t deadline_s; /* time to wait for a yes before the next level */
	int nrcpt;
	char rcpt[ESC_MAX_RCPT][ESC_RCPT_LEN];
};

struct esc_policy {
	int nlevels;
	struct esc_level levels[ESC_MAX_LEVELS];
	uint32_t confirm_s; /* automatic trigger's confirm window (30) */
	uint32_t loop_every_s; /* a loop starts no sooner than this (600) */
	int loops; /* loops before UNRESOLVED (5) */
	uint32_t remind_s; /* CHW reminder once unresolved (600) */
	uint32_t eta_default_min; /* an accept without minutes (30) */
	uint32_t eta_grace_s; /* arrival check after the ETA (900) */
	uint32_t rate_s; /* one page per recipient per rate_s (120) */
	int max_pages; /* pages per incident (20) */
};

enum esc_state {
	ESC_CONFIRMING = 1, /* automatic trigger, confirm window running */
	ESC_PAGING, /* levels firing, nobody said yes */
	ESC_ACKED, /* a person said yes; waiting for arrival */
	ESC_UNRESOLVED, /* every loop spent, nobody said yes */
	ESC_ARRIVED, /* closed: help arrived */
	ESC_CANCELLED, /* closed: cancelled by the CHW, with a reason */
};

enum esc_trigger {
	ESC_TRIG_MANUAL = 1, /* the emergency key: sends at once */
	ESC_TRIG_AUTO, /* NEWS2 >= 7: confirm window first */
};

enum esc_act_kind {
	ESC_A_PAGE = 1, /* page rcpt for (loop, level) */
	ESC_A_CANCEL, /* tell rcpt (paged before) the incident is off */
	ESC_A_REMIND, /* prompt the CHW (unresolved; phone again) */
	ESC_A_ARRIVAL, /* ask the CHW whether help arrived */
	ESC_A_UNRESOLVED, /* the last loop ran out */
};

struct esc_action {
	enum esc_act_kind kind;
	int loop; /* 1-based */
	int level; /* 0-based */
	int repeat; /* 0 on the first loop, else the loop number (REPEAT n/N) */
	char rcpt[ESC_RCPT_LEN];
};

struct esc_actions {
	int n;
	struct esc_action a[ESC_MAX_ACTIONS];
};

/* Everything the engine knows about one incident: a plain struct, stored
 * as it is by the caller (no pointers). */
struct esc_incident {
	uint8_t uuid[16];
	char code[ESC_CODE_LEN + 1];
	enum esc_state state;
	enum esc_trigger trigger;
	int loop; /* 1-based; 0 before level 1 first fired */
	int level; /* the level last fired, -1 none */
	struct esc_deadline due; /* next step: a level, a reminder, a check */
	struct esc_deadline loop_start;
	int pages; /* pages handed out so far */
	int npeople;
	char people[ESC_MAX_PEOPLE][ESC_RCPT_LEN];
	uint64_t last_page_ms[ESC_MAX_PEOPLE]; /* boot ms, rate limit */
	char last_page_boot[ESC_MAX_PEOPLE][ESC_BOOTID_LEN + 1];
	int64_t wall_trigger_ms, wall_ack_ms, wall_end_ms;
	char ack_by[ESC_RCPT_LEN];
	uint32_t eta_min;
};

/* The defaults of §7.6 with no recipients. */
void esc_policy_default(struct esc_policy *);
/* 0, or EINVAL when a level has no recipient or a number is out of range
 * (a level nobody can be paged on is an error, never a skip). */
int esc_policy_check(const struct esc_policy *);

/* The 6-character Crockford base32 code from the UUID's low 30 bits. */
void esc_code(const uint8_t uuid[16], char out[ESC_CODE_LEN + 1]);
/* Normalise a typed code (case, O->0, I/L->1); 0 or EINVAL. */
int esc_code_norm(const char *in, size_t len, char out[ESC_CODE_LEN + 1]);

/*
 * Raise an incident.  Manual: level 1 pages now.  Automatic: the confirm
 * window starts (esc_confirm or its end fires level 1).  EINVAL: bad
 * policy.
 */
int esc_raise(struct esc_incident *, const uint8_t uuid[16], enum esc_trigger,
    const struct esc_policy *, const struct esc_now *, struct esc_actions *);
/* The CHW confirms an automatic trigger early.  EALREADY: not confirming. */
int esc_confirm(struct esc_incident *, const struct esc_policy *,
    const struct esc_now *, struct esc_actions *);
/* Time passed: fire what is due (at most one step a call). */
void esc_tick(struct esc_incident *, const struct esc_policy *,
    const struct esc_now *, struct esc_actions *);
/* Milliseconds from NOW to the next due step (0: due, or another boot);
 * UINT64_MAX when nothing is scheduled. */
uint64_t esc_wait_ms(const struct esc_incident *, const struct esc_now *);

/* A person said yes (ETA in minutes, 0 for the default).  BY names them.
 * EALREADY: closed or already acknowledged (the first yes counts). */
int esc_ack(struct esc_incident *, const struct esc_policy *,
    const struct esc_now *, const char *by, uint32_t eta_min,
    struct esc_actions *);
/* A roster contact cannot come: the next level fires now.  EALREADY when
 * not paging. */
int esc_decline(struct esc_incident *, const struct esc_policy *,
    const struct esc_now *, struct esc_actions *);
/* Help arrived: closed.  EALREADY when closed. */
int esc_arrived(struct esc_incident *, const struct esc_now *);
/* The CHW says help did not arrive after a yes: paging resumes at the next
 * level ("ack expired").  EALREADY unless acknowledged. */
int esc_not_arrived(struct esc_incident *, const struct esc_policy *,
    const struct esc_now *, struct esc_actions *);
/* Cancelled by the CHW: everyone paged is told.  EALREADY when closed. */
int esc_cancel(
    struct esc_incident *, const struct esc_now *, struct esc_actions *);

/* Is this page still wanted?  Call it in the transaction that marks the
 * send as started: 0, or ECANCELED (acknowledged, closed, or a loop or
 * level since passed). */
int esc_claim(const struct esc_incident *, const struct esc_action *);

/*
 * The ownership rule of §7.3 (nobody paged twice by two owners): the kiosk
 * owns modem SMS, the server gateway SMS.  For one page (loop, level,
 * recipient) the server sends by gateway only when the kiosk said it has
 * no modem or a failed one (MODEM "none"/"failed"), its send of that page
 * failed, or it has been "unknown", or not reported at all, for at least
 * ESC_HANDOVER_MS.  KIOSK_SEND is the kiosk's status of that page as last
 * synced ("" not reported); AGE_MS how long it has been so.  1: the server
 * sends; 0: it leaves it to the kiosk.
 */
#define ESC_HANDOVER_MS 60000
int esc_server_owns(const char *modem, const char *kiosk_send, uint64_t age_ms);

/* 1 when the incident is closed (arrived or cancelled). */
int esc_closed(const struct esc_incident *);
/* Read CLOCK_BOOTTIME, the boot id and the wall clock (escalate/bootclock.c,
 * the engine's only I/O).  0 or an errno value. */
int esc_now_read(struct esc_now *);

/* A word for logs and the status strip (untranslated, no patient data). */
const char *esc_state_name(enum esc_state);

#endif
