/*
 * kiosk/visit/observe.c: a reading becomes observations with LOINC, UCUM, panel
 * and a provenance record.  observe.c is compiled into this test with a
 * stand-in for store_obs_add_many() that keeps what it is given (all of
 * a reading or, like the real store's transaction, none of it), so the
 * mapping is checked without a database (tests/devices/store.sh runs the
 * real store).
 */
#include "kiosk/visit/observe.c"

#include "devices/driver.h"
#include "str.h"
#include "test.h"

#define MAX_OBS 8

static struct {
	struct store_obs o[MAX_OBS];
	uint8_t prov[MAX_OBS][512];
	size_t n;
	int fail_at; /* 1-based; 0 never */
} saved;

int
store_obs_add_many(
    struct store *s, const char *encounter_id, struct store_obs *o, size_t n)
{
	size_t i, first = saved.n;

	(void)s;
	if (strcmp(encounter_id, "enc-1") != 0)
		return ENOENT;
	for (i = 0; i < n; i++) {
		if ((saved.fail_at != 0 && (int)saved.n + 1 == saved.fail_at) ||
		    saved.n >= MAX_OBS ||
		    o[i].provenance_len > sizeof(saved.prov[0])) {
			saved.n = first; /* the transaction rolls back */
			return saved.n >= MAX_OBS ? ENOSPC : EIO;
		}
		saved.o[saved.n] = o[i];
		memcpy(
		    saved.prov[saved.n], o[i].provenance, o[i].provenance_len);
		saved.o[saved.n].provenance = saved.prov[saved.n];
		snprintf(o[i].id, sizeof(o[i].id), "obs-%zu", saved.n);
		saved.n++;
	}
	return 0;
}

static const struct vitals_source omron = {
	.driver = "omron_hem790it",
	.vid = 0x0590,
	.pid = 0x0028,
	.device_id = "0590:0028@1-3",
	.serial = "",
	.firmware = NULL,
};

static void
bp_reading(struct dev_reading *r, double sys, double dia)
{
	memset(r, 0, sizeof(*r));
	dev_reading_add(r, DEV_Q_SYS, sys);
	dev_reading_add(r, DEV_Q_DIA, dia);
	dev_reading_add(r, DEV_Q_PULSE, 71);
	r->flags = DEV_FLAG_STORED | DEV_FLAG_IRREGULAR;
	dev_reading_time(r, 2007, 1, 3, 0, 6, 51);
	dev_reading_hash(r, "raw", 3);
}

static int
test_blood_pressure_panel(void)
{
	struct dev_reading r;
	cbor_item_t *m = NULL;
	const uint8_t *p;
	char *text = NULL, *cause = NULL;
	uint64_t u;
	size_t n, len;
	int err = 0;

	memset(&saved, 0, sizeof(saved));
	bp_reading(&r, 112, 75);
	TEST_ERR(vitals_save(NULL, "enc-1", &omron, &r, &n, &cause));
	TEST_EQ(n, 3);
	TEST_EQ(saved.n, 3);
	TEST_STR(saved.o[0].loinc, "8480-6");
	TEST_STR(saved.o[0].unit, "mm[Hg]");
	TEST_STR(saved.o[0].panel, "85354-9");
	TEST_EQ(saved.o[0].value, 112);
	TEST_STR(saved.o[1].loinc, "8462-4");
	TEST_STR(saved.o[1].panel, "85354-9");
	TEST_STR(saved.o[2].loinc, "8867-4");
	TEST_STR(saved.o[2].unit, "/min");
	TEST_TRUE(saved.o[2].panel == NULL);
	TEST_STR(saved.o[0].device_id, "0590:0028@1-3");
	/* 2007-01-03T00:06:51Z */
	TEST_EQ(saved.o[0].taken_ms, 1167782811000ULL);

	TEST_ERR(cborx_decode(
	    saved.o[0].provenance, saved.o[0].provenance_len, 4096, &m));
	TEST_TRUE(cborx_is_canonical(
	    saved.o[0].provenance, saved.o[0].provenance_len));
	TEST_ERR(cborx_map_text(m, VITALS_PROV_DRIVER, 64, &text));
	TEST_STR(text, "omron_hem790it");
	free(text);
	text = NULL;
	TEST_ERR(cborx_map_text(m, VITALS_PROV_VIDPID, 64, &text));
	TEST_STR(text, "0590:0028");
	free(text);
	text = NULL;
	TEST_ERR(cborx_map_text(m, VITALS_PROV_DEVICE_TIME, 64, &text));
	TEST_STR(text, "2007-01-03T00:06:51");
	TEST_ERR(cborx_map_uint(m, VITALS_PROV_KIOSK_TIME, &u));
	TEST_TRUE(u > 1700000000000ULL);
	TEST_ERR(cborx_map_uint(m, VITALS_PROV_FLAGS, &u));
	TEST_EQ(u, DEV_FLAG_STORED | DEV_FLAG_IRREGULAR);
	TEST_ERR(cborx_map_bytes(m, VITALS_PROV_RAW_SHA256, 32, &p, &len));
	TEST_EQ(len, 32);
	TEST_MEM(p, r.raw_sha256, 32);
	/* Unknown serial and firmware are left out, not stored empty. */
	TEST_TRUE(cborx_map_get(m, VITALS_PROV_SERIAL) == NULL);
	TEST_TRUE(cborx_map_get(m, VITALS_PROV_FIRMWARE) == NULL);
	/* Every observation of the reading carries the same provenance. */
	TEST_EQ(saved.o[2].provenance_len, saved.o[0].provenance_len);
	TEST_MEM(saved.o[2].provenance, saved.o[0].provenance,
	    saved.o[0].provenance_len);
out:
	if (m != NULL)
		cbor_decref(&m);
	free(text);
	free(cause);
	return err;
}

static int
test_implausible_not_stored(void)
{
	struct dev_reading r;
	char *cause = NULL;
	size_t n;
	int err = 0;

	memset(&saved, 0, sizeof(saved));
	bp_reading(&r, 80, 90);
	TEST_EQ(vitals_save(NULL, "enc-1", &omron, &r, &n, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "dia") != NULL);
	TEST_EQ(saved.n, 0);
	free(cause);
	cause = NULL;
	memset(&r, 0, sizeof(r));
	dev_reading_add(&r, DEV_Q_SPO2, 101);
	TEST_EQ(vitals_save(NULL, "enc-1", &omron, &r, &n, &cause), EINVAL);
	free(cause);
	cause = NULL;
	memset(&r, 0, sizeof(r));
	dev_reading_add(&r, DEV_Q_PULSE, -3);
	TEST_EQ(vitals_save(NULL, "enc-1", &omron, &r, &n, &cause), EINVAL);
	TEST_EQ(saved.n, 0);
out:
	free(cause);
	return err;
}

static int
test_glucose_units_and_serial(void)
{
	static const struct vitals_source contour = {
		.driver = "ascensia_contour",
		.vid = 0x1a79,
		.pid = 0x7410,
		.device_id = "1a79:7410/7390-2336773",
		.serial = "7390-2336773",
		.firmware = "Bayer7390 01.24",
	};
	struct dev_reading r;
	cbor_item_t *m = NULL;
	char *text = NULL, *cause = NULL;
	size_t n;
	int err = 0;

	memset(&saved, 0, sizeof(saved));
	memset(&r, 0, sizeof(r));
	dev_reading_add(&r, DEV_Q_GLUCOSE_MMOL, 7.9);
	str_lcpy(r.marker, "B", sizeof(r.marker));
	TEST_ERR(vitals_save(NULL, "enc-1", &contour, &r, &n, &cause));
	TEST_STR(saved.o[0].loinc, "15074-8");
	TEST_STR(saved.o[0].unit, "mmol/L");
	TEST_EQ(saved.o[0].taken_ms, 0); /* no device clock */
	TEST_ERR(cborx_decode(
	    saved.o[0].provenance, saved.o[0].provenance_len, 4096, &m));
	TEST_ERR(cborx_map_text(m, VITALS_PROV_SERIAL, 64, &text));
	TEST_STR(text, "7390-2336773");
	free(text);
	text = NULL;
	TEST_ERR(cborx_map_text(m, VITALS_PROV_MARKER, 64, &text));
	TEST_STR(text, "B");
	TEST_TRUE(cborx_map_get(m, VITALS_PROV_DEVICE_TIME) == NULL);
out:
	if (m != NULL)
		cbor_decref(&m);
	free(text);
	free(cause);
	return err;
}

static int
test_store_failure(void)
{
	struct dev_reading r;
	char *cause = NULL;
	size_t n;
	int err = 0;

	memset(&saved, 0, sizeof(saved));
	saved.fail_at = 2;
	bp_reading(&r, 120, 80);
	TEST_EQ(vitals_save(NULL, "enc-1", &omron, &r, &n, &cause), EIO);
	TEST_EQ(n, 0); /* the panel is stored whole or not at all */
	TEST_EQ(saved.n, 0);
	TEST_EQ(vitals_save(NULL, "no-such", &omron, &r, &n, &cause), ENOENT);
	TEST_EQ(n, 0);
out:
	free(cause);
	return err;
}

TEST_MAIN({ "blood_pressure_panel", test_blood_pressure_panel },
    { "implausible_not_stored", test_implausible_not_stored },
    { "glucose_units_and_serial", test_glucose_units_and_serial },
    { "store_failure", test_store_failure }, )
