/*
 * FHIR R4 resources of one incident (fhir.h), written with common/json.h.
 * Every resource has its own id derived from the incident's UUID, so the
 * same incident written twice gives the same resources (an EHR update,
 * not a duplicate).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "escalate/fhir.h"
#include "json.h"

static void
fhir_time(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
subject(struct buf *b, const struct esc_fhir_in *in)
{
	buf_printf(b, "\"subject\":{\"reference\":");
	if (in->patient_id != NULL && in->patient_id[0] != '\0') {
		buf_printf(b, "\"Patient/");
		buf_printf(b, "%s\"}", in->patient_id);
	} else
		buf_printf(b, "\"Location/%s\"}", in->site_id);
}

/* A transaction entry's request: PUT TYPE/ID (an update by a stable id). */
static void
request(struct buf *b, const struct esc_fhir_in *in, const char *type,
    const char *prefix, int n)
{
	if (!in->transaction)
		return;
	buf_printf(b, ",\"request\":{\"method\":\"PUT\",\"url\":\"%s/%s%s",
	    type, prefix, in->uuid);
	if (n > 0)
		buf_printf(b, "-%d", n);
	buf_printf(b, "\"}");
}

int
esc_fhir_bundle(const struct esc_fhir_in *in, char **out)
{
	struct buf b;
	char when[40];
	int i;

	*out = NULL;
	if (in->uuid == NULL || strspn(in->uuid, "0123456789abcdef-") != 36 ||
	    in->uuid[36] != '\0' || in->site_id == NULL ||
	    in->site_id[0] == '\0' ||
	    strspn(in->site_id,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	        "RSTUVWXYZ0123456789-.") != strlen(in->site_id) ||
	    (in->patient_id != NULL &&
	        strspn(in->patient_id, "0123456789abcdef-") !=
	            strlen(in->patient_id)))
		return EINVAL;
	fhir_time(in->raised_ms, when);
	buf_init(&b, 256 << 10);
	buf_printf(&b,
	    "{\"resourceType\":\"Bundle\",\"type\":\"%s\",\"entry\":[",
	    in->transaction ? "transaction" : "collection");
	/* Flag */
	buf_printf(&b,
	    "{\"fullUrl\":\"urn:uuid:%s\",\"resource\":{\"resourceType\":"
	    "\"Flag\",\"id\":\"flag-%s\",\"status\":\"%s\",\"category\":[{"
	    "\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
	    "flag-category\",\"code\":\"clinical\"}]}],\"code\":{\"text\":",
	    in->uuid, in->uuid, in->active ? "active" : "inactive");
	json_str(&b, "Emergency escalation");
	buf_printf(&b, "},");
	subject(&b, in);
	buf_printf(&b, ",\"period\":{\"start\":\"%s\"}}", when);
	request(&b, in, "Flag", "flag-", 0);
	buf_printf(&b, "}");
	/* ServiceRequest */
	buf_printf(&b,
	    ",{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":"
	    "\"sr-%s\",\"identifier\":[{\"system\":\"urn:ietf:rfc:3986\","
	    "\"value\":\"urn:uuid:%s\"},{\"system\":\"https://outpost.example/"
	    "emergency-code\",\"value\":",
	    in->uuid, in->uuid);
	json_str(&b, in->code != NULL ? in->code : "");
	buf_printf(&b,
	    "}],\"status\":\"%s\",\"intent\":\"order\","
	    "\"priority\":\"stat\",\"code\":{\"text\":",
	    in->active ? "active" : "completed");
	json_str(&b, "Emergency transport");
	buf_printf(&b, "},");
	subject(&b, in);
	buf_printf(&b, ",\"occurrenceDateTime\":\"%s\",\"authoredOn\":\"%s\"",
	    when, when);
	if (in->summary != NULL && in->summary[0] != '\0') {
		buf_printf(&b, ",\"note\":[{\"text\":");
		json_str(&b, in->summary);
		buf_printf(&b, "}]");
	}
	buf_printf(&b, "}");
	request(&b, in, "ServiceRequest", "sr-", 0);
	buf_printf(&b, "}");
	/* one Communication per page delivered */
	for (i = 0; i < in->nmsg; i++) {
		int n = in->msg[i].seq > 0 ? in->msg[i].seq : i + 1;

		fhir_time(in->msg[i].sent_ms, when);
		buf_printf(&b,
		    ",{\"resource\":{\"resourceType\":\"Communication\","
		    "\"id\":\"comm-%s-%d\",\"basedOn\":[{\"reference\":"
		    "\"ServiceRequest/sr-%s\"}],\"status\":\"completed\","
		    "\"priority\":\"stat\",",
		    in->uuid, n, in->uuid);
		subject(&b, in);
		buf_printf(
		    &b, ",\"sent\":\"%s\",\"recipient\":[{\"display\":", when);
		json_str(&b, in->msg[i].recipient);
		buf_printf(&b, "}],\"payload\":[{\"contentString\":");
		json_str(&b, in->msg[i].text);
		buf_printf(&b, "}]}");
		request(&b, in, "Communication", "comm-", n);
		buf_printf(&b, "}");
	}
	buf_printf(&b, "]}\n");
	*out = buf_take_str(&b);
	return 0;
}
