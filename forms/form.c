/*
 * The live record of a loaded form: evaluating binds against the working
 * instance, recalculating calculates when what they read changes,
 * relevance (inherited), readonly, required and constraint checks, repeats
 * (add/remove, jr:count, odk-new-repeat), preloads and setvalue events,
 * and the prompt list a UI renders.
 *
 * Recalculation: every calculate knows the instance paths it reads (from
 * the rewriter).  A change marks its path dirty and calculates reading it
 * are re-run until nothing changes; calculates that read nothing but
 * now()/today()/uuid()/random() run only when the record starts or a
 * repeat instance is created, never again (forms-interop.md §1.10 item 12).
 * Values of non-relevant nodes are kept while filling and only dropped from
 * the submission.
 */
#define LOG_MODULE "forms"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

#include "compat.h"
#include "form_int.h"
#include "log.h"
#include "str.h"
#include "uuid.h"
#include "xmalloc.h"
#include "xpr.h"

#define MAX_DEPTH 64

struct control *form_control_for(struct form *, const char *gpath);
char *form_itemset_label(struct form *, struct control *, const char *);

/* --- nodes and paths ------------------------------------------------------ */

static void
node_name(xmlNodePtr n, char *buf, size_t size)
{
	if (n->ns != NULL && n->ns->prefix != NULL)
		snprintf(buf, size, "%s:%s", n->ns->prefix, n->name);
	else
		snprintf(buf, size, "%s", n->name);
}

static int
is_repeat_path(struct form *f, const char *g)
{
	size_t i;

	for (i = 0; i < f->nrepeats; i++)
		if (strcmp(f->repeats[i].path, g) == 0)
			return (int)i;
	return -1;
}

static int
sibling_index(xmlNodePtr n)
{
	xmlNodePtr s;
	int k = 1;

	for (s = n->prev; s != NULL; s = s->prev)
		if (s->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(s->name, n->name) && s->ns == n->ns)
			k++;
	return k;
}

/*
 * "/data/hh[2]/x": with F, repeat instances get their 1-based index; the
 * generic path (F == NULL) names every instance at once.
 */
static char *
build_path(struct form *f, xmlNodePtr n)
{
	xmlNodePtr chain[MAX_DEPTH];
	char name[256], *out, *tmp;
	int k = 0, i;

	for (; n != NULL && n->type == XML_ELEMENT_NODE && k < MAX_DEPTH;
	     n = n->parent)
		chain[k++] = n;
	out = xstrdup("");
	for (i = k - 1; i >= 0; i--) {
		node_name(chain[i], name, sizeof(name));
		if (f != NULL && form_node_info(f, chain[i])->repeat >= 0)
			xasprintf(&tmp, "%s/%s[%d]", out, name,
			    sibling_index(chain[i]));
		else
			xasprintf(&tmp, "%s/%s", out, name);
		free(out);
		out = tmp;
	}
	return out;
}

char *
form_node_gpath(xmlNodePtr n)
{
	return build_path(NULL, n);
}

char *
form_node_path(struct form *f, xmlNodePtr n)
{
	return build_path(f, n);
}

static int
name_matches(xmlNodePtr n, const char *step, size_t len)
{
	char name[256];

	if (n->type != XML_ELEMENT_NODE)
		return 0;
	node_name(n, name, sizeof(name));
	return strlen(name) == len && strncmp(name, step, len) == 0;
}

/* Resolve "/data/rep[2]/x" (a missing index means 1) to a node. */
xmlNodePtr
form_resolve(struct form *f, const char *path)
{
	xmlNodePtr n = NULL, c;
	const char *p = path, *e, *br;
	size_t len;
	long idx, k;
	char *end;

	if (path == NULL || *p != '/')
		return NULL;
	while (*p == '/') {
		p++;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		br = memchr(p, '[', (size_t)(e - p));
		len = (size_t)((br ? br : e) - p);
		idx = 1;
		if (br != NULL) {
			idx = strtol(br + 1, &end, 10);
			if (*end != ']' || end + 1 != e || idx < 1)
				return NULL;
		}
		if (n == NULL) {
			c = xmlDocGetRootElement(f->inst);
			if (c == NULL || !name_matches(c, p, len) || idx != 1)
				return NULL;
			n = c;
		} else {
			k = 0;
			for (c = n->children; c != NULL; c = c->next)
				if (name_matches(c, p, len) && ++k == idx)
					break;
			if (c == NULL)
				return NULL;
			n = c;
		}
		p = e;
	}
	return *p == '\0' ? n : NULL;
}

/* Every node of the generic PATH, in document order (all repeats). */
static void
find_nodes_in(xmlNodePtr n, const char *rest, xmlNodePtr **out, size_t *cnt)
{
	const char *e;
	size_t len;
	xmlNodePtr c;

	if (*rest == '\0') {
		*out = xreallocarray(*out, *cnt + 1, sizeof(**out));
		(*out)[(*cnt)++] = n;
		return;
	}
	rest++; /* '/' */
	e = strchr(rest, '/');
	len = e ? (size_t)(e - rest) : strlen(rest);
	for (c = n->children; c != NULL; c = c->next)
		if (name_matches(c, rest, len))
			find_nodes_in(c, rest + len, out, cnt);
}

static size_t
find_nodes(struct form *f, const char *path, xmlNodePtr **out)
{
	xmlNodePtr root = xmlDocGetRootElement(f->inst);
	const char *p = path + 1, *e;
	size_t cnt = 0, len;

	*out = NULL;
	if (root == NULL || path[0] != '/')
		return 0;
	e = strchr(p, '/');
	len = e ? (size_t)(e - p) : strlen(p);
	if (!name_matches(root, p, len))
		return 0;
	find_nodes_in(root, p + len, out, &cnt);
	return cnt;
}

const struct pinfo *
form_node_info(struct form *f, xmlNodePtr n)
{
	struct pinfo *pi;
	char *g;
	size_t i;

	if (n->_private != NULL)
		return n->_private;
	g = form_node_gpath(n);
	for (i = 0; i < f->npinfos; i++)
		if (strcmp(f->pinfos[i]->gpath, g) == 0) {
			free(g);
			n->_private = f->pinfos[i];
			return f->pinfos[i];
		}
	pi = xcalloc(1, sizeof(*pi));
	pi->gpath = g;
	pi->repeat = is_repeat_path(f, g);
	for (i = 0; i < f->nbinds; i++)
		if (strcmp(f->binds[i].path, g) == 0) {
			pi->bind = &f->binds[i];
			break;
		}
	f->pinfos =
	    xreallocarray(f->pinfos, f->npinfos + 1, sizeof(*f->pinfos));
	f->pinfos[f->npinfos++] = pi;
	n->_private = pi;
	return pi;
}

struct bind *
form_bind_for(struct form *f, xmlNodePtr n)
{
	return form_node_info(f, n)->bind;
}

char *
form_node_value(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *r = xstrdup(c ? (const char *)c : "");

	xmlFree(c);
	return r;
}

/*
 * A setvalue whose expression gives a boolean keeps it in a node no bind
 * types (JavaRosa's Recalculate.wrapData makes a BooleanData of any
 * Boolean): the node is marked, read back as a boolean and written 1/0
 * in the submission.  Any other write clears the mark.  The mark lives in
 * the node's psvi pointer, which only XML Schema validation uses (the
 * record is never validated against a schema).
 */
static char boolean_mark;

int
form_node_holds_boolean(xmlNodePtr n)
{
	return n != NULL && n->psvi == &boolean_mark;
}

void
form_node_set_text(xmlNodePtr n, const char *v)
{
	xmlNodePtr c, next;

	n->psvi = NULL;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
	if (v != NULL && *v != '\0')
		xmlAddChild(n, xmlNewDocText(n->doc, (const xmlChar *)v));
}

static int
is_leaf(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 0;
	return 1;
}

/* --- evaluation ----------------------------------------------------------- */

/* $repN: positions of N's enclosing repeat instances, outermost first. */
static void
set_context(struct form *f, xmlNodePtr n)
{
	xmlNodePtr chain[MAX_DEPTH], a;
	int k = 0, i;

	f->env.nrep = 0;
	for (a = n; a != NULL && a->type == XML_ELEMENT_NODE && k < MAX_DEPTH;
	     a = a->parent)
		chain[k++] = a;
	for (i = k - 1; i >= 0 && f->env.nrep < XFN_MAXREP; i--)
		if (form_node_info(f, chain[i])->repeat >= 0)
			f->env.rep[f->env.nrep++] = sibling_index(chain[i]);
	f->env.current = n;
	f->xp->node = n;
	f->xp->doc = f->inst;
	f->xp->contextSize = 1;
	f->xp->proximityPosition = 1;
}

static xmlXPathObjectPtr
eval(struct form *f, struct cexpr *e, xmlNodePtr n)
{
	xmlXPathObjectPtr o;
	xmlNodePtr saved_cur = f->env.current, saved_node = f->xp->node;
	xmlDocPtr saved_doc = f->xp->doc;
	int saved_nrep = f->env.nrep, saved_rep[XFN_MAXREP];
	int saved_size = f->xp->contextSize,
	    saved_pos = f->xp->proximityPosition;

	/* evaluations nest (jr:itext() renders outputs, jr:choice-name()
	 * evaluates an itemset): leave the context as it was found */
	memcpy(saved_rep, f->env.rep, sizeof(saved_rep));
	set_context(f, n != NULL ? n : xmlDocGetRootElement(f->inst));
	f->nevals++;
	o = xmlXPathCompiledEval(e->comp, f->xp);
	if (o == NULL)
		log_debug("form %s: evaluation failed: %s", f->id, e->src);
	f->env.current = saved_cur;
	f->env.nrep = saved_nrep;
	memcpy(f->env.rep, saved_rep, sizeof(saved_rep));
	f->xp->node = saved_node;
	f->xp->doc = saved_doc;
	f->xp->contextSize = saved_size;
	f->xp->proximityPosition = saved_pos;
	return o;
}

static int
eval_bool(struct form *f, struct cexpr *e, xmlNodePtr n, int def)
{
	xmlXPathObjectPtr o;
	int r;

	if (e == NULL)
		return def;
	if ((o = eval(f, e, n)) == NULL)
		return def;
	r = xfn_obj_bool(&f->env, o);
	xmlXPathFreeObject(o);
	return r;
}

static char *
eval_string(struct form *f, struct cexpr *e, xmlNodePtr n)
{
	xmlXPathObjectPtr o = eval(f, e, n);
	char *s = xfn_obj_string(o);

	xmlXPathFreeObject(o);
	return s;
}

/* A calculated value converted to the bind's type (JavaRosa casts). */
static char *
typed_result(struct form *f, struct cexpr *e, xmlNodePtr n, enum form_type t)
{
	xmlXPathObjectPtr o = eval(f, e, n);
	char buf[64], *s;
	double d;

	if (o == NULL)
		return xstrdup("");
	if (t == FORM_T_INT || t == FORM_T_DECIMAL) {
		if (o->type == XPATH_NUMBER)
			d = o->floatval;
		else {
			s = xfn_obj_string(o);
			d = xfn_str_number(s);
			free(s);
		}
		xmlXPathFreeObject(o);
		if (isnan(d) || isinf(d))
			return xstrdup("");
		if (t == FORM_T_INT)
			d = trunc(d);
		xfn_format_number(d, buf, sizeof(buf));
		return xstrdup(buf);
	}
	if (t == FORM_T_DATE && o->type == XPATH_NUMBER) {
		d = o->floatval;
		xmlXPathFreeObject(o);
		if (isnan(d) || isinf(d) || fabs(d) > 3e6)
			return xstrdup("");
		xfn_days_to_date((long long)floor(d), buf);
		return xstrdup(buf);
	}
	s = xfn_obj_string(o);
	xmlXPathFreeObject(o);
	/* a dateTime (add-date(), now()) into a date question: its date,
	 * as written (local for the engine's own results) */
	if (t == FORM_T_DATE && strlen(s) > 10 &&
	    xfn_parse_datetime(s, &d) == 0)
		s[10] = '\0';
	return s;
}

/* Is N the CHT inputs group or under it (form.h)? */
int
form_in_inputs(struct form *f, xmlNodePtr n)
{
	xmlNodePtr root = xmlDocGetRootElement(f->inst);

	if (f->inputs_path == NULL || n == NULL || n->doc != f->inst)
		return 0;
	for (; n != NULL && n->parent != (xmlNodePtr)f->inst; n = n->parent)
		if (n->parent == root &&
		    xmlStrEqual(n->name, (const xmlChar *)"inputs"))
			return 1;
	return 0;
}

int
form_node_relevant(struct form *f, xmlNodePtr n)
{
	struct bind *b;

	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		b = form_bind_for(f, n);
		if (b != NULL && b->relevant != NULL &&
		    !eval_bool(f, b->relevant, n, 1))
			return 0;
	}
	return 1;
}

static int
node_readonly(struct form *f, xmlNodePtr n)
{
	struct bind *b;

	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		b = form_bind_for(f, n);
		if (b != NULL && b->readonly != NULL &&
		    eval_bool(f, b->readonly, n, 0))
			return 1;
	}
	return 0;
}

/* --- text ----------------------------------------------------------------- */

static char *
render_text(struct form *f, const struct text *t, xmlNodePtr ctx)
{
	char *out = xstrdup(""), *part, *tmp;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->parts[i].lit != NULL)
			part = xstrdup(t->parts[i].lit);
		else
			part = eval_string(f, t->parts[i].expr, ctx);
		xasprintf(&tmp, "%s%s", out, part);
		free(out);
		free(part);
		out = tmp;
	}
	/* labels are indented in the XML: collapse runs of blanks */
	{
		char *r = out, *w = out;
		int sp = 0;

		for (; *r != '\0'; r++) {
			if (*r == ' ' || *r == '\t' || *r == '\n' ||
			    *r == '\r') {
				sp = 1;
				continue;
			}
			if (sp && w != out)
				*w++ = ' ';
			sp = 0;
			*w++ = *r;
		}
		*w = '\0';
	}
	return out;
}

static const struct text *
itext_find(struct form *f, size_t lang, const char *id)
{
	size_t i;

	if (lang >= f->nlangs)
		return NULL;
	for (i = 0; i < f->langs[lang].n; i++)
		if (strcmp(f->langs[lang].e[i].id, id) == 0)
			return &f->langs[lang].e[i].text;
	return NULL;
}

char *
form_label_text(struct form *f, const struct label *l, xmlNodePtr ctx)
{
	const struct text *t = NULL;
	size_t i;

	if (l == NULL || !l->present)
		return xstrdup("");
	if (l->itext_id != NULL) {
		t = itext_find(f, f->lang, l->itext_id);
		for (i = 0; t == NULL && i < f->nlangs; i++)
			t = itext_find(f, i, l->itext_id);
		if (t != NULL && t->n > 0)
			return render_text(f, t, ctx);
	}
	return render_text(f, &l->inl, ctx);
}

/* --- choices -------------------------------------------------------------- */

static void
choices_free(struct form_choice *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].value);
		free(c[i].label);
	}
	free(c);
}

static size_t
control_choices(
    struct form *f, struct control *c, xmlNodePtr n, struct form_choice **out)
{
	xmlXPathObjectPtr o;
	xmlNodeSetPtr ns;
	struct form_choice *ch = NULL;
	size_t k = 0, i;
	xmlNodePtr saved, saved_node;

	*out = NULL;
	if (c->itemset == NULL) {
		if (c->nitems == 0)
			return 0;
		ch = xcalloc(c->nitems, sizeof(*ch));
		for (i = 0; i < c->nitems; i++) {
			ch[i].value = xstrdup(c->items[i].value);
			ch[i].label = form_label_text(f, &c->items[i].label, n);
		}
		*out = ch;
		return c->nitems;
	}
	o = eval(f, c->itemset, n);
	if (o == NULL || o->type != XPATH_NODESET || o->nodesetval == NULL) {
		xmlXPathFreeObject(o);
		return 0;
	}
	ns = o->nodesetval;
	if (ns->nodeNr > 0)
		ch = xcalloc((size_t)ns->nodeNr, sizeof(*ch));
	for (i = 0; i < (size_t)ns->nodeNr; i++) {
		xmlXPathObjectPtr v, l;

		/* value/label refs are relative to the item; current() stays
		 * the question's node */
		saved = f->env.current;
		saved_node = f->xp->node;
		f->xp->node = ns->nodeTab[i];
		f->env.current = n;
		f->nevals += 2;
		v = xmlXPathCompiledEval(c->item_value->comp, f->xp);
		f->xp->node = ns->nodeTab[i];
		l = xmlXPathCompiledEval(c->item_label->comp, f->xp);
		f->env.current = saved;
		f->xp->node = saved_node;
		ch[k].value = xfn_obj_string(v);
		ch[k].label = xfn_obj_string(l);
		xmlXPathFreeObject(v);
		xmlXPathFreeObject(l);
		k++;
	}
	xmlXPathFreeObject(o);
	*out = ch;
	return k;
}

char *
form_itemset_label(struct form *f, struct control *c, const char *value)
{
	struct form_choice *ch;
	xmlNodePtr *nodes;
	size_t n, i, cnt;
	char *r = NULL;

	cnt = find_nodes(f, c->path, &nodes);
	n = control_choices(f, c, cnt ? nodes[0] : NULL, &ch);
	free(nodes);
	for (i = 0; i < n && r == NULL; i++)
		if (strcmp(ch[i].value, value) == 0)
			r = xstrdup(ch[i].label);
	choices_free(ch, n);
	return r;
}

/* --- recalculation -------------------------------------------------------- */

struct dirty {
	char **p;
	size_t n;
};

static void
dirty_add(struct dirty *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->p[i], path) == 0)
			return;
	d->p = xreallocarray(d->p, d->n + 1, sizeof(char *));
	d->p[d->n++] = xstrdup(path);
}

static void
dirty_free(struct dirty *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->p[i]);
	free(d->p);
	d->p = NULL;
	d->n = 0;
}

static int
path_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la <= lb)
		return strncmp(a, b, la) == 0 &&
		    (b[la] == '\0' || b[la] == '/');
	return strncmp(a, b, lb) == 0 && a[lb] == '/';
}

static int
reads_dirty(const struct cexpr *e, const struct dirty *d)
{
	size_t i, j;

	for (i = 0; i < e->ndeps; i++)
		for (j = 0; j < d->n; j++)
			if (path_related(e->deps[i], d->p[j]))
				return 1;
	return 0;
}

static int
in_subtree(xmlNodePtr top, xmlNodePtr n)
{
	for (; n != NULL; n = n->parent)
		if (n == top)
			return 1;
	return 0;
}

/*
 * Values of non-relevant questions read as empty, as in JavaRosa: the
 * value moves into an ox:stash attribute while the node is not relevant
 * and comes back when it is again (calculated nodes are recomputed
 * instead).  Non-relevant nodes leave the submission, so stashes never
 * do.  Returns 1 when a value changed (paths added to D).
 */
#define STASH "stash"

static xmlNsPtr
stash_ns(struct form *f)
{
	xmlNodePtr root = xmlDocGetRootElement(f->inst);
	xmlNsPtr ns = xmlSearchNsByHref(f->inst, root, (const xmlChar *)XPR_NS);

	if (ns == NULL)
		ns = xmlNewNs(
		    root, (const xmlChar *)XPR_NS, (const xmlChar *)XPR_PREFIX);
	return ns;
}

static int
apply_relevance(struct form *f, xmlNodePtr n, int parent_rel, struct dirty *d)
{
	struct bind *b = form_bind_for(f, n);
	xmlChar *st;
	xmlNodePtr c;
	char *v, *cur;
	int rel, changed = 0;

	rel = parent_rel &&
	    (b == NULL || b->relevant == NULL ||
	        eval_bool(f, b->relevant, n, 1));
	/* CHT's inputs keep their values when hidden (form.h) */
	if (!rel && form_in_inputs(f, n))
		rel = 1;
	if (!is_leaf(n)) {
		for (c = n->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				changed |= apply_relevance(f, c, rel, d);
		return changed;
	}
	st = xmlGetNsProp(n, (const xmlChar *)STASH, (const xmlChar *)XPR_NS);
	cur = form_node_value(n);
	if (!rel) {
		/* keep what was there (or was set meanwhile), read as empty */
		if (st == NULL || *cur != '\0') {
			xmlSetNsProp(n, stash_ns(f), (const xmlChar *)STASH,
			    (const xmlChar *)(*cur != '\0' || st == NULL
			            ? cur
			            : (const char *)st));
			if (*cur != '\0') {
				form_node_set_text(n, "");
				dirty_add(d, form_node_info(f, n)->gpath);
				changed = 1;
			}
		}
	} else if (st != NULL) {
		xmlUnsetNsProp(n, stash_ns(f), (const xmlChar *)STASH);
		v = b != NULL && b->calculate != NULL
		    ? typed_result(f, b->calculate, n, b->type)
		    : xstrdup((const char *)st);
		if (strcmp(cur, v) != 0) {
			form_node_set_text(n, v);
			dirty_add(d, form_node_info(f, n)->gpath);
			changed = 1;
		}
		free(v);
	}
	free(cur);
	xmlFree(st);
	return changed;
}

enum recalc_mode {
	RECALC_ALL, /* new record: everything */
	RECALC_RESTORE, /* draft reopened: keep volatile values */
	RECALC_DIRTY, /* after a change: what reads DIRTY */
};

static int sync_counts(struct form *, struct dirty *);

/*
 * Run calculates until nothing changes (bounded: a cycle stops after
 * nbinds + 2 passes, logged).
 */
static void
recalc(struct form *f, enum recalc_mode mode, struct dirty *dirty)
{
	struct dirty next = { NULL, 0 };
	xmlNodePtr *nodes;
	size_t pass, i, j, cnt;
	struct bind *b;
	char *v, *old, *g;
	int run, changed;

	for (pass = 0; pass < f->nbinds + 2 + f->nrepeats; pass++) {
		changed = 0;
		for (i = 0; i < f->nbinds; i++) {
			b = &f->binds[i];
			if (b->calculate == NULL)
				continue;
			switch (mode) {
			case RECALC_ALL:
				run = 1;
				break;
			case RECALC_RESTORE:
				/* volatile values are kept unless a load
				 * event changed what they read */
				run = !b->calculate->is_volatile ||
				    reads_dirty(b->calculate, dirty);
				break;
			default:
				run = reads_dirty(b->calculate, dirty) ||
				    (b->calculate->deps_unknown &&
				        !b->calculate->is_volatile);
				break;
			}
			if (!run && f->fresh == NULL)
				continue;
			cnt = find_nodes(f, b->path, &nodes);
			for (j = 0; j < cnt; j++) {
				if (!run && !in_subtree(f->fresh, nodes[j]))
					continue;
				/* recomputed when it becomes relevant again */
				if (!form_node_relevant(f, nodes[j]))
					continue;
				v = typed_result(
				    f, b->calculate, nodes[j], b->type);
				old = form_node_value(nodes[j]);
				if (strcmp(old, v) != 0) {
					form_node_set_text(nodes[j], v);
					g = form_node_gpath(nodes[j]);
					dirty_add(&next, g);
					free(g);
					changed = 1;
				}
				free(old);
				free(v);
			}
			free(nodes);
		}
		if (sync_counts(f, &next))
			changed = 1;
		if (apply_relevance(f, xmlDocGetRootElement(f->inst), 1, &next))
			changed = 1;
		if (!changed)
			break;
		dirty_free(dirty);
		*dirty = next;
		next.p = NULL;
		next.n = 0;
		mode = RECALC_DIRTY;
		f->fresh = NULL;
	}
	if (pass >= f->nbinds + 2 + f->nrepeats)
		log_warnx("form %s: calculates do not settle (cycle?)", f->id);
	dirty_free(&next);
}

/* --- events --------------------------------------------------------------- */

/* Does the space-separated list EVENTS name NAME? */
static int
event_has(const char *events, const char *name)
{
	size_t n = strlen(name);
	const char *p = events;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == events || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
		p += n;
	}
	return 0;
}

static void
run_setvalue(
    struct form *f, const struct setvalue *s, xmlNodePtr scope, struct dirty *d)
{
	xmlNodePtr *nodes;
	size_t cnt, i;
	char *v, *g;

	cnt = find_nodes(f, s->ref, &nodes);
	for (i = 0; i < cnt; i++) {
		if (scope != NULL && !in_subtree(scope, nodes[i]))
			continue;
		v = s->value ? eval_string(f, s->value, nodes[i])
		             : xstrdup(s->literal);
		form_node_set_text(nodes[i], v);
		if (s->value != NULL && s->value->is_boolean)
			nodes[i]->psvi = &boolean_mark;
		g = form_node_gpath(nodes[i]);
		dirty_add(d, g);
		free(g);
		free(v);
	}
	free(nodes);
}

/* setvalues nested in controls that fire on EVENT. */
static void
control_load_actions(struct form *f, struct control *kids, size_t n,
    const char *event, struct dirty *d)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < kids[i].nactions; j++)
			if (event_has(kids[i].actions[j].event, event))
				run_setvalue(f, &kids[i].actions[j], NULL, d);
		control_load_actions(f, kids[i].kids, kids[i].nkids, event, d);
	}
}

/*
 * The load events of JavaRosa's FormDef.initialize, in its order: for a
 * new record odk-instance-first-load, then xforms-ready; on every load,
 * a reopened draft included, odk-instance-load.  For each event the
 * model's setvalues fire, then those nested in controls (parse order).
 */
static void
load_events(struct form *f, int new_record, struct dirty *d)
{
	static const char *const events[] = { "odk-instance-first-load",
		"xforms-ready", "odk-instance-load" };
	size_t e, i;

	for (e = new_record ? 0 : 2; e < nitems(events); e++) {
		for (i = 0; i < f->nsetvalues; i++)
			if (event_has(f->setvalues[i].event, events[e]))
				run_setvalue(f, &f->setvalues[i], NULL, d);
		control_load_actions(
		    f, f->root.kids, f->root.nkids, events[e], d);
	}
}

/*
 * Clone repeat R's template as a new last instance under PARENT (or where
 * the template sat, for a first instance).  No events: see repeat_add.
 */
xmlNodePtr
form_repeat_insert(struct form *f, struct repeat_def *r, xmlNodePtr parent)
{
	xmlNodePtr copy, last = NULL, c, prev = NULL;
	const char *name = strrchr(r->path, '/') + 1;

	(void)f;
	if (r->tmpl == NULL)
		return NULL;
	for (c = parent->children; c != NULL; c = c->next)
		if (name_matches(c, name, strlen(name)))
			last = c;
	copy = xmlDocCopyNode(r->tmpl, parent->doc, 1);
	if (last != NULL) {
		xmlAddNextSibling(last, copy);
		return copy;
	}
	if (r->prev_name != NULL && r->prev_name[0] != '\0')
		for (c = parent->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)c->name, r->prev_name) == 0)
				prev = c;
	if (prev != NULL)
		xmlAddNextSibling(prev, copy);
	else if (parent->children != NULL)
		xmlAddPrevSibling(parent->children, copy);
	else
		xmlAddChild(parent, copy);
	return copy;
}

/* Add an instance of repeat R under PARENT; fires odk-new-repeat. */
static xmlNodePtr
repeat_add(
    struct form *f, struct repeat_def *r, xmlNodePtr parent, struct dirty *d)
{
	xmlNodePtr copy;
	size_t i;

	if ((copy = form_repeat_insert(f, r, parent)) == NULL)
		return NULL;
	for (i = 0; i < r->non_new; i++)
		if (event_has(r->on_new[i].event, "odk-new-repeat") ||
		    event_has(r->on_new[i].event, "jr-insert"))
			run_setvalue(f, &r->on_new[i], copy, d);
	for (i = 0; i < f->nsetvalues; i++)
		if (event_has(f->setvalues[i].event, "odk-new-repeat") ||
		    event_has(f->setvalues[i].event, "jr-insert"))
			run_setvalue(f, &f->setvalues[i], copy, d);
	dirty_add(d, r->path);
	return copy;
}

/* Keep each jr:count repeat at its evaluated size; 1 if anything changed. */
static int
sync_counts(struct form *f, struct dirty *d)
{
	xmlNodePtr *parents, c, last, added;
	size_t i, j, np;
	char *ppath, *slash;
	const char *name;
	double want;
	int have, changed = 0, guard;
	xmlXPathObjectPtr o;

	for (i = 0; i < f->nrepeats; i++) {
		struct repeat_def *r = &f->repeats[i];

		if (r->count == NULL)
			continue;
		ppath = xstrdup(r->path);
		slash = strrchr(ppath, '/');
		*slash = '\0';
		name = strrchr(r->path, '/') + 1;
		np = find_nodes(f, ppath, &parents);
		for (j = 0; j < np; j++) {
			o = eval(f, r->count, parents[j]);
			want = 0;
			if (o != NULL) {
				if (o->type == XPATH_NUMBER)
					want = o->floatval;
				else {
					char *s = xfn_obj_string(o);

					want = xfn_str_number(s);
					free(s);
				}
			}
			xmlXPathFreeObject(o);
			if (isnan(want) || want < 0)
				want = 0;
			if (want > 500)
				want = 500; /* a kiosk screen, not a census */
			have = 0;
			for (c = parents[j]->children; c; c = c->next)
				if (name_matches(c, name, strlen(name)))
					have++;
			for (guard = 0; have < (int)want && guard < 500;
			     guard++) {
				f->fresh = added =
				    repeat_add(f, r, parents[j], d);
				if (added == NULL)
					break;
				have++;
				changed = 1;
			}
			while (have > (int)want) {
				last = NULL;
				for (c = parents[j]->children; c; c = c->next)
					if (name_matches(c, name, strlen(name)))
						last = c;
				xmlUnlinkNode(last);
				xmlFreeNode(last);
				have--;
				changed = 1;
				dirty_add(d, r->path);
			}
		}
		free(parents);
		free(ppath);
	}
	return changed;
}

/* --- public API ----------------------------------------------------------- */

const char *
form_id(const struct form *f)
{
	return f->id;
}

const char *
form_version(const struct form *f)
{
	return f->version;
}

const char *
form_title(const struct form *f)
{
	return f->title;
}

size_t
form_nbinds(const struct form *f)
{
	return f->nbinds;
}

size_t
form_ncontrols(const struct form *f)
{
	return f->ncontrols;
}

size_t
form_warnings(const struct form *f, const char *const **list)
{
	*list = (const char *const *)f->warnings;
	return f->nwarnings;
}

size_t
form_languages(const struct form *f, const char *const **list)
{
	*list = (const char *const *)f->lang_names;
	return f->nlangs;
}

int
form_set_language(struct form *f, const char *lang)
{
	size_t i;

	for (i = 0; i < f->nlangs; i++)
		if (strcmp(f->langs[i].lang, lang) == 0) {
			f->lang = i;
			return 0;
		}
	return ENOENT;
}

const char *
form_language(const struct form *f)
{
	return f->nlangs > 0 ? f->langs[f->lang].lang : NULL;
}

void
form_set_property(struct form *f, const char *name, const char *value)
{
	char **slot = NULL;

	if (strcmp(name, "deviceid") == 0 || strcmp(name, "uri:deviceid") == 0)
		slot = &f->prop_deviceid;
	else if (strcmp(name, "username") == 0 ||
	    strcmp(name, "uri:username") == 0)
		slot = &f->prop_username;
	else if (strcmp(name, "email") == 0 || strcmp(name, "uri:email") == 0)
		slot = &f->prop_email;
	else if (strcmp(name, "phonenumber") == 0 ||
	    strcmp(name, "phone number") == 0)
		slot = &f->prop_phone;
	if (slot == NULL)
		return;
	free(*slot);
	*slot = value ? xstrdup(value) : NULL;
}

static const char *
property(struct form *f, const char *name)
{
	const char *v = NULL;

	if (name == NULL)
		return "";
	if (strcmp(name, "deviceid") == 0 || strcmp(name, "uri:deviceid") == 0)
		v = f->prop_deviceid;
	else if (strcmp(name, "username") == 0 ||
	    strcmp(name, "uri:username") == 0 || strcmp(name, "UserName") == 0)
		v = f->prop_username;
	else if (strcmp(name, "email") == 0 || strcmp(name, "uri:email") == 0)
		v = f->prop_email;
	else if (strcmp(name, "phonenumber") == 0 ||
	    strcmp(name, "phone number") == 0)
		v = f->prop_phone;
	return v ? v : "";
}

static void
new_uid(char out[64])
{
	struct uuid u;
	char s[UUID_STRLEN + 1];

	uuid_v7(&u);
	uuid_format(&u, s);
	snprintf(out, 64, "uuid:%s", s);
}

/* meta/instanceID (meta in no namespace, or orx:meta). */
static xmlNodePtr
instance_id_node(struct form *f)
{
	xmlNodePtr root = xmlDocGetRootElement(f->inst), m, c;

	for (m = root ? root->children : NULL; m != NULL; m = m->next) {
		if (m->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)m->name, "meta") != 0)
			continue;
		for (c = m->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)c->name, "instanceID") == 0)
				return c;
	}
	return NULL;
}

const char *
form_instance_id(struct form *f)
{
	xmlNodePtr n = instance_id_node(f);
	char *v;

	if (n == NULL)
		return "";
	v = form_node_value(n);
	snprintf(f->iid, sizeof(f->iid), "%s", v);
	free(v);
	return f->iid;
}

/* Preloads of EVENT: "start" (first load) or "end" (finalize). */
void form_preloads(struct form *, int at_end);

void
form_preloads(struct form *f, int at_end)
{
	xmlNodePtr *nodes;
	size_t i, j, cnt;
	char buf[64], *old;
	const char *v;
	struct bind *b;

	for (i = 0; i < f->nbinds; i++) {
		b = &f->binds[i];
		if (b->preload == NULL || b->calculate != NULL)
			continue;
		v = NULL;
		if (strcmp(b->preload, "timestamp") == 0) {
			int end = b->preload_params != NULL &&
			    strcmp(b->preload_params, "end") == 0;

			if (end != at_end)
				continue;
			xfn_now(buf);
			v = buf;
		} else if (at_end)
			continue;
		else if (strcmp(b->preload, "uid") == 0) {
			new_uid(buf);
			v = buf;
		} else if (strcmp(b->preload, "date") == 0) {
			xfn_today(buf);
			v = buf;
		} else if (strcmp(b->preload, "property") == 0 ||
		    strcmp(b->preload, "context") == 0)
			v = property(f, b->preload_params);
		if (v == NULL)
			continue;
		cnt = find_nodes(f, b->path, &nodes);
		for (j = 0; j < cnt; j++) {
			old = form_node_value(nodes[j]);
			/* start-time preloads never overwrite (drafts) */
			if (at_end || *old == '\0')
				form_node_set_text(nodes[j], v);
			free(old);
		}
		free(nodes);
	}
}

int
form_start(struct form *f, char **cause)
{
	struct dirty d = { NULL, 0 };
	xmlNodePtr id;
	char *v, buf[64];

	(void)cause;
	form_preloads(f, 0);
	load_events(f, 1, &d);
	recalc(f, RECALC_ALL, &d);
	/* the record's identity, exactly once, whatever the form says */
	if ((id = instance_id_node(f)) != NULL) {
		v = form_node_value(id);
		if (strncmp(v, "uuid:", 5) != 0) {
			new_uid(buf);
			form_node_set_text(id, buf);
		}
		free(v);
	}
	dirty_free(&d);
	f->started = 1;
	return 0;
}

/* --- prompts -------------------------------------------------------------- */

struct plist {
	struct form_prompt *p;
	size_t n;
};

static struct form_prompt *
padd(struct plist *l, enum form_kind kind, int depth, int line)
{
	struct form_prompt *p;

	l->p = xreallocarray(l->p, l->n + 1, sizeof(*l->p));
	p = &l->p[l->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->depth = depth;
	p->line = line;
	return p;
}

/* The node for generic PATH below the concrete context node CTX. */
static xmlNodePtr
node_under(struct form *f, xmlNodePtr ctx, const char *path)
{
	char *g = ctx ? form_node_gpath(ctx) : xstrdup("");
	size_t len = strlen(g);
	xmlNodePtr n = ctx, c;
	const char *p, *e;
	size_t sl;

	if (ctx == NULL || strncmp(path, g, len) != 0 ||
	    (path[len] != '\0' && path[len] != '/')) {
		free(g);
		{
			xmlNodePtr *nodes, r;
			size_t cnt = find_nodes(f, path, &nodes);

			r = cnt ? nodes[0] : NULL;
			free(nodes);
			return r;
		}
	}
	p = path + len;
	free(g);
	while (*p == '/' && n != NULL) {
		p++;
		e = strchr(p, '/');
		sl = e ? (size_t)(e - p) : strlen(p);
		for (c = n->children; c != NULL; c = c->next)
			if (name_matches(c, p, sl))
				break;
		n = c;
		p += sl;
	}
	return n;
}

static enum form_type
control_type(const struct control *c)
{
	if (c->bind != NULL && c->bind->type != FORM_T_STRING)
		return c->bind->type;
	if (c->kind == FORM_SELECT1)
		return FORM_T_SELECT1;
	if (c->kind == FORM_SELECT)
		return FORM_T_SELECT;
	return c->bind ? c->bind->type : FORM_T_STRING;
}

static void walk(
    struct form *, struct control *, size_t, xmlNodePtr, int, struct plist *);

static void
walk_control(struct form *f, struct control *c, xmlNodePtr ctx, int depth,
    struct plist *l)
{
	struct form_prompt *p;
	xmlNodePtr n = NULL, parent, k;
	struct repeat_def *r;
	const char *name;
	char *ppath, *slash;
	int i, count;

	if (c->kind == FORM_GROUP) {
		/* pyxform wraps each repeat in a group with the same ref: that
		 * group only labels the repeat */
		if (c->path != NULL && is_repeat_path(f, c->path) < 0) {
			n = node_under(f, ctx, c->path);
			if (n == NULL || !form_node_relevant(f, n))
				return;
		}
		if (c->hidden)
			return;
		p = padd(l, FORM_GROUP, depth, c->line);
		p->path = n ? form_node_path(f, n) : NULL;
		p->label = form_label_text(f, &c->label, n ? n : ctx);
		p->hint = form_label_text(f, &c->hint, n ? n : ctx);
		p->appearance = c->appearance;
		p->field_list = c->field_list;
		walk(f, c->kids, c->nkids, n ? n : ctx, depth + 1, l);
		padd(l, FORM_END, depth, c->line);
		return;
	}
	if (c->kind == FORM_REPEAT) {
		r = &f->repeats[c->repeat];
		ppath = xstrdup(c->path);
		slash = strrchr(ppath, '/');
		*slash = '\0';
		parent = node_under(f, ctx, ppath);
		free(ppath);
		if (parent == NULL || !form_node_relevant(f, parent))
			return;
		name = strrchr(c->path, '/') + 1;
		count = 0;
		for (k = parent->children; k != NULL; k = k->next)
			if (name_matches(k, name, strlen(name)))
				count++;
		p = padd(l, FORM_REPEAT, depth, c->line);
		{
			char *pp = form_node_path(f, parent);

			xasprintf(&p->path, "%s/%s", pp, name);
			free(pp);
		}
		p->label = form_label_text(f, &c->label, parent);
		p->hint = form_label_text(f, &c->hint, parent);
		p->appearance = c->appearance;
		p->count = count;
		p->can_add =
		    r->count == NULL && !r->no_add_remove && r->tmpl != NULL;
		p->can_remove =
		    r->count == NULL && !r->no_add_remove && count > 0;
		i = 0;
		for (k = parent->children; k != NULL; k = k->next) {
			if (!name_matches(k, name, strlen(name)))
				continue;
			i++;
			if (!form_node_relevant(f, k))
				continue;
			p = padd(l, FORM_GROUP, depth + 1, c->line);
			p->path = form_node_path(f, k);
			{
				char *lab = form_label_text(f, &c->label, k);

				xasprintf(&p->label, "%s%s%d", lab,
				    *lab ? " " : "", i);
				free(lab);
			}
			p->hint = xstrdup("");
			p->field_list = c->field_list;
			walk(f, c->kids, c->nkids, k, depth + 2, l);
			padd(l, FORM_END, depth + 1, c->line);
		}
		padd(l, FORM_END, depth, c->line);
		return;
	}
	n = node_under(f, ctx, c->path);
	if (n == NULL || c->hidden || !form_node_relevant(f, n))
		return;
	p = padd(l, c->kind, depth, c->line);
	p->path = form_node_path(f, n);
	p->type = control_type(c);
	p->label = form_label_text(f, &c->label, n);
	p->hint = form_label_text(f, &c->hint, n);
	p->value = form_node_value(n);
	p->appearance = c->appearance;
	p->readonly = node_readonly(f, n) || (c->bind && c->bind->calculate);
	if (c->kind == FORM_INPUT && p->readonly)
		p->kind = FORM_NOTE;
	p->required = c->bind != NULL && eval_bool(f, c->bind->required, n, 0);
	p->start = c->start;
	p->end = c->end;
	p->step = c->step;
	if (c->kind == FORM_SELECT1 || c->kind == FORM_SELECT)
		p->nchoices = control_choices(f, c, n, &p->choices);
}

static void
walk(struct form *f, struct control *kids, size_t n, xmlNodePtr ctx, int depth,
    struct plist *l)
{
	size_t i;

	for (i = 0; i < n; i++)
		walk_control(f, &kids[i], ctx, depth, l);
}

int
form_prompts(struct form *f, struct form_prompt **out, size_t *n)
{
	struct plist l = { NULL, 0 };
	size_t i;

	walk(f, f->root.kids, f->root.nkids, xmlDocGetRootElement(f->inst), 0,
	    &l);
	for (i = 0; i < l.n; i++) {
		if (l.p[i].label == NULL)
			l.p[i].label = xstrdup("");
		if (l.p[i].hint == NULL)
			l.p[i].hint = xstrdup("");
		if (l.p[i].value == NULL)
			l.p[i].value = xstrdup("");
	}
	*out = l.p;
	*n = l.n;
	return 0;
}

void
form_prompts_free(struct form_prompt *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].path);
		free(p[i].label);
		free(p[i].hint);
		free(p[i].value);
		choices_free(p[i].choices, p[i].nchoices);
	}
	free(p);
}

/* --- answers -------------------------------------------------------------- */

int
form_get(struct form *f, const char *path, char **value)
{
	xmlNodePtr n = form_resolve(f, path);

	*value = NULL;
	if (n == NULL)
		return ENOENT;
	*value = form_node_value(n);
	return 0;
}

const char *
form_inputs_path(const struct form *f)
{
	return f->inputs_path;
}

int
form_set_input(
    struct form *f, const char *name, const char *value, char **cause)
{
	xmlNodePtr n;
	char *path;
	int err;

	if (f->inputs_path == NULL) {
		if (cause != NULL)
			xasprintf(cause, "the form has no inputs group");
		return ENOENT;
	}
	xasprintf(&path, "%s/%s", f->inputs_path, name);
	if (f->started)
		err = form_set(f, path, value, cause);
	else if ((n = form_resolve(f, path)) == NULL || !is_leaf(n)) {
		if (cause != NULL)
			xasprintf(cause, "%s: no such input", path);
		err = ENOENT;
	} else {
		/* before form_start: in place when the load events fire and
		 * the calculates first run, as CHT hands Enketo a record
		 * with its inputs already filled */
		form_node_set_text(n, value);
		err = 0;
	}
	free(path);
	return err;
}

int
form_relevant(struct form *f, const char *path)
{
	xmlNodePtr n = form_resolve(f, path);

	return n != NULL && form_node_relevant(f, n);
}

static int
is_number(const char *s, int allow_dot)
{
	int nd = 0, dots = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			nd++;
		else if (*s == '.' && allow_dot && dots++ == 0)
			continue;
		else
			return 0;
	}
	return nd > 0;
}

static int
in_choices(const struct form_choice *ch, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ch[i].value, v) == 0)
			return 1;
	return 0;
}

/*
 * Messages the engine words itself follow the form's language when it is
 * one we have them in, matched on the language's name or code.
 */
enum lang_slot { LANG_EN = -1, LANG_FR, LANG_SW, LANG_ES, LANG_PT };

static const char *const lang_prefixes[][3] = {
	[LANG_FR] = { "fr", "French", NULL },
	[LANG_SW] = { "sw", "Kiswahili", "Swahili" },
	[LANG_ES] = { "es", "Español", "Spanish" },
	[LANG_PT] = { "pt", "Portugu", NULL },
};

static int
lang_slot(struct form *f)
{
	const char *lang = form_language(f);
	size_t i, j;

	for (i = 0; lang != NULL && i < nitems(lang_prefixes); i++)
		for (j = 0; j < 3 && lang_prefixes[i][j] != NULL; j++)
			if (strncasecmp(lang, lang_prefixes[i][j],
			        strlen(lang_prefixes[i][j])) == 0)
				return (int)i;
	return LANG_EN;
}

enum entry_msg {
	M_MEDIA,
	M_INT,
	M_NUMBER,
	M_DATE,
	M_TIME,
	M_DATETIME,
	M_BOOLEAN,
	M_LOCATION,
	M_RANGE,
	M_ONE,
	M_CHOICE,
};

/* English, French, Swahili; the arguments come in the same order. */
static const char *const entry_msgs[][3] = {
	[M_MEDIA] = { "media files are not supported",
	    "les fichiers multimédias ne sont pas pris en charge",
	    "faili za picha na sauti hazitumiki hapa" },
	[M_INT] = { "\"%s\" is not a whole number",
	    "« %s » n'est pas un nombre entier", "\"%s\" si namba kamili" },
	[M_NUMBER] = { "\"%s\" is not a number", "« %s » n'est pas un nombre",
	    "\"%s\" si namba" },
	[M_DATE] = { "\"%s\" is not a date (YYYY-MM-DD)",
	    "« %s » n'est pas une date (AAAA-MM-JJ)",
	    "\"%s\" si tarehe (YYYY-MM-DD)" },
	[M_TIME] = { "\"%s\" is not a time (hh:mm)",
	    "« %s » n'est pas une heure (hh:mm)", "\"%s\" si saa (hh:mm)" },
	[M_DATETIME] = { "\"%s\" is not a date and time (YYYY-MM-DDThh:mm)",
	    "« %s » n'est pas une date et heure (AAAA-MM-JJThh:mm)",
	    "\"%s\" si tarehe na saa (YYYY-MM-DDThh:mm)" },
	[M_BOOLEAN] = { "\"%s\" is not true or false",
	    "« %s » n'est ni vrai ni faux", "\"%s\" si kweli wala si uongo" },
	[M_LOCATION] = { "\"%s\" is not a location (latitude longitude)",
	    "« %s » n'est pas une position (latitude longitude)",
	    "\"%s\" si mahali (latitudo longitudo)" },
	[M_RANGE] = { "%s is outside %g to %g (step %g)",
	    "%s est hors de %g à %g (pas de %g)",
	    "%s iko nje ya %g hadi %g (hatua %g)" },
	[M_ONE] = { "choose one answer", "choisissez une seule réponse",
	    "chagua jibu moja" },
	[M_CHOICE] = { "\"%s\" is not one of the choices",
	    "« %s » ne fait pas partie des choix",
	    "\"%s\" si mojawapo ya machaguo" },
};

static const char *
entry_msg(struct form *f, enum entry_msg m)
{
	int slot = lang_slot(f);

	return entry_msgs[m][slot == LANG_FR ? 1 : slot == LANG_SW ? 2 : 0];
}

static int
has_appearance(const struct control *c, const char *token)
{
	const char *p = c->appearance;
	size_t len = strlen(token);

	while (p != NULL && (p = strstr(p, token)) != NULL) {
		if ((p == c->appearance || isspace((unsigned char)p[-1])) &&
		    (p[len] == '\0' || isspace((unsigned char)p[len])))
			return 1;
		p += len;
	}
	return 0;
}

/*
 * Normalise VALUE for control C / type T into a new string, or return
 * NULL with *cause saying what is wrong, in the form's language where we
 * have it (entry_msgs).
 */
static char *
normalise(struct form *f, struct control *c, xmlNodePtr n, enum form_type t,
    const char *value, char **cause)
{
	char *v = str_trim(xstrdup(value)), *p, *out = NULL;
	struct form_choice *ch = NULL;
	size_t nch = 0;
	long long days, ll;
	double secs, d;

	if (*v == '\0')
		return v;
	if (c != NULL && c->kind == FORM_TRIGGER) {
		free(v);
		return xstrdup("OK");
	}
	if (c != NULL && c->kind == FORM_UPLOAD) {
		xasprintf(cause, entry_msg(f, M_MEDIA), "");
		goto bad;
	}
	switch (t) {
	case FORM_T_INT:
		if (!is_number(v, 0) ||
		    str_to_ll(v[0] == '+' ? v + 1 : v, -2147483648LL,
		        2147483647LL, &ll) != 0) {
			xasprintf(cause, entry_msg(f, M_INT), v);
			goto bad;
		}
		xasprintf(&out, "%lld", ll);
		free(v);
		v = out;
		break;
	case FORM_T_DECIMAL:
		for (p = v; *p != '\0'; p++)
			if (*p == ',')
				*p = '.';
		if (!is_number(v, 1)) {
			xasprintf(cause, entry_msg(f, M_NUMBER), value);
			goto bad;
		}
		if (v[0] == '+')
			memmove(v, v + 1, strlen(v));
		break;
	case FORM_T_DATE:
		/* year / month-year appearances: the first day of the period */
		if (c != NULL &&
		    ((has_appearance(c, "year") && strlen(v) == 4) ||
		        (has_appearance(c, "month-year") && strlen(v) == 7))) {
			xasprintf(
			    &out, strlen(v) == 4 ? "%s-01-01" : "%s-01", v);
			free(v);
			v = out;
		}
		if (xfn_parse_date(v, &days) != 0) {
			xasprintf(cause, entry_msg(f, M_DATE), v);
			goto bad;
		}
		break;
	case FORM_T_TIME:
		if (xfn_parse_time(v, &secs) != 0) {
			xasprintf(cause, entry_msg(f, M_TIME), v);
			goto bad;
		}
		break;
	case FORM_T_DATETIME:
		if (xfn_parse_datetime(v, &secs) != 0) {
			xasprintf(cause, entry_msg(f, M_DATETIME), v);
			goto bad;
		}
		break;
	case FORM_T_BOOLEAN:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			out = xstrdup("true");
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			out = xstrdup("false");
		else {
			xasprintf(cause, entry_msg(f, M_BOOLEAN), v);
			goto bad;
		}
		free(v);
		v = out;
		break;
	case FORM_T_GEOPOINT: {
		char *copy = xstrdup(v), *s = copy, *tok;
		int k = 0, ok = 1;

		while ((tok = strsep(&s, " ")) != NULL) {
			if (*tok == '\0')
				continue;
			if (str_to_double(tok, &d) != 0)
				ok = 0;
			k++;
		}
		free(copy);
		if (!ok || k < 2 || k > 4) {
			xasprintf(cause, entry_msg(f, M_LOCATION), v);
			goto bad;
		}
		break;
	}
	case FORM_T_BINARY:
		xasprintf(cause, entry_msg(f, M_MEDIA), "");
		goto bad;
	default:
		break;
	}
	if (c != NULL && c->kind == FORM_RANGE) {
		d = xfn_str_number(v);
		if (isnan(d) || d < c->start || d > c->end ||
		    fabs(remainder(d - c->start, c->step)) > 1e-9) {
			xasprintf(cause, entry_msg(f, M_RANGE), v, c->start,
			    c->end, c->step);
			goto bad;
		}
	}
	if (c != NULL && (c->kind == FORM_SELECT1 || c->kind == FORM_SELECT)) {
		char **toks = NULL, *copy, *s, *tok;
		size_t nt = 0, i;

		nch = control_choices(f, c, n, &ch);
		copy = xstrdup(v);
		s = copy;
		while ((tok = strsep(&s, " \t")) != NULL) {
			if (*tok == '\0')
				continue;
			toks = xreallocarray(toks, nt + 1, sizeof(char *));
			toks[nt++] = tok;
		}
		if (c->kind == FORM_SELECT1 && nt != 1) {
			xasprintf(cause, entry_msg(f, M_ONE), "");
			free(toks);
			free(copy);
			goto bad;
		}
		out = xstrdup("");
		for (i = 0; i < nt; i++) {
			char *tmp;

			if (!in_choices(ch, nch, toks[i])) {
				xasprintf(
				    cause, entry_msg(f, M_CHOICE), toks[i]);
				free(toks);
				free(copy);
				free(out);
				goto bad;
			}
			xasprintf(&tmp, "%s%s%s", out, i ? " " : "", toks[i]);
			free(out);
			out = tmp;
		}
		free(toks);
		free(copy);
		free(v);
		v = out;
	}
	choices_free(ch, nch);
	return v;
bad:
	choices_free(ch, nch);
	free(v);
	return NULL;
}

/*
 * Collect's default messages, for the languages the shipped forms use and
 * their neighbours; matched on the form's language name or code.
 */
static const char *const default_msgs[][2] = {
	[LANG_FR] = { "Désolé, cette réponse est obligatoire.",
	    "Désolé, cette réponse n'est pas valide." },
	[LANG_SW] = { "Samahani, jibu hili linahitajika.",
	    "Samahani, jibu hili si sahihi." },
	[LANG_ES] = { "Lo sentimos, esta respuesta es obligatoria.",
	    "Lo sentimos, esta respuesta no es válida." },
	[LANG_PT] = { "Desculpe, esta resposta é obrigatória.",
	    "Desculpe, esta resposta não é válida." },
};

static const char *
default_message(struct form *f, int required)
{
	int slot = lang_slot(f);

	if (slot != LANG_EN)
		return default_msgs[slot][required ? 0 : 1];
	return required ? "Sorry, this response is required."
	                : "Sorry, this response is invalid.";
}

/* The bind's message in the current language, or the default one. */
static char *
bind_message(struct form *f, const struct label *l, xmlNodePtr n, int required)
{
	char *m = form_label_text(f, l, n);

	if (*m == '\0') {
		free(m);
		m = xstrdup(default_message(f, required));
	}
	return m;
}

#define constraint_message(f, b, n)                                            \
	bind_message((f), &(b)->constraint_msg, (n), 0)
#define required_message(f, b, n) bind_message((f), &(b)->required_msg, (n), 1)

int
form_set(struct form *f, const char *path, const char *value, char **cause)
{
	struct dirty d = { NULL, 0 };
	struct control *c;
	struct bind *b;
	xmlNodePtr n;
	char *g, *v, *why = NULL;
	size_t i;
	int err = 0;

	if ((n = form_resolve(f, path)) == NULL) {
		if (cause != NULL)
			xasprintf(cause, "%s: no such question", path);
		return ENOENT;
	}
	if (!is_leaf(n)) {
		if (cause != NULL)
			xasprintf(cause, "%s is a group, not a question", path);
		return EINVAL;
	}
	b = form_bind_for(f, n);
	g = form_node_gpath(n);
	c = form_control_for(f, g);
	if ((b != NULL && b->calculate != NULL) || node_readonly(f, n)) {
		if (cause != NULL)
			xasprintf(cause, "%s is read-only", path);
		free(g);
		return EPERM;
	}
	v = normalise(f, c, n,
	    c       ? control_type(c)
	        : b ? b->type
	            : FORM_T_STRING,
	    value, &why);
	if (v == NULL) {
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		free(g);
		return EINVAL;
	}
	form_node_set_text(n, v);
	free(v);
	dirty_add(&d, g);
	if (c != NULL)
		for (i = 0; i < c->nactions; i++)
			if (event_has(
			        c->actions[i].event, "xforms-value-changed"))
				run_setvalue(f, &c->actions[i], NULL, &d);
	recalc(f, RECALC_DIRTY, &d);
	dirty_free(&d);
	free(g);
	/* the answer stays; the caller shows the message */
	n = form_resolve(f, path);
	if (n != NULL && b != NULL && b->constraint != NULL) {
		v = form_node_value(n);
		if (*v != '\0' && !eval_bool(f, b->constraint, n, 1)) {
			if (cause != NULL)
				*cause = constraint_message(f, b, n);
			err = EINVAL;
		}
		free(v);
	}
	return err;
}

static struct repeat_def *
repeat_at(struct form *f, const char *path, xmlNodePtr *parent)
{
	char *copy = xstrdup(path), *slash, *g;
	xmlNodePtr p;
	struct repeat_def *r = NULL;
	int i;

	*parent = NULL;
	slash = strrchr(copy, '/');
	if (slash == NULL || slash == copy) {
		free(copy);
		return NULL;
	}
	*slash = '\0';
	p = form_resolve(f, copy);
	if (p != NULL) {
		char *full;

		g = form_node_gpath(p);
		xasprintf(&full, "%s/%s", g, slash + 1);
		free(copy);
		copy = full;
		free(g);
		/* drop an index on the last step */
		if ((slash = strchr(strrchr(copy, '/'), '[')) != NULL)
			*slash = '\0';
		if ((i = is_repeat_path(f, copy)) >= 0) {
			r = &f->repeats[i];
			*parent = p;
		}
	}
	free(copy);
	return r;
}

void
form_repeat_ensure(struct form *f, const char *path)
{
	char *copy = xstrdup(path), *v = NULL, *br, *slash, save;
	size_t i, len = strlen(copy);
	int guard, err;

	for (i = 1; i <= len; i++) {
		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		save = copy[i];
		copy[i] = '\0';
		slash = strrchr(copy, '/');
		if ((br = strchr(slash, '[')) != NULL) {
			for (guard = 0;
			     guard < 100 && form_get(f, copy, &v) == ENOENT;
			     guard++) {
				*br = '\0';
				err = form_repeat_add(f, copy, NULL);
				*br = '[';
				if (err != 0)
					break;
			}
			free(v);
			v = NULL;
		}
		copy[i] = save;
	}
	free(copy);
}

int
form_repeat_add(struct form *f, const char *path, int *index)
{
	struct dirty d = { NULL, 0 };
	struct repeat_def *r;
	xmlNodePtr parent, n;

	if ((r = repeat_at(f, path, &parent)) == NULL)
		return ENOENT;
	if (r->count != NULL || r->no_add_remove)
		return EPERM;
	f->fresh = n = repeat_add(f, r, parent, &d);
	if (n == NULL) {
		dirty_free(&d);
		return ENOENT;
	}
	recalc(f, RECALC_DIRTY, &d);
	f->fresh = NULL;
	dirty_free(&d);
	if (index != NULL)
		*index = sibling_index(n);
	return 0;
}

int
form_repeat_remove(struct form *f, const char *path)
{
	struct dirty d = { NULL, 0 };
	struct repeat_def *r;
	xmlNodePtr parent, n;

	if ((r = repeat_at(f, path, &parent)) == NULL ||
	    (n = form_resolve(f, path)) == NULL)
		return ENOENT;
	if (r->count != NULL || r->no_add_remove)
		return EPERM;
	xmlUnlinkNode(n);
	xmlFreeNode(n);
	dirty_add(&d, r->path);
	recalc(f, RECALC_DIRTY, &d);
	dirty_free(&d);
	return 0;
}

void
form_reopened(struct form *f)
{
	struct dirty d = { NULL, 0 };

	load_events(f, 0, &d);
	recalc(f, RECALC_RESTORE, &d);
	dirty_free(&d);
}

/* --- validation ----------------------------------------------------------- */

struct ilist {
	struct form_issue *v;
	size_t n;
};

static void
issue_add(struct ilist *l, char *path, char *msg, int line)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].path = path;
	l->v[l->n].message = msg;
	l->v[l->n].line = line;
	l->n++;
}

static void
validate_node(struct form *f, xmlNodePtr n, struct ilist *l)
{
	struct bind *b;
	xmlNodePtr c;
	char *v;

	if (!form_node_relevant(f, n))
		return; /* nor anything below it */
	if (is_leaf(n) && (b = form_bind_for(f, n)) != NULL) {
		v = form_node_value(n);
		if (*v == '\0' && eval_bool(f, b->required, n, 0))
			issue_add(l, form_node_path(f, n),
			    required_message(f, b, n), b->line);
		else if (*v != '\0' && b->constraint != NULL &&
		    !eval_bool(f, b->constraint, n, 1))
			issue_add(l, form_node_path(f, n),
			    constraint_message(f, b, n), b->line);
		free(v);
	}
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			validate_node(f, c, l);
}

size_t
form_validate(struct form *f, struct form_issue **out)
{
	struct ilist l = { NULL, 0 };
	xmlNodePtr root = xmlDocGetRootElement(f->inst);

	if (root != NULL)
		validate_node(f, root, &l);
	*out = l.v;
	return l.n;
}

void
form_issues_free(struct form_issue *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].message);
	}
	free(v);
}
