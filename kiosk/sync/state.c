/*
 * The sync client's state in the store's sync_state table: decimal
 * numbers and text under the SYNC_K_* keys (sync.h), and the limits the
 * server announced at enrolment.  The lowest layer of kiosk/sync: it calls
 * only the store.
 */
#define LOG_MODULE "sync_state"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/store/store.h"
#include "protocol.h"
#include "str.h"
#include "sync.h"
#include "sync_int.h"
#include "xmalloc.h"

int
sync_state_text(struct store *s, const char *key, char **out)
{
	uint8_t *v;
	size_t len;
	int err;

	*out = NULL;
	if ((err = store_state_get(s, key, &v, &len)) != 0)
		return err;
	*out = xstrndup((const char *)v, len);
	free(v);
	return 0;
}

int
sync_state_u64(struct store *s, const char *key, uint64_t *val)
{
	long long v;
	char *t;
	int err;

	*val = 0;
	if ((err = sync_state_text(s, key, &t)) != 0)
		return err;
	err = str_to_ll(t, 0, INT64_MAX, &v) == 0 ? 0 : EINVAL;
	if (err == 0)
		*val = (uint64_t)v;
	free(t);
	return err;
}

int
sync_state_put_u64(struct store *s, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return store_state_put(s, key, buf, strlen(buf));
}

int
sync_state_put_text(struct store *s, const char *key, const char *t)
{
	return store_state_put(s, key, t, strlen(t));
}

/* A stored limit, when present and within 1..CAP; else DEF. */
static uint64_t
sync_state_limit(struct store *s, const char *key, uint64_t def, uint64_t cap)
{
	uint64_t v;

	if (sync_state_u64(s, key, &v) != 0 || v == 0)
		return def;
	return v < cap ? v : cap;
}

void
sync_limits_get(struct store *s, struct sync_limits *l)
{
	l->push_bytes = (size_t)sync_state_limit(
	    s, SYNC_K_PUSH_BYTES, PROTO_PUSH_MAX_BYTES, PROTO_PUSH_MAX_BYTES);
	l->push_changes = (size_t)sync_state_limit(s, SYNC_K_PUSH_CHANGES,
	    PROTO_PUSH_MAX_CHANGES, PROTO_PUSH_MAX_CHANGES);
	l->pull_page = sync_state_limit(
	    s, SYNC_K_PULL_PAGE, PROTO_PULL_MAX, PROTO_PULL_MAX);
}

int
sync_limits_put(struct store *s, const struct sync_limits *l)
{
	int err;

	if ((err = sync_state_put_u64(s, SYNC_K_PUSH_BYTES, l->push_bytes)) !=
	        0 ||
	    (err = sync_state_put_u64(
	         s, SYNC_K_PUSH_CHANGES, l->push_changes)) != 0 ||
	    (err = sync_state_put_u64(s, SYNC_K_PULL_PAGE, l->pull_page)) != 0)
		return err;
	return 0;
}

int
sync_sip_get(struct store *s, char **user, char **password, char **registrar)
{
	int err;

	*user = *password = *registrar = NULL;
	if ((err = sync_state_text(s, SYNC_K_SIP_USER, user)) != 0 ||
	    (err = sync_state_text(s, SYNC_K_SIP_PASSWORD, password)) != 0 ||
	    (err = sync_state_text(s, SYNC_K_SIP_REGISTRAR, registrar)) != 0) {
		free(*user);
		if (*password != NULL)
			xfree_secret_str(*password);
		free(*registrar);
		*user = *password = *registrar = NULL;
	}
	return err;
}

char *
sync_sip_turn(struct store *s)
{
	char *turn = NULL, *uri = NULL;

	if (sync_state_text(s, SYNC_K_SIP_TURN, &turn) == 0 && turn[0] != '\0')
		xasprintf(&uri, "turn:%s", turn);
	free(turn);
	return uri;
}
