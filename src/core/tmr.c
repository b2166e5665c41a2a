/* tmr: binary min-heap of timers keyed by due time. */
#include "core/tmr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t clock_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tmr_list_init(struct tmr_list *tl, uint64_t now_ms)
{
	memset(tl, 0, sizeof(*tl));
	tl->now_ms = now_ms;
}

void tmr_list_close(struct tmr_list *tl)
{
	for (size_t i = 0; i < tl->n; i++)
		tl->heap[i]->list = NULL;
	free(tl->heap);
	tl->heap = NULL;
	tl->n = tl->cap = 0;
}

void tmr_list_set_now(struct tmr_list *tl, uint64_t now_ms)
{
	tl->now_ms = now_ms;
}

static void place(struct tmr_list *tl, size_t i, struct tmr *t)
{
	tl->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct tmr_list *tl, size_t i)
{
	struct tmr *t = tl->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (tl->heap[parent]->due_ms <= t->due_ms)
			break;
		place(tl, i, tl->heap[parent]);
		i = parent;
	}
	place(tl, i, t);
}

static void sift_down(struct tmr_list *tl, size_t i)
{
	struct tmr *t = tl->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= tl->n)
			break;
		if (c + 1 < tl->n && tl->heap[c + 1]->due_ms < tl->heap[c]->due_ms)
			c++;
		if (t->due_ms <= tl->heap[c]->due_ms)
			break;
		place(tl, i, tl->heap[c]);
		i = c;
	}
	place(tl, i, t);
}

static void heap_remove(struct tmr_list *tl, size_t i)
{
	struct tmr *last = tl->heap[--tl->n];
	if (i == tl->n)
		return;
	place(tl, i, last);
	sift_down(tl, i);
	sift_up(tl, last->idx);
}

void tmr_init(struct tmr *t)
{
	memset(t, 0, sizeof(*t));
}

void tmr_cancel(struct tmr *t)
{
	if (!t->list)
		return;
	heap_remove(t->list, t->idx);
	t->list = NULL;
}

int tmr_start(struct tmr_list *tl, struct tmr *t, uint64_t delay_ms, tmr_h *h, void *arg)
{
	tmr_cancel(t);
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 64;
		struct tmr **heap = realloc(tl->heap, cap * sizeof(*heap));
		if (!heap)
			return ENOMEM;
		tl->heap = heap;
		tl->cap = cap;
	}
	t->due_ms = tl->now_ms + delay_ms;
	t->h = h;
	t->arg = arg;
	t->list = tl;
	place(tl, tl->n++, t);
	sift_up(tl, t->idx);
	return 0;
}

size_t tmr_list_run(struct tmr_list *tl, uint64_t now_ms)
{
	size_t fired = 0;
	if (now_ms > tl->now_ms)
		tl->now_ms = now_ms;
	while (tl->n && tl->heap[0]->due_ms <= tl->now_ms) {
		struct tmr *t = tl->heap[0];
		heap_remove(tl, 0);
		t->list = NULL;
		fired++;
		t->h(t->arg);
	}
	return fired;
}

int64_t tmr_list_next_ms(const struct tmr_list *tl)
{
	if (!tl->n)
		return -1;
	uint64_t due = tl->heap[0]->due_ms;
	return due <= tl->now_ms ? 0 : (int64_t)(due - tl->now_ms);
}
