/* ctl: the control socket that sottoctl talks to: a unix stream socket (mode 0600) under
 * data_dir; one command line in, the answer text out, then the server closes the connection. */
#ifndef SOTTO_ADMIN_CTL_H
#define SOTTO_ADMIN_CTL_H

#include "core/mbuf.h"
#include "net/loop.h"

struct ctl;

/* Answer one command (without its newline) into out. */
typedef void(ctl_command_h)(const char *cmd, struct mbuf *out, void *arg);

int ctl_alloc(struct ctl **cp, struct loop *loop, const char *path, ctl_command_h *h, void *arg);
/* Closes the socket and every client, removes the socket file. */
void ctl_free(struct ctl *c);

#endif
