/* loop: level-triggered epoll with a timer heap, signalfd signals and an eventfd to stop.
 *
 * Handlers may remove any fd (their own or another) while a batch of events is being
 * dispatched, and the fd number may even be reused by a new socket before the batch ends. Each
 * registration therefore gets a generation number stored with the fd in epoll_data; an event
 * whose generation no longer matches the table is stale and dropped. */
#include "net/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/log.h"

enum { LOOP_MAX_EVENTS = 256, LOOP_NSIG = 65 };

struct loop_fd {
	loop_fd_h *h;
	void *arg;
	uint32_t gen; /* 0: free slot */
	unsigned events;
};

struct loop_sig {
	loop_signal_h *h;
	void *arg;
};

struct loop {
	int epfd;
	int stopfd; /* eventfd: loop_stop wakes epoll_wait through it */
	int sigfd;  /* signalfd, -1 until the first loop_signal */
	sigset_t sigmask;
	atomic_bool stop;
	bool running;
	struct loop_defer *defer; /* to run at the end of this pass */
	uint32_t gen;
	struct loop_fd *fds;
	size_t nfds;
	struct loop_sig sigs[LOOP_NSIG];
	struct tmr_list tmrs;
	struct epoll_event events[LOOP_MAX_EVENTS];
};

static uint32_t to_epoll(unsigned events)
{
	uint32_t ev = 0;
	if (events & LOOP_READ)
		ev |= EPOLLIN;
	if (events & LOOP_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

static unsigned from_epoll(uint32_t ev)
{
	unsigned events = 0;
	if (ev & (EPOLLIN | EPOLLPRI))
		events |= LOOP_READ;
	if (ev & EPOLLOUT)
		events |= LOOP_WRITE;
	if (ev & (EPOLLERR | EPOLLHUP))
		events |= LOOP_ERROR;
	return events;
}

static void stop_readable(int fd, unsigned events, void *arg)
{
	uint64_t v;
	(void)events;
	(void)arg;
	/* The flag is what stops the loop; this only clears the wake-up. */
	(void)!read(fd, &v, sizeof(v));
}

static void sig_readable(int fd, unsigned events, void *arg)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;
	(void)events;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo < LOOP_NSIG && l->sigs[si.ssi_signo].h)
			l->sigs[si.ssi_signo].h((int)si.ssi_signo, l->sigs[si.ssi_signo].arg);
	}
}

int loop_alloc(struct loop **lp)
{
	struct loop *l;
	int err;

	if (!lp)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->sigfd = -1;
	l->stopfd = -1;
	sigemptyset(&l->sigmask);
	atomic_init(&l->stop, false);
	tmr_list_init(&l->tmrs, clock_mono_ms());

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = errno;
		goto out;
	}
	l->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->stopfd < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_listen(l, l->stopfd, LOOP_READ, stop_readable, l);
out:
	if (err)
		loop_free(l);
	else
		*lp = l;
	return err;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->stopfd >= 0)
		close(l->stopfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	tmr_list_close(&l->tmrs);
	free(l->fds);
	free(l);
}

static int grow(struct loop *l, int fd)
{
	size_t n = l->nfds ? l->nfds : 64;
	struct loop_fd *fds;

	while (n <= (size_t)fd)
		n *= 2;
	fds = realloc(l->fds, n * sizeof(*fds));
	if (!fds)
		return ENOMEM;
	memset(fds + l->nfds, 0, (n - l->nfds) * sizeof(*fds));
	l->fds = fds;
	l->nfds = n;
	return 0;
}

int loop_fd_listen(struct loop *l, int fd, unsigned events, loop_fd_h *h, void *arg)
{
	struct epoll_event ev;
	struct loop_fd *e;
	int err;

	if (!l || fd < 0 || !h)
		return EINVAL;
	if ((size_t)fd >= l->nfds && (err = grow(l, fd)))
		return err;
	e = &l->fds[fd];
	if (e->gen)
		return EEXIST;
	if (++l->gen == 0)
		l->gen = 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)l->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno;
	e->h = h;
	e->arg = arg;
	e->gen = l->gen;
	e->events = events;
	return 0;
}

int loop_fd_modify(struct loop *l, int fd, unsigned events)
{
	struct epoll_event ev;
	struct loop_fd *e;

	if (!l || fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return ENOENT;
	e = &l->fds[fd];
	if (e->events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)e->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return errno;
	e->events = events;
	return 0;
}

void loop_fd_remove(struct loop *l, int fd)
{
	if (!l || fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return;
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->fds[fd], 0, sizeof(l->fds[fd]));
}

/* The signal is blocked in the calling thread: call this before starting other threads so they
 * inherit the mask and the signal is only ever read from the signalfd. */
int loop_signal(struct loop *l, int signo, loop_signal_h *h, void *arg)
{
	sigset_t one;
	int fd, err;

	if (!l || signo <= 0 || signo >= LOOP_NSIG || !h)
		return EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	err = pthread_sigmask(SIG_BLOCK, &one, NULL);
	if (err)
		return err;
	sigaddset(&l->sigmask, signo);
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return errno;
	if (l->sigfd < 0) {
		err = loop_fd_listen(l, fd, LOOP_READ, sig_readable, l);
		if (err) {
			close(fd);
			return err;
		}
		l->sigfd = fd;
	}
	l->sigs[signo].h = h;
	l->sigs[signo].arg = arg;
	return 0;
}

struct tmr_list *loop_timers(struct loop *l)
{
	/* Timers count from now, even when started long after the last wake-up (before
	 * loop_run, or after slow work in a handler). The monotonic clock never goes back. */
	tmr_list_set_now(&l->tmrs, clock_mono_ms());
	return &l->tmrs;
}

uint64_t loop_now_ms(const struct loop *l)
{
	return l->tmrs.now_ms;
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct loop_fd *e;

	/* Removed (and perhaps re-added as another socket) by an earlier handler. */
	if ((size_t)fd >= l->nfds || l->fds[fd].gen != gen)
		return;
	e = &l->fds[fd];
	e->h(fd, from_epoll(ev->events), e->arg);
}

int loop_defer(struct loop *l, struct loop_defer *d, loop_defer_h *h, void *arg)
{
	if (!l->running)
		return EAGAIN;
	if (!d->queued) {
		d->h = h;
		d->arg = arg;
		d->queued = true;
		d->next = l->defer;
		l->defer = d;
	}
	return 0;
}

void loop_defer_cancel(struct loop *l, struct loop_defer *d)
{
	if (!l || !d->queued)
		return;
	for (struct loop_defer **pp = &l->defer; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	d->queued = false;
}

bool loop_running(const struct loop *l)
{
	return l && l->running;
}

/* Until none is left: a deferred handler may defer more. */
static void defer_run(struct loop *l)
{
	while (l->defer) {
		struct loop_defer *d = l->defer;

		l->defer = d->next;
		d->queued = false;
		d->h(d->arg);
	}
}

int loop_run(struct loop *l)
{
	int err = 0;

	if (!l)
		return EINVAL;
	l->running = true;
	while (!atomic_load(&l->stop)) {
		int64_t next;
		int timeout, n;

		tmr_list_run(&l->tmrs, clock_mono_ms());
		defer_run(l);
		if (atomic_load(&l->stop))
			break;
		next = tmr_list_next_ms(&l->tmrs);
		timeout = next < 0 ? -1 : next > 86400000 ? 86400000 : (int)next;
		n = epoll_wait(l->epfd, l->events, LOOP_MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			log_err("loop: epoll_wait: %s", strerror(err));
			break;
		}
		/* Timers started by the handlers count from now, not from before the wait. */
		tmr_list_set_now(&l->tmrs, clock_mono_ms());
		for (int i = 0; i < n; i++)
			dispatch(l, &l->events[i]);
	}
	/* Nothing deferred outlives the run. */
	defer_run(l);
	l->running = false;
	/* A stop request is consumed by the run it ended. */
	atomic_store(&l->stop, false);
	stop_readable(l->stopfd, 0, NULL);
	return err;
}

void loop_stop(struct loop *l)
{
	uint64_t one = 1;

	if (!l)
		return;
	atomic_store(&l->stop, true);
	/* write() is async-signal-safe; the flag above is a lock-free atomic. */
	(void)!write(l->stopfd, &one, sizeof(one));
}
