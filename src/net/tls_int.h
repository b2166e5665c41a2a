/* tls sessions: the per-connection half of the OpenSSL interface (the only other file that sees
 * OpenSSL is tls_certs.c). Non-blocking: every call says what it waits for in *want
 * (LOOP_READ / LOOP_WRITE) when it returns EAGAIN. Private to src/net. */
#ifndef SOTTO_NET_TLS_INT_H
#define SOTTO_NET_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "net/tls.h"

struct tls_sess;

/* A session on a connected socket: server side if ctx is a server context, else client side,
 * verifying the peer against verify_name (a DNS name, sent as SNI too, or an IP address). */
int tls_sess_alloc(struct tls_sess **sp, struct tls_ctx *ctx, int fd, const char *verify_name);
/* notify: send close_notify (best effort, never waits) if the handshake had completed. */
void tls_sess_free(struct tls_sess *s, bool notify);
/* 0: done; EAGAIN: call again when *want is ready; EPROTO: failed (logged at info with peer). */
int tls_sess_handshake(struct tls_sess *s, unsigned *want, const char *peer);
/* 0 with *n > 0 bytes, or *n == 0 when the peer closed; EAGAIN with *want; EIO on error. */
int tls_sess_read(struct tls_sess *s, void *buf, size_t size, size_t *n, unsigned *want);
/* 0 with *n bytes taken (may be fewer than len); EAGAIN with *want; EIO on error. A retry after
 * EAGAIN must offer at least the same bytes again (they may have moved). */
int tls_sess_write(struct tls_sess *s, const void *buf, size_t len, size_t *n, unsigned *want);
/* Client side: why the handshake failed ("certificate verification: ..."), after EPROTO from
 * tls_sess_handshake; NULL otherwise. */
const char *tls_sess_error(const struct tls_sess *s);
/* Decrypted bytes buffered inside the session that no socket event will announce. */
bool tls_sess_pending(const struct tls_sess *s);
/* Static strings ("TLSv1.3", "TLS_AES_128_GCM_SHA256") valid for the process' life. */
const char *tls_sess_version(const struct tls_sess *s);
const char *tls_sess_cipher(const struct tls_sess *s);

#endif
