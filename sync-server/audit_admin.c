/*
 * The administrator's view of issue 17's records: a node's audit anchors
 * and breaks (api/audit.c stores them at each sync), and the break-glass
 * accesses (api/breakglass.c).  Read only.  A break-glass reason is shown
 * to the administrator reviewing it (that is its purpose); it is never
 * logged.
 */
#define LOG_MODULE "audit_admin"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "json.h"
#include "str.h"
#include "sync-server/audit_admin.h"
#include "uuid.h"

static void
aa_when(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "%" PRIu64, ms);
}

int
admin_audit(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct sanchor an, *rows = NULL;
	long long node;
	size_t n = 0, i, anchors = 0;
	char when[32], *hex;
	int err, broken = 0, rc = 1;

	if (argc != 2 || str_to_ll(argv[1], 1, INT64_MAX, &node) != 0)
		return 2;
	err = be->anchor_get(s, (uint64_t)node, &an, &broken);
	if (err == ENOENT) {
		printf("node %lld: no audit anchor yet (it has not sent its "
		       "audit chain: it has not synced since this server "
		       "version)\n",
		    node);
		return 1;
	}
	if (err != 0 ||
	    (err = be->anchor_list(s, (uint64_t)node, 1000, &rows, &n)) != 0) {
		fprintf(stderr, "sync-server: audit: %s\n", strerror(err));
		return 1;
	}
	for (i = 0; i < n; i++)
		anchors += rows[i].ok;
	aa_when(an.at_ms, when);
	hex = hex_encode(an.hash, 8);
	if (!broken) {
		printf("node %lld: extends: at its last sync (%s) its audit "
		       "chain extended the anchor, now entry %" PRIu64
		       " (hash %s...); %zu anchors\n",
		    node, when, an.seq, hex, anchors);
		rc = 0;
	} else {
		for (i = 0; i < n && rows[i].ok; i++)
			;
		aa_when(i < n ? rows[i].at_ms : 0, when);
		printf("node %lld: BROKEN: its audit chain no longer extends "
		       "the anchor at entry %" PRIu64
		       " (hash %s...): %s (found %s). Its history was "
		       "rewritten after that anchor, or its store replaced: "
		       "examine the node before trusting its audit log\n",
		    node, an.seq, hex, i < n ? rows[i].detail : "?", when);
	}
	free(hex);
	free(rows);
	return rc;
}

/* `admin breakglass --searches [--json]`: every break-glass search,
 * newest first, with its words (they may name a patient: this is the
 * administrator's review, not a log). */
static int
admin_bgsearches(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct sbgsearch *b = NULL;
	char when[32];
	size_t n = 0, i;
	int json = 0, err;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return 2;
	if ((err = be->bgsearch_list(s, 0, &b, &n)) != 0) {
		fprintf(stderr, "sync-server: breakglass searches: %s\n",
		    strerror(err));
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-24s %-6s %-12s %-12s %-12s %-5s %s\n", "WHEN", "NODE",
		    "REGION", "FACILITY", "USER", "FOUND", "SEARCH");
	for (i = 0; i < n; i++) {
		aa_when(b[i].at_ms, when);
		if (!json) {
			printf("%-24s %-6" PRIu64
			       " %-12s %-12s %-12s %-5" PRIu64 " %s\n",
			    when, b[i].node, b[i].region, b[i].facility,
			    b[i].user, b[i].found, b[i].query);
			continue;
		}
		printf("%s\n {\"at_ms\": %" PRIu64 ", \"node\": %" PRIu64
		       ", \"region\": ",
		    i ? "," : "", b[i].at_ms, b[i].node);
		json_fputs(stdout, b[i].region);
		printf(", \"facility\": ");
		json_fputs(stdout, b[i].facility);
		printf(", \"user\": ");
		json_fputs(stdout, b[i].user);
		printf(", \"found\": %" PRIu64 ", \"search\": ", b[i].found);
		json_fputs(stdout, b[i].query);
		printf("}");
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	explicit_bzero(b, n * sizeof(*b));
	free(b);
	return 0;
}

int
admin_breakglass(
    const struct store_backend *be, struct sstore *s, int argc, char **argv)
{
	struct sbreakglass *b = NULL;
	struct uuid u;
	char id[UUID_STRLEN + 1], when[32];
	size_t n = 0, i;
	int json = 0, err;

	if (argc >= 2 && strcmp(argv[1], "--searches") == 0)
		return admin_bgsearches(be, s, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1)
		return 2;
	if ((err = be->breakglass_list(s, 0, &b, &n)) != 0) {
		fprintf(stderr, "sync-server: breakglass: %s\n", strerror(err));
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-24s %-6s %-12s %-12s %-36s %-12s %s\n", "WHEN",
		    "NODE", "REGION", "FACILITY", "PATIENT", "USER", "REASON");
	for (i = 0; i < n; i++) {
		memcpy(u.b, b[i].patient, 16);
		uuid_format(&u, id);
		aa_when(b[i].at_ms, when);
		if (!json) {
			printf("%-24s %-6" PRIu64
			       " %-12s %-12s %-36s %-12s %s\n",
			    when, b[i].node, b[i].region, b[i].facility, id,
			    b[i].user, b[i].reason);
			continue;
		}
		printf("%s\n {\"at_ms\": %" PRIu64 ", \"node\": %" PRIu64
		       ", \"region\": ",
		    i ? "," : "", b[i].at_ms, b[i].node);
		json_fputs(stdout, b[i].region);
		printf(", \"facility\": ");
		json_fputs(stdout, b[i].facility);
		printf(", \"patient\": \"%s\", \"user\": ", id);
		json_fputs(stdout, b[i].user);
		printf(", \"reason\": ");
		json_fputs(stdout, b[i].reason);
		printf("}");
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	free(b);
	return 0;
}
