/*
 * faultproxy: a fault-injecting TCP proxy for tests, standing in for
 * `tc netem` (not available here) and toxiproxy.  Each accepted
 * connection is relayed to the target by its own thread, packet by packet
 * (reads of at most 1,460 bytes), with:
 *
 *   --rate BPS         bandwidth per direction in bits/s (0: unlimited)
 *   --latency MS       one-way delay added to every packet
 *   --stall-prob P     probability (0..1) that a packet stalls the direction
 *   --stall-ms MS      ... for this long (everything behind it waits)
 *   --cut-after N      after N bytes client->server (--cut-dir down:
 *                      server->client; any: both together) close both sides
 *   --cut-conns K      apply the cut to the first K connections (default 1;
 *                      0: every connection)
 *   --reset            cut with a TCP RST (SO_LINGER 0) instead of a FIN
 *   --seed S           random seed; every run with the same seed and the
 *                      same traffic makes the same decisions
 *   --listen ADDR:PORT (port 0: any; the port goes to --port-file F)
 *   --target ADDR:PORT
 *
 * The proxy stops reading a source while 64 KiB wait for it to be sent,
 * as a TCP window would.  It does not drop or reorder bytes: TCP hides
 * loss from applications as delay, which --stall-* models.  It logs one
 * line per connection and per fault to stderr, never payload.
 */
#define LOG_MODULE "faultproxy"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "net.h"
#include "str.h"
#include "xmalloc.h"

#define FP_PKT 1460
#define FP_WINDOW (64 * 1024)

struct fp_opts {
	struct sockaddr_in listen, target;
	uint64_t rate; /* bits/s */
	uint64_t latency_us;
	double stall_prob;
	uint64_t stall_us;
	uint64_t cut_after;
	int cut_set, cut_dir; /* 0 up, 1 down, 2 any */
	unsigned cut_conns;
	int reset;
	uint64_t seed;
	const char *port_file;
};

struct fp_pkt {
	struct fp_pkt *next;
	uint64_t due_us;
	size_t len, off;
	uint8_t data[FP_PKT];
};

struct fp_dir {
	int from, to;
	struct fp_pkt *head, *tail;
	size_t queued;
	uint64_t wire_free_us;
	uint64_t forwarded;
	int eof; /* source closed */
	int done; /* EOF passed on */
};

struct fp_conn {
	int client, server;
	unsigned index;
	uint64_t rng;
	int cut;
};

static struct fp_opts opts;

/* splitmix64: small, seedable, good enough for fault decisions. */
static uint64_t
fp_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
fp_rand01(uint64_t *s)
{
	return (double)(fp_rand(s) >> 11) / (double)(1ULL << 53);
}

static void
fp_hard_close(int fd)
{
	struct linger lg = { 1, 0 };

	if (opts.reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Read one packet from D->from and queue it with its due time. */
static int
fp_read(struct fp_conn *c, struct fp_dir *d)
{
	struct fp_pkt *p = xcalloc(1, sizeof(*p));
	uint64_t now = clock_mono_us(), ser = 0;
	ssize_t n;

	n = recv(d->from, p->data, sizeof(p->data), 0);
	if (n <= 0) {
		free(p);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		d->eof = 1;
		return 0;
	}
	p->len = (size_t)n;
	if (opts.rate > 0)
		ser = (uint64_t)n * 8 * 1000000 / opts.rate;
	if (d->wire_free_us < now)
		d->wire_free_us = now;
	if (opts.stall_prob > 0 && fp_rand01(&c->rng) < opts.stall_prob)
		d->wire_free_us += opts.stall_us;
	d->wire_free_us += ser;
	p->due_us = d->wire_free_us + opts.latency_us;
	if (d->tail)
		d->tail->next = p;
	else
		d->head = p;
	d->tail = p;
	d->queued += p->len;
	return 0;
}

/* Send what is due; returns 1 when the cut point was reached. */
static int
fp_write(struct fp_conn *c, struct fp_dir *d, struct fp_dir *other, int up)
{
	struct fp_pkt *p;
	uint64_t now = clock_mono_us(), limit, count;
	size_t len;
	ssize_t n;

	while ((p = d->head) != NULL && p->due_us <= now) {
		len = p->len - p->off;
		if (c->cut) {
			count = opts.cut_dir == 2
			    ? d->forwarded + other->forwarded
			    : d->forwarded;
			if ((opts.cut_dir == 0 && up) ||
			    (opts.cut_dir == 1 && !up) || opts.cut_dir == 2) {
				limit = opts.cut_after > count
				    ? opts.cut_after - count
				    : 0;
				if (limit == 0)
					return 1;
				if (len > limit)
					len = (size_t)limit;
			}
		}
		n = send(d->to, p->data + p->off, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			d->eof = 1; /* destination gone: stop this direction */
			d->done = 1;
			return 0;
		}
		p->off += (size_t)n;
		d->forwarded += (uint64_t)n;
		d->queued -= (size_t)n;
		if (p->off < p->len) {
			if (c->cut && (size_t)n == len)
				return 1;
			return 0;
		}
		d->head = p->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(p);
	}
	if (c->cut) {
		count = opts.cut_dir == 2 ? d->forwarded + other->forwarded
		                          : d->forwarded;
		if (((opts.cut_dir == 0 && up) || (opts.cut_dir == 1 && !up) ||
		        opts.cut_dir == 2) &&
		    count >= opts.cut_after)
			return 1;
	}
	if (d->head == NULL && d->eof && !d->done) {
		shutdown(d->to, SHUT_WR);
		d->done = 1;
	}
	return 0;
}

static void
fp_dir_free(struct fp_dir *d)
{
	struct fp_pkt *p, *next;

	for (p = d->head; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
}

static void *
fp_conn_run(void *arg)
{
	struct fp_conn *c = arg;
	struct fp_dir up, down;
	struct pollfd pfd[2];
	uint64_t now, next;
	int timeout, cut = 0;

	memset(&up, 0, sizeof(up));
	memset(&down, 0, sizeof(down));
	up.from = c->client;
	up.to = c->server;
	down.from = c->server;
	down.to = c->client;
	while (!(up.done && down.done)) {
		pfd[0].fd = c->client;
		pfd[0].events = !up.eof && up.queued < FP_WINDOW ? POLLIN : 0;
		pfd[1].fd = c->server;
		pfd[1].events =
		    !down.eof && down.queued < FP_WINDOW ? POLLIN : 0;
		now = clock_mono_us();
		next = UINT64_MAX;
		if (up.head && up.head->due_us < next)
			next = up.head->due_us;
		if (down.head && down.head->due_us < next)
			next = down.head->due_us;
		timeout = next == UINT64_MAX ? 1000
		    : next <= now            ? 0
		                             : (int)((next - now + 999) / 1000);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			fp_read(c, &up);
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			fp_read(c, &down);
		if (fp_write(c, &up, &down, 1) || fp_write(c, &down, &up, 0)) {
			cut = 1;
			break;
		}
	}
	if (cut) {
		fprintf(stderr,
		    "faultproxy: conn %u: cut after %llu bytes up, %llu down%s\n",
		    c->index, (unsigned long long)up.forwarded,
		    (unsigned long long)down.forwarded,
		    opts.reset ? " (reset)" : "");
		fp_hard_close(c->client);
		fp_hard_close(c->server);
	} else {
		close(c->client);
		close(c->server);
	}
	fp_dir_free(&up);
	fp_dir_free(&down);
	free(c);
	return NULL;
}

static int
fp_usage(void)
{
	fprintf(stderr,
	    "usage: faultproxy --listen ADDR:PORT --target ADDR:PORT "
	    "[--port-file F]\n"
	    "       [--rate BPS] [--latency MS] [--stall-prob P --stall-ms MS]\n"
	    "       [--cut-after N [--cut-dir up|down|any] [--cut-conns K] "
	    "[--reset]] [--seed S]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t salen;
	struct fp_conn *c;
	pthread_t t;
	long long v;
	unsigned index = 0;
	int i, lfd, cfd, sfd, one = 1, have_listen = 0, have_target = 0;

	opts.cut_conns = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i],
		           *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--reset") == 0) {
			opts.reset = 1;
			continue;
		}
		if (val == NULL)
			return fp_usage();
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (net_parse_addr(val, &opts.listen) != 0)
				return fp_usage();
			have_listen = 1;
		} else if (strcmp(a, "--target") == 0) {
			if (net_parse_addr(val, &opts.target) != 0)
				return fp_usage();
			have_target = 1;
		} else if (strcmp(a, "--port-file") == 0)
			opts.port_file = val;
		else if (strcmp(a, "--stall-prob") == 0) {
			if (str_to_double(val, &opts.stall_prob) != 0 ||
			    opts.stall_prob < 0 || opts.stall_prob > 1)
				return fp_usage();
		} else if (strcmp(a, "--cut-dir") == 0) {
			if (strcmp(val, "up") == 0)
				opts.cut_dir = 0;
			else if (strcmp(val, "down") == 0)
				opts.cut_dir = 1;
			else if (strcmp(val, "any") == 0)
				opts.cut_dir = 2;
			else
				return fp_usage();
		} else {
			if (str_to_ll(val, 0, INT64_MAX, &v) != 0)
				return fp_usage();
			if (strcmp(a, "--rate") == 0)
				opts.rate = (uint64_t)v;
			else if (strcmp(a, "--latency") == 0)
				opts.latency_us = (uint64_t)v * 1000;
			else if (strcmp(a, "--stall-ms") == 0)
				opts.stall_us = (uint64_t)v * 1000;
			else if (strcmp(a, "--cut-after") == 0) {
				opts.cut_after = (uint64_t)v;
				opts.cut_set = 1;
			} else if (strcmp(a, "--cut-conns") == 0)
				opts.cut_conns = (unsigned)v;
			else if (strcmp(a, "--seed") == 0)
				opts.seed = (uint64_t)v;
			else
				return fp_usage();
		}
	}
	if (!have_listen || !have_target)
		return fp_usage();
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&opts.listen, sizeof(opts.listen)) !=
	        0 ||
	    listen(lfd, 128) != 0) {
		perror("faultproxy: listen");
		return 1;
	}
	salen = sizeof(sa);
	getsockname(lfd, (struct sockaddr *)&sa, &salen);
	if (opts.port_file != NULL) {
		char line[16];
		int len;

		len = snprintf(line, sizeof(line), "%u\n", ntohs(sa.sin_port));
		if (fileio_write_atomic(
		        opts.port_file, line, (size_t)len, 0644) != 0)
			return 1;
	}
	for (;;) {
		if ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("faultproxy: accept");
			return 1;
		}
		sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (sfd == -1 ||
		    connect(sfd, (struct sockaddr *)&opts.target,
		        sizeof(opts.target)) != 0) {
			perror("faultproxy: connect to target");
			if (sfd != -1)
				close(sfd);
			fp_hard_close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->client = cfd;
		c->server = sfd;
		c->index = ++index;
		c->rng = opts.seed * 1000003ULL + c->index;
		c->cut = opts.cut_set &&
		    (opts.cut_conns == 0 || c->index <= opts.cut_conns);
		fprintf(stderr, "faultproxy: conn %u%s\n", c->index,
		    c->cut ? " (will cut)" : "");
		if (pthread_create(&t, NULL, fp_conn_run, c) != 0) {
			close(cfd);
			close(sfd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
