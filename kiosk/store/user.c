/*
 * Users of this kiosk (CHW, clinician, administrator).  Their passphrases
 * live in the keyring, not here; this table is who they are and their
 * role, synced like any record.
 */
#define LOG_MODULE "store"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "record.h"
#include "store_int.h"
#include "xmalloc.h"

int
store_user_add(
    struct store *s, const char *name, int role, struct store_user *out)
{
	char id[UUID_STRLEN + 1];
	struct model_rec r;
	uint64_t hlc;
	int err;

	if (name[0] == '\0' || strlen(name) > 64 || role < STORE_ROLE_CHW ||
	    role > STORE_ROLE_REGIONAL_ADMIN)
		return EINVAL;
	store_new_id(id);
	if ((err = store_tx_begin(s)) != 0)
		return err;
	hlc = store_hlc_now(s);
	store_rec_init(s, &r, REC_USER, id, hlc);
	model_set_text(&r, REC_USER_NAME, name);
	model_set_uint(&r, REC_USER_ROLE, (uint64_t)role);
	if ((err = store_row_insert(s, &r, NULL, 0)) != 0)
		goto out;
	if ((err = store_outbox_put(s, &r)) != 0)
		goto out;
	err =
	    store_audit_append(s, "create", "user", id, store_role_name(role));
out:
	err = store_tx_end(s, err);
	if (err == 0 && out != NULL)
		err = store_user_get(s, name, out);
	return err;
}

int
store_user_set_lang(struct store *s, const char *name, const char *lang)
{
	struct store_user u;
	struct model_rec r;
	int err, n = 0, i;

	for (i = 0; i18n_langs[i] != NULL; i++)
		if (strcmp(lang, i18n_langs[i]) == 0)
			break;
	if (i18n_langs[i] == NULL)
		return EINVAL;
	memset(&u, 0, sizeof(u));
	if ((err = store_user_get(s, name, &u)) != 0)
		return err;
	if ((err = store_tx_begin(s)) != 0)
		goto done;
	/* only the changed field travels: the merge is per field */
	store_rec_init(s, &r, REC_USER, u.id, store_hlc_now(s));
	model_set_text(&r, REC_USER_LANG, lang);
	err = store_row_update(s, &r, "deleted = 0", &n);
	if (err == 0 && n != 1)
		err = ENOENT;
	if (err == 0)
		err = store_outbox_put(s, &r);
	if (err == 0)
		err = store_audit_append(s, "change", "user", u.id, "lang");
	err = store_tx_end(s, err);
done:
	store_user_clear(&u);
	return err;
}

static void
store_user_from_row(sqlite3_stmt *st, struct store_user *u)
{
	const unsigned char *id = sqlite3_column_text(st, 0);

	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "%s", id ? (const char *)id : "");
	u->name = store_col_text(st, 1);
	u->role = sqlite3_column_int(st, 2);
	u->disabled = sqlite3_column_int(st, 3);
	u->created_ms = (uint64_t)sqlite3_column_int64(st, 4);
	u->lang = store_col_text(st, 5);
}

int
store_user_get(struct store *s, const char *name, struct store_user *u)
{
	sqlite3_stmt *st;
	int rc, err;

	if ((err = store_prepare(s,
	         "SELECT id, name, role, disabled, "
	         "created_ms, lang FROM users WHERE name = ? AND deleted = 0",
	         &st)) != 0)
		return err;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_user_from_row(st, u);
	else
		err = rc == SQLITE_DONE ? ENOENT : store_err(s, rc, "user get");
	sqlite3_finalize(st);
	return err;
}

int
store_user_list(struct store *s, struct store_user **out, size_t *n)
{
	struct store_user *u = NULL;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc, err;

	*out = NULL;
	*n = 0;
	if ((err = store_prepare(s,
	         "SELECT id, name, role, disabled, "
	         "created_ms, lang FROM users WHERE deleted = 0 ORDER BY name",
	         &st)) != 0)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		u = xreallocarray(u, cnt + 1, sizeof(*u));
		store_user_from_row(st, &u[cnt++]);
	}
	if (rc != SQLITE_DONE) {
		err = store_err(s, rc, "user list");
		store_user_free_array(u, cnt);
		u = NULL;
		cnt = 0;
	}
	sqlite3_finalize(st);
	*out = u;
	*n = cnt;
	return err;
}

void
store_user_clear(struct store_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	u->name = NULL;
	free(u->lang);
	u->lang = NULL;
}

void
store_user_free_array(struct store_user *u, size_t n)
{
	size_t i;

	for (i = 0; u != NULL && i < n; i++)
		store_user_clear(&u[i]);
	free(u);
}
