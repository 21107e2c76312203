/*
 * sync-server admin partner ... and admin emergency cap|fhir ...
 * (partners.h; issue 16).  A partner is a machine endpoint of a region
 * that takes CAP 1.2 or FHIR R4 (research emergency.md §1.4); its secret,
 * when given, is sent as a bearer token and never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escalate/escalate.h"
#include "sync-server/emergency.h"
#include "sync-server/partners.h"
#include "sync-server/server.h"
#include "uuid.h"
#include "xmalloc.h"

static int
partner_usage(void)
{
	fprintf(stderr,
	    "usage: sync-server --data DIR admin partner add REGION URL "
	    "--format cap|fhir [--secret S]\n"
	    "       sync-server --data DIR admin partner list [REGION]\n");
	return 2;
}

static int
print_cb(const struct spartner *p, void *arg)
{
	(void)arg;
	printf("%" PRIu64 "\t%s\t%s\t%s\t%s\n", p->id, p->region, p->format,
	    p->url, p->secret[0] ? "secret" : "-");
	return 0;
}

int
admin_partner(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct spartner p;
	int i, err;

	if (argc >= 2 && strcmp(argv[1], "list") == 0 && argc <= 3) {
		if ((err = be->partner_list(
		         s, argc == 3 ? argv[2] : "", print_cb, NULL)) != 0) {
			fprintf(stderr, "sync-server: partners: %s\n",
			    strerror(err));
			return 1;
		}
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "add") != 0)
		return partner_usage();
	memset(&p, 0, sizeof(p));
	if (strlen(argv[2]) >= sizeof(p.region) || argv[2][0] == '\0') {
		fprintf(stderr, "sync-server: the region name is too long\n");
		return 1;
	}
	snprintf(p.region, sizeof(p.region), "%s", argv[2]);
	if ((strncmp(argv[3], "http://", 7) != 0 &&
	        strncmp(argv[3], "https://", 8) != 0) ||
	    strlen(argv[3]) >= sizeof(p.url) || strpbrk(argv[3], " \t\r\n")) {
		fprintf(stderr,
		    "sync-server: the partner URL must be http:// or "
		    "https://, without spaces, under %zu characters\n",
		    sizeof(p.url));
		return 1;
	}
	snprintf(p.url, sizeof(p.url), "%s", argv[3]);
	for (i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			return partner_usage();
		if (strcmp(argv[i], "--format") == 0 &&
		    (strcmp(argv[i + 1], "cap") == 0 ||
		        strcmp(argv[i + 1], "fhir") == 0))
			snprintf(p.format, sizeof(p.format), "%s", argv[++i]);
		else if (strcmp(argv[i], "--secret") == 0 &&
		    strlen(argv[i + 1]) < sizeof(p.secret) &&
		    strpbrk(argv[i + 1], "\r\n") == NULL)
			snprintf(p.secret, sizeof(p.secret), "%s", argv[++i]);
		else
			return partner_usage();
	}
	if (p.format[0] == '\0')
		return partner_usage();
	p.added_ms = server_now_ms();
	err = be->partner_add(s, &p);
	explicit_bzero(p.secret, sizeof(p.secret));
	if (err == EEXIST) {
		fprintf(stderr,
		    "sync-server: region %s already has that %s partner\n",
		    p.region, p.format);
		return 1;
	}
	if (err != 0) {
		fprintf(stderr, "sync-server: partner not added: %s\n",
		    strerror(err));
		return 1;
	}
	printf("partner %" PRIu64 " added for region %s (%s): it gets every "
	       "incident of the region from now on\n",
	    p.id, p.region, p.format);
	return 0;
}

struct find {
	const char *want; /* a UUID or a 6-character code */
	struct uuid u;
	int by_id, found;
	struct semerg e;
};

static int
find_cb(const struct semerg *e, void *arg)
{
	struct find *f = arg;

	if ((f->by_id && memcmp(e->id, f->u.b, 16) == 0) ||
	    (!f->by_id && strcasecmp(e->code, f->want) == 0)) {
		f->e = *e;
		f->found++;
	}
	return 0;
}

int
admin_emergency(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv)
{
	struct server srv;
	struct find *f = xcalloc(1, sizeof(*f));
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	long long seq = PARTNER_SEQ_ALERT;
	char *doc = NULL, *end = NULL;
	int err, rc = 1, opened = 0;

	if ((argc != 3 && argc != 5) ||
	    (strcmp(argv[1], "cap") != 0 && strcmp(argv[1], "fhir") != 0) ||
	    (argc == 5 &&
	        (strcmp(argv[3], "--seq") != 0 ||
	            (seq = strtoll(argv[4], &end, 10)) < 1 || *end != '\0'))) {
		fprintf(stderr,
		    "usage: sync-server --data DIR admin emergency cap|fhir "
		    "UUID|CODE [--seq N]\n");
		rc = 2;
		goto out;
	}
	f->want = argv[2];
	f->by_id = uuid_parse(argv[2], &f->u) == 0;
	memset(&srv, 0, sizeof(srv));
	if ((err = server_open_store(&srv, data_dir, store, key)) != 0) {
		fprintf(stderr, "sync-server: the store: %s\n", strerror(err));
		goto out;
	}
	opened = 1;
	if ((err = srv.be->emerg_list(srv.store, NULL, 0, 0, find_cb, f))) {
		fprintf(stderr, "sync-server: incidents: %s\n", strerror(err));
		goto out;
	}
	if (f->found != 1) {
		fprintf(stderr,
		    "sync-server: %s: %s (give the incident's UUID or its "
		    "6-character code)\n",
		    argv[2],
		    f->found ? "more than one incident" : "no incident");
		goto out;
	}
	if (emergency_roster_of(&srv, f->e.node, r) != 0)
		fprintf(stderr,
		    "sync-server: no roster kept for node %" PRIu64
		    ": the site is left out\n",
		    f->e.node);
	err = partners_doc(&f->e, r->site_id[0] ? r : NULL, argv[1], "partners",
	    (uint64_t)seq,
	    seq == PARTNER_SEQ_ALERT ? f->e.raised_ms : f->e.updated_ms, &doc);
	if (err != 0) {
		fprintf(stderr, "sync-server: not built: %s\n", strerror(err));
		goto out;
	}
	fputs(doc, stdout);
	rc = 0;
out:
	if (opened)
		server_close(&srv);
	free(doc);
	free(f);
	free(r);
	return rc;
}
