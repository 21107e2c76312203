/*
 * kiosk/store/licence.c (issue 14): the kiosk keeps the last good licence
 * snapshot (a flipped byte, another key and an older version are refused
 * and audited, the one held stays), and its gate: a refusal in words, a
 * note after a lapse kept and flagged licence_lapsed, every act on a
 * snapshot past its not_after flagged for re-check, nothing blocked when
 * no snapshot is held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "kiosk/store/licstore.h"
#include "kiosk/store/store.h"
#include "licence.h"
#include "test.h"
#include "xmalloc.h"

#define DAY (24 * 3600 * 1000LL)

static const uint8_t key[32] = { 7, 7, 7 };

static int64_t
now_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

static uint8_t *
seal(const uint8_t priv[32], uint64_t version, int64_t not_after, size_t *len)
{
	struct licence_set s = { 0 };
	struct licence l;
	uint8_t *out = NULL;

	snprintf(s.region, sizeof(s.region), "north");
	s.version = version;
	s.issued = now_ms() - DAY;
	s.not_after = not_after;
	memset(&l, 0, sizeof(l));
	snprintf(l.regulator, sizeof(l.regulator), "MMDC");
	snprintf(l.cadre, sizeof(l.cadre), "medical officer");
	snprintf(l.juris, sizeof(l.juris), "north");
	l.scope = LIC_SCOPE_ALL;
	l.valid_from = now_ms() - 365 * DAY;
	l.valid_to = now_ms() + 365 * DAY;
	snprintf(l.regno, sizeof(l.regno), "A1");
	licence_set_add(&s, &l);
	snprintf(l.regno, sizeof(l.regno), "R1");
	l.status = LIC_STATUS_REVOKED;
	licence_set_add(&s, &l);
	if (licence_snapshot_seal(&s, priv, &out, len) != 0)
		out = NULL;
	licence_set_clear(&s);
	return out;
}

static int
test_snapshot_kept(void)
{
	struct store *s = NULL;
	struct store_licence_info info;
	struct licence_verdict v;
	uint8_t priv[32], pub[32], opriv[32], opub[32];
	uint8_t *v1 = NULL, *v2 = NULL, *v3 = NULL, *other = NULL;
	size_t l1, l2, l3, lo;
	char *d = test_tmpdir("licstore"), *cause = NULL, *flags = NULL;
	int64_t far = now_ms() + 7 * DAY;
	int err = 0;

	TEST_TRUE(d != NULL);
	TEST_ERR(store_open(d, key, 1, &s));
	TEST_ERR(crypto_ed25519_keygen(priv, pub));
	TEST_ERR(crypto_ed25519_keygen(opriv, opub));
	TEST_TRUE((v1 = seal(priv, 1, far, &l1)) != NULL);
	TEST_TRUE((v2 = seal(priv, 2, far, &l2)) != NULL);
	TEST_TRUE((v3 = seal(priv, 3, now_ms() - 1000, &l3)) != NULL);
	TEST_TRUE((other = seal(opriv, 9, far, &lo)) != NULL);

	/* nothing held: nothing blocked here (the server re-checks) */
	TEST_ERR(store_licence_gate(
	    s, "R1", LIC_ACT_CONSULT, NULL, now_ms(), &v, &cause));
	TEST_EQ(v.permitted, 1);
	TEST_ERR(store_licence_info(s, &info));
	TEST_EQ(info.held, 0);

	/* a flipped byte anywhere, another key: refused, nothing kept */
	for (size_t i = 0; i < l2; i += 5) {
		v2[i] ^= 0x10;
		if (store_licence_put(s, v2, l2, pub, now_ms()) == 0)
			TEST_FAILED("byte %zu flipped was kept", i);
		v2[i] ^= 0x10;
	}
	TEST_EQ(store_licence_put(s, other, lo, pub, now_ms()), EBADMSG);
	TEST_ERR(store_licence_info(s, &info));
	TEST_EQ(info.held, 0);

	/* version 2 kept; 1 refused (no rollback); 2 again: nothing to do */
	TEST_ERR(store_licence_put(s, v2, l2, pub, now_ms()));
	TEST_EQ(store_licence_put(s, v1, l1, pub, now_ms()), ESTALE);
	TEST_EQ(store_licence_put(s, v2, l2, pub, now_ms()), EALREADY);
	v2[l2 / 2] ^= 1;
	TEST_EQ(store_licence_put(s, v2, l2, pub, now_ms()), EBADMSG);
	TEST_ERR(store_licence_info(s, &info));
	TEST_EQ(info.held, 1);
	TEST_EQ(info.version, 2);
	TEST_EQ(info.n, 2);
	TEST_STR(info.region, "north");

	/* the gate on it */
	TEST_ERR(store_licence_gate(
	    s, "A1", LIC_ACT_CONSULT, "c-1", now_ms(), &v, &cause));
	TEST_EQ(v.permitted, 1);
	TEST_EQ(cause, NULL);
	TEST_EQ(store_licence_gate(
	            s, "R1", LIC_ACT_CONSULT, "c-2", now_ms(), &v, &cause),
	    EACCES);
	TEST_TRUE(cause != NULL && strstr(cause, "revoked") != NULL);
	free(cause);
	cause = NULL;
	TEST_EQ(store_licence_gate(
	            s, "Z9", LIC_ACT_PRESCRIBE, "c-2", now_ms(), &v, &cause),
	    EACCES);
	TEST_TRUE(
	    cause != NULL && strstr(cause, "No licence is known") != NULL);
	free(cause);
	cause = NULL;
	/* a note is never refused: kept, flagged */
	TEST_ERR(store_licence_gate(
	    s, "R1", LIC_ACT_NOTE, "c-2", now_ms(), &v, &cause));
	TEST_EQ(v.lapsed, 1);
	TEST_ERR(store_licence_flags(s, "c-2", &flags));
	TEST_STR(flags, "licence_lapsed note revoked\n");
	free(flags);
	flags = NULL;
	TEST_ERR(store_licence_flags(s, "c-1", &flags));
	TEST_STR(flags, "");
	free(flags);
	flags = NULL;

	/* past not_after: still refuses what it refuses, flags the rest */
	TEST_ERR(store_licence_put(s, v3, l3, pub, now_ms()));
	for (int a = 0; a < LIC_ACTS; a++) {
		TEST_ERR(store_licence_gate(
		    s, "A1", a, "c-3", now_ms(), &v, &cause));
		TEST_EQ(v.recheck, 1);
	}
	TEST_ERR(store_licence_flags(s, "c-3", &flags));
	TEST_STR(flags,
	    "recheck book active\nrecheck consult active\n"
	    "recheck note active\nrecheck prescribe active\n"
	    "recheck refer active\nrecheck claim active\n");
	/* the audit chain holds the refusals and flags */
	free(flags);
	flags = NULL;
	TEST_ERR(store_check(s, &flags));
out:
	free(cause);
	free(flags);
	free(v1);
	free(v2);
	free(v3);
	free(other);
	store_close(s);
	test_rmdir(d);
	return err;
}

TEST_MAIN({ "snapshot_kept", test_snapshot_kept })
