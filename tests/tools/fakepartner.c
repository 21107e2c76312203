/*
 * fakepartner: a MOCK of a dispatch partner's HTTP endpoint on loopback
 * that takes CAP 1.2 or FHIR R4 (research emergency.md §1.4), for the
 * server's partner deliveries (sync-server/partners.c).  It stands in for
 * a real dispatch system, which cannot be reached from here.
 *
 *   fakepartner PORT-FILE DIR [--fail N] [--slow N] [--dup N]
 *               [--secret S]
 *
 * POST /partner: every request is numbered from 1.  The first N of
 * --fail are answered 503 and not kept; the next N of --slow are kept
 * and answered 200 only after 2 s (past a short client timeout, so the
 * sender sends again); the next N of --dup are kept and answered 500
 * (taken, but the sender is told otherwise: a duplicate follows); the
 * rest are kept and answered 200.  With --secret a request without
 * "Authorization: Bearer S" is answered 401 and not kept.  Each kept
 * body is DIR/K.xml (CAP) or DIR/K.json, and DIR/log gets a line
 * "K X-OUTPOST-MESSAGE STATUS".
 *
 * GET /control/log: the log.  Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "xmalloc.h"

#define FP_MAX (256 << 10)

static struct {
	pthread_mutex_t mu;
	char dir[200], secret[128];
	int fail, slow, dup, n;
	struct buf log;
} G;

struct conn {
	struct buf body;
};

static enum MHD_Result
reply(struct MHD_Connection *mc, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
take(struct MHD_Connection *mc, const char *body, size_t len)
{
	const char *auth =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
	const char *msg = MHD_lookup_connection_value(
	    mc, MHD_HEADER_KIND, "X-Outpost-Message");
	const char *type =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type");
	char want[160], path[256];
	unsigned status;
	FILE *f;
	int k;

	pthread_mutex_lock(&G.mu);
	k = ++G.n;
	snprintf(want, sizeof(want), "Bearer %s", G.secret);
	if (G.secret[0] != '\0' && (auth == NULL || strcmp(auth, want) != 0))
		status = 401;
	else if (k <= G.fail)
		status = 503;
	else if (k <= G.fail + G.slow)
		status = 200; /* late: below */
	else if (k <= G.fail + G.slow + G.dup)
		status = 500;
	else
		status = 200;
	if (status != 401 && status != 503) {
		snprintf(path, sizeof(path), "%s/%d.%s", G.dir, k,
		    type != NULL && strstr(type, "xml") ? "xml" : "json");
		if ((f = fopen(path, "w")) != NULL) {
			fwrite(body, 1, len, f);
			fclose(f);
		}
	}
	buf_printf(&G.log, "%d %s %u\n", k, msg ? msg : "-", status);
	pthread_mutex_unlock(&G.mu);
	if (k > G.fail && k <= G.fail + G.slow)
		sleep(2);
	return reply(mc, status, status == 200 ? "ok\n" : "no\n");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct conn *c = *con_cls;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		buf_init(&c->body, FP_MAX);
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		buf_append(&c->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, "/partner") == 0)
		ret = take(mc, (const char *)c->body.data, c->body.len);
	else if (strcmp(url, "/control/log") == 0) {
		pthread_mutex_lock(&G.mu);
		buf_append_byte(&G.log, 0);
		ret = reply(mc, 200, (char *)G.log.data);
		G.log.len--;
		pthread_mutex_unlock(&G.mu);
	} else
		ret = reply(mc, 404, "no such route\n");
	buf_free(&c->body);
	free(c);
	*con_cls = NULL;
	return ret;
}

int
main(int argc, char **argv)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	sigset_t set;
	FILE *f;
	int i, sig;

	if (argc < 3 || argc % 2 == 0) {
usage:
		fprintf(stderr,
		    "usage: fakepartner PORT-FILE DIR [--fail N] "
		    "[--slow N] [--dup N] [--secret S]\n");
		return 2;
	}
	pthread_mutex_init(&G.mu, NULL);
	snprintf(G.dir, sizeof(G.dir), "%s", argv[2]);
	for (i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fail") == 0)
			G.fail = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--slow") == 0)
			G.slow = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--dup") == 0)
			G.dup = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--secret") == 0)
			snprintf(G.secret, sizeof(G.secret), "%s", argv[i + 1]);
		else
			goto usage;
	}
	buf_init(&G.log, 4 << 20);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	    NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_END);
	if (d == NULL ||
	    (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) ==
	        NULL) {
		fprintf(stderr, "fakepartner: cannot listen\n");
		return 1;
	}
	if ((f = fopen(argv[1], "w")) == NULL) {
		fprintf(
		    stderr, "fakepartner: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	(void)sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
