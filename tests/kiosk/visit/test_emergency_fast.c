/*
 * The emergency pump's fast-path channel (kiosk/visit/emergency_pump.c,
 * issue 16, docs/PROTOCOL.md §13), on a real store and the in-memory
 * modem, with the server's answers scripted (the real route is
 * tests/sync-server/test_emergency.c):
 *   fast_path   tried at once, retried while the server cannot be reached
 *               (2, 4, 8 s), not sent again until something changed; the
 *               body carries the record, the modem pages and the page
 *               text; a yes the server holds becomes the kiosk's and the
 *               modem pages no more.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "compat.h"
#include "crypto.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "kiosk/store/store.h"
#include "kiosk/visit/emergency.h"
#include "test.h"

#include "emergfix.h"

/* The scripted server: refuses the first FAIL posts, then answers
 * STATE (by BY); keeps the last body. */
struct srv {
	int fail, posts, taken;
	const char *state, *by;
	uint8_t last[8192];
	size_t last_len;
};

static int
srv_post(void *arg, const uint8_t *body, size_t len, char state[16],
    char by[ESC_RCPT_LEN], uint32_t *eta)
{
	struct srv *s = arg;

	s->posts++;
	if (s->fail > 0) {
		s->fail--;
		return ECONNREFUSED;
	}
	s->taken++;
	if (len <= sizeof(s->last)) {
		memcpy(s->last, body, len);
		s->last_len = len;
	}
	snprintf(state, 16, "%s", s->state);
	snprintf(by, ESC_RCPT_LEN, "%s", s->by);
	*eta = 12;
	return 0;
}

static int
test_fast_path(void)
{
	struct fix f;
	struct srv sv = { 2, 0, 0, "paging", "", { 0 }, 0 };
	struct emerg_fast fast = { &sv, srv_post };
	struct esc_now now;
	struct store_emergency_in in;
	struct store_emergency e;
	struct emerg_report rep;
	struct model_rec r;
	cbor_item_t *it = NULL, *pages, *p0;
	const uint8_t *idb, *rec;
	size_t idlen, rlen;
	char id[UUID_STRLEN + 1], *text = NULL, *rcpt = NULL, *st = NULL;
	const char *state;
	int err = 0, sms;

	memset(&r, 0, sizeof(r));
	TEST_ERR(fix_start(&f));
	f.c.fast = &fast;
	memset(&in, 0, sizeof(in));
	in.trigger = ESC_TRIG_MANUAL;
	in.news2 = 9;
	in.vitals = "SpO2 84 RR 28 HR 132 BP 88 T39.1 V";
	in.age = 34;
	in.sex = 'F';
	at(&now, 1000);
	TEST_ERR(emerg_raise(&f.c, &in, &now, id));
	/* t=0: the SMS and a first try (no link) */
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.sent, 1);
	TEST_EQ(rep.fast_failed, 1);
	at(&now, 2500); /* within 2 s: no try */
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 1);
	at(&now, 3000); /* 2 s: the second try, refused; next in 4 s */
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 2);
	at(&now, 6500);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 2);
	at(&now, 7000); /* 4 s: taken */
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(rep.fast_ok, 1);
	TEST_EQ(sv.taken, 1);
	/* what the server got: the incident, the modem page, the text */
	TEST_ERR(cborx_decode(sv.last, sv.last_len, sv.last_len, &it));
	TEST_ERR(cborx_map_bytes(it, EMREQ_K_ID, 16, &idb, &idlen));
	TEST_ERR(store_emergency_get(f.s, id, &e));
	TEST_ERR(cborx_map_bytes(it, EMREQ_K_RECORD, 8192, &rec, &rlen));
	TEST_ERR(model_decode(model_entity(REC_EMERGENCY), rec, rlen, &r));
	TEST_STR(model_get(&r, REC_EMERG_CODE)->text, e.eng.code);
	TEST_STR(model_get(&r, REC_EMERG_STATE)->text, "paging");
	TEST_STR(model_get(&r, REC_EMERG_MODEM)->text, "ok");
	pages = cborx_map_get(it, EMREQ_K_PAGES);
	TEST_TRUE(pages != NULL && cbor_isa_array(pages) &&
	    cbor_array_size(pages) == 1);
	p0 = cbor_array_handle(pages)[0];
	TEST_ERR(cborx_get_text(cbor_array_handle(p0)[2], 23, &rcpt));
	TEST_STR(rcpt, "watamu-amb");
	TEST_ERR(cborx_get_text(cbor_array_handle(p0)[3], 11, &st));
	TEST_STR(st, "sent");
	TEST_ERR(cborx_map_text(it, EMREQ_K_TEXT, 160, &text));
	TEST_TRUE(strstr(text, e.eng.code) != NULL);
	/* nothing changed: not sent again */
	at(&now, 60000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 3);
	/* level 2 fires: sent again, and the server has a yes */
	sv.state = "acknowledged";
	sv.by = "watamu-amb";
	sms = f.fake.nsent;
	at(&now, 301000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(f.fake.nsent, sms + 1);
	TEST_EQ(rep.server_acks, 1);
	state = esc_state_name((enum esc_state)state_of(&f, id));
	TEST_STR(state, "acknowledged");
	TEST_ERR(store_emergency_get(f.s, id, &e));
	TEST_STR(e.eng.ack_by, "watamu-amb");
	/* and the modem pages no more */
	at(&now, 900000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(f.fake.nsent, sms + 1);
	/* help arrived: the server is told once more, then not again */
	sv.posts = 0;
	TEST_ERR(store_emergency_step(
	    f.s, id, STORE_EMERG_ARRIVED, NULL, &now, NULL, 0, NULL));
	at(&now, 901000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 1);
	cbor_decref(&it);
	model_rec_clear(&r);
	TEST_ERR(cborx_decode(sv.last, sv.last_len, sv.last_len, &it));
	TEST_ERR(cborx_map_bytes(it, EMREQ_K_RECORD, 8192, &rec, &rlen));
	TEST_ERR(model_decode(model_entity(REC_EMERGENCY), rec, rlen, &r));
	TEST_STR(model_get(&r, REC_EMERG_STATE)->text, "arrived");
	at(&now, 960000);
	TEST_ERR(emerg_pump(&f.c, &now, &rep));
	TEST_EQ(sv.posts, 1);
out:
	model_rec_clear(&r);
	if (it != NULL)
		cbor_decref(&it);
	free(text);
	free(rcpt);
	free(st);
	fix_stop(&f);
	return err;
}

int
main(int argc, char **argv)
{
	static const struct test tests[] = {
		{ "fast_path", test_fast_path },
	};

	return test_run(tests, nitems(tests), argc, argv);
}
