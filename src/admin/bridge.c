/* bridge: the admin job queue between the HTTP threads and the signalling loop. */
#include "admin/bridge.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED, JOB_CANCELLED };

struct job {
	struct job *next;
	enum job_state state;
	struct api_request req;
	char path[512];
	struct api_response resp;
};

struct admin_bridge {
	struct loop *loop;
	struct pbx *pbx;
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t done; /* broadcast when any job finishes or the bridge closes */
	struct job *head, *tail;
	bool closed;
};

static void job_free(struct job *j)
{
	mbuf_free(&j->resp.body);
	free(j);
}

static struct job *pop(struct admin_bridge *b)
{
	struct job *j = b->head;
	if (j) {
		b->head = j->next;
		if (!b->head)
			b->tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void on_jobs(int fd, unsigned events, void *arg)
{
	struct admin_bridge *b = arg;
	uint64_t v;
	(void)events;
	(void)!read(fd, &v, sizeof(v));
	for (;;) {
		pthread_mutex_lock(&b->lock);
		struct job *j = pop(b);
		if (j)
			j->state = JOB_RUNNING;
		pthread_mutex_unlock(&b->lock);
		if (!j)
			return;
		pbx_api(b->pbx, &j->req, &j->resp);
		pthread_mutex_lock(&b->lock);
		if (j->state == JOB_ABANDONED) {
			job_free(j);
		} else {
			j->state = JOB_DONE;
			pthread_cond_broadcast(&b->done);
		}
		pthread_mutex_unlock(&b->lock);
	}
}

int admin_bridge_alloc(struct admin_bridge **bp, struct loop *loop, struct pbx *pbx)
{
	struct admin_bridge *b = calloc(1, sizeof(*b));
	pthread_condattr_t ca;
	int err;
	if (!b)
		return ENOMEM;
	b->loop = loop;
	b->pbx = pbx;
	b->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->fd < 0) {
		err = errno;
		free(b);
		return err;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->done, &ca);
	pthread_condattr_destroy(&ca);
	err = loop_fd_listen(loop, b->fd, LOOP_READ, on_jobs, b);
	if (err) {
		admin_bridge_free(b);
		return err;
	}
	*bp = b;
	return 0;
}

void admin_bridge_close(struct admin_bridge *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->closed = true;
	for (struct job *j; (j = pop(b));)
		j->state = JOB_CANCELLED; /* its waiter frees it */
	pthread_cond_broadcast(&b->done);
	pthread_mutex_unlock(&b->lock);
}

void admin_bridge_free(struct admin_bridge *b)
{
	if (!b)
		return;
	loop_fd_remove(b->loop, b->fd);
	close(b->fd);
	for (struct job *j; (j = pop(b));) /* none once closed; to be safe */
		job_free(j);
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Take j out of the queue if it is still there. */
static void unlink_job(struct admin_bridge *b, struct job *j)
{
	struct job *prev = NULL;
	for (struct job *q = b->head; q; prev = q, q = q->next) {
		if (q != j)
			continue;
		if (prev)
			prev->next = q->next;
		else
			b->head = q->next;
		if (b->tail == q)
			b->tail = prev;
		return;
	}
}

int admin_bridge_call(struct admin_bridge *b, const struct api_request *req,
                      struct api_response *resp, unsigned timeout_ms)
{
	struct job *j = calloc(1, sizeof(*j));
	struct timespec until;
	uint64_t one = 1;
	int err = 0;

	if (!j)
		return ENOMEM;
	if (strlen(req->path) >= sizeof(j->path)) {
		free(j);
		return ENAMETOOLONG;
	}
	strcpy(j->path, req->path);
	j->req = (struct api_request){.method = req->method, .path = j->path};
	mbuf_init(&j->resp.body);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&b->lock);
	if (b->closed) {
		pthread_mutex_unlock(&b->lock);
		job_free(j);
		return ESHUTDOWN;
	}
	if (b->tail)
		b->tail->next = j;
	else
		b->head = j;
	b->tail = j;
	(void)!write(b->fd, &one, sizeof(one));
	while (j->state == JOB_QUEUED || j->state == JOB_RUNNING) {
		int rc = pthread_cond_timedwait(&b->done, &b->lock, &until);
		if (rc == ETIMEDOUT && (j->state == JOB_QUEUED || j->state == JOB_RUNNING)) {
			err = ETIMEDOUT;
			break;
		}
	}
	if (err) {
		if (j->state == JOB_RUNNING) {
			j->state = JOB_ABANDONED; /* the loop frees it when done */
			j = NULL;
		} else {
			unlink_job(b, j);
		}
	} else if (j->state == JOB_CANCELLED) {
		err = ESHUTDOWN;
	} else {
		*resp = j->resp; /* the body moves to the caller */
		mbuf_init(&j->resp.body);
	}
	pthread_mutex_unlock(&b->lock);
	if (j)
		job_free(j);
	return err;
}
