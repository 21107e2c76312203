/*
 * Fuzz the XPath rewriter (forms/xpr.c) with arbitrary expressions, in a
 * repeat context, and compile what it accepts with libxml2 against a
 * context that has the ODK functions registered: the rewriter must never
 * emit text libxml2 cannot parse without it having said so.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "forms/xfn.h"
#include "log.h"
#include "forms/xpr.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
quiet(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const reps[] = { "/data/r", "/data/r/s" };
	struct xpr_ctx ctx = { "/data/r/s/x", reps, 2 };
	struct xfn_env env;
	struct xpr_out o;
	xmlXPathContextPtr xp;
	xmlXPathCompExprPtr comp;
	char *expr, *cause = NULL;

	log_level_current = LOG_LEVEL_FATAL; /* quiet replays */
	if (len > 4096)
		return 0;
	expr = xstrndup((const char *)data, len);
	if (xpr_rewrite(expr, &ctx, &o, &cause) == 0) {
		memset(&env, 0, sizeof(env));
		xp = xmlXPathNewContext(NULL);
		xp->error = quiet;
		xmlXPathRegisterNs(
		    xp, (const xmlChar *)XPR_PREFIX, (const xmlChar *)XPR_NS);
		xfn_register(xp, &env);
		comp = xmlXPathCtxtCompile(xp, (const xmlChar *)o.text);
		xmlXPathFreeCompExpr(comp);
		xmlXPathFreeContext(xp);
		xpr_out_free(&o);
	}
	free(cause);
	free(expr);
	return 0;
}
