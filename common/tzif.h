/*
 * A small reader of compiled time zone files (TZif, RFC 8536) from tzdata,
 * so that a multi-threaded program converts between UTC and a facility's
 * local time without setenv("TZ") or any other global state.  A loaded
 * zone is immutable and may be shared by threads.
 *
 * Instants are seconds since the Unix epoch (UTC).  A "local" value is the
 * wall-clock reading written as if it were UTC (so 2026-03-08 02:30 local
 * is timegm() of those fields).  After the file's last transition the
 * footer's POSIX TZ rule (RFC 8536 §3.3; Mm.w.d rules, Jn and n) applies.
 */
#ifndef TZIF_H
#define TZIF_H

#include <stddef.h>
#include <stdint.h>

#define TZIF_DIR "/usr/share/zoneinfo"

struct tzif;

/*
 * Load the zone NAME (an IANA name such as "Africa/Nairobi") from
 * $TZDIR or TZIF_DIR.  EINVAL: not a zone name (empty, absolute, "..",
 * other characters); ENOENT: no such zone; EPROTO: not a valid TZif file.
 */
int tzif_load(const char *name, struct tzif **out);
/* The same from LEN bytes of a TZif file (the tests feed bad ones). */
int tzif_parse(const uint8_t *buf, size_t len, struct tzif **out);
void tzif_free(struct tzif *);

/* Seconds east of UTC in force at instant UTC. */
int32_t tzif_offset(const struct tzif *, int64_t utc);
/* The local reading of instant UTC. */
int64_t tzif_to_local(const struct tzif *, int64_t utc);
/*
 * The instants whose local reading is LOCAL, earliest first: 0 in a gap
 * (clocks jumped over it), 1 normally, 2 in a fold (clocks went back).
 */
int tzif_to_utc(const struct tzif *, int64_t local, int64_t out[2]);

/* Civil date helpers (proleptic Gregorian, no zone). */
int64_t tzif_days_from_civil(int y, unsigned m, unsigned d);
void tzif_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* Day of week of day number DAYS (0 = Sunday). */
int tzif_weekday(int64_t days);

#endif
