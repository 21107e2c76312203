/*
 * Entity names for record.h.  Only the table of names lives here: each
 * entity's fields, and the encoding of its body, are in model.c.
 */
#include <string.h>

#include "record.h"

static const char *const rec_names[REC_ENTITY_MAX + 1] = {
	[REC_NODE] = "node",
	[REC_USER] = "user",
	[REC_PATIENT] = "patient",
	[REC_ENCOUNTER] = "encounter",
	[REC_OBSERVATION] = "observation",
	[REC_FORM] = "form_submission",
	[REC_CONSULT] = "consult",
	[REC_PRESCRIPTION] = "prescription",
	[REC_REFERRAL] = "referral",
	[REC_APPOINTMENT] = "appointment",
	[REC_MESSAGE] = "message",
	[REC_EMERGENCY] = "emergency",
	[REC_ATTACHMENT] = "attachment",
	[REC_ALERT] = "alert",
	[REC_MERGE] = "merge",
	[REC_CALL] = "call",
};

const char *
rec_entity_name(int entity)
{
	if (entity <= 0 || entity > REC_ENTITY_MAX || rec_names[entity] == NULL)
		return "unknown";
	return rec_names[entity];
}

int
rec_entity_from_name(const char *name)
{
	int i;

	for (i = 1; i <= REC_ENTITY_MAX; i++)
		if (rec_names[i] != NULL && strcmp(rec_names[i], name) == 0)
			return i;
	return 0;
}
