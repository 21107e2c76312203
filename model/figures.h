/*
 * The region dashboard's figures (issue 17, Dashboard), as both programs
 * see them: the server computes them from its store
 * (sync-server/report/compute.c, through store/backend.h only, so SQLite
 * and PostgreSQL give the same numbers) and shows them in the HTML report
 * (report/html.c, `sync-server admin report`); it sends them to admin nodes
 * (GET /v1/admin/figures) as the CBOR below, which the kiosk keeps and
 * draws (kiosk/tui/screen_dash.c).
 *
 * Where the numbers come from:
 *   kiosks        the node table (backend stats): last sync is the later of
 *                 the node's last push and last pull, stale when older than
 *                 FIG_STALE_MS; pending changes are the outbox end the node
 *                 last reported minus its acknowledged mark (what the server
 *                 knows; changes made after its last push are unknown)
 *   everything else  the region's accepted changes, read by a region pull (as
 *                 an admin node of the region would; refused changes are
 *                 never served), each decoded with its model/ descriptor;
 *                 mutable records (visits, alerts, consults, appointments)
 *                 folded per record by HLC (model_merge_wins), facts counted
 *                 once each.  A record's facility and kiosk are those of the
 *                 node that created it.
 *   referrals     work/referral.c's rref_stats over the same facts (the
 *                 numbers `admin referrals` prints)
 *   no-shows      work/sched.c's sched_attendance over the appointment
 *                 records (booked or checked-in; check-in is the evidence)
 *   claims, emergencies, break-glass  counts of the claims of the
 *                 region's facilities, the incidents its kiosks raised and
 *                 its break-glass accesses (fig_claims(), fig_emergencies(),
 *                 fig_breakglass() in sync-server/report/compute.c)
 *
 * Counts and intervals only: nothing here holds a patient's data, so the
 * figures may be shown, cached on an admin node and logged.
 */
#ifndef MODEL_FIGURES_H
#define MODEL_FIGURES_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#define FIG_TEXT_MAX 64

/* Days shown in the per-day series (sparklines), ending with today (UTC). */
#define FIG_DAYS 28
#define FIG_DAY_MS (24ULL * 3600 * 1000)
/* A kiosk is stale when it has not synced (pushed or pulled) for this long. */
#define FIG_STALE_MS (48ULL * 3600 * 1000)

/* An interval's distribution (nearest-rank percentiles, ms). */
struct fig_interval {
	uint64_t n;
	uint64_t median_ms, p90_ms;
};

/* What one facility, one kiosk, or the whole region did. */
struct fig_counts {
	uint64_t visits;
	uint64_t day[FIG_DAYS]; /* visits started on each day; [FIG_DAYS-1]:
				   today */
	uint64_t obs_device, obs_typed; /* vital signs by how they came */
	uint64_t alerts, alerts_acked; /* red flags, and acknowledged */
	uint64_t consults; /* requested from this place */
	uint64_t referrals; /* issued from this place */
	uint64_t appts, noshows; /* appointments due (attended or not);
				    no-shows, final and provisional */
};

struct fig_kiosk {
	uint64_t node;
	char role[FIG_TEXT_MAX];
	char facility[FIG_TEXT_MAX];
	char label[FIG_TEXT_MAX];
	int revoked;
	uint64_t last_sync_ms; /* 0: never synced */
	uint64_t age_ms; /* now - last sync (now - enrolment if never) */
	int stale;
	uint64_t pending; /* reported outbox end - acknowledged mark */
	/* the last push that acknowledged the whole reported outbox (0:
	 * none): sched_attendance's COMPLETE_MS */
	uint64_t complete_ms;
	struct fig_counts c;
};

struct fig_facility {
	char name[FIG_TEXT_MAX];
	size_t nkiosks, nstale;
	uint64_t pending;
	struct fig_counts c;
};

/* A tile whose records this server does not hold yet. */
struct fig_absent {
	int available; /* 0: "no data yet" (the table is absent or empty) */
	uint64_t n;
};

/* The referral numbers (sync-server/work/referral.h's rref_stats). */
struct fig_referrals {
	uint64_t issued, cancelled, counted, completed, self_reported;
	uint64_t rejected, failed, open, followup_due, accepted;
	uint64_t accept_median_ms, accept_p90_ms;
	uint64_t seen_median_ms, seen_p90_ms;
	double completion_rate; /* completed / counted */
};

struct figures {
	char region[FIG_TEXT_MAX];
	uint64_t now_ms;
	uint64_t day0_ms; /* UTC midnight starting day[0] */
	/* kiosks, sorted by facility then node; facilities by name */
	struct fig_kiosk *kiosks;
	size_t nkiosks, nstale;
	uint64_t pending;
	struct fig_facility *facs;
	size_t nfacs;
	struct fig_counts c; /* the region */
	uint64_t visits_undated; /* visits without a start time */
	struct fig_interval ack; /* red flag raised -> acknowledged */
	/* consults (issue 13): by their state, as folded */
	uint64_t c_requested; /* every consult */
	uint64_t c_done; /* signed or closed */
	uint64_t c_failed, c_cancelled;
	uint64_t c_open; /* requested, accepted, call */
	struct fig_interval c_wait; /* requested -> accepted */
	/* referrals (issue 14) */
	struct fig_referrals ref;
	/* appointments (issue 15): due ones only */
	uint64_t a_attended, a_noshow, a_noshow_prov, a_upcoming;
	double noshow_rate; /* (final + provisional) / due; 0 when none */
	struct fig_absent claims, emergencies, breakglass;
	uint64_t changes; /* region changes read */
};

void figures_clear(struct figures *);

/* Nearest-rank median and p90 of N values (reordered). */
void fig_interval_of(uint64_t *v, size_t n, struct fig_interval *out);
/* The nearest-rank percentile P (1..100) of K sorted values; 0 if none. */
uint64_t fig_percentile(const uint64_t *sorted, size_t k, unsigned p);

/* A facility of F by name, NULL when none. */
const struct fig_facility *figures_facility(
    const struct figures *f, const char *name);

/*
 * The figures as one CBOR map (text keys: docs/PROTOCOL.md "Region
 * figures"), *OUT the caller's.  figures_from_cbor reads them back into F
 * (cleared first; free with figures_clear, also on failure): EBADMSG for
 * anything that is not such a map, EMSGSIZE past FIG_CBOR_MAX bytes.
 */
#define FIG_CBOR_MAX (4 << 20)
#define FIG_KIOSKS_MAX 4096
int figures_cbor(const struct figures *f, uint8_t **out, size_t *len);
/* The same map as a libcbor item (the caller's: cbor_decref). */
cbor_item_t *figures_cbor_item(const struct figures *f);
int figures_from_cbor(const uint8_t *p, size_t len, struct figures *f);

#endif
