/*
 * kctx_explain (kiosk/kctx.c): every error the CLI and the screens report
 * has words, and the screens use the same words (ui_strerror) as the CLI.
 */
#include <errno.h>
#include <string.h>

#include "kiosk/kctx.h"
#include "kiosk/tui/ui.h"
#include "test.h"

static int
test_explain(void)
{
	static const struct {
		int err;
		const char *words;
	} rows[] = {
		{ 0, "done" },
		{ ENOSPC, "the storage is full" },
		{ EROFS, "read-only" },
		{ EIO, "failed to read or write" },
		{ EBUSY, "busy" },
		{ EACCES, "does not open" },
		{ EBADMSG, "damaged" },
		{ ENOENT, "not found" },
		{ EEXIST, "already stored" },
		{ EPROTO, "newer version" },
		{ EINVAL, "not valid" },
		{ EPERM, "locked out" },
		{ ENODEV, "unplugged" },
		{ ETIMEDOUT, "stopped answering" },
	};
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strstr(kctx_explain(rows[i].err), rows[i].words) == NULL)
			TEST_FAILED("errno %d: \"%s\"", rows[i].err,
			    kctx_explain(rows[i].err));
		/* one table: the screens say what the CLI says */
		TEST_STR(ui_strerror(rows[i].err), kctx_explain(rows[i].err));
	}
	/* anything else still gets words, never an empty string */
	TEST_TRUE(strlen(kctx_explain(EXDEV)) > 0);
out:
	return err;
}

TEST_MAIN({ "explain", test_explain })
