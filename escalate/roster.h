/*
 * The signed emergency roster of one kiosk (issue 16; research
 * emergency.md §7.8): the services it may call or page, their numbers,
 * hours, capabilities and road travel time, and the escalation policy.
 * The server builds and signs it with its Ed25519 key (`sync-server admin
 * roster`, to come); the kiosk accepts a roster only when the signature
 * holds, the version is not older than the one in use and it has not
 * expired, and otherwise keeps the last good one.
 *
 * On the wire: a CBOR array [body, signature], BODY the deterministic CBOR
 * encoding of the map below, SIGNATURE Ed25519 over BODY.
 *
 *   body     {1 version, 2 issued_at, 3 valid_until (Unix s), 4 site_id,
 *             5 lat, 6 lon, 7 landmark, 8 directions, 9 [service...],
 *             10 policy}
 *   service  {1 id, 2 name, 3 kind, 4 lat, 5 lon, 6 travel_min, 7 [voice],
 *             8 [sms], 9 [sms_reply_from], 10 utc_offset_min,
 *             11 [[open_min, close_min] x 7, Monday first], 12 [capability]}
 *   policy   {1 [{1 [service id...], 2 deadline_s}...], 2 loop_every_s,
 *             3 loops, 4 rate_s, 5 max_pages}
 */
#ifndef ESC_ROSTER_H
#define ESC_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include "escalate/escalate.h"

#define ESC_MAX_SERVICES 16
#define ESC_NUM_LEN 17 /* "+" and up to 15 digits */
#define ESC_MAX_NUMS 2
#define ESC_ROSTER_MAX (64 << 10)

struct esc_service {
	char id[ESC_RCPT_LEN];
	char name[48];
	char kind[16];
	double lat, lon;
	int travel_min; /* by road; -1 unknown (haversine then) */
	int nvoice, nsms, nreply;
	char voice[ESC_MAX_NUMS][ESC_NUM_LEN];
	char sms[ESC_MAX_NUMS][ESC_NUM_LEN];
	char reply_from[ESC_MAX_NUMS][ESC_NUM_LEN];
	int utc_offset_min;
	int has_hours; /* 0: always open */
	uint16_t open_min[7], close_min[7]; /* local, Monday first */
	char caps[96]; /* "obstetric,paediatric" */
};

struct esc_roster {
	uint64_t version;
	int64_t issued_at, valid_until;
	char site_id[40];
	double lat, lon;
	char landmark[24];
	char directions[120];
	int nservices;
	struct esc_service services[ESC_MAX_SERVICES];
	/* the policy: levels name services by id */
	int nlevels;
	int level_nsvc[ESC_MAX_LEVELS];
	char level_svc[ESC_MAX_LEVELS][ESC_MAX_RCPT][ESC_RCPT_LEN];
	uint32_t level_deadline_s[ESC_MAX_LEVELS];
	uint32_t loop_every_s, rate_s;
	int loops, max_pages;
};

/* Sign R with the server's PRIV into *OUT (xmalloc'd, caller frees).
 * EINVAL: R does not validate (esc_roster_validate). */
int esc_roster_sign(const struct esc_roster *, const uint8_t priv[32],
    uint8_t **out, size_t *len, char **cause);
/*
 * Take a received roster: replace *CUR only when BUF's signature holds
 * under PUB, it decodes and validates, its version is not below
 * CUR->version (0: none yet) and it has not expired at NOW (Unix s).
 * Else *CUR is untouched (the last good one keeps working) and *CAUSE says
 * why: EBADMSG (tampered, wrong key, malformed), ESTALE (older),
 * EKEYEXPIRED (expired), EINVAL (signed but not usable: a level with no
 * SMS number, a number not E.164).
 */
int esc_roster_accept(struct esc_roster *cur, const uint8_t *buf, size_t len,
    const uint8_t pub[32], int64_t now, char **cause);
/* Verify and decode a signed roster without the version and expiry rules
 * (the one a kiosk already keeps): 0, or EBADMSG with *CAUSE. */
int esc_roster_open(const uint8_t *buf, size_t len, const uint8_t pub[32],
    struct esc_roster *out, char **cause);
/* 0, or EINVAL with *CAUSE: every level names known services and has at
 * least one SMS number; every number is E.164. */
int esc_roster_validate(const struct esc_roster *, char **cause);
/* 1 when R expired at NOW (the kiosk shows "roster stale since ..."). */
int esc_roster_stale(const struct esc_roster *, int64_t now);
/* Is service S open at NOW (Unix s)? */
int esc_service_open(const struct esc_service *, int64_t now);
/* Service indices into ORDER (ESC_MAX_SERVICES), nearest first: road
 * travel time (haversine at 40 km/h only when unknown), then open now,
 * then having capability CAP (NULL: none asked).  Returns the count. */
int esc_roster_rank(const struct esc_roster *, int64_t now, const char *cap,
    int order[ESC_MAX_SERVICES]);
/* The policy the engine runs: each level's services' ids as recipients. */
int esc_roster_policy(const struct esc_roster *, struct esc_policy *);
/* The service named ID, or NULL. */
const struct esc_service *esc_roster_service(
    const struct esc_roster *, const char *id);
/* Great-circle distance in km (mean Earth radius 6371.0088 km). */
double esc_haversine_km(double lat1, double lon1, double lat2, double lon2);

#endif
