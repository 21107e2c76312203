/*
 * The signed roster (escalate/roster.c; §7.10 criterion 8): signed and
 * taken back field for field; every single-bit flip of a signed roster, a
 * roster signed by another key, an older version and an expired one are
 * refused with a reason while the last good roster stays in use; a roster
 * nobody can be paged from is not signed; ranking by road time, then open
 * now, then capability, straight-line distance only without a road time.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "escalate/roster.h"
#include "test.h"

#define NOW 1764000000 /* 2025-11-24 16:00 UTC, a Monday */

static void
service(struct esc_service *s, const char *id, int travel, double lat,
    double lon, const char *sms, const char *caps)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->name, sizeof(s->name), "Service %s", id);
	snprintf(s->kind, sizeof(s->kind), "ambulance");
	s->travel_min = travel;
	s->lat = lat;
	s->lon = lon;
	s->nvoice = 1;
	snprintf(s->voice[0], ESC_NUM_LEN, "+254711000%03d", (int)id[0]);
	if (sms != NULL) {
		s->nsms = 1;
		snprintf(s->sms[0], ESC_NUM_LEN, "%s", sms);
		s->nreply = 1;
		snprintf(s->reply_from[0], ESC_NUM_LEN, "%s", sms);
	}
	snprintf(s->caps, sizeof(s->caps), "%s", caps);
	s->utc_offset_min = 180;
}

static void
fixture(struct esc_roster *r, uint64_t version)
{
	memset(r, 0, sizeof(*r));
	r->version = version;
	r->issued_at = NOW - 3600;
	r->valid_until = NOW + 30 * 86400;
	snprintf(r->site_id, sizeof(r->site_id), "gede-disp");
	r->lat = -3.3095;
	r->lon = 40.0173;
	snprintf(r->landmark, sizeof(r->landmark), "Gede disp");
	snprintf(r->directions, sizeof(r->directions),
	    "Behind the chief's office, Gede ruins road");
	r->nservices = 4;
	service(&r->services[0], "malindi-ems", 35, -3.2192, 40.1169,
	    "+254700000001", "transport,obstetric");
	service(&r->services[1], "watamu-amb", 20, -3.3540, 40.0190,
	    "+254700000002", "transport");
	service(&r->services[2], "kilifi-ch", -1, -3.6305, 39.8499,
	    "+254700000003", "transport,obstetric,paediatric");
	service(&r->services[3], "red-cross", 20, -3.2000, 40.1000,
	    "+254700000004", "transport,obstetric");
	r->nlevels = 2;
	r->level_nsvc[0] = 1;
	snprintf(r->level_svc[0][0], ESC_RCPT_LEN, "watamu-amb");
	r->level_deadline_s[0] = 300;
	r->level_nsvc[1] = 2;
	snprintf(r->level_svc[1][0], ESC_RCPT_LEN, "malindi-ems");
	snprintf(r->level_svc[1][1], ESC_RCPT_LEN, "kilifi-ch");
	r->level_deadline_s[1] = 300;
	r->loop_every_s = 600;
	r->loops = 5;
	r->rate_s = 120;
	r->max_pages = 20;
}

static int
signed_fixture(const uint8_t priv[32], uint64_t version, int64_t valid,
    uint8_t **out, size_t *len)
{
	struct esc_roster r;
	char *cause = NULL;
	int err;

	fixture(&r, version);
	if (valid != 0)
		r.valid_until = valid;
	err = esc_roster_sign(&r, priv, out, len, &cause);
	if (err)
		fprintf(stderr, "  sign: %s\n", cause);
	free(cause);
	return err;
}

static int
test_roundtrip(void)
{
	struct esc_roster want, cur;
	struct esc_policy p;
	uint8_t priv[32], pub[32], *b = NULL;
	size_t len;
	char *cause = NULL;
	int err = 0;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_ERR(signed_fixture(priv, 3, 0, &b, &len));
	memset(&cur, 0, sizeof(cur));
	TEST_ERR(esc_roster_accept(&cur, b, len, pub, NOW, &cause));
	fixture(&want, 3);
	TEST_EQ(cur.version, 3);
	TEST_EQ(cur.valid_until, want.valid_until);
	TEST_STR(cur.landmark, "Gede disp");
	TEST_EQ(cur.nservices, 4);
	TEST_STR(cur.services[2].id, "kilifi-ch");
	TEST_EQ(cur.services[2].travel_min, -1);
	TEST_EQ(cur.services[0].travel_min, 35);
	TEST_STR(cur.services[1].sms[0], "+254700000002");
	TEST_TRUE(cur.services[0].lat == want.services[0].lat);
	TEST_EQ(cur.nlevels, 2);
	TEST_STR(cur.level_svc[1][1], "kilifi-ch");
	TEST_ERR(esc_roster_policy(&cur, &p));
	TEST_EQ(p.nlevels, 2);
	TEST_STR(p.levels[0].rcpt[0], "watamu-amb");
	TEST_EQ(p.levels[1].nrcpt, 2);
	TEST_EQ(esc_roster_stale(&cur, NOW), 0);
	TEST_EQ(esc_roster_stale(&cur, NOW + 31 * 86400), 1);
out:
	free(b);
	free(cause);
	return err;
}

static int
test_refusals(void)
{
	struct esc_roster cur;
	uint8_t priv[32], pub[32], opriv[32], opub[32], *b = NULL, *o = NULL;
	size_t len, olen, i;
	char *cause = NULL;
	int err = 0, bit, refused = 0, tries = 0, r;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_ERR(crypto_ed25519_keygen(opriv, opub));
	memset(&cur, 0, sizeof(cur));
	TEST_ERR(signed_fixture(priv, 5, 0, &b, &len));
	TEST_ERR(esc_roster_accept(&cur, b, len, pub, NOW, &cause));
	/* every single-bit change anywhere: refused, version 5 kept */
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit += 3) {
			b[i] ^= (uint8_t)(1 << bit);
			free(cause);
			cause = NULL;
			r = esc_roster_accept(&cur, b, len, pub, NOW, &cause);
			b[i] ^= (uint8_t)(1 << bit);
			tries++;
			if (r == 0)
				TEST_FAILED(
				    "byte %zu bit %d flipped: taken", i, bit);
			refused++;
			if (cause == NULL)
				TEST_FAILED("byte %zu: no reason", i);
		}
	TEST_EQ(cur.version, 5);
	TEST_STR(cur.services[1].sms[0], "+254700000002");
	printf("  %d tampered rosters, %d refused\n", tries, refused);
	/* cut short */
	free(cause);
	cause = NULL;
	TEST_EQ(esc_roster_accept(&cur, b, len - 1, pub, NOW, &cause), EBADMSG);
	/* signed by another key */
	TEST_ERR(signed_fixture(opriv, 6, 0, &o, &olen));
	free(cause);
	cause = NULL;
	TEST_EQ(esc_roster_accept(&cur, o, olen, pub, NOW, &cause), EBADMSG);
	TEST_TRUE(strstr(cause, "signature") != NULL);
	free(o);
	o = NULL;
	/* older */
	TEST_ERR(signed_fixture(priv, 4, 0, &o, &olen));
	free(cause);
	cause = NULL;
	TEST_EQ(esc_roster_accept(&cur, o, olen, pub, NOW, &cause), ESTALE);
	TEST_STR(cause,
	    "the roster (version 4) is older than the one in use "
	    "(version 5)");
	free(o);
	o = NULL;
	/* expired */
	TEST_ERR(signed_fixture(priv, 7, NOW - 1, &o, &olen));
	free(cause);
	cause = NULL;
	TEST_EQ(
	    esc_roster_accept(&cur, o, olen, pub, NOW, &cause), EKEYEXPIRED);
	TEST_TRUE(strstr(cause, "expired") != NULL);
	TEST_EQ(cur.version, 5); /* the last good one */
	/* the same version again is fine (delivered twice), a newer one
	 * replaces it */
	TEST_ERR(esc_roster_accept(&cur, b, len, pub, NOW, &cause));
	free(o);
	o = NULL;
	TEST_ERR(signed_fixture(priv, 8, 0, &o, &olen));
	TEST_ERR(esc_roster_accept(&cur, o, olen, pub, NOW, &cause));
	TEST_EQ(cur.version, 8);
out:
	free(b);
	free(o);
	free(cause);
	return err;
}

static int
test_unusable(void)
{
	struct esc_roster r;
	uint8_t priv[32], pub[32], *b = NULL;
	size_t len;
	char *cause = NULL;
	int err = 0;

	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	fixture(&r, 1);
	r.services[1].nsms = 0; /* level 1's only service has no SMS */
	TEST_EQ(esc_roster_sign(&r, priv, &b, &len, &cause), EINVAL);
	TEST_STR(cause, "nobody on level 1 can be paged by SMS");
	free(cause);
	cause = NULL;
	fixture(&r, 1);
	snprintf(r.services[0].sms[0], ESC_NUM_LEN, "0700000001");
	TEST_EQ(esc_roster_sign(&r, priv, &b, &len, &cause), EINVAL);
	TEST_TRUE(strstr(cause, "international") != NULL);
	free(cause);
	cause = NULL;
	fixture(&r, 1);
	snprintf(r.level_svc[1][1], ESC_RCPT_LEN, "nowhere");
	TEST_EQ(esc_roster_sign(&r, priv, &b, &len, &cause), EINVAL);
	TEST_TRUE(b == NULL);
out:
	free(cause);
	free(b);
	return err;
}

static int
test_rank(void)
{
	struct esc_roster r;
	int order[ESC_MAX_SERVICES], err = 0, n;

	fixture(&r, 1);
	/*
	 * watamu-amb and red-cross both 20 min by road; red-cross is
	 * further in a straight line, which must not matter.  malindi-ems
	 * is 35 min.  kilifi-ch has no road time: about 46 km at 40 km/h.
	 */
	n = esc_roster_rank(&r, NOW, NULL, order);
	TEST_EQ(n, 4);
	TEST_STR(r.services[order[0]].id, "watamu-amb");
	TEST_STR(r.services[order[1]].id, "red-cross");
	TEST_STR(r.services[order[2]].id, "malindi-ems");
	TEST_STR(r.services[order[3]].id, "kilifi-ch");
	/* equal road time: the one with the capability first */
	n = esc_roster_rank(&r, NOW, "obstetric", order);
	TEST_STR(r.services[order[0]].id, "red-cross");
	/* equal road time: open now beats capability; watamu closed on
	 * Mondays (local 19:00 is outside 08:00-17:00) */
	r.services[1].has_hours = 1;
	for (n = 0; n < 7; n++) {
		r.services[1].open_min[n] = 8 * 60;
		r.services[1].close_min[n] = 17 * 60;
	}
	r.services[3].has_hours = 1;
	for (n = 0; n < 7; n++) {
		r.services[3].open_min[n] = 8 * 60;
		r.services[3].close_min[n] = 20 * 60;
	}
	TEST_EQ(esc_service_open(&r.services[1], NOW), 0);
	TEST_EQ(esc_service_open(&r.services[3], NOW), 1);
	TEST_EQ(esc_service_open(&r.services[1], NOW - 8 * 3600), 1);
	n = esc_roster_rank(&r, NOW, NULL, order);
	TEST_STR(r.services[order[0]].id, "red-cross");
	/* a night shift across midnight: 22:00-06:00 */
	r.services[1].open_min[0] = 22 * 60;
	r.services[1].close_min[0] = 6 * 60;
	TEST_EQ(esc_service_open(&r.services[1], NOW + 4 * 3600), 1);
out:
	return err;
}

static int
test_haversine(void)
{
	const double R = 6371.0088;
	int err = 0;

	/* geometry, not remembered figures: a quarter of a great circle,
	 * half of one, and one degree of the equator */
	TEST_TRUE(fabs(esc_haversine_km(0, 0, 0, 90) - M_PI * R / 2) < 1e-6);
	TEST_TRUE(fabs(esc_haversine_km(0, 0, 90, 0) - M_PI * R / 2) < 1e-6);
	TEST_TRUE(fabs(esc_haversine_km(10, 20, -10, -160) - M_PI * R) < 1e-3);
	TEST_TRUE(fabs(esc_haversine_km(0, 0, 0, 1) - M_PI * R / 180) < 1e-9);
	TEST_TRUE(esc_haversine_km(-3.3, 40.0, -3.3, 40.0) == 0);
	/* a degree of longitude at 60 degrees is half the equator's */
	TEST_TRUE(fabs(esc_haversine_km(60, 0, 60, 1) - M_PI * R / 360) < 0.01);
out:
	return err;
}

TEST_MAIN({ "roundtrip", test_roundtrip }, { "refusals", test_refusals },
    { "unusable", test_unusable }, { "rank", test_rank },
    { "haversine", test_haversine })
