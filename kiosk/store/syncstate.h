/*
 * What the sync client and `kiosk sync` read from the store besides the
 * outbox and the sync_state keys (store.h): the attachments the server
 * does not hold yet, and the manifest of what this node holds.
 */
#ifndef KIOSK_STORE_SYNCSTATE_H
#define KIOSK_STORE_SYNCSTATE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * Ids of attachments not yet marked as held by the server, in id order.
 * *IDS (an array of *N strings) is the caller's: store_sync_ids_free.
 */
int store_sync_blobs_pending(struct store *, char ***ids, size_t *n);
void store_sync_ids_free(char **ids, size_t n);
/* Mark attachment ID as held by the server (idempotent). */
int store_sync_blob_held(struct store *, const char *id);

/*
 * The server refused outbox change SEQ (docs/PROTOCOL.md §4.1) with wire
 * error CODE and reason WHY: one audit entry (`sync-refused`, the
 * record's entity and id, the code and reason), in its own transaction.
 * ENTITY (a rec_entity name) and ID (UUID_STRLEN + 1 bytes) receive the
 * record, for the message to the user.  ENOENT: no such outbox change.
 */
int store_sync_refused(struct store *, uint64_t seq, int code, const char *why,
    const char **entity, char *id);

/*
 * Call FN for every outbox change in sequence order (ENTITY, ID, BODY)
 * or, when TABLES is set, for every row of the synced clinical tables
 * (BODY NULL, LEN 0).  A non-zero return from FN stops the walk and is
 * returned.  Ids and bodies only; the caller decides what to print.
 */
typedef int (*store_manifest_fn)(
    void *arg, int entity, const char *id, const uint8_t *body, size_t len);
int store_sync_manifest(
    struct store *, int tables, store_manifest_fn fn, void *arg);

#endif
