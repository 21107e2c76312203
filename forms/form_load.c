/*
 * Loading an ODK XForm: parse the XML (no network, no entity expansion),
 * copy the primary and secondary instances into their own documents with
 * the inherited default namespace removed (forms-interop.md §1.10 trap 1),
 * set repeat templates aside (§1.8), compile every bind, output and
 * itemset expression once through the rewriter (xpr.c), and build the
 * control tree from the body.
 *
 * A form is refused (EINVAL, "line N: ...") for what would give wrong
 * answers: unknown functions, expressions that do not parse, binds or
 * controls that point nowhere.  What merely will not work on a kiosk
 * (upload, rank, external instances, some appearances, encryption) loads
 * with a warning.  Elements are matched by local name, never by prefix.
 */
#define LOG_MODULE "forms"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "compat.h"
#include "csv.h"
#include "form_int.h"
#include "log.h"
#include "str.h"
#include "xmalloc.h"
#include "xpr.h"

#define FORM_MAX_BYTES (8 * 1024 * 1024)

void
form_warn(struct form *f, int line, const char *fmt, ...)
{
	va_list ap;
	char *m, *w;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	xasprintf(&w, "line %d: %s", line, m);
	free(m);
	f->warnings =
	    xreallocarray(f->warnings, f->nwarnings + 1, sizeof(char *));
	f->warnings[f->nwarnings++] = w;
}

static int
is_el(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
child_el(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c != NULL; c = c->next)
		if (is_el(c, name))
			return c;
	return NULL;
}

static char *
prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *r;

	if (v == NULL)
		v = xmlGetProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

static char *
ns_prop(xmlNodePtr n, const char *name, const char *ns)
{
	xmlChar *v =
	    xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns);
	char *r;

	if (v == NULL)
		return NULL;
	r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

static int
line_of(xmlNodePtr n)
{
	return (int)xmlGetLineNo(n);
}

static void
quiet_error(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

/* Normalise a path: trim; relative ones are resolved against CTX. */
static char *
resolve_path(const char *ref, const char *ctx)
{
	char *r = xstrdup(ref), *t = str_trim(r), *out, *slash;
	const char *p;

	if (*t == '/' || ctx == NULL) {
		out = xstrdup(t);
		free(r);
		return out;
	}
	out = xstrdup(ctx);
	p = t;
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 2 && strncmp(p, "..", 2) == 0) {
			if ((slash = strrchr(out, '/')) != NULL && slash != out)
				*slash = '\0';
		} else if (!(len == 1 && *p == '.') && len > 0) {
			char *n;

			xasprintf(&n, "%s/%.*s", out, (int)len, p);
			free(out);
			out = n;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	free(r);
	return out;
}

/* Repeat paths that enclose PATH (or equal it), outermost first. */
static size_t
enclosing_repeats(
    struct form *f, const char *path, const char **out, size_t max)
{
	size_t i, n = 0, len;
	const char *tmp;

	if (path == NULL)
		return 0;
	for (i = 0; i < f->nrepeats && n < max; i++) {
		len = strlen(f->repeats[i].path);
		if (strncmp(path, f->repeats[i].path, len) == 0 &&
		    (path[len] == '\0' || path[len] == '/'))
			out[n++] = f->repeats[i].path;
	}
	/* order by length: outer repeats have shorter paths */
	for (i = 1; i < n; i++)
		for (len = i;
		     len > 0 && strlen(out[len - 1]) > strlen(out[len]);
		     len--) {
			tmp = out[len];
			out[len] = out[len - 1];
			out[len - 1] = tmp;
		}
	return n;
}

int
form_compile(struct form *f, const char *src, const char *ctx_path,
    struct cexpr **out, int line, char **cause)
{
	const char *reps[XFN_MAXREP];
	struct xpr_ctx ctx;
	struct xpr_out xo;
	struct cexpr *c;
	char *why = NULL;
	int err;

	*out = NULL;
	ctx.path = ctx_path;
	ctx.nrepeats = enclosing_repeats(f, ctx_path, reps, nitems(reps));
	ctx.repeats = reps;
	if ((err = xpr_rewrite(src, &ctx, &xo, &why)) != 0) {
		xasprintf(cause, "line %d: %s", line, why);
		free(why);
		return err;
	}
	c = xcalloc(1, sizeof(*c));
	c->src = xstrdup(src);
	c->comp = xmlXPathCtxtCompile(f->xp, (const xmlChar *)xo.text);
	if (c->comp == NULL) {
		xasprintf(cause, "line %d: expression does not compile: %s",
		    line, src);
		free(c->src);
		free(c);
		xpr_out_free(&xo);
		return EINVAL;
	}
	c->deps = xo.deps;
	c->ndeps = xo.ndeps;
	c->deps_unknown = xo.deps_unknown;
	c->is_volatile = xo.is_volatile;
	c->is_boolean = xo.is_boolean;
	xo.deps = NULL;
	xo.ndeps = 0;
	xpr_out_free(&xo);
	*out = c;
	return 0;
}

static void
cexpr_free(struct cexpr *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->src);
	xmlXPathFreeCompExpr(c->comp);
	for (i = 0; i < c->ndeps; i++)
		free(c->deps[i]);
	free(c->deps);
	free(c);
}

static void
text_free(struct text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->parts[i].lit);
		cexpr_free(t->parts[i].expr);
	}
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

static void
label_free(struct label *l)
{
	free(l->itext_id);
	text_free(&l->inl);
}

static void
text_add(struct text *t, char *lit, struct cexpr *e)
{
	t->parts = xreallocarray(t->parts, t->n + 1, sizeof(*t->parts));
	t->parts[t->n].lit = lit;
	t->parts[t->n].expr = e;
	t->n++;
}

/* Mixed content: text and <output value=".."/>. */
static int
parse_text(struct form *f, xmlNodePtr el, const char *ctx, struct text *t,
    char **cause)
{
	xmlNodePtr c;
	struct cexpr *e;
	char *v;
	int err;

	for (c = el->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE)
			text_add(t, xstrdup((const char *)c->content), NULL);
		else if (is_el(c, "output")) {
			v = prop(c, "value");
			if (v == NULL)
				v = prop(c, "ref");
			if (v == NULL)
				continue;
			err = form_compile(f, v, ctx, &e, line_of(c), cause);
			free(v);
			if (err != 0)
				return err;
			text_add(t, NULL, e);
		}
	}
	return 0;
}

/* jr:itext('id') -> id; NULL when REF is not of that shape. */
static char *
itext_ref(const char *ref)
{
	const char *p = ref, *q;

	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "jr:itext(", 9) != 0)
		return NULL;
	p += 9;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\'' && *p != '"')
		return NULL;
	q = strchr(p + 1, *p);
	if (q == NULL)
		return NULL;
	return xstrndup(p + 1, (size_t)(q - p - 1));
}

static int
parse_label(struct form *f, xmlNodePtr el, const char *ctx, struct label *l,
    char **cause)
{
	char *ref;

	if (el == NULL)
		return 0;
	l->present = 1;
	if ((ref = prop(el, "ref")) != NULL) {
		l->itext_id = itext_ref(ref);
		if (l->itext_id == NULL)
			form_warn(f, line_of(el),
			    "label ref \"%s\" not supported", ref);
		free(ref);
	}
	return parse_text(f, el, ctx, &l->inl, cause);
}

static int
parse_msg(struct form *f, const char *msg, struct label *l)
{
	(void)f;
	if (msg == NULL)
		return 0;
	l->present = 1;
	if ((l->itext_id = itext_ref(msg)) == NULL)
		text_add(&l->inl, xstrdup(msg), NULL);
	return 0;
}

static int
parse_itext(struct form *f, xmlNodePtr itext, char **cause)
{
	xmlNodePtr tr, tx, v;
	struct itext_lang *L;
	struct itext_entry *e;
	char *form, *def;
	int err;

	for (tr = itext->children; tr != NULL; tr = tr->next) {
		if (!is_el(tr, "translation"))
			continue;
		f->langs =
		    xreallocarray(f->langs, f->nlangs + 1, sizeof(*f->langs));
		L = &f->langs[f->nlangs++];
		memset(L, 0, sizeof(*L));
		L->lang = prop(tr, "lang");
		if (L->lang == NULL)
			L->lang = xstrdup("default");
		f->lang_names =
		    xreallocarray(f->lang_names, f->nlangs, sizeof(char *));
		f->lang_names[f->nlangs - 1] = L->lang;
		if ((def = prop(tr, "default")) != NULL) {
			f->lang = f->nlangs - 1;
			free(def);
		}
		for (tx = tr->children; tx != NULL; tx = tx->next) {
			if (!is_el(tx, "text"))
				continue;
			L->e = xreallocarray(L->e, L->n + 1, sizeof(*L->e));
			e = &L->e[L->n++];
			memset(e, 0, sizeof(*e));
			e->id = prop(tx, "id");
			if (e->id == NULL)
				e->id = xstrdup("");
			for (v = tx->children; v != NULL; v = v->next) {
				if (!is_el(v, "value"))
					continue;
				form = prop(v, "form");
				if (form != NULL && strcmp(form, "long") != 0) {
					free(form);
					continue; /* short, guidance, media */
				}
				free(form);
				if (e->text.n > 0)
					continue;
				{
					/* pyxform ids are "/data/q:label":
					 * outputs there use the node's context */
					char *ctx = NULL, *colon;

					if (e->id[0] == '/') {
						ctx = xstrdup(e->id);
						if ((colon = strchr(
						         ctx, ':')) != NULL)
							*colon = '\0';
					}
					err = parse_text(
					    f, v, ctx, &e->text, cause);
					free(ctx);
					if (err != 0)
						return err;
				}
			}
		}
	}
	return 0;
}

static const struct {
	const char *name;
	enum form_type type;
} types[] = {
	{ "string", FORM_T_STRING },
	{ "int", FORM_T_INT },
	{ "integer", FORM_T_INT },
	{ "decimal", FORM_T_DECIMAL },
	{ "date", FORM_T_DATE },
	{ "time", FORM_T_TIME },
	{ "dateTime", FORM_T_DATETIME },
	{ "datetime", FORM_T_DATETIME },
	{ "boolean", FORM_T_BOOLEAN },
	{ "select1", FORM_T_SELECT1 },
	{ "select", FORM_T_SELECT },
	{ "barcode", FORM_T_BARCODE },
	{ "geopoint", FORM_T_GEOPOINT },
	{ "binary", FORM_T_BINARY },
	{ "tel", FORM_T_STRING },
	{ "note", FORM_T_STRING },
	{ "rank", FORM_T_SELECT },
	{ "intent", FORM_T_STRING },
	{ "geotrace", FORM_T_STRING },
	{ "geoshape", FORM_T_STRING },
};

static enum form_type
parse_type(struct form *f, const char *t, int line)
{
	const char *colon = strchr(t, ':');
	size_t i;

	if (colon != NULL)
		t = colon + 1;
	for (i = 0; i < nitems(types); i++)
		if (strcmp(types[i].name, t) == 0) {
			if (strcmp(t, "geotrace") == 0 ||
			    strcmp(t, "geoshape") == 0 ||
			    strcmp(t, "intent") == 0)
				form_warn(
				    f, line, "type %s is entered as text", t);
			if (strcmp(t, "geopoint") == 0)
				form_warn(f, line,
				    "geopoint is typed in as \"latitude "
				    "longitude\": the kiosk has no GPS");
			if (strcmp(t, "binary") == 0)
				form_warn(f, line,
				    "type binary (media) is not "
				    "supported on the kiosk");
			return types[i].type;
		}
	form_warn(f, line, "unknown type \"%s\" treated as string", t);
	return FORM_T_STRING;
}

/* Split "/a/b" in place: "a", then "b", then NULL. */
static char *
next_step(char **p)
{
	char *s;

	while (*p != NULL && **p == '/')
		(*p)++;
	if (*p == NULL || **p == '\0')
		return NULL;
	s = *p;
	*p = strchr(s, '/');
	if (*p != NULL)
		*(*p)++ = '\0';
	return s;
}

static int
step_is(xmlNodePtr n, const char *step)
{
	const char *colon = strchr(step, ':');

	if (n->type != XML_ELEMENT_NODE)
		return 0;
	if (colon == NULL)
		return (n->ns == NULL || n->ns->prefix == NULL) &&
		    strcmp((const char *)n->name, step) == 0;
	return n->ns != NULL && n->ns->prefix != NULL &&
	    strlen((const char *)n->ns->prefix) == (size_t)(colon - step) &&
	    strncmp((const char *)n->ns->prefix, step,
	        (size_t)(colon - step)) == 0 &&
	    strcmp((const char *)n->name, colon + 1) == 0;
}

/* Does the generic PATH name at least one node of DOC? */
static int
path_exists_in(xmlNodePtr n, char *rest)
{
	char *step = next_step(&rest);
	xmlNodePtr c;

	if (step == NULL)
		return 1;
	if (step[0] == '@')
		return xmlHasProp(n, (const xmlChar *)step + 1) != NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (step_is(c, step)) {
			/* each instance of a repeat may differ: try them all */
			char *copy = rest ? xstrdup(rest) : NULL;
			int ok = path_exists_in(c, copy);

			free(copy);
			if (ok)
				return 1;
		}
	return 0;
}

static int
path_exists(xmlDocPtr doc, const char *path)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *copy = xstrdup(path), *rest = copy, *step;
	int ok = 0;

	step = next_step(&rest);
	if (root != NULL && step != NULL && step_is(root, step))
		ok = path_exists_in(root, rest);
	free(copy);
	return ok;
}

static struct bind *
bind_by_path(struct form *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->nbinds; i++)
		if (strcmp(f->binds[i].path, path) == 0)
			return &f->binds[i];
	return NULL;
}

static struct bind *
bind_by_id(struct form *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nbinds; i++)
		if (f->binds[i].id != NULL && strcmp(f->binds[i].id, id) == 0)
			return &f->binds[i];
	return NULL;
}

static const char *const preloads[] = {
	"uid",
	"timestamp",
	"date",
	"property",
	"context",
};

static int
parse_bind(struct form *f, xmlNodePtr el, xmlDocPtr defdoc, char **cause)
{
	struct bind *b;
	char *nodeset, *v;
	int line = line_of(el), err = 0;
	size_t i;
	static const struct {
		const char *attr;
		size_t off;
	} exprs[] = {
		{ "relevant", offsetof(struct bind, relevant) },
		{ "required", offsetof(struct bind, required) },
		{ "constraint", offsetof(struct bind, constraint) },
		{ "calculate", offsetof(struct bind, calculate) },
		{ "readonly", offsetof(struct bind, readonly) },
	};

	nodeset = prop(el, "nodeset");
	if (nodeset == NULL)
		nodeset = prop(el, "ref");
	if (nodeset == NULL) {
		xasprintf(cause, "line %d: bind without nodeset", line);
		return EINVAL;
	}
	f->binds = xreallocarray(f->binds, f->nbinds + 1, sizeof(*f->binds));
	b = &f->binds[f->nbinds++];
	memset(b, 0, sizeof(*b));
	b->line = line;
	b->path = resolve_path(nodeset, f->root_path);
	free(nodeset);
	if (b->path[0] != '/') {
		xasprintf(cause, "line %d: bind nodeset \"%s\" is not a path",
		    line, b->path);
		return EINVAL;
	}
	if (!path_exists(defdoc, b->path))
		form_warn(f, line,
		    "bind nodeset %s matches no node of the "
		    "instance: the bind does nothing",
		    b->path);
	b->id = prop(el, "id");
	if ((v = prop(el, "type")) != NULL) {
		b->type = parse_type(f, v, line);
		free(v);
	}
	for (i = 0; i < nitems(exprs); i++) {
		struct cexpr **slot =
		    (struct cexpr **)((char *)b + exprs[i].off);

		if ((v = prop(el, exprs[i].attr)) == NULL)
			continue;
		err = form_compile(f, v, b->path, slot, line, cause);
		free(v);
		if (err != 0)
			return err;
	}
	v = ns_prop(el, "requiredMsg", NS_JR);
	parse_msg(f, v, &b->required_msg);
	free(v);
	v = ns_prop(el, "constraintMsg", NS_JR);
	parse_msg(f, v, &b->constraint_msg);
	free(v);
	b->preload = ns_prop(el, "preload", NS_JR);
	b->preload_params = ns_prop(el, "preloadParams", NS_JR);
	if (b->preload != NULL) {
		int known = 0;

		for (i = 0; i < nitems(preloads); i++)
			if (strcmp(b->preload, preloads[i]) == 0)
				known = 1;
		if (!known)
			form_warn(f, line,
			    "preload \"%s\" not supported: %s "
			    "stays empty",
			    b->preload, b->path);
		if (b->calculate != NULL)
			form_warn(f, line,
			    "jr:preload and calculate on %s: "
			    "the calculate wins",
			    b->path);
	}
	if ((v = ns_prop(el, "max-pixels", NS_ORX)) != NULL)
		free(v);
	return 0;
}

/* The events JavaRosa knows (Actions.java); any other name is refused
 * there, and here, rather than silently never firing. */
static const char *const known_events[] = {
	"odk-instance-first-load",
	"odk-instance-load",
	"xforms-ready",
	"odk-new-repeat",
	"jr-insert",
	"xforms-value-changed",
	"xforms-revalidate",
};

static int
check_events(const char *events, int line, char **cause)
{
	char *copy = xstrdup(events), *s = copy, *tok;
	size_t i;
	int ok;

	while ((tok = strsep(&s, " \t\n")) != NULL) {
		if (*tok == '\0')
			continue;
		for (ok = 0, i = 0; i < nitems(known_events); i++)
			if (strcmp(tok, known_events[i]) == 0)
				ok = 1;
		if (!ok) {
			xasprintf(cause,
			    "line %d: setvalue on unknown event %s", line, tok);
			free(copy);
			return EINVAL;
		}
	}
	free(copy);
	return 0;
}

static int
parse_setvalue(struct form *f, xmlNodePtr el, const char *ctx,
    struct setvalue **list, size_t *n, char **cause)
{
	struct setvalue *s;
	char *ref, *value;
	xmlChar *txt;
	int err;

	ref = prop(el, "ref");
	if (ref == NULL && (value = prop(el, "bind")) != NULL) {
		struct bind *b = bind_by_id(f, value);

		if (b != NULL)
			ref = xstrdup(b->path);
		free(value);
		value = NULL;
	}
	if (ref == NULL) {
		xasprintf(cause, "line %d: setvalue without ref", line_of(el));
		return EINVAL;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	s = &(*list)[(*n)++];
	memset(s, 0, sizeof(*s));
	s->line = line_of(el);
	s->event = prop(el, "event");
	if (s->event == NULL)
		s->event = xstrdup("xforms-value-changed");
	s->ref = resolve_path(ref, ctx);
	free(ref);
	if ((err = check_events(s->event, s->line, cause)) != 0)
		return err;
	if ((value = prop(el, "value")) != NULL && *value == '\0') {
		/* value="": the empty string (JavaRosa) */
		free(value);
		s->literal = xstrdup("");
	} else if (value != NULL) {
		err = form_compile(f, value, s->ref, &s->value, s->line, cause);
		free(value);
		if (err != 0)
			return err;
	} else {
		txt = xmlNodeGetContent(el);
		s->literal = xstrdup(txt ? (const char *)txt : "");
		xmlFree(txt);
	}
	return 0;
}

static const char *const app_impl[] = {
	"field-list",
	"minimal",
	"multiline",
	"numbers",
	"year",
	"month-year",
	"label",
	"list-nolabel",
	"quick",
	"hidden",
	"no-calendar",
};
static const char *const app_hint[] = {
	"columns",
	"columns-pack",
	"columns-1",
	"columns-2",
	"columns-3",
	"columns-4",
	"columns-5",
	"compact",
	"compact-2",
	"compact-3",
	"likert",
	"no-buttons",
	"horizontal",
	"horizontal-compact",
	"table-list",
	"list",
	"autocomplete",
	"search",
	"thousands-sep",
	"w1",
	"w2",
	"w3",
	"w4",
	"w5",
	"w6",
	"w7",
	"w8",
	"w9",
	"w10",
	"ethiopian",
	"coptic",
	"islamic",
	"bikram-sambat",
	"myanmar",
	"persian",
};

/*
 * Appearances in lower case, as Collect reads them (Appearances.kt
 * lowercases the hint), so "Field-list" is field-list; "_" is also read
 * as "-" ("field_list"), a leniency of the kiosk's own.  Tokens naming
 * an external app (ex:, printer:) are left as written.
 */
static void
appearance_fold(char *a)
{
	char *t = a;

	while (*t != '\0') {
		int keep =
		    strncmp(t, "ex:", 3) == 0 || strncmp(t, "printer:", 8) == 0;

		for (; *t != '\0' && !isspace((unsigned char)*t); t++)
			if (!keep) {
				*t = (char)tolower((unsigned char)*t);
				if (*t == '_')
					*t = '-';
			}
		while (isspace((unsigned char)*t))
			t++;
	}
}

static void
check_appearance(struct form *f, struct control *c)
{
	char *copy, *save, *t;
	size_t i;
	int ok;

	if (c->appearance == NULL)
		return;
	appearance_fold(c->appearance);
	copy = xstrdup(c->appearance);
	save = copy;
	while ((t = strsep(&save, " \t\n")) != NULL) {
		if (*t == '\0')
			continue;
		ok = 0;
		for (i = 0; i < nitems(app_impl); i++)
			if (strcmp(t, app_impl[i]) == 0)
				ok = 1;
		if (strcmp(t, "hidden") == 0)
			c->hidden = 1;
		if (strcmp(t, "field-list") == 0)
			c->field_list = 1;
		for (i = 0; i < nitems(app_hint) && !ok; i++)
			if (strcmp(t, app_hint[i]) == 0)
				ok = 2;
		if (ok == 0)
			form_warn(f, c->line,
			    "appearance \"%s\" is not "
			    "supported on the kiosk: shown as a plain control",
			    t);
	}
	free(copy);
}

static int parse_body(struct form *, xmlNodePtr, const char *,
    struct control **, size_t *, char **);

static int
find_repeat(struct form *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->nrepeats; i++)
		if (strcmp(f->repeats[i].path, path) == 0)
			return (int)i;
	return -1;
}

static int
parse_items(struct form *f, xmlNodePtr el, struct control *c, char **cause)
{
	xmlNodePtr it, v;
	struct choice_def *d;
	char *ns, *r;
	xmlChar *txt;
	int err;

	for (it = el->children; it != NULL; it = it->next) {
		if (is_el(it, "item")) {
			c->items = xreallocarray(
			    c->items, c->nitems + 1, sizeof(*c->items));
			d = &c->items[c->nitems++];
			memset(d, 0, sizeof(*d));
			v = child_el(it, "value");
			txt = v ? xmlNodeGetContent(v) : NULL;
			d->value = xstrdup(txt ? (const char *)txt : "");
			xmlFree(txt);
			str_trim(d->value);
			if (strchr(d->value, ' ') != NULL &&
			    c->kind == FORM_SELECT)
				form_warn(f, line_of(it),
				    "choice value \"%s\" "
				    "contains a space",
				    d->value);
			err = parse_label(f, child_el(it, "label"), c->path,
			    &d->label, cause);
			if (err != 0)
				return err;
		} else if (is_el(it, "itemset")) {
			ns = prop(it, "nodeset");
			if (ns == NULL) {
				xasprintf(cause,
				    "line %d: itemset without "
				    "nodeset",
				    line_of(it));
				return EINVAL;
			}
			err = form_compile(
			    f, ns, c->path, &c->itemset, line_of(it), cause);
			free(ns);
			if (err != 0)
				return err;
			v = child_el(it, "value");
			r = v ? prop(v, "ref") : NULL;
			err = form_compile(f, r ? r : "name", NULL,
			    &c->item_value, line_of(it), cause);
			free(r);
			if (err != 0)
				return err;
			v = child_el(it, "label");
			r = v ? prop(v, "ref") : NULL;
			err = form_compile(f, r ? r : "label", NULL,
			    &c->item_label, line_of(it), cause);
			free(r);
			if (err != 0)
				return err;
		}
	}
	if (c->nitems == 0 && c->itemset == NULL) {
		xasprintf(
		    cause, "line %d: select without items or itemset", c->line);
		return EINVAL;
	}
	return 0;
}

/* A range attribute must be a decimal number when present (JavaRosa's
 * RangeParser refuses "-2.0.1"; it must not become 0). */
static int
range_prop(
    xmlNodePtr el, const char *name, double def, double *out, char **cause)
{
	char *v = prop(el, name);

	*out = def;
	if (v != NULL && str_to_double(str_trim(v), out) != 0) {
		xasprintf(cause, "line %d: range %s \"%s\" is not a number",
		    line_of(el), name, v);
		free(v);
		return EINVAL;
	}
	free(v);
	return 0;
}

static int
parse_control(struct form *f, xmlNodePtr el, const char *ctx, struct control *c,
    char **cause)
{
	const char *name = (const char *)el->name;
	char *ref, *v;
	xmlNodePtr k;
	int err;

	memset(c, 0, sizeof(*c));
	c->line = line_of(el);
	c->repeat = -1;
	c->appearance = prop(el, "appearance");
	if (strcmp(name, "group") == 0)
		c->kind = FORM_GROUP;
	else if (strcmp(name, "repeat") == 0)
		c->kind = FORM_REPEAT;
	else if (strcmp(name, "input") == 0)
		c->kind = FORM_INPUT;
	else if (strcmp(name, "select1") == 0)
		c->kind = FORM_SELECT1;
	else if (strcmp(name, "select") == 0 || strcmp(name, "rank") == 0)
		c->kind = FORM_SELECT;
	else if (strcmp(name, "trigger") == 0)
		c->kind = FORM_TRIGGER;
	else if (strcmp(name, "range") == 0)
		c->kind = FORM_RANGE;
	else if (strcmp(name, "upload") == 0)
		c->kind = FORM_UPLOAD;
	if (strcmp(name, "rank") == 0)
		form_warn(f, c->line,
		    "rank is shown as a multiple choice: "
		    "the order of choices is not recorded");
	if (c->kind == FORM_UPLOAD)
		form_warn(f, c->line,
		    "upload (media capture) is not "
		    "supported on the kiosk: the question stays empty");

	ref = prop(el, c->kind == FORM_REPEAT ? "nodeset" : "ref");
	if (ref == NULL && (v = prop(el, "bind")) != NULL) {
		struct bind *b = bind_by_id(f, v);

		if (b != NULL)
			ref = xstrdup(b->path);
		free(v);
	}
	if (ref != NULL) {
		c->path = resolve_path(ref, ctx);
		free(ref);
		if (!path_exists(f->inst, c->path) &&
		    find_repeat(f, c->path) < 0) {
			/* a repeat may have no instance yet: check templates */
			int found = 0;
			size_t i;

			for (i = 0; i < f->nrepeats && !found; i++) {
				size_t l = strlen(f->repeats[i].path);

				if (strncmp(c->path, f->repeats[i].path, l) ==
				        0 &&
				    c->path[l] == '/')
					found = 1;
			}
			if (!found) {
				xasprintf(cause,
				    "line %d: <%s> refers to %s, "
				    "which is not in the instance",
				    c->line, name, c->path);
				return EINVAL;
			}
		}
		c->bind = bind_by_path(f, c->path);
	} else if (c->kind != FORM_GROUP) {
		xasprintf(cause, "line %d: <%s> without ref", c->line, name);
		return EINVAL;
	}
	if (c->kind == FORM_INPUT && c->bind != NULL && c->bind->readonly &&
	    c->bind->calculate == NULL)
		c->kind = FORM_NOTE;
	check_appearance(f, c);
	if ((err = parse_label(
	         f, child_el(el, "label"), c->path, &c->label, cause)) != 0)
		return err;
	if ((err = parse_label(
	         f, child_el(el, "hint"), c->path, &c->hint, cause)) != 0)
		return err;
	if (c->kind == FORM_SELECT1 || c->kind == FORM_SELECT)
		if ((err = parse_items(f, el, c, cause)) != 0)
			return err;
	if (c->kind == FORM_RANGE) {
		if ((err = range_prop(el, "start", 0, &c->start, cause)) != 0 ||
		    (err = range_prop(el, "end", 10, &c->end, cause)) != 0 ||
		    (err = range_prop(el, "step", 1, &c->step, cause)) != 0)
			return err;
		if (c->step <= 0 || c->end < c->start) {
			xasprintf(cause,
			    "line %d: range needs start <= end "
			    "and step > 0",
			    c->line);
			return EINVAL;
		}
	}
	if (c->kind == FORM_REPEAT) {
		c->repeat = find_repeat(f, c->path);
		if (c->repeat < 0) {
			xasprintf(cause, "line %d: repeat %s unknown", c->line,
			    c->path);
			return EINVAL;
		}
	}
	for (k = el->children; k != NULL; k = k->next)
		if (is_el(k, "setvalue")) {
			if (c->kind == FORM_REPEAT) {
				struct repeat_def *r = &f->repeats[c->repeat];

				err = parse_setvalue(f, k, c->path, &r->on_new,
				    &r->non_new, cause);
			} else
				err = parse_setvalue(f, k, c->path, &c->actions,
				    &c->nactions, cause);
			if (err != 0)
				return err;
		} else if (is_el(k, "setgeopoint"))
			form_warn(f, line_of(k),
			    "setgeopoint is not "
			    "supported: the kiosk has no location");
	if (c->kind == FORM_GROUP || c->kind == FORM_REPEAT)
		return parse_body(
		    f, el, c->path ? c->path : ctx, &c->kids, &c->nkids, cause);
	return 0;
}

static int
parse_body(struct form *f, xmlNodePtr parent, const char *ctx,
    struct control **kids, size_t *n, char **cause)
{
	static const char *const controls[] = { "group", "repeat", "input",
		"select1", "select", "trigger", "range", "upload", "rank" };
	static const char *const skip[] = { "label", "hint", "setvalue",
		"setgeopoint", "item", "itemset", "value", "help", "alert" };
	xmlNodePtr el;
	size_t i;
	int err, known;

	for (el = parent->children; el != NULL; el = el->next) {
		if (el->type != XML_ELEMENT_NODE)
			continue;
		known = 0;
		for (i = 0; i < nitems(controls); i++)
			if (strcmp((const char *)el->name, controls[i]) == 0)
				known = 1;
		if (!known) {
			for (i = 0; i < nitems(skip); i++)
				if (strcmp((const char *)el->name, skip[i]) ==
				    0)
					known = 2;
			if (!known)
				form_warn(f, line_of(el),
				    "<%s> is not "
				    "supported and is ignored",
				    el->name);
			continue;
		}
		*kids = xreallocarray(*kids, *n + 1, sizeof(**kids));
		err = parse_control(f, el, ctx, &(*kids)[*n], cause);
		(*n)++;
		f->ncontrols++;
		if (err != 0)
			return err;
	}
	return 0;
}

/* First pass over the body: every repeat nodeset, with its attributes. */
static int
collect_repeats(
    struct form *f, xmlNodePtr parent, const char *ctx, char **cause)
{
	xmlNodePtr el;
	struct repeat_def *r;
	char *ref, *path, *v;
	int err;

	for (el = parent->children; el != NULL; el = el->next) {
		if (el->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(el, "repeat")) {
			if ((ref = prop(el, "nodeset")) == NULL) {
				xasprintf(cause,
				    "line %d: repeat without "
				    "nodeset",
				    line_of(el));
				return EINVAL;
			}
			path = resolve_path(ref, ctx);
			free(ref);
			f->repeats = xreallocarray(
			    f->repeats, f->nrepeats + 1, sizeof(*f->repeats));
			r = &f->repeats[f->nrepeats++];
			memset(r, 0, sizeof(*r));
			r->path = path;
			r->line = line_of(el);
			if ((v = ns_prop(el, "noAddRemove", NS_JR)) != NULL) {
				r->no_add_remove = strstr(v, "true") != NULL;
				free(v);
			}
			if ((err = collect_repeats(f, el, path, cause)) != 0)
				return err;
		} else if (is_el(el, "group")) {
			ref = prop(el, "ref");
			path = ref ? resolve_path(ref, ctx)
			    : ctx  ? xstrdup(ctx)
			           : NULL;
			free(ref);
			err = collect_repeats(f, el, path, cause);
			free(path);
			if (err != 0)
				return err;
		}
	}
	return 0;
}

/*
 * A relative jr:count ("../n", "current()/../n") is relative to the
 * repeat's nodeset, as JavaRosa resolves it (FormDef.getAbsRef against
 * the repeat's reference); it is evaluated once per parent, where no
 * instance may exist yet, so it is made absolute here.  Anything that is
 * not a plain relative path is left as it is.
 */
static void
count_abs(char **src, const char *repeat_path)
{
	char *copy = xstrdup(*src), *p = str_trim(copy), *abs;
	const char *q;

	if (strncmp(p, "current()", 9) == 0 && (p[9] == '/' || p[9] == '\0')) {
		p += 9;
		if (*p == '/')
			p++;
		if (*p == '\0')
			p = (char *)".";
	}
	if (*p == '\0' || *p == '/' || isdigit((unsigned char)*p)) {
		free(copy);
		return;
	}
	for (q = p; *q != '\0'; q++)
		if (!isalnum((unsigned char)*q) &&
		    strchr("._-/:", *q) == NULL) {
			free(copy);
			return;
		}
	abs = resolve_path(p, repeat_path);
	free(copy);
	free(*src);
	*src = abs;
}

/* jr:count needs the repeat paths compiled in: second pass after binds. */
static int
compile_counts(struct form *f, xmlNodePtr parent, const char *ctx, char **cause)
{
	xmlNodePtr el;
	char *ref, *path, *v, *pctx, *slash;
	int err, i;

	for (el = parent->children; el != NULL; el = el->next) {
		if (!is_el(el, "repeat") && !is_el(el, "group"))
			continue;
		ref = prop(el, is_el(el, "repeat") ? "nodeset" : "ref");
		path = ref ? resolve_path(ref, ctx) : ctx ? xstrdup(ctx) : NULL;
		free(ref);
		if (is_el(el, "repeat") && path != NULL &&
		    (v = ns_prop(el, "count", NS_JR)) != NULL) {
			i = find_repeat(f, path);
			pctx = xstrdup(path);
			if ((slash = strrchr(pctx, '/')) != NULL &&
			    slash != pctx)
				*slash = '\0';
			count_abs(&v, path);
			err = form_compile(f, v, pctx, &f->repeats[i].count,
			    line_of(el), cause);
			free(pctx);
			free(v);
			if (err != 0) {
				free(path);
				return err;
			}
		}
		err = compile_counts(f, el, path, cause);
		free(path);
		if (err != 0)
			return err;
	}
	return 0;
}

static int
ns_used(xmlNodePtr n, xmlNsPtr ns)
{
	xmlAttrPtr a;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == ns)
			return 1;
		for (a = n->properties; a != NULL; a = a->next)
			if (a->ns == ns)
				return 1;
		if (ns_used(n->children, ns))
			return 1;
	}
	return 0;
}

/* Drop declarations on N that nothing below uses (jr: after jr:template
 * is gone, ox: when no stash is left), so records serialise cleanly. */
void
form_drop_unused_ns(xmlNodePtr n)
{
	xmlNsPtr *pp, ns;
	xmlNodePtr saved_next = n->next;

	n->next = NULL;
	for (pp = &n->nsDef; *pp != NULL;) {
		ns = *pp;
		if (!ns_used(n, ns)) {
			*pp = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
		} else
			pp = &ns->next;
	}
	n->next = saved_next;
}

/* Remove templates from the live instance, keeping them aside. */
static void
take_templates(struct form *f, xmlNodePtr n)
{
	xmlNodePtr c, next, copy;
	char *g;
	int i;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlHasNsProp(c, (const xmlChar *)"template",
		        (const xmlChar *)NS_JR) != NULL) {
			g = form_node_gpath(c);
			i = find_repeat(f, g);
			/* inner templates first (their paths are right here):
			 * they are not instances of the outer template */
			take_templates(f, c);
			if (i >= 0 && f->repeats[i].tmpl == NULL) {
				copy = xmlDocCopyNode(c, f->tmpl_doc, 1);
				xmlUnsetNsProp(copy,
				    xmlSearchNsByHref(f->tmpl_doc, copy,
				        (const xmlChar *)NS_JR),
				    (const xmlChar *)"template");

				form_drop_unused_ns(copy);
				xmlAddChild(
				    xmlDocGetRootElement(f->tmpl_doc), copy);
				f->repeats[i].tmpl = copy;
			}
			if (i >= 0 && f->repeats[i].prev_name == NULL) {
				xmlNodePtr p = c->prev;

				while (p && p->type != XML_ELEMENT_NODE)
					p = p->prev;
				f->repeats[i].prev_name =
				    xstrdup(p ? (const char *)p->name : "");
			}
			free(g);
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			continue;
		}
		take_templates(f, c);
	}
}

/* Repeats without jr:template: the first instance (emptied) is the clone
 * source.  Also record where a first instance goes. */
static void
default_templates(struct form *f)
{
	xmlNodePtr n, copy, p;
	size_t i;

	for (i = 0; i < f->nrepeats; i++) {
		struct repeat_def *r = &f->repeats[i];

		if (r->tmpl != NULL)
			continue;
		n = form_resolve(f, r->path);
		if (n == NULL)
			continue;
		copy = xmlDocCopyNode(n, f->tmpl_doc, 1);
		xmlAddChild(xmlDocGetRootElement(f->tmpl_doc), copy);
		r->tmpl = copy;
		if (r->prev_name == NULL) {
			for (p = n->prev; p && p->type != XML_ELEMENT_NODE;
			     p = p->prev)
				;
			r->prev_name = xstrdup(p ? (const char *)p->name : "");
		}
	}
}

/* Two passes: elements first lose the default namespace, then its
 * declarations go (children point at the root's declaration). */
/*
 * Drop the default namespace from N's element and every element under it
 * (never N's siblings): one visit per node, so a choice list of 30,000
 * items costs 30,000 visits, not the square of it (issue 11).  Returns
 * the nodes visited.
 */
static size_t
strip_ns(xmlNodePtr n)
{
	xmlNsPtr *pp, ns;
	xmlNodePtr c;
	size_t visits = 1;

	if (n->ns != NULL && n->ns->prefix == NULL)
		n->ns = NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			visits += strip_ns(c);
	/* after the children: they may point at this declaration */
	for (pp = &n->nsDef; *pp != NULL;) {
		ns = *pp;
		if (ns->prefix == NULL) {
			*pp = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
		} else
			pp = &ns->next;
	}
	return visits;
}

/* Whitespace-only text and comments out of ROOT's subtree. */
static size_t
strip_text(xmlNodePtr root)
{
	xmlNodePtr c, next;
	const xmlChar *p;
	size_t visits = 1;

	/* whitespace-only text is indentation, not a value */
	for (c = root->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE) {
			for (p = c->content; p && *p && isspace(*p); p++)
				;
			if (p == NULL || *p == '\0') {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			}
		} else if (c->type == XML_COMMENT_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE)
			visits += strip_text(c);
	}
	return visits;
}

size_t
form_strip_instance(xmlNodePtr root)
{
	return strip_ns(root) + strip_text(root);
}

static xmlDocPtr
copy_instance(xmlNodePtr el)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr copy;

	copy = xmlDocCopyNode(el, doc, 1);
	xmlDocSetRootElement(doc, copy);
	form_strip_instance(copy);
	return doc;
}

static xmlDocPtr
env_instance(void *arg, const char *id)
{
	struct form *f = arg;
	size_t i;

	for (i = 0; i < f->nsecs; i++)
		if (strcmp(f->secs[i].id, id) == 0)
			return f->secs[i].doc;
	return NULL;
}

static char *itext_lookup(struct form *, const char *id, xmlNodePtr ctx);

static char *
env_itext(void *arg, const char *id)
{
	return itext_lookup(arg, id, NULL);
}

static char *env_choice_name(void *arg, const char *value, const char *path);
static int env_node_kind(void *arg, xmlNodePtr n);
static char *env_pulldata(void *arg, const char *list, const char *col,
    const char *key_col, const char *key);

/* Read a whole file of at most MAX bytes; returns 0 or an errno value. */
static int
read_file(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *fp;
	size_t n;

	*buf = NULL;
	if ((fp = fopen(path, "rb")) == NULL)
		return errno;
	*buf = xmalloc(max + 1);
	n = fread(*buf, 1, max + 1, fp);
	if (ferror(fp) || n > max) {
		fclose(fp);
		free(*buf);
		*buf = NULL;
		return n > max ? EFBIG : EIO;
	}
	fclose(fp);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* An element name from a CSV header: anything but [A-Za-z0-9_.-] -> _. */
static char *
xml_name(const char *s)
{
	char *n = xstrdup(*s ? s : "_"), *p;

	for (p = n; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' ||
		        (p > n && (*p == '.' || *p == '-'))))
			*p = '_';
	return n;
}

/*
 * CSV (header row, then one row per item) as <root><item><col/>...; a
 * malformed row is a warning and is left out.
 */
static xmlDocPtr
csv_instance(struct form *f, int line, const char *id, char *buf, size_t len)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root =
	    xmlNewDocNode(doc, NULL, (const xmlChar *)"root", NULL);
	xmlNodePtr item;
	struct csv c;
	FILE *fp;
	char **cols = NULL, *cause = NULL;
	unsigned long at;
	size_t ncols = 0, i;
	int col, err, header = 1;

	xmlDocSetRootElement(doc, root);
	if (len == 0 || (fp = fmemopen(buf, len, "r")) == NULL)
		return doc;
	csv_init(&c, fp);
	while ((err = csv_next(&c, &at, &cause)) != ENOENT) {
		if (err != 0) {
			form_warn(f, line, "external instance %s: line %lu: %s",
			    id, at, cause);
			free(cause);
			continue;
		}
		item = NULL;
		for (col = 0; col < c.nfields; col++) {
			if (header) {
				cols = xreallocarray(
				    cols, ncols + 1, sizeof(char *));
				cols[ncols++] =
				    xml_name(str_trim(c.fields[col]));
			} else if ((size_t)col < ncols) {
				if (item == NULL)
					item = xmlNewChild(root, NULL,
					    (const xmlChar *)"item", NULL);
				xmlNewTextChild(item, NULL,
				    (const xmlChar *)cols[col],
				    (const xmlChar *)c.fields[col]);
			}
		}
		header = 0;
	}
	csv_free(&c);
	fclose(fp);
	for (i = 0; i < ncols; i++)
		free(cols[i]);
	free(cols);
	return doc;
}

/*
 * Items of an external XML list may leave out empty fields; give every
 * item every field any item has (empty), as JavaRosa does, so filters
 * like item[parent = ''] see them.
 */
static void
pad_items(xmlNodePtr root)
{
	xmlNodePtr item, c, k;
	const xmlChar **names = NULL;
	size_t n = 0, i;

	for (item = root ? root->children : NULL; item; item = item->next)
		for (c = item->children; c != NULL; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			for (i = 0; i < n && !xmlStrEqual(names[i], c->name);
			     i++)
				;
			if (i == n && n < 256) {
				names =
				    xreallocarray(names, n + 1, sizeof(*names));
				names[n++] = c->name;
			}
		}
	for (item = root ? root->children : NULL; item; item = item->next) {
		if (item->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < n; i++) {
			for (k = item->children; k != NULL; k = k->next)
				if (k->type == XML_ELEMENT_NODE &&
				    xmlStrEqual(k->name, names[i]))
					break;
			if (k == NULL)
				xmlNewChild(item, NULL, names[i], NULL);
		}
	}
	free(names);
}

/*
 * src="jr://file/NAME.xml" or "jr://file-csv/NAME.csv": a file next to the
 * form (form_load only; a plain name, no directories).  What cannot be
 * read is a warning and an empty instance.
 */
static xmlDocPtr
external_instance(struct form *f, const char *id, const char *src, int line)
{
	const char *name = NULL;
	char *path = NULL, *buf = NULL;
	xmlDocPtr doc = NULL, parsed;
	xmlNodePtr r;
	size_t len = 0;
	int csv = 0, err;

	if (strncmp(src, "jr://file/", 10) == 0)
		name = src + 10;
	else if (strncmp(src, "jr://file-csv/", 14) == 0) {
		name = src + 14;
		csv = 1;
	}
	if (name == NULL || *name == '\0' || name[0] == '.' ||
	    strchr(name, '/') != NULL || f->base_dir == NULL) {
		form_warn(f, line,
		    "external instance %s (%s) is not available on the kiosk: "
		    "its choices are empty",
		    id, src);
		return xmlNewDoc((const xmlChar *)"1.0");
	}
	if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".csv") == 0)
		csv = 1;
	xasprintf(&path, "%s/%s", f->base_dir, name);
	if ((err = read_file(path, FORM_MAX_BYTES, &buf, &len)) != 0) {
		form_warn(f, line,
		    "external instance %s: %s next to the form: %s: its "
		    "choices are empty",
		    id, name, strerror(err));
	} else if (csv)
		doc = csv_instance(f, line, id, buf, len);
	else if ((parsed = xmlReadMemory(buf, (int)len, name, NULL,
	              XML_PARSE_NONET | XML_PARSE_NOERROR |
	                  XML_PARSE_NOWARNING)) != NULL) {
		if ((r = xmlDocGetRootElement(parsed)) != NULL) {
			doc = copy_instance(r);
			pad_items(xmlDocGetRootElement(doc));
		}
		xmlFreeDoc(parsed);
	} else
		form_warn(f, line,
		    "external instance %s: %s is not well-formed XML: its "
		    "choices are empty",
		    id, name);
	free(buf);
	free(path);
	return doc != NULL ? doc : xmlNewDoc((const xmlChar *)"1.0");
}

static int
parse_model(struct form *f, xmlNodePtr model, char **cause)
{
	xmlNodePtr c, first = NULL;
	xmlDocPtr defdoc = NULL;
	char *v;
	int err = 0;

	for (c = model->children; c != NULL; c = c->next) {
		if (!is_el(c, "instance"))
			continue;
		if (first == NULL) {
			first = c;
			continue;
		}
		f->secs =
		    xreallocarray(f->secs, f->nsecs + 1, sizeof(*f->secs));
		f->secs[f->nsecs].id = prop(c, "id");
		if (f->secs[f->nsecs].id == NULL)
			f->secs[f->nsecs].id = xstrdup("");
		if ((v = prop(c, "src")) != NULL) {
			f->secs[f->nsecs].doc = external_instance(
			    f, f->secs[f->nsecs].id, v, line_of(c));
			free(v);
		} else {
			xmlNodePtr r = c->children;

			while (r && r->type != XML_ELEMENT_NODE)
				r = r->next;
			f->secs[f->nsecs].doc = r
			    ? copy_instance(r)
			    : xmlNewDoc((const xmlChar *)"1.0");
		}
		f->nsecs++;
	}
	if (first == NULL) {
		xasprintf(cause, "line %d: model without an instance",
		    line_of(model));
		return EINVAL;
	}
	for (c = first->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
		;
	if (c == NULL) {
		xasprintf(cause, "line %d: primary instance is empty",
		    line_of(first));
		return EINVAL;
	}
	f->id = prop(c, "id");
	if (f->id == NULL) {
		f->id = xstrdup((const char *)c->name);
		form_warn(f, line_of(c),
		    "the instance root <%s> has no id "
		    "attribute: \"%s\" is used as the form id",
		    c->name, f->id);
	}
	f->version = prop(c, "version");
	if (f->version == NULL)
		f->version = ns_prop(c, "version", NS_ORX);
	if (f->version == NULL)
		f->version = xstrdup("");
	f->env.version = f->version;
	f->inst = copy_instance(c);
	defdoc = copy_instance(c);
	f->tmpl_doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(f->tmpl_doc,
	    xmlNewDocNode(
	        f->tmpl_doc, NULL, (const xmlChar *)"templates", NULL));

	f->xp = xmlXPathNewContext(f->inst);
	f->xp->error = quiet_error;
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)"jr", (const xmlChar *)NS_JR);
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)"orx", (const xmlChar *)NS_ORX);
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)"odk", (const xmlChar *)NS_ODK);
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)"xf", (const xmlChar *)NS_XF);
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)"h", (const xmlChar *)NS_XHTML);
	xmlXPathRegisterNs(
	    f->xp, (const xmlChar *)XPR_PREFIX, (const xmlChar *)XPR_NS);
	f->env.primary = f->inst;
	f->env.arg = f;
	f->env.instance = env_instance;
	f->env.itext = env_itext;
	f->env.choice_name = env_choice_name;
	f->env.node_kind = env_node_kind;
	f->env.pulldata = env_pulldata;
	xfn_register(f->xp, &f->env);

	for (c = model->children; c != NULL && err == 0; c = c->next) {
		if (is_el(c, "itext"))
			err = parse_itext(f, c, cause);
	}
	for (c = model->children; c != NULL && err == 0; c = c->next) {
		if (is_el(c, "bind"))
			err = parse_bind(f, c, defdoc, cause);
		else if (is_el(c, "setvalue")) {
			err = parse_setvalue(
			    f, c, NULL, &f->setvalues, &f->nsetvalues, cause);
			/* JavaRosa refuses exactly this event in the model
			 * (CommCare's jr-insert there is accepted, and runs
			 * for each new instance) */
			if (err == 0 &&
			    strcmp(f->setvalues[f->nsetvalues - 1].event,
			        "odk-new-repeat") == 0) {
				xasprintf(cause,
				    "line %d: an odk-new-repeat setvalue must "
				    "be inside its repeat, not in the model",
				    line_of(c));
				err = EINVAL;
			}
		} else if (is_el(c, "submission")) {
			if ((v = prop(c, "base64RsaPublicKey")) != NULL) {
				form_warn(f, line_of(c),
				    "encrypted "
				    "submission is not supported: the record "
				    "is kept in the kiosk's encrypted store");
				free(v);
			}
		} else if (is_el(c, "setgeopoint"))
			form_warn(
			    f, line_of(c), "setgeopoint is not supported");
	}
	xmlFreeDoc(defdoc);
	return err;
}

static char *
itext_lookup(struct form *f, const char *id, xmlNodePtr ctx)
{
	struct label l;
	char *r;

	memset(&l, 0, sizeof(l));
	l.itext_id = (char *)id;
	l.present = 1;
	r = form_label_text(f, &l, ctx);
	return r;
}

/* jr:choice-name(value, '/data/q'): the label of VALUE in q's choices. */
static struct control *
control_by_path(struct control *c, const char *path)
{
	struct control *r;
	size_t i;

	if (c->path != NULL && strcmp(c->path, path) == 0 &&
	    c->kind != FORM_GROUP && c->kind != FORM_REPEAT)
		return c;
	for (i = 0; i < c->nkids; i++)
		if ((r = control_by_path(&c->kids[i], path)) != NULL)
			return r;
	return NULL;
}

struct control *form_control_for(struct form *, const char *gpath);

struct control *
form_control_for(struct form *f, const char *gpath)
{
	return control_by_path(&f->root, gpath);
}

static char *
env_choice_name(void *arg, const char *value, const char *path)
{
	struct form *f = arg;
	struct control *c;
	char *g, *abs;
	size_t i;

	/* a relative path (' ../select_one ') is relative to the node the
	 * expression is evaluated for */
	abs = NULL;
	while (*path == ' ')
		path++;
	if (*path != '/' && f->env.current != NULL) {
		g = form_node_gpath(f->env.current);
		abs = resolve_path(path, g);
		free(g);
	}
	c = control_by_path(&f->root, abs != NULL ? abs : path);
	free(abs);
	if (c == NULL)
		return NULL;
	for (i = 0; i < c->nitems; i++)
		if (strcmp(c->items[i].value, value) == 0)
			return form_label_text(f, &c->items[i].label, NULL);
	/* itemsets: evaluated by form.c against the current record */
	{
		extern char *form_itemset_label(
		    struct form *, struct control *, const char *);

		return form_itemset_label(f, c, value);
	}
}

/*
 * Every record carries meta/instanceID (servers deduplicate on it): add
 * <meta><instanceID/></meta> to a form that has none.
 */
static void
ensure_instance_id(struct form *f)
{
	xmlNodePtr root = xmlDocGetRootElement(f->inst), m, c;

	for (m = root->children; m != NULL; m = m->next) {
		if (!is_el(m, "meta"))
			continue;
		for (c = m->children; c != NULL; c = c->next)
			if (is_el(c, "instanceID"))
				return;
		break;
	}
	if (m == NULL)
		m = xmlNewChild(root, NULL, (const xmlChar *)"meta", NULL);
	xmlNewChild(m, m->ns, (const xmlChar *)"instanceID", NULL);
	log_debug("form %s: meta/instanceID added", f->id);
}

static int
load_doc(struct form *f, xmlDocPtr doc, char **cause)
{
	xmlNodePtr html = xmlDocGetRootElement(doc), head, model, body, title;
	xmlChar *t;
	int err;

	f->def = doc;
	if (!is_el(html, "html")) {
		xasprintf(cause,
		    "line %d: the root element is <%s>, not "
		    "<h:html>: not an XForm",
		    html ? line_of(html) : 1,
		    html ? (const char *)html->name : "nothing");
		return EINVAL;
	}
	head = child_el(html, "head");
	model = child_el(head, "model");
	body = child_el(html, "body");
	if (model == NULL || body == NULL) {
		xasprintf(cause,
		    "line %d: an XForm needs <h:head><model> and "
		    "<h:body>",
		    line_of(html));
		return EINVAL;
	}
	if ((title = child_el(head, "title")) != NULL) {
		t = xmlNodeGetContent(title);
		f->title = xstrdup(t ? (const char *)t : "");
		xmlFree(t);
		str_trim(f->title);
	} else
		f->title = xstrdup("");
	/* top-level relative refs are relative to the record's root */
	{
		xmlNodePtr in = child_el(model, "instance"), r;

		for (r = in ? in->children : NULL;
		     r != NULL && r->type != XML_ELEMENT_NODE; r = r->next)
			;
		if (r != NULL) {
			char name[256];

			if (r->ns != NULL && r->ns->prefix != NULL)
				snprintf(name, sizeof(name), "/%s:%s",
				    r->ns->prefix, r->name);
			else
				snprintf(name, sizeof(name), "/%s", r->name);
			f->root_path = xstrdup(name);
			for (r = r->children; r != NULL; r = r->next)
				if (r->type == XML_ELEMENT_NODE &&
				    xmlStrEqual(
				        r->name, (const xmlChar *)"inputs"))
					xasprintf(&f->inputs_path, "%s/inputs",
					    f->root_path);
		}
	}
	if ((err = collect_repeats(f, body, f->root_path, cause)) != 0)
		return err;
	if ((err = parse_model(f, model, cause)) != 0)
		return err;
	if ((err = compile_counts(f, body, f->root_path, cause)) != 0)
		return err;
	take_templates(f, xmlDocGetRootElement(f->inst));
	f->root.kind = FORM_GROUP;
	f->root.repeat = -1;
	if ((err = parse_body(f, body, f->root_path, &f->root.kids,
	         &f->root.nkids, cause)) != 0)
		return err;
	default_templates(f);
	ensure_instance_id(f);
	f->pristine = xmlCopyDoc(f->inst, 1);
	return 0;
}

struct first_err {
	int line;
	char *message;
};

static void
first_error(void *ctx, xmlErrorPtr e)
{
	struct first_err *fe = ctx;

	if (fe->message != NULL || e == NULL || e->level < XML_ERR_ERROR)
		return;
	fe->line = e->line;
	fe->message = xstrdup(e->message ? e->message : "parse error");
}

/*
 * A copy of xml with each '<' inside an attribute value of a tag written
 * as "&lt;", or NULL when there is none.  Hand-written forms put
 * constraint=". < 30" in attributes; that is not well-formed XML, but
 * JavaRosa's parser (kXML2) reads it as the text it means, and CommCare's
 * own test forms rely on it (issue 11's corpus).  Comments, CDATA,
 * processing instructions, the DOCTYPE and text are left alone; *line is
 * the line of the first one.
 */
static char *
escape_attr_lt(const char *xml, size_t len, size_t *outlen, int *line)
{
	struct {
		char *s;
		size_t len, cap;
	} b = { NULL, 0, 0 };
	size_t i = 0, from = 0, end, n;
	const char *close;
	int ln = 1, found = 0;
	char q;

	*line = 0;
	while (i < len) {
		if (xml[i] != '<') {
			ln += xml[i++] == '\n';
			continue;
		}
		close = NULL;
		if (len - i >= 4 && memcmp(xml + i, "<!--", 4) == 0)
			close = "-->";
		else if (len - i >= 9 && memcmp(xml + i, "<![CDATA[", 9) == 0)
			close = "]]>";
		else if (len - i >= 2 && xml[i + 1] == '?')
			close = "?>";
		else if (len - i >= 2 && xml[i + 1] == '!')
			close =
			    ">"; /* a DOCTYPE: forms have no internal subset */
		if (close != NULL) {
			for (end = i + 1; end < len &&
			     (len - end < strlen(close) ||
			         memcmp(xml + end, close, strlen(close)) != 0);
			     end++)
				ln += xml[end] == '\n';
			i = end;
			continue;
		}
		/* a tag: up to its '>' outside quotes */
		for (i++, q = 0; i < len && (q != 0 || xml[i] != '>'); i++) {
			if (xml[i] == '\n')
				ln++;
			else if (q == 0 && (xml[i] == '"' || xml[i] == '\''))
				q = xml[i];
			else if (q != 0 && xml[i] == q)
				q = 0;
			else if (q != 0 && xml[i] == '<') {
				if (!found++)
					*line = ln;
				n = i - from + 4;
				if (b.len + n + 1 > b.cap) {
					b.cap = (b.len + n + 1) * 2 + len / 8;
					b.s = xreallocarray(b.s, b.cap, 1);
				}
				memcpy(b.s + b.len, xml + from, i - from);
				memcpy(b.s + b.len + i - from, "&lt;", 4);
				b.len += n;
				from = i + 1;
			}
		}
	}
	if (!found)
		return NULL;
	b.s = xreallocarray(b.s, b.len + len - from + 1, 1);
	memcpy(b.s + b.len, xml + from, len - from);
	b.len += len - from;
	b.s[b.len] = '\0';
	*outlen = b.len;
	return b.s;
}

static xmlDocPtr
read_form_xml(const char *xml, size_t len, struct first_err *first)
{
	xmlDocPtr doc;

	/* the first parse error is the one that explains the others */
	memset(first, 0, sizeof(*first));
	xmlSetStructuredErrorFunc(first, first_error);
	doc = xmlReadMemory(xml, (int)len, "form.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOWARNING);
	xmlSetStructuredErrorFunc(NULL, NULL);
	return doc;
}

static int
load_mem_dir(const char *xml, size_t len, const char *dir, struct form **out,
    char **cause)
{
	struct first_err first;
	struct form *f;
	xmlDocPtr doc;
	char *lt;
	size_t ltlen;
	int err, lt_line = 0;

	*out = NULL;
	if (len > FORM_MAX_BYTES || len > 0x7fffffff) {
		xasprintf(
		    cause, "form is larger than %d bytes", FORM_MAX_BYTES);
		return EINVAL;
	}
	doc = read_form_xml(xml, len, &first);
	if (doc == NULL && first.message != NULL &&
	    strstr(first.message, "Unescaped '<'") != NULL &&
	    (lt = escape_attr_lt(xml, len, &ltlen, &lt_line)) != NULL) {
		free(first.message);
		doc = read_form_xml(lt, ltlen, &first);
		free(lt);
	}
	if (doc == NULL) {
		xasprintf(cause, "line %d: not well-formed XML: %s", first.line,
		    first.message ? str_trim(first.message) : "parse error");
		free(first.message);
		return EINVAL;
	}
	free(first.message);
	f = xcalloc(1, sizeof(*f));
	f->base_dir = dir != NULL ? xstrdup(dir) : NULL;
	if (lt_line > 0)
		form_warn(f, lt_line,
		    "'<' inside an attribute value read as '&lt;' (not "
		    "well-formed XML, but JavaRosa reads it so)");
	if ((err = load_doc(f, doc, cause)) != 0) {
		form_free(f);
		return err;
	}
	log_debug("form %s loaded: %zu binds, %zu controls, %zu warnings",
	    f->id, f->nbinds, f->ncontrols, f->nwarnings);
	*out = f;
	return 0;
}

int
form_load_mem(const char *xml, size_t len, struct form **out, char **cause)
{
	return load_mem_dir(xml, len, NULL, out, cause);
}

int
form_load(const char *path, struct form **out, char **cause)
{
	char *buf = NULL, *dir, *slash;
	size_t len = 0;
	int err;

	*out = NULL;
	if ((err = read_file(path, FORM_MAX_BYTES, &buf, &len)) != 0) {
		xasprintf(cause, "%s: %s", path,
		    err == EFBIG ? "larger than a form may be" : strerror(err));
		return err == EFBIG ? EINVAL : err;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else {
		free(dir);
		dir = xstrdup(".");
	}
	err = load_mem_dir(buf, len, dir, out, cause);
	free(dir);
	free(buf);
	return err;
}

static void
control_free(struct control *c)
{
	size_t i;

	free(c->path);
	label_free(&c->label);
	label_free(&c->hint);
	free(c->appearance);
	for (i = 0; i < c->nitems; i++) {
		free(c->items[i].value);
		label_free(&c->items[i].label);
	}
	free(c->items);
	cexpr_free(c->itemset);
	cexpr_free(c->item_value);
	cexpr_free(c->item_label);
	for (i = 0; i < c->nkids; i++)
		control_free(&c->kids[i]);
	free(c->kids);
	for (i = 0; i < c->nactions; i++) {
		free(c->actions[i].event);
		free(c->actions[i].ref);
		cexpr_free(c->actions[i].value);
		free(c->actions[i].literal);
	}
	free(c->actions);
}

static void
setvalues_free(struct setvalue *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].event);
		free(s[i].ref);
		cexpr_free(s[i].value);
		free(s[i].literal);
	}
	free(s);
}

void
form_free(struct form *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->nbinds; i++) {
		struct bind *b = &f->binds[i];

		free(b->path);
		free(b->id);
		cexpr_free(b->relevant);
		cexpr_free(b->required);
		cexpr_free(b->constraint);
		cexpr_free(b->calculate);
		cexpr_free(b->readonly);
		label_free(&b->required_msg);
		label_free(&b->constraint_msg);
		free(b->preload);
		free(b->preload_params);
	}
	free(f->binds);
	control_free(&f->root);
	for (i = 0; i < f->nrepeats; i++) {
		free(f->repeats[i].path);
		free(f->repeats[i].prev_name);
		cexpr_free(f->repeats[i].count);
		setvalues_free(f->repeats[i].on_new, f->repeats[i].non_new);
	}
	free(f->repeats);
	setvalues_free(f->setvalues, f->nsetvalues);
	for (i = 0; i < f->nlangs; i++) {
		for (j = 0; j < f->langs[i].n; j++) {
			free(f->langs[i].e[j].id);
			text_free(&f->langs[i].e[j].text);
		}
		free(f->langs[i].e);
		free(f->langs[i].lang);
	}
	free(f->langs);
	free(f->lang_names);
	for (i = 0; i < f->nsecs; i++) {
		free(f->secs[i].id);
		xmlFreeDoc(f->secs[i].doc);
	}
	free(f->secs);
	for (i = 0; i < f->nwarnings; i++)
		free(f->warnings[i]);
	free(f->warnings);
	if (f->xp != NULL)
		xmlXPathFreeContext(f->xp);
	xmlFreeDoc(f->inst);
	xmlFreeDoc(f->tmpl_doc);
	xmlFreeDoc(f->pristine);
	xmlFreeDoc(f->def);
	free(f->id);
	free(f->version);
	free(f->title);
	free(f->root_path);
	free(f->inputs_path);
	free(f->base_dir);
	free(f->prop_deviceid);
	free(f->prop_username);
	free(f->prop_email);
	free(f->prop_phone);
	for (i = 0; i < f->npinfos; i++) {
		free(f->pinfos[i]->gpath);
		free(f->pinfos[i]);
	}
	free(f->pinfos);
	free(f);
}

/* How a node of the record reads in a condition (xfn.h, JavaRosa's
 * IAnswerData types): boolean questions and calculates that give a
 * boolean keep it, numbers are numbers, the rest is text. */
static int
env_node_kind(void *arg, xmlNodePtr n)
{
	struct form *f = arg;
	struct bind *b;

	if (n == NULL || n->type != XML_ELEMENT_NODE || n->doc != f->inst)
		return XFN_K_STRING;
	if (form_node_holds_boolean(n))
		return XFN_K_BOOLEAN;
	if ((b = form_bind_for(f, n)) == NULL)
		return XFN_K_STRING;
	if (form_bind_boolean(b))
		return XFN_K_BOOLEAN;
	if (b->type == FORM_T_INT || b->type == FORM_T_DECIMAL)
		return XFN_K_NUMBER;
	return XFN_K_STRING;
}

int
form_bind_boolean(const struct bind *b)
{
	return b->type == FORM_T_BOOLEAN ||
	    (b->calculate != NULL && b->calculate->is_boolean);
}

/*
 * pulldata(LIST, COL, KEY_COL, KEY): the declared instance LIST, else
 * LIST.csv next to the form, read once (and kept as a secondary instance
 * of that id); the first item whose KEY_COL is KEY gives COL.  Column
 * names are made element names as for CSV instances.
 */
static char *
env_pulldata(void *arg, const char *list, const char *col, const char *key_col,
    const char *key)
{
	struct form *f = arg;
	xmlDocPtr doc = env_instance(f, list);
	xmlNodePtr item, k, want, root;
	char *src, *kc, *wc, *v, *r = NULL;

	if (doc == NULL) {
		if (*list == '\0' || strchr(list, '/') != NULL ||
		    list[0] == '.')
			return NULL;
		xasprintf(&src, "jr://file-csv/%s.csv", list);
		doc = external_instance(f, list, src, 0);
		free(src);
		f->secs =
		    xreallocarray(f->secs, f->nsecs + 1, sizeof(*f->secs));
		f->secs[f->nsecs].id = xstrdup(list);
		f->secs[f->nsecs].doc = doc;
		f->nsecs++;
	}
	if ((root = xmlDocGetRootElement(doc)) == NULL)
		return NULL;
	kc = xml_name(key_col);
	wc = xml_name(col);
	for (item = root->children; item != NULL && r == NULL;
	     item = item->next) {
		if (item->type != XML_ELEMENT_NODE)
			continue;
		want = NULL;
		v = NULL;
		for (k = item->children; k != NULL; k = k->next) {
			if (k->type != XML_ELEMENT_NODE)
				continue;
			if (xmlStrEqual(k->name, (const xmlChar *)kc))
				v = form_node_value(k);
			if (xmlStrEqual(k->name, (const xmlChar *)wc))
				want = k;
		}
		if (v != NULL && strcmp(v, key) == 0)
			r = want != NULL ? form_node_value(want) : xstrdup("");
		free(v);
	}
	free(kc);
	free(wc);
	return r;
}
