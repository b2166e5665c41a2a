/* guard: brute-force protection. Counts authentication failures per source address in a fixed
 * table (bounded memory whatever a scanner sends) and blocks an address that fails too often. */
#ifndef SOTTO_PBX_GUARD_H
#define SOTTO_PBX_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "net/sa.h"

struct guard;

struct guard_conf {
	uint32_t fail_limit; /* failures within the window that trigger a block */
	uint32_t window_s;
	uint32_t block_s;
	uint32_t slots; /* table size, 0: 4096 */
};

int guard_alloc(struct guard **gp, const struct guard_conf *conf);
void guard_free(struct guard *g);
/* Whether the address is blocked at now_ms (monotonic). */
bool guard_blocked(struct guard *g, const struct sa *src, uint64_t now_ms);
/* Record a failure; true when this failure starts a block. */
bool guard_fail(struct guard *g, const struct sa *src, uint64_t now_ms);
/* Number of addresses blocked at now_ms. */
uint32_t guard_count_blocked(const struct guard *g, uint64_t now_ms);

#endif
