/* ctl: a tiny non-blocking line server on the signalling loop. Clients are few (an admin's
 * sottoctl), but a stuck one must never block the loop: every client has a deadline. */
#include "admin/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"

#define CMD_MAX 256
#define CLIENT_DEADLINE_MS 5000

struct ctl_client {
	struct ctl_client *next;
	struct ctl *ctl;
	int fd;
	char in[CMD_MAX];
	size_t in_len;
	struct mbuf out;
	size_t out_pos;
	struct tmr deadline;
};

struct ctl {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_command_h *h;
	void *arg;
	struct ctl_client *clients;
};

static void client_close(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;
	for (struct ctl_client **pp = &c->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	tmr_cancel(&cl->deadline);
	loop_fd_remove(c->loop, cl->fd);
	close(cl->fd);
	mbuf_free(&cl->out);
	free(cl);
}

static void on_deadline(void *arg)
{
	client_close(arg);
}

static void client_write(struct ctl_client *cl)
{
	while (cl->out_pos < cl->out.len) {
		ssize_t n = send(cl->fd, cl->out.buf + cl->out_pos, cl->out.len - cl->out_pos,
				 MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		cl->out_pos += (size_t)n;
	}
	client_close(cl);
}

static void on_client(int fd, unsigned events, void *arg)
{
	struct ctl_client *cl = arg;
	if (cl->out.len) { /* answering: only writability matters */
		if (events & (LOOP_WRITE | LOOP_ERROR))
			client_write(cl);
		return;
	}
	ssize_t n = recv(fd, cl->in + cl->in_len, sizeof(cl->in) - 1 - cl->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->in_len += (size_t)n;
	cl->in[cl->in_len] = '\0';
	char *nl = strchr(cl->in, '\n');
	if (!nl && cl->in_len < sizeof(cl->in) - 1)
		return;
	if (nl)
		*nl = '\0';
	size_t len = strlen(cl->in);
	while (len && (cl->in[len - 1] == '\r' || cl->in[len - 1] == ' '))
		cl->in[--len] = '\0';
	cl->ctl->h(cl->in, &cl->out, cl->ctl->arg);
	if (!cl->out.len)
		mbuf_write_str(&cl->out, "\n");
	if (cl->out.err) {
		client_close(cl);
		return;
	}
	loop_fd_modify(cl->ctl->loop, fd, LOOP_WRITE);
	client_write(cl);
}

static void on_accept(int fd, unsigned events, void *arg)
{
	struct ctl *c = arg;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct ctl_client *cl = calloc(1, sizeof(*cl));
		if (!cl || loop_fd_listen(c->loop, cfd, LOOP_READ, on_client, cl)) {
			free(cl);
			close(cfd);
			continue;
		}
		cl->ctl = c;
		cl->fd = cfd;
		mbuf_init(&cl->out);
		tmr_init(&cl->deadline);
		tmr_start(loop_timers(c->loop), &cl->deadline, CLIENT_DEADLINE_MS, on_deadline, cl);
		cl->next = c->clients;
		c->clients = cl;
	}
}

int ctl_alloc(struct ctl **cp, struct loop *loop, const char *path, ctl_command_h *h, void *arg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl *c;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->loop = loop;
	c->h = h;
	c->arg = arg;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = errno;
		free(c);
		return err;
	}
	unlink(path); /* a stale socket from a previous run */
	mode_t old = umask(0177);
	err = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) ? errno : 0;
	umask(old);
	if (!err && listen(c->fd, 16))
		err = errno;
	if (!err)
		err = loop_fd_listen(loop, c->fd, LOOP_READ, on_accept, c);
	if (err) {
		close(c->fd);
		free(c);
		return err;
	}
	*cp = c;
	return 0;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients)
		client_close(c->clients);
	loop_fd_remove(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c);
}
