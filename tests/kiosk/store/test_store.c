/*
 * The kiosk store: keys, migrations, outbox and audit invariants, tamper
 * detection, encrypted attachments, lookups, drafts, and I/O fault loops
 * through a failing VFS (tests/kiosk/store/faultvfs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "faultvfs.h"
#include "kiosk/kctx.h"
#include "kiosk/store/keyring.h"
#include "kiosk/store/store_int.h"
#include "model.h"
#include "record.h"
#include "test.h"
#include "xmalloc.h"

static char tmpl[] = "/tmp/outpost-store-XXXXXX";
/* A cheap Argon2id cost: these tests are about the store, not the KDF. */
static const struct keyring_kdf test_kdf = { 1, 64, 1 };

static char *
tmpdir(void)
{
	char *d = xstrdup(tmpl);

	if (mkdtemp(d) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static void
rmdir_r(char *d)
{
	char cmd[512];

	if (d == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
	free(d);
}

static int
add_patient(struct store *s, const char *given, const char *family,
    char id[UUID_STRLEN + 1])
{
	struct store_patient p = { 0 };
	char *cause = NULL;
	int err;

	p.given = (char *)given;
	p.family = (char *)family;
	p.sex = (char *)"female";
	p.birth_date = (char *)"1990-05-01";
	err = store_patient_add(s, &p, NULL, &cause);
	free(cause);
	if (err == 0 && id != NULL)
		memcpy(id, p.id, UUID_STRLEN + 1);
	return err;
}

static int
save_encounter(struct store *s, const char *patient)
{
	struct store_encounter e = { 0 };
	struct store_obs o[3] = {
		{ .loinc = "59408-5", .value = 97, .unit = "%" },
		{ .loinc = "8867-4", .value = 72, .unit = "/min" },
		{ .loinc = "8310-5", .value = 36.8, .unit = "Cel" },
	};

	snprintf(e.patient_id, sizeof(e.patient_id), "%s", patient);
	e.reason = (char *)"test";
	return store_encounter_save(s, &e, o, 3);
}

static uint64_t
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t n = (uint64_t)-1;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return n;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
test_key_and_roundtrip(void)
{
	struct store *s = NULL;
	struct store_patient p = { 0 };
	struct store_obs *o = NULL;
	struct store_change *c = NULL;
	uint8_t key[32], bad[32];
	char pid[UUID_STRLEN + 1], *d = tmpdir();
	size_t n = 0, nc = 0;
	int err = 0;

	crypto_random(key, 32);
	memcpy(bad, key, 32);
	bad[0] ^= 1;
	TEST_EQ(store_open(d, key, 0, &s), ENOENT); /* no database yet */
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Amina", "Otieno", pid));
	TEST_ERR(save_encounter(s, pid));
	store_close(s);
	s = NULL;
	TEST_EQ(store_open(d, bad, 0, &s), EACCES);
	TEST_ERR(store_open(d, key, 0, &s));
	TEST_ERR(store_patient_get(s, pid, &p));
	TEST_STR(p.given, "Amina");
	TEST_EQ(count(s, "SELECT count(*) FROM observations"), 3);
	TEST_ERR(store_outbox_read(s, 0, 100, &c, &nc));
	/* node? no: patient, encounter, 3 observations */
	TEST_EQ(nc, 5);
	TEST_EQ(c[0].entity, REC_PATIENT);
	TEST_EQ(c[1].entity, REC_ENCOUNTER);
	TEST_EQ(c[4].entity, REC_OBSERVATION);
	TEST_TRUE(c[0].hlc < c[1].hlc && c[1].hlc < c[4].hlc);
	TEST_TRUE(cborx_is_canonical(c[0].body, c[0].len));
	store_outbox_free(c, nc);
	c = NULL;
	TEST_ERR(store_obs_list(s, "no-such", &o, &n));
	TEST_EQ(n, 0);
out:
	store_outbox_free(c, nc);
	store_obs_free_array(o, n);
	store_patient_clear(&p);
	store_close(s);
	rmdir_r(d);
	return err;
}

static char *
schema_dump(struct store *s)
{
	struct buf b;
	sqlite3_stmt *st;

	buf_init(&b, 1 << 20);
	sqlite3_prepare_v2(store_db(s),
	    "SELECT type, name, tbl_name, sql "
	    "FROM sqlite_master ORDER BY type, name",
	    -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(&b, "%s|%s|%s|%s\n", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
		    sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	buf_printf(&b, "version %d\n", store_schema_version(s));
	return buf_take_str(&b);
}

static int
test_migrations_identical(void)
{
	struct store *s = NULL;
	uint8_t key[32];
	char *a = tmpdir(), *b = tmpdir(), *fresh = NULL, *upgraded = NULL;
	char pid[UUID_STRLEN + 1];
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open_at(a, key, 1, 1, &s)); /* an old kiosk: v1 */
	TEST_EQ(store_schema_version(s), 1);
	TEST_ERR(add_patient(s, "Kofi", "Mensah", pid));
	store_close(s);
	s = NULL;
	TEST_ERR(store_open(a, key, 0, &s)); /* upgraded */
	TEST_EQ(store_schema_version(s), store_schema_latest());
	upgraded = schema_dump(s);
	TEST_EQ(count(s, "SELECT count(*) FROM patients"), 1);
	store_close(s);
	s = NULL;
	TEST_ERR(store_open(b, key, 1, &s)); /* fresh */
	fresh = schema_dump(s);
	TEST_STR(upgraded, fresh);
out:
	free(fresh);
	free(upgraded);
	store_close(s);
	rmdir_r(a);
	rmdir_r(b);
	return err;
}

static int
test_soft_delete_only(void)
{
	struct store *s = NULL;
	uint8_t key[32];
	char pid[UUID_STRLEN + 1], *d = tmpdir();
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Juma", "Wafula", pid));
	TEST_TRUE(sqlite3_exec(store_db(s), "DELETE FROM patients", NULL, NULL,
	              NULL) != SQLITE_OK);
	TEST_TRUE(sqlite3_exec(store_db(s), "DELETE FROM outbox", NULL, NULL,
	              NULL) != SQLITE_OK);
	TEST_TRUE(sqlite3_exec(store_db(s), "UPDATE audit SET action = 'x'",
	              NULL, NULL, NULL) != SQLITE_OK);
	TEST_EQ(count(s, "SELECT count(*) FROM patients"), 1);
out:
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_outbox_only_for_committed(void)
{
	struct store *s = NULL;
	struct store_patient p = { 0 };
	uint64_t before, after;
	uint8_t key[32];
	char *cause = NULL, *d = tmpdir();
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_outbox_last(s, &before));
	p.given = (char *)"Esi";
	p.family = (char *)"Owusu";
	p.birth_date = (char *)"2031-01-01"; /* future: refused */
	TEST_EQ(store_patient_add(s, &p, NULL, &cause), EINVAL);
	TEST_TRUE(cause != NULL && strstr(cause, "birth date") != NULL);
	free(cause);
	cause = NULL;
	p.birth_date = (char *)"1988";
	TEST_ERR(store_patient_add(s, &p, "key-1", &cause));
	TEST_EQ(store_patient_add(s, &p, "key-1", &cause), EEXIST);
	TEST_EQ(save_encounter(s, "00000000-0000-7000-8000-000000000000"),
	    ENOENT); /* no such patient: nothing half-written */
	TEST_ERR(store_outbox_last(s, &after));
	TEST_EQ(after, before + 1);
	TEST_EQ(count(s, "SELECT count(*) FROM encounters"), 0);
out:
	free(cause);
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_audit_tamper_named(void)
{
	struct store *s = NULL;
	struct keyring *k = NULL;
	uint8_t key[32];
	char pid[UUID_STRLEN + 1], *d = tmpdir(), *report = NULL, cmd[600];
	char line[512];
	const char *b = getenv("OUTPOST_BUILD");
	FILE *p = NULL;
	int err = 0, named = 0, rc;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_user_add(s, "admin", STORE_ROLE_ADMIN, NULL));
	TEST_ERR(add_patient(s, "Halima", "Diallo", pid));
	TEST_ERR(save_encounter(s, pid));
	TEST_ERR(store_check(s, &report));
	TEST_TRUE(strstr(report, "audit chain: ok") != NULL);
	free(report);
	report = NULL;
	/* Someone with the key edits one byte of entry 3's content. */
	TEST_EQ(sqlite3_exec(store_db(s),
	            "DROP TRIGGER audit_no_update;"
	            "UPDATE audit SET action = 'vieW' WHERE seq = 3",
	            NULL, NULL, NULL),
	    SQLITE_OK);
	TEST_EQ(store_check(s, &report), EBADMSG);
	TEST_TRUE(strstr(report, "entry 3 was altered") != NULL);
	free(report);
	report = NULL;
	store_close(s);
	s = NULL;
	/* The same through the command a support person runs. */
	if (b == NULL)
		goto out;
	k = keyring_new(d, 5, 0);
	TEST_ERR(keyring_put_user(k, "admin", "tamper-pass", key, &test_kdf));
	TEST_ERR(keyring_save(k));
	snprintf(cmd, sizeof(cmd),
	    "echo tamper-pass | %s/kiosk --data %s "
	    "--passphrase-fd 0 db check 2>&1",
	    b, d);
	TEST_TRUE((p = popen(cmd, "r")) != NULL);
	while (fgets(line, sizeof(line), p) != NULL)
		if (strstr(line, "audit: entry 3 was altered") != NULL)
			named = 1;
	rc = pclose(p);
	p = NULL;
	TEST_TRUE(named);
	TEST_TRUE(rc != 0);
out:
	if (p != NULL)
		pclose(p);
	keyring_free(k);
	free(report);
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_attachments_encrypted(void)
{
	struct store *s = NULL;
	static const char secret[] = "ECG strip of patient Wanjiru Kamau";
	uint8_t key[32], *data = NULL, *raw = NULL;
	char id[UUID_STRLEN + 1], *d = tmpdir(), cmd[512];
	size_t len = 0;
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_attach_put(
	    s, "encounter", "e1", "text/plain", secret, sizeof(secret), id));
	TEST_ERR(store_attach_get(s, id, &data, &len));
	TEST_EQ(len, sizeof(secret));
	TEST_MEM(data, secret, len);
	/* nothing readable on disk */
	snprintf(cmd, sizeof(cmd), "grep -rqa Wanjiru '%s'", d);
	TEST_TRUE(system(cmd) != 0);
	/* a flipped bit in the blob is detected */
	snprintf(cmd, sizeof(cmd),
	    "f=$(ls '%s/blobs'/* | head -n1); "
	    "printf '\\x00' | dd of=\"$f\" bs=1 seek=20 conv=notrunc "
	    "2>/dev/null",
	    d);
	TEST_EQ(system(cmd), 0);
	free(data);
	data = NULL;
	TEST_EQ(store_attach_get(s, id, &data, &len), EBADMSG);
out:
	free(data);
	free(raw);
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_find_typos(void)
{
	struct store *s = NULL;
	struct store_patient *r = NULL;
	uint8_t key[32];
	char a[UUID_STRLEN + 1], *d = tmpdir();
	size_t n = 0;
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Wanjiku", "Kamau", a));
	TEST_ERR(add_patient(s, "Amina", "Otieno", NULL));
	TEST_ERR(store_patient_find(s, "wanjku kamau", 10, &r, &n));
	TEST_EQ(n, 1);
	TEST_STR(r[0].id, a);
	store_patient_free_array(r, n);
	r = NULL;
	TEST_ERR(store_patient_find(s, "1990", 10, &r, &n)); /* birth year */
	TEST_EQ(n, 2);
	store_patient_free_array(r, n);
	r = NULL;
	TEST_ERR(store_patient_find(s, "Zebedee", 10, &r, &n));
	TEST_EQ(n, 0);
	/* each patient shown was audited as viewed */
	TEST_EQ(
	    count(s, "SELECT count(*) FROM audit WHERE action = 'view'"), 3);
out:
	store_patient_free_array(r, n);
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_drafts_then_submit(void)
{
	struct store *s = NULL;
	uint8_t key[32];
	char *d = tmpdir(), *xml = NULL, *fid = NULL;
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(store_form_draft_put(s, "uuid:1", "vitals", NULL, "<a/>"));
	TEST_ERR(store_form_draft_put(s, "uuid:1", "vitals", NULL, "<b/>"));
	TEST_ERR(store_form_draft_get(s, "uuid:1", &fid, &xml));
	TEST_STR(xml, "<b/>");
	free(xml);
	free(fid);
	xml = fid = NULL;
	TEST_ERR(store_form_submit(
	    s, "uuid:1", "vitals", "1", NULL, NULL, "<b>done</b>"));
	TEST_EQ(store_form_draft_get(s, "uuid:1", &fid, &xml), ENOENT);
	TEST_EQ(store_form_submit(
	            s, "uuid:1", "vitals", "1", NULL, NULL, "<b>again</b>"),
	    EEXIST);
	TEST_EQ(count(s, "SELECT count(*) FROM outbox WHERE entity = 6"), 1);
out:
	free(xml);
	free(fid);
	store_close(s);
	rmdir_r(d);
	return err;
}

static int
test_keyring_policy(void)
{
	struct keyring *k = NULL, *k2 = NULL;
	uint8_t key[32], out[32], priv[32], pub[32];
	char *d = tmpdir(), *cause = NULL;
	size_t n;
	int err = 0, i;

	crypto_random(key, 32);
	k = keyring_new(d, 3, 1);
	TEST_EQ(keyring_put_user(k, "chw", "123", key, &test_kdf), EINVAL);
	TEST_ERR(keyring_put_user(k, "chw", "482193", key, &test_kdf));
	TEST_ERR(crypto_x25519_keygen(priv, pub));
	TEST_ERR(keyring_set_recovery(k, pub, key));
	TEST_ERR(keyring_save(k));
	TEST_EQ(keyring_unlock(k, "nobody", "482193", out, &cause), ENOENT);
	free(cause);
	cause = NULL;
	for (i = 0; i < 2; i++) {
		TEST_EQ(keyring_unlock(k, "chw", "0000", out, &cause), EACCES);
		free(cause);
		cause = NULL;
	}
	TEST_EQ(keyring_unlock(k, "chw", "0000", out, &cause), EPERM);
	free(cause);
	cause = NULL;
	/* locked: even the right PIN is refused, and that survives a reload */
	TEST_ERR(keyring_load(d, &k2));
	TEST_EQ(keyring_unlock(k2, "chw", "482193", out, &cause), EPERM);
	free(cause);
	cause = NULL;
	keyring_failures(k2, &n);
	TEST_EQ(n, 4); /* unknown user + 3 wrong PINs, all recorded */
	/* administrator recovery with the region key */
	TEST_ERR(keyring_recover(k2, priv, out));
	TEST_MEM(out, key, 32);
	TEST_ERR(keyring_reset_failures(k2, "chw"));
	TEST_ERR(keyring_unlock(k2, "chw", "482193", out, &cause));
	TEST_MEM(out, key, 32);
	crypto_random(priv, 32);
	TEST_EQ(keyring_recover(k2, priv, out), EBADMSG);
out:
	free(cause);
	keyring_free(k);
	keyring_free(k2);
	rmdir_r(d);
	return err;
}

/* Failed unlocks recorded in the keyring land in the audit log at the
 * next successful unlock, and leave the keyring. */
static int
test_failures_audited(void)
{
	struct keyring *k = NULL;
	struct store *s = NULL;
	uint8_t key[32], out[32];
	char *d = tmpdir(), *cause = NULL;
	size_t n;
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	k = keyring_new(d, 5, 0);
	TEST_ERR(keyring_put_user(k, "chw", "482193", key, &test_kdf));
	TEST_EQ(keyring_unlock(k, "chw", "0000", out, &cause), EACCES);
	free(cause);
	cause = NULL;
	TEST_EQ(keyring_unlock(k, "ghost", "0000", out, &cause), ENOENT);
	kctx_audit_failures(s, k);
	TEST_EQ(count(s,
	            "SELECT count(*) FROM audit WHERE action = "
	            "'login-failed' AND entity_id IN ('chw', 'ghost')"),
	    2);
	keyring_failures(k, &n);
	TEST_EQ(n, 0);
out:
	free(cause);
	keyring_free(k);
	store_close(s);
	rmdir_r(d);
	return err;
}

/*
 * I/O fault loop: make the Nth write/sync fail (once, then persistently)
 * while saving an encounter.  Each run must end with a clean errno and a
 * database that checks out and holds exactly what was reported saved.
 */
static int
fault_loop(int code, int persistent, int *points)
{
	struct store *s = NULL;
	uint8_t key[32];
	uint64_t expect = 0, have;
	char pid[UUID_STRLEN + 1], *d = tmpdir(), *report = NULL;
	int err = 0, n, r;

	crypto_random(key, 32);
	faultvfs_register();
	store_test_vfs = "faultvfs";
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Neema", "Chebet", pid));
	for (n = 0; n < 200; n++) {
		faultvfs_arm(n, code, persistent);
		r = save_encounter(s, pid);
		faultvfs_disarm();
		if (r == 0)
			expect++;
		else if (r != ENOSPC && r != EIO)
			TEST_FAILED("fault %d gave %s, not a clear errno", n,
			    strerror(r));
		(*points)++;
		/* reopen: what the next run of the kiosk would see */
		store_close(s);
		s = NULL;
		TEST_ERR(store_open(d, key, 0, &s));
		have = count(s, "SELECT count(*) FROM encounters");
		if (have != expect)
			TEST_FAILED("fault at op %d (%s): reported %s, %llu "
			            "encounters stored, %llu expected",
			    n, persistent ? "persistent" : "once",
			    r ? strerror(r) : "saved", (unsigned long long)have,
			    (unsigned long long)expect);
		if (count(s, "SELECT count(*) FROM observations") != 3 * expect)
			TEST_FAILED("half-written encounter after fault %d", n);
		if (store_check(s, &report) != 0)
			TEST_FAILED("check after fault %d: %s", n, report);
		free(report);
		report = NULL;
		if (faultvfs.failed == 0)
			break; /* the save no longer reaches op N */
	}
	TEST_TRUE(n > 3);
out:
	faultvfs_disarm();
	free(report);
	store_close(s);
	store_test_vfs = NULL;
	rmdir_r(d);
	return err;
}

static int
test_io_faults(void)
{
	int err = 0, points = 0;

	TEST_ERR(fault_loop(SQLITE_FULL, 0, &points));
	TEST_ERR(fault_loop(SQLITE_FULL, 1, &points));
	TEST_ERR(fault_loop(SQLITE_IOERR_WRITE, 0, &points));
	TEST_ERR(fault_loop(SQLITE_IOERR_WRITE, 1, &points));
	printf("# %d injection points\n", points);
out:
	return err;
}

static int
test_readonly_medium(void)
{
	struct store *s = NULL;
	uint8_t key[32];
	char pid[UUID_STRLEN + 1], *d = tmpdir(), *report = NULL;
	int err = 0, r;

	crypto_random(key, 32);
	faultvfs_register();
	store_test_vfs = "faultvfs";
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Faith", "Wekesa", pid));
	store_close(s);
	s = NULL;
	faultvfs.readonly = 1;
	r = store_open(d, key, 0, &s);
	if (r == 0) {
		r = save_encounter(s, pid);
		store_close(s);
		s = NULL;
	}
	faultvfs_disarm();
	TEST_TRUE(r == EROFS || r == EACCES || r == EIO);
	TEST_ERR(store_open(d, key, 0, &s));
	TEST_EQ(count(s, "SELECT count(*) FROM patients"), 1);
	TEST_EQ(count(s, "SELECT count(*) FROM encounters"), 0);
	TEST_ERR(store_check(s, &report));
out:
	faultvfs_disarm();
	free(report);
	store_close(s);
	store_test_vfs = NULL;
	rmdir_r(d);
	return err;
}

/* Two connections (UI and sync thread): a change one of them stamps after
 * the other merged a later clock must sort after it. */
static int
test_hlc_across_connections(void)
{
	struct store *a = NULL, *b = NULL;
	struct store_change *c = NULL;
	uint64_t far, last = 0;
	uint8_t key[32];
	char *d = tmpdir();
	size_t n = 0;
	int err = 0;

	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &a));
	TEST_ERR(store_open(d, key, 0, &b));
	/* +20 h: within the drift bound (further is not merged, test_hlc) */
	far = HLC_MAKE(hlc_wall_ms() + 3600000ull * 20, 0);
	store_hlc_merge(a, far);
	TEST_ERR(add_patient(a, "Sync", "Pulled", NULL));
	TEST_ERR(add_patient(b, "Local", "Edit", NULL)); /* b's clock is old */
	TEST_ERR(store_outbox_read(b, 0, 10, &c, &n));
	TEST_EQ(n, 2);
	TEST_TRUE(c[0].hlc > far);
	TEST_TRUE(c[1].hlc > c[0].hlc);
	store_outbox_free(c, n);
	c = NULL;
	store_close(b);
	b = NULL;
	store_close(a);
	a = NULL;
	TEST_ERR(store_open(d, key, 0, &a)); /* and it survives a reopen */
	TEST_ERR(add_patient(a, "After", "Reopen", NULL));
	TEST_ERR(store_outbox_read(a, 2, 10, &c, &n));
	TEST_EQ(n, 1);
	TEST_ERR(store_outbox_last(a, &last));
	TEST_EQ(last, 3);
	TEST_TRUE(c[0].hlc > far);
out:
	store_outbox_free(c, n);
	store_close(a);
	store_close(b);
	rmdir_r(d);
	return err;
}

/* Apply pulled record R on S in its own page. */
static int
pull_one(struct store *s, const struct model_rec *r)
{
	int changed = 0, err;

	if ((err = store_pull_begin(s)) != 0)
		return err;
	err = store_pull_apply(s, r, 7, 1, &changed);
	return store_pull_end(
	    s, err, "test-cursor", (const uint8_t *)"c", 1, r->hlc);
}

/* Issue 10, item 8: a merge is one record (row, outbox change, audit
 * entry); the duplicate leaves search and reads as the survivor; merging
 * again changes nothing; and pulled, the merge gives the same result
 * before or after the patients it names, applied once or twice. */
static int
test_merge(void)
{
	struct store *s = NULL, *t = NULL, *u = NULL;
	struct store_patient *r = NULL, p = { 0 }, typed = { 0 };
	struct model_rec m, m2, pa, pb;
	uint8_t key[32];
	char a[UUID_STRLEN + 1], b[UUID_STRLEN + 1];
	char enc[UUID_STRLEN + 1], open[UUID_STRLEN + 1];
	char *d = tmpdir(), *e = tmpdir(), *f = tmpdir();
	size_t n = 0;
	int err = 0, i;

	memset(&m, 0, sizeof(m));
	memset(&m2, 0, sizeof(m2));
	crypto_random(key, 32);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(add_patient(s, "Zawadi", "Achieng", a));
	TEST_ERR(add_patient(s, "Zawdi", "Achieng", b));
	TEST_ERR(save_encounter(s, b));
	TEST_ERR(store_encounter_open(s, b, "self check-in: fever", enc));
	/* the rule registration and check-in share: one typo is a match */
	typed.given = (char *)"Zawadii";
	typed.family = (char *)"Achieng";
	typed.birth_date = (char *)"1990";
	TEST_ERR(store_patient_duplicate(s, &typed, &p));
	store_patient_clear(&p);
	typed.birth_date = (char *)"1991"; /* another year: not */
	TEST_EQ(store_patient_duplicate(s, &typed, &p), ENOENT);
	TEST_ERR(store_dup_flag(s, b, a, "test"));

	TEST_ERR(store_patient_merge(s, a, b, "same person"));
	TEST_EQ(count(s, "SELECT count(*) FROM merges"), 1);
	TEST_EQ(count(s, "SELECT count(*) FROM outbox WHERE entity = 15"), 1);
	TEST_EQ(
	    count(s, "SELECT count(*) FROM audit WHERE action = 'merge'"), 1);
	TEST_EQ(count(s,
	            "SELECT count(*) FROM dup_suspects"
	            " WHERE resolution = 'merged'"),
	    1);
	TEST_ERR(store_patient_find(s, "Achieng", 10, &r, &n));
	TEST_EQ(n, 1);
	TEST_STR(r[0].id, a);
	store_patient_free_array(r, n);
	r = NULL;
	n = 0;
	TEST_ERR(store_patient_get(s, b, &p)); /* reads as the survivor */
	TEST_STR(p.given, "Zawadi");
	store_patient_clear(&p);
	/* the duplicate's open visit is the survivor's */
	TEST_ERR(store_encounter_open_today(s, a, open));
	TEST_STR(open, enc);
	TEST_EQ(store_patient_merge(s, b, a, "again"), EEXIST);
	TEST_EQ(store_patient_merge(s, a, "no-such-id", "x"), ENOENT);
	TEST_EQ(count(s, "SELECT count(*) FROM outbox WHERE entity = 15"), 1);

	/* pulled on another kiosk: the merge first, twice, then the
	 * patients */
	model_rec_init(&m, model_entity(REC_MERGE),
	    "0190aaaa-0000-7000-8000-"
	    "000000000001",
	    100, NULL);
	model_set_text(&m, REC_MERGE_SURVIVOR, a);
	model_set_text(&m, REC_MERGE_DUPLICATE, b);
	model_rec_init(&pa, model_entity(REC_PATIENT), a, 50, NULL);
	model_set_text(&pa, REC_PAT_GIVEN, "Zawadi");
	model_set_text(&pa, REC_PAT_FAMILY, "Achieng");
	model_rec_init(&pb, model_entity(REC_PATIENT), b, 60, NULL);
	model_set_text(&pb, REC_PAT_GIVEN, "Zawdi");
	model_set_text(&pb, REC_PAT_FAMILY, "Achieng");
	TEST_ERR(store_open(e, key, 1, &t));
	for (i = 0; i < 2; i++)
		TEST_ERR(pull_one(t, &m));
	TEST_ERR(pull_one(t, &pb));
	TEST_ERR(pull_one(t, &pa));
	TEST_EQ(count(t, "SELECT count(*) FROM merges"), 1);
	TEST_EQ(count(t, "SELECT count(*) FROM patients"), 2);
	TEST_ERR(store_patient_find(t, "Achieng", 10, &r, &n));
	TEST_EQ(n, 1);
	TEST_STR(r[0].id, a);
	TEST_ERR(store_patient_get(t, b, &p));
	TEST_STR(p.given, "Zawadi");
	store_patient_clear(&p);
	store_patient_free_array(r, n);
	r = NULL;
	n = 0;
	/* the same pair merged the other way at once on another kiosk
	 * (later HLC): the earlier merge stays in force, in either order */
	model_rec_init(&m2, model_entity(REC_MERGE),
	    "0190aaaa-0000-7000-8000-000000000002", 200, NULL);
	model_set_text(&m2, REC_MERGE_SURVIVOR, b);
	model_set_text(&m2, REC_MERGE_DUPLICATE, a);
	TEST_ERR(pull_one(t, &m2));
	TEST_ERR(store_open(f, key, 1, &u));
	TEST_ERR(pull_one(u, &pa));
	TEST_ERR(pull_one(u, &pb));
	TEST_ERR(pull_one(u, &m2));
	TEST_ERR(pull_one(u, &m));
	for (i = 0; i < 2; i++) {
		TEST_ERR(store_patient_find(i ? u : t, "Achieng", 10, &r, &n));
		TEST_EQ(n, 1);
		TEST_STR(r[0].id, a);
		store_patient_free_array(r, n);
		r = NULL;
		n = 0;
		TEST_ERR(store_patient_get(i ? u : t, a, &p));
		TEST_STR(p.given, "Zawadi");
		store_patient_clear(&p);
	}
out:
	store_patient_clear(&p);
	store_patient_free_array(r, n);
	store_close(s);
	store_close(t);
	store_close(u);
	rmdir_r(d);
	rmdir_r(e);
	rmdir_r(f);
	return err;
}

TEST_MAIN({ "key_and_roundtrip", test_key_and_roundtrip },
    { "hlc_across_connections", test_hlc_across_connections },
    { "migrations_identical", test_migrations_identical },
    { "soft_delete_only", test_soft_delete_only },
    { "outbox_only_for_committed", test_outbox_only_for_committed },
    { "audit_tamper_named", test_audit_tamper_named },
    { "attachments_encrypted", test_attachments_encrypted },
    { "find_typos", test_find_typos }, { "merge", test_merge },
    { "drafts_then_submit", test_drafts_then_submit },
    { "keyring_policy", test_keyring_policy },
    { "failures_audited", test_failures_audited },
    { "io_faults", test_io_faults },
    { "readonly_medium", test_readonly_medium })
