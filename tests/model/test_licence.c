/*
 * model/licence.c: the gate matrix (workflows §7 criterion 7: 8 states x 6
 * acts, against a table written here, not derived from the code), the
 * mid-consult expiry of criterion 8 on injected times, and the snapshot's
 * integrity of criterion 9 (every byte flipped, an older version, past
 * not_after, revocations first, size per 1,000 clinicians).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "crypto.h"
#include "licence.h"
#include "test.h"

#define MIN (60 * 1000LL)
#define DAY (24 * 60 * MIN)
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static void
lic_make(struct licence *l, const char *regno)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->regno, sizeof(l->regno), "%s", regno);
	snprintf(l->regulator, sizeof(l->regulator), "KMPDC");
	snprintf(l->cadre, sizeof(l->cadre), "medical officer");
	snprintf(l->name, sizeof(l->name), "Dr %s", regno);
	snprintf(l->juris, sizeof(l->juris), "KE");
	l->scope = LIC_SCOPE_ALL;
	l->valid_from = T0 - 365 * DAY;
	l->valid_to = T0 + 365 * DAY;
	l->status = LIC_STATUS_ACTIVE;
	l->rev = 1;
}

/* One licence in state ST for ACT, checked in region "KE-47" at T0. */
static void
lic_state(struct licence *l, enum licence_state st, enum licence_act act)
{
	lic_make(l, "A1");
	switch (st) {
	case LIC_ST_ACTIVE:
	case LIC_ST_UNKNOWN: /* a licence of someone else */
		if (st == LIC_ST_UNKNOWN)
			snprintf(l->regno, sizeof(l->regno), "B2");
		break;
	case LIC_ST_EXPIRED:
		l->valid_to = T0 - 1;
		break;
	case LIC_ST_SUSPENDED:
		l->status = LIC_STATUS_SUSPENDED;
		l->status_at = T0 - DAY;
		break;
	case LIC_ST_REVOKED:
		l->status = LIC_STATUS_REVOKED;
		l->status_at = T0;
		break;
	case LIC_ST_NOT_YET_VALID:
		l->valid_from = T0 + 1;
		break;
	case LIC_ST_WRONG_JURISDICTION:
		snprintf(l->juris, sizeof(l->juris), "UG KEN");
		break;
	case LIC_ST_WRONG_SCOPE:
		l->scope = LIC_SCOPE_ALL & ~LIC_SCOPE(act);
		break;
	default:
		break;
	}
}

/* The expected answer, written out: only an active licence permits; a
 * note is always kept, flagged when the licence did not permit it. */
static const struct {
	int permitted, lapsed;
} want_row[2][LIC_ACTS] = {
	/* active */
	{ { 1, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 } },
	/* any other state: book, consult, note, prescribe, refer, claim */
	{ { 0, 0 }, { 0, 0 }, { 1, 1 }, { 0, 0 }, { 0, 0 }, { 0, 0 } },
};

static int
test_matrix(void)
{
	struct licence_set s = { 0 }, k = { 0 };
	struct licence_verdict v, kv;
	uint8_t priv[32], pub[32], *snap = NULL;
	size_t slen;
	int err = 0, right = 0;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	for (int st = 0; st < LIC_STATES; st++) {
		for (int a = 0; a < LIC_ACTS; a++) {
			struct licence l;
			int r, row = st != LIC_ST_ACTIVE;

			licence_set_clear(&s);
			lic_state(&l, st, a);
			licence_set_add(&s, &l);
			r = licence_permitted(&s, "A1", a, "KE-47", T0, &v);
			if (r != want_row[row][a].permitted ||
			    v.permitted != r ||
			    v.lapsed != want_row[row][a].lapsed ||
			    v.state != (enum licence_state)st ||
			    v.words == NULL || v.recheck)
				TEST_FAILED("%s x %s: permitted %d lapsed %d "
				            "state %s",
				    licence_state_name(st), licence_act_name(a),
				    r, v.lapsed, licence_state_name(v.state));
			/* a refusal (or a kept note) is worded, and differs
			 * from the words of an active licence */
			if (row && strlen(v.words) < 20)
				TEST_FAILED(
				    "%s: no words", licence_state_name(st));
			/* the same verdict on a kiosk's snapshot */
			snprintf(s.region, sizeof(s.region), "KE-47");
			s.version = 1;
			s.not_after = T0 + DAY;
			TEST_ERR(licence_snapshot_seal(&s, priv, &snap, &slen));
			TEST_ERR(licence_snapshot_open(snap, slen, pub, 0, &k));
			free(snap);
			snap = NULL;
			licence_permitted(&k, "A1", a, "KE-47", T0, &kv);
			licence_set_clear(&k);
			TEST_EQ(kv.permitted, v.permitted);
			TEST_EQ(kv.state, v.state);
			TEST_EQ(kv.lapsed, v.lapsed);
			right++;
		}
	}
	TEST_EQ(right, LIC_STATES * LIC_ACTS);
	/* every state has its own words */
	for (int st = 1; st < LIC_STATES; st++) {
		struct licence l;
		struct licence_verdict w;

		licence_set_clear(&s);
		lic_state(&l, st, LIC_ACT_PRESCRIBE);
		licence_set_add(&s, &l);
		licence_permitted(&s, "A1", LIC_ACT_PRESCRIBE, "KE-47", T0, &v);
		for (int o = 1; o < st; o++) {
			licence_set_clear(&s);
			lic_state(&l, o, LIC_ACT_PRESCRIBE);
			licence_set_add(&s, &l);
			licence_permitted(
			    &s, "A1", LIC_ACT_PRESCRIBE, "KE-47", T0, &w);
			TEST_TRUE(strcmp(v.words, w.words) != 0);
		}
	}
	/* no regno, an unknown act */
	TEST_EQ(licence_permitted(&s, "", LIC_ACT_CONSULT, "KE-47", T0, &v), 0);
	TEST_EQ(v.state, LIC_ST_UNKNOWN);
	TEST_EQ(licence_permitted(&s, NULL, LIC_ACT_CONSULT, "KE", T0, &v), 0);
	TEST_EQ(licence_permitted(&s, "A1", LIC_ACTS, "KE", T0, &v), 0);
out:
	licence_set_clear(&s);
	licence_set_clear(&k);
	free(snap);
	return err;
}

/* Several licences: one that permits is enough; else the reason of the
 * licence that got furthest (here's expired beats elsewhere's region). */
static int
test_several(void)
{
	struct licence_set s = { 0 };
	struct licence l;
	struct licence_verdict v;
	int err = 0;

	lic_make(&l, "C3");
	snprintf(l.juris, sizeof(l.juris), "UG");
	licence_set_add(&s, &l);
	lic_make(&l, "C3");
	l.valid_to = T0 - DAY;
	licence_set_add(&s, &l);
	licence_set_sort(&s);
	TEST_EQ(
	    licence_permitted(&s, "C3", LIC_ACT_CONSULT, "KE-1", T0, &v), 0);
	TEST_EQ(v.state, LIC_ST_EXPIRED);
	TEST_EQ(
	    licence_permitted(&s, "C3", LIC_ACT_CONSULT, "UG-2", T0, &v), 1);
	/* jurisdictions: prefix at a dash only, "*" everywhere */
	TEST_TRUE(licence_juris_covers("KE", "KE"));
	TEST_TRUE(licence_juris_covers("UG KE-47", "KE-47"));
	TEST_TRUE(licence_juris_covers("KE-47,KE-30", "KE-30"));
	TEST_TRUE(!licence_juris_covers("KE-47", "KE"));
	TEST_TRUE(!licence_juris_covers("KE", "KEN"));
	TEST_TRUE(!licence_juris_covers("KE-4", "KE-47"));
	TEST_TRUE(licence_juris_covers("*", "IN-MH"));
	TEST_TRUE(!licence_juris_covers("", "KE"));
	TEST_TRUE(!licence_juris_covers("KE", ""));
	/* suspension effective later: active before it */
	licence_set_clear(&s);
	lic_make(&l, "D4");
	l.status = LIC_STATUS_SUSPENDED;
	l.status_at = T0 + MIN;
	licence_set_add(&s, &l);
	TEST_EQ(licence_permitted(&s, "D4", LIC_ACT_REFER, "KE", T0, &v), 1);
	TEST_EQ(
	    licence_permitted(&s, "D4", LIC_ACT_REFER, "KE", T0 + MIN, &v), 0);
	TEST_EQ(v.state, LIC_ST_SUSPENDED);
out:
	licence_set_clear(&s);
	return err;
}

/* Criterion 8: valid_to = start + 10 min. */
static int
test_mid_consult(void)
{
	struct licence_set s = { 0 };
	struct licence l;
	struct licence_verdict v;
	int64_t start = T0;
	int err = 0;

	lic_make(&l, "E5");
	l.valid_to = start + 10 * MIN;
	licence_set_add(&s, &l);
	TEST_EQ(
	    licence_permitted(&s, "E5", LIC_ACT_CONSULT, "KE-9", start, &v), 1);
	TEST_EQ(licence_permitted(
	            &s, "E5", LIC_ACT_PRESCRIBE, "KE-9", start + 5 * MIN, &v),
	    1);
	TEST_EQ(v.lapsed, 0);
	TEST_EQ(licence_permitted(
	            &s, "E5", LIC_ACT_PRESCRIBE, "KE-9", start + 11 * MIN, &v),
	    0);
	TEST_EQ(v.state, LIC_ST_EXPIRED);
	TEST_EQ(licence_permitted(
	            &s, "E5", LIC_ACT_REFER, "KE-9", start + 11 * MIN, &v),
	    0);
	TEST_EQ(licence_permitted(
	            &s, "E5", LIC_ACT_NOTE, "KE-9", start + 12 * MIN, &v),
	    1);
	TEST_EQ(v.lapsed, 1);
	TEST_EQ(v.state, LIC_ST_EXPIRED);
	/* the exact edge: valid_to is exclusive */
	TEST_EQ(licence_permitted(&s, "E5", LIC_ACT_PRESCRIBE, "KE-9",
	            start + 10 * MIN - 1, &v),
	    1);
	TEST_EQ(licence_permitted(
	            &s, "E5", LIC_ACT_PRESCRIBE, "KE-9", start + 10 * MIN, &v),
	    0);
out:
	licence_set_clear(&s);
	return err;
}

static void
fill_set(struct licence_set *s, size_t n, uint64_t version)
{
	char regno[32];

	snprintf(s->region, sizeof(s->region), "KE-47");
	s->version = version;
	s->issued = T0;
	s->not_after = T0 + 7 * DAY;
	for (size_t i = 0; i < n; i++) {
		struct licence l;

		snprintf(regno, sizeof(regno), "A%06zu", i);
		lic_make(&l, regno);
		/* a realistic name and cadre length */
		snprintf(l.name, sizeof(l.name), "Dr Wanjiku Achieng %06zu", i);
		snprintf(l.juris, sizeof(l.juris), "KE-47 KE-30");
		/* the practice's address (60 facilities) and each one's
		 * own phone number, as a prescription sheet prints them */
		snprintf(l.address, sizeof(l.address),
		    "Outpatients, Sub-County Hospital %02zu, P.O. Box "
		    "%03zu-40100, Kisumu",
		    i % 60, 100 + i % 60);
		snprintf(
		    l.contact, sizeof(l.contact), "+2547%08zu", 11000000 + i);
		l.scope = LIC_SCOPE_ALL & ~LIC_SCOPE(LIC_ACT_CLAIM);
		l.rev = i + 1;
		if (i % 97 == 50) {
			l.status = LIC_STATUS_REVOKED;
			l.status_at = T0 - DAY;
		}
		licence_set_add(s, &l);
	}
}

static int
test_snapshot(void)
{
	struct licence_set s = { 0 }, got = { 0 };
	uint8_t priv[32], pub[32], opriv[32], opub[32], *buf = NULL,
	                                                *old = NULL;
	size_t len, olen;
	struct licence_verdict v;
	int err = 0, refused = 0;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_ERR(crypto_ed25519_keygen(opriv, opub));
	fill_set(&s, 1000, 7);
	TEST_ERR(licence_snapshot_seal(&s, priv, &buf, &len));
	/* size: <= 64 KB per 1,000 clinicians, with their practices'
	 * addresses and their phone numbers */
	fprintf(stderr, "  1000 clinicians: %zu bytes\n", len);
	TEST_TRUE(len <= 64 * 1024);
	TEST_ERR(licence_snapshot_open(buf, len, pub, 0, &got));
	TEST_EQ(got.n, 1000);
	TEST_EQ(got.version, 7);
	TEST_STR(got.region, "KE-47");
	TEST_EQ(got.not_after, T0 + 7 * DAY);
	TEST_STR(got.l[5].juris, "KE-47 KE-30");
	TEST_STR(got.l[5].cadre, "medical officer");
	TEST_STR(got.l[5].regulator, "KMPDC");
	TEST_EQ(got.l[5].valid_to, T0 + 365 * DAY);
	TEST_EQ(got.l[5].rev, 6);
	TEST_STR(got.l[5].address,
	    "Outpatients, Sub-County Hospital 05, P.O. Box 105-40100, Kisumu");
	TEST_STR(got.l[5].contact, "+254711000005");
	licence_set_clear(&got);
	/* another key */
	TEST_EQ(licence_snapshot_open(buf, len, opub, 0, &got), EBADMSG);
	/* every byte flipped: refused, 100 % */
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			int r;

			buf[i] ^= (uint8_t)(1u << bit);
			r = licence_snapshot_open(buf, len, pub, 0, &got);
			buf[i] ^= (uint8_t)(1u << bit);
			if (r == 0)
				TEST_FAILED(
				    "byte %zu bit %d flipped accepted", i, bit);
			TEST_EQ(got.n, 0);
			refused++;
		}
	}
	TEST_EQ(refused, (int)len * 2);
	/* truncated */
	TEST_TRUE(licence_snapshot_open(buf, len - 1, pub, 0, &got) != 0);
	/* older or the same version than the one held: refused */
	TEST_EQ(licence_snapshot_open(buf, len, pub, 7, &got), EALREADY);
	TEST_EQ(licence_snapshot_open(buf, len, pub, 8, &got), ESTALE);
	TEST_ERR(licence_snapshot_open(buf, len, pub, 6, &got));
	/* past not_after: every act flagged for re-check */
	for (int a = 0; a < LIC_ACTS; a++) {
		licence_permitted(
		    &got, "A000001", a, "KE-47", got.not_after - 1, &v);
		TEST_EQ(v.recheck, 0);
		licence_permitted(
		    &got, "A000001", a, "KE-47", got.not_after, &v);
		TEST_EQ(v.recheck, 1);
		licence_permitted(
		    &got, "A000050", a, "KE-47", got.not_after + DAY, &v);
		TEST_EQ(v.recheck, 1);
	}
	licence_set_clear(&got);
	/* revocations travel first: the body's first licences are the
	 * revoked ones (a reader cut short still has them) */
	{
		size_t nrev = 0;

		for (size_t i = 0; i < s.n; i++)
			nrev += s.l[i].status != LIC_STATUS_ACTIVE;
		TEST_TRUE(nrev > 5);
		olen = 0;
		s.version = 8;
		TEST_ERR(licence_snapshot_seal(&s, priv, &old, &olen));
		TEST_ERR(licence_snapshot_open(old, olen, pub, 7, &got));
		/* open sorts by regno; the wire order is checked by
		 * position of the first revoked regno in the bytes */
		{
			const char *first_rev = "A000050";
			const char *first_act = "A000000";
			uint8_t *p = memmem(old, olen, first_rev, 7);
			uint8_t *q = memmem(old, olen, first_act, 7);

			TEST_TRUE(p != NULL && q != NULL && p < q);
		}
	}
out:
	licence_set_clear(&s);
	licence_set_clear(&got);
	free(buf);
	free(old);
	return err;
}

static int
test_names(void)
{
	uint32_t sc;
	char buf[64];
	int err = 0;

	TEST_ERR(licence_scope_parse("consult,note", &sc));
	TEST_EQ(sc, LIC_SCOPE(LIC_ACT_CONSULT) | LIC_SCOPE(LIC_ACT_NOTE));
	licence_scope_str(sc, buf, sizeof(buf));
	TEST_STR(buf, "consult,note");
	TEST_ERR(licence_scope_parse("all", &sc));
	TEST_EQ(sc, LIC_SCOPE_ALL);
	TEST_EQ(licence_scope_parse("consult,,note", &sc), EINVAL);
	TEST_EQ(licence_scope_parse("dance", &sc), EINVAL);
	TEST_EQ(licence_scope_parse("", &sc), EINVAL);
	TEST_EQ(licence_status_parse("revoked"), LIC_STATUS_REVOKED);
	TEST_EQ(licence_status_parse("lapsed"), -1);
	TEST_EQ(licence_act_parse("refer"), LIC_ACT_REFER);
	TEST_EQ(licence_act_parse("x"), LIC_ACTS);
out:
	return err;
}

/*
 * The prescriber's contact: what licence_contact_ok takes; a snapshot
 * where no licence has an address or a contact carries no LIC_S_CONTACTS
 * (the form kiosks knew before) and opens with both empty; one licence
 * with them puts them in the snapshot for all, "" for the others.
 */
static int
test_contacts(void)
{
	static const char *const good[] = { "", "+919876543210", "+25471100000",
		"dr.rao@clinic.example.in" };
	static const char *const bad[] = { "0756477422", "+0123456789",
		"+12345", "+1234567890123456", "+91 98765 43210", "rao@",
		"@clinic.in", "rao@clinic", "rao@@clinic.in", "rao@clinic.",
		"a b@clinic.in", "rao@.in" };
	struct licence_set s = { 0 }, got = { 0 };
	struct licence l;
	uint8_t priv[32], pub[32], *buf = NULL, *buf2 = NULL;
	size_t len, len2;
	int err = 0;

	for (size_t i = 0; i < nitems(good); i++)
		if (!licence_contact_ok(good[i]))
			TEST_FAILED("\"%s\" refused", good[i]);
	for (size_t i = 0; i < nitems(bad); i++)
		if (licence_contact_ok(bad[i]))
			TEST_FAILED("\"%s\" taken", bad[i]);
	TEST_STR(licence_contact_system("+919876543210"), "phone");
	TEST_STR(licence_contact_system("dr.rao@clinic.example.in"), "email");
	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	fill_set(&s, 3, 1);
	for (size_t i = 0; i < s.n; i++) {
		s.l[i].address[0] = '\0';
		s.l[i].contact[0] = '\0';
	}
	TEST_ERR(licence_snapshot_seal(&s, priv, &buf, &len));
	TEST_ERR(licence_snapshot_open(buf, len, pub, 0, &got));
	TEST_EQ(got.n, 3);
	TEST_STR(got.l[1].address, "");
	TEST_STR(got.l[1].contact, "");
	licence_set_clear(&got);
	/* one with them: a larger snapshot, the others still "" */
	snprintf(s.l[1].address, sizeof(s.l[1].address), "PHC Kothapalli");
	snprintf(s.l[1].contact, sizeof(s.l[1].contact), "dr.rao@phc.in");
	s.version = 2;
	lic_make(&l, "A000009");
	licence_set_add(&s, &l);
	TEST_ERR(licence_snapshot_seal(&s, priv, &buf2, &len2));
	TEST_TRUE(len2 > len);
	TEST_ERR(licence_snapshot_open(buf2, len2, pub, 1, &got));
	TEST_EQ(got.n, 4);
	TEST_STR(got.l[1].regno, "A000001");
	TEST_STR(got.l[1].address, "PHC Kothapalli");
	TEST_STR(got.l[1].contact, "dr.rao@phc.in");
	TEST_STR(got.l[3].address, "");
	TEST_STR(got.l[3].contact, "");
out:
	licence_set_clear(&got);
	licence_set_clear(&s);
	free(buf);
	free(buf2);
	return err;
}

TEST_MAIN({ "matrix", test_matrix }, { "several", test_several },
    { "mid_consult", test_mid_consult }, { "snapshot", test_snapshot },
    { "names", test_names }, { "contacts", test_contacts })
