/* guard: per-address failure counting in an open-addressed table with a short probe. When all
 * probed slots are taken, the one with the oldest activity is reused, so the table never grows
 * and a flood of spoofed addresses can only push out other idle entries, never a live block
 * (blocked entries are skipped as victims while a free or unblocked slot is in reach). */
#include "pbx/guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8

struct guard_slot {
	uint8_t addr[16];
	uint8_t family; /* 0: free */
	uint32_t fails;
	uint64_t window_start_ms;
	uint64_t blocked_until_ms;
	uint64_t last_ms;
};

struct guard {
	struct guard_conf conf;
	struct guard_slot *slots;
	uint32_t mask;
	uint32_t seed;
};

int guard_alloc(struct guard **gp, const struct guard_conf *conf)
{
	struct guard *g = calloc(1, sizeof(*g));
	uint32_t n = 64;
	if (!g)
		return ENOMEM;
	g->conf = *conf;
	if (!g->conf.fail_limit)
		g->conf.fail_limit = 10;
	while (n < (conf->slots ? conf->slots : 4096))
		n <<= 1;
	g->slots = calloc(n, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return ENOMEM;
	}
	g->mask = n - 1;
	g->seed = (uint32_t)(uintptr_t)g ^ 0x9e3779b9u;
	*gp = g;
	return 0;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

static size_t addr_key(const struct sa *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa_family(sa) == AF_INET) {
		memcpy(out, &sa->u.in.sin_addr, 4);
		return 4;
	}
	memcpy(out, &sa->u.in6.sin6_addr, 16);
	return 16;
}

static uint32_t hash(const struct guard *g, const uint8_t key[16])
{
	uint32_t h = 2166136261u ^ g->seed;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The slot for src; create it when 'create' (reusing the stalest slot in the probe). */
static struct guard_slot *lookup(struct guard *g, const struct sa *src, bool create,
				 uint64_t now_ms)
{
	uint8_t key[16];
	uint8_t family = (uint8_t)sa_family(src);
	addr_key(src, key);
	uint32_t h = hash(g, key);
	struct guard_slot *victim = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct guard_slot *s = &g->slots[(h + i) & g->mask];
		if (s->family == family && memcmp(s->addr, key, 16) == 0)
			return s;
		if (!create)
			continue;
		bool blocked = s->blocked_until_ms > now_ms;
		if (!s->family) {
			if (!victim || victim->family)
				victim = s;
		} else if (!blocked && (!victim || (victim->family && s->last_ms < victim->last_ms))) {
			victim = s;
		}
	}
	if (!create || !victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, key, 16);
	victim->family = family;
	victim->window_start_ms = now_ms;
	return victim;
}

bool guard_blocked(struct guard *g, const struct sa *src, uint64_t now_ms)
{
	struct guard_slot *s = lookup(g, src, false, now_ms);
	return s && s->blocked_until_ms > now_ms;
}

bool guard_fail(struct guard *g, const struct sa *src, uint64_t now_ms)
{
	struct guard_slot *s = lookup(g, src, true, now_ms);
	if (!s)
		return false;
	s->last_ms = now_ms;
	if (now_ms - s->window_start_ms > (uint64_t)g->conf.window_s * 1000u) {
		s->window_start_ms = now_ms;
		s->fails = 0;
	}
	s->fails++;
	if (s->fails >= g->conf.fail_limit && s->blocked_until_ms <= now_ms) {
		s->blocked_until_ms = now_ms + (uint64_t)g->conf.block_s * 1000u;
		s->fails = 0;
		s->window_start_ms = now_ms;
		return true;
	}
	return false;
}

uint32_t guard_count_blocked(const struct guard *g, uint64_t now_ms)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i <= g->mask; i++)
		if (g->slots[i].family && g->slots[i].blocked_until_ms > now_ms)
			n++;
	return n;
}
