/*
 * Fuzz harness for the sync server's request decoding (sync-server/wire.c):
 * the first byte picks the decoder (push, pull, enroll, blob), the rest is
 * the request body.  Every decoder must refuse or accept without crashing,
 * leaking or reading out of bounds; an accepted push is checked for the
 * invariants the store relies on.  `make check` replays
 * tests/fuzz/corpus/sync_request; `make fuzz` builds it for libFuzzer.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sync-server/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_push push;
	struct wire_pull pull;
	struct wire_enroll en;
	struct wire_blob blob;
	size_t i;

	if (size < 1)
		return 0;
	(void)wire_plain(data, size);
	switch (data[0] % 4) {
	case 0:
		if (wire_push_decode(data + 1, size - 1, &push) == 0) {
			assert(push.n == push.last - push.first + 1);
			assert(push.n <= WIRE_PUSH_MAX_CHANGES);
			for (i = 0; i < push.n; i++) {
				assert(push.changes[i].seq == push.first + i);
				assert(push.changes[i].len <= WIRE_BODY_MAX);
			}
			wire_push_free(&push);
		}
		break;
	case 1:
		if (wire_pull_decode(data + 1, size - 1, &pull) == 0) {
			assert(pull.max >= 1 && pull.max <= WIRE_PULL_MAX);
			assert(pull.cursor_len <= 64);
			wire_pull_free(&pull);
		}
		break;
	case 2:
		if (wire_enroll_decode(data + 1, size - 1, &en) == 0) {
			assert(en.token != NULL && en.label != NULL);
			wire_enroll_free(&en);
		}
		break;
	case 3:
		if (wire_blob_decode(data + 1, size - 1, &blob) == 0) {
			assert(blob.offset <= blob.total);
			wire_blob_free(&blob);
		}
		break;
	}
	return 0;
}
