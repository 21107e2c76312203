/*
 * Device readings to observations (see vitals.h).  The mapping to LOINC
 * and UCUM lives in devices/device.c with the quantities; this file only
 * adds what the store needs: provenance and one observation per value.
 * Values are never logged, only counts and record ids.
 */
#define LOG_MODULE "vitals"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cborx.h"
#include "hlc.h"
#include "log.h"
#include "kiosk/store/store.h"
#include "observe.h"
#include "xmalloc.h"

int
vitals_provenance(const struct vitals_source *src, const struct dev_reading *r,
    uint64_t now_ms, uint8_t **out, size_t *len)
{
	cbor_item_t *m;
	char vidpid[10];
	int err;

	m = cborx_map(9);
	cborx_map_put(m, VITALS_PROV_DRIVER, cborx_text(src->driver));
	snprintf(vidpid, sizeof(vidpid), "%04x:%04x", src->vid, src->pid);
	cborx_map_put(m, VITALS_PROV_VIDPID, cborx_text(vidpid));
	if (src->serial != NULL && src->serial[0] != '\0')
		cborx_map_put(m, VITALS_PROV_SERIAL, cborx_text(src->serial));
	if (src->firmware != NULL && src->firmware[0] != '\0')
		cborx_map_put(
		    m, VITALS_PROV_FIRMWARE, cborx_text(src->firmware));
	if (r->device_time[0] != '\0')
		cborx_map_put(
		    m, VITALS_PROV_DEVICE_TIME, cborx_text(r->device_time));
	cborx_map_put(m, VITALS_PROV_KIOSK_TIME, cborx_uint(now_ms));
	cborx_map_put(m, VITALS_PROV_RAW_SHA256,
	    cborx_bytes(r->raw_sha256, sizeof(r->raw_sha256)));
	cborx_map_put(m, VITALS_PROV_FLAGS, cborx_uint(r->flags));
	if (r->marker[0] != '\0')
		cborx_map_put(m, VITALS_PROV_MARKER, cborx_text(r->marker));
	err = cborx_encode(m, out, len);
	cbor_decref(&m);
	return err;
}

uint64_t
vitals_device_ms(const char *t)
{
	struct tm tm;

	if (t == NULL || t[0] == '\0')
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000;
}

int
vitals_save(struct store *st, const char *encounter_id,
    const struct vitals_source *src, const struct dev_reading *r, size_t *saved,
    char **cause)
{
	const struct dev_quantity_info *qi;
	struct store_obs o[DEV_READING_MAX];
	uint8_t *prov = NULL;
	size_t i, plen = 0;
	int err;

	*saved = 0;
	if ((err = dev_reading_check(r, cause)) != 0)
		return err;
	if ((err = vitals_provenance(src, r, hlc_wall_ms(), &prov, &plen)) != 0)
		return err;
	memset(o, 0, sizeof(o));
	for (i = 0; i < r->n && i < DEV_READING_MAX; i++) {
		qi = dev_quantity_info(r->v[i].quantity);
		o[i].loinc = qi->loinc;
		o[i].value = r->v[i].value;
		o[i].unit = qi->unit;
		o[i].panel = qi->panel;
		o[i].device_id = src->device_id;
		o[i].provenance = prov;
		o[i].provenance_len = plen;
		o[i].taken_ms = vitals_device_ms(r->device_time);
	}
	/* One reading (a whole BP panel) is stored whole or not at all. */
	if ((err = store_obs_add_many(st, encounter_id, o, i)) != 0)
		log_warnx("reading from %s not stored: %s", src->device_id,
		    strerror(err));
	else {
		*saved = i;
		log_info("%zu observations stored from %s (first %s)", i,
		    src->device_id, o[0].id);
	}
	free(prov);
	return err;
}
