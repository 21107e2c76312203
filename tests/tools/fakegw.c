/*
 * fakegw: a MOCK of an HTTP SMS gateway (Africa's Talking's messaging
 * API, research emergency.md §4.1) on loopback, for the server's gateway
 * adapter (sync-server/gateway.c).  It stands in for a real gateway, which
 * cannot be reached from here; it sends no SMS.
 *
 *   fakegw PORT-FILE CALLBACK SECRET [--refuse N]
 *
 * POST /version1/messaging (form: username, to, message, from; apiKey
 * header) answers as the real one does, with a new messageId ATXid_N, and
 * a moment later posts delivery reports for it to CALLBACK/v1/gateway/dlr
 * ?secret=SECRET: out of order and duplicated on purpose ("Sent" after
 * "Success", "Success" twice; every third message "Failed" before its
 * "Success").  --refuse N: the first N sends get statusCode 500.
 *
 * Control (for tests):
 *   POST /control/inbound  form from, text, id: posted twice to
 *                          CALLBACK/v1/gateway/inbound?secret=SECRET
 *   GET  /control/sent     one line per accepted send: "ID TO MESSAGE"
 *   GET  /control/reports  how many reports were posted, answered 200
 *
 * Runs until killed.
 */
#define LOG_MODULE "fakegw"

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

#include <curl/curl.h>
#include <microhttpd.h>

#include "buf.h"
#include "xmalloc.h"

#define FG_MAX 4096
#define FG_QUEUE 1024

struct post {
	char path[32];
	char body[512];
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char callback[256], secret[128];
	int refuse, nsent, reports, ok_reports;
	struct buf sent; /* the /control/sent lines */
	struct post q[FG_QUEUE];
	int qhead, qtail;
} G;

struct conn {
	struct buf body;
};

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* KEY's value in a form body, decoded; "" when absent. */
static void
form(const char *b, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key), o = 0;
	const char *p = b;

	out[0] = '\0';
	while (*p) {
		const char *end = p + strcspn(p, "&");

		if ((size_t)(end - p) > kl && p[kl] == '=' &&
		    strncmp(p, key, kl) == 0) {
			for (p += kl + 1; p < end && o + 1 < size; p++) {
				int c = *p;

				if (c == '+')
					c = ' ';
				else if (c == '%' && p + 2 < end + 1 &&
				    hexv(p[1]) >= 0 && hexv(p[2]) >= 0) {
					c = hexv(p[1]) * 16 + hexv(p[2]);
					p += 2;
				}
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return;
		}
		p = *end ? end + 1 : end;
	}
}

static void
enqueue(const char *path, const char *body)
{
	pthread_mutex_lock(&G.mu);
	if ((G.qtail + 1) % FG_QUEUE != G.qhead) {
		snprintf(G.q[G.qtail].path, sizeof(G.q[0].path), "%s", path);
		snprintf(G.q[G.qtail].body, sizeof(G.q[0].body), "%s", body);
		G.qtail = (G.qtail + 1) % FG_QUEUE;
		pthread_cond_signal(&G.cv);
	}
	pthread_mutex_unlock(&G.mu);
}

static size_t
sink(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

/* Posts the queued callbacks, in order, each a moment after the last. */
static void *
poster(void *arg)
{
	struct post p;
	char url[512];
	long status;
	CURL *c;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&G.mu);
		while (G.qhead == G.qtail)
			pthread_cond_wait(&G.cv, &G.mu);
		p = G.q[G.qhead];
		G.qhead = (G.qhead + 1) % FG_QUEUE;
		pthread_mutex_unlock(&G.mu);
		usleep(20000);
		snprintf(url, sizeof(url), "%s%s?secret=%s", G.callback, p.path,
		    G.secret);
		if ((c = curl_easy_init()) == NULL)
			continue;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, p.body);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		pthread_mutex_lock(&G.mu);
		G.reports++;
		G.ok_reports += status == 200;
		pthread_mutex_unlock(&G.mu);
		curl_easy_cleanup(c);
	}
	return NULL;
}

static enum MHD_Result
reply(struct MHD_Connection *mc, unsigned status, const char *type,
    const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
messaging(struct MHD_Connection *mc, const char *body)
{
	char to[32], msg[400], id[32], ans[512], dlr[128];
	const char *key =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "apiKey");
	int n;

	form(body, "to", to, sizeof(to));
	form(body, "message", msg, sizeof(msg));
	if (key == NULL || to[0] == '\0' || msg[0] == '\0')
		return reply(mc, 401, "application/json",
		    "{\"SMSMessageData\":{\"Message\":\"InvalidRequest\","
		    "\"Recipients\":[]}}");
	pthread_mutex_lock(&G.mu);
	if (G.refuse > 0) {
		G.refuse--;
		pthread_mutex_unlock(&G.mu);
		return reply(mc, 200, "application/json",
		    "{\"SMSMessageData\":{\"Message\":\"Sent to 0/1\","
		    "\"Recipients\":[{\"statusCode\":500,\"status\":"
		    "\"InternalServerError\"}]}}");
	}
	n = ++G.nsent;
	snprintf(id, sizeof(id), "ATXid_%d", n);
	buf_printf(&G.sent, "%s %s %s\n", id, to, msg);
	pthread_mutex_unlock(&G.mu);
	snprintf(ans, sizeof(ans),
	    "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1 Total Cost: KES "
	    "0.8000\",\"Recipients\":[{\"statusCode\":101,\"number\":\"%s\","
	    "\"status\":\"Success\",\"cost\":\"KES 0.8000\",\"messageId\":"
	    "\"%s\"}]}}",
	    to, id);
	/* delivery reports: out of order and duplicated on purpose */
	if (n % 3 == 0) {
		snprintf(dlr, sizeof(dlr),
		    "id=%s&status=Failed&phoneNumber=%%2B1&failureReason="
		    "DeliveryFailure",
		    id);
		enqueue("/v1/gateway/dlr", dlr);
	}
	snprintf(
	    dlr, sizeof(dlr), "id=%s&status=Success&phoneNumber=%%2B1", id);
	enqueue("/v1/gateway/dlr", dlr);
	enqueue("/v1/gateway/dlr", dlr);
	snprintf(dlr, sizeof(dlr), "id=%s&status=Sent&phoneNumber=%%2B1", id);
	enqueue("/v1/gateway/dlr", dlr);
	return reply(mc, 201, "application/json", ans);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct conn *c = *con_cls;
	char out[64], *b;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		buf_init(&c->body, FG_MAX);
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		buf_append(&c->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	buf_append_byte(&c->body, 0);
	b = (char *)c->body.data;
	if (strcmp(method, "POST") == 0 &&
	    strcmp(url, "/version1/messaging") == 0)
		ret = messaging(mc, b);
	else if (strcmp(method, "POST") == 0 &&
	    strcmp(url, "/control/inbound") == 0) {
		enqueue("/v1/gateway/inbound", b); /* twice: a duplicate */
		enqueue("/v1/gateway/inbound", b);
		ret = reply(mc, 200, "text/plain", "queued\n");
	} else if (strcmp(url, "/control/sent") == 0) {
		pthread_mutex_lock(&G.mu);
		buf_append_byte(&G.sent, 0);
		ret = reply(mc, 200, "text/plain", (char *)G.sent.data);
		G.sent.len--;
		pthread_mutex_unlock(&G.mu);
	} else if (strcmp(url, "/control/reports") == 0) {
		pthread_mutex_lock(&G.mu);
		snprintf(out, sizeof(out), "%d %d %d\n", G.reports,
		    G.ok_reports, (G.qtail - G.qhead + FG_QUEUE) % FG_QUEUE);
		pthread_mutex_unlock(&G.mu);
		ret = reply(mc, 200, "text/plain", out);
	} else
		ret = reply(mc, 404, "text/plain", "no such route\n");
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
	pthread_t t;
	sigset_t set;
	FILE *f;
	int sig;

	if (argc != 4 && !(argc == 6 && strcmp(argv[4], "--refuse") == 0)) {
		fprintf(stderr,
		    "usage: fakegw PORT-FILE CALLBACK SECRET [--refuse N]\n");
		return 2;
	}
	pthread_mutex_init(&G.mu, NULL);
	pthread_cond_init(&G.cv, NULL);
	snprintf(G.callback, sizeof(G.callback), "%s", argv[2]);
	snprintf(G.secret, sizeof(G.secret), "%s", argv[3]);
	G.refuse = argc == 6 ? (int)strtol(argv[5], NULL, 10) : 0;
	buf_init(&G.sent, 16 << 20);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, poster, NULL) != 0)
		return 1;
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
		fprintf(stderr, "fakegw: cannot listen\n");
		return 1;
	}
	if ((f = fopen(argv[1], "w")) == NULL) {
		fprintf(stderr, "fakegw: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	(void)sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
