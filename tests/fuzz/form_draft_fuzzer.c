/*
 * Fuzz draft restore: a draft is read back after a crash or power cut and
 * may be truncated or damaged.  Restore arbitrary bytes into a loaded form
 * (repeats, jr:count, relevance, calculates), then walk, answer and
 * finalize whatever was accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "forms/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char form_xml[] =
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" "
    "xmlns:h=\"http://www.w3.org/1999/xhtml\" "
    "xmlns:jr=\"http://openrosa.org/javarosa\">"
    "<h:head><h:title>d</h:title><model>"
    "<instance><data id=\"draftfuzz\"><n/><sex/><preg><w/></preg>"
    "<kid jr:template=\"\"><age/><dbl/></kid><total/>"
    "<meta><instanceID/></meta></data></instance>"
    "<bind nodeset=\"/data/n\" type=\"int\"/>"
    "<bind nodeset=\"/data/sex\" type=\"string\"/>"
    "<bind nodeset=\"/data/preg\" relevant=\"/data/sex = 'f'\"/>"
    "<bind nodeset=\"/data/preg/w\" type=\"int\" required=\"true()\"/>"
    "<bind nodeset=\"/data/kid/age\" type=\"int\" constraint=\". &lt; 18\"/>"
    "<bind nodeset=\"/data/kid/dbl\" type=\"int\" calculate=\"../age * 2\"/>"
    "<bind nodeset=\"/data/total\" type=\"int\" calculate=\"sum(/data/kid/age)\"/>"
    "<bind nodeset=\"/data/meta/instanceID\" type=\"string\" "
    "readonly=\"true()\" jr:preload=\"uid\"/>"
    "</model></h:head><h:body>"
    "<input ref=\"/data/n\"><label>n</label></input>"
    "<input ref=\"/data/sex\"><label>s</label></input>"
    "<group ref=\"/data/preg\"><input ref=\"w\"><label>w</label></input></group>"
    "<repeat nodeset=\"/data/kid\" jr:count=\"/data/n\">"
    "<input ref=\"age\"><label>a</label></input></repeat>"
    "</h:body></h:html>";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct form *f = NULL;
	struct form_prompt *p = NULL;
	char *cause = NULL, *xml = NULL;
	size_t n = 0, i;

	log_level_current = LOG_LEVEL_FATAL; /* quiet replays */
	if (len > 64 * 1024)
		return 0;
	if (form_load_mem(form_xml, strlen(form_xml), &f, &cause) != 0)
		abort(); /* the harness's own form must load */
	if (form_draft_restore(f, (const char *)data, len, &cause) == 0 &&
	    form_prompts(f, &p, &n) == 0) {
		for (i = 0; i < n && i < 32; i++) {
			char *c2 = NULL;

			if (p[i].path != NULL && p[i].kind == FORM_INPUT)
				(void)form_set(f, p[i].path, "3", &c2);
			free(c2);
		}
		form_prompts_free(p, n);
		if (form_finalize(f, &xml, &cause) == 0)
			free(xml);
	}
	free(cause);
	form_free(f);
	return 0;
}
