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

/* DIR/FILES... and DIR itself, gone. */
static void
remove_files(const char *dir, const char *const *files, size_t n)
{
	char path[512];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
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
	remove_files(dir, files, sizeof(files) / sizeof(files[0]));
	return err;
}

/*
 * pulldata(list, column, key_column, key): LIST.csv attached next to the
 * form (ODK), looked up when first used; a list that is not there gives
 * "" (and the form says why in its warnings).
 */
static int
test_pulldata(void)
{
	static const char *const files[] = { "form.xml", "fruits.csv" };
	char dir[] = "/tmp/outpost-formcsv-XXXXXX", path[512];
	char *xml = NULL, *cause = NULL, *v = NULL;
	struct form *f = NULL;
	int err = 0;

	TEST_TRUE(mkdtemp(dir) != NULL);
	xml = tf_xml("<fruit/><price/><none/>",
	    "<bind nodeset=\"/data/fruit\" type=\"string\"/>"
	    "<bind nodeset=\"/data/price\" type=\"string\" "
	    "calculate=\"pulldata('fruits', 'unit price', 'name', "
	    "/data/fruit)\"/>"
	    "<bind nodeset=\"/data/none\" type=\"string\" "
	    "calculate=\"pulldata('absent', 'x', 'name', /data/fruit)\"/>",
	    "<input ref=\"/data/fruit\"><label>f</label></input>");
	TEST_ERR(write_file(dir, "form.xml", xml));
	TEST_ERR(write_file(dir, "fruits.csv",
	    "name,unit price\nmango,40\nbanana,\"5\"\nmango,99\n"));
	snprintf(path, sizeof(path), "%s/form.xml", dir);
	TEST_ERR(form_load(path, &f, &cause));
	TEST_ERR(form_start(f, &cause));
	TEST_STR(v = tf_get(f, "/data/price"), "");
	free(v);
	TEST_ERR(tf_set(f, "/data/fruit", "mango"));
	TEST_STR(v = tf_get(f, "/data/price"), "40");
	free(v);
	TEST_ERR(tf_set(f, "/data/fruit", "banana"));
	TEST_STR(v = tf_get(f, "/data/price"), "5");
	free(v);
	TEST_STR(v = tf_get(f, "/data/none"), "");
out:
	free(v);
	form_free(f);
	free(xml);
	free(cause);
	remove_files(dir, files, sizeof(files) / sizeof(files[0]));
	return err;
}

TEST_MAIN({ "csv_bad_rows", test_csv_bad_rows }, { "pulldata", test_pulldata })
