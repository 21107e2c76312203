/*
 * Booking from the screens (issue 15, docs/PROTOCOL.md §11): the
 * facility's slots (POST /v1/slots) and one appointment request (POST
 * /v1/appointments: book, reschedule, cancel), each one signed POST
 * through the sync client (sync_post), so its timeouts and its pinned key.
 *
 * The requests block.  The screens run them on a worker thread with its
 * own store connection (book_async_*), one at a time, so a dead link never
 * holds the UI: a request asked while one is running is refused (EBUSY),
 * which is also what keeps a repeated key press from sending twice (the
 * server is idempotent by the appointment's id anyway).  Nothing here
 * draws or says anything in words: the screens do.
 */
#ifndef KIOSK_SYNC_BOOK_H
#define KIOSK_SYNC_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct store;
struct cbor_item_t;

#define BOOK_SLOTS_MAX 256 /* a week of a facility's slots, shown */
#define BOOK_ALTS 3

struct book_slot {
	uint64_t id, start_ms, end_ms;
	char status[20]; /* free, busy, busy-unavailable */
	char clinician[64]; /* the schedule's (SLOT_K_CLINICIAN); "": unknown */
};

enum book_kind { BOOK_SLOTS = 1, BOOK_BOOK, BOOK_CANCEL };

struct book_job {
	enum book_kind kind;
	uint64_t from_ms, to_ms; /* BOOK_SLOTS */
	char id[UUID_STRLEN + 1]; /* the appointment (BOOK_BOOK, _CANCEL) */
	char patient[UUID_STRLEN + 1];
	char replaces[UUID_STRLEN + 1]; /* "": a new booking */
	uint64_t slot;
	char reason[128]; /* BOOK_CANCEL */
};

struct book_answer {
	int err; /* 0: the server answered; else an errno (a link error,
		    ENOTCONN not enrolled, EPROTO an HTTP error) */
	long http; /* the HTTP status when it answered */
	uint64_t result; /* APPT_K_RESULT: 0 done, WERR_* */
	struct book_slot alts[BOOK_ALTS];
	int nalts;
	struct book_slot *slots; /* BOOK_SLOTS: xmalloc'd, by start */
	size_t nslots;
};

/* The blocking requests (the store's sync keys; any thread). */
int book_slots(struct store *, uint64_t from_ms, uint64_t to_ms,
    struct book_slot **out, size_t *n);
int book_request(struct store *, const struct book_job *, struct book_answer *);
void book_answer_clear(struct book_answer *);
/* "36 12@start@end@clinician ..." for store_appt_answer (the result,
 * then the alternatives), into OUT of LEN. */
void book_alts_text(const struct book_answer *, char *out, size_t len);
/*
 * One slot as a word of the kiosk's own texts (the slot list kept for
 * when the link is down, a refusal's alternatives): "ID@START@END", then
 * "@CLINICIAN" when known, with '%', ' ' and '@' written %25, %20, %40.
 * book_slot_fmt: the word's length, or -1 when it does not fit in LEN.
 * book_slot_scan: 0, or EINVAL for a word that is not one (a word without
 * its clinician, as written before, is one: clinician "").
 */
int book_slot_fmt(const struct book_slot *, char *out, size_t len);
int book_slot_scan(const char *word, struct book_slot *);
/* A slot map of an answer (SLOT_K_*): 0 or EBADMSG. */
int book_slot_read(const struct cbor_item_t *, struct book_slot *);

/*
 * The worker: start JOB on a thread that opens the store in DIR with KEY
 * (its own connection).  EBUSY while one is running.  book_async_poll
 * returns 1 and moves the finished answer into *OUT (with the job it
 * answers) once, 0 while running or when nothing was asked.
 */
int book_async_start(
    const char *dir, const uint8_t key[32], const struct book_job *job);
int book_async_poll(struct book_job *job, struct book_answer *out);
int book_async_busy(void);

#endif
