/*
 * Turning a device reading into store observations: one observation per
 * value, with its LOINC code, UCUM unit and panel (85354-9 for blood
 * pressure), the device id, the device's clock, and a provenance record
 * (CBOR) that says where the number came from.
 */
#ifndef KIOSK_VITALS_H
#define KIOSK_VITALS_H

#include <stddef.h>
#include <stdint.h>

#include "devices/device.h"

struct store;

/* Provenance map keys (CBOR, small unsigned integers). */
enum vitals_prov_key {
	VITALS_PROV_DRIVER = 1, /* text: driver name */
	VITALS_PROV_VIDPID = 2, /* text: "vvvv:pppp" */
	VITALS_PROV_SERIAL = 3, /* text, when the protocol gives it */
	VITALS_PROV_FIRMWARE = 4, /* text, likewise */
	VITALS_PROV_DEVICE_TIME =
	    5, /* text "YYYY-MM-DDTHH:MM:SS", device clock */
	VITALS_PROV_KIOSK_TIME = 6, /* uint: kiosk clock, Unix ms */
	VITALS_PROV_RAW_SHA256 = 7, /* bytes(32): SHA-256 of the raw frames */
	VITALS_PROV_FLAGS = 8, /* uint: DEV_FLAG_* */
	VITALS_PROV_MARKER = 9, /* text: device marker, when any */
};

struct vitals_source {
	const char *driver;
	uint16_t vid, pid;
	const char *device_id; /* dev_id() */
	const char *serial; /* "" or NULL when unknown */
	const char *firmware;
};

/*
 * Encode the provenance of R from SRC at kiosk time NOW_MS as a
 * deterministic CBOR map; *OUT is the caller's.
 */
int vitals_provenance(const struct vitals_source *src,
    const struct dev_reading *r, uint64_t now_ms, uint8_t **out, size_t *len);

/* Device clock "YYYY-MM-DDTHH:MM:SS" (taken as UTC) to Unix ms; 0 if none. */
uint64_t vitals_device_ms(const char *device_time);

/*
 * Check R (dev_reading_check) and store each of its values as an
 * observation of ENCOUNTER_ID, all with the same provenance.  EINVAL with
 * *CAUSE when the reading is implausible (nothing stored); store errors
 * as store.h returns them.  *SAVED counts the observations stored.
 */
int vitals_save(struct store *, const char *encounter_id,
    const struct vitals_source *src, const struct dev_reading *r, size_t *saved,
    char **cause);

#endif
