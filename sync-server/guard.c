/*
 * The connection guard (issue 9, items 4 and 5): what keeps a few
 * addresses trickling bytes, or flooding bodies, from taking the server
 * offline or its memory.  It follows every connection libmicrohttpd
 * accepts (NOTIFY_CONNECTION) through its phases and:
 *
 *  - cuts a connection whose headers take longer than the header timeout
 *    (from the connect, or from the end of the previous request), whose
 *    body arrives slower than the minimum rate after a grace period, or
 *    whose body is not complete by the request deadline.  Cutting is
 *    shutdown(2) on the socket from the reaper thread: libmicrohttpd sees
 *    the end of the stream on its next poll and closes the connection
 *    itself (the descriptor stays valid until its CLOSED notification,
 *    which takes the same mutex, so a cut never hits a reused one);
 *  - counts, per client address, the connections older than a second
 *    that have not yet carried a request whose signature verified
 *    ("stale").  A new connection is always let in; when its address
 *    holds the per-address cap of stale ones, the worst of them is cut
 *    (the oldest still waiting for its headers, else the slowest body),
 *    and when the server holds its total, the worst one of the address
 *    that holds the most.  So a slow client cannot lock
 *    out the kiosks behind the same NAT address, nor /v1/health: their
 *    requests are through before their connection is a second old, and
 *    an authenticated kiosk's connection is never the one cut;
 *  - bounds the bodies buffered before their signature is checked: up to
 *    GUARD_FREE_BODY bytes per connection are always allowed (bounded by
 *    the connection cap), larger ones are reserved, by their announced
 *    length, from a shared budget, and refused as unavailable when it is
 *    spent.
 *
 * It does not parse HTTP, nor know routes: httpd.c tells it when a
 * request's headers are in, when body bytes arrive, when the handler runs,
 * when a signature verified and when the request is over.
 */
#define LOG_MODULE "guard"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

/* A body up to this size needs no reservation. */
#define GUARD_FREE_BODY (64 * 1024)
/* A body is held to the minimum rate after this long. */
#define GUARD_GRACE_MS 5000
/* A connection this young is not counted against its address, nor cut
 * for a newcomer: a kiosk's request is through well before. */
#define GUARD_FRESH_MS 1000
#define GUARD_TICK_MS 200
/* Defaults of the options (a server_config field left 0). */
#define GUARD_HEADER_S 10
#define GUARD_REQUEST_S 120
#define GUARD_MIN_RATE 1024
#define GUARD_BODY_MIB 64
#define GUARD_LOG_MS 10000

enum guard_phase {
	GUARD_HEAD, /* waiting for (the rest of) a request's headers */
	GUARD_BODY, /* headers in, body arriving */
	GUARD_BUSY, /* body complete: handler running, answer going out */
	GUARD_CUT, /* shut down, waiting for libmicrohttpd to close it */
};

struct guard_addr;

struct guard_conn {
	struct guard_conn *prev, *next; /* every connection */
	struct guard_conn *aprev, *anext; /* its address's */
	struct guard_addr *a;
	int fd;
	enum guard_phase phase;
	int proven; /* a request on it had a valid signature */
	uint64_t opened_ms; /* accepted */
	uint64_t since_ms; /* start of the phase */
	uint64_t body_bytes;
	size_t reserved; /* budget bytes held for the body */
};

/* A client address with connections open (the server listens on IPv4
 * only). */
struct guard_addr {
	struct guard_addr *prev, *next; /* every address */
	struct guard_addr *hnext; /* hash chain */
	struct in_addr addr;
	unsigned conns, pending;
	struct guard_conn *list;
};

#define GUARD_HASH 4096

enum { CUT_HEAD, CUT_BODY, CUT_DEADLINE, CUT_EVICT, CUT_BUSY, CUT_N };

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t reaper;
	int running, stop;
	struct guard_conn *head;
	struct guard_addr *addrs, *hash[GUARD_HASH];
	unsigned live, ncut; /* connections open; of them, cut */
	size_t reserved;
	/* limits */
	uint64_t header_ms, idle_ms, request_ms;
	uint64_t min_rate; /* bytes/s */
	unsigned max_conns, per_ip;
	size_t budget;
	/* figures since the last log line */
	unsigned long cuts[CUT_N];
	uint64_t log_ms;
} guard = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static const char *const guard_cut_words[CUT_N] = {
	[CUT_HEAD] = "slow headers",
	[CUT_BODY] = "slow bodies",
	[CUT_DEADLINE] = "request deadline",
	[CUT_EVICT] = "evicted for a newer connection",
	[CUT_BUSY] = "body budget spent",
};

/* With the mutex held. */
static void
guard_cut(struct guard_conn *c, int why)
{
	if (c->phase == GUARD_CUT)
		return;
	shutdown(c->fd, SHUT_RDWR);
	if (!c->proven)
		c->a->pending--;
	c->phase = GUARD_CUT;
	guard.ncut++;
	guard.reserved -= c->reserved;
	c->reserved = 0;
	guard.cuts[why]++;
}

static int
guard_pending(const struct guard_conn *c)
{
	return c->phase != GUARD_CUT && !c->proven;
}

/* Pending, and no longer fresh. */
static int
guard_stale(const struct guard_conn *c, uint64_t now)
{
	return guard_pending(c) && now - c->opened_ms >= GUARD_FRESH_MS;
}

/*
 * The worst pending connection of address A other than SELF, AGE ms
 * old or more: the oldest one still in its headers, else the one whose body comes
 * slowest.  A connection whose handler runs is never chosen.
 */
static struct guard_conn *
guard_worst(const struct guard_addr *a, const struct guard_conn *self,
    uint64_t now, uint64_t age)
{
	struct guard_conn *c, *head = NULL, *body = NULL;
	double rate, body_rate = 0;

	for (c = a->list; c != NULL; c = c->anext) {
		if (c == self || !guard_pending(c) || now - c->opened_ms < age)
			continue;
		if (c->phase == GUARD_HEAD) {
			if (head == NULL || c->since_ms < head->since_ms)
				head = c;
		} else if (c->phase == GUARD_BODY) {
			rate = (double)c->body_bytes /
			    (double)(now - c->since_ms + 1);
			if (body == NULL || rate < body_rate) {
				body = c;
				body_rate = rate;
			}
		}
	}
	return head != NULL ? head : body;
}

/* The address holding the most pending connections. */
static struct guard_addr *
guard_heaviest(void)
{
	struct guard_addr *a, *best = NULL;

	for (a = guard.addrs; a != NULL; a = a->next)
		if (best == NULL || a->pending > best->pending)
			best = a;
	return best;
}

static unsigned
guard_hash(struct in_addr addr)
{
	return (addr.s_addr * 2654435761u) >> 20 & (GUARD_HASH - 1);
}

/* ADDR's entry, made when new; with the mutex held. */
static struct guard_addr *
guard_addr_get(struct in_addr addr)
{
	unsigned h = guard_hash(addr);
	struct guard_addr *a;

	for (a = guard.hash[h]; a != NULL; a = a->hnext)
		if (a->addr.s_addr == addr.s_addr)
			return a;
	a = xcalloc(1, sizeof(*a));
	a->addr = addr;
	a->hnext = guard.hash[h];
	guard.hash[h] = a;
	a->next = guard.addrs;
	if (guard.addrs != NULL)
		guard.addrs->prev = a;
	guard.addrs = a;
	return a;
}

static void
guard_addr_put(struct guard_addr *a)
{
	struct guard_addr **pp;

	if (--a->conns > 0)
		return;
	for (pp = &guard.hash[guard_hash(a->addr)]; *pp != a;
	     pp = &(*pp)->hnext)
		;
	*pp = a->hnext;
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		guard.addrs = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	free(a);
}

void
guard_open(struct MHD_Connection *mc, void **ctx)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	struct guard_conn *c, *o, *victim;
	struct guard_addr *a, *heavy;
	struct in_addr addr = { 0 };
	unsigned stale = 0;
	uint64_t now = clock_mono_ms();

	c = xcalloc(1, sizeof(*c));
	c->fd = -1;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		c->fd = ci->connect_fd;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && (sa = ci->client_addr) != NULL &&
	    sa->sa_family == AF_INET)
		addr = ((const struct sockaddr_in *)sa)->sin_addr;
	c->phase = GUARD_HEAD;
	c->opened_ms = c->since_ms = now;
	*ctx = c;
	pthread_mutex_lock(&guard.mu);
	c->a = a = guard_addr_get(addr);
	for (o = a->list; o != NULL; o = o->anext)
		if (guard_stale(o, now))
			stale++;
	a->conns++;
	a->pending++;
	c->anext = a->list;
	if (a->list != NULL)
		a->list->aprev = c;
	a->list = c;
	c->next = guard.head;
	if (guard.head != NULL)
		guard.head->prev = c;
	guard.head = c;
	guard.live++;
	if (!guard.running || c->fd == -1) {
		pthread_mutex_unlock(&guard.mu);
		return;
	}
	/*
	 * The newcomer is let in.  When its address holds the cap of stale
	 * connections, the worst of them goes; when the server is full, the
	 * worst of the address that holds the most (stale ones first), so
	 * that a client with one connection, /v1/health's or a kiosk's,
	 * always gets in.  With nothing to cut, the newcomer goes.
	 */
	if (stale >= guard.per_ip &&
	    (victim = guard_worst(a, c, now, GUARD_FRESH_MS)) != NULL)
		guard_cut(victim, CUT_EVICT);
	if (guard.live - guard.ncut > guard.max_conns) {
		heavy = guard_heaviest();
		if ((victim = guard_worst(heavy, c, now, GUARD_FRESH_MS)) ==
		        NULL &&
		    (victim = guard_worst(heavy, c, now, 0)) == NULL)
			victim = c;
		guard_cut(victim, CUT_EVICT);
	}
	pthread_mutex_unlock(&guard.mu);
}

void
guard_close(void **ctx)
{
	struct guard_conn *c = *ctx;

	if (c == NULL)
		return;
	pthread_mutex_lock(&guard.mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		guard.head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->aprev != NULL)
		c->aprev->anext = c->anext;
	else
		c->a->list = c->anext;
	if (c->anext != NULL)
		c->anext->aprev = c->aprev;
	guard.live--;
	if (c->phase == GUARD_CUT)
		guard.ncut--;
	else if (!c->proven)
		c->a->pending--;
	guard_addr_put(c->a);
	guard.reserved -= c->reserved;
	pthread_mutex_unlock(&guard.mu);
	free(c);
	*ctx = NULL;
}

static struct guard_conn *
guard_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

int
guard_headers(struct MHD_Connection *mc, size_t body_len)
{
	struct guard_conn *c = guard_of(mc);
	int err = 0;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&guard.mu);
	if (c->phase != GUARD_CUT) {
		c->phase = GUARD_BODY;
		c->since_ms = clock_mono_ms();
		c->body_bytes = 0;
		if (body_len > GUARD_FREE_BODY && !c->proven) {
			if (guard.reserved + body_len > guard.budget) {
				guard.cuts[CUT_BUSY]++;
				err = EBUSY;
			} else {
				c->reserved = body_len;
				guard.reserved += body_len;
			}
		}
	}
	pthread_mutex_unlock(&guard.mu);
	return err;
}

void
guard_body(struct MHD_Connection *mc, size_t n)
{
	struct guard_conn *c = guard_of(mc);

	if (c == NULL)
		return;
	pthread_mutex_lock(&guard.mu);
	c->body_bytes += n;
	pthread_mutex_unlock(&guard.mu);
}

void
guard_busy(struct MHD_Connection *mc)
{
	struct guard_conn *c = guard_of(mc);

	if (c == NULL)
		return;
	pthread_mutex_lock(&guard.mu);
	if (c->phase != GUARD_CUT)
		c->phase = GUARD_BUSY;
	pthread_mutex_unlock(&guard.mu);
}

void
guard_proven(struct MHD_Connection *mc)
{
	struct guard_conn *c = guard_of(mc);

	if (c == NULL)
		return;
	pthread_mutex_lock(&guard.mu);
	if (c->phase != GUARD_CUT && !c->proven)
		c->a->pending--;
	c->proven = 1;
	pthread_mutex_unlock(&guard.mu);
}

void
guard_done(struct MHD_Connection *mc)
{
	struct guard_conn *c = guard_of(mc);

	if (c == NULL)
		return;
	pthread_mutex_lock(&guard.mu);
	if (c->phase != GUARD_CUT) {
		c->phase = GUARD_HEAD;
		c->since_ms = clock_mono_ms();
	}
	guard.reserved -= c->reserved;
	c->reserved = 0;
	pthread_mutex_unlock(&guard.mu);
}

/* Log what was cut since the last line, at most every GUARD_LOG_MS
 * unless FORCE; with the mutex held. */
static void
guard_log(uint64_t now, int force)
{
	unsigned long total = 0;
	int i;

	if (!force && now - guard.log_ms < GUARD_LOG_MS)
		return;
	for (i = 0; i < CUT_N; i++)
		total += guard.cuts[i];
	if (total > 0)
		log_info(
		    "cut %lu connections in %" PRIu64
		    " s: %lu %s, %lu %s, %lu %s, %lu %s, %lu refused (%s); "
		    "%u open",
		    total, (now - guard.log_ms + 999) / 1000,
		    guard.cuts[CUT_HEAD], guard_cut_words[CUT_HEAD],
		    guard.cuts[CUT_BODY], guard_cut_words[CUT_BODY],
		    guard.cuts[CUT_DEADLINE], guard_cut_words[CUT_DEADLINE],
		    guard.cuts[CUT_EVICT], guard_cut_words[CUT_EVICT],
		    guard.cuts[CUT_BUSY], guard_cut_words[CUT_BUSY],
		    guard.live);
	memset(guard.cuts, 0, sizeof(guard.cuts));
	guard.log_ms = now;
}

/* One pass over the connections; with the mutex held. */
static void
guard_sweep(uint64_t now)
{
	struct guard_conn *c;
	uint64_t el, limit;

	for (c = guard.head; c != NULL; c = c->next) {
		el = now - c->since_ms;
		switch (c->phase) {
		case GUARD_HEAD:
			limit = c->proven ? guard.idle_ms : guard.header_ms;
			if (el > limit)
				guard_cut(c, CUT_HEAD);
			break;
		case GUARD_BODY:
			if (el > guard.request_ms)
				guard_cut(c, CUT_DEADLINE);
			else if (el > GUARD_GRACE_MS &&
			    c->body_bytes * 1000 <
			        guard.min_rate * (el - GUARD_GRACE_MS))
				guard_cut(c, CUT_BODY);
			break;
		default:
			break;
		}
	}
	guard_log(now, 0);
}

static void *
guard_reaper(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&guard.mu);
	while (!guard.stop) {
		guard_sweep(clock_mono_ms());
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += GUARD_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&guard.cv, &guard.mu, &ts);
	}
	pthread_mutex_unlock(&guard.mu);
	return NULL;
}

int
guard_start(const struct server_config *cfg)
{
	int err;

	pthread_mutex_lock(&guard.mu);
#define OR(v, d) ((v) != 0 ? (v) : (d))
	guard.header_ms =
	    (uint64_t)OR(cfg->header_timeout_s, GUARD_HEADER_S) * 1000;
	guard.idle_ms = (uint64_t)OR(cfg->timeout_s, 20) * 1000;
	guard.request_ms =
	    (uint64_t)OR(cfg->request_timeout_s, GUARD_REQUEST_S) * 1000;
	guard.min_rate = OR(cfg->min_rate, GUARD_MIN_RATE);
	guard.max_conns = OR(cfg->max_conns, 1024);
	guard.per_ip = OR(cfg->max_per_ip, 32);
	guard.budget =
	    (size_t)OR(cfg->body_memory_mib, GUARD_BODY_MIB) * 1024 * 1024;
#undef OR
	guard.stop = 0;
	guard.log_ms = clock_mono_ms();
	memset(guard.cuts, 0, sizeof(guard.cuts));
	pthread_mutex_unlock(&guard.mu);
	if ((err = pthread_create(&guard.reaper, NULL, guard_reaper, NULL)) !=
	    0)
		return err;
	pthread_mutex_lock(&guard.mu);
	guard.running = 1;
	pthread_mutex_unlock(&guard.mu);
	return 0;
}

void
guard_stop(void)
{
	pthread_mutex_lock(&guard.mu);
	if (!guard.running) {
		pthread_mutex_unlock(&guard.mu);
		return;
	}
	guard.stop = 1;
	guard.running = 0;
	pthread_cond_signal(&guard.cv);
	guard_log(clock_mono_ms(), 1);
	pthread_mutex_unlock(&guard.mu);
	pthread_join(guard.reaper, NULL);
}
