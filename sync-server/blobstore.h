/*
 * Attachment files of the sync server (blobstore.c): sealed at rest,
 * partial uploads kept per node, stale partial uploads swept.  The
 * protocol (who may see what, quotas) is api/blob.c's.
 *
 * Functions return 0 or an errno value: EIO (a file is damaged or the
 * disk failed), ENOSPC, EBADMSG (finish: the content does not match its
 * hash; the partial upload is dropped).  Call them under srv->mu.
 */
#ifndef SYNC_SERVER_BLOBSTORE_H
#define SYNC_SERVER_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

struct server;

/* Plaintext bytes of NODE's partial upload of HASH (0 if none); a torn
 * last record (a crash mid-write) is cut off first. */
int blobstore_held(
    struct server *, uint64_t node, const uint8_t hash[32], uint64_t *held);
/* Seal CHUNK (plaintext bytes OFFSET.., OFFSET == held) onto NODE's
 * partial upload of HASH and fsync it. */
int blobstore_append(struct server *, uint64_t node, const uint8_t hash[32],
    uint64_t offset, const uint8_t *chunk, size_t len);
/* NODE's partial upload of HASH is whole: check its SHA-256 and move it
 * into place (or drop it, when the server already holds that file). */
int blobstore_finish(struct server *, uint64_t node, const uint8_t hash[32]);
/* Bytes on disk of NODE's partial uploads other than HASH's. */
uint64_t blobstore_partial_bytes(
    struct server *, uint64_t node, const uint8_t hash[32]);
/* Delete partial uploads untouched for srv->blob_stale_ms; returns how
 * many.  At start and from api/blob.c every srv->blob_sweep_ms. */
unsigned blobstore_sweep(struct server *);
/*
 * Blobs left in clear by an older sync-server (DIR/blobs/<hex of their
 * SHA-256>) are sealed and renamed; its shared partial uploads
 * (<hex>.part) deleted (their nodes start again from 0).  Returns how
 * many files it changed.  At start.
 */
unsigned blobstore_seal_old(struct server *);

#endif
