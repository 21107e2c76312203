/*
 * Internals of the forms engine shared by form_load.c (parsing a
 * definition), form.c (the live record) and form_io.c (submission and
 * drafts).  Not a public header: callers use form.h.
 */
#ifndef FORMS_FORM_INT_H
#define FORMS_FORM_INT_H

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "form.h"
#include "xfn.h"

#define NS_JR "http://openrosa.org/javarosa"
#define NS_ORX "http://openrosa.org/xforms"
#define NS_ODK "http://www.opendatakit.org/xforms"
#define NS_XF "http://www.w3.org/2002/xforms"
#define NS_XHTML "http://www.w3.org/1999/xhtml"

/* A compiled, rewritten expression. */
struct cexpr {
	char *src;
	xmlXPathCompExprPtr comp;
	char **deps;
	size_t ndeps;
	int deps_unknown;
	int is_volatile;
	int is_boolean; /* result is a boolean: a calculate stores one */
};

/* Label or hint: an itext id, or literal text with <output> parts. */
struct tpart {
	char *lit; /* NULL for an output */
	struct cexpr *expr; /* output value */
};

struct text {
	struct tpart *parts;
	size_t n;
};

struct label {
	char *itext_id;
	struct text inl;
	int present;
};

struct itext_entry {
	char *id;
	struct text text;
};

struct itext_lang {
	char *lang;
	struct itext_entry *e;
	size_t n;
};

struct bind {
	char *path;
	char *id;
	enum form_type type;
	struct cexpr *relevant, *required, *constraint, *calculate, *readonly;
	struct label required_msg, constraint_msg;
	char *preload, *preload_params;
	int line;
};

struct setvalue {
	char *event;
	char *ref; /* generic absolute path */
	struct cexpr *value; /* NULL: LITERAL */
	char *literal;
	int line;
};

struct choice_def {
	char *value;
	struct label label;
};

struct control {
	enum form_kind kind;
	char *path; /* generic absolute; NULL for label-only groups */
	struct bind *bind;
	struct label label, hint;
	char *appearance;
	int hidden, field_list;
	struct choice_def *items;
	size_t nitems;
	struct cexpr *itemset, *item_value, *item_label;
	struct control *kids;
	size_t nkids;
	int repeat; /* index into form->repeats, or -1 */
	double start, end, step;
	struct setvalue *actions; /* xforms-value-changed */
	size_t nactions;
	int line;
};

struct repeat_def {
	char *path;
	xmlNodePtr tmpl; /* clone source, in form->tmpl_doc */
	char *prev_name; /* preceding sibling element name, for a 1st add */
	struct cexpr *count;
	int no_add_remove;
	struct setvalue *on_new;
	size_t non_new;
	int line;
};

/* What the engine knows about one generic path; node->_private caches it. */
struct pinfo {
	char *gpath;
	struct bind *bind;
	int repeat; /* index into form->repeats, or -1 */
};

struct secondary {
	char *id;
	xmlDocPtr doc;
};

struct form {
	xmlDocPtr def; /* the form document as parsed */
	xmlDocPtr inst; /* the live record, default namespace removed */
	xmlDocPtr tmpl_doc; /* repeat templates */
	xmlDocPtr pristine; /* the record as defined, for draft merges */
	struct secondary *secs;
	size_t nsecs;
	char *id, *version, *title;
	char *root_path; /* "/data": context of top-level relative refs */
	char *inputs_path; /* "/data/inputs" (CHT's convention) or NULL */
	char *base_dir; /* where jr://file/ instances are read (form_load) */
	struct bind *binds;
	size_t nbinds;
	struct control root;
	size_t ncontrols;
	struct repeat_def *repeats;
	size_t nrepeats;
	struct setvalue *setvalues; /* model-level */
	size_t nsetvalues;
	struct itext_lang *langs;
	size_t nlangs, lang;
	char **lang_names; /* lent by form_languages */
	char **warnings;
	size_t nwarnings;
	xmlXPathContextPtr xp;
	struct xfn_env env;
	char *prop_deviceid, *prop_username, *prop_email, *prop_phone;
	int started;
	xmlNodePtr fresh; /* new repeat instance being initialised */
	size_t nevals; /* evaluations since load (tests, bench) */
	char iid[128]; /* lent by form_instance_id */
	struct pinfo **pinfos;
	size_t npinfos;
};

/* form_load.c */
int form_compile(struct form *, const char *src, const char *ctx_path,
    struct cexpr **out, int line, char **cause);
void form_warn(struct form *, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* form.c */
char *form_node_gpath(xmlNodePtr);
/* Cached per generic path, for nodes of the live record only. */
const struct pinfo *form_node_info(struct form *, xmlNodePtr);
char *form_node_path(struct form *, xmlNodePtr);
struct bind *form_bind_for(struct form *, xmlNodePtr);
/* Its node holds a boolean: a boolean question, or a calculate that
 * gives one (JavaRosa's BooleanData). */
int form_bind_boolean(const struct bind *);
int form_node_holds_boolean(xmlNodePtr);
int form_node_relevant(struct form *, xmlNodePtr);
int form_in_inputs(struct form *, xmlNodePtr);
char *form_node_value(xmlNodePtr);
void form_node_set_text(xmlNodePtr, const char *);
xmlNodePtr form_resolve(struct form *, const char *path);
/* A draft was restored: odk-instance-load fires, calculates settle. */
void form_reopened(struct form *);
char *form_label_text(struct form *, const struct label *, xmlNodePtr);
/* Default namespace, indentation and comments out of ROOT's subtree;
 * returns the element visits (linear in the subtree's size). */
size_t form_strip_instance(xmlNodePtr root);
void form_drop_unused_ns(xmlNodePtr);
xmlNodePtr form_repeat_insert(struct form *, struct repeat_def *, xmlNodePtr);

#endif
