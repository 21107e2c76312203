/*
 * The licence registry at work (registry.h): snapshots per region and the
 * re-check of pushed acts.  The snapshot kept per region in the store's
 * meta table (key "licsnap:REGION") is the registry version it was built
 * from, its own version, its issue time (8 bytes each, big-endian) and
 * the signed envelope; so versions only grow, across restarts and across
 * a migration to PostgreSQL (meta is copied).  Not here: the admin
 * commands (admin.c) and the check itself (model/licence.c).
 */
#define LOG_MODULE "registry"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "i18n.h"
#include "licence.h"
#include "log.h"
#include "model.h"
#include "protocol.h"
#include "record.h"
#include "sync-server/registry.h"
#include "uuid.h"
#include "xmalloc.h"

#define REG_HDR 24

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;

static void
put_be64(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (56 - 8 * i));
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

/* The licences of SET whose jurisdictions cover REGION, into OUT. */
static void
registry_region(
    const struct licence_set *set, const char *region, struct licence_set *out)
{
	for (size_t i = 0; i < set->n; i++)
		if (licence_juris_covers(set->l[i].juris, region))
			licence_set_add(out, &set->l[i]);
}

int
registry_snapshot(struct server *srv, const char *region, uint64_t now_ms,
    uint8_t **out, size_t *len, uint64_t *version)
{
	struct licence_set all = { 0 }, mine = { 0 };
	uint64_t ttl =
	    srv->licence_ttl_ms ? srv->licence_ttl_ms : REGISTRY_TTL_MS;
	uint64_t regv = 0, snapv = 0, issued = 0;
	uint8_t *kept = NULL, *env = NULL, *val;
	size_t klen = 0, elen;
	char key[96];
	int err;

	*out = NULL;
	*len = 0;
	*version = 0;
	snprintf(key, sizeof(key), "licsnap:%s", region);
	pthread_mutex_lock(&registry_mu);
	if ((err = srv->be->licence_list(srv->store, &all, &regv)) != 0)
		goto out;
	err = srv->be->meta_get(srv->store, key, &kept, &klen);
	if (err != 0 && err != ENOENT)
		goto out;
	if (err == 0 && klen > REG_HDR) {
		snapv = get_be64(kept + 8);
		issued = get_be64(kept + 16);
		if (get_be64(kept) == regv && now_ms >= issued &&
		    now_ms - issued < ttl / 7) {
			*len = klen - REG_HDR;
			*out = xmemdup(kept + REG_HDR, *len);
			*version = snapv;
			err = 0;
			goto out;
		}
	}
	registry_region(&all, region, &mine);
	snprintf(mine.region, sizeof(mine.region), "%s", region);
	mine.version = snapv + 1;
	mine.issued = (int64_t)now_ms;
	mine.not_after = (int64_t)(now_ms + ttl);
	if ((err = licence_snapshot_seal(&mine, srv->priv, &env, &elen)) != 0)
		goto out;
	val = xmalloc(REG_HDR + elen);
	put_be64(val, regv);
	put_be64(val + 8, mine.version);
	put_be64(val + 16, now_ms);
	memcpy(val + REG_HDR, env, elen);
	err = srv->be->meta_put(srv->store, key, val, REG_HDR + elen);
	free(val);
	if (err != 0)
		goto out;
	log_info("licence snapshot %s v%" PRIu64 ": %zu licences, %zu bytes",
	    region, mine.version, mine.n, elen);
	*out = env;
	*len = elen;
	*version = mine.version;
	env = NULL;
out:
	pthread_mutex_unlock(&registry_mu);
	if (err != 0)
		log_warnx("licence snapshot %s: %s", region, strerror(err));
	free(kept);
	free(env);
	licence_set_clear(&all);
	licence_set_clear(&mine);
	return err;
}

/* A pushed prescription order is LIC_ACT_PRESCRIBE at its signing time
 * (a cancel or stop is not refused: ending an order is always allowed). */
static int
registry_rx_act(const struct schange *c, enum licence_act *act, int64_t *at,
    char *regno, size_t rlen)
{
	struct model_rec r;
	const struct model_value *a, *t, *v;
	char why[112];
	int found = 0;

	if (model_check(model_entity(c->entity), c->body, c->len, c->id, &r,
	        why, sizeof(why)) != 0)
		goto out;
	a = model_get(&r, REC_RX_ACTION);
	t = model_get(&r, REC_RX_SIGNED);
	v = model_get(&r, REC_RX_REGNO);
	if (a == NULL || a->null || strcmp(a->text, "order") != 0 ||
	    t == NULL || t->null || t->u > INT64_MAX)
		goto out;
	*act = LIC_ACT_PRESCRIBE;
	*at = (int64_t)t->u;
	snprintf(regno, rlen, "%s", v != NULL && !v->null ? v->text : "");
	found = 1;
out:
	model_rec_clear(&r);
	return found;
}

/* The act a pushed consult change records, and its time and regno. */
static int
registry_act(const struct schange *c, enum licence_act *act, int64_t *at,
    char *regno, size_t rlen)
{
	struct model_rec r;
	const struct model_value *v, *t;
	char why[112];
	int found = 0;

	if (c->entity == REC_PRESCRIPTION)
		return registry_rx_act(c, act, at, regno, rlen);
	if (!c->is_consult || !c->consult.has_state)
		return 0;
	if (strcmp(c->consult.state, "accepted") == 0) {
		*act = LIC_ACT_CONSULT;
	} else if (strcmp(c->consult.state, "signed") == 0) {
		*act = LIC_ACT_NOTE;
	} else
		return 0;
	if (model_check(model_entity(c->entity), c->body, c->len, c->id, &r,
	        why, sizeof(why)) != 0)
		goto out;
	t = model_get(&r,
	    *act == LIC_ACT_CONSULT ? REC_CONSULT_ACCEPTED
	                            : REC_CONSULT_SIGNED);
	v = model_get(&r, REC_CONSULT_REGNO);
	if (t == NULL || t->null || t->u > INT64_MAX)
		goto out;
	*at = (int64_t)t->u;
	snprintf(regno, rlen, "%s", v != NULL && !v->null ? v->text : "");
	found = 1;
out:
	model_rec_clear(&r);
	return found;
}

int
registry_region_on(const struct licence_set *reg, const char *region)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (licence_juris_covers(reg->l[i].juris, region))
			return 1;
	return 0;
}

size_t
registry_recheck(struct server *srv, const struct snode *pusher,
    const struct schange *changes, size_t n, struct sverdict *verdicts,
    uint64_t now_ms)
{
	struct licence_set reg = { 0 };
	struct licence_verdict lv;
	enum licence_act act;
	struct uuid u;
	uint64_t regv;
	int64_t at;
	char regno[LIC_REGNO_MAX], detail[200], id[UUID_STRLEN + 1];
	size_t i, refused = 0;
	int loaded = 0;

	for (i = 0; i < n; i++) {
		if (verdicts[i].code != 0 ||
		    !registry_act(&changes[i], &act, &at, regno, sizeof(regno)))
			continue;
		if (!loaded) {
			if (srv->be->licence_list(srv->store, &reg, &regv) !=
			    0) {
				log_warnx("licence re-check: the registry "
				          "cannot be read; acts not checked");
				return 0;
			}
			loaded = 1;
			if (!registry_region_on(&reg, pusher->region)) {
				licence_set_clear(&reg);
				return 0;
			}
		}
		licence_permitted(&reg, regno, act, pusher->region, at, &lv);
		if (lv.permitted && !lv.lapsed)
			continue;
		memcpy(u.b, changes[i].id, sizeof(u.b));
		uuid_format(&u, id);
		/* regno and the act are not patient data; the consult is
		 * named by its record id only */
		snprintf(detail, sizeof(detail),
		    "%s %s: %s by %s at %" PRId64 ": %s",
		    act == LIC_ACT_PRESCRIBE ? "prescription" : "consult", id,
		    licence_act_name(act), regno[0] ? regno : "(none)", at,
		    licence_state_name(lv.state));
		if (lv.permitted) {
			log_warnx("node %" PRIu64
			          ": note kept, licence_lapsed: "
			          "%s",
			    pusher->id, detail);
			srv->be->alert(srv->store, pusher->id, "licence-lapsed",
			    detail, now_ms);
			continue;
		}
		verdicts[i].code = WERR_LICENCE;
		snprintf(
		    verdicts[i].why, sizeof(verdicts[i].why), "%s", lv.words);
		log_warnx("node %" PRIu64 ": refused: %s", pusher->id, detail);
		srv->be->alert(
		    srv->store, pusher->id, "licence-refused", detail, now_ms);
		refused++;
	}
	licence_set_clear(&reg);
	return refused;
}
