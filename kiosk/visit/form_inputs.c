/*
 * Opening a form for the patient in hand: CHT's inputs convention
 * (forms/form.h, form_set_input).  A CHT form opened on a contact gets
 * that contact in its inputs group (inputs/contact/_id, name, sex,
 * date_of_birth, ...) and inputs/source = 'contact'; the kiosk's contact
 * is the patient in hand, and its user is the person logged in.  No
 * curses and no SQL here (kiosk/visit/visit.h).
 */
#define LOG_MODULE "visit"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forms/form.h"
#include "log.h"
#include "visit.h"
#include "xmalloc.h"

/* Set inputs/NAME to VALUE when the form has that node; counts in *SET. */
static void
put(struct form *f, const char *name, const char *value, int *set)
{
	char *cause = NULL;
	int err;

	if (value == NULL || value[0] == '\0')
		return;
	err = form_set_input(f, name, value, &cause);
	free(cause); /* it may quote the value: patient data, not logged */
	if (err == 0)
		(*set)++;
	else if (err != ENOENT)
		log_info("form %s: inputs/%s not taken (%s)", form_id(f), name,
		    strerror(err));
}

int
visit_form_inputs(struct visit *v, struct form *f)
{
	const struct store_patient *p = &v->patient;
	const char *given = p->given ? p->given : "",
	           *family = p->family ? p->family : "";
	char *name;
	int set = 0;

	if (f == NULL || form_inputs_path(f) == NULL || !v->have_patient)
		return 0;
	xasprintf(&name, "%s%s%s", given, *given && *family ? " " : "", family);
	/* as CHT names them: the contact is the person the form is about,
	 * source says where the form was opened from */
	put(f, "source", "contact", &set);
	put(f, "source_id", p->id, &set);
	put(f, "contact/_id", p->id, &set);
	put(f, "contact/patient_id", p->id, &set);
	put(f, "contact/name", name, &set);
	put(f, "contact/sex", p->sex, &set);
	put(f, "contact/date_of_birth", p->birth_date, &set);
	put(f, "contact/phone", p->phone, &set);
	put(f, "user/name", v->user_name, &set);
	free(name);
	return set;
}
