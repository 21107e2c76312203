/*
 * HTTP on libmicrohttpd: a thread pool with epoll, an idle timeout, TLS
 * when a certificate is configured, and the connection guard (guard.c:
 * header and request deadlines, a minimum body rate, caps on connections
 * not yet authenticated, a budget for unverified bodies).  A signed
 * route's identity and freshness headers are checked (auth_precheck)
 * before any of its body is read.  Each request body is read into a
 * buffer bounded by its route's maximum; an announced or actual body over
 * it is refused with too_large before the handler runs.  A body sent with Content-Encoding: deflate is inflated
 * into a buffer with the same bound (so a small bomb cannot grow past the
 * route's limit); answers over 1 KiB are deflated for clients that accept
 * it.  Signatures cover bodies before compression (docs/PROTOCOL.md §1).
 * Signed routes are checked by auth.c first, and their responses signed.
 * This file knows no endpoint; routes.c lists them.
 */
#define LOG_MODULE "httpd"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "str.h"
#include "xmalloc.h"

struct hreq {
	const struct route *route;
	struct buf body;
	struct buf plain; /* the body inflated, when it came deflated */
	int too_large;
};

static char *httpd_tls_cert, *httpd_tls_key;

/* After a request whose buffers reached this size, trim the heap. */
#define HTTPD_TRIM_BODY (256 * 1024)

/*
 * Refused requests (not authenticated, or malformed before anyone is) are
 * logged once per client address per interval: the first refusal with the
 * address and why, the ones after it only counted, and the count logged
 * when the interval is over (at the next refusal from anyone, or at stop).
 * The table is small and fixed; when every slot is busy, the addresses
 * that find none share the last one.  So a flood writes a bounded number
 * of lines, each naming its client.
 */
#define HTTPD_REFUSE_SLOTS 32
#define HTTPD_REFUSE_MS 10000

struct httpd_refusal {
	char addr[INET6_ADDRSTRLEN]; /* "" when free */
	uint64_t since_ms; /* the interval's start (monotonic) */
	unsigned long count; /* refusals not logged since */
	enum wire_err err; /* the last of them */
};

static struct httpd_refusal httpd_refusals[HTTPD_REFUSE_SLOTS + 1];
static pthread_mutex_t httpd_refuse_mu = PTHREAD_MUTEX_INITIALIZER;

/* Why a request was refused, in a log line's words. */
static const char *
httpd_why(enum wire_err err)
{
	switch (err) {
	case WERR_BAD_REQUEST:
		return "bad request";
	case WERR_TOO_LARGE:
		return "too large";
	case WERR_BAD_SIGNATURE:
		return "bad signature";
	case WERR_UNKNOWN_NODE:
		return "unknown node";
	case WERR_REVOKED:
		return "revoked node";
	case WERR_STALE_REQUEST:
		return "stale request";
	case WERR_NOT_FOUND:
		return "no such route";
	case WERR_METHOD:
		return "method not allowed";
	case WERR_BAD_TOKEN:
		return "bad token";
	case WERR_INTERNAL:
		return "server error";
	case WERR_UNAVAILABLE:
		return "server busy";
	default:
		return "refused";
	}
}

/* Log the count a slot holds and free it.  Called with the mutex held. */
static void
httpd_refusal_flush(struct httpd_refusal *r, uint64_t now)
{
	if (r->addr[0] != '\0' && r->count > 0)
		log_info("%s: %lu refused requests in the last %" PRIu64
		         " s (%s)",
		    r->addr, r->count, (now - r->since_ms + 999) / 1000,
		    httpd_why(r->err));
	r->addr[0] = '\0';
	r->count = 0;
}

static void
httpd_client(struct MHD_Connection *conn, char out[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	str_lcpy(out, "unknown address", INET6_ADDRSTRLEN);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, INET6_ADDRSTRLEN);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    INET6_ADDRSTRLEN);
}

/* Log, or count, the refusal of REQ. */
static void
httpd_refused(struct MHD_Connection *conn, const struct request *req)
{
	const struct route *route = route_find(req->path);
	struct httpd_refusal *r, *mine = NULL, *free_slot = NULL;
	char addr[INET6_ADDRSTRLEN], node[32];
	uint64_t now = clock_mono_ms();
	size_t i;

	httpd_client(conn, addr);
	pthread_mutex_lock(&httpd_refuse_mu);
	for (i = 0; i <= HTTPD_REFUSE_SLOTS; i++) {
		r = &httpd_refusals[i];
		if (r->addr[0] != '\0' && now - r->since_ms >= HTTPD_REFUSE_MS)
			httpd_refusal_flush(r, now);
		if (i == HTTPD_REFUSE_SLOTS)
			break;
		if (r->addr[0] == '\0') {
			if (free_slot == NULL)
				free_slot = r;
		} else if (strcmp(r->addr, addr) == 0)
			mine = r;
	}
	if (mine == NULL && free_slot == NULL) {
		/* Every slot busy: the others share the last one. */
		mine = &httpd_refusals[HTTPD_REFUSE_SLOTS];
		if (mine->addr[0] == '\0') {
			free_slot = mine;
			mine = NULL;
		}
	}
	if (mine != NULL) {
		mine->count++;
		mine->err = req->err;
	} else {
		str_lcpy(free_slot->addr,
		    free_slot == &httpd_refusals[HTTPD_REFUSE_SLOTS]
		        ? "other addresses"
		        : addr,
		    sizeof(free_slot->addr));
		free_slot->since_ms = now;
		free_slot->count = 0;
		node[0] = '\0';
		if (req->node.id != 0)
			snprintf(node, sizeof(node), ", node %" PRIu64,
			    req->node.id);
		/* The method and path only when they are a route's: the
		 * client's own could hold anything. */
		if (route != NULL && strcmp(route->method, req->method) == 0)
			log_info("%s: %s %s refused (%s%s)", addr,
			    route->method, route->path, httpd_why(req->err),
			    node);
		else
			log_info("%s: request refused (%s%s)", addr,
			    httpd_why(req->err), node);
	}
	pthread_mutex_unlock(&httpd_refuse_mu);
}

/* TLS 1.3 (all forward-secret) and TLS 1.2 with ECDHE key exchange and
 * AEAD ciphers only: no static RSA, no finite-field DHE, no CBC. */
#define HTTPD_TLS_PRIORITIES                                                   \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"                          \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"                                     \
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"            \
	"-MAC-ALL:+AEAD"

/* Inflate IN into OUT (bounded by OUT's max).  0, EMSGSIZE or EBADMSG. */
static int
httpd_inflate(const uint8_t *in, size_t len, struct buf *out)
{
	z_stream z;
	uint8_t chunk[16384];
	int rc, err = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			err = EBADMSG;
			break;
		}
		if ((err = buf_append(
		         out, chunk, sizeof(chunk) - z.avail_out)) != 0)
			break;
	} while (rc != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
	if (err == 0 && (rc != Z_STREAM_END || z.avail_in != 0))
		err = EBADMSG;
	inflateEnd(&z);
	return err;
}

/* Replace the response with its deflated form when that is smaller. */
static int
httpd_deflate(struct request *req)
{
	uLongf n = compressBound((uLong)req->resp_len);
	uint8_t *z;

	if (req->resp_len < 1024)
		return 0;
	z = xmalloc(n);
	if (compress2(z, &n, req->resp, (uLong)req->resp_len, 6) != Z_OK ||
	    n + 64 >= req->resp_len) {
		free(z);
		return 0;
	}
	free(req->resp);
	req->resp = z;
	req->resp_len = n;
	return 1;
}

/* Send REQ's answer; REFUSED: a refusal of an unauthenticated request,
 * logged through httpd_refused. */
static enum MHD_Result
httpd_send(struct MHD_Connection *conn, struct request *req,
    const struct route *route, int refused)
{
	struct MHD_Response *rsp;
	enum MHD_Result r;
	const char *ae;
	char sig[129];
	int deflated = 0;

	if (req->resp == NULL) {
		req->resp = xmalloc(1);
		req->resp_len = 0;
	}
	sig[0] = '\0';
	if (route != NULL && (route->flags & ROUTE_SIGNED) && req->seq != 0)
		auth_sign_response(req->srv, req, sig);
	ae = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (ae != NULL && strstr(ae, "deflate") != NULL)
		deflated = httpd_deflate(req);
	rsp = MHD_create_response_from_buffer(
	    req->resp_len, req->resp, MHD_RESPMEM_MUST_FREE);
	if (rsp == NULL) {
		free(req->resp);
		req->resp = NULL;
		return MHD_NO;
	}
	MHD_add_response_header(
	    rsp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/cbor");
	if (deflated)
		MHD_add_response_header(
		    rsp, MHD_HTTP_HEADER_CONTENT_ENCODING, "deflate");
	if (sig[0] != '\0')
		MHD_add_response_header(rsp, "X-Outpost-Sig", sig);
	r = MHD_queue_response(conn, req->status, rsp);
	MHD_destroy_response(rsp);
	req->resp = NULL; /* now owned by the response */
	if (refused)
		httpd_refused(conn, req);
	else if (req->status != 200)
		log_info("%s %s node %" PRIu64 ": %u", req->method, req->path,
		    req->node.id, req->status);
	return r;
}

static enum MHD_Result
httpd_early(struct MHD_Connection *conn, struct server *srv, const char *method,
    const char *url, enum wire_err code, const char *msg)
{
	struct request req;
	enum MHD_Result r;

	memset(&req, 0, sizeof(req));
	req.srv = srv;
	req.method = method;
	req.path = url;
	req_error(&req, code, msg, -1);
	r = httpd_send(conn, &req, NULL, 1);
	return r;
}

/* Content-Length values of a request: a second one that differs from
 * the first makes the framing ambiguous (RFC 9112 §6.3). */
struct httpd_clen {
	const char *first;
	int conflict;
};

static enum MHD_Result
httpd_clen_each(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct httpd_clen *c = cls;

	(void)kind;
	if (key == NULL || strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	if (c->first == NULL)
		c->first = value != NULL ? value : "";
	else if (value == NULL || strcmp(c->first, value) != 0)
		c->conflict = 1;
	return MHD_YES;
}

/* The X-Outpost-Node, -Seq, -HLC and -Sig values (NULL when absent). */
static void
httpd_auth_headers(struct MHD_Connection *conn, const char *v[4])
{
	static const char *const names[4] = { "X-Outpost-Node", "X-Outpost-Seq",
		"X-Outpost-HLC", "X-Outpost-Sig" };
	int i;

	for (i = 0; i < 4; i++)
		v[i] = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, names[i]);
}

/*
 * A signed route's headers, before its body: an unknown or revoked node,
 * or a used sequence, is refused now, so that it never uploads a body
 * (libmicrohttpd closes the connection after the answer instead of
 * reading it).  Returns 0 to go on, or 1 with *OUT the answer's result.
 */
static int
httpd_precheck(struct MHD_Connection *conn, struct server *srv,
    const struct route *route, const char *method, const char *url,
    enum MHD_Result *out)
{
	struct request req;
	const char *v[4];

	memset(&req, 0, sizeof(req));
	req.srv = srv;
	req.method = method;
	req.path = url;
	httpd_auth_headers(conn, v);
	if (auth_precheck(&req, v[0], v[1], v[2], v[3]) == 0)
		return 0;
	*out = httpd_send(conn, &req, route, 1);
	return 1;
}

static enum MHD_Result
httpd_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct hreq *h = *con_cls;
	const struct route *route;
	struct request req;
	struct httpd_clen clens = { NULL, 0 };
	const char *cl, *ce;
	const char *v[4];
	long long clen = 0;
	enum MHD_Result r;
	int err;

	(void)version;
	if (h == NULL) {
		route = route_find(url);
		if (route == NULL)
			return httpd_early(conn, srv, method, url,
			    WERR_NOT_FOUND, "no such route");
		if (strcmp(route->method, method) != 0)
			return httpd_early(conn, srv, method, url, WERR_METHOD,
			    "method not allowed");
		MHD_get_connection_values(
		    conn, MHD_HEADER_KIND, httpd_clen_each, &clens);
		if (clens.conflict)
			return httpd_early(conn, srv, method, url,
			    WERR_BAD_REQUEST, "conflicting Content-Length");
		cl = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL &&
		    (str_to_ll(cl, 0, INT64_MAX, &clen) != 0 ||
		        (unsigned long long)clen > route->max_body))
			return httpd_early(conn, srv, method, url,
			    WERR_TOO_LARGE, "body too large");
		/* The budget first: it costs no store read.  No length
		 * (chunked): as much as the route allows. */
		if (guard_headers(
		        conn, cl != NULL ? (size_t)clen : route->max_body) != 0)
			return httpd_early(conn, srv, method, url,
			    WERR_UNAVAILABLE, "server busy: retry later");
		if ((route->flags & ROUTE_SIGNED) &&
		    httpd_precheck(conn, srv, route, method, url, &r))
			return r;
		h = xcalloc(1, sizeof(*h));
		h->route = route;
		buf_init(&h->body, route->max_body);
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		guard_body(conn, *upload_data_size);
		if (!h->too_large &&
		    buf_append(&h->body, upload_data, *upload_data_size) != 0)
			h->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	guard_busy(conn);
	memset(&req, 0, sizeof(req));
	req.srv = srv;
	req.method = method;
	req.path = url;
	req.body = h->body.data ? h->body.data : (const uint8_t *)"";
	req.len = h->body.len;
	req.secret =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "secret");
	if (h->too_large) {
		req_error(&req, WERR_TOO_LARGE, "body too large", -1);
		return httpd_send(conn, &req, NULL, 1);
	}
	ce = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (ce != NULL && strcmp(ce, "identity") != 0) {
		buf_init(&h->plain, h->route->max_body);
		err = strcmp(ce, "deflate") == 0
		    ? httpd_inflate(req.body, req.len, &h->plain)
		    : EBADMSG;
		if (err != 0) {
			req_error(&req,
			    err == EMSGSIZE ? WERR_TOO_LARGE : WERR_BAD_REQUEST,
			    err == EMSGSIZE ? "body too large"
			                    : "bad content encoding",
			    -1);
			return httpd_send(conn, &req, NULL, 1);
		}
		req.body = h->plain.data ? h->plain.data : (const uint8_t *)"";
		req.len = h->plain.len;
	}
	if (h->route->flags & ROUTE_SIGNED) {
		httpd_auth_headers(conn, v);
		err = auth_check(&req, !(h->route->flags & ROUTE_SEQ_IN_STORE),
		    v[0], v[1], v[2], v[3]);
		if (err != 0)
			return httpd_send(conn, &req, h->route, 1);
		/* The signature verified: this connection is a node's. */
		guard_proven(conn);
	}
	if ((err = h->route->handler(&req)) != 0 || req.status == 0) {
		log_warnx("%s %s: %s", method, url, strerror(err ? err : EIO));
		req_error(&req, WERR_INTERNAL, "internal error", -1);
	}
	/* An unsigned route's refusal (a bad enrolment token) came from
	 * nobody known either. */
	return httpd_send(conn, &req, h->route,
	    !(h->route->flags & ROUTE_SIGNED) && req.status != 200 &&
	        req.err != WERR_INTERNAL);
}

static void
httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct hreq *h = *con_cls;

	size_t big;

	(void)cls;
	(void)toe;
	guard_done(conn);
	if (h == NULL)
		return;
	big = h->body.cap + h->plain.cap;
	buf_free(&h->body);
	buf_free(&h->plain);
	free(h);
	*con_cls = NULL;
	/* Give back what a large request made the heap grow by (decoding
	 * it, not only its buffers), so that it does not stay resident. */
	if (big >= HTTPD_TRIM_BODY)
		malloc_trim(0);
}

static void
httpd_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		guard_open(conn, socket_context);
	else
		guard_close(socket_context);
}

static int
httpd_read_file(const char *path, char **out)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd, err = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	buf_init(&b, 1024 * 1024);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((err = buf_append(&b, chunk, (size_t)n)) != 0)
			break;
	if (n < 0)
		err = errno;
	close(fd);
	explicit_bzero(chunk, sizeof(chunk));
	if (err != 0) {
		buf_free(&b);
		return err;
	}
	*out = buf_take_str(&b);
	return 0;
}

/* Room for N connections' descriptors, as far as the hard limit goes. */
static void
httpd_nofile(unsigned n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= (rlim_t)n + 64)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n + 64
	    ? (rlim_t)n + 64
	    : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < n + 64)
		log_warnx("only %lu descriptors for %u connections",
		    (unsigned long)rl.rlim_cur, n);
}

int
httpd_start(struct server *srv, const struct server_config *cfg)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	unsigned flags, hard;
	int err;

	if ((err = net_parse_addr(cfg->listen, &sa)) != 0) {
		log_warnx("bad --listen address (want ADDR:PORT)");
		return err;
	}
	/*
	 * libmicrohttpd's own limit is above the guard's: a connection the
	 * guard cut stays open until libmicrohttpd's next poll, and a full
	 * libmicrohttpd stops accepting, /v1/health included.  There is no
	 * per-address limit here: the guard's counts only connections not yet
	 * authenticated, so that one address cannot lock out a NAT.
	 */
	hard = cfg->max_conns + cfg->max_conns / 4 + 64;
	httpd_nofile(hard);
	struct MHD_OptionItem common[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &sa },
		{ MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)hard, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s,
		    NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)httpd_completed, srv },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)httpd_notify, srv },
		{ MHD_OPTION_END, 0, NULL },
	};
	/* Buffers of 128 KiB and up are mmap'd and given back when freed:
	 * glibc's moving threshold would otherwise keep a flood's 1 MiB
	 * bodies in the heap, resident (issue 9, item 5). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if ((err = guard_start(cfg)) != 0) {
		log_warnx(
		    "cannot start the connection guard: %s", strerror(err));
		return err;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	if (cfg->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_warnx("libmicrohttpd was built without TLS");
			return ENOTSUP;
		}
		if ((err = httpd_read_file(cfg->tls_cert, &httpd_tls_cert)) ||
		    (err = httpd_read_file(cfg->tls_key, &httpd_tls_key))) {
			log_warnx("cannot read TLS certificate or key: %s",
			    strerror(err));
			return err;
		}
		flags |= MHD_USE_TLS;
		srv->httpd =
		    MHD_start_daemon(flags, 0, NULL, NULL, httpd_access, srv,
		        MHD_OPTION_ARRAY, common, MHD_OPTION_HTTPS_MEM_CERT,
		        httpd_tls_cert, MHD_OPTION_HTTPS_MEM_KEY, httpd_tls_key,
		        MHD_OPTION_HTTPS_PRIORITIES, HTTPD_TLS_PRIORITIES,
		        MHD_OPTION_END);
	} else
		srv->httpd =
		    MHD_start_daemon(flags, 0, NULL, NULL, httpd_access, srv,
		        MHD_OPTION_ARRAY, common, MHD_OPTION_END);
	if (srv->httpd == NULL) {
		guard_stop();
		log_warnx("cannot start the HTTP daemon on %s", cfg->listen);
		return EADDRINUSE;
	}
	info = MHD_get_daemon_info(srv->httpd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ntohs(sa.sin_port);
	return 0;
}

void
httpd_stop(struct server *srv)
{
	uint64_t now = clock_mono_ms();
	size_t i;

	if (srv->httpd != NULL)
		MHD_stop_daemon(srv->httpd);
	srv->httpd = NULL;
	guard_stop();
	pthread_mutex_lock(&httpd_refuse_mu);
	for (i = 0; i <= HTTPD_REFUSE_SLOTS; i++)
		httpd_refusal_flush(&httpd_refusals[i], now);
	pthread_mutex_unlock(&httpd_refuse_mu);
	if (httpd_tls_key != NULL)
		xfree_secret_str(httpd_tls_key);
	free(httpd_tls_cert);
	httpd_tls_key = httpd_tls_cert = NULL;
}
