/*
 * Issued prescriptions (issue 14): every order issued through the kiosk
 * store carries the fields its region's checker requires, on the printed
 * sheet too (kiosk/tui/screen_rx.c), and its FHIR R4 MedicationRequest
 * (kiosk/cli/rx_fhir.c) parses back with libjansson and carries the
 * resource's required elements and the ones a teleconsult order needs.
 * Orders are drawn from the shipped formulary (clinical/formulary/IN.tsv)
 * with a fixed seed; OUTPOST_RX_ISSUED sets how many (default 40).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "clinical/rx.h"
#include "compat.h"
#include "crypto.h"
#include "kiosk/cli/escpos.h"
#include "kiosk/cli/rx_fhir.h"
#include "kiosk/store/licstore.h"
#include "kiosk/store/store_int.h"
#include "kiosk/tui/screen_rx.h"
#include "str.h"
#include "test.h"
#include "xmalloc.h"

/* The prescriber's practice address and contact in the region's licence
 * snapshot (put_licence). */
#define CLIN_ADDRESS "PHC Kothapalli, Nalgonda 508001"
#define CLIN_CONTACT "dr.sharma@phc.example.in"

struct fx {
	char *dir;
	struct store *s;
	struct rx_formulary f;
	char pat[UUID_STRLEN + 1], visit[UUID_STRLEN + 1];
	char consult[UUID_STRLEN + 1];
	struct store_user chw, doc;
};

static int
fx_open(struct fx *f)
{
	struct store_patient p = { 0 };
	struct store_consult_req q = { NULL, "fever", "video", 0, 1 };
	struct store_consult_note n = { "fever 3 days", "T 38.4",
		"malaria, uncomplicated", "treat", NULL };
	uint8_t key[32];
	char *cause = NULL;
	int err = 0;

	memset(f, 0, sizeof(*f));
	TEST_TRUE((f->dir = test_tmpdir("rxfhir")) != NULL);
	crypto_random(key, sizeof(key));
	TEST_ERR(store_open(f->dir, key, 1, &f->s));
	TEST_ERR(store_country_set(f->s, "IN"));
	TEST_ERR(store_rx_formulary(f->s, &f->f, &cause));
	TEST_ERR(store_user_add(f->s, "chw", STORE_ROLE_CHW, &f->chw));
	TEST_ERR(store_user_add(f->s, "doc", STORE_ROLE_CLINICIAN, &f->doc));
	p.given = (char *)"Ravi";
	p.family = (char *)"Sharma";
	p.sex = (char *)"male";
	p.birth_date = (char *)"1980-05-01";
	p.village = (char *)"Kothapalli";
	p.phone = (char *)"+919876543210";
	store_set_actor(f->s, f->chw.id);
	TEST_ERR(store_patient_add(f->s, &p, NULL, &cause));
	memcpy(f->pat, p.id, sizeof(f->pat));
	TEST_ERR(store_encounter_open(f->s, f->pat, "fever", f->visit));
	q.encounter_id = f->visit;
	TEST_ERR(store_consult_request(f->s, &q, f->consult, &cause));
	store_set_actor(f->s, f->doc.id);
	TEST_ERR(store_user_signkey(f->s, f->doc.id, "MCI-777"));
	TEST_ERR(store_consult_accept(f->s, f->consult, &cause));
	TEST_ERR(store_consult_note(f->s, f->consult, &n, &cause));
out:
	if (cause != NULL)
		fprintf(stderr, "  %s\n", cause);
	free(cause);
	return err;
}

static void
fx_close(struct fx *f)
{
	if (f->s != NULL)
		store_close(f->s);
	test_rmdir(f->dir);
	rx_formulary_free(&f->f);
	store_user_clear(&f->chw);
	store_user_clear(&f->doc);
}

static int
n_issued(void)
{
	const char *s = getenv("OUTPOST_RX_ISSUED");
	long long n;

	return s != NULL && str_to_ll(s, 1, 100000, &n) == 0 ? (int)n : 40;
}

/* The FHIR structure: required elements and the teleconsult ones. */
static int
check_fhir(const struct store_rx *x, const char *text)
{
	json_error_t e;
	json_t *j, *d, *v;
	int err = 0;

	j = json_loads(text, 0, &e);
	TEST_TRUE(j != NULL);
	TEST_STR(json_string_value(json_object_get(j, "resourceType")),
	    "MedicationRequest");
	TEST_STR(json_string_value(json_object_get(j, "status")), "active");
	TEST_STR(json_string_value(json_object_get(j, "intent")), "order");
	TEST_STR(json_string_value(json_object_get(
	             json_object_get(j, "medicationCodeableConcept"), "text")),
	    x->inn);
	v = json_object_get(json_object_get(j, "subject"), "reference");
	TEST_TRUE(json_is_string(v) &&
	    strcmp(json_string_value(v) + 8, x->patient_id) == 0);
	TEST_TRUE(json_is_string(json_object_get(j, "authoredOn")));
	v = json_object_get(json_object_get(j, "requester"), "identifier");
	TEST_STR(json_string_value(json_object_get(v, "value")), "MCI-777");
	TEST_STR(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "identifier"), 0), "value")),
	    x->id);
	d = json_array_get(json_object_get(j, "dosageInstruction"), 0);
	TEST_TRUE(d != NULL);
	TEST_EQ(json_integer_value(json_object_get(
	            json_object_get(json_object_get(d, "timing"), "repeat"),
	            "frequency")),
	    (json_int_t)x->per_day);
	TEST_STR(json_string_value(
	             json_object_get(json_object_get(d, "route"), "text")),
	    x->route);
	v = json_object_get(
	    json_array_get(json_object_get(d, "doseAndRate"), 0),
	    "doseQuantity");
	TEST_TRUE(json_real_value(json_object_get(v, "value")) == x->dose);
	TEST_EQ(json_integer_value(json_object_get(
	            json_object_get(json_object_get(j, "dispenseRequest"),
	                "expectedSupplyDuration"),
	            "value")),
	    (json_int_t)x->days);
out:
	json_decref(j);
	return err;
}

static int put_licence(struct store *s);

static int
test_issued(void)
{
	struct fx f;
	struct store_rx x;
	struct store_rx_new n;
	struct rx_sheet sheet;
	struct rx_sheet_buf sb;
	const struct rx_item *it;
	char id[UUID_STRLEN + 1], *cause = NULL, *text = NULL, *fj = NULL;
	const char *why;
	size_t tlen, k;
	FILE *mem;
	json_t *j;
	uint64_t rng = 0x14f1u;
	int i, total = n_issued(), issued = 0, err = 0;

	memset(&x, 0, sizeof(x));
	TEST_ERR(fx_open(&f));
	/* India's sheet needs the prescriber's address and contact: the
	 * region's licence snapshot brings them */
	TEST_ERR(put_licence(f.s));
	for (i = 0; issued < total && i < total * 50; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		it = &f.f.items[rng % f.f.n];
		/* an adult on a video first consult: list O and A, each
		 * at its usual dose (or 1 unit where there is none) */
		if (it->cls != RX_CLASS_O && it->cls != RX_CLASS_A)
			continue;
		memset(&n, 0, sizeof(n));
		n.consult_id = f.consult;
		n.code = it->code;
		n.route = it->routes;
		n.dose = it->dose_usual > 0 ? it->dose_usual : 1;
		n.per_day = 1;
		n.days = 1 + (unsigned)(rng % 10);
		n.note = "with water";
		n.override = "repeat course, checked"; /* duplicates */
		n.first = 1;
		free(cause);
		cause = NULL;
		if ((err = store_rx_issue(f.s, &f.f, &n, NULL, id, &cause)) !=
		    0) {
			fprintf(stderr, "  %s: %s\n", it->code, cause);
			goto out;
		}
		issued++;
		TEST_ERR(store_rx_get(f.s, id, &x));
		TEST_ERR(store_rx_verify(f.s, &x, &why));
		/* the region's fields, on the record and on the sheet */
		rx_sheet_of(&x, 1, &sheet, &sb);
		if ((why = rx_sheet_missing(&sheet)) != NULL)
			TEST_FAILED("%s lacks %s", it->code, why);
		TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
		err = rx_sheet_print(mem, &x, 1);
		fclose(mem);
		TEST_ERR(err);
		TEST_TRUE(strstr(text, "MCI-777") != NULL);
		TEST_TRUE(strstr(text, "Ravi Sharma") != NULL);
		TEST_TRUE(strstr(text, "malaria, uncomplicated") != NULL);
		TEST_TRUE(strstr(text, "teleconsultation") != NULL);
		TEST_TRUE(strstr(text, CLIN_ADDRESS) != NULL);
		TEST_TRUE(strstr(text, CLIN_CONTACT) != NULL);
		for (k = 0; x.inn[k]; k++)
			if (x.inn[k] >= 'a' && x.inn[k] <= 'z')
				x.inn[k] = (char)(x.inn[k] - 'a' + 'A');
		TEST_TRUE(strstr(text, x.inn) != NULL); /* in capitals */
		free(text);
		text = NULL;
		store_rx_clear(&x);
		/* the FHIR resource, dumped and parsed back */
		TEST_ERR(store_rx_get(f.s, id, &x));
		TEST_TRUE((j = rx_fhir_medication_request(&x)) != NULL);
		fj = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		TEST_TRUE(fj != NULL);
		TEST_ERR(check_fhir(&x, fj));
		free(fj);
		fj = NULL;
		store_rx_clear(&x);
	}
	fprintf(stderr,
	    "  %d orders issued, each with the region's fields and"
	    " a MedicationRequest\n",
	    issued);
	TEST_EQ(issued, total);
	/* a sheet without the registration number is not printed */
	TEST_ERR(store_rx_get(f.s, id, &x));
	free(x.regno);
	x.regno = NULL;
	TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
	TEST_EQ(rx_sheet_print(mem, &x, 1), EINVAL);
	fclose(mem);
	TEST_EQ(tlen, 0);
	/* a cancel is no MedicationRequest of its own */
	free(x.action);
	x.action = xstrdup("cancel");
	TEST_TRUE(rx_fhir_medication_request(&x) == NULL);
out:
	free(cause);
	free(text);
	free(fj);
	store_rx_clear(&x);
	fx_close(&f);
	return err;
}

/* The doctor's licence, as the region's snapshot on the kiosk lists it
 * (sealed by a server key, as a pull brings it), with the practice's
 * address and the doctor's contact. */
static int
put_licence(struct store *s)
{
	struct licence_set set = { 0 };
	struct licence l;
	uint8_t priv[32], pub[32], *env = NULL;
	int64_t now = (int64_t)time(NULL) * 1000, day = 86400000LL;
	size_t len = 0;
	int err;

	if ((err = crypto_ed25519_keygen(priv, pub)) != 0)
		return err;
	snprintf(set.region, sizeof(set.region), "IN");
	set.version = 1;
	set.issued = now - day;
	set.not_after = now + 7 * day;
	memset(&l, 0, sizeof(l));
	snprintf(l.regno, sizeof(l.regno), "MCI-777");
	snprintf(l.regulator, sizeof(l.regulator), "NMC");
	snprintf(l.cadre, sizeof(l.cadre), "MBBS");
	snprintf(l.juris, sizeof(l.juris), "IN");
	snprintf(l.address, sizeof(l.address), "%s", CLIN_ADDRESS);
	snprintf(l.contact, sizeof(l.contact), "%s", CLIN_CONTACT);
	l.scope = LIC_SCOPE_ALL;
	l.valid_from = now - 365 * day;
	l.valid_to = now + 365 * day;
	licence_set_add(&set, &l);
	err = licence_snapshot_seal(&set, priv, &env, &len);
	licence_set_clear(&set);
	if (err == 0)
		err = store_licence_put(s, env, len, pub, now);
	free(env);
	return err;
}

/*
 * The sheet of region IN carries every field India's Telemedicine
 * Practice Guidelines 2020 (Annexure 2, the prescription format) ask
 * for that the kiosk knows: the prescriber's name, qualification (from
 * the region's licence snapshot) and registration number; the date; the
 * patient's name, age, sex, address and contact; the diagnosis; the
 * medicine in capitals with strength, form, dose, frequency and
 * duration; the e-signature; the teleconsultation statement; and from
 * the snapshot the prescriber's practice address and contact.  Without a
 * snapshot naming the prescriber, India's sheet is refused (naming what
 * it lacks) and another region's says "-" for those fields.
 */
static int
test_sheet_in(void)
{
	static const char *const want[] = { "PRESCRIPTION",
		"Issued by teleconsultation",
		"Clinician: ", "Registration no.: MCI-777",
		"Qualification: MBBS, NMC", "Address: " CLIN_ADDRESS,
		"Contact: " CLIN_CONTACT, "Patient: Ravi Sharma", "Age: 4",
		"Sex: male", "Address: Kothapalli", "Contact: +919876543210",
		"Diagnosis: malaria, uncomplicated", "PARACETAMOL",
		"Take: ", "times a day", "5 days",
		"Signed: yes, signature checked" };
	struct fx f;
	struct store_rx x;
	struct store_rx_new n;
	struct rx_sheet sheet;
	struct rx_sheet_buf sb;
	char id[UUID_STRLEN + 1], *cause = NULL, *text = NULL;
	const char *why;
	size_t tlen, i;
	FILE *mem;
	int err = 0;

	memset(&x, 0, sizeof(x));
	TEST_ERR(fx_open(&f));
	memset(&n, 0, sizeof(n));
	n.consult_id = f.consult;
	n.code = "PCM500";
	n.route = "oral";
	n.dose = 500;
	n.per_day = 3;
	n.days = 5;
	n.first = 1;
	if ((err = store_rx_issue(f.s, &f.f, &n, NULL, id, &cause)) != 0) {
		fprintf(stderr, "  %s\n", cause ? cause : "?");
		goto out;
	}
	/* no snapshot: the qualification, the prescriber's address and
	 * contact are not known; India's sheet is not printed without the
	 * last two (the checker names the first), another region's says
	 * "-" for each */
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_TRUE(x.qualification == NULL);
	TEST_TRUE(x.clinician_address == NULL);
	TEST_TRUE(x.clinician_contact == NULL);
	rx_sheet_of(&x, 1, &sheet, &sb);
	TEST_STR(rx_sheet_missing(&sheet), "clinician_address");
	TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
	TEST_EQ(rx_sheet_print(mem, &x, 1), EINVAL);
	fclose(mem);
	TEST_EQ(tlen, 0);
	free(text);
	text = NULL;
	free(x.region);
	x.region = xstrdup("KE");
	TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
	err = rx_sheet_print(mem, &x, 1);
	fclose(mem);
	TEST_ERR(err);
	TEST_TRUE(strstr(text, "Qualification: -") != NULL);
	TEST_TRUE(strstr(text, "Address: -   Contact: -") != NULL);
	free(text);
	text = NULL;
	store_rx_clear(&x);
	/* with the region's snapshot: every field */
	TEST_ERR(put_licence(f.s));
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_ERR(store_rx_verify(f.s, &x, &why));
	TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
	err = rx_sheet_print(mem, &x, 1);
	fclose(mem);
	TEST_ERR(err);
	for (i = 0; i < nitems(want); i++)
		if (strstr(text, want[i]) == NULL)
			TEST_FAILED(
			    "the IN sheet lacks \"%s\":\n%s", want[i], text);
out:
	free(cause);
	free(text);
	store_rx_clear(&x);
	fx_close(&f);
	return err;
}

/*
 * Decode receipt R (N bytes) as an ESC/POS printer would: ESC @ first,
 * then printable ASCII and line feeds only, no line over COLS, then ESC
 * d n and GS V 66 0 (feed and cut) last.  The text goes to TEXT (its
 * lines joined by '\n'); -1 with WHY when R is not such a receipt.
 */
static int
escpos_decode(const uint8_t *r, size_t n, int cols, char *text, size_t size,
    const char **why)
{
	size_t i, at = 0, col = 0;

	if (n < 2 + 3 + 4 || r[0] != 0x1b || r[1] != 0x40)
		return *why = "no ESC @ first", -1;
	if (r[n - 7] != 0x1b || r[n - 6] != 0x64 || r[n - 4] != 0x1d ||
	    r[n - 3] != 0x56 || r[n - 2] != 66 || r[n - 1] != 0)
		return *why = "no feed and cut last", -1;
	for (i = 2; i < n - 7; i++) {
		if (r[i] == '\n')
			col = 0;
		else if (r[i] < 0x20 || r[i] >= 0x7f)
			return *why = "a byte that is not text", -1;
		else if (++col > (size_t)cols)
			return *why = "a line wider than the paper", -1;
		if (at + 1 < size)
			text[at++] = (char)r[i];
	}
	text[at] = '\0';
	return 0;
}

/*
 * `kiosk rx print ID --escpos DEVICE`'s receipt (escpos.h) of an IN
 * sheet, written to a file (no printer here) and decoded: initialised,
 * wrapped to 42 and to 32 columns, every field of the sheet there,
 * non-ASCII printed as '?', fed and cut.
 */
static int
test_escpos(void)
{
	static const char *const want[] = { "PRESCRIPTION", "MCI-777",
		"Ravi Sharma", "Kothapalli", CLIN_ADDRESS, CLIN_CONTACT,
		"PARACETAMOL", "500 mg", "5 days", "signature checked",
		"never more than four tablets in a day" };
	static const char odd[] = "Dose: 5 mg \xc3\xa0 jeun\n";
	struct fx f;
	struct store_rx x;
	struct store_rx_new n;
	char id[UUID_STRLEN + 1], *cause = NULL, *text = NULL, dec[4096];
	const char *why = "";
	uint8_t buf[8192];
	size_t tlen, blen, i;
	FILE *mem, *sink = NULL;
	int cols[2] = { ESCPOS_COLS, 32 }, c, err = 0;

	memset(&x, 0, sizeof(x));
	TEST_ERR(fx_open(&f));
	memset(&n, 0, sizeof(n));
	n.consult_id = f.consult;
	n.code = "PCM500";
	n.route = "oral";
	n.dose = 500;
	n.per_day = 3;
	n.days = 5;
	n.first = 1;
	n.note = "after food, with a full glass of water, never more than "
	         "four tablets in a day";
	if ((err = store_rx_issue(f.s, &f.f, &n, NULL, id, &cause)) != 0) {
		fprintf(stderr, "  %s\n", cause ? cause : "?");
		goto out;
	}
	TEST_ERR(put_licence(f.s));
	TEST_ERR(store_rx_get(f.s, id, &x));
	TEST_TRUE((mem = open_memstream(&text, &tlen)) != NULL);
	err = rx_sheet_print(mem, &x, 1);
	fclose(mem);
	TEST_ERR(err);
	for (c = 0; c < 2; c++) {
		TEST_TRUE((sink = tmpfile()) != NULL);
		TEST_ERR(escpos_receipt(sink, text, tlen, cols[c]));
		rewind(sink);
		blen = fread(buf, 1, sizeof(buf), sink);
		fclose(sink);
		sink = NULL;
		if (escpos_decode(buf, blen, cols[c], dec, sizeof(dec), &why) !=
		    0)
			TEST_FAILED("%d columns: %s", cols[c], why);
		/* a wrap cuts at a space: read the lines as one text */
		for (i = 0; dec[i] != '\0'; i++)
			if (dec[i] == '\n')
				dec[i] = ' ';
		for (i = 0; i < nitems(want); i++)
			if (strstr(dec, want[i]) == NULL)
				TEST_FAILED("%d columns: the receipt lacks "
				            "\"%s\":\n%s",
				    cols[c], want[i], dec);
	}
	/* a byte outside ASCII prints as '?', nothing lost around it */
	TEST_TRUE((sink = tmpfile()) != NULL);
	TEST_ERR(escpos_receipt(sink, odd, strlen(odd), ESCPOS_COLS));
	rewind(sink);
	blen = fread(buf, 1, sizeof(buf), sink);
	TEST_ERR(escpos_decode(buf, blen, ESCPOS_COLS, dec, sizeof(dec), &why));
	TEST_STR(dec, "Dose: 5 mg ?? jeun\n");
	TEST_EQ(escpos_receipt(sink, odd, strlen(odd), 4), EINVAL);
out:
	if (sink != NULL)
		fclose(sink);
	free(cause);
	free(text);
	store_rx_clear(&x);
	fx_close(&f);
	return err;
}

TEST_MAIN({ "issued", test_issued }, { "sheet_in", test_sheet_in },
    { "escpos", test_escpos });
