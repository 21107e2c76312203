/*
 * What leaves the engine as XML: the OpenRosa record (research/
 * forms-interop.md §3.1: the primary instance root with its id/version
 * attributes, repeat templates gone, non-relevant nodes and their
 * descendants removed, empty nodes kept) and drafts (the whole working
 * instance plus the chosen language) that form_draft_restore reads back
 * after a crash.  No encryption here: the kiosk store encrypts at rest.
 */
#define LOG_MODULE "forms"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "form_int.h"
#include "log.h"
#include "xmalloc.h"
#include "xpr.h"

#define DRAFT_ROOT "outpost-form-draft"
#define DRAFT_MAX_BYTES (8 * 1024 * 1024)

void form_preloads(struct form *, int at_end);

static char *
dump(xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int len = 0;
	char *r;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	r = xstrndup(mem ? (const char *)mem : "", mem ? (size_t)len : 0);
	xmlFree(mem);
	return r;
}

/*
 * A boolean answer is written 1 or 0, as JavaRosa writes a BooleanData
 * (XFormAnswerDataSerializer); inside the record it stays true/false,
 * read as a boolean.
 */
static void
write_boolean(struct form *f, xmlNodePtr live, xmlNodePtr copy)
{
	struct bind *b = form_bind_for(f, live);
	char *v;

	if (!form_node_holds_boolean(live) &&
	    (b == NULL || !form_bind_boolean(b)))
		return;
	v = form_node_value(live);
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		xmlNodeSetContent(
		    copy, (const xmlChar *)(v[0] == 't' ? "1" : "0"));
	free(v);
}

/*
 * Walk the live record and its copy in step; drop what is not relevant,
 * write booleans as JavaRosa does.
 */
static void
prune(struct form *f, xmlNodePtr live, xmlNodePtr copy)
{
	xmlNodePtr l, c, cnext;

	for (l = live->children, c = copy->children; l != NULL && c != NULL;
	     l = l->next, c = cnext) {
		cnext = c->next;
		if (l->type != XML_ELEMENT_NODE)
			continue;
		if (!form_in_inputs(f, l) && !form_node_relevant(f, l)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			continue;
		}
		write_boolean(f, l, c);
		prune(f, l, c);
	}
}

static int
submission(struct form *f, char **xml)
{
	xmlDocPtr copy;
	xmlNodePtr root = xmlDocGetRootElement(f->inst);

	if (root == NULL)
		return EINVAL;
	copy = xmlCopyDoc(f->inst, 1);
	prune(f, root, xmlDocGetRootElement(copy));
	form_drop_unused_ns(xmlDocGetRootElement(copy));
	*xml = dump(copy);
	xmlFreeDoc(copy);
	return 0;
}

int
form_instance_xml(struct form *f, char **xml)
{
	return submission(f, xml);
}

int
form_finalize(struct form *f, char **xml, char **cause)
{
	struct form_issue *iss;
	size_t n, i;
	char *msg, *tmp;

	*xml = NULL;
	if (!f->started) {
		xasprintf(cause, "the record was not started");
		return EINVAL;
	}
	if ((n = form_validate(f, &iss)) > 0) {
		msg = xstrdup("");
		for (i = 0; i < n; i++) {
			xasprintf(&tmp, "%s%s: %s\n", msg, iss[i].path,
			    iss[i].message);
			free(msg);
			msg = tmp;
		}
		form_issues_free(iss, n);
		*cause = msg;
		return EINVAL;
	}
	form_preloads(f, 1);
	return submission(f, xml);
}

int
form_draft_save(struct form *f, char **xml)
{
	xmlDocPtr doc;
	xmlNodePtr top, root = xmlDocGetRootElement(f->inst);

	if (root == NULL)
		return EINVAL;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	top = xmlNewDocNode(doc, NULL, (const xmlChar *)DRAFT_ROOT, NULL);
	xmlDocSetRootElement(doc, top);
	xmlNewProp(top, (const xmlChar *)"form", (const xmlChar *)f->id);
	xmlNewProp(
	    top, (const xmlChar *)"version", (const xmlChar *)f->version);
	if (form_language(f) != NULL)
		xmlNewProp(top, (const xmlChar *)"lang",
		    (const xmlChar *)form_language(f));
	xmlAddChild(top, xmlDocCopyNode(root, doc, 1));
	*xml = dump(doc);
	xmlFreeDoc(doc);
	return 0;
}

static int
same_name(xmlNodePtr a, xmlNodePtr b)
{
	const xmlChar *pa, *pb;

	if (a->type != XML_ELEMENT_NODE || b->type != XML_ELEMENT_NODE ||
	    !xmlStrEqual(a->name, b->name))
		return 0;
	pa = a->ns ? a->ns->prefix : NULL;
	pb = b->ns ? b->ns->prefix : NULL;
	return xmlStrEqual(pa, pb);
}

/* The K-th (1-based) child of P named like N. */
static xmlNodePtr
kth_named(xmlNodePtr p, xmlNodePtr n, int k)
{
	xmlNodePtr c;

	for (c = p->children; c != NULL; c = c->next)
		if (same_name(c, n) && --k == 0)
			return c;
	return NULL;
}

static int
count_named(xmlNodePtr p, xmlNodePtr n)
{
	xmlNodePtr c;
	int k = 0;

	for (c = p->children; c != NULL; c = c->next)
		k += same_name(c, n);
	return k;
}

static int
has_elements(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static int
repeat_of(struct form *f, xmlNodePtr n)
{
	char *g = form_node_gpath(n);
	size_t i;
	int r = -1;

	for (i = 0; i < f->nrepeats && r < 0; i++)
		if (strcmp(f->repeats[i].path, g) == 0)
			r = (int)i;
	free(g);
	return r;
}

/*
 * Copy the answers of draft subtree SRC into record subtree DST (same
 * element), matching children by name and position, adding or removing
 * repeat instances so DST has as many as SRC.
 */
static void
merge(struct form *f, xmlNodePtr dst, xmlNodePtr src, int *dropped)
{
	xmlNodePtr s, d, next;
	xmlChar *v, *st;
	xmlNsPtr ns;
	int k, r;

	for (s = src->children; s != NULL; s = s->next) {
		if (s->type != XML_ELEMENT_NODE)
			continue;
		k = 0;
		for (d = src->children; d != s; d = d->next)
			k += same_name(d, s);
		d = kth_named(dst, s, k + 1);
		if (d == NULL && k > 0 && (d = kth_named(dst, s, k)) != NULL &&
		    (r = repeat_of(f, d)) >= 0)
			d = form_repeat_insert(f, &f->repeats[r], dst);
		else if (d == NULL && k == 0) {
			/* a first instance of a repeat the record has none of */
			size_t i;
			char *pg = form_node_gpath(dst), *g;

			xasprintf(&g, "%s/%s", pg, s->name);
			for (i = 0; i < f->nrepeats && d == NULL; i++)
				if (strcmp(f->repeats[i].path, g) == 0)
					d = form_repeat_insert(
					    f, &f->repeats[i], dst);
			free(pg);
			free(g);
		}
		if (d == NULL) {
			(*dropped)++;
			continue;
		}
		if (has_elements(s) || has_elements(d)) {
			if (has_elements(d))
				merge(f, d, s, dropped);
			else
				(*dropped)++;
			continue;
		}
		v = xmlNodeGetContent(s);
		form_node_set_text(d, (const char *)v);
		xmlFree(v);
		st = xmlGetNsProp(
		    s, (const xmlChar *)"stash", (const xmlChar *)XPR_NS);
		if (st != NULL) {
			xmlNodePtr root = xmlDocGetRootElement(d->doc);

			ns = xmlSearchNsByHref(
			    d->doc, root, (const xmlChar *)XPR_NS);
			if (ns == NULL)
				ns = xmlNewNs(root, (const xmlChar *)XPR_NS,
				    (const xmlChar *)XPR_PREFIX);
			xmlSetNsProp(d, ns, (const xmlChar *)"stash", st);
			xmlFree(st);
		}
	}
	/* repeat instances the draft does not have (e.g. the defined one
	 * when the draft removed it) */
	for (d = dst->children; d != NULL; d = next) {
		next = d->next;
		if (d->type != XML_ELEMENT_NODE || repeat_of(f, d) < 0)
			continue;
		k = 0;
		for (s = dst->children; s != d; s = s->next)
			k += same_name(s, d);
		if (k + 1 > count_named(src, d)) {
			xmlUnlinkNode(d);
			xmlFreeNode(d);
		}
	}
}

static int
draft_fail(char **cause, const char *why)
{
	if (cause != NULL)
		xasprintf(cause, "draft: %s", why);
	return EINVAL;
}

int
form_draft_restore(struct form *f, const char *xml, size_t len, char **cause)
{
	xmlDocPtr doc, inst;
	xmlNodePtr top, rec, old;
	xmlChar *id, *lang;
	int err = 0, dropped = 0;

	if (len > DRAFT_MAX_BYTES)
		return draft_fail(cause, "too large");
	doc = xmlReadMemory(xml, (int)len, "draft.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return draft_fail(cause, "not well-formed XML");
	top = xmlDocGetRootElement(doc);
	if (top == NULL || strcmp((const char *)top->name, DRAFT_ROOT) != 0) {
		xmlFreeDoc(doc);
		return draft_fail(cause, "not an Outpost form draft");
	}
	id = xmlGetProp(top, (const xmlChar *)"form");
	if (id == NULL || strcmp((const char *)id, f->id) != 0) {
		xmlFree(id);
		xmlFreeDoc(doc);
		return draft_fail(cause, "it belongs to another form");
	}
	xmlFree(id);
	for (rec = top->children; rec && rec->type != XML_ELEMENT_NODE;
	     rec = rec->next)
		;
	old = xmlDocGetRootElement(f->inst);
	if (rec == NULL || old == NULL || !xmlStrEqual(rec->name, old->name)) {
		xmlFreeDoc(doc);
		return draft_fail(cause, "its record does not match the form");
	}
	/* the draft's answers go into the record as the form defines it
	 * now: questions added since get their defaults, answers to
	 * questions that are gone are dropped (and counted) */
	form_strip_instance(rec);
	inst = xmlCopyDoc(f->pristine, 1);
	merge(f, xmlDocGetRootElement(inst), rec, &dropped);
	if (dropped > 0)
		log_warnx("form %s: draft had %d answers for questions no "
		          "longer in the form",
		    f->id, dropped);
	/* swap documents under the same XPath context */
	xmlFreeDoc(f->inst);
	f->inst = inst;
	f->env.primary = inst;
	f->xp->doc = inst;
	if ((lang = xmlGetProp(top, (const xmlChar *)"lang")) != NULL) {
		(void)form_set_language(f, (const char *)lang);
		xmlFree(lang);
	}
	xmlFreeDoc(doc);
	form_reopened(f);
	f->started = 1;
	log_debug("form %s: draft restored", f->id);
	return err;
}
