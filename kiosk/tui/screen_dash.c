/*
 * The region's figures (issue 17, Dashboard), F2 on an administrator's
 * Home: the same figures as `sync-server admin report`, as the server
 * last sent them to this admin node (kept in the store at each sync,
 * sync_figures_get), with their age, so they show offline too.  The
 * region first, with its facilities (Up/Down, Enter opens one); a
 * facility with its kiosks (Up/Down chooses one: its own line below).
 * Sparklines and bars are drawn with block characters.  Counts and
 * intervals only: no patient data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "figures.h"
#include "i18n.h"
#include "kiosk/sync/sync.h"
#include "ui.h"

#define FAC_ROWS 6
#define U(x) ((unsigned long long)(x))
#define KIOSK_ROWS 8

static struct figures fig;
static uint64_t fig_at;
static int have, err_read;
static int sel, top, level; /* level 0: region, 1: a facility */
static int ksel, ktop; /* the facility's kiosk chosen */
static const struct fig_facility *fac;

static void
dash_load(struct ui *ui)
{
	int err;

	figures_clear(&fig);
	err = sync_figures_get(ui->visit.store, &fig, &fig_at);
	have = err == 0;
	err_read = err != 0 && err != ENOENT;
}

static void
dash_enter(struct ui *ui)
{
	sel = top = level = ksel = ktop = 0;
	fac = NULL;
	dash_load(ui);
}

static void
dash_leave(struct ui *ui)
{
	(void)ui;
	figures_clear(&fig);
	fac = NULL;
	have = 0;
}

/* A duration for people: "42 s", "7 min", "3.5 h", "2.1 d". */
static char *
dur(uint64_t ms, char *out, size_t len)
{
	double s = (double)ms / 1000.0;

	if (s < 90)
		snprintf(out, len, _("%.0f s"), s);
	else if (s < 90 * 60)
		snprintf(out, len, _("%.0f min"), s / 60);
	else if (s < 36 * 3600)
		snprintf(out, len, _("%.1f h"), s / 3600);
	else
		snprintf(out, len, _("%.1f d"), s / 86400);
	return out;
}

/*
 * The FIG_DAYS counts as a sparkline of block characters at row Y from
 * column X, one cell per call: ui_text cuts its text at the screen edge
 * by bytes, and each block is three.
 */
static void
draw_spark(int y, int x, const uint64_t *v)
{
	static const char *const blk[] = { " ", "\u2581", "\u2582", "\u2583",
		"\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	uint64_t max = 0;
	size_t i, k;

	for (i = 0; i < FIG_DAYS; i++)
		if (v[i] > max)
			max = v[i];
	for (i = 0; i < FIG_DAYS; i++) {
		k = max == 0 || v[i] == 0 ? 0 : 1 + (size_t)(v[i] * 7 / max);
		ui_text(y, x + (int)i, UI_C_OK, "%s", blk[k]);
	}
}

/* A bar of WIDTH cells at row Y from column X, PART of WHOLE filled. */
static void
draw_bar(int y, int x, uint64_t part, uint64_t whole, int width)
{
	int i, n = whole ? (int)(part * (uint64_t)width / whole) : 0;

	for (i = 0; i < width; i++)
		ui_text(y, x + i, i < n ? UI_C_OK : UI_C_DIM, "%s",
		    i < n ? "\u2588" : "\u2591");
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* The rows every level shows: vitals, red flags, consults... of C. */
static int
draw_counts(int y, const struct fig_counts *c)
{
	ui_text(y, 1, UI_C_NORMAL, _("Visits    %llu"), U(c->visits));
	ui_text(y, 24, UI_C_NORMAL, _("last %d days"), FIG_DAYS);
	draw_spark(y++, 38, c->day);
	ui_text(y, 1, UI_C_NORMAL, "%s", _("Vitals"));
	draw_bar(y, 11, c->obs_device, c->obs_device + c->obs_typed, 12);
	ui_text(y++, 24, UI_C_NORMAL,
	    _("%.0f%% from devices (%llu device, %llu typed)"),
	    pct(c->obs_device, c->obs_device + c->obs_typed), U(c->obs_device),
	    U(c->obs_typed));
	return y;
}

/* A count, or "no data yet" when the server holds no such table. */
static const char *
absent_word(const struct fig_absent *a, char *buf, size_t len)
{
	if (!a->available)
		return _("no data yet");
	snprintf(buf, len, "%llu", (unsigned long long)a->n);
	return buf;
}

static void
draw_absent(int y)
{
	char a[24], b[24], c[24];

	ui_text(y, 1, UI_C_DIM,
	    _("Claims: %s   Emergencies: %s   Break-glass: %s"),
	    absent_word(&fig.claims, a, sizeof(a)),
	    absent_word(&fig.emergencies, b, sizeof(b)),
	    absent_word(&fig.breakglass, c, sizeof(c)));
}

static void
draw_region(struct ui *ui)
{
	char a[24], b[24], name[20];
	int y = 4, i;
	uint64_t due = fig.a_attended + fig.a_noshow + fig.a_noshow_prov;

	(void)ui;
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Kiosks    %zu, %zu stale (no sync for %d h), %llu"
	      " changes pending"),
	    fig.nkiosks, fig.nstale, (int)(FIG_STALE_MS / 3600000),
	    U(fig.pending));
	y = draw_counts(y, &fig.c);
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Red flags %llu, %llu"
	      " acknowledged: median %s, p90 %s"),
	    U(fig.c.alerts), U(fig.c.alerts_acked),
	    dur(fig.ack.median_ms, a, sizeof(a)),
	    dur(fig.ack.p90_ms, b, sizeof(b)));
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Consults  %llu: %llu done, %llu"
	      " open, %llu failed, %llu cancelled; wait %s"),
	    U(fig.c_requested), U(fig.c_done), U(fig.c_open), U(fig.c_failed),
	    U(fig.c_cancelled), dur(fig.c_wait.median_ms, a, sizeof(a)));
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Referrals %llu: %.0f%% completed; seen in %s (p90 "
	      "%s); %llu rejected"),
	    U(fig.ref.issued), 100.0 * fig.ref.completion_rate,
	    dur(fig.ref.seen_median_ms, a, sizeof(a)),
	    dur(fig.ref.seen_p90_ms, b, sizeof(b)), U(fig.ref.rejected));
	ui_text(y++, 1, UI_C_NORMAL,
	    _("No-shows  %.1f%% of %llu due (%llu"
	      " provisional); %llu upcoming"),
	    pct(fig.a_noshow + fig.a_noshow_prov, due), U(due),
	    U(fig.a_noshow_prov), U(fig.a_upcoming));
	draw_absent(y++);
	y++;
	ui_text(y++, 1, UI_C_TITLE, "%s",
	    _("  Facility          Kiosks Stale Pending  Visits  Last 28 days"));
	if (fig.nfacs == 0)
		ui_text(
		    y, 4, UI_C_DIM, "%s", _("No kiosk in this region yet."));
	for (i = 0; i < FAC_ROWS && top + i < (int)fig.nfacs; i++) {
		const struct fig_facility *f = &fig.facs[top + i];

		ui_text(y + i, 1, top + i == sel ? UI_C_FOCUS : UI_C_NORMAL,
		    "%c %s %6zu %5zu %7llu %7llu", top + i == sel ? '>' : ' ',
		    ui_fit(name, sizeof(name), f->name, 16), f->nkiosks,
		    f->nstale, U(f->pending), U(f->c.visits));
		draw_spark(y + i, 51, f->c.day);
	}
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Up/Down choose   Enter open the facility   Esc home"));
}

static size_t
fac_kiosks(size_t *first)
{
	size_t i, n = 0;

	*first = 0;
	for (i = 0; i < fig.nkiosks; i++)
		if (strcmp(fig.kiosks[i].facility, fac->name) == 0) {
			if (n == 0)
				*first = i;
			n++;
		}
	return n; /* kiosks are sorted by facility: one run */
}

/* A node's role in the screen's words (the server's are English). */
static const char *
role_word(const char *role)
{
	if (strcmp(role, "clinic") == 0)
		return _("clinic");
	if (strcmp(role, "hub") == 0)
		return _("hub");
	if (strcmp(role, "admin") == 0)
		return _("admin");
	return role;
}

static void
draw_facility(struct ui *ui)
{
	const struct fig_kiosk *k;
	char a[24], lbl[14], rl[32];
	size_t first, n = fac_kiosks(&first);
	int y = 4, i;

	(void)ui;
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Kiosks    %zu, %zu stale, %llu changes pending"), fac->nkiosks,
	    fac->nstale, U(fac->pending));
	y = draw_counts(y, &fac->c);
	ui_text(y++, 1, UI_C_NORMAL,
	    _("Red flags %llu (%llu acknowledged)   Consults %llu"
	      "   Referrals %llu   No-shows %llu of %llu"),
	    U(fac->c.alerts), U(fac->c.alerts_acked), U(fac->c.consults),
	    U(fac->c.referrals), U(fac->c.noshows), U(fac->c.appts));
	y++;
	ui_text(y++, 1, UI_C_TITLE, "%s",
	    _("  Node  Label         Role    Last sync    State  Pending "
	      "Visits"));
	for (i = 0; i < KIOSK_ROWS && ktop + i < (int)n; i++) {
		k = &fig.kiosks[first + (size_t)(ktop + i)];
		ui_text(y + i, 1,
		    ktop + i == ksel ? UI_C_FOCUS
		        : k->stale   ? UI_C_WARN
		                     : UI_C_NORMAL,
		    "%c %5llu %s %s %-12s %-6s %7llu %6llu",
		    ktop + i == ksel ? '>' : ' ', U(k->node),
		    ui_fit(lbl, sizeof(lbl), k->label, 13),
		    ui_fit(rl, sizeof(rl), role_word(k->role), 7),
		    k->last_sync_ms ? dur(k->age_ms, a, sizeof(a)) : _("never"),
		    k->stale ? _("STALE") : _("ok"), U(k->pending),
		    U(k->c.visits));
	}
	if (n > 0) {
		k = &fig.kiosks[first + (size_t)ksel];
		ui_text(18, 1, UI_C_DIM, _("Kiosk %llu"), U(k->node));
		draw_spark(18, 13, k->c.day);
		ui_text(18, 42, UI_C_DIM,
		    _("vitals %llu/%llu, red flags %llu, consults %llu"),
		    U(k->c.obs_device), U(k->c.obs_typed), U(k->c.alerts),
		    U(k->c.consults));
	}
	ui_text(20, 1, UI_C_DIM, "%s",
	    _("Up/Down choose a kiosk   Esc back to the region"));
}

static void
dash_draw(struct ui *ui)
{
	char when[32], age[24];

	ui_text(2, 1, UI_C_TITLE, " %s ", _("Region figures"));
	if (!have) {
		ui_wrap(4, 1, 78, 4, err_read ? UI_C_WARN : UI_C_DIM,
		    err_read ? _("The figures kept on this kiosk cannot be "
		                 "read. They are fetched again at the next "
		                 "sync.")
		             : _("No figures yet. An admin node fetches them "
		                 "from the server at each sync: connect it and "
		                 "sync, or ask the region for the report."));
		ui_text(20, 1, UI_C_DIM, "%s", _("Esc home"));
		return;
	}
	if (level == 1 && fac != NULL)
		ui_text(2, 18, UI_C_TITLE, " %s ", fac->name);
	else
		ui_text(2, 18, UI_C_TITLE, " %s ", fig.region);
	ui_text(3, 1, UI_C_DIM, _("Figures of %s, fetched %s ago"),
	    ui_when((int64_t)fig.now_ms, when, sizeof(when)),
	    dur(clock_wall_ms() > fig_at ? clock_wall_ms() - fig_at : 0, age,
	        sizeof(age)));
	if (level == 1 && fac != NULL)
		draw_facility(ui);
	else
		draw_region(ui);
}

static enum ui_result
dash_key(struct ui *ui, enum ui_action a, int ch)
{
	size_t first, n;

	(void)ch;
	if (!have)
		return a == UI_A_BACK ? UI_BACK : UI_HANDLED;
	if (level == 1) {
		n = fac_kiosks(&first);
		if (a == UI_A_BACK) {
			level = 0;
			return UI_REDRAW;
		}
		if (ui_list_key(&ksel, (int)n, a)) {
			if (ksel < ktop)
				ktop = ksel;
			if (ksel >= ktop + KIOSK_ROWS)
				ktop = ksel - KIOSK_ROWS + 1;
			return UI_REDRAW;
		}
		return UI_HANDLED;
	}
	if (a == UI_A_BACK)
		return UI_BACK;
	if (ui_list_key(&sel, (int)fig.nfacs, a)) {
		if (sel < top)
			top = sel;
		if (sel >= top + FAC_ROWS)
			top = sel - FAC_ROWS + 1;
		return UI_REDRAW;
	}
	if (a == UI_A_ENTER && fig.nfacs > 0) {
		fac = &fig.facs[sel];
		level = 1;
		ksel = ktop = 0;
		return UI_REDRAW;
	}
	(void)ui;
	return UI_HANDLED;
}

const struct screen screen_dash = {
	"dash",
	N_("Region figures"),
	dash_enter,
	dash_draw,
	dash_key,
	dash_leave,
};
