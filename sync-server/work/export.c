/*
 * The region export of export.h: FHIR R4 NDJSON and CSV from the
 * region's stored changes.  Resources are built with libjansson and
 * written one per line; referrals go through the referral module's own
 * FHIR mapper (referral.h, rref_fhir_bundle), whose Bundle is split into
 * lines here.
 *
 * Mapping (R4; required elements in brackets): Patient; Encounter
 * [status, class]; Observation [status, code] with LOINC and UCUM
 * (valueQuantity system http://unitsofmeasure.org) and, for a device
 * reading, Observation.device, a Device and a Provenance [target,
 * recorded, agent.who]; QuestionnaireResponse [status] for a form
 * submission, its answers as items (below, "a form's answers"); Flag
 * [status, code,
 * subject] for an alert; MedicationRequest [status, intent, medication,
 * subject] for an order, its status moved by later cancel or stop facts;
 * ServiceRequest [status, intent, subject] and Task [status, intent] for
 * a referral; Practitioner for a user; Appointment [status,
 * participant].  Consults, calls, emergencies, merges and attachments go
 * to CSV only.  The CSV adds form_answer.csv: one row per answer of a
 * form, with its path in the instance.
 *
 * Deliberately not here: reading the store, writing files, logging.
 */
#define LOG_MODULE "export"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>

#include "compat.h"
#include "crypto.h"
#include "encode.h"
#include "hlc.h"
#include "json.h"
#include "model.h"
#include "record.h"
#include "referral.h"
#include "sync-server/work/export.h"
#include "sync-server/work/referral.h"
#include "uuid.h"
#include "xmalloc.h"

#define UCUM "http://unitsofmeasure.org"
#define LOINC "http://loinc.org"

struct xchange {
	int entity;
	uint8_t id[16];
	uint64_t hlc, origin;
	uint8_t *body;
	size_t len;
};

struct xrec {
	int entity;
	uint8_t id[16];
	size_t first, n; /* its changes, by HLC */
	uint64_t when_ms;
	int deleted, chosen, include;
};

struct xport {
	struct xchange *c;
	size_t nc, capc;
	struct xrec *r;
	size_t nr;
};

/* One record's changes, decoded, oldest first. */
struct xgroup {
	const struct xrec *x;
	struct model_rec *rec;
	size_t n;
	char id[UUID_STRLEN + 1];
};

struct xport *
xport_new(void)
{
	return xcalloc(1, sizeof(struct xport));
}

void
xport_free(struct xport *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nc; i++)
		free(x->c[i].body);
	free(x->c);
	free(x->r);
	free(x);
}

void
xport_add(struct xport *x, int entity, const uint8_t id[16], uint64_t hlc,
    uint64_t origin, const uint8_t *body, size_t len)
{
	struct xchange *c;

	if (x->nc == x->capc) {
		x->capc = x->capc ? x->capc * 2 : 1024;
		x->c = xreallocarray(x->c, x->capc, sizeof(*x->c));
	}
	c = &x->c[x->nc++];
	c->entity = entity;
	memcpy(c->id, id, 16);
	c->hlc = hlc;
	c->origin = origin;
	c->body = xmalloc(len > 0 ? len : 1);
	memcpy(c->body, body, len);
	c->len = len;
}

static int
change_cmp(const void *a, const void *b)
{
	const struct xchange *x = a, *y = b;
	int d;

	if (x->entity != y->entity)
		return x->entity < y->entity ? -1 : 1;
	if ((d = memcmp(x->id, y->id, 16)) != 0)
		return d;
	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return x->origin < y->origin ? -1 : x->origin > y->origin;
}

void
xport_instant(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* --- one record, folded --- */

static int
group_load(struct xport *x, const struct xrec *r, struct xgroup *g)
{
	const struct model_entity *e = model_entity(r->entity);
	struct uuid u;
	size_t i;

	memset(g, 0, sizeof(*g));
	g->x = r;
	memcpy(u.b, r->id, 16);
	uuid_format(&u, g->id);
	if (e == NULL)
		return ENOENT;
	g->rec = xcalloc(r->n, sizeof(*g->rec));
	for (i = 0; i < r->n; i++) {
		const struct xchange *c = &x->c[r->first + i];

		if (model_decode(e, c->body, c->len, &g->rec[g->n]) != 0) {
			model_rec_clear(&g->rec[g->n]);
			continue; /* the server checked it at push */
		}
		g->n++;
	}
	return g->n > 0 ? 0 : EBADMSG;
}

static void
group_clear(struct xgroup *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		model_rec_clear(&g->rec[i]);
	free(g->rec);
	memset(g, 0, sizeof(*g));
}

/* The latest value of KEY, NULL when never set or last set to null. */
static const struct model_value *
gv(const struct xgroup *g, uint64_t key)
{
	const struct model_value *v;
	size_t i;

	for (i = g->n; i > 0; i--)
		if ((v = model_get(&g->rec[i - 1], key)) != NULL)
			return v->null ? NULL : v;
	return NULL;
}

static const char *
gtext(const struct xgroup *g, uint64_t key)
{
	const struct model_value *v = gv(g, key);

	return v != NULL && v->text != NULL && v->text[0] != '\0' ? v->text
	                                                          : NULL;
}

static uint64_t
guint(const struct xgroup *g, uint64_t key)
{
	const struct model_value *v = gv(g, key);

	return v != NULL ? v->u : 0;
}

/* --- the index of records --- */

static struct xrec *
find(struct xport *x, int entity, const char *idtext)
{
	struct xrec key;
	struct uuid u;
	size_t lo = 0, hi = x->nr, mid;
	int d;

	if (idtext == NULL || uuid_parse(idtext, &u) != 0)
		return NULL;
	key.entity = entity;
	memcpy(key.id, u.b, 16);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = x->r[mid].entity != key.entity
		    ? (x->r[mid].entity < key.entity ? -1 : 1)
		    : memcmp(x->r[mid].id, key.id, 16);
		if (d == 0)
			return &x->r[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Is the record ENTITY/ID held and in the export? */
static int
held(struct xport *x, int entity, const char *id)
{
	const struct xrec *r = find(x, entity, id);

	return r != NULL && r->include;
}

/* The record's own time: its clinical time, else its first change's. */
static uint64_t
when_of(const struct xgroup *g)
{
	static const uint64_t keys[REC_ENTITY_MAX + 1] = {
		[REC_ENCOUNTER] = REC_ENC_STARTED,
		[REC_OBSERVATION] = REC_OBS_TAKEN,
		[REC_ALERT] = REC_ALERT_RAISED,
		[REC_PRESCRIPTION] = REC_RX_SIGNED,
		[REC_REFERRAL] = REC_REF_AT,
		[REC_APPOINTMENT] = REC_APPT_START,
		[REC_CONSULT] = REC_CONSULT_REQUESTED,
		[REC_EMERGENCY] = REC_EMERG_RAISED,
	};
	int e = g->x->entity;
	uint64_t ms = 0;

	if (e > 0 && e <= REC_ENTITY_MAX && keys[e] != 0)
		ms = guint(g, keys[e]);
	if (ms == 0 && e == REC_OBSERVATION)
		ms = guint(g, REC_OBS_RECORDED);
	return ms != 0 ? ms : HLC_MS(g->rec[0].hlc);
}

/* Mark the record ENTITY/ID (text) as brought along. */
static int
bring(struct xport *x, int entity, const char *id, uint64_t *n)
{
	struct xrec *r = find(x, entity, id);

	if (r == NULL || r->include || r->deleted)
		return 0;
	r->include = 1;
	(*n)++;
	return 1;
}

/* The records G names: patient, visit, practitioners. */
static int
bring_refs(struct xport *x, const struct xgroup *g, uint64_t *n)
{
	static const uint64_t pat[REC_ENTITY_MAX + 1] = {
		[REC_ENCOUNTER] = REC_ENC_PATIENT,
		[REC_OBSERVATION] = REC_OBS_PATIENT,
		[REC_FORM] = REC_FORM_PATIENT,
		[REC_ALERT] = REC_ALERT_PATIENT,
		[REC_PRESCRIPTION] = REC_RX_PATIENT,
		[REC_REFERRAL] = REC_REF_PATIENT,
		[REC_APPOINTMENT] = REC_APPT_PATIENT,
		[REC_CONSULT] = REC_CONSULT_PATIENT,
		[REC_EMERGENCY] = REC_EMERG_PATIENT,
	};
	static const uint64_t enc[REC_ENTITY_MAX + 1] = {
		[REC_OBSERVATION] = REC_OBS_ENCOUNTER,
		[REC_FORM] = REC_FORM_ENCOUNTER,
		[REC_ALERT] = REC_ALERT_ENCOUNTER,
		[REC_PRESCRIPTION] = REC_RX_ENCOUNTER,
		[REC_REFERRAL] = REC_REF_ENCOUNTER,
	};
	int e = g->x->entity, more = 0;

	if (pat[e] != 0)
		more |= bring(x, REC_PATIENT, gtext(g, pat[e]), n);
	if (enc[e] != 0)
		more |= bring(x, REC_ENCOUNTER, gtext(g, enc[e]), n);
	if (e == REC_ENCOUNTER)
		more |= bring(x, REC_USER, gtext(g, REC_K_BY), n);
	if (e == REC_PRESCRIPTION)
		more |= bring(x, REC_USER, gtext(g, REC_RX_CLINICIAN), n);
	if (e == REC_REFERRAL) {
		more |= bring(x, REC_USER, gtext(g, REC_REF_REQUESTER), n);
		/* a step brings its request, a request nothing more */
		more |= bring(x, REC_REFERRAL, gtext(g, REC_REF_REFERRAL), n);
	}
	if (e == REC_APPOINTMENT)
		more |= bring(x, REC_USER, gtext(g, REC_APPT_CLINICIAN), n);
	return more;
}

static int
index_build(
    struct xport *x, uint64_t from, uint64_t to, struct xport_summary *sum)
{
	struct xgroup g;
	size_t i, j;
	int more, pass;

	free(x->r);
	x->r = NULL;
	x->nr = 0;
	if (x->nc > 1)
		qsort(x->c, x->nc, sizeof(*x->c), change_cmp);
	x->r = xcalloc(x->nc + 1, sizeof(*x->r));
	for (i = 0; i < x->nc; i = j) {
		struct xrec *r = &x->r[x->nr];

		for (j = i + 1; j < x->nc && x->c[j].entity == x->c[i].entity &&
		     memcmp(x->c[j].id, x->c[i].id, 16) == 0;
		     j++)
			;
		r->entity = x->c[i].entity;
		memcpy(r->id, x->c[i].id, 16);
		r->first = i;
		r->n = j - i;
		if (group_load(x, r, &g) == 0) {
			const struct model_value *d = gv(&g, REC_K_DELETED);

			r->deleted = d != NULL && d->i != 0;
			r->when_ms = when_of(&g);
			r->chosen = !r->deleted && r->when_ms >= from &&
			    r->when_ms < to;
			r->include = r->chosen;
			sum->deleted += r->deleted;
			sum->chosen += r->chosen;
			x->nr++;
		}
		group_clear(&g);
	}
	sum->records = x->nr;
	/* what the chosen records name, and what that names in turn */
	for (pass = 0, more = 1; more && pass < 4; pass++) {
		more = 0;
		for (i = 0; i < x->nr; i++) {
			if (!x->r[i].include)
				continue;
			if (group_load(x, &x->r[i], &g) == 0)
				more |= bring_refs(x, &g, &sum->referenced);
			group_clear(&g);
		}
	}
	return 0;
}

/* --- FHIR --- */

static json_t *
ref(const char *type, const char *id)
{
	char s[96];

	snprintf(s, sizeof(s), "%s/%s", type, id);
	return json_pack("{s:s}", "reference", s);
}

static void
set_text(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

static void
set_instant(json_t *o, const char *key, uint64_t ms)
{
	char t[32];

	if (ms == 0)
		return;
	xport_instant(ms, t);
	json_object_set_new(o, key, json_string(t));
}

static json_t *
text_concept(const char *text)
{
	return json_pack("{s:s}", "text", text);
}

/* Device ids are free text: the resource id is a digest of it. */
static void
device_id(const char *dev, char out[40])
{
	uint8_t h[CRYPTO_SHA256_LEN];
	char *hex;

	crypto_sha256(dev, strlen(dev), h);
	hex = hex_encode(h, 16);
	snprintf(out, 40, "dev-%s", hex);
	free(hex);
}

static json_t *
fhir_patient(struct xport *x, const struct xgroup *g)
{
	const char *sex = gtext(g, REC_PAT_SEX), *v;
	json_t *o, *name;

	o = json_pack("{s:s,s:s}", "resourceType", "Patient", "id", g->id);
	(void)x;
	name = json_object();
	set_text(name, "family", gtext(g, REC_PAT_FAMILY));
	if ((v = gtext(g, REC_PAT_GIVEN)) != NULL)
		json_object_set_new(name, "given", json_pack("[s]", v));
	json_object_set_new(o, "name", json_pack("[o]", name));
	if (sex != NULL)
		json_object_set_new(o, "gender",
		    json_string(sex[0] == 'F' || sex[0] == 'f' ? "female"
		            : sex[0] == 'M' || sex[0] == 'm'   ? "male"
		            : sex[0] == 'O' || sex[0] == 'o'   ? "other"
		                                               : "unknown"));
	set_text(o, "birthDate", gtext(g, REC_PAT_BIRTH));
	if ((v = gtext(g, REC_PAT_PHONE)) != NULL)
		json_object_set_new(o, "telecom",
		    json_pack("[{s:s,s:s}]", "system", "phone", "value", v));
	if ((v = gtext(g, REC_PAT_VILLAGE)) != NULL)
		json_object_set_new(
		    o, "address", json_pack("[{s:s}]", "text", v));
	if ((v = gtext(g, REC_PAT_NATID)) != NULL)
		json_object_set_new(o, "identifier",
		    json_pack("[{s:s,s:s}]", "system",
		        "urn:outpost:national-id", "value", v));
	return o;
}

static json_t *
fhir_encounter(struct xport *x, const struct xgroup *g)
{
	const char *st = gtext(g, REC_ENC_STATUS), *p, *by;
	json_t *o, *period;

	o = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "resourceType",
	    "Encounter", "id", g->id, "status",
	    st == NULL                      ? "unknown"
	        : strcmp(st, "open") == 0   ? "in-progress"
	        : strcmp(st, "closed") == 0 ? "finished"
	                                    : "unknown",
	    "class", "system",
	    "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code", "AMB",
	    "display", "ambulatory");
	if ((p = gtext(g, REC_ENC_PATIENT)) != NULL && held(x, REC_PATIENT, p))
		json_object_set_new(o, "subject", ref("Patient", p));
	period = json_object();
	set_instant(period, "start", guint(g, REC_ENC_STARTED));
	set_instant(period, "end", guint(g, REC_ENC_ENDED));
	if (json_object_size(period) > 0)
		json_object_set_new(o, "period", period);
	else
		json_decref(period);
	if ((p = gtext(g, REC_ENC_REASON)) != NULL)
		json_object_set_new(
		    o, "reasonCode", json_pack("[o]", text_concept(p)));
	if ((by = gtext(g, REC_K_BY)) != NULL && held(x, REC_USER, by))
		json_object_set_new(o, "participant",
		    json_pack(
		        "[{s:o}]", "individual", ref("Practitioner", by)));
	return o;
}

/* An observation, and its Device and Provenance when a device read it. */
static json_t *
fhir_observation(
    struct xport *x, const struct xgroup *g, json_t **device, json_t **prov)
{
	const char *loinc = gtext(g, REC_OBS_LOINC), *unit, *p, *dev, *txt;
	const struct model_value *val = gv(g, REC_OBS_VALUE);
	json_t *o, *q;
	char did[40], pid[64];
	uint64_t taken = guint(g, REC_OBS_TAKEN),
	         recorded = guint(g, REC_OBS_RECORDED);

	*device = *prov = NULL;
	o = json_pack("{s:s,s:s,s:s,s:[{s:[{s:s,s:s}]}]}", "resourceType",
	    "Observation", "id", g->id, "status", "final", "category", "coding",
	    "system",
	    "http://terminology.hl7.org/CodeSystem/observation-category",
	    "code", "vital-signs");
	json_object_set_new(o, "code",
	    loinc != NULL ? json_pack("{s:[{s:s,s:s}]}", "coding", "system",
	                        LOINC, "code", loinc)
	                  : text_concept("unknown"));
	if ((p = gtext(g, REC_OBS_PATIENT)) != NULL && held(x, REC_PATIENT, p))
		json_object_set_new(o, "subject", ref("Patient", p));
	if ((p = gtext(g, REC_OBS_ENCOUNTER)) != NULL &&
	    held(x, REC_ENCOUNTER, p))
		json_object_set_new(o, "encounter", ref("Encounter", p));
	set_instant(o, "effectiveDateTime", taken ? taken : recorded);
	set_instant(o, "issued", recorded);
	if (val != NULL) {
		q = json_pack("{s:f}", "value", val->d);
		if ((unit = gtext(g, REC_OBS_UNIT)) != NULL) {
			json_object_set_new(q, "unit", json_string(unit));
			json_object_set_new(q, "system", json_string(UCUM));
			json_object_set_new(q, "code", json_string(unit));
		}
		json_object_set_new(o, "valueQuantity", q);
	} else if ((txt = gtext(g, REC_OBS_TEXT)) != NULL)
		json_object_set_new(o, "valueString", json_string(txt));
	if ((dev = gtext(g, REC_OBS_DEVICE)) != NULL) {
		char when[32];

		device_id(dev, did);
		json_object_set_new(o, "device", ref("Device", did));
		*device = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "resourceType",
		    "Device", "id", did, "identifier", "system",
		    "urn:outpost:device", "value", dev);
		snprintf(pid, sizeof(pid), "prov-%s", g->id);
		xport_instant(
		    recorded ? recorded : HLC_MS(g->rec[0].hlc), when);
		*prov = json_pack("{s:s,s:s,s:[o],s:s,s:[{s:{s:[{s:s,s:s}]},"
		                  "s:o}]}",
		    "resourceType", "Provenance", "id", pid, "target",
		    ref("Observation", g->id), "recorded", when, "agent",
		    "type", "coding", "system",
		    "http://terminology.hl7.org/CodeSystem/"
		    "provenance-participant-type",
		    "code", "device", "who", ref("Device", did));
	}
	return o;
}

/* --- a form's answers ---
 *
 * The OpenRosa instance a kiosk saved (REC_FORM_XML, the bytes
 * forms/form_io.c wrote, not compressed) as nested items: one per element
 * under the root, its linkId the element's path in the instance
 * (/data/vitals/temp); an element with child elements is a group (items,
 * never an answer: R4 qrs-1), a repeat's instances are repeated items of
 * one linkId, a leaf's text (trimmed) its one answer.  Empty leaves and
 * groups left empty are omitted, as are the root's meta block and any
 * instanceID (what FHIR has as identifier).
 *
 * Every answer is a valueString: the instance carries no types (they are
 * the form definition's binds, which the server does not hold), so "1"
 * may as well be a select's choice code as a number, and "1" and "0" are
 * how a boolean is written (form_io.c).  A typed value would be a guess.
 *
 * An instance that does not parse, or that has a DTD (an OpenRosa
 * instance never does; entity declarations are where expansion attacks
 * live), gives no items and is counted; libxml2 is told not to print its
 * errors, which quote the input.  The same walk writes form_answer.csv,
 * whose paths carry a repeat's position (/data/child[2]/age, as `kiosk
 * form fill --answers` reads them).
 */

#define QR_PATH_MAX 4096

static pthread_once_t qr_xml_once = PTHREAD_ONCE_INIT;

static void
qr_xml_init(void)
{
	xmlInitParser();
}

struct qr_walk {
	struct buf link; /* /data/child/age */
	struct buf path; /* /data/child[2]/age */
	struct buf *csv; /* form_answer.csv rows, or NULL */
	const char *sub, *form; /* the submission's id and form id */
	uint64_t rows;
	int err;
};

static int csv_field(struct buf *b, const char *s, size_t len, int first);
static int csv_str(struct buf *b, const char *s, int first);

/* Is N the root's meta block or an instanceID (left out)? */
static int
qr_skip(xmlNodePtr n, int depth)
{
	return (depth == 0 && xmlStrEqual(n->name, BAD_CAST "meta")) ||
	    xmlStrEqual(n->name, BAD_CAST "instanceID");
}

/* N's position among its same-named siblings (1-based), and whether it
 * has any. */
static int
qr_position(xmlNodePtr n, int *repeated)
{
	xmlNodePtr c;
	int k = 0, pos = 0;

	for (c = n->parent->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(c->name, n->name) && c->ns == n->ns) {
			k++;
			if (c == n)
				pos = k;
		}
	*repeated = k > 1;
	return pos;
}

static int
qr_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
qr_row(struct qr_walk *w, const char *v, size_t len)
{
	int err;

	err = csv_str(w->csv, w->sub, 1);
	err = err ? err : csv_str(w->csv, w->form, 0);
	err = err ? err : csv_str(w->csv, (const char *)w->path.data, 0);
	err = err ? err : csv_str(w->csv, (const char *)w->link.data, 0);
	err = err ? err : csv_field(w->csv, v, len, 0);
	err = err ? err : buf_append(w->csv, "\r\n", 2);
	w->rows += err == 0;
	return err;
}

static void qr_children(
    struct qr_walk *w, xmlNodePtr parent, int depth, json_t *arr);

/* The item of element N (its paths already in W), or NULL when empty. */
static json_t *
qr_item(struct qr_walk *w, xmlNodePtr n, int depth, int want_json)
{
	json_t *sub, *v;
	xmlChar *text;
	const char *t;
	size_t len;

	if (xmlFirstElementChild(n) != NULL) {
		sub = want_json ? json_array() : NULL;
		qr_children(w, n, depth + 1, sub);
		if (sub == NULL || json_array_size(sub) == 0) {
			json_decref(sub);
			return NULL;
		}
		return json_pack("{s:s%,s:o}", "linkId",
		    (const char *)w->link.data, w->link.len, "item", sub);
	}
	if ((text = xmlNodeGetContent(n)) == NULL)
		return NULL;
	for (t = (const char *)text; qr_is_space(*t); t++)
		;
	for (len = strlen(t); len > 0 && qr_is_space(t[len - 1]); len--)
		;
	v = NULL;
	if (len > 0 && w->csv != NULL && w->err == 0)
		w->err = qr_row(w, t, len);
	if (len > 0 && want_json)
		v = json_stringn(t, len); /* NULL: not UTF-8 (libxml2's is) */
	xmlFree(text);
	if (v == NULL)
		return NULL;
	return json_pack("{s:s%,s:[{s:o}]}", "linkId",
	    (const char *)w->link.data, w->link.len, "answer", "valueString",
	    v);
}

/* Append "/NAME" (with its prefix) and, when POS > 0, "[POS]" to B,
 * keeping a NUL after the text.  ENAMETOOLONG past QR_PATH_MAX. */
static int
qr_step(struct buf *b, xmlNodePtr n, int pos)
{
	const char *pre = n->ns != NULL && n->ns->prefix != NULL
	    ? (const char *)n->ns->prefix
	    : "";

	if (buf_printf(b, "/%s%s%s", pre, pre[0] ? ":" : "", n->name) != 0 ||
	    (pos > 0 && buf_printf(b, "[%d]", pos) != 0) ||
	    buf_append_byte(b, '\0') != 0)
		return ENAMETOOLONG;
	b->len--;
	return 0;
}

/* The items of PARENT's child elements, appended to ARR (NULL: CSV rows
 * only). */
static void
qr_children(struct qr_walk *w, xmlNodePtr parent, int depth, json_t *arr)
{
	size_t lmark = w->link.len, pmark = w->path.len;
	json_t *item;
	xmlNodePtr c;
	int pos, repeated;

	for (c = parent->children; c != NULL && w->err == 0; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || qr_skip(c, depth))
			continue;
		pos = qr_position(c, &repeated);
		if ((w->err = qr_step(&w->link, c, 0)) == 0 &&
		    (w->err = qr_step(&w->path, c, repeated ? pos : 0)) == 0 &&
		    (item = qr_item(w, c, depth, arr != NULL)) != NULL)
			json_array_append_new(arr, item);
		w->link.len = lmark;
		w->path.len = pmark;
	}
}

/*
 * Walk the instance XML of form G: its items into *ITEMS (NULL when none
 * or WANT_JSON is 0), its answers as CSV rows into W->csv when set.
 * EBADMSG when the instance does not parse (or has a DTD); ENOENT when
 * the form has none; ENOMEM or EMSGSIZE from the CSV buffer.
 */
static int
qr_walk(
    const struct xgroup *g, struct qr_walk *w, int want_json, json_t **items)
{
	const struct model_value *xml = gv(g, REC_FORM_XML);
	xmlDocPtr doc;
	xmlNodePtr root;
	json_t *arr;
	int err = 0;

	*items = NULL;
	if (xml == NULL || xml->len == 0)
		return ENOENT;
	if (xml->len > INT32_MAX)
		return EBADMSG;
	pthread_once(&qr_xml_once, qr_xml_init);
	doc = xmlReadMemory((const char *)xml->p, (int)xml->len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL ||
	    (root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return EBADMSG;
	}
	buf_init(&w->link, QR_PATH_MAX);
	buf_init(&w->path, QR_PATH_MAX);
	w->err = 0;
	arr = want_json ? json_array() : NULL;
	if ((w->err = qr_step(&w->link, root, 0)) == 0 &&
	    (w->err = qr_step(&w->path, root, 0)) == 0)
		qr_children(w, root, 0, arr);
	xmlFreeDoc(doc);
	buf_free(&w->link);
	buf_free(&w->path);
	if (w->err == ENAMETOOLONG) /* a path past 4 KiB: not a form's */
		err = EBADMSG;
	else
		err = w->err;
	if (err == 0 && arr != NULL && json_array_size(arr) > 0) {
		*items = arr;
		arr = NULL;
	}
	json_decref(arr);
	return err;
}

static json_t *
fhir_form(struct xport *x, const struct xgroup *g, struct xport_summary *sum)
{
	const char *st = gtext(g, REC_FORM_STATUS), *p, *form, *ver, *inst;
	struct qr_walk w;
	char q[256];
	json_t *o, *items;

	o = json_pack("{s:s,s:s,s:s}", "resourceType", "QuestionnaireResponse",
	    "id", g->id, "status",
	    st != NULL && strcmp(st, "final") == 0 ? "completed"
	                                           : "in-progress");
	if ((form = gtext(g, REC_FORM_FORMID)) != NULL) {
		ver = gtext(g, REC_FORM_VERSION);
		snprintf(q, sizeof(q), "urn:outpost:form:%s%s%s", form,
		    ver ? "|" : "", ver ? ver : "");
		json_object_set_new(o, "questionnaire", json_string(q));
	}
	if ((inst = gtext(g, REC_FORM_INSTANCE)) != NULL)
		json_object_set_new(o, "identifier",
		    json_pack("{s:s,s:s}", "system",
		        "urn:outpost:form-instance", "value", inst));
	if ((p = gtext(g, REC_FORM_PATIENT)) != NULL && held(x, REC_PATIENT, p))
		json_object_set_new(o, "subject", ref("Patient", p));
	if ((p = gtext(g, REC_FORM_ENCOUNTER)) != NULL &&
	    held(x, REC_ENCOUNTER, p))
		json_object_set_new(o, "encounter", ref("Encounter", p));
	set_instant(o, "authored", HLC_MS(g->rec[0].hlc));
	memset(&w, 0, sizeof(w));
	if (qr_walk(g, &w, 1, &items) == EBADMSG)
		sum->malformed++;
	if (items != NULL)
		json_object_set_new(o, "item", items);
	return o;
}

static json_t *
fhir_flag(struct xport *x, const struct xgroup *g)
{
	const char *p = gtext(g, REC_ALERT_PATIENT), *kind, *detail;
	uint64_t acked = guint(g, REC_ALERT_ACKED);
	json_t *o, *code, *period;

	if (p == NULL || !held(x, REC_PATIENT, p))
		return NULL; /* subject is 1..1 */
	kind = gtext(g, REC_ALERT_KIND);
	detail = gtext(g, REC_ALERT_DETAIL);
	code = json_pack("{s:[{s:s,s:s}]}", "coding", "system",
	    "urn:outpost:alert-kind", "code", kind ? kind : "unknown");
	set_text(code, "text", detail);
	o = json_pack("{s:s,s:s,s:s,s:[{s:[{s:s,s:s}]}],s:o,s:o}",
	    "resourceType", "Flag", "id", g->id, "status",
	    acked ? "inactive" : "active", "category", "coding", "system",
	    "http://terminology.hl7.org/CodeSystem/flag-category", "code",
	    "clinical", "code", code, "subject", ref("Patient", p));
	period = json_object();
	set_instant(period, "start", guint(g, REC_ALERT_RAISED));
	set_instant(period, "end", acked);
	if (json_object_size(period) > 0)
		json_object_set_new(o, "period", period);
	else
		json_decref(period);
	if ((p = gtext(g, REC_ALERT_ENCOUNTER)) != NULL &&
	    held(x, REC_ENCOUNTER, p))
		json_object_set_new(o, "encounter", ref("Encounter", p));
	return o;
}

static json_t *
fhir_practitioner(const struct xgroup *g)
{
	const char *name = gtext(g, REC_USER_NAME), *regno;
	json_t *o;

	o = json_pack("{s:s,s:s}", "resourceType", "Practitioner", "id", g->id);
	if (name != NULL)
		json_object_set_new(
		    o, "name", json_pack("[{s:s}]", "text", name));
	if ((regno = gtext(g, REC_USER_REGNO)) != NULL)
		json_object_set_new(o, "identifier",
		    json_pack("[{s:s,s:s}]", "system",
		        "urn:outpost:registration-number", "value", regno));
	return o;
}

/* The status of order G after the cancel and stop facts naming it. */
static const char *
rx_status(struct xport *x, const struct xgroup *g)
{
	const char *st = "active";
	struct xgroup h;
	size_t i;

	for (i = 0; i < x->nr; i++) {
		const char *act, *order;

		if (x->r[i].entity != REC_PRESCRIPTION || x->r[i].deleted)
			continue;
		if (group_load(x, &x->r[i], &h) == 0 &&
		    (act = gtext(&h, REC_RX_ACTION)) != NULL &&
		    (order = gtext(&h, REC_RX_ORDER)) != NULL &&
		    strcmp(order, g->id) == 0) {
			if (strcmp(act, "cancel") == 0)
				st = "cancelled";
			else if (strcmp(act, "stop") == 0 &&
			    strcmp(st, "cancelled") != 0)
				st = "stopped";
		}
		group_clear(&h);
	}
	return st;
}

static json_t *
fhir_medication_request(struct xport *x, const struct xgroup *g)
{
	const char *p = gtext(g, REC_RX_PATIENT), *act, *code, *v;
	char sys[96], text[256];
	json_t *o, *med, *dose, *timing, *repeat;
	const struct model_value *dv;
	uint64_t n;

	act = gtext(g, REC_RX_ACTION);
	if (act == NULL || strcmp(act, "order") != 0)
		return NULL; /* a cancel or stop moves its order's status */
	if (p == NULL || !held(x, REC_PATIENT, p))
		return NULL;
	code = gtext(g, REC_RX_CODE);
	snprintf(sys, sizeof(sys), "urn:outpost:formulary:%s",
	    gtext(g, REC_RX_REGION) ? gtext(g, REC_RX_REGION) : "unknown");
	snprintf(text, sizeof(text), "%s%s%s%s%s",
	    gtext(g, REC_RX_INN) ? gtext(g, REC_RX_INN) : (code ? code : "?"),
	    gtext(g, REC_RX_STRENGTH) ? " " : "",
	    gtext(g, REC_RX_STRENGTH) ? gtext(g, REC_RX_STRENGTH) : "",
	    gtext(g, REC_RX_FORM) ? " " : "",
	    gtext(g, REC_RX_FORM) ? gtext(g, REC_RX_FORM) : "");
	med = json_pack("{s:s}", "text", text);
	if (code != NULL)
		json_object_set_new(med, "coding",
		    json_pack("[{s:s,s:s}]", "system", sys, "code", code));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "resourceType",
	    "MedicationRequest", "id", g->id, "status", rx_status(x, g),
	    "intent", "order", "medicationCodeableConcept", med, "subject",
	    ref("Patient", p));
	if ((v = gtext(g, REC_RX_ENCOUNTER)) != NULL &&
	    held(x, REC_ENCOUNTER, v))
		json_object_set_new(o, "encounter", ref("Encounter", v));
	set_instant(o, "authoredOn", guint(g, REC_RX_SIGNED));
	if ((v = gtext(g, REC_RX_CLINICIAN)) != NULL && held(x, REC_USER, v))
		json_object_set_new(o, "requester", ref("Practitioner", v));
	dose = json_object();
	repeat = json_object();
	if ((n = guint(g, REC_RX_PER_DAY)) != 0) {
		json_object_set_new(
		    repeat, "frequency", json_integer((json_int_t)n));
		json_object_set_new(repeat, "period", json_integer(1));
		json_object_set_new(repeat, "periodUnit", json_string("d"));
	}
	if ((n = guint(g, REC_RX_DAYS)) != 0)
		json_object_set_new(repeat, "boundsDuration",
		    json_pack("{s:I,s:s,s:s,s:s}", "value", (json_int_t)n,
		        "unit", "d", "system", UCUM, "code", "d"));
	timing = json_pack("{s:o}", "repeat", repeat);
	json_object_set_new(dose, "timing", timing);
	if ((v = gtext(g, REC_RX_ROUTE)) != NULL)
		json_object_set_new(dose, "route", text_concept(v));
	if ((dv = gv(g, REC_RX_DOSE)) != NULL) {
		json_t *q = json_pack("{s:f}", "value", dv->d);

		set_text(q, "unit", gtext(g, REC_RX_UNIT));
		json_object_set_new(dose, "doseAndRate",
		    json_pack("[{s:o}]", "doseQuantity", q));
	}
	set_text(dose, "text", gtext(g, REC_RX_NOTE));
	json_object_set_new(o, "dosageInstruction", json_pack("[o]", dose));
	return o;
}

static json_t *
fhir_appointment(struct xport *x, const struct xgroup *g)
{
	const char *p = gtext(g, REC_APPT_PATIENT), *st, *cl, *why;
	const char *fst;
	json_t *o, *parts;

	if (p == NULL || !held(x, REC_PATIENT, p))
		return NULL;
	st = gtext(g, REC_APPT_STATUS);
	fst = st == NULL                    ? "proposed"
	    : strcmp(st, "booked") == 0     ? "booked"
	    : strcmp(st, "checked-in") == 0 ? "checked-in"
	    : strcmp(st, "cancelled") == 0 || strcmp(st, "refused") == 0
	    ? "cancelled"
	    : "proposed";
	parts = json_pack(
	    "[{s:o,s:s}]", "actor", ref("Patient", p), "status", "accepted");
	if ((cl = gtext(g, REC_APPT_CLINICIAN)) != NULL) {
		if (held(x, REC_USER, cl))
			json_array_append_new(parts,
			    json_pack("{s:o,s:s}", "actor",
			        ref("Practitioner", cl), "status", "accepted"));
		else
			json_array_append_new(parts,
			    json_pack("{s:[{s:s}],s:{s:s},s:s}", "type", "text",
			        "clinician", "actor", "display", cl, "status",
			        "accepted"));
	}
	o = json_pack("{s:s,s:s,s:s,s:o}", "resourceType", "Appointment", "id",
	    g->id, "status", fst, "participant", parts);
	set_instant(o, "start", guint(g, REC_APPT_START));
	set_instant(o, "end", guint(g, REC_APPT_END));
	if (st != NULL && strcmp(st, "refused") == 0)
		json_object_set_new(
		    o, "cancelationReason", text_concept("refused"));
	else if ((why = gtext(g, REC_APPT_CANCEL_REASON)) != NULL &&
	    strcmp(fst, "cancelled") == 0)
		json_object_set_new(o, "cancelationReason", text_concept(why));
	return o;
}

/* The resource types, in file order. */
enum {
	F_PATIENT,
	F_PRACTITIONER,
	F_ENCOUNTER,
	F_OBSERVATION,
	F_DEVICE,
	F_PROVENANCE,
	F_QR,
	F_FLAG,
	F_MEDREQ,
	F_SERVICEREQ,
	F_TASK,
	F_APPOINTMENT,
	F_COUNT,
};

static const char *const fhir_types[F_COUNT] = { "Patient", "Practitioner",
	"Encounter", "Observation", "Device", "Provenance",
	"QuestionnaireResponse", "Flag", "MedicationRequest", "ServiceRequest",
	"Task", "Appointment" };

struct fout {
	struct buf b[F_COUNT];
	uint64_t *resources;
	/* Device ids written (one resource per device) */
	char (*dev)[40];
	size_t ndev, capdev;
};

static int
emit(struct fout *fo, int type, json_t *o)
{
	char *s;
	int err;

	if (o == NULL)
		return 0;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return ENOMEM;
	err = buf_printf(&fo->b[type], "%s\n", s);
	free(s);
	(*fo->resources)++;
	return err;
}

static int
emit_device(struct fout *fo, json_t *dev)
{
	const char *id = json_string_value(json_object_get(dev, "id"));
	size_t i;

	for (i = 0; i < fo->ndev; i++)
		if (strcmp(fo->dev[i], id) == 0) {
			json_decref(dev);
			return 0;
		}
	if (fo->ndev == fo->capdev) {
		fo->capdev = fo->capdev ? fo->capdev * 2 : 16;
		fo->dev = xreallocarray(fo->dev, fo->capdev, sizeof(*fo->dev));
	}
	snprintf(fo->dev[fo->ndev++], 40, "%s", id);
	return emit(fo, F_DEVICE, dev);
}

/* The referrals: every fact of an included request, through the
 * referral module's mapper, split into lines. */
static int
fhir_referrals(struct xport *x, struct fout *fo, struct xport_summary *sum)
{
	struct rref_fact *f = NULL;
	struct xgroup g;
	struct buf b;
	json_t *bundle, *entries, *res, *e, *who;
	json_error_t jerr;
	size_t i, n = 0, k;
	const char *type, *reqr;
	struct model_rec *last;
	int err = 0, t;

	f = xcalloc(x->nr + 1, sizeof(*f));
	for (i = 0; i < x->nr; i++) {
		const char *req;

		if (x->r[i].entity != REC_REFERRAL || x->r[i].deleted)
			continue;
		if (group_load(x, &x->r[i], &g) != 0) {
			group_clear(&g);
			continue;
		}
		req = gtext(&g, REC_REF_REFERRAL);
		last = &g.rec[g.n - 1];
		if (req != NULL && held(x, REC_REFERRAL, req) &&
		    rref_fact_read(last, &f[n]) == 0)
			n++;
		group_clear(&g);
	}
	buf_init(&b, (size_t)1 << 30);
	if (n == 0 || (err = rref_fhir_bundle(f, n, &b)) != 0 ||
	    (err = buf_append_byte(&b, '\0')) != 0)
		goto out;
	if ((bundle = json_loads((const char *)b.data, 0, &jerr)) == NULL) {
		err = EBADMSG;
		goto out;
	}
	entries = json_object_get(bundle, "entry");
	json_array_foreach(entries, k, e)
	{
		res = json_object_get(e, "resource");
		type = json_string_value(json_object_get(res, "resourceType"));
		if (type == NULL)
			continue;
		t = strcmp(type, "ServiceRequest") == 0 ? F_SERVICEREQ
		    : strcmp(type, "Task") == 0         ? F_TASK
		                                        : -1;
		if (t < 0)
			continue;
		/* its patient (1..1 on a ServiceRequest) must be held */
		who = json_object_get(res, t == F_TASK ? "for" : "subject");
		reqr = json_string_value(json_object_get(who, "reference"));
		if (reqr == NULL || strncmp(reqr, "Patient/", 8) != 0 ||
		    !held(x, REC_PATIENT, reqr + 8)) {
			/* counted once per referral */
			sum->skipped += t == F_SERVICEREQ;
			continue;
		}
		/* a requester the export does not hold is left out */
		who = json_object_get(res, "requester");
		reqr = json_string_value(json_object_get(who, "reference"));
		if (reqr != NULL && strncmp(reqr, "Practitioner/", 13) == 0 &&
		    !held(x, REC_USER, reqr + 13))
			json_object_del(res, "requester");
		json_incref(res);
		if ((err = emit(fo, t, res)) != 0)
			break;
	}
	json_decref(bundle);
out:
	buf_free(&b);
	free(f);
	return err;
}

static int
fhir_run(struct xport *x, size_t max, xport_file_cb cb, void *arg,
    struct xport_summary *sum)
{
	struct fout fo;
	struct xgroup g;
	json_t *o, *dev, *prov;
	char name[64];
	size_t i;
	int t, err = 0;

	memset(&fo, 0, sizeof(fo));
	fo.resources = &sum->resources;
	for (t = 0; t < F_COUNT; t++)
		buf_init(&fo.b[t], max);
	for (i = 0; i < x->nr && err == 0; i++) {
		if (!x->r[i].include || x->r[i].entity == REC_REFERRAL)
			continue;
		if (group_load(x, &x->r[i], &g) != 0) {
			group_clear(&g);
			continue;
		}
		o = NULL;
		t = -1;
		switch (x->r[i].entity) {
		case REC_PATIENT:
			o = fhir_patient(x, &g);
			t = F_PATIENT;
			break;
		case REC_USER:
			o = fhir_practitioner(&g);
			t = F_PRACTITIONER;
			break;
		case REC_ENCOUNTER:
			o = fhir_encounter(x, &g);
			t = F_ENCOUNTER;
			break;
		case REC_OBSERVATION:
			o = fhir_observation(x, &g, &dev, &prov);
			t = F_OBSERVATION;
			if (dev != NULL && (err = emit_device(&fo, dev)) == 0)
				err = emit(&fo, F_PROVENANCE, prov);
			else if (prov != NULL)
				json_decref(prov);
			break;
		case REC_FORM:
			o = fhir_form(x, &g, sum);
			t = F_QR;
			break;
		case REC_ALERT:
			o = fhir_flag(x, &g);
			t = F_FLAG;
			sum->skipped += o == NULL;
			break;
		case REC_PRESCRIPTION: {
			const char *act = gtext(&g, REC_RX_ACTION);

			o = fhir_medication_request(x, &g);
			t = F_MEDREQ;
			sum->skipped += o == NULL && act != NULL &&
			    strcmp(act, "order") == 0;
			break;
		}
		case REC_APPOINTMENT:
			o = fhir_appointment(x, &g);
			t = F_APPOINTMENT;
			sum->skipped += o == NULL;
			break;
		default:
			break;
		}
		if (err == 0 && t >= 0)
			err = emit(&fo, t, o);
		else if (o != NULL)
			json_decref(o);
		group_clear(&g);
	}
	if (err == 0)
		err = fhir_referrals(x, &fo, sum);
	for (t = 0; t < F_COUNT && err == 0; t++) {
		if (fo.b[t].len == 0)
			continue;
		snprintf(name, sizeof(name), "%s.ndjson", fhir_types[t]);
		if ((err = cb(arg, name, &fo.b[t])) == 0)
			sum->files++;
	}
	for (t = 0; t < F_COUNT; t++)
		buf_free(&fo.b[t]);
	free(fo.dev);
	return err;
}

/* --- CSV --- */

/* One RFC 4180 field. */
static int
csv_field(struct buf *b, const char *s, size_t len, int first)
{
	size_t i;
	int err, quote = 0;

	if (!first && (err = buf_append_byte(b, ',')) != 0)
		return err;
	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = 1;
	if (!quote)
		return buf_append(b, s, len);
	if ((err = buf_append_byte(b, '"')) != 0)
		return err;
	for (i = 0; i < len; i++) {
		if (s[i] == '"' && (err = buf_append_byte(b, '"')) != 0)
			return err;
		if ((err = buf_append_byte(b, (uint8_t)s[i])) != 0)
			return err;
	}
	return buf_append_byte(b, '"');
}

static int
csv_str(struct buf *b, const char *s, int first)
{
	return csv_field(b, s, strlen(s), first);
}

static int
csv_value(
    struct buf *b, const struct model_field *fd, const struct model_value *v)
{
	char num[48], *hex;
	int err;

	if (v == NULL)
		return csv_str(b, "", 0);
	switch (fd->type) {
	case MODEL_TEXT:
	case MODEL_UUID:
		return csv_str(b, v->text ? v->text : "", 0);
	case MODEL_UINT:
		snprintf(num, sizeof(num), "%" PRIu64, v->u);
		break;
	case MODEL_INT:
	case MODEL_BOOL:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		break;
	case MODEL_DOUBLE:
		snprintf(num, sizeof(num), "%.17g", v->d);
		break;
	default: /* bytes and embedded CBOR: hex */
		hex = hex_encode(v->p, v->len);
		err = csv_str(b, hex, 0);
		free(hex);
		return err;
	}
	return csv_str(b, num, 0);
}

static int
csv_run(struct xport *x, size_t max, xport_file_cb cb, void *arg,
    struct xport_summary *sum)
{
	const struct model_entity *e;
	struct xgroup g;
	struct buf b;
	char name[64], num[32];
	size_t i, k;
	int ent, err = 0, rows;

	for (ent = 1; ent <= REC_ENTITY_MAX && err == 0; ent++) {
		if ((e = model_entity(ent)) == NULL)
			continue;
		buf_init(&b, max);
		rows = 0;
		err = csv_str(&b, "id", 1);
		err = err ? err : csv_str(&b, "hlc", 0);
		err = err ? err : csv_str(&b, "origin_node", 0);
		for (k = 0; k < e->nfields && err == 0; k++)
			err = csv_str(&b, e->fields[k].col, 0);
		err = err ? err : buf_append(&b, "\r\n", 2);
		for (i = 0; i < x->nr && err == 0; i++) {
			const struct xrec *r = &x->r[i];

			if (r->entity != ent || !r->include)
				continue;
			if (group_load(x, r, &g) != 0) {
				group_clear(&g);
				continue;
			}
			err = csv_str(&b, g.id, 1);
			snprintf(
			    num, sizeof(num), "%" PRIu64, g.rec[g.n - 1].hlc);
			err = err ? err : csv_str(&b, num, 0);
			snprintf(num, sizeof(num), "%" PRIu64,
			    x->c[r->first + r->n - 1].origin);
			err = err ? err : csv_str(&b, num, 0);
			for (k = 0; k < e->nfields && err == 0; k++)
				err = csv_value(&b, &e->fields[k],
				    gv(&g, e->fields[k].key));
			err = err ? err : buf_append(&b, "\r\n", 2);
			group_clear(&g);
			rows++;
		}
		if (err == 0 && rows > 0) {
			snprintf(
			    name, sizeof(name), "%s.csv", rec_entity_name(ent));
			if ((err = cb(arg, name, &b)) == 0) {
				sum->files++;
				sum->rows += (uint64_t)rows;
			}
		}
		buf_free(&b);
	}
	return err;
}

/* form_answer.csv: a row per answer of every form in the export (the
 * walk of fhir_form's items); COUNT: count the instances that do not
 * parse (when the FHIR run has not). */
static int
csv_answers(struct xport *x, size_t max, xport_file_cb cb, void *arg,
    struct xport_summary *sum, int count)
{
	struct qr_walk w;
	struct xgroup g;
	struct buf b;
	json_t *items;
	uint64_t rows;
	size_t i, mark;
	int err;

	buf_init(&b, max);
	err = csv_str(&b, "form_submission_id", 1);
	err = err ? err : csv_str(&b, "form_id", 0);
	err = err ? err : csv_str(&b, "path", 0);
	err = err ? err : csv_str(&b, "link_id", 0);
	err = err ? err : csv_str(&b, "value", 0);
	err = err ? err : buf_append(&b, "\r\n", 2);
	memset(&w, 0, sizeof(w));
	w.csv = &b;
	for (i = 0; i < x->nr && err == 0; i++) {
		if (x->r[i].entity != REC_FORM || !x->r[i].include)
			continue;
		if (group_load(x, &x->r[i], &g) == 0) {
			w.sub = g.id;
			w.form = gtext(&g, REC_FORM_FORMID) != NULL
			    ? gtext(&g, REC_FORM_FORMID)
			    : "";
			mark = b.len;
			rows = w.rows;
			err = qr_walk(&g, &w, 0, &items);
			if (err == EBADMSG || err == ENOENT) {
				/* no rows of an instance that did not parse */
				sum->malformed += count && err == EBADMSG;
				b.len = mark;
				w.rows = rows;
				err = 0;
			}
		}
		group_clear(&g);
	}
	if (err == 0 && w.rows > 0 &&
	    (err = cb(arg, "form_answer.csv", &b)) == 0) {
		sum->files++;
		sum->rows += w.rows;
	}
	buf_free(&b);
	return err;
}

int
xport_run(struct xport *x, uint64_t from_ms, uint64_t to_ms, int formats,
    size_t max_bytes, xport_file_cb cb, void *arg, struct xport_summary *sum)
{
	struct xport_summary local;
	int err;

	if (sum == NULL)
		sum = &local;
	memset(sum, 0, sizeof(*sum));
	sum->changes = x->nc;
	if ((err = index_build(x, from_ms, to_ms, sum)) != 0)
		return err;
	if ((formats & XPORT_FHIR) &&
	    (err = fhir_run(x, max_bytes, cb, arg, sum)) != 0)
		return err;
	if ((formats & XPORT_CSV) &&
	    ((err = csv_run(x, max_bytes, cb, arg, sum)) != 0 ||
	        (err = csv_answers(x, max_bytes, cb, arg, sum,
	             !(formats & XPORT_FHIR))) != 0))
		return err;
	return 0;
}
