/*
 * A call's evidence in the kiosk store (kiosk/store/callrec.c): one row,
 * one outbox change of entity REC_CALL whose body carries what was seen
 * and leaves out what was not, an audit entry; the row cannot be changed.
 */
#include <errno.h>
#include <string.h>

#include "kiosk/store/store.h"
#include "kiosk/store/syncstate.h"
#include "model.h"
#include "test.h"

static const uint8_t key[32] = { 7, 7, 7 };

struct seen {
	int n;
	struct model_rec r;
	int ok, decoded;
};

static int
walk(void *arg, int entity, const char *id, const uint8_t *body, size_t len)
{
	struct seen *s = arg;

	(void)id;
	if (entity != REC_CALL)
		return 0;
	s->n++;
	s->ok = model_decode(model_entity(REC_CALL), body, len, &s->r) == 0;
	s->decoded = 1;
	return 0;
}

static int
test_call_add(void)
{
	struct store *s = NULL;
	struct store_call c;
	struct seen seen;
	const struct model_value *v;
	char id[UUID_STRLEN + 1];
	char *d = test_tmpdir("callrec");
	int err = 0;

	memset(&seen, 0, sizeof(seen));
	memset(&c, 0, sizeof(c));
	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_EQ(store_call_add(s, &c, id), EINVAL); /* no end kind */
	c.consult_id = "0191c0de-0000-7000-8000-000000000001";
	c.sip_call_id = "7dafe13ca16e5013";
	c.peer = "sip:n7@10.0.0.5";
	c.outgoing = 0;
	c.ringing = (struct store_call_mark){ 1700000000000ull, 5000 };
	c.established = (struct store_call_mark){ 1700000002000ull, 7000 };
	c.secure = (struct store_call_mark){ 1700000003000ull, 8000 };
	/* media_tx never seen: must stay absent */
	c.media_rx = (struct store_call_mark){ 1700000003100ull, 8100 };
	c.ended = (struct store_call_mark){ 1700000062000ull, 67000 };
	c.end_kind = "remote";
	c.end_reason = "Connection reset by peer";
	c.connected_ms = 60000;
	TEST_ERR(store_call_add(s, &c, id));
	TEST_ERR(store_sync_manifest(s, 0, walk, &seen));
	TEST_EQ(seen.n, 1);
	TEST_TRUE(seen.ok);
	TEST_TRUE((v = model_get(&seen.r, REC_CALL_CONNECTED_MS)) && v->set);
	TEST_EQ(v->u, 60000);
	TEST_TRUE((v = model_get(&seen.r, REC_CALL_SECURE)) && v->set);
	TEST_EQ(v->u, 1700000003000ull);
	TEST_TRUE((v = model_get(&seen.r, REC_CALL_SECURE + 1)) && v->set);
	TEST_EQ(v->u, 8000);
	v = model_get(&seen.r, REC_CALL_MEDIA_TX);
	TEST_TRUE(v == NULL || !v->set);
	TEST_TRUE((v = model_get(&seen.r, REC_CALL_END)) && v->set);
	TEST_STR(v->text, "remote");
	TEST_TRUE((v = model_get(&seen.r, REC_CALL_PEER)) && v->set);
	TEST_STR(v->text, "sip:n7@10.0.0.5");
out:
	if (seen.decoded)
		model_rec_clear(&seen.r);
	store_close(s);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "call_add", test_call_add })
