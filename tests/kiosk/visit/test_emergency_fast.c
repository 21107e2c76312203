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

static const char boot[] = "7f3c2a10-0000-4000-8000-00000000000a";

static void
at(struct esc_now *now, uint64_t ms)
{
	memset(now, 0, sizeof(*now));
	snprintf(now->boot_id, sizeof(now->boot_id), "%s", boot);
	now->boot_ms = ms;
	now->wall_ms = 1764000000000LL + (int64_t)ms;
}

static void
svc(struct esc_service *s, const char *id, const char *num)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->travel_min = 20;
	s->nsms = 1;
	snprintf(s->sms[0], ESC_NUM_LEN, "%s", num);
	s->nreply = 1;
	snprintf(s->reply_from[0], ESC_NUM_LEN, "%s", num);
}

static void
roster(struct esc_roster *r)
{
	memset(r, 0, sizeof(*r));
	r->version = 4;
	r->issued_at = 1764000000 - 60;
	r->valid_until = 1764000000 + 86400 * 30;
	r->lat = -3.3095;
	r->lon = 40.0173;
	snprintf(r->landmark, sizeof(r->landmark), "Gede disp");
	r->nservices = 3;
	svc(&r->services[0], "watamu-amb", "+254700000001");
	svc(&r->services[1], "malindi-ems", "+254700000002");
	svc(&r->services[2], "kilifi-ch", "+254700000003");
	r->nlevels = 3;
	for (int i = 0; i < 3; i++) {
		r->level_nsvc[i] = 1;
		memcpy(r->level_svc[i][0], r->services[i].id, ESC_RCPT_LEN);
		r->level_deadline_s[i] = 300;
	}
	r->loop_every_s = 600;
	r->loops = 5;
	r->rate_s = 120;
	r->max_pages = 20;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct fix {
	char *dir;
	struct store *s;
	struct esc_roster r;
	struct sms_port port;
	struct sms_fake fake;
	struct emerg_ctx c;
};

static int
fix_start(struct fix *f)
{
	uint8_t key[32];

	memset(f, 0, sizeof(*f));
	if (asprintf(&f->dir, "/dev/shm/outpost-pump-XXXXXX") < 0)
		return ENOMEM;
	if (mkdtemp(f->dir) == NULL) {
		free(f->dir);
		if ((f->dir = test_tmpdir("pump")) == NULL)
			return EIO;
	}
	crypto_random(key, sizeof(key));
	roster(&f->r);
	emergency_sms_fake(&f->port, &f->fake);
	f->c.roster = &f->r;
	f->c.port = &f->port;
	f->c.chw_phone = "+254712345678";
	return store_open(f->dir, key, 1, &f->s) ? EIO : (f->c.s = f->s, 0);
}

static void
fix_stop(struct fix *f)
{
	store_close(f->s);
	if (f->dir != NULL)
		nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
}

static int
state_of(struct fix *f, const char *id)
{
	struct store_emergency e;

	if (store_emergency_get(f->s, id, &e) != 0)
		return -1;
	return (int)e.eng.state;
}

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
