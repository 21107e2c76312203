/*
 * sync-server admin roster sign SPEC OUT: a kiosk's emergency roster
 * (issue 16, research emergency.md §7.8; escalate/roster.h) from a text
 * SPEC, checked (every level can be paged, every number E.164) and signed
 * with the server's Ed25519 key into OUT, for `kiosk emergency roster
 * OUT` on the kiosk.  One line per item, '#' starts a comment:
 *
 *   version N                 must grow with each new roster of a kiosk
 *   valid-days N              30 unless given
 *   site ID LAT LON           the kiosk's site and position
 *   landmark TEXT             up to 20 characters (the SMS carries it)
 *   directions TEXT
 *   service ID MINUTES LAT LON SMS [CAPS]   MINUTES by road, "-" unknown
 *   voice ID NUMBER           a number to phone for service ID
 *   level SECONDS ID [ID...]  the next escalation level
 *   loops N EVERY_S           repeat the levels N times, EVERY_S apart
 *
 * With --node N the signed roster is also kept in the store for node N:
 * POST /v1/roster serves it to that kiosk and the server's engine pages
 * that kiosk's incidents under it (sync-server/emergency.h).  A new
 * version replaces it; editing is signing a new SPEC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalate/roster.h"
#include "sync-server/emergency.h"
#include "sync-server/server.h"
#include "xmalloc.h"

static struct esc_service *
svc_of(struct esc_roster *r, const char *id)
{
	int i;

	for (i = 0; i < r->nservices; i++)
		if (strcmp(r->services[i].id, id) == 0)
			return &r->services[i];
	return NULL;
}

/* One SPEC line into R; NULL, or what is wrong. */
static const char *
spec_line(struct esc_roster *r, char *line, long *days)
{
	char kw[16], a[ESC_RCPT_LEN], b[40], c[40], d[40], e[ESC_NUM_LEN + 8],
	    caps[96];
	struct esc_service *s;
	char *rest, *tok;
	double lat, lon;
	long n, m;
	int k;

	line[strcspn(line, "#\r\n")] = '\0';
	if (sscanf(line, "%15s", kw) != 1)
		return NULL;
	rest = line + strspn(line, " \t");
	rest += strlen(kw);
	rest += strspn(rest, " \t");
	if (strcmp(kw, "version") == 0)
		return sscanf(rest, "%ld", &n) == 1 && n > 0
		    ? (r->version = (uint64_t)n, NULL)
		    : "version needs a number above 0";
	if (strcmp(kw, "valid-days") == 0)
		return sscanf(rest, "%ld", days) == 1 && *days > 0 &&
		        *days <= 365
		    ? NULL
		    : "valid-days needs 1 to 365";
	if (strcmp(kw, "site") == 0) {
		if (sscanf(rest, "%39s %lf %lf", b, &lat, &lon) != 3)
			return "site needs ID LAT LON";
		snprintf(r->site_id, sizeof(r->site_id), "%s", b);
		r->lat = lat;
		r->lon = lon;
		return NULL;
	}
	if (strcmp(kw, "landmark") == 0) {
		snprintf(r->landmark, sizeof(r->landmark), "%.20s", rest);
		return NULL;
	}
	if (strcmp(kw, "directions") == 0) {
		snprintf(r->directions, sizeof(r->directions), "%s", rest);
		return NULL;
	}
	if (strcmp(kw, "service") == 0) {
		caps[0] = '\0';
		if (sscanf(rest, "%23s %39s %39s %39s %23s %95s", a, b, c, d, e,
		        caps) < 5)
			return "service needs ID MINUTES LAT LON SMS [CAPS]";
		if (r->nservices >= ESC_MAX_SERVICES || svc_of(r, a) != NULL)
			return "too many services, or the id twice";
		s = &r->services[r->nservices++];
		memset(s, 0, sizeof(*s));
		snprintf(s->id, sizeof(s->id), "%s", a);
		snprintf(s->name, sizeof(s->name), "%s", a);
		snprintf(s->kind, sizeof(s->kind), "ambulance");
		s->travel_min =
		    strcmp(b, "-") == 0 ? -1 : (int)strtol(b, NULL, 10);
		s->lat = strtod(c, NULL);
		s->lon = strtod(d, NULL);
		if (strlen(e) >= ESC_NUM_LEN)
			return "the SMS number is too long";
		s->nsms = s->nreply = 1;
		snprintf(s->sms[0], ESC_NUM_LEN, "%.16s", e);
		snprintf(s->reply_from[0], ESC_NUM_LEN, "%.16s", e);
		snprintf(s->caps, sizeof(s->caps), "%s", caps);
		return NULL;
	}
	if (strcmp(kw, "voice") == 0) {
		if (sscanf(rest, "%23s %23s", a, e) != 2 ||
		    (s = svc_of(r, a)) == NULL || s->nvoice >= ESC_MAX_NUMS ||
		    strlen(e) >= ESC_NUM_LEN)
			return "voice needs a known service ID and a NUMBER";
		snprintf(s->voice[s->nvoice++], ESC_NUM_LEN, "%.16s", e);
		return NULL;
	}
	if (strcmp(kw, "level") == 0) {
		if (r->nlevels >= ESC_MAX_LEVELS ||
		    sscanf(rest, "%ld%n", &n, &k) != 1 || n <= 0 || n > 86400)
			return "level needs SECONDS (1 to 86400) and ids";
		r->level_deadline_s[r->nlevels] = (uint32_t)n;
		for (tok = strtok_r(rest + k, " \t", &rest); tok != NULL;
		     tok = strtok_r(NULL, " \t", &rest)) {
			if (r->level_nsvc[r->nlevels] >= ESC_MAX_RCPT)
				return "too many services on one level";
			snprintf(r->level_svc[r->nlevels]
			                     [r->level_nsvc[r->nlevels]++],
			    ESC_RCPT_LEN, "%s", tok);
		}
		r->nlevels++;
		return NULL;
	}
	if (strcmp(kw, "loops") == 0)
		return sscanf(rest, "%ld %ld", &n, &m) == 2 && n > 0 &&
		        n <= 20 && m >= 0 && m <= 86400
		    ? (r->loops = (int)n, r->loop_every_s = (uint32_t)m, NULL)
		    : "loops needs N (1 to 20) and EVERY_S";
	return "unknown item";
}

/* Keep the signed roster BUF for NODE in the store (POST /v1/roster, the
 * server's engine). */
static int
roster_keep(const char *data_dir, const char *store, const uint8_t *key,
    uint64_t node, const uint8_t *buf, size_t len)
{
	struct server srv;
	struct snode n;
	int err;

	memset(&srv, 0, sizeof(srv));
	if ((err = server_open_store(&srv, data_dir, store, key)) != 0) {
		fprintf(stderr, "sync-server: the store: %s\n", strerror(err));
		return err;
	}
	if ((err = srv.be->node_get(srv.store, node, &n)) != 0)
		fprintf(stderr, "sync-server: no node %llu enrolled\n",
		    (unsigned long long)node);
	else if ((err = emergency_roster_put(&srv, node, buf, len)) != 0)
		fprintf(stderr, "sync-server: roster not kept: %s\n",
		    strerror(err));
	server_close(&srv);
	return err;
}

int
admin_roster(const char *data_dir, const char *store, const uint8_t *key,
    int argc, char **argv)
{
	unsigned long long node = 0;
	char *end = NULL;
	struct esc_roster *r = xcalloc(1, sizeof(*r));
	uint8_t priv[32], pub[32], *out = NULL;
	size_t len = 0;
	char line[512], *cause = NULL;
	const char *why;
	long days = 30, lineno = 0;
	FILE *f = NULL;
	int err, rc = 1;

	if (argc == 6) {
		errno = 0;
		node = strtoull(argv[5], &end, 10);
		if (strcmp(argv[4], "--node") != 0 || errno != 0 ||
		    *end != '\0' || node == 0)
			argc = 0;
	}
	if ((argc != 4 && argc != 6) || strcmp(argv[1], "sign") != 0) {
		fprintf(stderr,
		    "usage: sync-server --data DIR admin roster "
		    "sign SPEC OUT [--node N]\n");
		free(r);
		return 2;
	}
	r->loops = 5;
	r->loop_every_s = 600;
	r->rate_s = 120;
	r->max_pages = 20;
	if ((f = fopen(argv[2], "r")) == NULL) {
		fprintf(
		    stderr, "sync-server: %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((why = spec_line(r, line, &days)) != NULL) {
			fprintf(stderr, "sync-server: %s line %ld: %s\n",
			    argv[2], lineno, why);
			goto out;
		}
	}
	r->issued_at = (int64_t)time(NULL);
	r->valid_until = r->issued_at + days * 86400;
	if ((err = server_key_pair(data_dir, priv, pub)) != 0) {
		fprintf(
		    stderr, "sync-server: the server key: %s\n", strerror(err));
		goto out;
	}
	err = esc_roster_sign(r, priv, &out, &len, &cause);
	explicit_bzero(priv, sizeof(priv));
	if (err != 0) {
		fprintf(stderr, "sync-server: roster not signed: %s\n",
		    cause != NULL ? cause : strerror(err));
		goto out;
	}
	fclose(f);
	if ((f = fopen(argv[3], "wb")) == NULL ||
	    fwrite(out, 1, len, f) != len) {
		fprintf(
		    stderr, "sync-server: %s: %s\n", argv[3], strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		fprintf(
		    stderr, "sync-server: %s: %s\n", argv[3], strerror(errno));
		goto out;
	}
	f = NULL;
	if (node != 0 &&
	    roster_keep(data_dir, store, key, (uint64_t)node, out, len) != 0)
		goto out;
	printf("roster version %llu for %s signed: %d services, %d levels, "
	       "valid %ld days%s\n",
	    (unsigned long long)r->version, r->site_id, r->nservices,
	    r->nlevels, days, node != 0 ? ", kept for the node" : "");
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(out);
	free(cause);
	free(r);
	return rc;
}
