/*
 * The region export (issue 17; sync-server/work/export.h, the admin
 * route POST /v1/admin/export and `sync-server admin export`), on a real
 * server on loopback with real signed pushes.
 *
 * A generated region: OUTPOST_EXPORT_PATIENTS (default 60) patients of
 * two clinics of region north, each with a visit, a typed pulse and a
 * device SpO2 reading (LOINC, UCUM, device provenance), a form, and by
 * turns an alert, a referral with its accepted step, a signed
 * prescription (from the hub) and an appointment; a quarter of the
 * visits in January 2020; one visit soft-deleted; one patient of region
 * south.
 *
 *   fhir     the admin node's FHIR export parses line by line (libjansson);
 *            every resource has the elements R4 requires of its type (the
 *            list below, from the R4 resource definitions: min cardinality
 *            1), every reference resolves within the export, observations
 *            keep LOINC and UCUM and a device reading names its Device and
 *            has a Provenance; the numbers are the generator's; nothing of
 *            region south, nothing deleted; each form's answers are its
 *            QuestionnaireResponse's items as the generator saved them
 *            (nesting, repeats, every item a linkId, a group items and no
 *            answer, a leaf one valueString; empty leaves and groups and
 *            the meta block left out), and an instance that does not parse
 *            or has a DTD gives no items, is counted, and nothing of it
 *            reaches stderr
 *   range    January 2020 only: exactly those visits, and the patients and
 *            practitioners they name
 *   csv      one file per entity parses (common/csv.h), a row per record;
 *            form_answer.csv holds each form's answers with their paths
 *   cli      `admin export` writes the same bytes into a new directory of
 *            mode 0700, files 0600, and refuses a directory not empty
 */
#define LOG_MODULE "test_export"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "csv.h"
#include "fixture.h"
#include "model.h"
#include "prescription.h"
#include "record.h"
#include "sync-server/admin_export.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

#define JAN2020_MS 1579046400000ULL /* 2020-01-15T00:00:00Z */

struct pn {
	struct tnode t;
	uint64_t seq;
	const char *facility;
};

/* One batch being built. */
struct batch {
	cbor_item_t *c[64];
	size_t n;
};

static uint64_t hlc_counter;

static uint64_t
next_hlc(void)
{
	return HLC_MAKE(hlc_wall_ms(), 0) + (hlc_counter++ & 0xffff);
}

static void
add(struct batch *b, struct pn *n, struct model_rec *r)
{
	cbor_item_t *m = NULL, *c;
	uint8_t *body = NULL;
	size_t len;
	struct uuid u;

	if (model_encode(r, &m) != 0 || cborx_encode(m, &body, &len) != 0)
		abort();
	cbor_decref(&m);
	if (uuid_parse(r->id, &u) != 0)
		abort();
	if (b->n == nitems(b->c))
		abort();
	c = cborx_array(PUSH_C_COUNT);
	cborx_array_push(c, cborx_uint(n->seq + 1 + b->n));
	cborx_array_push(c, cborx_uint((uint64_t)r->e->entity));
	cborx_array_push(c, cborx_bytes(u.b, 16));
	cborx_array_push(c, cborx_uint(r->hlc));
	cborx_array_push(c, cborx_bytes(body, len));
	b->c[b->n++] = c;
	free(body);
	model_rec_clear(r);
}

/* Push the batch; every change must be stored. */
static int
flush(struct fix *f, struct pn *n, struct batch *b)
{
	cbor_item_t *m, *a = NULL, *ref, *arr;
	struct tresp r;
	uint8_t *body = NULL;
	size_t len, i;
	int err;

	if (b->n == 0)
		return 0;
	arr = cborx_array(b->n);
	for (i = 0; i < b->n; i++)
		cborx_array_push(arr, b->c[i]);
	m = cborx_map(3);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(n->seq + 1));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(n->seq + b->n));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	memset(&r, 0, sizeof(r));
	if (err == 0)
		err = tnode_do(f->port, &n->t, PROTO_PATH_PUSH, body, len, &r);
	free(body);
	if (err == 0 &&
	    (r.status != 200 || cborx_decode(r.body, r.len, r.len, &a) != 0))
		err = EPROTO;
	if (err == 0 && (ref = cborx_map_get(a, PUSHED_K_REFUSED)) != NULL &&
	    cbor_array_size(ref) > 0) {
		char why[160];
		uint64_t s, code;

		for (s = n->seq + 1; s <= n->seq + b->n; s++)
			if ((code = fix_refusal(a, s, why, sizeof(why))) != 0)
				fprintf(stderr,
				    "  seq %" PRIu64 " refused: %" PRIu64
				    " %s\n",
				    s, code, why);
		err = EPROTO;
	}
	n->seq += b->n;
	b->n = 0;
	if (a != NULL)
		cbor_decref(&a);
	tresp_clear(&r);
	return err;
}

static void
rec(struct model_rec *r, int entity, struct uuid *id)
{
	char s[UUID_STRLEN + 1];

	uuid_v7(id);
	uuid_format(id, s);
	model_rec_init(r, model_entity(entity), s, next_hlc(), NULL);
}

/* A signed order of paracetamol (as tests/sync-server/test_policy.c). */
static uint8_t rx_priv[32], rx_pub[32];

static void
rx_order(struct model_rec *r, const char *pat, const char *enc,
    const char *clinician)
{
	static uint8_t sig[64];
	uint8_t *msg = NULL;
	size_t len;

	if (rx_pub[0] == 0 && rx_pub[1] == 0 &&
	    crypto_ed25519_keygen(rx_priv, rx_pub) != 0)
		abort();
	model_set_text(r, REC_RX_PATIENT, pat);
	model_set_text(r, REC_RX_ENCOUNTER, enc);
	model_set_text(r, REC_RX_ACTION, "order");
	model_set_text(r, REC_RX_REGION, "IN");
	model_set_text(r, REC_RX_CODE, "PCM500");
	model_set_text(r, REC_RX_INN, "paracetamol");
	model_set_text(r, REC_RX_ROUTE, "oral");
	model_set_double(r, REC_RX_DOSE, 500);
	model_set_text(r, REC_RX_UNIT, "mg");
	model_set_uint(r, REC_RX_PER_DAY, 3);
	model_set_uint(r, REC_RX_DAYS, 3);
	model_set_text(r, REC_RX_OVERRIDE, "");
	model_set_uint(r, REC_RX_AGE_DAYS, 30 * 365);
	model_set_double(r, REC_RX_WEIGHT, 60);
	model_set_text(r, REC_RX_MODE, "video");
	model_set_bool(r, REC_RX_FIRST, 1);
	model_set_text(r, REC_RX_CLINICIAN, clinician);
	model_set_text(r, REC_RX_REGNO, "MCI-1");
	model_set_uint(r, REC_RX_SIGNED, hlc_wall_ms());
	model_set_bytes(r, REC_RX_SIGKEY, rx_pub, 32);
	if (prescription_sig_bytes(r, &msg, &len) != 0 ||
	    crypto_ed25519_sign(rx_priv, msg, len, sig) != 0)
		abort();
	free(msg);
	model_set_bytes(r, REC_RX_SIG, sig, 64);
}

/* What the generator made: the reference the export is checked with. */
struct region {
	struct fix f;
	struct pn c[2], hub, adm, south;
	size_t npat;
	char (*pat)[UUID_STRLEN + 1];
	char (*enc)[UUID_STRLEN + 1];
	int *old; /* the visit is in January 2020 */
	char user[2][UUID_STRLEN + 1], clinician[UUID_STRLEN + 1];
	char deleted_enc[UUID_STRLEN + 1], south_pat[UUID_STRLEN + 1];
	size_t nalert, nref, nrx, nappt, nobs, ndevice_obs;
	/* each patient's form: its id, and what its answers must read as
	 * (NULL: an instance that does not parse) */
	char (*form)[UUID_STRLEN + 1];
	char **want_qr, **want_csv;
	size_t nbad_forms;
};

/* Nothing of a form that does not parse may be printed: its words. */
#define BAD_FORM_MARK "Zq-instance"

/*
 * Form I's instance XML into XML (SIZE bytes), and what the export must
 * make of it: the items flattened (form_flat's shape) and the CSV answer
 * rows (path=value;), or NULL for both when it must not parse.
 */
static void
form_make(size_t i, char *xml, size_t size, char **want_qr, char **want_csv)
{
	char second[64] = "", qsecond[96] = "", csecond[96] = "";

	*want_qr = *want_csv = NULL;
	if (i % 9 == 4) { /* not well-formed */
		snprintf(xml, size, "<data><q1>" BAD_FORM_MARK "</data>");
		return;
	}
	if (i % 9 == 7) { /* a DTD and an entity */
		snprintf(xml, size,
		    "<?xml version=\"1.0\"?><!DOCTYPE data [<!ENTITY e \""
		    "" BAD_FORM_MARK "\">]><data><q>&e;</q></data>");
		return;
	}
	if (i % 2 == 0) { /* a repeat's second instance, its age empty */
		snprintf(second, sizeof(second),
		    "<child><name>Baraka</name><age/></child>");
		snprintf(qsecond, sizeof(qsecond),
		    "/data/child{/data/child/name=Baraka;}");
		snprintf(
		    csecond, sizeof(csecond), "/data/child[2]/name=Baraka;");
	}
	snprintf(xml, size,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<data xmlns:orx=\"http://openrosa.org/xforms\" id=\"imci\" "
	    "version=\"1\">\n"
	    "  <vitals><temp>37.%zu</temp><pulse> %zu\n</pulse></vitals>\n"
	    "  <child><name>Ng\u0169g\u0129 &amp; &lt;%zu&gt;</name>"
	    "<age>%zu</age></child>%s\n"
	    "  <note></note><empty><x/><y>  </y></empty>\n"
	    "  <orx:meta><orx:instanceID>uuid:%zu</orx:instanceID></orx:meta>\n"
	    "</data>\n",
	    i % 10, 60 + i, i, 1 + i % 5, second, i);
	xasprintf(want_qr,
	    "/data/vitals{/data/vitals/temp=37.%zu;/data/vitals/pulse=%zu;}"
	    "/data/child{/data/child/name=Ng\u0169g\u0129 & <%zu>;"
	    "/data/child/age=%zu;}%s",
	    i % 10, 60 + i, i, 1 + i % 5, qsecond);
	xasprintf(want_csv,
	    "/data/vitals/temp=37.%zu;/data/vitals/pulse=%zu;"
	    "/data/child%s/name=Ng\u0169g\u0129 & <%zu>;/data/child%s/age=%zu;%s",
	    i % 10, 60 + i, second[0] ? "[1]" : "", i, second[0] ? "[1]" : "",
	    1 + i % 5, csecond);
}

static int
region_make(struct region *g)
{
	struct model_rec r;
	struct batch b;
	struct uuid id;
	const char *env = getenv("OUTPOST_EXPORT_PATIENTS");
	char ids[UUID_STRLEN + 1], dev[32];
	static const uint8_t prov[] = { 0xa2, 0x01, 0x63, 'd', 'r', 'v', 0x02,
		0x00 }; /* {1: "drv", 2: 0} */
	char xml[1024];
	size_t i, k;
	int err;

	memset(&b, 0, sizeof(b));
	g->npat = env != NULL ? strtoul(env, NULL, 10) : 60;
	if (g->npat < 8)
		g->npat = 8;
	g->pat = xcalloc(g->npat, sizeof(*g->pat));
	g->enc = xcalloc(g->npat, sizeof(*g->enc));
	g->old = xcalloc(g->npat, sizeof(*g->old));
	g->form = xcalloc(g->npat, sizeof(*g->form));
	g->want_qr = xcalloc(g->npat, sizeof(*g->want_qr));
	g->want_csv = xcalloc(g->npat, sizeof(*g->want_csv));
	g->c[0].facility = "f1";
	g->c[1].facility = "f2";
	if ((err = fix_start(&g->f)) != 0 ||
	    (err = fix_node_as(
	         &g->f, "north", "clinic", "f1", &g->c[0].t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &g->f, "north", "clinic", "f2", &g->c[1].t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &g->f, "north", "hub", "hub1", &g->hub.t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &g->f, "north", "admin", "office", &g->adm.t, NULL)) != 0 ||
	    (err = fix_node_as(
	         &g->f, "south", "clinic", "s1", &g->south.t, NULL)) != 0)
		return err;
	/* the users: a CHW per clinic, a clinician on the hub */
	for (k = 0; k < 2; k++) {
		rec(&r, REC_USER, &id);
		uuid_format(&id, g->user[k]);
		model_set_text(&r, REC_USER_NAME, k ? "chw-b" : "chw-a");
		model_set_uint(&r, REC_USER_ROLE, 1);
		add(&b, &g->c[k], &r);
		if ((err = flush(&g->f, &g->c[k], &b)) != 0)
			return err;
	}
	rec(&r, REC_USER, &id);
	uuid_format(&id, g->clinician);
	model_set_text(&r, REC_USER_NAME, "dr-c");
	model_set_uint(&r, REC_USER_ROLE, 2);
	model_set_text(&r, REC_USER_REGNO, "MCI-1");
	add(&b, &g->hub, &r);
	if ((err = flush(&g->f, &g->hub, &b)) != 0)
		return err;
	for (i = 0; i < g->npat; i++) {
		struct pn *n = &g->c[i % 2], *o = &g->c[1 - i % 2];
		uint64_t at = (i % 4 == 0) ? JAN2020_MS + i * 60000
		                           : hlc_wall_ms() - i * 60000;

		g->old[i] = i % 4 == 0;
		rec(&r, REC_PATIENT, &id);
		uuid_format(&id, g->pat[i]);
		snprintf(ids, sizeof(ids), "P%zu", i);
		model_set_text(&r, REC_PAT_GIVEN, ids);
		model_set_text(&r, REC_PAT_FAMILY, "Gen");
		model_set_text(&r, REC_PAT_SEX, i % 2 ? "F" : "M");
		model_set_text(&r, REC_PAT_BIRTH, "1990-05-01");
		model_set_text(&r, REC_PAT_VILLAGE, "Kijiji");
		add(&b, n, &r);
		rec(&r, REC_ENCOUNTER, &id);
		uuid_format(&id, g->enc[i]);
		model_set_text(&r, REC_ENC_PATIENT, g->pat[i]);
		model_set_uint(&r, REC_ENC_STARTED, at);
		model_set_uint(&r, REC_ENC_ENDED, at + 600000);
		model_set_text(&r, REC_ENC_REASON, "fever");
		model_set_text(&r, REC_ENC_STATUS, "closed");
		model_set_uuid(&r, REC_K_BY, g->user[i % 2]);
		add(&b, n, &r);
		/* a typed pulse and a device SpO2 */
		rec(&r, REC_OBSERVATION, &id);
		model_set_text(&r, REC_OBS_PATIENT, g->pat[i]);
		model_set_text(&r, REC_OBS_ENCOUNTER, g->enc[i]);
		model_set_text(&r, REC_OBS_LOINC, "8867-4");
		model_set_double(&r, REC_OBS_VALUE, 70 + (double)(i % 30));
		model_set_text(&r, REC_OBS_UNIT, "/min");
		model_set_uint(&r, REC_OBS_TAKEN, at);
		model_set_uint(&r, REC_OBS_RECORDED, at);
		add(&b, n, &r);
		rec(&r, REC_OBSERVATION, &id);
		model_set_text(&r, REC_OBS_PATIENT, g->pat[i]);
		model_set_text(&r, REC_OBS_ENCOUNTER, g->enc[i]);
		model_set_text(&r, REC_OBS_LOINC, "59408-5");
		model_set_double(&r, REC_OBS_VALUE, 95);
		model_set_text(&r, REC_OBS_UNIT, "%");
		snprintf(dev, sizeof(dev), "oxi:%s:%zu", n->facility, i % 3);
		model_set_text(&r, REC_OBS_DEVICE, dev);
		model_set_cbor(&r, REC_OBS_PROVENANCE, prov, sizeof(prov));
		model_set_uint(&r, REC_OBS_TAKEN, at);
		model_set_uint(&r, REC_OBS_RECORDED, at + 1000);
		add(&b, n, &r);
		g->nobs += 2;
		g->ndevice_obs++;
		rec(&r, REC_FORM, &id);
		uuid_format(&id, g->form[i]);
		form_make(i, xml, sizeof(xml), &g->want_qr[i], &g->want_csv[i]);
		g->nbad_forms += g->want_qr[i] == NULL;
		model_set_text(&r, REC_FORM_PATIENT, g->pat[i]);
		model_set_text(&r, REC_FORM_ENCOUNTER, g->enc[i]);
		model_set_text(&r, REC_FORM_FORMID, "imci");
		model_set_text(&r, REC_FORM_VERSION, "1");
		model_set_text(&r, REC_FORM_INSTANCE, "uuid:x");
		model_set_bytes(&r, REC_FORM_XML, xml, strlen(xml));
		model_set_text(&r, REC_FORM_STATUS, "final");
		add(&b, n, &r);
		if (i % 3 == 0) {
			rec(&r, REC_ALERT, &id);
			model_set_text(&r, REC_ALERT_PATIENT, g->pat[i]);
			model_set_text(&r, REC_ALERT_ENCOUNTER, g->enc[i]);
			model_set_text(&r, REC_ALERT_KIND, "news2");
			model_set_uint(&r, REC_ALERT_SCORE, 7);
			model_set_text(&r, REC_ALERT_DETAIL, "NEWS2 7");
			model_set_uint(&r, REC_ALERT_RAISED, at);
			add(&b, n, &r);
			g->nalert++;
		}
		if (i % 7 == 0) {
			rec(&r, REC_APPOINTMENT, &id);
			model_set_text(&r, REC_APPT_PATIENT, g->pat[i]);
			model_set_uint(&r, REC_APPT_SLOT, 1000 + i);
			model_set_uint(&r, REC_APPT_START, at + 86400000);
			model_set_uint(
			    &r, REC_APPT_END, at + 86400000 + 900000);
			model_set_text(&r, REC_APPT_CLINICIAN, g->clinician);
			model_set_text(&r, REC_APPT_STATUS, "cancelled");
			model_set_text(&r, REC_APPT_CANCEL_REASON, "travel");
			add(&b, n, &r);
			g->nappt++;
		}
		if (i == 1) { /* withdrawn: never exported */
			snprintf(g->deleted_enc, sizeof(g->deleted_enc), "%s",
			    g->enc[i]);
			model_rec_init(&r, model_entity(REC_ENCOUNTER),
			    g->enc[i], next_hlc(), NULL);
			model_set_bool(&r, REC_K_DELETED, 1);
			add(&b, n, &r);
		}
		if ((err = flush(&g->f, n, &b)) != 0)
			return err;
		if (i % 5 == 0) { /* referred to the other clinic, accepted */
			struct uuid req;

			rec(&r, REC_REFERRAL, &req);
			uuid_format(&req, ids);
			model_set_text(&r, REC_REF_KIND, "request");
			model_set_text(&r, REC_REF_REFERRAL, ids);
			model_set_text(&r, REC_REF_PATIENT, g->pat[i]);
			model_set_text(&r, REC_REF_FROM, n->facility);
			model_set_text(&r, REC_REF_TARGET, o->facility);
			model_set_text(&r, REC_REF_REASON, "x-ray");
			model_set_text(&r, REC_REF_URGENCY, "urgent");
			model_set_uint(&r, REC_REF_DUE, at + 86400000);
			model_set_text(&r, REC_REF_REQUESTER, g->user[i % 2]);
			model_set_text(&r, REC_REF_REQ_ROLE, "chw");
			model_set_uint(&r, REC_REF_AT, at);
			model_set_text(&r, REC_REF_ENCOUNTER, g->enc[i]);
			add(&b, n, &r);
			if ((err = flush(&g->f, n, &b)) != 0)
				return err;
			rec(&r, REC_REFERRAL, &id);
			model_set_text(&r, REC_REF_KIND, "step");
			model_set_text(&r, REC_REF_REFERRAL, ids);
			model_set_text(&r, REC_REF_PATIENT, g->pat[i]);
			model_set_text(&r, REC_REF_FROM, n->facility);
			model_set_text(&r, REC_REF_TARGET, o->facility);
			model_set_text(&r, REC_REF_STATE, "accepted");
			model_set_uint(&r, REC_REF_AT, at + 1000);
			add(&b, o, &r);
			if ((err = flush(&g->f, o, &b)) != 0)
				return err;
			g->nref++;
		}
		if (i % 6 == 0) {
			rec(&r, REC_PRESCRIPTION, &id);
			rx_order(&r, g->pat[i], g->enc[i], g->clinician);
			add(&b, &g->hub, &r);
			if ((err = flush(&g->f, &g->hub, &b)) != 0)
				return err;
			g->nrx++;
		}
	}
	/* an alert naming a patient the region does not hold: its Flag
	 * (subject 1..1) is left out and counted, nothing dangles */
	rec(&r, REC_ALERT, &id);
	uuid_v7(&id);
	uuid_format(&id, ids);
	model_set_text(&r, REC_ALERT_PATIENT, ids);
	model_set_text(&r, REC_ALERT_KIND, "news2");
	model_set_uint(&r, REC_ALERT_RAISED, hlc_wall_ms());
	add(&b, &g->c[0], &r);
	if ((err = flush(&g->f, &g->c[0], &b)) != 0)
		return err;
	/* region south: never in north's export */
	rec(&r, REC_PATIENT, &id);
	uuid_format(&id, g->south_pat);
	model_set_text(&r, REC_PAT_GIVEN, "South");
	add(&b, &g->south, &r);
	return flush(&g->f, &g->south, &b);
}

static struct region the_region;
static int region_made, region_err;

static void
region_free(void)
{
	struct region *g = &the_region;
	size_t i;

	fix_stop(&g->f);
	for (i = 0; g->want_qr != NULL && i < g->npat; i++) {
		free(g->want_qr[i]);
		free(g->want_csv[i]);
	}
	free(g->want_qr);
	free(g->want_csv);
	free(g->form);
	free(g->pat);
	free(g->enc);
	free(g->old);
}

/* The region, generated once for every case of this run. */
static int
region_get(struct region **out)
{
	if (!region_made) {
		region_made = 1;
		region_err = region_make(&the_region);
		atexit(region_free);
	}
	*out = &the_region;
	return region_err;
}

/* --- the export, as the admin node gets it --- */

struct files {
	size_t n;
	char name[32][40];
	uint8_t *data[32];
	size_t len[32];
};

static void
files_clear(struct files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->data[i]);
	memset(fs, 0, sizeof(*fs));
}

static uint64_t last_skipped; /* the last export's EXPORT_K_SKIPPED */
static uint64_t last_malformed; /* and its EXPORT_K_MALFORMED */

static int
export_get(struct region *g, const char *format, uint64_t from, uint64_t to,
    struct files *fs)
{
	cbor_item_t *m = cborx_map(3), *it = NULL, *arr, **pairs, **p;
	struct tresp r;
	uint8_t *body = NULL;
	size_t len, i, plen;
	const uint8_t *pp;
	char *name = NULL;
	int err;

	memset(fs, 0, sizeof(*fs));
	memset(&r, 0, sizeof(r));
	cborx_map_put(m, EXPREQ_K_FORMAT, cborx_text(format));
	cborx_map_put(m, EXPREQ_K_FROM, cborx_uint(from));
	cborx_map_put(m, EXPREQ_K_TO, cborx_uint(to));
	err = cborx_encode(m, &body, &len);
	cbor_decref(&m);
	if (err == 0)
		err = tnode_do(g->f.port, &g->adm.t, PROTO_PATH_ADMIN_EXPORT,
		    body, len, &r);
	free(body);
	if (err != 0)
		return err;
	if (r.status != 200 || cborx_decode(r.body, r.len, r.len, &it) != 0 ||
	    (arr = cborx_map_get(it, EXPORT_K_FILES)) == NULL ||
	    !cbor_isa_array(arr)) {
		fprintf(stderr, "  export answered %u (code %" PRIu64 ")\n",
		    r.status, tresp_code(&r, NULL));
		err = EPROTO;
		goto out;
	}
	if (cborx_map_uint(it, EXPORT_K_SKIPPED, &last_skipped) != 0 ||
	    cborx_map_uint(it, EXPORT_K_MALFORMED, &last_malformed) != 0) {
		err = EPROTO;
		goto out;
	}
	pairs = cbor_array_handle(arr);
	for (i = 0; i < cbor_array_size(arr) && i < 32; i++) {
		p = cbor_array_handle(pairs[i]);
		if (cborx_get_text(p[0], 39, &name) != 0 ||
		    cborx_get_bytes(p[1], 64 << 20, &pp, &plen) != 0) {
			err = EPROTO;
			goto out;
		}
		snprintf(fs->name[fs->n], sizeof(fs->name[0]), "%s", name);
		free(name);
		name = NULL;
		fs->data[fs->n] = xmalloc(plen + 1);
		memcpy(fs->data[fs->n], pp, plen);
		fs->data[fs->n][plen] = '\0';
		fs->len[fs->n++] = plen;
	}
out:
	if (it != NULL)
		cbor_decref(&it);
	tresp_clear(&r);
	return err;
}

/* --- FHIR checks --- */

/* R4's required elements (min 1) of each type the export writes. */
static const struct {
	const char *type;
	const char *required[4];
} required[] = {
	{ "Patient", { NULL } },
	{ "Practitioner", { NULL } },
	{ "Device", { NULL } },
	{ "Encounter", { "status", "class", NULL } },
	{ "Observation", { "status", "code", NULL } },
	{ "QuestionnaireResponse", { "status", NULL } },
	{ "Flag", { "status", "code", "subject", NULL } },
	{ "MedicationRequest",
	    { "status", "intent", "medicationCodeableConcept", "subject" } },
	{ "ServiceRequest", { "status", "intent", "subject", NULL } },
	{ "Task", { "status", "intent", NULL } },
	{ "Provenance", { "target", "recorded", "agent", NULL } },
	{ "Appointment", { "status", "participant", NULL } },
};

/* Every "Type/id" held, for references. */
struct held {
	char (*key)[112];
	size_t n, cap;
};

static void
held_add(struct held *h, const char *type, const char *id)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->key = xreallocarray(h->key, h->cap, sizeof(*h->key));
	}
	snprintf(h->key[h->n++], sizeof(h->key[0]), "%s/%s", type, id);
}

static int
held_has(const struct held *h, const char *ref)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->key[i], ref) == 0)
			return 1;
	return 0;
}

/* Count references under V; *BAD those not held. */
static void
walk_refs(json_t *v, const struct held *h, size_t *refs, size_t *bad)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			if (strcmp(k, "reference") == 0 && json_is_string(x)) {
				(*refs)++;
				if (!held_has(h, json_string_value(x))) {
					fprintf(stderr,
					    "  unresolved reference %s\n",
					    json_string_value(x));
					(*bad)++;
				}
			} else
				walk_refs(x, h, refs, bad);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, x) walk_refs(x, h, refs, bad);
}

struct parsed {
	json_t **res;
	size_t n, cap;
	struct held h;
	size_t count[nitems(required)];
};

static void
parsed_clear(struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		json_decref(p->res[i]);
	free(p->res);
	free(p->h.key);
	memset(p, 0, sizeof(*p));
}

/* Parse every NDJSON file of FS into P; checks the required elements. */
static int
fhir_parse(const struct files *fs, struct parsed *p, size_t *missing)
{
	json_error_t jerr;
	char *line, *save = NULL, want[48];
	const char *type, *id;
	size_t i, t, k;

	*missing = 0;
	for (i = 0; i < fs->n; i++) {
		for (line = strtok_r((char *)fs->data[i], "\n", &save);
		     line != NULL; line = strtok_r(NULL, "\n", &save)) {
			json_t *o = json_loads(line, 0, &jerr);

			if (o == NULL) {
				fprintf(stderr,
				    "  %s: a line does not parse: "
				    "%s\n",
				    fs->name[i], jerr.text);
				return EBADMSG;
			}
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 1024;
				p->res = xreallocarray(
				    p->res, p->cap, sizeof(*p->res));
			}
			p->res[p->n++] = o;
			type = json_string_value(
			    json_object_get(o, "resourceType"));
			id = json_string_value(json_object_get(o, "id"));
			snprintf(
			    want, sizeof(want), "%s.ndjson", type ? type : "?");
			if (type == NULL || id == NULL ||
			    strcmp(want, fs->name[i]) != 0) {
				fprintf(stderr,
				    "  %s: a resource without its "
				    "type or id, or in another "
				    "type's file\n",
				    fs->name[i]);
				return EBADMSG;
			}
			held_add(&p->h, type, id);
			for (t = 0; t < nitems(required); t++)
				if (strcmp(required[t].type, type) == 0)
					break;
			if (t == nitems(required)) {
				fprintf(stderr, "  unexpected type %s\n", type);
				return EBADMSG;
			}
			p->count[t]++;
			for (k = 0; k < 4 && required[t].required[k]; k++) {
				json_t *v =
				    json_object_get(o, required[t].required[k]);

				if (v == NULL ||
				    (json_is_array(v) &&
				        json_array_size(v) == 0)) {
					fprintf(stderr, "  %s/%s lacks %s\n",
					    type, id, required[t].required[k]);
					(*missing)++;
				}
			}
		}
	}
	return 0;
}

static size_t
count_of(const struct parsed *p, const char *type)
{
	size_t t;

	for (t = 0; t < nitems(required); t++)
		if (strcmp(required[t].type, type) == 0)
			return p->count[t];
	return 0;
}

static int
has(const struct parsed *p, const char *type, const char *id)
{
	char k[112];

	snprintf(k, sizeof(k), "%s/%s", type, id);
	return held_has(&p->h, k);
}

/*
 * Items flattened: a group "linkId{...}", a leaf "linkId=value;".  *BAD
 * counts what R4 refuses: an item without a linkId, a group with an
 * answer, a leaf without exactly one answer of exactly one valueString.
 */
static void
form_flat(json_t *items, struct buf *b, size_t *bad)
{
	json_t *it, *sub, *ans, *a0;
	const char *link, *v;
	size_t i;

	json_array_foreach(items, i, it)
	{
		link = json_string_value(json_object_get(it, "linkId"));
		sub = json_object_get(it, "item");
		ans = json_object_get(it, "answer");
		if (link == NULL || link[0] == '\0') {
			(*bad)++;
			link = "?";
		}
		if (sub != NULL) {
			if (ans != NULL || !json_is_array(sub) ||
			    json_array_size(sub) == 0)
				(*bad)++;
			buf_printf(b, "%s{", link);
			form_flat(sub, b, bad);
			buf_printf(b, "}");
			continue;
		}
		a0 = json_array_get(ans, 0);
		v = json_string_value(json_object_get(a0, "valueString"));
		if (json_array_size(ans) != 1 || json_object_size(a0) != 1 ||
		    v == NULL)
			(*bad)++;
		buf_printf(b, "%s=%s;", link, v != NULL ? v : "?");
	}
}

/* Check every QuestionnaireResponse of P against the generator's forms. */
static int
forms_check(const struct region *g, const struct parsed *p)
{
	struct buf b;
	size_t i, k, bad = 0, seen = 0;
	const char *id;
	int err = 0;

	buf_init(&b, 1 << 16);
	for (i = 0; i < p->n; i++) {
		json_t *o = p->res[i];

		if (strcmp(
		        json_string_value(json_object_get(o, "resourceType")),
		        "QuestionnaireResponse") != 0)
			continue;
		id = json_string_value(json_object_get(o, "id"));
		for (k = 0; k < g->npat && strcmp(g->form[k], id) != 0; k++)
			;
		TEST_TRUE(k < g->npat);
		buf_reset(&b);
		form_flat(json_object_get(o, "item"), &b, &bad);
		TEST_ERR(buf_append_byte(&b, '\0'));
		if (g->want_qr[k] == NULL)
			TEST_TRUE(json_object_get(o, "item") == NULL);
		else
			TEST_STR((const char *)b.data, g->want_qr[k]);
		seen++;
	}
	TEST_EQ(bad, 0);
	TEST_EQ(seen, g->npat);
out:
	buf_free(&b);
	return err;
}

/* Run export_get with stderr into a file; is MARK absent from it? */
static int
export_quiet(struct region *g, const char *format, struct files *fs,
    const char *mark, int *clean)
{
	char path[128], text[1 << 16];
	int saved, fd, err;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/stderr", g->f.dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved < 0 || fd < 0)
		return errno;
	dup2(fd, 2);
	close(fd);
	err = export_get(g, format, 0, UINT64_MAX, fs);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if ((fp = fopen(path, "r")) == NULL)
		return errno;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	fputs(text, stderr); /* what it said, for the log */
	*clean = strstr(text, mark) == NULL;
	return err;
}

static int
test_fhir(void)
{
	struct region *g = NULL;
	static struct parsed p;
	struct files fs;
	size_t i, refs = 0, bad = 0, missing = 0, loinc = 0, dev = 0, prov = 0;
	int err = 0, clean = 0;

	memset(&fs, 0, sizeof(fs));
	memset(&p, 0, sizeof(p));
	TEST_ERR(region_get(&g));
	TEST_ERR(export_quiet(g, "fhir", &fs, BAD_FORM_MARK, &clean));
	TEST_TRUE(clean); /* a bad instance's words never printed */
	TEST_TRUE(g->nbad_forms >= 2);
	TEST_EQ(last_malformed, g->nbad_forms);
	for (i = 0; i < fs.n; i++)
		TEST_TRUE(memmem(fs.data[i], fs.len[i], g->south_pat,
		              strlen(g->south_pat)) == NULL);
	TEST_ERR(fhir_parse(&fs, &p, &missing));
	TEST_EQ(missing, 0);
	for (i = 0; i < p.n; i++)
		walk_refs(p.res[i], &p.h, &refs, &bad);
	printf("  %zu resources, %zu references, %zu unresolved\n", p.n, refs,
	    bad);
	TEST_EQ(bad, 0);
	TEST_TRUE(refs > 5 * g->npat);
	/* the generator's numbers */
	TEST_EQ(count_of(&p, "Patient"), g->npat);
	TEST_EQ(count_of(&p, "Encounter"), g->npat - 1);
	TEST_TRUE(!has(&p, "Encounter", g->deleted_enc));
	TEST_EQ(count_of(&p, "Observation"), g->nobs);
	TEST_EQ(count_of(&p, "Provenance"), g->ndevice_obs);
	TEST_EQ(count_of(&p, "Device"), 6); /* 3 per clinic */
	TEST_EQ(count_of(&p, "QuestionnaireResponse"), g->npat);
	TEST_EQ(count_of(&p, "Flag"), g->nalert);
	TEST_EQ(last_skipped, 1); /* the alert of a patient never held */
	TEST_EQ(count_of(&p, "MedicationRequest"), g->nrx);
	TEST_EQ(count_of(&p, "ServiceRequest"), g->nref);
	TEST_EQ(count_of(&p, "Task"), g->nref);
	TEST_EQ(count_of(&p, "Appointment"), g->nappt);
	TEST_EQ(count_of(&p, "Practitioner"), 3);
	for (i = 0; i < g->npat; i++)
		TEST_TRUE(has(&p, "Patient", g->pat[i]));
	/* LOINC, UCUM and the device's provenance */
	for (i = 0; i < p.n; i++) {
		json_t *o = p.res[i], *c, *q;
		const char *type =
		    json_string_value(json_object_get(o, "resourceType"));

		if (strcmp(type, "Provenance") == 0)
			prov++;
		if (strcmp(type, "Observation") != 0)
			continue;
		c = json_array_get(
		    json_object_get(json_object_get(o, "code"), "coding"), 0);
		q = json_object_get(o, "valueQuantity");
		TEST_STR(json_string_value(json_object_get(c, "system")),
		    "http://loinc.org");
		TEST_STR(json_string_value(json_object_get(q, "system")),
		    "http://unitsofmeasure.org");
		TEST_TRUE(
		    json_string_value(json_object_get(q, "code")) != NULL);
		loinc++;
		if (strcmp(json_string_value(json_object_get(c, "code")),
		        "59408-5") == 0) {
			TEST_TRUE(json_object_get(o, "device") != NULL);
			TEST_STR(
			    json_string_value(json_object_get(q, "code")), "%");
			dev++;
		}
	}
	TEST_EQ(loinc, g->nobs);
	TEST_EQ(dev, g->ndevice_obs);
	TEST_EQ(prov, g->ndevice_obs);
	/* the forms' answers, as saved */
	TEST_ERR(forms_check(g, &p));
	printf("  %zu forms' answers as items, %zu malformed without\n",
	    g->npat - g->nbad_forms, g->nbad_forms);
out:
	parsed_clear(&p);
	files_clear(&fs);
	return err;
}

static int
test_range(void)
{
	struct region *g = NULL;
	static struct parsed p;
	struct files fs;
	size_t i, nold = 0, missing = 0, refs = 0, bad = 0;
	int err = 0;

	memset(&fs, 0, sizeof(fs));
	memset(&p, 0, sizeof(p));
	TEST_ERR(region_get(&g));
	/* January 2020 */
	TEST_ERR(
	    export_get(g, "fhir", 1577836800000ULL, 1580515200000ULL, &fs));
	TEST_ERR(fhir_parse(&fs, &p, &missing));
	TEST_EQ(missing, 0);
	for (i = 0; i < p.n; i++)
		walk_refs(p.res[i], &p.h, &refs, &bad);
	TEST_EQ(bad, 0);
	for (i = 0; i < g->npat; i++) {
		nold += g->old[i];
		TEST_EQ(has(&p, "Encounter", g->enc[i]), g->old[i]);
		TEST_EQ(has(&p, "Patient", g->pat[i]), g->old[i]);
	}
	TEST_EQ(count_of(&p, "Encounter"), nold);
	TEST_EQ(count_of(&p, "Patient"), nold);
	TEST_EQ(count_of(&p, "Observation"), 2 * nold);
	/* the CHWs who saw them, not the hub's clinician (no order then) */
	TEST_TRUE(has(&p, "Practitioner", g->user[0]));
	printf("  January 2020: %zu of %zu visits, %zu resources\n", nold,
	    g->npat, p.n);
out:
	parsed_clear(&p);
	files_clear(&fs);
	return err;
}

/* Rows of CSV text DATA (LEN bytes) after its header; its header's
 * fields in HDR (first 64). */
static int
csv_rows(const uint8_t *data, size_t len, size_t *rows, size_t *cols,
    char *first_col, size_t fcsz)
{
	FILE *fp = fmemopen((void *)data, len, "r");
	struct csv c;
	unsigned long line;
	char *cause = NULL;
	int err, first = 1;

	if (fp == NULL)
		return errno;
	csv_init(&c, fp);
	*rows = 0;
	while ((err = csv_next(&c, &line, &cause)) == 0) {
		if (first) {
			*cols = (size_t)c.nfields;
			snprintf(first_col, fcsz, "%s", c.fields[0]);
			first = 0;
			continue;
		}
		if ((size_t)c.nfields != *cols) {
			err = EBADMSG;
			break;
		}
		(*rows)++;
	}
	csv_free(&c);
	fclose(fp);
	if (cause != NULL) {
		fprintf(stderr, "  csv: %s\n", cause);
		free(cause);
	}
	return err == ENOENT ? 0 : err;
}

/*
 * form_answer.csv of DATA: each form's rows, in order, as "path=value;"
 * must be what the generator saved; the link_id column is the path
 * without positions.
 */
static int
csv_answers_check(const struct region *g, const uint8_t *data, size_t len)
{
	FILE *fp = fmemopen((void *)data, len, "r");
	struct buf *got = xcalloc(g->npat, sizeof(*got));
	char link[512], *cause = NULL;
	const char *q;
	unsigned long line;
	size_t i, k, rows = 0, n;
	struct csv c;
	int err = 0, rc;

	for (i = 0; i < g->npat; i++)
		buf_init(&got[i], 1 << 16);
	TEST_TRUE(fp != NULL);
	csv_init(&c, fp);
	TEST_ERR(csv_next(&c, &line, &cause));
	TEST_EQ(c.nfields, 5);
	TEST_STR(c.fields[0], "form_submission_id");
	TEST_STR(c.fields[2], "path");
	while ((rc = csv_next(&c, &line, &cause)) == 0) {
		TEST_EQ(c.nfields, 5);
		for (k = 0; k < g->npat && strcmp(g->form[k], c.fields[0]) != 0;
		     k++)
			;
		TEST_TRUE(k < g->npat);
		TEST_STR(c.fields[1], "imci");
		for (q = c.fields[2], n = 0; *q != '\0' && n + 1 < sizeof(link);
		     q++) {
			if (*q == '[')
				while (*q != '\0' && *q != ']')
					q++;
			else
				link[n++] = *q;
			if (*q == '\0')
				break;
		}
		link[n] = '\0';
		TEST_STR(c.fields[3], link);
		buf_printf(&got[k], "%s=%s;", c.fields[2], c.fields[4]);
		rows++;
	}
	TEST_EQ(rc, ENOENT);
	for (k = 0; k < g->npat; k++) {
		TEST_ERR(buf_append_byte(&got[k], '\0'));
		if (g->want_csv[k] == NULL)
			TEST_EQ(got[k].len, 1);
		else
			TEST_STR((const char *)got[k].data, g->want_csv[k]);
	}
	printf("  form_answer.csv: %zu answers\n", rows);
out:
	if (fp != NULL) {
		csv_free(&c);
		fclose(fp);
	}
	free(cause);
	for (i = 0; i < g->npat; i++)
		buf_free(&got[i]);
	free(got);
	return err;
}

static int
test_csv(void)
{
	struct region *g = NULL;
	struct files fs;
	size_t i, rows, cols, pat_rows = 0, enc_rows = 0, answers = 0;
	char first[32];
	int err = 0, clean = 0;

	memset(&fs, 0, sizeof(fs));
	TEST_ERR(region_get(&g));
	TEST_ERR(export_quiet(g, "csv", &fs, BAD_FORM_MARK, &clean));
	TEST_TRUE(clean);
	TEST_EQ(last_malformed, g->nbad_forms); /* counted in CSV alone too */
	for (i = 0; i < fs.n; i++) {
		TEST_ERR(csv_rows(
		    fs.data[i], fs.len[i], &rows, &cols, first, sizeof(first)));
		if (strcmp(fs.name[i], "form_answer.csv") == 0) {
			TEST_ERR(csv_answers_check(g, fs.data[i], fs.len[i]));
			answers = 1;
			continue;
		}
		TEST_STR(first, "id");
		TEST_TRUE(cols > 3);
		if (strcmp(fs.name[i], "patient.csv") == 0)
			pat_rows = rows;
		if (strcmp(fs.name[i], "encounter.csv") == 0)
			enc_rows = rows;
	}
	TEST_EQ(pat_rows, g->npat);
	TEST_EQ(enc_rows, g->npat - 1);
	TEST_TRUE(answers);
	printf("  %zu CSV files\n", fs.n);
out:
	files_clear(&fs);
	return err;
}

static int
test_cli(void)
{
	struct region *g = NULL;
	struct files fs;
	struct stat st;
	char out[96], path[160], *argv[10];
	size_t i;
	uint8_t *data = NULL;
	FILE *fp;
	int err = 0;

	memset(&fs, 0, sizeof(fs));
	TEST_ERR(region_get(&g));
	TEST_ERR(export_get(g, "fhir", 0, UINT64_MAX, &fs));
	snprintf(out, sizeof(out), "%s/export", g->f.dir);
	argv[0] = "export";
	argv[1] = "--fhir";
	argv[2] = "--region";
	argv[3] = "north";
	argv[4] = "--out";
	argv[5] = out;
	TEST_EQ(admin_export(g->f.srv.be, g->f.srv.store, 6, argv), 0);
	TEST_ERR(stat(out, &st) != 0 ? errno : 0);
	TEST_EQ(st.st_mode & 0777, 0700);
	for (i = 0; i < fs.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, fs.name[i]);
		TEST_ERR(stat(path, &st) != 0 ? errno : 0);
		TEST_EQ(st.st_mode & 0777, 0600);
		TEST_EQ((size_t)st.st_size, fs.len[i]);
		data = xmalloc(fs.len[i] + 1);
		TEST_TRUE((fp = fopen(path, "r")) != NULL);
		TEST_EQ(fread(data, 1, fs.len[i], fp), fs.len[i]);
		fclose(fp);
		TEST_MEM(data, fs.data[i], fs.len[i]);
		free(data);
		data = NULL;
	}
	/* a directory that is not empty: refused, nothing overwritten */
	TEST_EQ(admin_export(g->f.srv.be, g->f.srv.store, 6, argv), 1);
	/* no format, no region: usage */
	TEST_EQ(admin_export(g->f.srv.be, g->f.srv.store, 4, argv + 2), 2);
	printf("  %zu files written, 0600 in a 0700 directory\n", fs.n);
out:
	free(data);
	files_clear(&fs);
	return err;
}

TEST_MAIN({ "fhir", test_fhir }, { "range", test_range }, { "csv", test_csv },
    { "cli", test_cli })
