/*
 * The production fast-path channel of the emergency pump (emergency.h,
 * issue 16): POST /v1/emergency through kiosk/sync's signed libcurl
 * client, the answer checked against the pinned server key.  Blocking:
 * the pump runs on a worker thread, never the UI's.
 */
#define LOG_MODULE "emergency"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cborx.h"
#include "kiosk/sync/sync.h"
#include "kiosk/visit/emergency.h"
#include "log.h"
#include "protocol.h"

static int
fast_post(void *arg, const uint8_t *body, size_t len, char state[16],
    char by[ESC_RCPT_LEN], uint32_t *eta)
{
	struct store *s = arg;
	cbor_item_t *it = NULL;
	uint8_t *ans = NULL;
	size_t alen = 0;
	uint64_t e = 0;
	char *t = NULL;
	long status = 0;
	int err;

	err =
	    sync_post(s, PROTO_PATH_EMERGENCY, body, len, &ans, &alen, &status);
	if (err == 0 && status != 200) {
		log_info("fast path refused (HTTP %ld)", status);
		err = EPROTO;
	}
	if (err == 0 &&
	    (cborx_decode(ans, alen, alen, &it) != 0 || !cbor_isa_map(it)))
		err = EBADMSG;
	if (err == 0) {
		if (cborx_map_text(it, EMERG_K_STATE, 15, &t) == 0)
			snprintf(state, 16, "%s", t);
		free(t);
		t = NULL;
		if (cborx_map_text(
		        it, EMERG_K_ACKED_BY, ESC_RCPT_LEN - 1, &t) == 0)
			snprintf(by, ESC_RCPT_LEN, "%s", t);
		free(t);
		if (cborx_map_uint(it, EMERG_K_ETA, &e) == 0 && e < 24 * 60)
			*eta = (uint32_t)e;
	}
	if (it != NULL)
		cbor_decref(&it);
	free(ans);
	return err;
}

void
emerg_fast_sync(struct emerg_fast *f, struct store *s)
{
	f->arg = s;
	f->post = fast_post;
}
