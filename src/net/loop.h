/* loop: the non-blocking event loop (epoll) with timers and signals. One per thread; nothing in
 * it is thread-safe except loop_stop. */
#ifndef SOTTO_NET_LOOP_H
#define SOTTO_NET_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tmr.h"

struct loop;

enum { LOOP_READ = 1u, LOOP_WRITE = 2u, LOOP_ERROR = 4u };

typedef void(loop_fd_h)(int fd, unsigned events, void *arg);
typedef void(loop_signal_h)(int signo, void *arg);
typedef void(loop_defer_h)(void *arg);

/* Work put off to the end of the loop's current pass (e.g. one wake-up of another thread for
 * everything a batch of events asked of it). Owned by the caller; queued at most once. */
struct loop_defer {
	struct loop_defer *next;
	loop_defer_h *h;
	void *arg;
	bool queued;
};

int loop_alloc(struct loop **lp);
void loop_free(struct loop *l);
/* Watch fd for events (LOOP_READ|LOOP_WRITE); errors and hang-ups arrive as LOOP_ERROR. One
 * handler per fd; 0, EEXIST or an errno from epoll. */
int loop_fd_listen(struct loop *l, int fd, unsigned events, loop_fd_h *h, void *arg);
int loop_fd_modify(struct loop *l, int fd, unsigned events);
/* Stop watching fd; safe to call from inside that fd's handler and before close(fd). */
void loop_fd_remove(struct loop *l, int fd);
/* Deliver signo through the loop (signalfd) instead of asynchronously. */
int loop_signal(struct loop *l, int signo, loop_signal_h *h, void *arg);
/* The loop's timers, run with the monotonic clock; start timers on this list. */
struct tmr_list *loop_timers(struct loop *l);
uint64_t loop_now_ms(const struct loop *l);
/* Run h(arg) once, after the handlers of the current batch of events and the due timers have
 * run and before the loop waits again (or when loop_run returns). 0, or EAGAIN when the loop is
 * not running: then nothing is queued and the caller acts at once. */
int loop_defer(struct loop *l, struct loop_defer *d, loop_defer_h *h, void *arg);
/* Unqueue d if it is queued (before freeing it). */
void loop_defer_cancel(struct loop *l, struct loop_defer *d);
/* Whether loop_run is running (on the calling thread, the loop's own). */
bool loop_running(const struct loop *l);
/* Run until loop_stop. 0 or an errno. */
int loop_run(struct loop *l);
/* Ask loop_run to return; callable from any thread and from a signal handler. */
void loop_stop(struct loop *l);

#endif
