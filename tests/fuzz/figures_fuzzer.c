/*
 * Fuzz harness for figures_from_cbor (model/figures.c), which reads the
 * region figures an admin node gets from the server and keeps in its
 * store (docs/PROTOCOL.md §12): any bytes must be refused or read without
 * crashing, leaking or reading out of bounds; figures it accepts must
 * encode again (figures_cbor) and that encoding must read back to the
 * same figures.  `make check` replays tests/fuzz/corpus/figures; `make
 * fuzz` builds it for libFuzzer.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct figures f, g;
	uint8_t *out = NULL;
	size_t len = 0, i;

	if (figures_from_cbor(data, size, &f) != 0)
		return 0;
	assert(f.nkiosks <= FIG_KIOSKS_MAX && f.nfacs <= FIG_KIOSKS_MAX);
	assert(figures_cbor(&f, &out, &len) == 0);
	assert(figures_from_cbor(out, len, &g) == 0);
	assert(strcmp(f.region, g.region) == 0 && f.now_ms == g.now_ms);
	assert(f.nkiosks == g.nkiosks && f.nfacs == g.nfacs);
	assert(memcmp(&f.c, &g.c, sizeof(f.c)) == 0);
	for (i = 0; i < f.nfacs; i++)
		assert(strcmp(f.facs[i].name, g.facs[i].name) == 0 &&
		    f.facs[i].c.visits == g.facs[i].c.visits);
	for (i = 0; i < f.nkiosks; i++)
		assert(f.kiosks[i].node == g.kiosks[i].node &&
		    f.kiosks[i].pending == g.kiosks[i].pending);
	free(out);
	figures_clear(&f);
	figures_clear(&g);
	return 0;
}
