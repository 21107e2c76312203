/*
 * XPath expression rewriter (internal to forms/).  Each bind/output/itemset
 * expression is parsed once at load and rewritten so libxml2 evaluates it
 * with ODK semantics (research/forms-interop.md §1.10, traps 2, 4, 5, 6, 7):
 *
 *  - ODK and overridden core functions are renamed into the private
 *    namespace prefix "ox:" (concat, round, position, number, string,
 *    jr:itext, jr:choice-name, if, today, ...);
 *  - both operands of < <= > >= + - * div mod are wrapped in ox:num(),
 *    which turns date strings into day counts;
 *  - absolute paths /x/y are anchored at the variable $r (the primary
 *    instance), also inside predicates on secondary instances;
 *  - absolute paths into an enclosing repeat get [$repN] so they mean the
 *    current repeat instance.
 *
 * It also reports the instance paths an expression reads (for
 * recalculation) and whether it calls now()/today()/uuid()/random().
 */
#ifndef FORMS_XPR_H
#define FORMS_XPR_H

#include <stddef.h>

#define XPR_NS "urn:outpost:forms"
#define XPR_PREFIX "ox"

struct xpr_ctx {
	const char *path; /* generic path of the bound node */
	const char *const *repeats; /* enclosing repeats, outermost first */
	size_t nrepeats;
};

struct xpr_out {
	char *text; /* the rewritten expression */
	char **deps; /* generic absolute paths read */
	size_t ndeps;
	int deps_unknown; /* reads something we cannot name (//x, axes) */
	int is_volatile; /* now(), today(), uuid(), random() */
	int is_boolean; /* the result is a boolean (comparison, true()...) */
};

/* Returns 0 or EINVAL with *cause naming the problem and the offset. */
int xpr_rewrite(
    const char *expr, const struct xpr_ctx *, struct xpr_out *, char **cause);
void xpr_out_free(struct xpr_out *);

/* Is NAME (without prefix) an ODK function we implement under ox:? */
int xpr_known_function(const char *name);

#endif
