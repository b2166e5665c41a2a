/* loop: the non-blocking event loop (epoll) with timers and signals. One per thread; nothing in
 * it is thread-safe except loop_stop. */
#ifndef SOTTO_NET_LOOP_H
#define SOTTO_NET_LOOP_H

#include <stdint.h>

#include "core/tmr.h"

struct loop;

enum { LOOP_READ = 1u, LOOP_WRITE = 2u, LOOP_ERROR = 4u };

typedef void(loop_fd_h)(int fd, unsigned events, void *arg);
typedef void(loop_signal_h)(int signo, void *arg);

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
/* Run until loop_stop. 0 or an errno. */
int loop_run(struct loop *l);
/* Ask loop_run to return; callable from any thread and from a signal handler. */
void loop_stop(struct loop *l);

#endif
