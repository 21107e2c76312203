/*
 * Fuzz the forms engine with whole form documents: load (parse, rewrite
 * and compile every expression), start a record, walk the prompts,
 * answer each question with a few values, add and remove repeat
 * instances, validate, serialise, save and restore a draft.  Refusals are
 * fine; crashes, leaks and sanitizer reports are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "forms/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
exercise(struct form *f)
{
	static const char *const values[] = { "1", "2024-01-31", "yes", "" };
	struct form_prompt *p = NULL;
	size_t n = 0, i, k;
	char *cause = NULL, *xml = NULL, *draft = NULL;
	struct form_issue *iss = NULL;
	int idx;

	if (form_prompts(f, &p, &n) != 0)
		return;
	for (i = 0; i < n && i < 64; i++) {
		if (p[i].path == NULL)
			continue;
		if (p[i].kind == FORM_REPEAT) {
			(void)form_repeat_add(f, p[i].path, &idx);
			continue;
		}
		for (k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
			(void)form_set(f, p[i].path,
			    p[i].nchoices > 0 ? p[i].choices[0].value
			                      : values[k],
			    &cause);
			free(cause);
			cause = NULL;
		}
	}
	form_prompts_free(p, n);
	n = form_validate(f, &iss);
	form_issues_free(iss, n);
	if (form_draft_save(f, &draft) == 0) {
		(void)form_draft_restore(f, draft, strlen(draft), &cause);
		free(cause);
		cause = NULL;
	}
	free(draft);
	if (form_finalize(f, &xml, &cause) == 0)
		free(xml);
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct form *f = NULL;
	char *cause = NULL;
	const char *const *langs;

	log_level_current = LOG_LEVEL_FATAL; /* quiet replays */
	if (len > 256 * 1024)
		return 0;
	if (form_load_mem((const char *)data, len, &f, &cause) != 0) {
		free(cause);
		return 0;
	}
	if (form_languages(f, &langs) > 1)
		(void)form_set_language(f, langs[1]);
	if (form_start(f, &cause) == 0)
		exercise(f);
	free(cause);
	form_free(f);
	return 0;
}
