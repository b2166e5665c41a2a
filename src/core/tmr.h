/* tmr: one-shot timers in a binary min-heap, driven by whoever owns the clock.
 * The event loop runs them with the monotonic clock; unit tests drive them with a fake clock
 * (tmr_list_run with any 'now'), so timer logic is tested without sleeping. */
#ifndef SOTTO_CORE_TMR_H
#define SOTTO_CORE_TMR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void(tmr_h)(void *arg);

struct tmr_list;

struct tmr {
	struct tmr_list *list; /* NULL while not running */
	uint64_t due_ms;
	size_t idx; /* position in the heap */
	tmr_h *h;
	void *arg;
};

struct tmr_list {
	struct tmr **heap;
	size_t n, cap;
	uint64_t now_ms; /* the time of the last tmr_list_run / tmr_list_set_now */
};

void tmr_list_init(struct tmr_list *tl, uint64_t now_ms);
/* Timers still running are detached, never called. */
void tmr_list_close(struct tmr_list *tl);
void tmr_list_set_now(struct tmr_list *tl, uint64_t now_ms);
/* Fire every timer due at or before now_ms, in due order; returns how many fired. A handler may
 * start or cancel any timer. */
size_t tmr_list_run(struct tmr_list *tl, uint64_t now_ms);
/* Milliseconds until the next timer is due (0 if overdue), or -1 if none. */
int64_t tmr_list_next_ms(const struct tmr_list *tl);

void tmr_init(struct tmr *t);
/* (Re)start t to fire delay_ms after the list's current time. ENOMEM possible. */
int tmr_start(struct tmr_list *tl, struct tmr *t, uint64_t delay_ms, tmr_h *h, void *arg);
void tmr_cancel(struct tmr *t);
static inline bool tmr_running(const struct tmr *t)
{
	return t->list != NULL;
}

/* Monotonic milliseconds. */
uint64_t clock_mono_ms(void);
/* Wall-clock milliseconds since the epoch (for records that outlive the process). */
int64_t clock_unix_ms(void);

#endif
