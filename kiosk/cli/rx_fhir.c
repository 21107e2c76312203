/*
 * FHIR R4 MedicationRequest of rx_fhir.h.
 */
#include <string.h>
#include <time.h>

#include "kiosk/cli/rx_fhir.h"
#include "kiosk/store/store.h"

static json_t *
rx_ref(const char *type, const char *id)
{
	char ref[96];

	snprintf(ref, sizeof(ref), "%s/%s", type, id ? id : "");
	return json_pack("{s:s}", "reference", ref);
}

static const char *
rx_fhir_status(const char *status)
{
	if (strcmp(status, "cancelled") == 0)
		return "cancelled";
	if (strcmp(status, "stopped") == 0)
		return "stopped";
	return "active";
}

json_t *
rx_fhir_medication_request(const struct store_rx *x)
{
	char when[32] = "", text[256];
	time_t t = (time_t)(x->signed_ms / 1000);
	struct tm tm;
	json_t *r, *requester, *dosage;

	if (x->action == NULL || strcmp(x->action, "order") != 0)
		return NULL;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text), "%g %s, %u times a day, %u days", x->dose,
	    x->unit ? x->unit : "", x->per_day, x->days);
	requester = rx_ref("Practitioner", x->clinician);
	json_object_set_new(requester, "display",
	    json_string(x->clinician_name ? x->clinician_name : ""));
	json_object_set_new(requester, "identifier",
	    json_pack("{s:s,s:s}", "system", "urn:outpost:registration",
	        "value", x->regno ? x->regno : ""));
	dosage = json_pack("{s:s,s:{s:{s:i,s:i,s:s,s:{s:i,s:s,s:s,s:s}}},"
	                   "s:{s:s},s:[{s:{s:f,s:s}}]}",
	    "text", text, "timing", "repeat", "frequency", (int)x->per_day,
	    "period", 1, "periodUnit", "d", "boundsDuration", "value",
	    (int)x->days, "unit", "d", "system", "http://unitsofmeasure.org",
	    "code", "d", "route", "text", x->route ? x->route : "",
	    "doseAndRate", "doseQuantity", "value", x->dose, "unit",
	    x->unit ? x->unit : "");
	if (x->note != NULL && x->note[0] != '\0')
		json_object_set_new(
		    dosage, "patientInstruction", json_string(x->note));
	r = json_pack("{s:s,s:[{s:s,s:s}],s:s,s:s,s:{s:s},s:o,s:o,s:s,s:o,"
	              "s:[o],s:{s:{s:i,s:s,s:s,s:s}}}",
	    "resourceType", "MedicationRequest", "identifier", "system",
	    "urn:outpost:prescription", "value", x->id, "status",
	    rx_fhir_status(x->status ? x->status : "active"), "intent", "order",
	    "medicationCodeableConcept", "text", x->inn ? x->inn : "",
	    "subject", rx_ref("Patient", x->patient_id), "encounter",
	    rx_ref("Encounter", x->encounter_id), "authoredOn", when,
	    "requester", requester, "dosageInstruction", dosage,
	    "dispenseRequest", "expectedSupplyDuration", "value", (int)x->days,
	    "unit", "d", "system", "http://unitsofmeasure.org", "code", "d");
	if (r != NULL && x->override != NULL && x->override[0] != '\0')
		json_object_set_new(r, "note",
		    json_pack("[{s:s+}]", "text", "override: ", x->override));
	return r;
}
