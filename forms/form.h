/*
 * The forms engine: ODK XForms (the subset in
 * research/forms-interop.md §1) loaded from XML, filled through a small
 * model API, and serialised as an OpenRosa instance.
 *
 * A caller loads a definition (form_load), starts a new record
 * (form_start) or resumes a draft (form_draft_restore), then walks the
 * prompts (form_prompts) and answers them by path (form_set).  Paths are
 * the instance paths of the record with 1-based indices on repeat
 * instances: "/data/child[2]/age"; a step without an index means [1].
 * form_validate lists every failed required/constraint message;
 * form_finalize stamps the end time and returns the submission XML.
 *
 * Not here: rendering (kiosk/tui/screen_*.c), storage (kiosk/store/store.h),
 * encryption of submissions, media capture (upload is reported as
 * unsupported).  This module includes no curses, curl, usb or database
 * headers.
 */
#ifndef FORMS_FORM_H
#define FORMS_FORM_H

#include <stddef.h>

struct form;

enum form_kind {
	FORM_INPUT,
	FORM_SELECT1,
	FORM_SELECT,
	FORM_TRIGGER,
	FORM_NOTE, /* input with a readonly bind: show the label only */
	FORM_RANGE,
	FORM_UPLOAD, /* unsupported: shown, never answerable */
	FORM_GROUP, /* begins a group; its children follow at depth + 1 */
	FORM_REPEAT, /* begins a repeat; each instance follows as FORM_GROUP */
	FORM_END, /* closes the most recent FORM_GROUP/FORM_REPEAT */
};

enum form_type {
	FORM_T_STRING,
	FORM_T_INT,
	FORM_T_DECIMAL,
	FORM_T_DATE,
	FORM_T_TIME,
	FORM_T_DATETIME,
	FORM_T_BOOLEAN,
	FORM_T_SELECT1,
	FORM_T_SELECT,
	FORM_T_BARCODE,
	FORM_T_GEOPOINT, /* entered as "lat lon [alt acc]" text */
	FORM_T_BINARY, /* unsupported */
};

struct form_choice {
	char *value;
	char *label;
};

/* One line of the form for the current state; all strings owned by it. */
struct form_prompt {
	enum form_kind kind;
	enum form_type type;
	char *path; /* concrete instance path; NULL for label-only groups */
	char *label; /* in the current language, outputs filled in */
	char *hint;
	char *value; /* current answer ("" when empty) */
	const char *appearance; /* lent by the form; NULL when none */
	int depth;
	int required;
	int readonly;
	int field_list; /* FORM_GROUP with appearance field-list */
	struct form_choice *choices;
	size_t nchoices;
	/* FORM_RANGE */
	double start, end, step;
	/* FORM_REPEAT */
	int count, can_add, can_remove;
	int line; /* of the body element in the form file */
};

struct form_issue {
	char *path;
	char *message; /* required/constraint message, current language */
	int line;
};

/*
 * Load a form definition from PATH (or from memory).  Returns 0, or EINVAL
 * with *cause ("line N: ...") when the form is refused, ENOENT/EIO when it
 * cannot be read.  Things that load but will not work (unsupported
 * controls, appearances, missing external instances) are listed by
 * form_warnings.  form_load also reads jr://file/ and jr://file-csv/
 * secondary instances from PATH's folder.  The record is not started yet:
 * call form_start or form_draft_restore.
 */
int form_load(const char *path, struct form **out, char **cause);
int form_load_mem(const char *xml, size_t len, struct form **out, char **cause);
void form_free(struct form *);

/* The warnings collected at load, each "line N: ...": lent. */
size_t form_warnings(const struct form *, const char *const **list);

const char *form_id(const struct form *);
const char *form_version(const struct form *); /* "" when none */
const char *form_title(const struct form *);
size_t form_nbinds(const struct form *);
size_t form_ncontrols(const struct form *);

/* Languages from jr:itext, in document order; lent. */
size_t form_languages(const struct form *, const char *const **list);
/* Switch language (any time); ENOENT when the form does not have it. */
int form_set_language(struct form *, const char *lang);
const char *form_language(const struct form *); /* NULL when no itext */

/*
 * Values for jr:preload="property" (deviceid, username, email,
 * phonenumber); set them before form_start.
 */
void form_set_property(struct form *, const char *name, const char *value);

/*
 * Start a new record: preloads (uid, timestamp start, date today,
 * property), odk-instance-first-load setvalues, meta/instanceID, then
 * calculates.  Returns 0 or EINVAL with *cause.
 */
int form_start(struct form *, char **cause);

/*
 * The prompts for the current state, in body order: non-relevant controls
 * are left out, groups and repeats are expanded.  Caller frees with
 * form_prompts_free.
 */
int form_prompts(struct form *, struct form_prompt **out, size_t *n);
void form_prompts_free(struct form_prompt *, size_t n);

/*
 * The current value at PATH, caller frees; ENOENT for no such node.  A
 * non-relevant question reads "" (its answer is kept aside and comes back
 * when it is relevant again).
 */
int form_get(struct form *, const char *path, char **value);

/*
 * Answer PATH with VALUE (normalised for its type: "1,5" -> "1.5" for
 * decimals).  Returns 0; ENOENT for no such node; EPERM for a readonly or
 * calculated node; EINVAL with *cause when the value has the wrong type
 * (not stored) or breaks the constraint (stored, *cause = the message).
 */
int form_set(struct form *, const char *path, const char *value, char **cause);

/*
 * CHT's inputs convention: a group named "inputs" directly under the
 * record's root (relevant only when ./source = 'user') that the app fills
 * from its context: the patient and contact the form is opened for.
 * Values under it stay readable when the group is not relevant (Enketo,
 * which CHT runs on, reads them; JavaRosa would read them as empty), and
 * the group stays in the submission.  The group is still hidden from the
 * prompts when not relevant.  form_inputs_path() is "/data/inputs" or
 * NULL when the form has no such group.  form_set_input() sets NAME,
 * relative to the group ("contact/_id", "source"), like form_set (no
 * control needed); ENOENT when the form has no inputs group or no such
 * node.  Set before form_start, the inputs are in the record when the
 * load events fire (an odk-instance-first-load setvalue reads them), as
 * CHT opens a form; set after, they are ordinary changes.
 */
const char *form_inputs_path(const struct form *);
int form_set_input(
    struct form *, const char *name, const char *value, char **cause);

/* Is the node at PATH relevant (all its ancestors too)? */
int form_relevant(struct form *, const char *path);

/* Add an instance to the repeat at PATH (e.g. "/data/child"); *index is
 * its 1-based index.  Remove the instance "/data/child[2]".  EPERM when the
 * repeat has jr:count or jr:noAddRemove. */
int form_repeat_add(struct form *, const char *path, int *index);
/* Add repeat instances until every indexed step of PATH exists
 * ("/data/child[3]/age" makes child 2 and 3 if missing), as an answers
 * file names them; what cannot be added is left for form_set to report. */
void form_repeat_ensure(struct form *, const char *path);
int form_repeat_remove(struct form *, const char *path);

/*
 * Check every relevant node: required and empty, or non-empty and failing
 * its constraint.  Returns the number of issues (list in *out, caller
 * frees with form_issues_free; *out may be NULL when 0).
 */
size_t form_validate(struct form *, struct form_issue **out);
void form_issues_free(struct form_issue *, size_t n);

/*
 * Stamp timestamp-end preloads and serialise the OpenRosa record (UTF-8
 * XML, non-relevant nodes removed) into *xml (caller frees).  EINVAL with
 * *cause (one message per line) when form_validate finds issues.
 */
int form_finalize(struct form *, char **xml, char **cause);
/* The record as it stands, without checks (for display and tests). */
int form_instance_xml(struct form *, char **xml);
const char *form_instance_id(struct form *); /* "uuid:..." or "" */

/*
 * Drafts: the whole working instance (non-relevant answers included) plus
 * the language, as XML.  Restore merges the draft into the record as the
 * loaded form defines it (use it instead of form_start): answers move by
 * path, repeat instances follow the draft, questions added since keep
 * their defaults; no first-load event fires again, and meta/instanceID and
 * calculates that use now()/today()/uuid()/random() keep their saved
 * values.  EINVAL with *cause when the draft is for another form or
 * malformed.
 */
int form_draft_save(struct form *, char **xml);
int form_draft_restore(
    struct form *, const char *xml, size_t len, char **cause);

#endif
