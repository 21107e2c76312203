/*
 * kiosk seed: realistic synthetic data for demos, tests and benchmarks.
 * Names common in East and West Africa, an age mix like a rural catchment
 * (many children, few elderly), vitals drawn from plausible distributions
 * per age, and a few sick patients whose readings are red flags (NEWS2
 * scored with clinical/triage.c; red flags raise alerts).  Most visits
 * (four in five) also have a form submission, as a real day has: the
 * adult consult (forms/xforms/adult_consult.xml) with the CHW's short
 * clinical note in its assessment and plan, or, for a child under five,
 * the danger-signs form.  Deterministic for a given --seed (the record
 * ids aside).  Nothing here is a real person.
 */
#define LOG_MODULE "seed"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "hlc.h"
#include "kiosk/kctx.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "clinical/triage.h"
#include "uuid.h"
#include "xmalloc.h"

extern const struct kiosk_cmd cmd_seed;

static const char *const given_f[] = { "Amina", "Wanjiru", "Fatuma", "Akosua",
	"Chidinma", "Grace", "Mercy", "Zawadi", "Halima", "Esi", "Aisha",
	"Nyambura", "Adaeze", "Rehema", "Mariam", "Abena", "Faith", "Neema",
	"Ngozi", "Salma" };
static const char *const given_m[] = { "Baraka", "Kofi", "Juma", "Chinedu",
	"Otieno", "Musa", "Kwame", "Emeka", "Hassan", "Daniel", "Ibrahim",
	"Kamau", "Yaw", "Tunde", "Joseph", "Omondi", "Seydou", "Issa", "Peter",
	"Moses" };
static const char *const families[] = { "Mwangi", "Otieno", "Mensah", "Okafor",
	"Njoroge", "Abdullahi", "Achieng", "Boateng", "Kiprotich", "Diallo",
	"Wafula", "Nwosu", "Odhiambo", "Traore", "Kariuki", "Owusu", "Chebet",
	"Adeyemi", "Mutua", "Sow", "Wekesa", "Asante", "Kimani", "Onyango",
	"Bello" };
static const char *const villages[] = { "Kibera", "Mabatini", "Kisumu Ndogo",
	"Nyalenda", "Manyatta", "Obunga", "Bondo", "Siaya", "Ahero", "Kombewa",
	"Muhoroni", "Awasi" };
static const char *const reasons[] = { "fever", "cough", "antenatal visit",
	"follow-up", "diarrhoea", "headache", "wound dressing",
	"hypertension review", "diabetes review", "child growth check" };

static uint64_t seed_state;

static uint64_t
rnd(void)
{
	uint64_t z = (seed_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double
gauss(double mean, double sd)
{
	double u = unif(), v = unif();

	if (u < 1e-12)
		u = 1e-12;
	return mean + sd * sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static int
pick(size_t n)
{
	return (int)(rnd() % n);
}

static double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct seeded {
	char id[UUID_STRLEN + 1];
	int age;
	int female;
};

static int
seed_patient(struct store *s, int year, struct seeded *out)
{
	struct store_patient p = { 0 };
	char birth[32], phone[24], natid[16], *cause = NULL;
	double r = unif();
	int age, err;

	age = r < 0.3 ? pick(16) : r < 0.85 ? 16 + pick(45) : 60 + pick(30);
	out->female = pick(2);
	out->age = age;
	p.given = (char *)(out->female ? given_f[pick(nitems(given_f))]
	                               : given_m[pick(nitems(given_m))]);
	p.family = (char *)families[pick(nitems(families))];
	p.sex = (char *)(out->female ? "female" : "male");
	if (pick(5) == 0) /* old registers often hold a year only */
		snprintf(birth, sizeof(birth), "%04d", year - age);
	else
		snprintf(birth, sizeof(birth), "%04d-%02d-%02d", year - age - 1,
		    1 + pick(12), 1 + pick(28));
	p.birth_date = birth;
	if (unif() < 0.7) {
		snprintf(phone, sizeof(phone), "+2547%08d",
		    (int)(rnd() % 100000000));
		p.phone = phone;
	}
	p.village = (char *)villages[pick(nitems(villages))];
	if (age >= 18 && unif() < 0.6) {
		snprintf(
		    natid, sizeof(natid), "%08d", (int)(rnd() % 100000000));
		p.national_id = natid;
	}
	err = store_patient_add(s, &p, NULL, &cause);
	if (err != 0)
		fprintf(stderr, "kiosk: seed patient: %s\n",
		    cause ? cause : strerror(err));
	free(cause);
	memcpy(out->id, p.id, sizeof(out->id));
	return err;
}

static const char *const symptoms[] = { "fever", "cough", "headache",
	"fever cough", "diarrhoea vomiting", "abdominal_pain", "rash",
	"fever headache" };
static const char *const notes[][3] = {
	{ "Fever 3 days, no danger signs.", "Malaria suspected.",
	    "RDT; paracetamol; review 3 days." },
	{ "Dry cough, chest clear.", "Upper respiratory infection.",
	    "Fluids, rest; return if breathless." },
	{ "Loose stools, drinking well.", "Gastroenteritis, no dehydration.",
	    "ORS and zinc; review 2 days." },
	{ "Headache, BP noted.", "Tension headache.",
	    "Paracetamol; BP check next visit." },
	{ "Itchy rash on arms.", "Contact dermatitis.",
	    "Calamine; avoid irritant." },
};

/* ISO 8601 (UTC, seconds) of MS. */
static void
iso_ms(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The visit's form submission, as form_finalize would have made it. */
static int
seed_form(struct store *s, const struct seeded *pt,
    const struct store_encounter *e, int sick)
{
	struct uuid u;
	char iid[UUID_STRLEN + 6], t0[32], t1[32], fu[32], *xml = NULL;
	const char *const *n = notes[sick ? 0 : pick(nitems(notes))];
	int err;

	uuid_v7(&u);
	memcpy(iid, "uuid:", 5);
	uuid_format(&u, iid + 5);
	iso_ms(e->started_ms + 60000, t0);
	iso_ms(e->ended_ms - 60000, t1);
	iso_ms(e->started_ms + 3ull * 86400000, fu);
	fu[10] = '\0';
	if (pt->age < 5) {
		int signs = sick && pick(2) == 0;

		xasprintf(&xml,
		    "<data id=\"outpost_child_danger_signs\""
		    " version=\"2026112802\"><age_months>%d</age_months>"
		    "<signs><unable_to_drink>%s</unable_to_drink>"
		    "<vomits_everything>no</vomits_everything>"
		    "<convulsions>no</convulsions><lethargic>%s</lethargic>"
		    "<convulsing_now>no</convulsing_now></signs>"
		    "<danger_count>%d</danger_count><danger>%s</danger>"
		    "<urgent_note/><referral_advised>%s</referral_advised>"
		    "<no_danger_note/><meta><instanceID>%s</instanceID>"
		    "<timeStart>%s</timeStart><timeEnd>%s</timeEnd>"
		    "<deviceID>outpost:seed</deviceID><userID>chw</userID>"
		    "</meta></data>",
		    pt->age * 12 + pick(12), signs ? "yes" : "no",
		    signs ? "yes" : "no", signs ? 2 : 0, signs ? "1" : "0",
		    signs ? "yes" : "no", iid, t0, t1);
		err = store_form_submit(s, iid, "outpost_child_danger_signs",
		    "2026112802", e->id, pt->id, xml);
	} else {
		const char *sy =
		    sick ? "fever" : symptoms[pick(nitems(symptoms))];

		xasprintf(&xml,
		    "<data id=\"outpost_adult_consult\" version=\"2026112801\">"
		    "<complaint>%s</complaint><duration_days>%d</duration_days>"
		    "<symptoms>%s</symptoms><symptoms_other/><history>%s"
		    "</history><allergies>none</allergies><allergy_details/>"
		    "<medications/><examination/><assessment>%s</assessment>"
		    "<plan>%s</plan><treatment/><follow_up_date>%s"
		    "</follow_up_date><refer_note/><symptom_count>%d"
		    "</symptom_count><signed>yes</signed><meta><instanceID>%s"
		    "</instanceID><timeStart>%s</timeStart><timeEnd>%s"
		    "</timeEnd><deviceID>outpost:seed</deviceID><userID>chw"
		    "</userID></meta></data>",
		    e->reason, 1 + pick(7), sy, n[0], n[1], n[2], fu,
		    1 + (strchr(sy, ' ') != NULL), iid, t0, t1);
		err = store_form_submit(s, iid, "outpost_adult_consult",
		    "2026112801", e->id, pt->id, xml);
	}
	free(xml);
	return err;
}

static int
seed_encounter(
    struct store *s, const struct seeded *pt, uint64_t when, int *red)
{
	struct store_encounter e = { 0 };
	struct store_obs o[7];
	struct news2_input in = { 0 };
	struct news2_result res;
	const char *cause;
	char aid[UUID_STRLEN + 1], detail[160];
	int sick = unif() < 0.06, child = pt->age < 16, err;
	double rr, spo2, pulse, sbp, dbp, temp, weight;

	rr = child ? gauss(26, 5) : gauss(16, 2.5);
	spo2 = clampd(gauss(97.5, 1.2), 90, 100);
	pulse = child ? gauss(110, 15) : gauss(78, 11);
	sbp = child ? gauss(100, 8) : gauss(124 + pt->age / 4.0, 15);
	dbp = sbp * gauss(0.64, 0.05);
	temp = gauss(36.8, 0.35);
	weight = child ? 3.5 + pt->age * 2.6 + gauss(0, 1.5)
	               : gauss(pt->female ? 62 : 70, 10);
	if (sick) { /* sepsis/pneumonia picture */
		rr = gauss(27, 3);
		spo2 = clampd(gauss(89, 3), 75, 96);
		pulse = gauss(122, 10);
		sbp = gauss(92, 8);
		dbp = sbp * 0.6;
		temp = gauss(39.3, 0.4);
	}
	rr = round(clampd(rr, 6, 60));
	pulse = round(clampd(pulse, 35, 200));
	sbp = round(clampd(sbp, 60, 230));
	dbp = round(clampd(dbp, 35, sbp - 10));
	temp = round(clampd(temp, 34.5, 41.5) * 10) / 10;
	weight = round(clampd(weight, 2.5, 140) * 10) / 10;
	spo2 = round(spo2);
	memset(o, 0, sizeof(o));
	o[0] = (struct store_obs){
		.loinc = "9279-1", .value = rr, .unit = "/min"
	};
	o[1] = (struct store_obs){ .loinc = "59408-5",
		.value = spo2,
		.unit = "%",
		.device_id = "virtual:seed" };
	o[2] = (struct store_obs){ .loinc = "8867-4",
		.value = pulse,
		.unit = "/min",
		.device_id = "virtual:seed" };
	o[3] = (struct store_obs){ .loinc = "8480-6",
		.value = sbp,
		.unit = "mm[Hg]",
		.panel = "85354-9" };
	o[4] = (struct store_obs){ .loinc = "8462-4",
		.value = dbp,
		.unit = "mm[Hg]",
		.panel = "85354-9" };
	o[5] = (struct store_obs){
		.loinc = "8310-5", .value = temp, .unit = "Cel"
	};
	o[6] = (struct store_obs){
		.loinc = "29463-7", .value = weight, .unit = "kg"
	};
	snprintf(e.patient_id, sizeof(e.patient_id), "%s", pt->id);
	e.reason = (char *)(sick ? "fever" : reasons[pick(nitems(reasons))]);
	e.status = (char *)"closed";
	e.started_ms = when;
	e.ended_ms = when + 600000 + (uint64_t)pick(900000);
	if ((err = store_encounter_save(s, &e, o, nitems(o))) != 0)
		return err;
	if (unif() < 0.8 && (err = seed_form(s, pt, &e, sick)) != 0)
		return err;
	in.have = NEWS2_HAVE_ALL;
	in.rr = (int)rr;
	in.spo2 = (int)spo2;
	in.sbp = (int)sbp;
	in.pulse = (int)pulse;
	in.acvpu = sick && pick(3) == 0 ? TRIAGE_CONFUSION : TRIAGE_ALERT;
	in.temp = temp;
	in.age = pt->age;
	if (news2_score(&in, &res, &cause) == 0 && res.applicable &&
	    res.red_flag) {
		news2_describe(&res, detail, sizeof(detail));
		if ((err = store_alert_raise(s, pt->id, e.id, "news2",
		         res.score, detail, aid)) != 0)
			return err;
		(*red)++;
	}
	return 0;
}

static int
seed_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--patients", 1, NULL },
		{ "--encounters", 1, NULL }, { "--seed", 1, NULL } };
	struct seeded *pts = NULL;
	long long np, ne, sd;
	uint64_t now = hlc_wall_ms(), when;
	time_t t = time(NULL);
	struct tm tm;
	int err = 0, red = 0;
	long long i;

	if (cmd_opt_parse(argc, argv, 1, opts, nitems(opts), NULL, 0, NULL) !=
	    0)
		return cmd_usage(&cmd_seed);
	if (cmd_opt_int(&opts[0], 1, 1000000, 100, &np) != 0 ||
	    cmd_opt_int(&opts[1], 0, 10000000, 0, &ne) != 0 ||
	    cmd_opt_int(&opts[2], 0, INT32_MAX, 1, &sd) != 0)
		return 2;
	if (kctx_open(ctx) != 0)
		return 1;
	seed_state = (uint64_t)sd * 0x2545f4914f6cdd1dull + 1;
	gmtime_r(&t, &tm);
	pts = xcalloc((size_t)np, sizeof(*pts));
	for (i = 0; i < np && err == 0; i++) {
		err = seed_patient(ctx->store, tm.tm_year + 1900, &pts[i]);
		if (i % 1000 == 999)
			fprintf(stderr, "\rpatients: %lld/%lld", i + 1, np);
	}
	for (i = 0; i < ne && err == 0; i++) {
		/* spread over the last 30 days, oldest first */
		when = now - 30ull * 86400000 +
		    (uint64_t)i * (30ull * 86400000 / (uint64_t)(ne + 1));
		err = seed_encounter(
		    ctx->store, &pts[pick((size_t)np)], when, &red);
		if (i % 1000 == 999)
			fprintf(stderr, "\rencounters: %lld/%lld", i + 1, ne);
	}
	if (np >= 1000 || ne >= 1000)
		fprintf(stderr, "\n");
	free(pts);
	if (err != 0) {
		fprintf(stderr,
		    "kiosk: seeding stopped: %s (what was saved "
		    "before stays)\n",
		    kctx_explain(err));
		return 1;
	}
	printf("Seeded %lld patients and %lld encounters (%d with red flags)\n",
	    np, ne, red);
	return 0;
}

const struct kiosk_cmd cmd_seed = {
	.name = "seed",
	.usage = "  seed [--patients N] [--encounters M] [--seed S]\n"
	         "      synthetic patients and encounters (vitals, a form for "
	         "most, a few red flags) for demos and tests\n",
	.run = seed_run,
};
