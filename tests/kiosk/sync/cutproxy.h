/*
 * An HTTP-aware cutting proxy on loopback for the sync tests (header-only,
 * static functions, like syncfix.h).  The kiosk's sync client has no
 * in-process fault hook and tests/tools/faultproxy counts the bytes of a
 * whole connection, so it cannot say "the pull answer at byte K": this one
 * reads each request (head and Content-Length body) and each answer whole,
 * and when armed for a path cuts the next answer to a POST of that path
 * after exactly K bytes (status line and headers included), closing both
 * sides (a FIN, or a RST when asked).  A thread per connection; bodies are
 * never logged.  The sync-server answers with Content-Length (libmicrohttpd
 * from a buffer), which is all this proxy understands.
 */
#ifndef TESTS_KIOSK_SYNC_CUTPROXY_H
#define TESTS_KIOSK_SYNC_CUTPROXY_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "xmalloc.h"

struct cutproxy {
	int lfd;
	unsigned port, target;
	pthread_t th;
	pthread_mutex_t mu;
	/* armed: cut the next answer to a POST of PATH after AT bytes, or
	 * when DEN > 0 after NUM / DEN of its length */
	char path[64];
	long at, num, den;
	int rst; /* cut with a RST rather than a FIN */
	long cut_at; /* where the latest cut fell */
	long cut_line; /* ... and the length of that answer's status line */
	long cut_min, cut_max; /* the shortest and longest answers cut */
	int cuts; /* answers actually cut (AT below their length) */
	int threads; /* connection threads still running */
};

#define CUTPROXY_PULL "/v1/pull"
#define CUTPROXY_PUSH "/v1/push"
#define CUTPROXY_MAX (2 * 1024 * 1024)

struct cutproxy_conn {
	struct cutproxy *p;
	int cfd, sfd;
};

/* Read from FD into B until B holds a head ("\r\n\r\n") and the body its
 * Content-Length announces; *HEAD and *TOTAL are the head's and the
 * message's lengths.  0, or EOF/error (-1). */
static int
cutproxy_read_msg(int fd, struct buf *b, size_t *head, size_t *total)
{
	char tmp[16384];
	const char *p, *e;
	ssize_t n;

	*head = 0;
	*total = 0;
	for (;;) {
		if (*head == 0 && b->len >= 4 &&
		    (e = memmem(b->data, b->len, "\r\n\r\n", 4)) != NULL) {
			long cl = 0;

			*head = (size_t)(e - (const char *)b->data) + 4;
			for (p = (const char *)b->data; p < e;) {
				const char *nl =
				    memmem(p, (size_t)(e - p), "\r\n", 2);

				if (nl == NULL)
					nl = e;
				if ((size_t)(nl - p) > 15 &&
				    strncasecmp(p, "Content-Length:", 15) == 0)
					cl = strtol(p + 15, NULL, 10);
				p = nl + 2;
			}
			if (cl < 0 || cl > CUTPROXY_MAX)
				return -1;
			*total = *head + (size_t)cl;
		}
		if (*head != 0 && b->len >= *total)
			return 0;
		if ((n = read(fd, tmp, sizeof(tmp))) <= 0)
			return -1;
		if (buf_append(b, tmp, (size_t)n) != 0)
			return -1;
	}
}

static int
cutproxy_write(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, c, len, MSG_NOSIGNAL)) <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
cutproxy_conn_main(void *arg)
{
	struct cutproxy_conn *c = arg;
	struct cutproxy *p = c->p;
	struct buf rq, rs;
	size_t head, total, rhead, rtotal, send_n;
	char path[64];
	int cut, rst = 0;

	buf_init(&rq, CUTPROXY_MAX);
	buf_init(&rs, CUTPROXY_MAX);
	for (;;) {
		if (cutproxy_read_msg(c->cfd, &rq, &head, &total) != 0)
			break;
		/* "POST /v1/pull HTTP/1.1" */
		path[0] = '\0';
		if (sscanf((const char *)rq.data, "%*s %63s", path) != 1)
			break;
		if (cutproxy_write(c->sfd, rq.data, total) != 0)
			break;
		buf_consume(&rq, total);
		if (cutproxy_read_msg(c->sfd, &rs, &rhead, &rtotal) != 0)
			break;
		send_n = rtotal;
		cut = 0;
		rst = 0;
		pthread_mutex_lock(&p->mu);
		if (p->at >= 0 && strcmp(path, p->path) == 0) {
			size_t at = p->den > 0
			    ? (size_t)(p->num * (long)rtotal / p->den)
			    : (size_t)p->at;

			if (at < rtotal) {
				send_n = at;
				cut = 1;
				rst = p->rst;
				p->cuts++;
				p->cut_at = (long)at;
				if (p->cut_min == 0 ||
				    (long)rtotal < p->cut_min)
					p->cut_min = (long)rtotal;
				if ((long)rtotal > p->cut_max)
					p->cut_max = (long)rtotal;
				p->cut_line = (const uint8_t *)memmem(
				                  rs.data, rhead, "\r\n", 2) -
				    rs.data + 2;
			}
			p->at = -1;
		}
		pthread_mutex_unlock(&p->mu);
		if (cutproxy_write(c->cfd, rs.data, send_n) != 0 || cut)
			break;
		buf_consume(&rs, rtotal);
	}
	if (rst) {
		struct linger l = { 1, 0 };

		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->cfd);
	close(c->sfd);
	buf_free(&rq);
	buf_free(&rs);
	pthread_mutex_lock(&p->mu);
	p->threads--;
	pthread_mutex_unlock(&p->mu);
	free(c);
	return NULL;
}

static void *
cutproxy_main(void *arg)
{
	struct cutproxy *p = arg;
	struct sockaddr_in sa;
	pthread_t th;
	int cfd, sfd;

	for (;;) {
		if ((cfd = accept(p->lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* the listening socket was shut down */
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)p->target);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((sfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(sfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			if (sfd >= 0)
				close(sfd);
			close(cfd);
			continue;
		}
		{
			struct cutproxy_conn *c = xcalloc(1, sizeof(*c));

			c->p = p;
			c->cfd = cfd;
			c->sfd = sfd;
			pthread_mutex_lock(&p->mu);
			p->threads++;
			pthread_mutex_unlock(&p->mu);
			if (pthread_create(&th, NULL, cutproxy_conn_main, c) !=
			    0) {
				pthread_mutex_lock(&p->mu);
				p->threads--;
				pthread_mutex_unlock(&p->mu);
				close(cfd);
				close(sfd);
				free(c);
				continue;
			}
			pthread_detach(th);
		}
	}
	return NULL;
}

/* Listen on a free loopback port (P->port) relaying to TARGET. */
static int
cutproxy_start(struct cutproxy *p, unsigned target)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(p, 0, sizeof(*p));
	p->at = -1;
	p->target = target;
	pthread_mutex_init(&p->mu, NULL);
	if ((p->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return errno;
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(p->lfd, 16) != 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &sl) != 0)
		return errno;
	p->port = ntohs(sa.sin_port);
	return pthread_create(&p->th, NULL, cutproxy_main, p);
}

/* Cut the next answer to a POST of PATH after NUM / DEN of its length
 * (DEN 0: after NUM bytes; at or past the answer's length: no cut), with
 * a reset when RST. */
static void
cutproxy_arm(struct cutproxy *p, const char *path, long num, long den, int rst)
{
	pthread_mutex_lock(&p->mu);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->at = num;
	p->num = num;
	p->den = den;
	p->rst = rst;
	pthread_mutex_unlock(&p->mu);
}

/* Disarm; returns 1 when the armed cut struck since the arming (which
 * the caller counts in *CUTS_BEFORE), with its byte offset in *AT and
 * the length of the answer's status line in *LINE (libcurl asks again
 * on a fresh connection when a reused one ends before a whole line). */
static int
cutproxy_disarm(struct cutproxy *p, int *cuts_before, long *at, long *line)
{
	int struck;

	pthread_mutex_lock(&p->mu);
	p->at = -1;
	struck = p->cuts > *cuts_before;
	*cuts_before = p->cuts;
	*at = p->cut_at;
	*line = p->cut_line;
	pthread_mutex_unlock(&p->mu);
	return struck;
}

/* Stop accepting and wait (up to 5 s) for the connections' threads. */
static void
cutproxy_stop(struct cutproxy *p)
{
	int n = 1;

	if (p->lfd <= 0)
		return;
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(p->th, NULL);
	close(p->lfd);
	p->lfd = -1;
	for (int i = 0; i < 500 && n > 0; i++) {
		pthread_mutex_lock(&p->mu);
		n = p->threads;
		pthread_mutex_unlock(&p->mu);
		if (n > 0)
			usleep(10000);
	}
}

#endif
