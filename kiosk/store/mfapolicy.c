/*
 * The second-factor policy (mfapolicy.h): a line of text in sync_state,
 * "required GRACE_DAYS START_MS" or "off GRACE_DAYS START_MS".
 */
#define LOG_MODULE "mfa_policy"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keyring.h"
#include "log.h"
#include "mfapolicy.h"
#include "role.h"
#include "store.h"

#define DAY_MS (24ull * 3600 * 1000)

static int
mfa_policy_put(struct store *s, const struct mfa_policy *p)
{
	char buf[64];
	int n;

	n = snprintf(buf, sizeof(buf), "%s %d %" PRIu64,
	    p->required ? "required" : "off", p->grace_days, p->start_ms);
	return store_state_put(s, MFA_POLICY_KEY, buf, (size_t)n);
}

static int
mfa_policy_parse(const uint8_t *v, size_t len, struct mfa_policy *p)
{
	char buf[64], word[16];
	uint64_t start;
	int grace;

	if (len >= sizeof(buf))
		return EBADMSG;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (sscanf(buf, "%15s %d %" SCNu64, word, &grace, &start) != 3 ||
	    grace < 0 || grace > MFA_GRACE_DAYS_MAX)
		return EBADMSG;
	if (strcmp(word, "required") == 0)
		p->required = 1;
	else if (strcmp(word, "off") == 0)
		p->required = 0;
	else
		return EBADMSG;
	p->grace_days = grace;
	p->start_ms = start;
	return 0;
}

int
store_mfa_policy_get(struct store *s, struct mfa_policy *p)
{
	uint8_t *v = NULL;
	size_t len;
	int err;

	err = store_state_get(s, MFA_POLICY_KEY, &v, &len);
	if (err == 0) {
		err = mfa_policy_parse(v, len, p);
		free(v);
		if (err == 0)
			return 0;
		/* a damaged row: the strictest reading, not none */
		log_warnx("the second-factor policy row is damaged: "
		          "treating it as required now");
		p->required = 1;
		p->grace_days = 0;
		p->start_ms = 0;
		return 0;
	}
	if (err != ENOENT)
		return err;
	p->required = 1;
	p->grace_days = MFA_GRACE_DAYS_DEFAULT;
	p->start_ms = clock_wall_ms();
	if ((err = mfa_policy_put(s, p)) != 0)
		return err;
	store_audit(s, "change", "node", NULL, "mfa policy started");
	return 0;
}

int
store_mfa_policy_set(struct store *s, int required, int grace_days)
{
	struct mfa_policy p;
	char detail[64];
	int err;

	if (grace_days < 0 || grace_days > MFA_GRACE_DAYS_MAX)
		return EINVAL;
	p.required = required != 0;
	p.grace_days = grace_days;
	p.start_ms = clock_wall_ms();
	if ((err = mfa_policy_put(s, &p)) != 0)
		return err;
	snprintf(detail, sizeof(detail), "mfa policy %s, grace %d days",
	    p.required ? "required" : "off", grace_days);
	store_audit(s, "change", "node", NULL, detail);
	return 0;
}

int
mfa_policy_due(const struct mfa_policy *p, int role, uint64_t created_ms,
    int has_mfa, uint64_t now_ms)
{
	uint64_t from, until;

	if (!p->required || has_mfa || role == REC_ROLE_CHW ||
	    role < REC_ROLE_CHW || role > REC_ROLE_MAX)
		return -1;
	from = created_ms > p->start_ms ? created_ms : p->start_ms;
	until = from + (uint64_t)p->grace_days * DAY_MS;
	if (now_ms >= until)
		return 0;
	return (int)((until - now_ms + DAY_MS - 1) / DAY_MS);
}

int
store_mfa_due(
    struct store *s, const struct keyring *kr, const struct store_user *u)
{
	struct mfa_policy p;
	int err;

	if ((err = store_mfa_policy_get(s, &p)) != 0) {
		log_warnx("second-factor policy not read: %d", err);
		return -1;
	}
	return mfa_policy_due(&p, u->role, u->created_ms,
	    keyring_user_mfa(kr, u->name != NULL ? u->name : ""),
	    clock_wall_ms());
}
