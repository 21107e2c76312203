/*
 * The ODK XPath function library for libxml2 (internal to forms/): every
 * function a rewritten expression calls as ox:NAME, the $r/$repN variables,
 * and the value conversions with ODK semantics (numbers formatted like
 * Collect, dates as day counts).  See research/forms-interop.md §1.9.
 */
#ifndef FORMS_XFN_H
#define FORMS_XFN_H

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#define XFN_MAXREP 8

/* What an evaluation can see besides the XPath context; ctxt->userData. */
struct xfn_env {
	xmlDocPtr primary; /* $r */
	xmlNodePtr current; /* current() and once() */
	int rep[XFN_MAXREP]; /* $rep1.. : 1-based repeat positions */
	int nrep;
	void *arg;
	xmlDocPtr (*instance)(void *arg, const char *id);
	/* Return a new string or NULL. */
	char *(*itext)(void *arg, const char *id);
	char *(*choice_name)(void *arg, const char *value, const char *path);
	/* How NODE's text reads in a condition: XFN_K_BOOLEAN (a boolean
	 * question or a calculate that gave a boolean), XFN_K_NUMBER (int,
	 * decimal) or XFN_K_STRING.  NULL: everything is text. */
	int (*node_kind)(void *arg, xmlNodePtr node);
	const char *version; /* version(): the form's version */
	/* pulldata(): a new string or NULL. */
	char *(*pulldata)(void *arg, const char *list, const char *col,
	    const char *key_col, const char *key);
};

#define XFN_K_STRING 0
#define XFN_K_NUMBER 1
#define XFN_K_BOOLEAN 2

xmlXPathFunction xfn_lookup(const char *name);
/* Register the functions (namespace XPR_NS) and variables on CTXT. */
void xfn_register(xmlXPathContextPtr ctxt, struct xfn_env *env);

/* Format like Collect/JavaScript: shortest round trip, no exponent below
 * 1e21, integers without ".0".  NaN -> "NaN". */
void xfn_format_number(double, char *buf, size_t size);
/*
 * An evaluation result as a condition, as JavaRosa reads it: a node-set
 * is the typed value of its first node (empty: false; a stored boolean
 * "true"/"1" or "false"/"0" as itself; a number as non-zero; text as
 * non-empty), not XPath 1.0's "non-empty node-set".
 */
int xfn_obj_bool(const struct xfn_env *, xmlXPathObjectPtr);
/* Result of an evaluation as an ODK string value (new string). */
char *xfn_obj_string(xmlXPathObjectPtr);
/* ODK number(): date/dateTime strings become days since 1970-01-01. */
double xfn_str_number(const char *);
/* Parse "YYYY-MM-DD" (exactly); returns 0 or EINVAL. */
int xfn_parse_date(const char *, long long *days);
/* Parse "YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm]" into epoch seconds. */
int xfn_parse_datetime(const char *, double *secs);
/* Parse "hh:mm[:ss[.sss]][Z|±hh:mm]"; seconds since midnight. */
int xfn_parse_time(const char *, double *secs);
/* Today as "YYYY-MM-DD" / now as "YYYY-MM-DDThh:mm:ss.sss±hh:mm" (local). */
void xfn_today(char buf[16]);
void xfn_now(char buf[40]);
void xfn_days_to_date(long long days, char buf[16]);

#endif
