/*
 * Helpers for the forms engine tests: build a small XForm from a primary
 * instance body, extra model children (binds, secondary instances,
 * itext) and a body, the way pyxform lays them out (XForms default
 * namespace, jr/orx/odk prefixes).
 */
#ifndef TEST_FORMS_H
#define TEST_FORMS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forms/form.h"
#include "xmalloc.h"

static inline char *
tf_xml(const char *inst, const char *model, const char *body)
{
	char *s;

	xasprintf(&s,
	    "<?xml version=\"1.0\"?>\n"
	    "<h:html xmlns=\"http://www.w3.org/2002/xforms\"\n"
	    " xmlns:h=\"http://www.w3.org/1999/xhtml\"\n"
	    " xmlns:jr=\"http://openrosa.org/javarosa\"\n"
	    " xmlns:orx=\"http://openrosa.org/xforms\"\n"
	    " xmlns:odk=\"http://www.opendatakit.org/xforms\">\n"
	    "<h:head><h:title>t</h:title>\n<model>\n"
	    "<instance><data id=\"t\" version=\"1\">%s"
	    "<meta><instanceID/></meta></data></instance>\n"
	    "%s\n</model></h:head>\n<h:body>\n%s\n</h:body></h:html>\n",
	    inst, model, body);
	return s;
}

/* Load and start; on failure print the cause and return NULL. */
static inline struct form *
tf_form(const char *inst, const char *model, const char *body)
{
	char *xml = tf_xml(inst, model, body), *cause = NULL;
	struct form *f = NULL;

	if (form_load_mem(xml, strlen(xml), &f, &cause) != 0) {
		fprintf(stderr, "  load: %s\n", cause ? cause : "?");
		free(cause);
		free(xml);
		return NULL;
	}
	free(xml);
	if (form_start(f, &cause) != 0) {
		fprintf(stderr, "  start: %s\n", cause ? cause : "?");
		free(cause);
		form_free(f);
		return NULL;
	}
	return f;
}

/* Value at PATH as a new string ("<ENOENT>" when missing). */
static inline char *
tf_get(struct form *f, const char *path)
{
	char *v = NULL;

	if (form_get(f, path, &v) != 0)
		return xstrdup("<ENOENT>");
	return v;
}

/* Set and ignore the message; returns the errno value. */
static inline int
tf_set(struct form *f, const char *path, const char *value)
{
	char *cause = NULL;
	int err = form_set(f, path, value, &cause);

	free(cause);
	return err;
}

/* Expect the refusal: returns the cause (caller frees) or NULL if loaded. */
static inline char *
tf_refused(const char *inst, const char *model, const char *body)
{
	char *xml = tf_xml(inst, model, body), *cause = NULL;
	struct form *f = NULL;

	if (form_load_mem(xml, strlen(xml), &f, &cause) == 0) {
		form_free(f);
		free(xml);
		return NULL;
	}
	free(xml);
	return cause ? cause : xstrdup("");
}

#endif
