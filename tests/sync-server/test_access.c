/*
 * The access matrix (issue 17): every user role, through every node role
 * it may use (model/role.h), against every route of routes[] and every
 * query, on a real server on loopback with real signed requests, each
 * outcome compared with the cell of docs/SECURITY.md's access table
 * ("Roles and the access matrix"), read from the document itself.
 *
 * complete: the table names every route of routes[] and every command
 * `sync-server admin` lists (its usage text, from the built program), so
 * a new route or command without a row fails here.
 *
 * matrix: each cell mounted; 100% must agree.
 *
 * user_roles: a node creates a user of each of the four roles; the server
 * stores exactly those model/role.h lets that node role take (the rest:
 * forbidden, per change).
 *
 * companions: the pull's companions (docs/PROTOCOL.md §5.4) give each node
 * role the same outcome as the route itself (an admin's queue stays
 * forbidden inside a pull that succeeds); a malformed companion is
 * refused alone, an unknown one skipped, and a pull without companions
 * answers as before.
 */
#define LOG_MODULE "test_access"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "fixture.h"
#include "model.h"
#include "record.h"
#include "role.h"
#include "sync-server/server.h"
#include "test.h"
#include "uuid.h"
#include "xmalloc.h"

/* Columns of the table: who asks. */
enum { C_UNSIGNED, C_CLINIC, C_HUB, C_ADMIN, C_COUNT };
static const char *const node_roles[C_COUNT] = { NULL, "clinic", "hub",
	"admin" };
static const char *const facilities[C_COUNT] = { NULL, "f1", "hub1", "office" };

#define MAX_ROWS 64

struct row {
	char name[96];
	char cell[C_COUNT][24];
};

static struct row rows[MAX_ROWS];
static size_t nrows;

/* Split a table line into trimmed cells; their count. */
static int
cells(char *line, char **c, int max)
{
	char *p = line, *bar;
	int n = 0;

	if (*p != '|')
		return 0;
	p++;
	while ((bar = strchr(p, '|')) != NULL && n < max) {
		*bar = '\0';
		while (*p == ' ')
			p++;
		c[n] = p;
		for (p = bar; p > c[n] && p[-1] == ' '; p--)
			;
		*p = '\0';
		n++;
		p = bar + 1;
	}
	return n;
}

static int
doc_rows(void)
{
	FILE *fp = fopen("docs/SECURITY.md", "r");
	char line[512], *c[8];
	int in = 0, k;

	if (fp == NULL) {
		fprintf(stderr,
		    "  docs/SECURITY.md: run from the repository "
		    "root\n");
		return ENOENT;
	}
	nrows = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "<!-- access-table -->") != NULL)
			in = 1;
		else if (strstr(line, "<!-- /access-table -->") != NULL)
			in = 0;
		if (!in || cells(line, c, 8) != 1 + C_COUNT ||
		    strcmp(c[0], "route or query") == 0 || c[0][0] == '-')
			continue;
		if (nrows == MAX_ROWS)
			break;
		snprintf(
		    rows[nrows].name, sizeof(rows[nrows].name), "%s", c[0]);
		for (k = 0; k < C_COUNT; k++)
			snprintf(rows[nrows].cell[k],
			    sizeof(rows[nrows].cell[k]), "%s", c[1 + k]);
		nrows++;
	}
	fclose(fp);
	return nrows > 0 ? 0 : ENOENT;
}

static const struct row *
row_named(const char *name)
{
	size_t i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

/* The admin commands the built program's usage lists (it asks for a
 * store key first: a throwaway one). */
static int
admin_commands(char names[32][32], size_t *n)
{
	const char *b = getenv("OUTPOST_BUILD");
	char cmd[512], line[512], key[] = "/tmp/outpost-access-key.XXXXXX";
	char *p, *q;
	FILE *fp;
	int fd;

	*n = 0;
	if ((fd = mkstemp(key)) < 0)
		return errno;
	if (write(fd,
	        "0123456789abcdef0123456789abcdef0123456789abcdef"
	        "0123456789abcdef\n",
	        65) != 65) {
		close(fd);
		unlink(key);
		return EIO;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
	    "%s/sync-server --data /nonexistent --key-file %s admin 2>&1",
	    b != NULL ? b : "build", key);
	if ((fp = popen(cmd, "r")) == NULL) {
		unlink(key);
		return errno;
	}
	while (fgets(line, sizeof(line), fp) != NULL && *n < 32) {
		if ((p = strstr(line, " admin ")) == NULL)
			continue;
		p += 7;
		q = p + strcspn(p, " \n");
		*q = '\0';
		/* "claims|payer|coverage ...": one command each */
		for (; *p != '\0' && *p != '-' && *n < 32; p = q) {
			q = p + strcspn(p, "|");
			snprintf(names[(*n)++], 32, "%.*s", (int)(q - p), p);
			if (*q == '|')
				q++;
		}
	}
	pclose(fp);
	unlink(key);
	return *n > 0 ? 0 : ENOENT;
}

static int
test_complete(void)
{
	char names[32][32], want[128];
	size_t i, n;
	int err = 0, missing = 0;

	TEST_ERR(doc_rows());
	for (i = 0; routes[i] != NULL; i++) {
		snprintf(want, sizeof(want), "%s %s", routes[i]->method,
		    routes[i]->path);
		if (row_named(want) == NULL) {
			fprintf(stderr, "  no row for route %s\n", want);
			missing++;
		}
	}
	TEST_ERR(admin_commands(names, &n));
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "admin %s", names[i]);
		if (row_named(want) == NULL) {
			fprintf(stderr, "  no row for command %s\n", want);
			missing++;
		}
	}
	printf("  %zu routes, %zu admin commands, %zu rows\n", i, n, nrows);
	TEST_EQ(missing, 0);
out:
	return err;
}

/* --- the mounted matrix --- */

struct actor {
	int user_role;
	int col;
	struct tnode t;
	struct uuid mine; /* a patient in its facility's scope (not admin) */
};

struct world {
	struct fix f;
	struct actor a[16];
	size_t na;
	struct tnode other, south; /* f2 of north; s1 of south */
	struct uuid p_other, p_south, p_hub;
	uint64_t hlc;
};

static uint64_t push_seq[256];

/* A signed POST of the CBOR map M (released) by N, or unsigned (N NULL). */
static int
post(struct world *w, struct tnode *n, const char *path, cbor_item_t *m,
    struct tresp *r)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int err;

	if (m != NULL) {
		err = cborx_encode(m, &b, &len);
		cbor_decref(&m);
		if (err != 0)
			return err;
	}
	memset(r, 0, sizeof(*r));
	err = n != NULL ? tnode_do(w->f.port, n, path, b, len, r)
	                : http_do(w->f.port, "POST", path, NULL, b, len, r);
	free(b);
	return err;
}

/* A record pushed by N: a patient (PAT NULL; its id in *ID) or a visit
 * of patient PAT. */
static int
push_rec(
    struct world *w, struct tnode *n, struct uuid *id, const struct uuid *pat)
{
	struct model_rec r;
	cbor_item_t *m, *body, *arr, *c;
	uint8_t *bb = NULL;
	size_t blen;
	char ids[UUID_STRLEN + 1], pats[UUID_STRLEN + 1];
	struct tresp resp;
	int err, entity = pat == NULL ? REC_PATIENT : REC_ENCOUNTER;

	uuid_v7(id);
	uuid_format(id, ids);
	model_rec_init(&r, model_entity(entity), ids,
	    HLC_MAKE(hlc_wall_ms(), w->hlc++ & 0xffff), NULL);
	if (pat == NULL) {
		model_set_text(&r, REC_PAT_GIVEN, "Access");
		model_set_text(&r, REC_PAT_FAMILY, "Test");
	} else {
		uuid_format(pat, pats);
		model_set_text(&r, REC_ENC_PATIENT, pats);
	}
	if (model_encode(&r, &body) != 0 || cborx_encode(body, &bb, &blen))
		abort();
	cbor_decref(&body);
	push_seq[n->id % 256]++;
	c = cborx_array(PUSH_C_COUNT);
	cborx_array_push(c, cborx_uint(push_seq[n->id % 256]));
	cborx_array_push(c, cborx_uint((uint64_t)entity));
	cborx_array_push(c, cborx_bytes(id->b, 16));
	cborx_array_push(c, cborx_uint(r.hlc));
	cborx_array_push(c, cborx_bytes(bb, blen));
	free(bb);
	arr = cborx_array(1);
	cborx_array_push(arr, c);
	m = cborx_map(3);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(push_seq[n->id % 256]));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(push_seq[n->id % 256]));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	err = post(w, n, PROTO_PATH_PUSH, m, &resp);
	if (err == 0 && resp.status != 200)
		err = EPROTO;
	tresp_clear(&resp);
	return err;
}

/* A new user of ROLE pushed by N; *CODE the change's refusal (0: stored). */
static int
push_user(struct world *w, struct tnode *n, int role, uint64_t *code)
{
	struct model_rec r;
	cbor_item_t *m, *body, *arr, *c, *a = NULL;
	uint8_t *bb = NULL;
	size_t blen;
	char ids[UUID_STRLEN + 1];
	struct uuid id;
	struct tresp resp;
	int err;

	uuid_v7(&id);
	uuid_format(&id, ids);
	model_rec_init(&r, model_entity(REC_USER), ids,
	    HLC_MAKE(hlc_wall_ms(), w->hlc++ & 0xffff), NULL);
	model_set_text(&r, REC_USER_NAME, rec_role_name(role));
	model_set_uint(&r, REC_USER_ROLE, (uint64_t)role);
	if (model_encode(&r, &body) != 0 || cborx_encode(body, &bb, &blen))
		abort();
	cbor_decref(&body);
	push_seq[n->id % 256]++;
	c = cborx_array(PUSH_C_COUNT);
	cborx_array_push(c, cborx_uint(push_seq[n->id % 256]));
	cborx_array_push(c, cborx_uint(REC_USER));
	cborx_array_push(c, cborx_bytes(id.b, 16));
	cborx_array_push(c, cborx_uint(r.hlc));
	cborx_array_push(c, cborx_bytes(bb, blen));
	free(bb);
	arr = cborx_array(1);
	cborx_array_push(arr, c);
	m = cborx_map(3);
	cborx_map_put(m, PUSH_K_FIRST, cborx_uint(push_seq[n->id % 256]));
	cborx_map_put(m, PUSH_K_LAST, cborx_uint(push_seq[n->id % 256]));
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	err = post(w, n, PROTO_PATH_PUSH, m, &resp);
	if (err == 0 &&
	    (resp.status != 200 ||
	        cborx_decode(resp.body, resp.len, resp.len, &a)))
		err = EPROTO;
	if (err == 0)
		*code = fix_refusal(a, push_seq[n->id % 256], NULL, 0);
	if (a != NULL)
		cbor_decref(&a);
	tresp_clear(&resp);
	return err;
}

static int
push_patient(struct world *w, struct tnode *n, struct uuid *id)
{
	return push_rec(w, n, id, NULL);
}

/* Does a whole pull by N return record ID?  *SEEN. */
static int
pull_sees(struct world *w, struct tnode *n, const struct uuid *id, int *seen)
{
	cbor_item_t *m, *it = NULL, *arr, **cs, **c;
	uint8_t cur[64];
	size_t curlen = 0, i, plen;
	const uint8_t *p;
	struct tresp r;
	int more = 1, pages = 0, err = 0;

	*seen = 0;
	while (more && pages++ < 100) {
		m = cborx_map(2);
		cborx_map_put(m, PULL_K_CURSOR, cborx_bytes(cur, curlen));
		cborx_map_put(m, PULL_K_MAX, cborx_uint(500));
		if ((err = post(w, n, PROTO_PATH_PULL, m, &r)) != 0)
			return err;
		if (r.status != 200 ||
		    cborx_decode(r.body, r.len, r.len, &it) != 0 ||
		    cborx_map_bytes(
		        it, PULLED_K_CURSOR, sizeof(cur), &p, &plen) != 0) {
			tresp_clear(&r);
			return EPROTO;
		}
		memcpy(cur, p, plen);
		curlen = plen;
		arr = cborx_map_get(it, PULLED_K_CHANGES);
		cs = cbor_array_handle(arr);
		for (i = 0; i < cbor_array_size(arr); i++) {
			c = cbor_array_handle(cs[i]);
			if (cborx_get_bytes(c[PULL_C_ID], 16, &p, &plen) == 0 &&
			    plen == 16 && memcmp(p, id->b, 16) == 0)
				*seen = 1;
		}
		more = 0;
		cborx_get_bool(cborx_map_get(it, PULLED_K_MORE), &more);
		cbor_decref(&it);
		tresp_clear(&r);
	}
	return 0;
}

/* The outcome word of an answer: "ok", or the error code's name. */
static const char *
outcome(const struct tresp *r)
{
	static const struct {
		uint64_t code;
		const char *name;
	} names[] = { { WERR_BAD_SIGNATURE, "bad_signature" },
		{ WERR_FORBIDDEN, "forbidden" },
		{ WERR_NOT_ADMIN, "not_admin" },
		{ WERR_OUT_OF_REGION, "out_of_region" },
		{ WERR_NOT_FOUND, "not_found" },
		{ WERR_BAD_REQUEST, "bad_request" },
		{ WERR_UNKNOWN_NODE, "unknown_node" },
		{ WERR_NO_ROSTER, "no_roster" },
		{ WERR_GATEWAY_AUTH, "gateway_auth" },
		{ WERR_BREAKGLASS_SCOPE, "breakglass_scope" },
		{ WERR_BREAKGLASS_REASON, "breakglass_reason" },
		{ WERR_EMERG_INVALID, "emergency_invalid" } };
	uint64_t code;
	size_t i;

	if (r->status == 200)
		return "ok";
	code = tresp_code(r, NULL);
	for (i = 0; i < nitems(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return "other";
}

/* Is OUT what CELL says?  "passes": anything but a refusal for who
 * asks; "host": no route (not_found). */
static int
agrees(const char *cell, const char *out)
{
	if (strcmp(cell, "passes") == 0)
		return strcmp(out, "forbidden") != 0 &&
		    strcmp(out, "not_admin") != 0 &&
		    strcmp(out, "out_of_region") != 0 &&
		    strcmp(out, "bad_signature") != 0 &&
		    strcmp(out, "not_found") != 0;
	if (strcmp(cell, "host") == 0)
		return strcmp(out, "not_found") == 0;
	return strcmp(cell, out) == 0;
}

/* Mount row ROW for actor A (NULL: unsigned) of column COL; *OUT the
 * word. */
static int
mount(struct world *w, const struct row *row, struct actor *a, int col,
    char out[32])
{
	struct tnode *n = a != NULL ? &a->t : NULL;
	const char *name = row->name;
	struct tresp r;
	cbor_item_t *m = NULL;
	char path[96];
	int err = 0, seen;

	memset(&r, 0, sizeof(r));
	snprintf(out, 32, "?");
	if (strncmp(name, "pull: ", 6) == 0) {
		if (n == NULL) {
			snprintf(out, 32, "-");
			return 0;
		}
		err = pull_sees(w, n,
		    strstr(name, "another region") ? &w->p_south : &w->p_other,
		    &seen);
		snprintf(out, 32, "%s", seen ? "served" : "hidden");
		return err;
	}
	if (strcmp(name, "GET /v1/health") == 0) {
		err = http_do(
		    w->f.port, "GET", PROTO_PATH_HEALTH, NULL, "", 0, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/enroll") == 0) {
		struct tnode fresh;

		/* a token of the column's node role (a clinic's when
		 * unsigned): enrolment is the token's, not a signature's */
		err = fix_node_as(&w->f, "north",
		    col == C_UNSIGNED ? "clinic" : node_roles[col],
		    col == C_UNSIGNED ? "f1" : facilities[col], &fresh, NULL);
		snprintf(out, 32, "%s", err == 0 ? "ok" : "refused");
		return 0;
	}
	if (strcmp(name, "POST /v1/push") == 0) {
		struct uuid id;

		if (n != NULL) {
			err = push_patient(w, n, &id);
			/* a hub may not create patients: the push is
			 * answered, the change refused (test_policy's) */
			snprintf(out, 32, "%s", err == 0 ? "ok" : "refused");
			return 0;
		}
		m = cborx_map(3);
		cborx_map_put(m, PUSH_K_FIRST, cborx_uint(1));
		cborx_map_put(m, PUSH_K_LAST, cborx_uint(0));
		cborx_map_put(m, PUSH_K_CHANGES, cborx_array(0));
		err = post(w, NULL, PROTO_PATH_PUSH, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/pull") == 0) {
		m = cborx_map(1);
		cborx_map_put(m, PULL_K_MAX, cborx_uint(10));
		err = post(w, n, PROTO_PATH_PULL, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/blob") == 0) {
		uint8_t chunk[16], h[32];

		crypto_random(chunk, sizeof(chunk));
		crypto_sha256(chunk, sizeof(chunk), h);
		m = cborx_map(4);
		cborx_map_put(m, BLOB_K_HASH, cborx_bytes(h, 32));
		cborx_map_put(m, BLOB_K_TOTAL, cborx_uint(sizeof(chunk)));
		cborx_map_put(m, BLOB_K_OFFSET, cborx_uint(0));
		cborx_map_put(
		    m, BLOB_K_CHUNK, cborx_bytes(chunk, sizeof(chunk)));
		err = post(w, n, PROTO_PATH_BLOB, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/consults/queue") == 0 ||
	    strcmp(name, "POST /v1/licences") == 0 ||
	    strcmp(name, "POST /v1/admin/figures") == 0 ||
	    strcmp(name, "POST /v1/emergency") == 0 ||
	    strcmp(name, "POST /v1/roster") == 0 ||
	    strcmp(name, "POST /v1/audit") == 0 ||
	    strncmp(name, "POST /v1/gateway/", 17) == 0) {
		err = post(w, n, strchr(name, '/'), cborx_map(0), &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/breakglass") == 0) {
		struct uuid pat;

		/* a whole request, so that the role's refusal is what answers */
		uuid_v7(&pat);
		m = cborx_map(3);
		cborx_map_put(m, BREAKGLASS_K_PATIENT, cborx_bytes(pat.b, 16));
		cborx_map_put(m, BREAKGLASS_K_REASON,
		    cborx_text("unconscious on arrival, no record here"));
		cborx_map_put(m, BREAKGLASS_K_USER, cborx_text("u1"));
		err = post(w, n, PROTO_PATH_BREAKGLASS, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/breakglass/search") == 0) {
		m = cborx_map(2);
		cborx_map_put(m, BGSEARCH_K_QUERY, cborx_text("Access Test"));
		cborx_map_put(m, BGSEARCH_K_USER, cborx_text("u1"));
		err = post(w, n, PROTO_PATH_BREAKGLASS_SEARCH, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/appointments") == 0) {
		struct uuid id, pat;

		/* for a patient of its own: a refusal is then its role's */
		uuid_v7(&id);
		if (a != NULL)
			pat = a->mine;
		else
			uuid_v7(&pat);
		m = cborx_map(3);
		cborx_map_put(m, APPTREQ_K_ID, cborx_bytes(id.b, 16));
		cborx_map_put(m, APPTREQ_K_SLOT, cborx_uint(987654));
		cborx_map_put(m, APPTREQ_K_PATIENT, cborx_bytes(pat.b, 16));
		err = post(w, n, PROTO_PATH_APPOINTMENTS, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/waitlist") == 0) {
		struct uuid id;

		/* the status of an entry nobody listed: a clinic or hub is
		 * answered (wait_unknown), a refusal is the role's */
		uuid_v7(&id);
		m = cborx_map(2);
		cborx_map_put(m, WAITREQ_K_ID, cborx_bytes(id.b, 16));
		cborx_map_put(m, WAITREQ_K_OP, cborx_text("status"));
		err = post(w, n, PROTO_PATH_WAITLIST, m, &r);
		goto done;
	}
	if (strcmp(name, "POST /v1/slots") == 0) {
		m = cborx_map(2);
		cborx_map_put(m, SLOTSREQ_K_FROM, cborx_uint(hlc_wall_ms()));
		cborx_map_put(m, SLOTSREQ_K_TO,
		    cborx_uint(hlc_wall_ms() + 24 * 3600 * 1000));
		err = post(w, n, PROTO_PATH_SLOTS, m, &r);
		goto done;
	}
	if (strncmp(name, "POST /v1/admin/export", 21) == 0) {
		m = cborx_map(2);
		cborx_map_put(m, EXPREQ_K_FORMAT, cborx_text("csv"));
		if (strstr(name, "another region") != NULL)
			cborx_map_put(m, EXPREQ_K_REGION, cborx_text("south"));
		err = post(w, n, PROTO_PATH_ADMIN_EXPORT, m, &r);
		goto done;
	}
	if (strncmp(name, "admin ", 6) == 0) {
		/* neither /v1/CMD nor /v1/admin/CMD answers, unless the
		 * latter is a route of its own (export: its own row) */
		snprintf(path, sizeof(path), "/v1/%s", name + 6);
		/* (a route of the same name, /v1/roster, /v1/audit..., has a
		 * row of its own) */
		if (route_find(path) == NULL &&
		    ((err = post(w, n, path, cborx_map(0), &r)) != 0 ||
		        strcmp(outcome(&r), "not_found") != 0))
			goto done;
		snprintf(path, sizeof(path), "/v1/admin/%s", name + 6);
		if (route_find(path) == NULL) {
			tresp_clear(&r);
			err = post(w, n, path, cborx_map(0), &r);
		}
		goto done;
	}
	fprintf(
	    stderr, "  row %s: the test does not know how to mount it\n", name);
	return EINVAL;
done:
	if (err == 0)
		snprintf(out, 32, "%s", outcome(&r));
	tresp_clear(&r);
	return err;
}

static int
route_served(const char *name)
{
	char method[8], path[80];
	size_t i;

	if (sscanf(name, "%7s %79[^, ]", method, path) != 2 || path[0] != '/')
		return 1; /* a query, not a route */
	for (i = 0; routes[i] != NULL; i++)
		if (strcmp(routes[i]->path, path) == 0)
			return 1;
	return 0;
}

static int
test_matrix(void)
{
	static struct world w;
	char out[32];
	size_t i, k;
	int role, col, err = 0, bad = 0, tried = 0;

	memset(&w, 0, sizeof(w));
	memset(push_seq, 0, sizeof(push_seq));
	TEST_ERR(doc_rows());
	TEST_ERR(fix_start(&w.f));
	/* every user role through every node role it may use */
	for (role = 1; role <= REC_ROLE_MAX; role++)
		for (col = C_CLINIC; col < C_COUNT; col++) {
			struct actor *a;

			if (!rec_role_node_ok(role, node_roles[col]))
				continue;
			a = &w.a[w.na++];
			a->user_role = role;
			a->col = col;
			TEST_ERR(fix_node_as(&w.f, "north", node_roles[col],
			    facilities[col], &a->t, NULL));
		}
	TEST_ERR(fix_node_as(&w.f, "north", "clinic", "f2", &w.other, NULL));
	TEST_ERR(fix_node_as(&w.f, "south", "clinic", "s1", &w.south, NULL));
	TEST_ERR(push_patient(&w, &w.other, &w.p_other));
	TEST_ERR(push_patient(&w, &w.south, &w.p_south));
	TEST_ERR(push_patient(&w, &w.other, &w.p_hub));
	/* a patient in each actor's scope: a clinic registers one, a hub
	 * records a visit of one (which brings them into its scope) */
	for (k = 0; k < w.na; k++) {
		struct uuid enc;

		if (w.a[k].col == C_CLINIC)
			TEST_ERR(push_patient(&w, &w.a[k].t, &w.a[k].mine));
		else if (w.a[k].col == C_HUB) {
			w.a[k].mine = w.p_hub;
			TEST_ERR(push_rec(&w, &w.a[k].t, &enc, &w.p_hub));
		}
	}
	for (i = 0; i < nrows; i++) {
		const struct row *row = &rows[i];

		if (!route_served(row->name)) {
			printf("  %s: no such route in this build, skipped\n",
			    row->name);
			continue;
		}
		TEST_ERR(mount(&w, row, NULL, C_UNSIGNED, out));
		tried++;
		if (!agrees(row->cell[C_UNSIGNED], out)) {
			fprintf(stderr,
			    "  %s, unsigned: got %s, table says %s\n",
			    row->name, out, row->cell[C_UNSIGNED]);
			bad++;
		}
		for (k = 0; k < w.na; k++) {
			struct actor *a = &w.a[k];

			TEST_ERR(mount(&w, row, a, a->col, out));
			tried++;
			if (!agrees(row->cell[a->col], out)) {
				fprintf(stderr,
				    "  %s, %s on a %s node: got %s, table "
				    "says %s\n",
				    row->name, rec_role_name(a->user_role),
				    node_roles[a->col], out, row->cell[a->col]);
				bad++;
			}
		}
	}
	printf("  %d attempts (%zu user role x node role pairs), %d differ "
	       "from docs/SECURITY.md\n",
	    tried, w.na, bad);
	TEST_EQ(bad, 0);
out:
	fix_stop(&w.f);
	return err;
}

static int
test_user_roles(void)
{
	static struct world w;
	struct tnode n;
	uint64_t code;
	int role, col, err = 0, bad = 0, stored = 0;

	memset(&w, 0, sizeof(w));
	memset(push_seq, 0, sizeof(push_seq)); /* node ids start again */
	TEST_ERR(fix_start(&w.f));
	for (col = C_CLINIC; col < C_COUNT; col++) {
		TEST_ERR(fix_node_as(
		    &w.f, "north", node_roles[col], facilities[col], &n, NULL));
		for (role = 1; role <= REC_ROLE_MAX; role++) {
			TEST_ERR(push_user(&w, &n, role, &code));
			stored += code == 0;
			if ((code == 0) !=
			        rec_role_node_ok(role, node_roles[col]) ||
			    (code != 0 && code != WERR_FORBIDDEN)) {
				fprintf(stderr,
				    "  a %s made on a %s node: code %" PRIu64
				    "\n",
				    rec_role_name(role), node_roles[col], code);
				bad++;
			}
		}
	}
	printf("  12 users pushed, %d stored\n", stored);
	TEST_EQ(bad, 0);
	TEST_EQ(stored, 7);
out:
	fix_stop(&w.f);
	return err;
}

/* A pull by N with the companions ALSO (released): *ANS its answer's
 * PULLED_K_ALSO (NULL when absent), the pull's own status 200. */
static int
pull_with(struct world *w, struct tnode *n, cbor_item_t *also,
    cbor_item_t **root, cbor_item_t **ans)
{
	cbor_item_t *m = cborx_map(also != NULL ? 3 : 2);
	struct tresp r;
	int err;

	*root = *ans = NULL;
	cborx_map_put(m, PULL_K_CURSOR, cborx_bytes((const uint8_t *)"", 0));
	cborx_map_put(m, PULL_K_MAX, cborx_uint(500));
	if (also != NULL)
		cborx_map_put(m, PULL_K_ALSO, also);
	if ((err = post(w, n, PROTO_PATH_PULL, m, &r)) != 0)
		return err;
	if (r.status != 200 || cborx_decode(r.body, r.len, r.len, root) != 0 ||
	    cborx_map_get(*root, PULLED_K_CHANGES) == NULL)
		err = EPROTO;
	else
		*ans = cborx_map_get(*root, PULLED_K_ALSO);
	tresp_clear(&r);
	return err;
}

/* The companion KEY of ANS: its status and error code (0: none). */
static int
also_outcome(cbor_item_t *ans, uint64_t key, uint64_t *status, uint64_t *code)
{
	cbor_item_t *pair = ans ? cborx_map_get(ans, key) : NULL, **v;
	struct tresp r;
	const uint8_t *b;
	size_t len;

	if (pair == NULL || !cbor_isa_array(pair) || cbor_array_size(pair) != 2)
		return ENOENT;
	v = cbor_array_handle(pair);
	if (cborx_get_uint(v[PULLED_A_STATUS], status) != 0 ||
	    cborx_get_bytes(v[PULLED_A_BODY], 1 << 20, &b, &len) != 0)
		return EPROTO;
	memset(&r, 0, sizeof(r));
	r.status = (unsigned)*status;
	r.body = (uint8_t *)b;
	r.len = len;
	*code = *status == 200 ? 0 : tresp_code(&r, NULL);
	return 0;
}

static int
test_companions(void)
{
	static const struct {
		uint64_t key;
		const char *path;
	} routes_also[] = { { PULLALSO_K_LICENCES, PROTO_PATH_LICENCES },
		{ PULLALSO_K_ROSTER, PROTO_PATH_ROSTER },
		{ PULLALSO_K_QUEUE, PROTO_PATH_CONSULTS } };
	static const uint8_t empty[] = { 0xa0 }; /* {} */
	static struct world w;
	struct tnode n;
	struct tresp r;
	cbor_item_t *also, *root = NULL, *ans;
	uint64_t status, code, want_code;
	size_t i;
	int col, err = 0, compared = 0;

	memset(&w, 0, sizeof(w));
	memset(push_seq, 0, sizeof(push_seq));
	TEST_ERR(fix_start(&w.f));
	for (col = C_CLINIC; col < C_COUNT; col++) {
		TEST_ERR(fix_node_as(
		    &w.f, "north", node_roles[col], facilities[col], &n, NULL));
		also = cborx_map(nitems(routes_also) + 2);
		for (i = 0; i < nitems(routes_also); i++)
			cborx_map_put(also, routes_also[i].key,
			    cborx_bytes(empty, sizeof(empty)));
		/* an audit request that is not one; a key from later */
		cborx_map_put(also, PULLALSO_K_AUDIT, cborx_bytes(empty, 1));
		cborx_map_put(also, 99, cborx_bytes(empty, 1));
		TEST_ERR(pull_with(&w, &n, also, &root, &ans));
		TEST_TRUE(ans != NULL && cbor_isa_map(ans));
		TEST_EQ(cbor_map_size(ans), nitems(routes_also) + 1);
		for (i = 0; i < nitems(routes_also); i++) {
			TEST_ERR(post(
			    &w, &n, routes_also[i].path, cborx_map(0), &r));
			want_code = r.status == 200 ? 0 : tresp_code(&r, NULL);
			TEST_ERR(also_outcome(
			    ans, routes_also[i].key, &status, &code));
			if (status != r.status || code != want_code)
				TEST_FAILED("%s for a %s node: %u/%" PRIu64
				            " on its own, %" PRIu64 "/%" PRIu64
				            " in a pull",
				    routes_also[i].path, node_roles[col],
				    r.status, want_code, status, code);
			tresp_clear(&r);
			compared++;
		}
		TEST_ERR(also_outcome(ans, PULLALSO_K_AUDIT, &status, &code));
		TEST_EQ(status, 400);
		TEST_EQ(code, WERR_BAD_REQUEST);
		/* a companion that is not a byte string: refused alone */
		cbor_decref(&root);
		also = cborx_map(1);
		cborx_map_put(also, PULLALSO_K_QUEUE, cborx_uint(7));
		TEST_ERR(pull_with(&w, &n, also, &root, &ans));
		TEST_ERR(also_outcome(ans, PULLALSO_K_QUEUE, &status, &code));
		TEST_EQ(code, WERR_BAD_REQUEST);
		cbor_decref(&root);
		/* no companions asked: none answered */
		TEST_ERR(pull_with(&w, &n, NULL, &root, &ans));
		TEST_TRUE(ans == NULL);
		cbor_decref(&root);
	}
	printf("  %d companions compared with their routes\n", compared);
	/* the admin's queue, forbidden on its own, is forbidden in a pull
	 * too (one of those compared): the pull widens nothing */
	TEST_EQ(compared, 3 * (int)nitems(routes_also));
out:
	if (root != NULL)
		cbor_decref(&root);
	fix_stop(&w.f);
	return err;
}

TEST_MAIN({ "complete", test_complete }, { "matrix", test_matrix },
    { "user_roles", test_user_roles }, { "companions", test_companions })
