/*
 * XPath 1.0 tokenizer and recursive-descent parser that re-emits an
 * expression with ODK semantics for libxml2 (see xpr.h for the rewrite
 * rules and research/forms-interop.md §1.10 for why each exists).  It does
 * not evaluate anything and keeps no state between calls; grammar from
 * XPath 1.0 §3 with the usual operator/name disambiguation (§3.7).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "xfn.h"
#include "xmalloc.h"
#include "xpr.h"

enum tok {
	T_END,
	T_NAME, /* NCName, QName, prefix:* or * as a name test */
	T_FUNC, /* name before '(' */
	T_NODETYPE,
	T_AXIS, /* name before '::' (the '::' is consumed) */
	T_VAR,
	T_STR,
	T_NUM,
	T_OP, /* and or mod div * / // | + - = != < <= > >= */
	T_LPAR,
	T_RPAR,
	T_LBR,
	T_RBR,
	T_COMMA,
	T_AT,
	T_DOT,
	T_DDOT,
};

struct sb {
	char *s;
	size_t len, cap;
};

struct xp {
	const char *src, *p;
	enum tok t;
	char *tv; /* token text */
	size_t tpos;
	enum tok prev;
	const struct xpr_ctx *ctx;
	struct xpr_out *out;
	int in_pred;
	int whole_repeats; /* inside indexed-repeat(): no [$repN] */
	int depth;
	char *err;
};

/* Nesting deeper than this is refused, not recursed into. */
#define XPR_MAX_DEPTH 128

static const char *const native_fns[] = {
	"boolean",
	"ceiling",
	"count",
	"contains",
	"false",
	"floor",
	"last",
	"lang",
	"local-name",
	"not",
	"name",
	"namespace-uri",
	"normalize-space",
	"starts-with",
	"substring",
	"substring-before",
	"substring-after",
	"sum",
	"true",
	"translate",
	"string-length",
};

/* Functions a kiosk cannot run faithfully, and why: refused at load. */
static const struct {
	const char *name, *why;
} refused_fns[] = {
	{ "cht:extension-lib",
	    "it runs JavaScript shipped with the CHT deployment, which the "
	    "kiosk cannot run" },
};

static const char *const volatile_fns[] = {
	"now",
	"today",
	"uuid",
	"random",
	"randomize",
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *
sb_take(struct sb *b)
{
	if (b->s == NULL)
		return xstrdup("");
	return b->s;
}

static void
fail(struct xp *x, const char *fmt, ...)
{
	va_list ap;
	char *m;

	if (x->err != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	xasprintf(&x->err, "%s at offset %zu in \"%s\"", m ? m : "error",
	    x->tpos, x->src);
	free(m);
}

static int
is_name_start(int c)
{
	return isalpha(c) || c == '_' || (c & 0x80);
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || (c & 0x80);
}

/* P starts with operator word W (length N) directly followed by a dot. */
static int
op_word(const char *p, size_t n, const char *w)
{
	return strncmp(p, w, n) == 0 && p[n] == '.';
}

static int
prev_allows_operator(enum tok t)
{
	/* XPath 1.0 §3.7: '*' and NCNames are operators unless the previous
	 * token is one of @ :: ( [ , or an operator. */
	switch (t) {
	case T_END:
	case T_AT:
	case T_AXIS:
	case T_LPAR:
	case T_LBR:
	case T_COMMA:
	case T_OP:
		return 0;
	default:
		return 1;
	}
}

static void
next(struct xp *x)
{
	const char *p = x->p, *q;

	free(x->tv);
	x->tv = NULL;
	x->prev = x->t;
	while (isspace((unsigned char)*p))
		p++;
	x->tpos = (size_t)(p - x->src);
	if (*p == '\0') {
		x->t = T_END;
		x->p = p;
		return;
	}
	q = p;
	switch (*p) {
	case '(':
		x->t = T_LPAR;
		q++;
		break;
	case ')':
		x->t = T_RPAR;
		q++;
		break;
	case '[':
		x->t = T_LBR;
		q++;
		break;
	case ']':
		x->t = T_RBR;
		q++;
		break;
	case ',':
		x->t = T_COMMA;
		q++;
		break;
	case '@':
		x->t = T_AT;
		q++;
		break;
	case '|':
	case '+':
	case '=':
		x->t = T_OP;
		q++;
		break;
	case '-':
		x->t = T_OP;
		q++;
		break;
	case '!':
		if (p[1] != '=') {
			fail(x, "unexpected '!'");
			x->t = T_END;
			return;
		}
		x->t = T_OP;
		q += 2;
		break;
	case '<':
	case '>':
		x->t = T_OP;
		q += p[1] == '=' ? 2 : 1;
		break;
	case '/':
		x->t = T_OP;
		q += p[1] == '/' ? 2 : 1;
		break;
	case '\'':
	case '"':
		q = strchr(p + 1, *p);
		if (q == NULL) {
			fail(x, "unterminated string");
			x->t = T_END;
			return;
		}
		q++;
		x->t = T_STR;
		break;
	case '$':
		q++;
		while (is_name_char((unsigned char)*q) || *q == ':')
			q++;
		x->t = T_VAR;
		break;
	case '*':
		q++;
		x->t = prev_allows_operator(x->prev) ? T_OP : T_NAME;
		break;
	case '.':
		if (isdigit((unsigned char)p[1]))
			goto number;
		if (p[1] == '.') {
			x->t = T_DDOT;
			q += 2;
		} else {
			x->t = T_DOT;
			q++;
		}
		break;
	default:
		if (isdigit((unsigned char)*p)) {
number:
			while (isdigit((unsigned char)*q))
				q++;
			if (*q == '.') {
				q++;
				while (isdigit((unsigned char)*q))
					q++;
			}
			x->t = T_NUM;
			break;
		}
		if (!is_name_start((unsigned char)*p)) {
			fail(x, "unexpected character '%c'", *p);
			x->t = T_END;
			return;
		}
		/* "and.<130", "4 div.5": JavaRosa reads an operator name
		 * glued to a following dot as the operator (in operator
		 * position no name may follow an expression anyway) */
		if (prev_allows_operator(x->prev) &&
		    (op_word(p, 3, "and") || op_word(p, 3, "mod") ||
		        op_word(p, 3, "div") || op_word(p, 2, "or"))) {
			q = p + (p[0] == 'o' ? 2 : 3);
			x->t = T_OP;
			break;
		}
		while (is_name_char((unsigned char)*q))
			q++;
		if (*q == ':' && q[1] != ':') {
			q++;
			if (*q == '*')
				q++;
			else
				while (is_name_char((unsigned char)*q))
					q++;
		}
		if (prev_allows_operator(x->prev) &&
		    ((q - p == 3 &&
		         (strncmp(p, "and", 3) == 0 ||
		             strncmp(p, "mod", 3) == 0 ||
		             strncmp(p, "div", 3) == 0)) ||
		        (q - p == 2 && strncmp(p, "or", 2) == 0))) {
			x->t = T_OP;
			break;
		}
		{
			const char *r = q;

			while (isspace((unsigned char)*r))
				r++;
			if (*r == '(') {
				x->t = T_FUNC;
				if ((q - p == 4 &&
				        (strncmp(p, "node", 4) == 0 ||
				            strncmp(p, "text", 4) == 0)) ||
				    (q - p == 7 &&
				        strncmp(p, "comment", 7) == 0) ||
				    (q - p == 22 &&
				        strncmp(p, "processing-instruction",
				            22) == 0))
					x->t = T_NODETYPE;
			} else if (r[0] == ':' && r[1] == ':') {
				x->t = T_AXIS;
				x->tv = xstrndup(p, (size_t)(q - p));
				x->p = r + 2;
				return;
			} else
				x->t = T_NAME;
		}
		break;
	}
	x->tv = xstrndup(p, (size_t)(q - p));
	x->p = q;
}

static int
is_op(struct xp *x, const char *op)
{
	return x->t == T_OP && strcmp(x->tv, op) == 0;
}

static void
add_dep(struct xp *x, const char *path)
{
	size_t i;

	for (i = 0; i < x->out->ndeps; i++)
		if (strcmp(x->out->deps[i], path) == 0)
			return;
	x->out->deps =
	    xreallocarray(x->out->deps, x->out->ndeps + 1, sizeof(char *));
	x->out->deps[x->out->ndeps++] = xstrdup(path);
}

struct res {
	char *s;
	int numeric;
	int boolean; /* the value is an XPath boolean (JavaRosa keeps it) */
};

/* Functions whose result is a boolean (JavaRosa returns a Boolean). */
static const char *const bool_fns[] = {
	"true",
	"false",
	"not",
	"boolean",
	"contains",
	"starts-with",
	"ends-with",
	"lang",
	"boolean-from-string",
	"selected",
	"regex",
	"checklist",
	"weighted-checklist",
	"cht:validate-luhn",
	"geofence",
};

static struct res p_or(struct xp *);

/* R, unless KEEP, as the argument of ox:FN(). */
static char *
wrap_in(struct res r, int keep, const char *fn)
{
	char *s;

	if (keep)
		return r.s;
	xasprintf(&s, XPR_PREFIX ":%s(%s)", fn, r.s);
	free(r.s);
	return s;
}

/*
 * A value used as a condition, JavaRosa's way: a node reads as its typed
 * value (a stored boolean as itself, a number as non-zero, text as
 * non-empty), not as "a node exists" (XPath 1.0).
 */
static char *
wrap_bool(struct res r)
{
	return wrap_in(r, r.boolean, "bool");
}

static char *
wrap_num(struct res r)
{
	return wrap_in(r, r.numeric, "num");
}

/*
 * Generic path tracking for dependencies: GP holds the path built so far,
 * or gp_valid = 0 once it can no longer be named.
 */
struct gpath {
	struct sb b;
	int valid;
	int absolute;
};

static void
gp_step(struct gpath *g, const char *name)
{
	char *slash;

	if (!g->valid)
		return;
	if (strcmp(name, ".") == 0)
		return;
	if (strcmp(name, "..") == 0) {
		if (g->b.s == NULL || (slash = strrchr(g->b.s, '/')) == NULL ||
		    slash == g->b.s) {
			g->valid = 0;
			return;
		}
		*slash = '\0';
		g->b.len = (size_t)(slash - g->b.s);
		return;
	}
	sb_str(&g->b, "/");
	sb_str(&g->b, name);
}

static int
repeat_index(struct xp *x, const struct gpath *g)
{
	size_t i;

	if (!g->absolute || !g->valid || g->b.s == NULL)
		return 0;
	for (i = 0; i < x->ctx->nrepeats; i++)
		if (strcmp(x->ctx->repeats[i], g->b.s) == 0)
			return (int)i + 1;
	return 0;
}

/* Predicates after a step or filter expression. */
static int
p_predicates(struct xp *x, struct sb *o)
{
	struct res r;
	int n = 0;

	while (x->t == T_LBR && x->err == NULL) {
		next(x);
		x->in_pred++;
		r = p_or(x);
		x->in_pred--;
		if (x->t != T_RBR)
			fail(x, "expected ']'");
		next(x);
		sb_str(o, "[");
		sb_str(o, r.s);
		sb_str(o, "]");
		free(r.s);
		n++;
	}
	return n;
}

/* One step of a location path; updates the generic path. */
static void
p_step(struct xp *x, struct sb *o, struct gpath *g)
{
	int attr = 0, idx;

	if (x->t == T_DOT || x->t == T_DDOT) {
		gp_step(g, x->t == T_DOT ? "." : "..");
		sb_str(o, x->tv);
		next(x);
		return;
	}
	if (x->t == T_AT) {
		attr = 1;
		sb_str(o, "@");
		next(x);
	} else if (x->t == T_AXIS) {
		if (strcmp(x->tv, "child") != 0)
			g->valid = 0;
		sb_str(o, x->tv);
		sb_str(o, "::");
		next(x);
	}
	if (x->t == T_NAME) {
		if (strchr(x->tv, '*') != NULL)
			g->valid = 0;
		else if (attr) {
			char *a;

			xasprintf(&a, "@%s", x->tv);
			gp_step(g, a);
			free(a);
		} else
			gp_step(g, x->tv);
		sb_str(o, x->tv);
		next(x);
	} else if (x->t == T_NODETYPE) {
		g->valid = 0;
		sb_str(o, x->tv);
		next(x);
		if (x->t != T_LPAR)
			fail(x, "expected '('");
		next(x);
		sb_str(o, "(");
		if (x->t == T_STR) {
			sb_str(o, x->tv);
			next(x);
		}
		if (x->t != T_RPAR)
			fail(x, "expected ')'");
		next(x);
		sb_str(o, ")");
	} else {
		fail(x, "expected a name");
		return;
	}
	idx = x->whole_repeats > 0 ? 0 : repeat_index(x, g);
	if (x->t == T_LBR)
		p_predicates(x, o);
	else if (idx > 0) {
		char v[32];

		snprintf(v, sizeof(v), "[$rep%d]", idx);
		sb_str(o, v);
	}
}

static int
step_start(enum tok t)
{
	return t == T_NAME || t == T_AXIS || t == T_AT || t == T_DOT ||
	    t == T_DDOT || t == T_NODETYPE;
}

/* Steps after a leading '/', '//' or a filter expression. */
static void
p_relative(struct xp *x, struct sb *o, struct gpath *g)
{
	p_step(x, o, g);
	while (x->err == NULL && (is_op(x, "/") || is_op(x, "//"))) {
		if (is_op(x, "//"))
			g->valid = 0;
		sb_str(o, x->tv);
		next(x);
		p_step(x, o, g);
	}
}

static void
gp_finish(struct xp *x, struct gpath *g)
{
	if (g->valid && g->b.s != NULL && g->b.s[0] == '/')
		add_dep(x, g->b.s);
	else if (!g->valid)
		x->out->deps_unknown = 1;
	free(g->b.s);
}

static struct res
p_function(struct xp *x)
{
	struct sb o = { 0 };
	struct res a, r = { NULL, 0, 0 };
	const char *name = x->tv, *colon;
	char *fname = xstrdup(name);
	size_t i;
	int native = 0, nargs = 0, whole, if_bool = 1;

	for (i = 0; i < nitems(refused_fns); i++)
		if (strcmp(fname, refused_fns[i].name) == 0) {
			fail(x, "%s() is refused: %s", fname,
			    refused_fns[i].why);
			free(fname);
			return r;
		}
	colon = strchr(fname, ':');
	if (colon != NULL && strncmp(fname, "cht:", 4) == 0) {
		/* CHT's prefixed extensions live under ox:cht-NAME */
		char *cname;

		xasprintf(&cname, "cht-%s", colon + 1);
		if (xfn_lookup(cname) == NULL) {
			fail(x, "unsupported function %s()", fname);
			free(cname);
			free(fname);
			return r;
		}
		sb_str(&o, XPR_PREFIX ":");
		sb_str(&o, cname);
		free(cname);
	} else if (colon != NULL) {
		if (strncmp(fname, "jr:", 3) != 0 ||
		    xfn_lookup(colon + 1) == NULL) {
			fail(x, "unsupported function %s()", fname);
			free(fname);
			return r;
		}
		sb_str(&o, XPR_PREFIX ":");
		sb_str(&o, colon + 1);
		/* the label text may hold <output>s reading other answers:
		 * recomputed after every change (issue 11, item 3) */
		if (strcmp(colon + 1, "choice-name") == 0 ||
		    strcmp(colon + 1, "itext") == 0)
			x->out->deps_unknown = 1;
	} else {
		for (i = 0; i < nitems(native_fns); i++)
			if (strcmp(fname, native_fns[i]) == 0)
				native = 1;
		/* not() and boolean() read nodes as typed values */
		if (strcmp(fname, "not") == 0)
			sb_str(&o, XPR_PREFIX ":not");
		else if (strcmp(fname, "boolean") == 0)
			sb_str(&o, XPR_PREFIX ":bool");
		else if (native)
			sb_str(&o, fname);
		else if (xfn_lookup(fname) != NULL) {
			sb_str(&o, XPR_PREFIX ":");
			sb_str(
			    &o, strcmp(fname, "number") == 0 ? "num" : fname);
		} else {
			fail(x, "unsupported function %s()", fname);
			free(fname);
			return r;
		}
		for (i = 0; i < nitems(volatile_fns); i++)
			if (strcmp(fname, volatile_fns[i]) == 0)
				x->out->is_volatile = 1;
		if (strcmp(fname, "choice-name") == 0 ||
		    strcmp(fname, "itext") == 0)
			x->out->deps_unknown = 1;
	}
	next(x); /* name */
	next(x); /* ( */
	sb_str(&o, "(");
	/* indexed-repeat() picks its own instances: its paths name them all */
	whole = strcmp(fname, "indexed-repeat") == 0;
	x->whole_repeats += whole;
	while (x->t != T_RPAR && x->err == NULL) {
		if (nargs++ > 0) {
			if (x->t != T_COMMA) {
				fail(x, "expected ',' or ')'");
				break;
			}
			next(x);
			sb_str(&o, ", ");
		}
		a = p_or(x);
		if ((nargs == 2 || nargs == 3) && !a.boolean)
			if_bool = 0;
		if (a.s != NULL)
			sb_str(&o, a.s);
		free(a.s);
	}
	x->whole_repeats -= whole;
	if (x->t != T_RPAR)
		fail(x, "expected ')'");
	next(x);
	sb_str(&o, ")");
	r.numeric = strcmp(fname, "num") == 0 || strcmp(fname, "number") == 0;
	for (i = 0; i < nitems(bool_fns); i++)
		if (strcmp(fname, bool_fns[i]) == 0)
			r.boolean = 1;
	if (strcmp(fname, "if") == 0 && nargs == 3 && if_bool)
		r.boolean = 1;
	r.s = sb_take(&o);
	free(fname);
	return r;
}

/* PathExpr: a location path, or a filter expression with optional steps. */
static struct res
p_path(struct xp *x)
{
	struct sb o = { 0 };
	struct gpath g = { { 0 }, 1, 0 };
	struct res r = { NULL, 0, 0 }, a;
	int is_current = 0, is_path = 0;

	if (is_op(x, "/") || is_op(x, "//")) {
		g.absolute = 1;
		is_path = 1;
		sb_str(&o, "$r");
		if (is_op(x, "//"))
			g.valid = 0;
		sb_str(&o, x->tv);
		next(x);
		if (step_start(x->t))
			p_relative(x, &o, &g);
		else
			sb_str(&o, "."); /* "/" alone: the document node */
	} else if (step_start(x->t)) {
		/* relative paths inside predicates read the filtered nodes
		 * (usually a secondary instance), not the record */
		is_path = !x->in_pred;
		if (x->in_pred)
			g.valid = 0;
		else if (x->ctx->path != NULL)
			sb_str(&g.b, x->ctx->path);
		else
			g.valid = 0;
		p_relative(x, &o, &g);
	} else {
		switch (x->t) {
		case T_VAR:
			sb_str(&o, x->tv);
			next(x);
			break;
		case T_STR:
			sb_str(&o, x->tv);
			next(x);
			break;
		case T_NUM:
			sb_str(&o, x->tv);
			r.numeric = 1;
			next(x);
			break;
		case T_LPAR:
			next(x);
			a = p_or(x);
			if (x->t != T_RPAR)
				fail(x, "expected ')'");
			next(x);
			sb_str(&o, "(");
			sb_str(&o, a.s ? a.s : "");
			sb_str(&o, ")");
			r.numeric = a.numeric;
			r.boolean = a.boolean;
			free(a.s);
			break;
		case T_FUNC:
			is_current = strcmp(x->tv, "current") == 0;
			a = p_function(x);
			sb_str(&o, a.s ? a.s : "");
			r.numeric = a.numeric;
			r.boolean = a.boolean;
			free(a.s);
			break;
		default:
			fail(x, "unexpected %s", x->tv ? x->tv : "end");
			break;
		}
		if (p_predicates(x, &o) > 0)
			r.numeric = r.boolean = 0;
		if (x->err == NULL && (is_op(x, "/") || is_op(x, "//"))) {
			r.numeric = r.boolean = 0;
			is_path = 1;
			if (is_current && x->ctx->path != NULL)
				sb_str(&g.b, x->ctx->path);
			else
				g.valid =
				    0; /* instance('x')/..: not the record */
			if (is_op(x, "//"))
				g.valid = 0;
			sb_str(&o, x->tv);
			next(x);
			p_relative(x, &o, &g);
			if (!is_current && g.valid == 0) {
				free(g.b.s);
				g.b.s = NULL;
				is_path = 0; /* secondary instance: no dep */
			}
		} else if (is_current && x->ctx->path != NULL && !x->in_pred) {
			sb_str(&g.b, x->ctx->path);
			is_path = 1;
		}
	}
	if (is_path)
		gp_finish(x, &g);
	else
		free(g.b.s);
	r.s = sb_take(&o);
	return r;
}

static struct res
p_union(struct xp *x)
{
	struct res l = p_path(x), r;
	char *s;

	while (x->err == NULL && is_op(x, "|")) {
		next(x);
		r = p_path(x);
		xasprintf(&s, "%s | %s", l.s, r.s ? r.s : "");
		free(l.s);
		free(r.s);
		l.s = s;
		l.numeric = l.boolean = 0;
	}
	return l;
}

static struct res
p_unary(struct xp *x)
{
	struct res r;
	char *s;

	if (is_op(x, "-")) {
		next(x);
		if (++x->depth > XPR_MAX_DEPTH) {
			fail(x, "expression nested too deeply");
			r.s = xstrdup("");
			r.numeric = 1;
			r.boolean = 0;
			return r;
		}
		r = p_unary(x);
		x->depth--;
		xasprintf(&s, "-%s", r.s ? r.s : "");
		free(r.s);
		r.s = s;
		r.numeric = 1;
		r.boolean = 0;
		return r;
	}
	return p_union(x);
}

enum wrap {
	W_NONE,
	W_NUM, /* both operands in ox:num() */
	W_BOOL, /* both operands as conditions (and, or) */
	W_EQ, /* as conditions when either is a boolean (= !=) */
};

/*
 * One binary level: OPS lists its operators, WRAP how the operands are
 * converted, RESULT_NUMERIC whether the result is a number (else a
 * boolean).
 */
static struct res
p_binary(struct xp *x, struct res (*sub)(struct xp *), const char *const *ops,
    enum wrap wrap, int result_numeric)
{
	struct res l = sub(x), r;
	const char *const *op;
	char *s, *ls, *rs, *opname;

	for (;;) {
		if (x->err != NULL || x->t != T_OP)
			return l;
		for (op = ops; *op != NULL; op++)
			if (strcmp(x->tv, *op) == 0)
				break;
		if (*op == NULL)
			return l;
		opname = xstrdup(x->tv);
		next(x);
		r = sub(x);
		if (r.s == NULL)
			r.s = xstrdup("");
		if (wrap == W_NUM) {
			ls = wrap_num(l);
			rs = wrap_num(r);
		} else if (wrap == W_BOOL ||
		    (wrap == W_EQ && (l.boolean || r.boolean))) {
			ls = wrap_bool(l);
			rs = wrap_bool(r);
		} else {
			ls = l.s;
			rs = r.s;
		}
		xasprintf(&s, "%s %s %s", ls, opname, rs);
		free(ls);
		free(rs);
		free(opname);
		l.s = s;
		l.numeric = result_numeric;
		l.boolean = !result_numeric;
	}
}

static struct res
p_mul(struct xp *x)
{
	static const char *const ops[] = { "*", "div", "mod", NULL };

	return p_binary(x, p_unary, ops, W_NUM, 1);
}

static struct res
p_add(struct xp *x)
{
	static const char *const ops[] = { "+", "-", NULL };

	return p_binary(x, p_mul, ops, W_NUM, 1);
}

static struct res
p_rel(struct xp *x)
{
	static const char *const ops[] = { "<", "<=", ">", ">=", NULL };

	return p_binary(x, p_add, ops, W_NUM, 0);
}

static struct res
p_eq(struct xp *x)
{
	static const char *const ops[] = { "=", "!=", NULL };

	return p_binary(x, p_rel, ops, W_EQ, 0);
}

static struct res
p_and(struct xp *x)
{
	static const char *const ops[] = { "and", NULL };

	return p_binary(x, p_eq, ops, W_BOOL, 0);
}

static struct res
p_or(struct xp *x)
{
	static const char *const ops[] = { "or", NULL };
	struct res r = { NULL, 0, 0 };

	if (++x->depth > XPR_MAX_DEPTH) {
		fail(x, "expression nested too deeply");
		x->depth--;
		r.s = xstrdup("");
		return r;
	}
	r = p_binary(x, p_and, ops, W_BOOL, 0);
	x->depth--;
	return r;
}

int
xpr_rewrite(const char *expr, const struct xpr_ctx *ctx, struct xpr_out *out,
    char **cause)
{
	struct xp x;
	struct res r;
	static const struct xpr_ctx none = { NULL, NULL, 0 };

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.src = x.p = expr;
	x.ctx = ctx != NULL ? ctx : &none;
	x.out = out;
	x.t = T_END;
	x.prev = T_END;
	next(&x);
	if (x.t == T_END && x.err == NULL)
		fail(&x, "empty expression");
	r = p_or(&x);
	if (x.err == NULL && x.t != T_END)
		fail(&x, "unexpected '%s'", x.tv);
	free(x.tv);
	if (x.err != NULL) {
		free(r.s);
		xpr_out_free(out);
		if (cause != NULL)
			*cause = x.err;
		else
			free(x.err);
		return EINVAL;
	}
	out->text = r.s;
	out->is_boolean = r.boolean;
	return 0;
}

void
xpr_out_free(struct xpr_out *o)
{
	size_t i;

	free(o->text);
	for (i = 0; i < o->ndeps; i++)
		free(o->deps[i]);
	free(o->deps);
	memset(o, 0, sizeof(*o));
}

int
xpr_known_function(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(native_fns); i++)
		if (strcmp(name, native_fns[i]) == 0)
			return 1;
	return xfn_lookup(name) != NULL;
}
