/*
 * External CSV lists (select_one_from_file, jr://file-csv/) are read with
 * the shared CSV reader: a malformed row is a warning that names its line
 * and is left out, instead of being half-read into a wrong choice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "test.h"
#include "test_forms.h"

/* DIR/NAME := TEXT */
static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fileio_write_atomic(path, text, strlen(text), 0644);
}

static int
test_csv_bad_rows(void)
{
	static const char *const files[] = { "form.xml", "villages.csv" };
	char dir[] = "/tmp/outpost-formcsv-XXXXXX", path[512];
	char *xml = NULL, *cause = NULL;
	struct form *f = NULL;
	struct form_prompt *p = NULL;
	const char *const *w;
	size_t n = 0, i;
	int err = 0;

	TEST_TRUE(mkdtemp(dir) != NULL);
	xml = tf_xml("<village/>",
	    "<instance id=\"villages\" src=\"jr://file-csv/villages.csv\"/>",
	    "<select1 ref=\"/data/village\"><label>v</label><itemset "
	    "nodeset=\"instance('villages')/root/item\"><value ref=\"name\"/>"
	    "<label ref=\"label\"/></itemset></select1>");
	TEST_ERR(write_file(dir, "form.xml", xml));
	TEST_ERR(write_file(dir, "villages.csv",
	    "name,label\n"
	    "kib,Kibera\n"
	    "\"bad\"x,Broken\n"
	    "nya,\"Nyali\nBeach\"\n"
	    "\"never closed,z\n"));
	snprintf(path, sizeof(path), "%s/form.xml", dir);
	TEST_ERR(form_load(path, &f, &cause));
	TEST_EQ(form_warnings(f, &w), 2);
	TEST_TRUE(strstr(w[0], "villages") != NULL);
	TEST_TRUE(strstr(w[0], "line 3") != NULL);
	TEST_TRUE(strstr(w[1], "line 6") != NULL);
	TEST_TRUE(strstr(w[1], "never closed") != NULL);
	TEST_ERR(form_start(f, &cause));
	TEST_ERR(form_prompts(f, &p, &n));
	for (i = 0; i < n; i++)
		if (p[i].path != NULL &&
		    strcmp(p[i].path, "/data/village") == 0)
			break;
	TEST_TRUE(i < n);
	TEST_EQ(p[i].nchoices, 2);
	TEST_STR(p[i].choices[0].label, "Kibera");
	TEST_STR(p[i].choices[1].label, "Nyali\nBeach");
out:
	form_prompts_free(p, n);
	form_free(f);
	free(xml);
	free(cause);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return err;
}

TEST_MAIN({ "csv_bad_rows", test_csv_bad_rows })
