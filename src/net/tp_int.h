/* tp internals shared by tp.c (manager, send), tp_udp.c (datagrams), tp_listen.c (listeners,
 * accept rate limit) and tp_conn.c (stream connections). Private to src/net. */
#ifndef SOTTO_NET_TP_INT_H
#define SOTTO_NET_TP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tmr.h"
#include "net/frame.h"
#include "net/tp.h"

enum {
	TP_OUTQ_MAX = 1u << 20,	   /* queued output per connection before ENOBUFS */
	TP_HANDSHAKE_MS = 10000,   /* TCP connect + TLS handshake (or idle_timeout_ms if less) */
	TP_RX_SIZE = 65536,	   /* the shared stream read buffer */
	TP_UDP_BATCH = 16,	   /* datagrams per recvmmsg */
	TP_ACCEPT_BATCH = 64,	   /* accept() calls per listener event */
	TP_LISTEN_BACKLOG = 1024,
};

struct tls_sess;
struct udp_rx;

/* A UDP socket or a stream listener. */
struct tp_sock {
	struct tp_sock *next;
	struct tp_mgr *mgr;
	enum tp_kind kind;
	int fd;
	struct sa addr; /* as bound */
	bool paused;	/* listener not watched while the accept bucket is empty */
};

struct tp_conn {
	struct tp_conn *hnext; /* hash chain by (kind, remote) */
	struct tp_mgr *mgr;    /* NULL once closed */
	unsigned refs;
	enum tp_kind kind;
	int fd;
	bool open;
	bool outgoing;
	bool connecting;  /* TCP connect in progress */
	bool handshaking; /* TLS handshake in progress */
	bool closing;	  /* no more input; close once the output is flushed */
	bool dead;	  /* a send failed: close from the loop, not inside tp_send */
	unsigned tls_want; /* what a blocked TLS handshake/write waits for */
	unsigned events;   /* what the loop watches now */
	struct sa local, remote;
	struct tls_sess *tls;
	char *server_name; /* outgoing TLS: name verified */
	char *error;	   /* outgoing: why it failed before it was usable (tp_conn_error) */
	const struct tls_ctx *client_ctx; /* outgoing TLS: the peer's own context, if it had one */
	const char *tls_version, *tls_cipher;
	struct tmr tmr; /* handshake timeout, then idle timeout */
	uint64_t last_rx_ms;
	struct frame frame;
	char *ibuf; /* an incomplete message, only while there is one */
	size_t ilen, icap;
	char *obuf; /* output not yet taken by the socket */
	size_t ooff, olen, ocap;
};

struct tp_mgr {
	struct loop *loop;
	struct tp_config cfg;
	tp_recv_h *recvh;
	void *arg;
	tp_close_h *closeh;
	void *close_arg;
	struct tls_ctx *tls_client, *tls_server;
	struct tp_sock *socks;
	struct tp_conn **buckets;
	size_t nbuckets; /* a power of two */
	uint32_t hash_seed;
	bool freeing;
	/* Accept token bucket, in thousandths of a token. */
	uint64_t tokens_milli;
	uint64_t tokens_ms;
	struct tmr accept_tmr;
	char *rxbuf;
	struct udp_rx *udp;
	struct tp_stats stats;
};

/* tp_udp.c */
int tp_udp_open(struct tp_mgr *m, const struct sa *addr, struct tp_sock **sp);
int tp_udp_send(struct tp_mgr *m, const struct tp_peer *to, const void *data, size_t len);
void tp_udp_free(struct tp_mgr *m);

/* tp_listen.c */
int tp_listener_open(struct tp_mgr *m, enum tp_kind kind, const struct sa *addr,
		     struct tp_sock **sp);

/* tp_conn.c */
int tp_conn_accepted(struct tp_mgr *m, enum tp_kind kind, int fd, const struct sa *remote);
int tp_conn_connect(struct tp_mgr *m, enum tp_kind kind, const struct sa *remote,
		    const char *server_name, struct tls_ctx *tls_client, struct tp_conn **cp);
struct tp_conn *tp_conn_find(struct tp_mgr *m, enum tp_kind kind, const struct sa *remote);
/* The connection a peer may use: by (kind, remote), and for a peer with its own TLS client
 * context only one opened with that context and server name (verified as it asks). */
struct tp_conn *tp_conn_find_peer(struct tp_mgr *m, const struct tp_peer *to);
int tp_conn_send(struct tp_conn *c, const void *data, size_t len);
void tp_conn_drop(struct tp_conn *c);
void tp_conns_drop_all(struct tp_mgr *m);

/* tp.c */
void tp_sock_close(struct tp_mgr *m, struct tp_sock *s);

#endif
