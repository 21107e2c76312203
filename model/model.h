/*
 * The domain model: one descriptor per syncable entity, listing each field
 * once as { CBOR key (record.h), SQL column, type, mutable }, and the pure
 * functions every program builds on it: encode a record into its
 * deterministic CBOR body, decode a body back into typed field values, and
 * decide a per-field merge by HLC.
 *
 * A record body is a map with the common keys of record.h (id, hlc, node;
 * "by" is the descriptor field REC_K_BY) and the entity's fields that are
 * set.  The map size is always counted from what is put in it.
 *
 * Nothing here knows SQL, curses, curl or libusb: the kiosk store builds
 * its statements from the column names, the sync code its merge from
 * model_merge_wins().  Adding a field to a descriptor puts it in the
 * store's inserts and updates, on the wire and in the merge.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "record.h"
#include "uuid.h"

enum model_type {
	MODEL_TEXT = 1, /* text */
	MODEL_UINT, /* unsigned integer (at most INT64_MAX) */
	MODEL_INT, /* signed integer */
	MODEL_DOUBLE, /* float */
	MODEL_BYTES, /* byte string */
	MODEL_CBOR, /* any CBOR item, kept as its encoding (column: blob) */
	MODEL_BOOL, /* bool (column: 0/1) */
	MODEL_UUID, /* bytes(16) on the wire, UUID text in the column */
};

/* Bounds on what a body may carry (checked by model_decode). */
#define MODEL_BODY_MAX (16 << 20)
#define MODEL_TEXT_MAX (1 << 20)
#define MODEL_BYTES_MAX (16 << 20)
/* Most fields a descriptor may have. */
#define MODEL_FIELDS_MAX 32

struct model_field {
	uint64_t key; /* record.h key */
	const char *col; /* SQL column */
	int type; /* enum model_type */
	int mutable_; /* merged per field by HLC; 0: set once, at creation */
};

/* A NOT NULL column a partial body may lack, and the SQL value it then
 * takes: MODEL_DEFAULT_MS stands for the milliseconds of the record's HLC. */
struct model_default {
	const char *col;
	const char *sql;
};
#define MODEL_DEFAULT_MS "?ms"

struct model_entity {
	int entity; /* enum rec_entity */
	const char *table; /* SQL table */
	int mutable_; /* merged per field; 0: append-only facts */
	const struct model_field *fields;
	size_t nfields;
	const struct model_default *defaults;
	size_t ndefaults;
};

/* The descriptor of ENTITY, NULL when the model has none. */
const struct model_entity *model_entity(int entity);
/* Index of KEY among E's fields, -1 when E has no such field. */
int model_field_index(const struct model_entity *e, uint64_t key);
/* Tests only: use E instead of the built-in descriptor of E->entity (NULL
 * restores the built-in one of ENTITY).  E is lent and must outlive its use. */
void model_test_override(int entity, const struct model_entity *e);

/* One field's value.  Pointers are lent (set by the caller) or owned by
 * the record (filled in by model_decode). */
struct model_value {
	int set; /* the record carries this field */
	int null; /* carried as CBOR null */
	const char *text; /* MODEL_TEXT; MODEL_UUID as its text form */
	uint64_t u; /* MODEL_UINT */
	int64_t i; /* MODEL_INT, MODEL_BOOL (0/1) */
	double d; /* MODEL_DOUBLE */
	const uint8_t *p; /* MODEL_BYTES; MODEL_CBOR: its encoding */
	size_t len;
};

struct model_rec {
	const struct model_entity *e;
	char id[UUID_STRLEN + 1]; /* REC_K_ID (text when not a UUID) */
	uint64_t hlc; /* REC_K_HLC */
	char node[UUID_STRLEN + 1]; /* REC_K_NODE, "" when absent */
	struct model_value v[MODEL_FIELDS_MAX]; /* in descriptor order */
	/* What model_decode allocated (freed by model_rec_clear). */
	void *own[MODEL_FIELDS_MAX];
	cbor_item_t *item;
};

/* Start an empty record of E with the common keys.  ID and NODE may be
 * NULL. */
void model_rec_init(struct model_rec *, const struct model_entity *e,
    const char *id, uint64_t hlc, const char *node);
/* Free what model_decode allocated; the record is then empty. */
void model_rec_clear(struct model_rec *);

/*
 * Set field KEY.  A NULL text/uuid/bytes leaves the field unset (an absent
 * optional value).  ENOENT: E has no such field; EINVAL: the field has
 * another type.
 */
int model_set_text(struct model_rec *, uint64_t key, const char *);
int model_set_uuid(struct model_rec *, uint64_t key, const char *);
int model_set_uint(struct model_rec *, uint64_t key, uint64_t);
int model_set_int(struct model_rec *, uint64_t key, int64_t);
int model_set_double(struct model_rec *, uint64_t key, double);
int model_set_bool(struct model_rec *, uint64_t key, int);
int model_set_bytes(struct model_rec *, uint64_t key, const void *, size_t len);
/* P holds one encoded CBOR item (embedded as the item, not as bytes). */
int model_set_cbor(struct model_rec *, uint64_t key, const void *p, size_t);
/* The value of field KEY when set, else NULL. */
const struct model_value *model_get(const struct model_rec *, uint64_t key);

/*
 * Build the body of R as a CBOR map (the caller's; encode it with
 * cborx_encode for its deterministic bytes).  EINVAL: a UUID field that is
 * not a UUID, or a MODEL_CBOR value that is not one CBOR item.
 */
int model_encode(const struct model_rec *r, cbor_item_t **out);

/*
 * Decode BODY (LEN bytes) as a record of E into R (initialised here; free
 * with model_rec_clear even on failure).  Keys E does not know are
 * ignored, so older readers accept newer bodies.  EBADMSG: not a CBOR map
 * of at most MODEL_BODY_MAX bytes, a field of the wrong type, text longer
 * than MODEL_TEXT_MAX or bytes longer than MODEL_BYTES_MAX, a UUID that is
 * not 16 bytes; EINVAL: E has a field of a type the model does not know.
 */
int model_decode(const struct model_entity *e, const uint8_t *body, size_t len,
    struct model_rec *r);

/*
 * The strict check of a body that comes from another program (the sync
 * server runs it on every pushed change): BODY must decode as a record of
 * E (model_decode), every key must be a header key (id, hlc, node) or a
 * field of E, each text at most MODEL_CHECK_TEXT_MAX bytes, each byte
 * string MODEL_CHECK_BYTES_MAX, each embedded CBOR item
 * MODEL_CHECK_CBOR_MAX; the id, when present, must be ID (16 bytes; NULL
 * skips this).  On success R holds the decoded record (free with
 * model_rec_clear, also on failure).  EBADMSG with WHY (LEN bytes) set to
 * a reason that names keys and columns, never a value: it may be logged.
 */
#define MODEL_CHECK_TEXT_MAX 4096
#define MODEL_CHECK_BYTES_MAX (192 * 1024)
#define MODEL_CHECK_CBOR_MAX (16 * 1024)
int model_check(const struct model_entity *e, const uint8_t *body, size_t len,
    const uint8_t *id, struct model_rec *r, char *why, size_t wlen);

/*
 * The per-field merge rule: a change carrying a field with (IN_HLC,
 * IN_ORIGIN) replaces the value stored with (CUR_HLC, CUR_ORIGIN) when its
 * HLC is higher, or equal with a higher origin node id, so every node
 * picks the same winner.  1 when the incoming value wins.
 */
int model_merge_wins(
    uint64_t in_hlc, uint64_t in_origin, uint64_t cur_hlc, uint64_t cur_origin);

#endif
