/*
 * The region report (`sync-server admin report --out DIR`): DIR/index.html,
 * one self-contained page of the figures (model/figures.h) with inline SVG
 * charts (bars, sparklines) and inline CSS, readable without JavaScript and
 * with no external resource (it is opened from a laptop's disk, often
 * offline).  The drill-down region -> facility -> kiosk is anchors within
 * the page.  Each tile names where its numbers come from.  Counts and
 * intervals only: no patient data, so the file is mode 0644.
 */
#define LOG_MODULE "report"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "sync-server/report/html.h"

#define HTML_MAX ((size_t)64 << 20)

struct out {
	struct buf b;
	int err;
};

static void P(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
P(struct out *o, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	if (o->err != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->err = EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		o->err = buf_append(&o->b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->err = ENOMEM;
		return;
	}
	o->err = buf_append(&o->b, big, (size_t)n);
	free(big);
}

/* Text for HTML: & < > " escaped. */
static void
esc(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			P(o, "&amp;");
			break;
		case '<':
			P(o, "&lt;");
			break;
		case '>':
			P(o, "&gt;");
			break;
		case '"':
			P(o, "&quot;");
			break;
		default:
			P(o, "%c", *s);
		}
	}
}

/* An id fragment: letters, digits, '-' and '_' kept, the rest '_'. */
static void
anchor(struct out *o, const char *s)
{
	for (; *s != '\0'; s++)
		P(o, "%c",
		    (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		            (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'
		        ? *s
		        : '_');
}

/* A duration for people: "42 s", "7 min", "3.5 h", "2.1 d". */
static void
dur(struct out *o, uint64_t ms)
{
	double s = (double)ms / 1000.0;

	if (s < 90)
		P(o, "%.0f s", s);
	else if (s < 90 * 60)
		P(o, "%.0f min", s / 60);
	else if (s < 36 * 3600)
		P(o, "%.1f h", s / 3600);
	else
		P(o, "%.1f d", s / 86400);
}

static void
pct(struct out *o, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		P(o, "&ndash;");
	else
		P(o, "%.1f%%", 100.0 * (double)part / (double)whole);
}

static void
day_label(struct out *o, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[16];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%d %b", &tm);
	P(o, "%s", s);
}

/* Vertical bars of the N day counts, labelled with first and last day. */
static void
svg_days(struct out *o, const struct figures *f, const uint64_t *v, size_t n)
{
	uint64_t max = 1;
	size_t i;
	const int w = 560, h = 120, bw = w / (int)n;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	P(o,
	    "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" "
	    "style=\"max-width:%dpx\"><title>Visits per day</title>",
	    w, h + 30, w);
	for (i = 0; i < n; i++) {
		int bh = (int)((double)v[i] * h / (double)max);

		P(o,
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		    "class=\"bar\"><title>%" PRIu64 "</title></rect>",
		    (int)i * bw + 1, h - bh, bw - 2, bh, v[i]);
	}
	P(o, "<text x=\"0\" y=\"%d\" class=\"lbl\">", h + 16);
	day_label(o, f->day0_ms);
	P(o,
	    "</text><text x=\"%d\" y=\"%d\" class=\"lbl\" "
	    "text-anchor=\"end\">",
	    w, h + 16);
	day_label(o, f->day0_ms + (uint64_t)(n - 1) * FIG_DAY_MS);
	P(o,
	    "</text><text x=\"%d\" y=\"%d\" class=\"lbl\" "
	    "text-anchor=\"end\">max %" PRIu64 "</text></svg>",
	    w, 12, max);
}

/* A sparkline of the N day counts. */
static void
svg_spark(struct out *o, const uint64_t *v, size_t n)
{
	uint64_t max = 1;
	size_t i;
	const int w = 140, h = 24;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	P(o,
	    "<svg class=\"spark\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\">"
	    "<polyline fill=\"none\" stroke=\"#1f6f8b\" stroke-width=\"1.5\" "
	    "points=\"",
	    w, h, w, h);
	for (i = 0; i < n; i++)
		P(o, "%s%.1f,%.1f", i ? " " : "",
		    n > 1 ? (double)i * (w - 2) / (double)(n - 1) + 1 : 1.0,
		    (double)h - 2 - (double)v[i] * (h - 4) / (double)max);
	P(o, "\"/></svg>");
}

/* Horizontal bars: N labelled values, one colour class each. */
static void
svg_hbars(struct out *o, const char *const *label, const uint64_t *v, size_t n)
{
	uint64_t max = 1;
	size_t i;
	const int w = 360, row = 22, lw = 130;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	P(o,
	    "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" "
	    "style=\"max-width:%dpx\">",
	    w, (int)n * row, w);
	for (i = 0; i < n; i++) {
		int bw = (int)((double)v[i] * (w - lw - 60) / (double)max);

		P(o,
		    "<text x=\"0\" y=\"%d\" class=\"lbl\">%s</text>"
		    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" "
		    "class=\"bar c%zu\"/>"
		    "<text x=\"%d\" y=\"%d\" class=\"lbl\">%" PRIu64 "</text>",
		    (int)i * row + 15, label[i], lw, (int)i * row + 3, bw,
		    i % 4, lw + bw + 4, (int)i * row + 15, v[i]);
	}
	P(o, "</svg>");
}

static void
tile_start(struct out *o, const char *id, const char *title)
{
	P(o, "<section class=\"tile\" id=\"%s\"><h2>%s</h2>", id, title);
}

static void
tile_end(struct out *o, const char *source)
{
	P(o, "<p class=\"src\">Source: %s</p></section>\n", source);
}

static void
absent_tile(struct out *o, const char *id, const char *title,
    const struct fig_absent *a, const char *source)
{
	tile_start(o, id, title);
	if (!a->available)
		P(o, "<p class=\"empty\">no data yet</p>");
	else
		P(o, "<p class=\"big\">%" PRIu64 "</p>", a->n);
	tile_end(o, source);
}

static void
kiosk_rows(struct out *o, const struct figures *f, const char *facility)
{
	const struct fig_kiosk *k;
	size_t i;

	for (i = 0; i < f->nkiosks; i++) {
		k = &f->kiosks[i];
		if (facility != NULL && strcmp(k->facility, facility) != 0)
			continue;
		P(o, "<tr id=\"kiosk-%" PRIu64 "\"%s><td>%" PRIu64 "</td><td>",
		    k->node, k->stale ? " class=\"stale\"" : "", k->node);
		esc(o, k->label);
		P(o, "</td><td>");
		esc(o, k->role);
		P(o, "</td><td>");
		if (k->last_sync_ms == 0)
			P(o, "never (enrolled ");
		dur(o, k->age_ms);
		P(o,
		    "%s</td><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64
		    "</td><td>",
		    k->last_sync_ms == 0 ? " ago)" : " ago",
		    k->stale ? "<b>stale</b>" : "ok", k->pending, k->c.visits);
		svg_spark(o, k->c.day, FIG_DAYS);
		P(o,
		    "</td><td>%" PRIu64 " / %" PRIu64 "</td><td>%" PRIu64
		    " (%" PRIu64 " acked)</td></tr>\n",
		    k->c.obs_device, k->c.obs_typed, k->c.alerts,
		    k->c.alerts_acked);
	}
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.5em}h2{font-size:1.1em;margin:0 0 .4em}"
    ".tiles{display:flex;flex-wrap:wrap;gap:1em}"
    ".tile{border:1px solid #ccc;border-radius:6px;padding:.8em;"
    "min-width:300px;flex:1 1 360px}"
    ".big{font-size:1.8em;margin:.2em 0}.empty{color:#888;font-style:italic}"
    ".src{color:#666;font-size:.8em;margin-top:.6em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}"
    "tr.stale td{background:#fdecea}"
    ".bar{fill:#1f6f8b}.c1{fill:#99a8b2}.c2{fill:#e6a400}.c3{fill:#c0392b}"
    ".lbl{font-size:11px;fill:#333}svg.chart{width:100%;height:auto}"
    "section.fac{margin-top:2em}";

static void
region_tiles(struct out *o, const struct figures *f)
{
	const struct fig_referrals *r = &f->ref;
	uint64_t v[6];
	uint64_t due = f->a_attended + f->a_noshow + f->a_noshow_prov;
	static const char *const vit[] = { "from devices", "typed in" };
	static const char *const con[] = { "done", "open", "failed",
		"cancelled" };
	static const char *const refl[] = { "completed", "open", "rejected",
		"failed", "cancelled", "seen elsewhere" };

	P(o, "<div class=\"tiles\">\n");
	tile_start(o, "kiosks", "Kiosks");
	P(o,
	    "<p class=\"big\">%zu</p><p>%zu stale (no sync for %d h or more), "
	    "%" PRIu64 " changes pending</p>",
	    f->nkiosks, f->nstale, (int)(FIG_STALE_MS / 3600000), f->pending);
	tile_end(o,
	    "the server's node table: last sync is the later of the last "
	    "push and pull; pending is the outbox end each kiosk last "
	    "reported minus what the server acknowledged (changes made "
	    "since its last push are not known)");

	tile_start(o, "visits", "Visits per facility per day");
	P(o, "<p class=\"big\">%" PRIu64 "</p><p>visits in all", f->c.visits);
	if (f->visits_undated)
		P(o, " (%" PRIu64 " without a start time)", f->visits_undated);
	P(o, "; the last %d days:</p>", FIG_DAYS);
	svg_days(o, f, f->c.day, FIG_DAYS);
	tile_end(o,
	    "encounter records synced from the region's kiosks, by the "
	    "day (UTC) each visit started and the facility of the kiosk "
	    "that opened it");

	tile_start(o, "vitals", "Vital signs: devices against typed");
	v[0] = f->c.obs_device;
	v[1] = f->c.obs_typed;
	svg_hbars(o, vit, v, 2);
	P(o, "<p>");
	pct(o, v[0], v[0] + v[1]);
	P(o, " from devices</p>");
	tile_end(o,
	    "observation records: read from a device when they carry its "
	    "device id, typed in otherwise");

	tile_start(o, "alerts", "Red flags");
	P(o,
	    "<p class=\"big\">%" PRIu64 "</p><p>%" PRIu64
	    " acknowledged; raised to acknowledged: median ",
	    f->c.alerts, f->c.alerts_acked);
	dur(o, f->ack.median_ms);
	P(o, ", p90 ");
	dur(o, f->ack.p90_ms);
	P(o, "</p>");
	tile_end(o,
	    "alert records (NEWS2, danger signs, the CHW's emergency "
	    "key) and their acknowledgement time, kiosk clocks");

	absent_tile(o, "emergencies", "Emergencies", &f->emergencies,
	    "the server's emergency incidents raised by the region's "
	    "kiosks (issue 16; response intervals: "
	    "store_emergency_intervals)");

	tile_start(o, "consults", "Consults");
	v[0] = f->c_done;
	v[1] = f->c_open;
	v[2] = f->c_failed;
	v[3] = f->c_cancelled;
	P(o, "<p class=\"big\">%" PRIu64 "</p><p>requested</p>",
	    f->c_requested);
	svg_hbars(o, con, v, 4);
	P(o, "<p>waiting (request to accept): median ");
	dur(o, f->c_wait.median_ms);
	P(o, ", p90 ");
	dur(o, f->c_wait.p90_ms);
	P(o, " (%" PRIu64 " accepted)</p>", f->c_wait.n);
	tile_end(o,
	    "consult records folded to their last state (done: signed or "
	    "closed; open: requested, accepted or in a call)");

	tile_start(o, "referrals", "Referrals");
	v[0] = r->completed;
	v[1] = r->open;
	v[2] = r->rejected;
	v[3] = r->failed;
	v[4] = r->cancelled;
	v[5] = r->self_reported;
	P(o, "<p class=\"big\">%" PRIu64 "</p><p>issued; completed ",
	    r->issued);
	pct(o, r->completed, r->counted);
	P(o, " of those not cancelled</p>");
	svg_hbars(o, refl, v, 6);
	P(o, "<p>time to accept: median ");
	dur(o, r->accept_median_ms);
	P(o, "; time to seen: median ");
	dur(o, r->seen_median_ms);
	P(o, ", p90 ");
	dur(o, r->seen_p90_ms);
	P(o, "; follow-ups due: %" PRIu64 "</p>", r->followup_due);
	tile_end(o,
	    "referral facts, counted as <code>sync-server admin "
	    "referrals</code> counts them");

	tile_start(o, "noshows", "No-shows");
	P(o, "<p class=\"big\">");
	pct(o, f->a_noshow + f->a_noshow_prov, due);
	P(o,
	    "</p><p>of %" PRIu64 " appointments due: %" PRIu64
	    " attended, %" PRIu64 " no-shows, %" PRIu64
	    " provisional (the kiosk has not proved its outbox empty "
	    "since); %" PRIu64 " upcoming</p>",
	    due, f->a_attended, f->a_noshow, f->a_noshow_prov, f->a_upcoming);
	tile_end(o,
	    "appointment records booked or checked in; the no-show rule "
	    "of the booking workflow (30 min grace after the slot)");

	absent_tile(o, "claims", "Claims", &f->claims,
	    "the claims the server built from evidence for the region's "
	    "facilities (issue 15; by status: admin claims)");
	absent_tile(o, "breakglass", "Break-glass openings", &f->breakglass,
	    "break-glass accesses the server recorded in the region "
	    "(issue 17; each: admin breakglass)");
	P(o, "</div>\n");
}

static void
facility_table(struct out *o, const struct figures *f)
{
	size_t i;

	P(o,
	    "<h2 id=\"facilities\">Facilities</h2><table><tr><th>facility"
	    "</th><th>kiosks</th><th>stale</th><th>pending</th><th>visits"
	    "</th><th>last %d days</th><th>vitals device / typed</th>"
	    "<th>red flags</th><th>consults</th><th>referrals</th>"
	    "<th>no-shows / due</th></tr>\n",
	    FIG_DAYS);
	for (i = 0; i < f->nfacs; i++) {
		const struct fig_facility *fa = &f->facs[i];

		P(o, "<tr><td><a href=\"#fac-");
		anchor(o, fa->name);
		P(o, "\">");
		esc(o, fa->name);
		P(o,
		    "</a></td><td>%zu</td><td>%zu</td><td>%" PRIu64
		    "</td><td>%" PRIu64 "</td><td>",
		    fa->nkiosks, fa->nstale, fa->pending, fa->c.visits);
		svg_spark(o, fa->c.day, FIG_DAYS);
		P(o,
		    "</td><td>%" PRIu64 " / %" PRIu64 "</td><td>%" PRIu64
		    "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
		    " / %" PRIu64 "</td></tr>\n",
		    fa->c.obs_device, fa->c.obs_typed, fa->c.alerts,
		    fa->c.consults, fa->c.referrals, fa->c.noshows,
		    fa->c.appts);
	}
	P(o, "</table>\n");
}

static void
facility_sections(struct out *o, const struct figures *f)
{
	size_t i;

	for (i = 0; i < f->nfacs; i++) {
		const struct fig_facility *fa = &f->facs[i];

		P(o, "<section class=\"fac\" id=\"fac-");
		anchor(o, fa->name);
		P(o, "\"><h2>Facility ");
		esc(o, fa->name);
		P(o,
		    "</h2><p><a href=\"#facilities\">back to the region</a>"
		    "</p><p>%" PRIu64 " visits; the last %d days:</p>",
		    fa->c.visits, FIG_DAYS);
		svg_days(o, f, fa->c.day, FIG_DAYS);
		P(o,
		    "<table><tr><th>node</th><th>label</th><th>role</th>"
		    "<th>last sync</th><th>state</th><th>pending</th>"
		    "<th>visits</th><th>last %d days</th>"
		    "<th>vitals device / typed</th><th>red flags</th></tr>\n",
		    FIG_DAYS);
		kiosk_rows(o, f, fa->name);
		P(o, "</table></section>\n");
	}
}

int
figures_html(const struct figures *f, struct buf *b)
{
	struct out o;
	time_t t = (time_t)(f->now_ms / 1000);
	struct tm tm;
	char when[40];

	o.b = *b;
	o.err = 0;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	P(&o,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>Region ");
	esc(&o, f->region);
	P(&o, ": figures</title><style>%s</style></head><body>\n", css);
	P(&o, "<h1 id=\"region\">Region ");
	esc(&o, f->region);
	P(&o,
	    "</h1><p>Figures at %s from %" PRIu64
	    " synced changes. <a href=\"#facilities\">Facilities</a> lead to "
	    "their kiosks.</p>\n",
	    when, f->changes);
	region_tiles(&o, f);
	facility_table(&o, f);
	facility_sections(&o, f);
	P(&o, "</body></html>\n");
	*b = o.b;
	return o.err;
}

int
figures_html_write(const struct figures *f, const char *dir)
{
	struct buf b;
	char path[4096];
	int err;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return errno;
	if ((size_t)snprintf(path, sizeof(path), "%s/index.html", dir) >=
	    sizeof(path))
		return ENAMETOOLONG;
	buf_init(&b, HTML_MAX);
	if ((err = figures_html(f, &b)) == 0)
		err = fileio_write_atomic(path, b.data, b.len, 0644);
	buf_free(&b);
	return err;
}
