/*
 * kiosk form: test an XForm headlessly, for form authors and for tests.
 *
 *   kiosk form check FILE [--strict]
 *       load FILE; print a summary and every warning ("line N: ..."), or
 *       the reason it is refused.  --strict fails on warnings too.
 *   kiosk form fill FILE [--lang L] [--inputs FILE] [--answers FILE]
 *                   [--patient ID [--save]]
 *       start a record, apply "path=value" lines (# comments; repeat
 *       instances are added as paths name them), then print the OpenRosa
 *       submission XML, or each failed required/constraint message.
 *       A CHT form's inputs group (forms/form.h) is filled first: with
 *       --patient, source=contact and contact/_id=ID; then "name=value"
 *       lines of --inputs FILE, names relative to the group
 *       ("contact/name=Amina").
 *       With --save the finished record is also stored as the patient's
 *       form submission (unlocks the node's store).
 *
 * Without --save neither needs the node's store.
 */
#define LOG_MODULE "form"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "forms/form.h"
#include "kiosk/kctx.h"
#include "kiosk/store/store.h"
#include "str.h"
#include "xmalloc.h"

#define ANSWER_LINE_MAX 8192

extern const struct kiosk_cmd cmd_form;

/* Load PATH, or say why it is refused and return NULL. */
static struct form *
load(const char *path)
{
	struct form *f = NULL;
	char *cause = NULL;
	int err;

	if ((err = form_load(path, &f, &cause)) != 0) {
		fprintf(stderr, "%s: refused: %s\n", path,
		    cause ? cause : strerror(err));
		free(cause);
		return NULL;
	}
	return f;
}

static int
check_run(int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--strict", 0, NULL } };
	const char *pos[1], *const *list;
	struct form *f = NULL;
	size_t n, i;
	int npos;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1) {
		fprintf(stderr, "usage: kiosk form check FILE [--strict]\n");
		return 2;
	}
	if ((f = load(pos[0])) == NULL)
		return 1;
	printf("form: %s\n", form_id(f));
	printf("version: %s\n", form_version(f));
	printf("title: %s\n", form_title(f));
	n = form_languages(f, &list);
	printf("languages:");
	for (i = 0; i < n; i++)
		printf(" %s%s", list[i],
		    strcmp(list[i], form_language(f)) == 0 ? "*" : "");
	printf("%s\n", n == 0 ? " (none)" : "");
	printf(
	    "binds: %zu\ncontrols: %zu\n", form_nbinds(f), form_ncontrols(f));
	n = form_warnings(f, &list);
	printf("warnings: %zu\n", n);
	for (i = 0; i < n; i++)
		printf("  %s: %s\n", pos[0], list[i]);
	form_free(f);
	return opts[0].value != NULL && n > 0 ? 1 : 0;
}

/* Lines of FILE as answers, or (INPUTS) as the CHT inputs group's. */
static int
apply_answers(struct form *f, const char *file, int inputs)
{
	FILE *fp;
	char line[ANSWER_LINE_MAX], *eq, *path, *value, *cause;
	int lineno = 0, bad = 0, err;

	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "r")) == NULL) {
		fprintf(stderr, "kiosk form: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		path = str_trim(line);
		if (*path == '\0' || *path == '#')
			continue;
		if ((eq = strchr(path, '=')) == NULL) {
			fprintf(stderr, "%s:%d: expected path=value\n", file,
			    lineno);
			bad++;
			continue;
		}
		*eq = '\0';
		value = eq + 1;
		str_trim(path);
		cause = NULL;
		if (inputs)
			err = form_set_input(f, path, value, &cause);
		else {
			form_repeat_ensure(f, path);
			err = form_set(f, path, value, &cause);
		}
		if (err != 0) {
			fprintf(stderr, "%s: %s\n", path,
			    cause ? cause : strerror(err));
			bad++;
		}
		free(cause);
	}
	if (fp != stdin)
		fclose(fp);
	return bad;
}

static int
fill_run(struct kctx *ctx, int argc, char **argv)
{
	struct cmd_opt opts[] = { { "--lang", 1, NULL },
		{ "--answers", 1, NULL }, { "--patient", 1, NULL },
		{ "--save", 0, NULL }, { "--inputs", 1, NULL } };
	const char *pos[1];
	struct form *f = NULL;
	char *cause = NULL, *xml = NULL, host[256];
	int npos, err, bad = 0, rc = 1, save;

	if (cmd_opt_parse(argc, argv, 2, opts, nitems(opts), pos, 1, &npos) !=
	        0 ||
	    npos != 1) {
		fprintf(stderr,
		    "usage: kiosk form fill FILE [--lang L] [--inputs FILE] "
		    "[--answers FILE] [--patient ID [--save]]\n");
		return 2;
	}
	save = opts[3].value != NULL;
	if (save && opts[2].value == NULL) {
		fprintf(stderr, "kiosk form: --save needs --patient ID\n");
		return 2;
	}
	if ((f = load(pos[0])) == NULL)
		return 1;
	if (opts[0].value != NULL && form_set_language(f, opts[0].value) != 0) {
		fprintf(stderr, "kiosk form: %s has no language \"%s\"\n",
		    pos[0], opts[0].value);
		goto out;
	}
	if (save) {
		if (kctx_open(ctx) != 0)
			goto out; /* kctx_open said why */
		str_lcpy(host, store_node_id(ctx->store), sizeof(host));
	} else if (gethostname(host, sizeof(host)) != 0)
		str_lcpy(host, "kiosk", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	form_set_property(f, "deviceid", host);
	form_set_property(f, "username", ctx && ctx->user ? ctx->user : "");
	if (opts[2].value != NULL && form_inputs_path(f) != NULL) {
		/* as CHT opens a form on a contact; a form without these
		 * nodes simply does not get them */
		(void)form_set_input(f, "source", "contact", NULL);
		(void)form_set_input(f, "contact/_id", opts[2].value, NULL);
	}
	if (opts[4].value != NULL) {
		if (form_inputs_path(f) == NULL) {
			fprintf(stderr, "kiosk form: %s has no inputs group\n",
			    pos[0]);
			goto out;
		}
		if ((bad = apply_answers(f, opts[4].value, 1)) < 0)
			goto out;
	}
	/* the inputs are in place before the load events (as CHT opens a
	 * form): an odk-instance-first-load setvalue reads them */
	if ((err = form_start(f, &cause)) != 0) {
		fprintf(
		    stderr, "kiosk form: %s\n", cause ? cause : "cannot start");
		goto out;
	}
	if (opts[1].value != NULL) {
		int n = apply_answers(f, opts[1].value, 0);

		if (n < 0)
			goto out;
		bad += n;
	}
	if ((err = form_finalize(f, &xml, &cause)) != 0) {
		fprintf(stderr, "%s", cause ? cause : "not complete\n");
		goto out;
	}
	if (bad > 0) {
		fprintf(stderr, "kiosk form: %d answer(s) were not accepted\n",
		    bad);
		goto out;
	}
	if (save &&
	    (err = store_form_submit(ctx->store, form_instance_id(f),
	         form_id(f), form_version(f), NULL, opts[2].value, xml)) != 0) {
		fprintf(stderr,
		    "kiosk form: the record could not be stored: "
		    "%s\n",
		    strerror(err));
		goto out;
	}
	fputs(xml, stdout);
	if (save)
		fprintf(stderr, "saved %s\n", form_instance_id(f));
	rc = 0;
out:
	free(cause);
	free(xml);
	form_free(f);
	return rc;
}

static int
form_run(struct kctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_run(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "fill") == 0)
		return fill_run(ctx, argc, argv);
	return cmd_usage(&cmd_form);
}

const struct kiosk_cmd cmd_form = {
	"form",
	"  form check FILE [--strict]\n"
	"  form fill FILE [--lang L] [--inputs FILE] [--answers FILE]\n"
	"            [--patient ID [--save]]\n",
	form_run,
};
