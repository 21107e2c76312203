/*
 * flood: the attacks of issue 9, items 4 and 5, for tests/e2e/flood.sh
 * and tests/e2e/memory.sh.  Each mode prints one line of figures on
 * stdout; the scripts judge them.
 *
 *   flood attack PORT SECONDS [--from A.B.C.D] [--addrs N]
 *         [--slow-head K] [--slow-body K] [--bodies K] [--node ID]
 *       From N source addresses (A, A+1, ...; default 127.0.0.2 and 64:
 *       Linux routes all of 127.0.0.0/8 to lo), each holding K connections
 *       of each kind, reopened as soon as the server closes one:
 *       slow-head sends a request line then one header byte a second and
 *       never ends its headers; slow-body sends a push's headers (node ID,
 *       a huge sequence, a well-formed but wrong signature) with
 *       Content-Length 1 MiB, then one body byte a second; bodies sends
 *       such 1 MiB pushes as fast as the server takes them, half of them
 *       as node ID and half as a node that does not exist.
 *       Prints: connects, closed by the server, answers, 1 MiB bodies
 *       sent whole.
 *   flood probe PORT SECONDS [--every-ms N]
 *       GET /v1/health every N ms (default 200) on a new connection, with
 *       a 5 s limit; prints: probes, answered, max latency ms, how many
 *       took over 1 s, failures.
 *   flood items PORT TOKEN N
 *       Enrol, then N signed pushes at once of 1 MiB of one-byte CBOR
 *       items; prints each HTTP status and error code.
 *   flood serve PORT-FILE BYTES
 *       A hostile server: answers every request with 200 and BYTES of
 *       CBOR (an array of one-byte items), until killed.
 *
 * It never reads or writes patient data; the bodies are zeros.
 */
#define LOG_MODULE "flood"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "tools/node.h"

#define FL_MIB (1024 * 1024)
#define FL_TICK_MS 20

enum fl_kind { FL_SLOW_HEAD, FL_SLOW_BODY, FL_BODIES, FL_KINDS };

enum fl_state { FL_IDLE, FL_CONNECTING, FL_OPEN };

struct fl_conn {
	int fd;
	enum fl_kind kind;
	enum fl_state state;
	struct in_addr from;
	uint64_t node; /* the node the headers claim */
	size_t hdr_len, hdr_off; /* of fl_hdr */
	size_t body_off; /* body bytes sent */
	uint64_t next_ms; /* next trickle, or next reconnect */
	char hdr[512];
};

struct fl_stats {
	unsigned long connects, closed, answers, whole;
};

static uint8_t fl_zeros[64 * 1024];

static int
fl_usage(void)
{
	fprintf(stderr,
	    "usage: flood attack PORT SECONDS [--from A] [--addrs N] "
	    "[--slow-head K] [--slow-body K] [--bodies K] [--node ID]\n"
	    "       flood probe PORT SECONDS [--every-ms N]\n"
	    "       flood items PORT TOKEN N\n"
	    "       flood serve PORT-FILE BYTES\n");
	return 2;
}

static void
fl_headers(struct fl_conn *c, unsigned long long seq)
{
	int n;

	if (c->kind == FL_SLOW_HEAD)
		n = snprintf(c->hdr, sizeof(c->hdr),
		    "POST %s HTTP/1.1\r\nHost: x\r\nX-Slow: ", PROTO_PATH_PUSH);
	else
		n = snprintf(c->hdr, sizeof(c->hdr),
		    "POST %s HTTP/1.1\r\nHost: x\r\n"
		    "Content-Type: application/cbor\r\n"
		    "Content-Length: %d\r\nX-Outpost-Node: %" PRIu64 "\r\n"
		    "X-Outpost-Seq: %llu\r\nX-Outpost-HLC: 1\r\n"
		    "X-Outpost-Sig: %0128d\r\n\r\n",
		    PROTO_PATH_PUSH, FL_MIB, c->node, seq, 0);
	c->hdr_len = (size_t)n;
	c->hdr_off = 0;
	c->body_off = 0;
}

static void
fl_close(struct fl_conn *c, uint64_t now)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = FL_IDLE;
	c->next_ms = now + 50; /* reconnect soon */
}

static void
fl_connect(struct fl_conn *c, unsigned port, struct fl_stats *st,
    unsigned long long *seq, uint64_t now)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = c->from;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd != -1)
			close(fd);
		c->next_ms = now + 200;
		return;
	}
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		c->next_ms = now + 200;
		return;
	}
	c->fd = fd;
	c->state = FL_CONNECTING;
	st->connects++;
	fl_headers(c, ++*seq);
}

/* Send what C's kind sends now. */
static void
fl_send(struct fl_conn *c, struct fl_stats *st, uint64_t now)
{
	size_t n, want;
	ssize_t w;

	if (c->hdr_off < c->hdr_len) {
		w = send(c->fd, c->hdr + c->hdr_off, c->hdr_len - c->hdr_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			c->hdr_off += (size_t)w;
		c->next_ms = now + 1000;
		return;
	}
	if (c->kind != FL_BODIES) {
		if (now < c->next_ms || c->body_off >= FL_MIB)
			return;
		/* one byte a second: a header byte or a body byte */
		if (send(c->fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			c->body_off++;
		c->next_ms = now + 1000;
		return;
	}
	while (c->body_off < FL_MIB) {
		want = FL_MIB - c->body_off;
		n = want < sizeof(fl_zeros) ? want : sizeof(fl_zeros);
		w = send(c->fd, fl_zeros, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w <= 0)
			return;
		c->body_off += (size_t)w;
		if (c->body_off == FL_MIB)
			st->whole++;
	}
}

static int
fl_attack(int argc, char **argv)
{
	unsigned port, seconds, addrs = 64, k[FL_KINDS] = { 4, 4, 1 };
	uint64_t node = 1, now, end;
	unsigned long long seq = 1ULL << 40;
	struct in_addr from;
	struct fl_conn *conns;
	struct pollfd *pfd;
	struct fl_stats st;
	char junk[4096];
	size_t n = 0, i, np;
	unsigned a, j;
	int kind, idx;
	ssize_t r;

	if (argc < 4)
		return fl_usage();
	port = (unsigned)strtoul(argv[2], NULL, 10);
	seconds = (unsigned)strtoul(argv[3], NULL, 10);
	inet_pton(AF_INET, "127.0.0.2", &from);
	for (idx = 4; idx + 1 < argc; idx += 2) {
		const char *o = argv[idx], *v = argv[idx + 1];

		if (strcmp(o, "--from") == 0) {
			if (inet_pton(AF_INET, v, &from) != 1)
				return fl_usage();
		} else if (strcmp(o, "--addrs") == 0)
			addrs = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--slow-head") == 0)
			k[FL_SLOW_HEAD] = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--slow-body") == 0)
			k[FL_SLOW_BODY] = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--bodies") == 0)
			k[FL_BODIES] = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--node") == 0)
			node = strtoull(v, NULL, 10);
		else
			return fl_usage();
	}
	if (idx != argc || port == 0 || addrs == 0)
		return fl_usage();
	conns =
	    xcalloc((size_t)addrs * (k[0] + k[1] + k[2]) + 1, sizeof(*conns));
	for (a = 0; a < addrs; a++)
		for (kind = 0; kind < FL_KINDS; kind++)
			for (j = 0; j < k[kind]; j++) {
				struct fl_conn *c = &conns[n++];

				c->fd = -1;
				c->kind = (enum fl_kind)kind;
				c->from.s_addr = htonl(ntohl(from.s_addr) + a);
				c->node =
				    kind == FL_BODIES && j % 2 ? 999999 : node;
			}
	pfd = xcalloc(n + 1, sizeof(*pfd));
	memset(&st, 0, sizeof(st));
	end = clock_mono_ms() + (uint64_t)seconds * 1000;
	while ((now = clock_mono_ms()) < end) {
		np = 0;
		for (i = 0; i < n; i++) {
			struct fl_conn *c = &conns[i];

			if (c->state == FL_IDLE && now >= c->next_ms)
				fl_connect(c, port, &st, &seq, now);
			if (c->fd == -1)
				continue;
			pfd[np].fd = c->fd;
			pfd[np].events = POLLIN;
			if (c->state == FL_CONNECTING ||
			    (c->kind == FL_BODIES && c->body_off < FL_MIB))
				pfd[np].events |= POLLOUT;
			pfd[np].revents = 0;
			np++;
		}
		poll(pfd, np, FL_TICK_MS);
		now = clock_mono_ms();
		for (i = 0, j = 0; i < n; i++) {
			struct fl_conn *c = &conns[i];
			short ev;

			if (c->fd == -1 || j >= np || pfd[j].fd != c->fd)
				continue;
			ev = pfd[j++].revents;
			if (ev & (POLLIN | POLLHUP | POLLERR)) {
				r = recv(
				    c->fd, junk, sizeof(junk), MSG_DONTWAIT);
				if (r > 0) {
					/* an answer: this request is over */
					st.answers++;
					fl_close(c, now);
					continue;
				}
				if (r == 0 ||
				    (errno != EAGAIN && errno != EWOULDBLOCK)) {
					if (c->state == FL_OPEN)
						st.closed++;
					fl_close(c, now);
					continue;
				}
			}
			if (c->state == FL_CONNECTING && (ev & POLLOUT))
				c->state = FL_OPEN;
			if (c->state == FL_OPEN)
				fl_send(c, &st, now);
		}
	}
	printf("connects %lu closed %lu answers %lu whole %lu\n", st.connects,
	    st.closed, st.answers, st.whole);
	for (i = 0; i < n; i++)
		if (conns[i].fd != -1)
			close(conns[i].fd);
	free(conns);
	free(pfd);
	return 0;
}

/* One GET /v1/health on a new connection: its latency in ms, or -1. */
static long
fl_health(unsigned port)
{
	static const char req[] =
	    "GET " PROTO_PATH_HEALTH " HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct sockaddr_in sa;
	struct pollfd p;
	uint64_t t0 = clock_mono_ms(), left;
	char buf[2048];
	size_t got = 0;
	ssize_t r;
	int fd, ok = 0, err;
	socklen_t el = sizeof(err);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS)
		goto out;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, 5000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
		goto out;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(req) - 1)
		goto out;
	for (;;) {
		left = clock_mono_ms() - t0;
		if (left >= 5000)
			goto out;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(5000 - left)) != 1)
			goto out;
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
out:
	close(fd);
	return ok ? (long)(clock_mono_ms() - t0) : -1;
}

static int
fl_probe(int argc, char **argv)
{
	unsigned port, seconds, every = 200;
	unsigned long probes = 0, ok = 0, slow = 0;
	uint64_t end, next;
	long ms, max = 0;

	if (argc != 4 && !(argc == 6 && strcmp(argv[4], "--every-ms") == 0))
		return fl_usage();
	port = (unsigned)strtoul(argv[2], NULL, 10);
	seconds = (unsigned)strtoul(argv[3], NULL, 10);
	if (argc == 6)
		every = (unsigned)strtoul(argv[5], NULL, 10);
	if (port == 0 || every == 0)
		return fl_usage();
	next = clock_mono_ms();
	end = next + (uint64_t)seconds * 1000;
	while (clock_mono_ms() < end) {
		probes++;
		ms = fl_health(port);
		if (ms >= 0) {
			ok++;
			if (ms > max)
				max = ms;
			if (ms > 1000)
				slow++;
		} else
			max = 5000;
		next += every;
		while (clock_mono_ms() < next)
			usleep(10000);
	}
	printf("probes %lu answered %lu max_ms %ld over_1s %lu failed %lu\n",
	    probes, ok, max, slow, probes - ok);
	return 0;
}

struct fl_item_push {
	unsigned port;
	struct tnode n;
	const uint8_t *body;
	size_t len;
	struct tresp r;
	int err;
};

static void *
fl_item_thread(void *arg)
{
	struct fl_item_push *p = arg;

	p->err = node_post(p->port, &p->n, PROTO_PATH_PUSH,
	    HLC_MAKE(hlc_wall_ms(), 0), p->body, p->len, &p->r);
	return NULL;
}

static int
fl_items(int argc, char **argv)
{
	struct fl_item_push *p;
	pthread_t *th;
	struct tnode n;
	uint8_t *body;
	size_t len = FL_MIB, items, i;
	unsigned port, count;
	uint64_t code;

	if (argc != 5)
		return fl_usage();
	port = (unsigned)strtoul(argv[2], NULL, 10);
	count = (unsigned)strtoul(argv[4], NULL, 10);
	if (port == 0 || count == 0 || count > 64)
		return fl_usage();
	memset(&n, 0, sizeof(n));
	if (node_enroll(port, argv[3], "flood", &n) != 0) {
		fprintf(stderr, "flood: cannot enrol\n");
		return 1;
	}
	/* {1: 1, 2: 1, 3: [0, 0, ...]}: a push whose change list is a
	 * million one-byte items (a uint64 count, then zeros). */
	body = xcalloc(1, len);
	items = len - 16;
	memcpy(body, "\xa3\x01\x01\x02\x01\x03\x9b", 7);
	for (i = 0; i < 8; i++)
		body[7 + i] = (uint8_t)(items >> (56 - 8 * i));
	len = 15 + items;
	p = xcalloc(count, sizeof(*p));
	th = xcalloc(count, sizeof(*th));
	for (i = 0; i < count; i++) {
		p[i].port = port;
		p[i].n = n;
		p[i].n.seq = i * 10;
		p[i].body = body;
		p[i].len = len;
		if (pthread_create(&th[i], NULL, fl_item_thread, &p[i]) != 0)
			abort();
	}
	for (i = 0; i < count; i++) {
		pthread_join(th[i], NULL);
		code = p[i].err == 0 ? tresp_code(&p[i].r, NULL) : 0;
		printf("%u %" PRIu64 "%s", p[i].err ? 0 : p[i].r.status, code,
		    i + 1 < count ? " " : "\n");
		tresp_clear(&p[i].r);
	}
	free(p);
	free(th);
	free(body);
	return 0;
}

static int
fl_serve(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char head[256], line[16], req[8192];
	uint8_t *body;
	size_t size, got, i;
	ssize_t r;
	int lfd, fd, hl;

	if (argc != 4 || (size = strtoul(argv[3], NULL, 10)) < 16)
		return fl_usage();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0)
		return 1;
	snprintf(line, sizeof(line), "%u\n", ntohs(sa.sin_port));
	if (fileio_write_atomic(argv[2], line, strlen(line), 0644) != 0)
		return 1;
	/* [0, 0, ...]: an array of SIZE - 9 one-byte items */
	body = xcalloc(1, size);
	body[0] = 0x9b;
	for (i = 0; i < 8; i++)
		body[1 + i] = (uint8_t)((size - 9) >> (56 - 8 * i));
	hl = snprintf(head, sizeof(head),
	    "HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    size);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		/* read the request's headers and whatever body came with
		 * them, then answer */
		got = 0;
		while (got < sizeof(req) - 1 &&
		    (r = recv(fd, req + got, sizeof(req) - 1 - got, 0)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		usleep(100000);
		if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl) {
			for (i = 0; i < size; i += (size_t)r)
				if ((r = send(fd, body + i, size - i,
				         MSG_NOSIGNAL)) <= 0)
					break;
		}
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return fl_usage();
	if (strcmp(argv[1], "attack") == 0)
		return fl_attack(argc, argv);
	if (strcmp(argv[1], "probe") == 0)
		return fl_probe(argc, argv);
	if (strcmp(argv[1], "items") == 0)
		return fl_items(argc, argv);
	if (strcmp(argv[1], "serve") == 0)
		return fl_serve(argc, argv);
	return fl_usage();
}
