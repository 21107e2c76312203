/*
 * The kiosk's licence snapshot and gate (issue 14; model/licence.h).  The
 * sync client hands each snapshot it pulls to store_licence_put, which
 * verifies it with the pinned server key and keeps it only when it is
 * newer; the consult paths ask store_licence_gate before an act.  With no
 * snapshot held, or one that lists nobody (licensing not configured for
 * the region), nothing is blocked here: the server re-checks every act
 * at sync.
 */
#ifndef KIOSK_STORE_LICSTORE_H
#define KIOSK_STORE_LICSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "licence.h"

struct store;

/*
 * Verify ENV (a snapshot envelope) with PUB (the pinned server key) and
 * keep it when its version is above the one held.  0 (kept), EALREADY
 * (the same version: nothing to do), ESTALE (older than the one held:
 * refused, no rollback), EBADMSG (a bad signature or a malformed body),
 * EMSGSIZE.  Each refusal is audited (`licence-refused`); the last good
 * snapshot stays.
 */
int store_licence_put(struct store *, const uint8_t *env, size_t len,
    const uint8_t pub[32], int64_t now_ms);

/* What the kiosk holds. */
struct store_licence_info {
	int held; /* a snapshot is held */
	char region[LIC_TEXT_MAX];
	uint64_t version;
	int64_t issued, not_after, received;
	size_t n; /* licences */
};
int store_licence_info(struct store *, struct store_licence_info *);

/* The held snapshot (verified again), into OUT; ENOENT: none held. */
int store_licence_get(struct store *, struct licence_set *out);

/*
 * The gate before ACT by REGNO at AT (Unix ms) on consult CONSULT_ID (may
 * be NULL).  Returns 0 when the act may go ahead, EACCES when the held
 * snapshot refuses it (*CAUSE, the caller's, says why in words).  A note
 * that the snapshot does not cover goes ahead flagged licence_lapsed; an
 * act judged on a snapshot past its not_after goes ahead flagged
 * "recheck": each flag is a licence_flags row and an audit entry.  WHY
 * (may be NULL) receives the verdict.
 */
int store_licence_gate(struct store *, const char *regno, enum licence_act act,
    const char *consult_id, int64_t at, struct licence_verdict *why,
    char **cause);

/* Flags kept for CONSULT_ID (NULL: all) as "flag act state" lines in
 * *OUT (the caller's; "" for none). */
int store_licence_flags(struct store *, const char *consult_id, char **out);

/*
 * The verdict on ACT at AT for the acting user, without flagging anything
 * (for screens).  ENOENT: no acting user, or no snapshot that lists
 * anyone (nothing is checked here then).
 */
int store_licence_mine(struct store *, enum licence_act act, int64_t at,
    struct licence_verdict *v);

/* The server refused this kiosk's accept of CONSULT_ID (wire error
 * licence): it goes back to the queue here, in the caller's transaction
 * (kiosk/store/syncstate.c). */
int store_licence_unaccept(struct store *, const char *consult_id);

/* Call FN for each enabled clinician of this kiosk (user name and
 * registration number, "" when none), by name; FN's non-zero stops. */
typedef int (*store_licence_clinician_fn)(
    void *arg, const char *name, const char *regno);
int store_licence_clinicians(
    struct store *, store_licence_clinician_fn fn, void *arg);

#endif
