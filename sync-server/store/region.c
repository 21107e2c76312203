/*
 * Every accepted change of a region, page by page, as an admin node's
 * pull sees it (backend.h store_region_each): the region's reports,
 * exports and referral numbers read through it.
 */
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "backend.h"

int
store_region_each(const struct store_backend *be, struct sstore *s,
    const char *region, size_t page, uint64_t now_ms,
    int (*cb)(const struct schange *, void *), void *arg)
{
	struct spull_result res;
	struct snode n;
	uint8_t *cursor = NULL;
	size_t cursor_len = 0, i;
	int err, more;

	/* node id 0: nobody's own changes are kept back */
	memset(&n, 0, sizeof(n));
	str_lcpy(n.role, "admin", sizeof(n.role));
	str_lcpy(n.region, region, sizeof(n.region));
	do {
		memset(&res, 0, sizeof(res));
		err = be->pull(s, &n, SPULL_REGION, cursor, cursor_len, page,
		    now_ms, &res);
		if (err != 0)
			break;
		for (i = 0; i < res.n && err == 0; i++)
			err = cb(&res.changes[i], arg);
		free(cursor);
		cursor = res.cursor;
		cursor_len = res.cursor_len;
		res.cursor = NULL;
		more = err == 0 && res.more && res.n > 0;
		spull_result_clear(&res);
	} while (more);
	free(cursor);
	return err;
}
