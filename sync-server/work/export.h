/*
 * The region export (issue 17): the records of one region, as its admin
 * node would pull them, folded per record (each field's latest value by
 * HLC, model_merge_wins's order) and written as FHIR R4 bulk-data NDJSON
 * (one file per resource type; a form's answers as QuestionnaireResponse
 * items) and as CSV (one file per entity, every column of the entity's
 * descriptor, and form_answer.csv, a row per answer of a form).
 *
 * A record is chosen by its own clinical time (a visit's start, a
 * reading's time, an alert's raising, an order's signing...; for the
 * rest, its first change's HLC) within [FROM, TO); soft-deleted records
 * are left out.  The records those name are brought along whatever
 * their date (the patient, the visit, the practitioner), so every FHIR
 * reference resolves within the export; a resource whose required
 * reference names a record the region does not hold (never synced, or
 * deleted) is left out and counted in skipped.
 *
 * No SQL, no HTTP, no files: the caller feeds the changes (a region
 * pull) and receives each file's bytes.  Nothing here logs a value.
 */
#ifndef SYNC_SERVER_WORK_EXPORT_H
#define SYNC_SERVER_WORK_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define XPORT_FHIR 0x1
#define XPORT_CSV 0x2

struct xport;

struct xport_summary {
	uint64_t changes; /* fed */
	uint64_t records; /* distinct records held */
	uint64_t chosen; /* in the date range, not deleted */
	uint64_t referenced; /* brought along by a reference */
	uint64_t deleted; /* left out: soft-deleted */
	uint64_t skipped; /* left out: a required reference unheld */
	uint64_t malformed; /* forms whose instance XML did not parse:
	                       exported without their answers */
	uint64_t resources; /* FHIR resources written */
	uint64_t rows; /* CSV rows written */
	size_t files;
};

struct xport *xport_new(void);
void xport_free(struct xport *);
/* One stored change (copied).  Changes may come in any order. */
void xport_add(struct xport *, int entity, const uint8_t id[16], uint64_t hlc,
    uint64_t origin, const uint8_t *body, size_t len);

/*
 * Called once per file, in a fixed order: NAME ("Patient.ndjson",
 * "patient.csv") and its bytes (lent).  A non-zero return stops the
 * export and is returned.
 */
typedef int (*xport_file_cb)(void *arg, const char *name, const struct buf *b);

/*
 * Write the export of the records chosen in [FROM_MS, TO_MS) in FORMATS
 * (XPORT_FHIR | XPORT_CSV).  SUM (may be NULL) gets the counts.  0,
 * EMSGSIZE (one file over MAX_BYTES), or the callback's error.
 */
int xport_run(struct xport *, uint64_t from_ms, uint64_t to_ms, int formats,
    size_t max_bytes, xport_file_cb cb, void *arg, struct xport_summary *sum);

/* FHIR R4 instant of MS (UTC, milliseconds), into OUT (32 bytes). */
void xport_instant(uint64_t ms, char out[32]);

#endif
