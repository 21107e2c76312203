/*
 * bench/forms_list: how long a form with one long choice list takes to
 * load (issue 11: facility, village and ward lists of 10,000-30,000 items
 * are normal; the instance walk was quadratic).
 *
 *   forms_list [ITEMS [RUNS]]
 *
 * Builds a form whose select1 reads an inline secondary instance of ITEMS
 * items (default 30000), the shape pyxform writes for a choice list, and
 * prints the median over RUNS (default 3) of form_load_mem and of
 * form_draft_restore (which walks the record the same way).  Release
 * build only (make; not the sanitizer build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "forms/form.h"
#include "xmalloc.h"

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
make_form(long items)
{
	struct buf b;
	long i;

	buf_init(&b, 256 * 1024 * 1024);
	buf_printf(&b,
	    "<?xml version=\"1.0\"?>\n<h:html "
	    "xmlns=\"http://www.w3.org/2002/xforms\" "
	    "xmlns:h=\"http://www.w3.org/1999/xhtml\" "
	    "xmlns:jr=\"http://openrosa.org/javarosa\">\n"
	    "<h:head><h:title>wards</h:title><model>\n"
	    "<instance><data id=\"wards\"><ward/><meta><instanceID/></meta>"
	    "</data></instance>\n<instance id=\"wards\"><root>\n");
	for (i = 0; i < items; i++)
		buf_printf(&b,
		    "  <item><name>w%ld</name><label>Ward %ld</label>"
		    "</item>\n",
		    i, i);
	buf_printf(&b,
	    "</root></instance>\n"
	    "<bind nodeset=\"/data/ward\" type=\"string\" required=\"true()\"/>\n"
	    "<bind nodeset=\"/data/meta/instanceID\" type=\"string\" "
	    "readonly=\"true()\" jr:preload=\"uid\"/>\n"
	    "</model></h:head>\n<h:body>\n<select1 ref=\"/data/ward\">"
	    "<label>ward</label><itemset nodeset=\"instance('wards')/root/item\">"
	    "<value ref=\"name\"/><label ref=\"label\"/></itemset></select1>\n"
	    "</h:body></h:html>\n");
	buf_append_byte(&b, '\0');
	return (char *)b.data;
}

int
main(int argc, char **argv)
{
	long items = argc > 1 ? strtol(argv[1], NULL, 10) : 30000;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3, r;
	double *load, *restore;
	struct form *f;
	char *xml, *draft, *cause = NULL;
	uint64_t t0;

	if (items < 1 || runs < 1) {
		fprintf(stderr, "usage: forms_list [ITEMS [RUNS]]\n");
		return 2;
	}
	xml = make_form(items);
	load = xcalloc((size_t)runs, sizeof(*load));
	restore = xcalloc((size_t)runs, sizeof(*restore));
	for (r = 0; r < runs; r++) {
		t0 = clock_mono_us();
		if (form_load_mem(xml, strlen(xml), &f, &cause) != 0) {
			fprintf(stderr, "forms_list: %s\n", cause);
			return 1;
		}
		load[r] = (double)(clock_mono_us() - t0) / 1000.0;
		if (form_start(f, &cause) != 0 ||
		    form_set(f, "/data/ward", "w7", &cause) != 0 ||
		    form_draft_save(f, &draft) != 0) {
			fprintf(stderr, "forms_list: %s\n", cause);
			return 1;
		}
		form_free(f);
		if (form_load_mem(xml, strlen(xml), &f, &cause) != 0)
			return 1;
		t0 = clock_mono_us();
		if (form_draft_restore(f, draft, strlen(draft), &cause) != 0) {
			fprintf(stderr, "forms_list: %s\n", cause);
			return 1;
		}
		restore[r] = (double)(clock_mono_us() - t0) / 1000.0;
		free(draft);
		form_free(f);
	}
	qsort(load, (size_t)runs, sizeof(*load), dcmp);
	qsort(restore, (size_t)runs, sizeof(*restore), dcmp);
	printf("forms_list: items=%ld load_ms=%.1f draft_restore_ms=%.1f "
	       "(median of %d)\n",
	    items, load[runs / 2], restore[runs / 2], runs);
	free(load);
	free(restore);
	free(xml);
	return 0;
}
