/*
 * Claim submission (sync-server/claim_submit.c; issue 15) against a fake
 * payer on loopback.  The payer is a MOCK: no payer system can run here
 * (openIMIS needs its whole stack and a scheme's data), so this program
 * serves the two calls the adapter makes, with libmicrohttpd, the way an
 * openIMIS-style FHIR endpoint answers them: POST /Claim creates a claim
 * keyed by its identifier (409 when it has it), GET
 * /Claim?identifier=X answers its ClaimResponse (404 unknown).  Its
 * MODE: accept (201, outcome complete), error (500, nothing kept),
 * reject (422), timeout (keeps the claim, answers after the client gave
 * up: the answer is lost).
 *
 *   outcomes   accepted; rejected; a 500 left queued then accepted on
 *              the next run; a lost answer (timeout) queued, then the
 *              re-send answered "duplicate" and the status asked for;
 *              a claim the payer already had (409): asked for, accepted;
 *              a server killed after sending (claim left "submitted"):
 *              asked for first, no POST.  The payer created each business
 *              id exactly once, and saw no second claim.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>
#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "sync-server/claim_build.h"
#include "sync-server/claim_submit.h"
#include "sync-server/store/backend.h"
#include "test.h"
#include "xmalloc.h"

/* --- the fake payer ------------------------------------------------------ */

#define PAYER_MAX 32

static struct {
	pthread_mutex_t mu;
	char mode[16];
	char ids[PAYER_MAX][64];
	int created[PAYER_MAX]; /* creations per id: must stay 1 */
	size_t n;
	unsigned posts, gets;
} payer = { .mu = PTHREAD_MUTEX_INITIALIZER };

struct conn {
	char *body;
	size_t len;
};

static int
payer_find(const char *id)
{
	size_t i;

	for (i = 0; i < payer.n; i++)
		if (strcmp(payer.ids[i], id) == 0)
			return (int)i;
	return -1;
}

static enum MHD_Result
payer_reply(struct MHD_Connection *mc, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/fhir+json");
	ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char outcome_complete[] =
    "{\"resourceType\":\"ClaimResponse\",\"status\":\"active\","
    "\"outcome\":\"complete\"}";

static enum MHD_Result
payer_handle(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ctx)
{
	struct conn *c = *ctx;
	const char *id;
	json_t *j;
	int k;
	char mode[16];

	(void)cls;
	(void)version;
	if (c == NULL) {
		*ctx = xcalloc(1, sizeof(*c));
		return MHD_YES;
	}
	if (*size > 0) {
		c->body = xreallocarray(c->body, c->len + *size + 1, 1);
		memcpy(c->body + c->len, data, *size);
		c->len += *size;
		c->body[c->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/fhir/Claim") != 0)
		return payer_reply(mc, 404, "{}");
	pthread_mutex_lock(&payer.mu);
	snprintf(mode, sizeof(mode), "%s", payer.mode);
	if (strcmp(method, "GET") == 0) {
		payer.gets++;
		id = MHD_lookup_connection_value(
		    mc, MHD_GET_ARGUMENT_KIND, "identifier");
		k = id != NULL ? payer_find(id) : -1;
		pthread_mutex_unlock(&payer.mu);
		return k < 0 ? payer_reply(mc, 404, "{}")
		             : payer_reply(mc, 200, outcome_complete);
	}
	payer.posts++;
	j = json_loadb(c->body ? c->body : "", c->len, 0, NULL);
	id = json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "identifier"), 0), "value"));
	if (j == NULL || id == NULL ||
	    strcmp(json_string_value(json_object_get(j, "resourceType")),
	        "Claim") != 0) {
		pthread_mutex_unlock(&payer.mu);
		json_decref(j);
		return payer_reply(mc, 400, "{}");
	}
	if ((k = payer_find(id)) >= 0) {
		pthread_mutex_unlock(&payer.mu);
		json_decref(j);
		return payer_reply(mc, 409,
		    "{\"resourceType\":\"OperationOutcome\",\"issue\":"
		    "[{\"severity\":\"error\",\"code\":\"duplicate\"}]}");
	}
	if (strcmp(mode, "error") == 0 || strcmp(mode, "reject") == 0) {
		pthread_mutex_unlock(&payer.mu);
		json_decref(j);
		return payer_reply(mc, mode[0] == 'e' ? 500 : 422, "{}");
	}
	if (payer.n < PAYER_MAX) {
		snprintf(payer.ids[payer.n], sizeof(payer.ids[0]), "%s", id);
		payer.created[payer.n++]++;
	}
	pthread_mutex_unlock(&payer.mu);
	json_decref(j);
	if (strcmp(mode, "timeout") == 0)
		usleep(1500 * 1000); /* the client gave up after 500 ms */
	return payer_reply(mc, 201, outcome_complete);
}

static void
payer_done(void *cls, struct MHD_Connection *mc, void **ctx,
    enum MHD_RequestTerminationCode code)
{
	struct conn *c = *ctx;

	(void)cls;
	(void)mc;
	(void)code;
	if (c != NULL) {
		free(c->body);
		free(c);
	}
	*ctx = NULL;
}

/* --- the store --------------------------------------------------------- */

struct world {
	char dir[64];
	struct sstore *st;
	struct claim_ctx c;
	struct MHD_Daemon *d;
	unsigned port;
};

static int
world_open(struct world *w)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sa;
	struct claim_payer p;
	const char *cause;
	char text[160];
	int err;

	memset(w, 0, sizeof(*w));
	log_init(NULL, LOG_LEVEL_WARN);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
	    0, NULL, NULL, payer_handle, NULL, MHD_OPTION_NOTIFY_COMPLETED,
	    payer_done, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	if (w->d == NULL)
		return EIO;
	di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = di->port;
	snprintf(w->dir, sizeof(w->dir), "/tmp/outpost-submit.XXXXXX");
	if (mkdtemp(w->dir) == NULL)
		return errno;
	if ((err = store_sqlite_backend.open(w->dir, NULL, &w->st)) != 0)
		return err;
	w->c.be = &store_sqlite_backend;
	w->c.st = w->st;
	w->c.now_ms = clock_wall_ms();
	snprintf(text, sizeof(text),
	    "name=NHIF min=300 video=TV01:50000"
	    " endpoint=http://127.0.0.1:%u/fhir",
	    w->port);
	if ((err = claim_payer_parse("NHIF", text, &p, &cause)) != 0)
		return err;
	return claim_payer_put(&w->c, &p);
}

static void
world_close(struct world *w)
{
	char cmd[96];

	if (w->d != NULL)
		MHD_stop_daemon(w->d);
	if (w->st != NULL)
		store_sqlite_backend.close(w->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
	if (w->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", w->dir);
}

static int
mk_claim(struct world *w, uint8_t tag, const char *status, char bid[64])
{
	struct sclaim cl;
	int created = 0, err;

	memset(&cl, 0, sizeof(cl));
	memset(cl.subject, tag, 16);
	memset(cl.patient, 0x50, 16);
	snprintf(cl.payer, sizeof(cl.payer), "NHIF");
	claim_business_id(cl.subject, "NHIF", cl.business_id);
	snprintf(cl.member, sizeof(cl.member), "M-%u", tag);
	snprintf(cl.regno, sizeof(cl.regno), "REG-1");
	snprintf(cl.service, sizeof(cl.service), "TV01");
	snprintf(cl.mode, sizeof(cl.mode), "video");
	snprintf(cl.status, sizeof(cl.status), "%s", status);
	cl.price = 50000;
	cl.service_ms = cl.created_ms = cl.updated_ms = w->c.now_ms;
	if ((err = w->c.be->claim_put(w->st, &cl, &created)) != 0)
		return err;
	snprintf(bid, 64, "%s", cl.business_id);
	return created ? 0 : EEXIST;
}

struct one {
	const char *bid;
	char status[16];
};

static void
one_cb(const struct sclaim *c, void *arg)
{
	struct one *o = arg;

	if (strcmp(c->business_id, o->bid) == 0)
		snprintf(o->status, sizeof(o->status), "%s", c->status);
}

static const char *
status_of(struct world *w, const char *bid, struct one *o)
{
	struct sclaimq q = { 0 };

	o->bid = bid;
	o->status[0] = '\0';
	if (w->c.be->claims_list(w->st, &q, one_cb, o) != 0)
		return "";
	return o->status;
}

static void
payer_mode(const char *m)
{
	pthread_mutex_lock(&payer.mu);
	snprintf(payer.mode, sizeof(payer.mode), "%s", m);
	pthread_mutex_unlock(&payer.mu);
}

static int
test_outcomes(void)
{
	struct world w;
	struct claim_submit_stats st;
	struct one o;
	char a[64], b[64], e[64], t[64], d[64], k[64];
	size_t i;
	int err = 0;

	TEST_ERR(world_open(&w));
	/* accepted */
	payer_mode("accept");
	TEST_ERR(mk_claim(&w, 1, "ready", a));
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_EQ(st.sent, 1);
	TEST_STR(status_of(&w, a, &o), "accepted");
	/* rejected (422) */
	payer_mode("reject");
	TEST_ERR(mk_claim(&w, 2, "approved", b));
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_STR(status_of(&w, b, &o), "rejected");
	/* a payer error: queued, then accepted on the next run */
	payer_mode("error");
	TEST_ERR(mk_claim(&w, 3, "ready", e));
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_STR(status_of(&w, e, &o), "queued");
	TEST_EQ(st.queued, 1);
	payer_mode("accept");
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_STR(status_of(&w, e, &o), "accepted");
	/* the answer lost: the payer kept it, the client timed out */
	payer_mode("timeout");
	TEST_ERR(mk_claim(&w, 4, "ready", t));
	TEST_ERR(claim_submit(&w.c, 500, &st));
	TEST_STR(status_of(&w, t, &o), "queued");
	payer_mode("accept");
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_EQ(st.duplicates, 1); /* the re-send: "duplicate" */
	TEST_EQ(st.queried, 1); /* so its status was asked for */
	TEST_STR(status_of(&w, t, &o), "accepted");
	/* the payer had it already (an earlier run's POST) */
	TEST_ERR(mk_claim(&w, 5, "ready", d));
	pthread_mutex_lock(&payer.mu);
	snprintf(payer.ids[payer.n], sizeof(payer.ids[0]), "%s", d);
	payer.created[payer.n++]++;
	pthread_mutex_unlock(&payer.mu);
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_EQ(st.duplicates, 1);
	TEST_STR(status_of(&w, d, &o), "accepted");
	/* killed after sending: "submitted", the payer has it; asked for
	 * first, never posted again */
	TEST_ERR(mk_claim(&w, 6, "ready", k));
	TEST_ERR(w.c.be->claim_status(
	    w.st, k, "ready", "submitted", "sent to the payer", w.c.now_ms));
	pthread_mutex_lock(&payer.mu);
	snprintf(payer.ids[payer.n], sizeof(payer.ids[0]), "%s", k);
	payer.created[payer.n++]++;
	pthread_mutex_unlock(&payer.mu);
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_EQ(st.sent, 0);
	TEST_EQ(st.queried, 1);
	TEST_STR(status_of(&w, k, &o), "accepted");
	/* nothing due any more; every business id created once */
	TEST_ERR(claim_submit(&w.c, 2000, &st));
	TEST_EQ(st.sent + st.queried, 0);
	pthread_mutex_lock(&payer.mu);
	for (i = 0; i < payer.n; i++)
		if (payer.created[i] != 1)
			err = EEXIST;
	TEST_EQ(payer.n, 5); /* accepted ones (b was rejected, never kept) */
	pthread_mutex_unlock(&payer.mu);
	TEST_ERR(err);
	printf("# fake payer: %u POSTs, %u GETs, %zu claims, each created"
	       " once\n",
	    payer.posts, payer.gets, payer.n);
out:
	world_close(&w);
	return err;
}

TEST_MAIN({ "outcomes", test_outcomes })
