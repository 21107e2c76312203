/*
 * The emergency pump's test fixture, shared by test_emergency_pump.c and
 * test_emergency_fast.c: a fake clock on one boot, a two-service roster,
 * a node's store in a fresh directory, an incident's state.
 */
#ifndef TESTS_KIOSK_VISIT_EMERGFIX_H
#define TESTS_KIOSK_VISIT_EMERGFIX_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
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

#endif
