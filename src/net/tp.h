/* tp: SIP transports behind one interface (UDP, TCP, TLS; RFC 3261 section 18). The manager
 * frames stream input into whole messages (Content-Length, CRLF keep-alives of RFC 5626),
 * keeps and reuses connections, and hands each message to one receive handler. */
#ifndef SOTTO_NET_TP_H
#define SOTTO_NET_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"
#include "net/sa.h"

enum tp_kind { TP_UDP = 0, TP_TCP, TP_TLS };

/* "UDP", "TCP", "TLS": the Via transport token. */
const char *tp_kind_name(enum tp_kind kind);
/* Parse a transport token (case-insensitive). 0 or EINVAL. */
int tp_kind_parse(struct pl name, enum tp_kind *kind);

struct tls_ctx;
struct tp_mgr;
/* A stream connection (TCP or TLS). Reference counted: the manager holds one reference while
 * it is open; take your own with tp_conn_ref to keep a pointer (a registration binding does). */
struct tp_conn;

/* Where a message came from, and so where to send a reply or a request. */
struct tp_peer {
	enum tp_kind kind;
	struct sa local;	 /* local address it arrived on / to send from (may be unset) */
	struct sa remote;	 /* the peer's address: source of a received message */
	struct tp_conn *conn;	 /* stream only: the connection (borrowed); NULL for UDP */
	const char *server_name; /* TLS client connects: name to verify and send as SNI */
	/* TLS client connects: the context to verify the server with (a trunk's own CA and
	 * verify setting); NULL: the manager's (tp_mgr_set_tls_client). Borrowed: it must outlive
	 * every copy of the peer that may still open a connection. Such a peer only reuses
	 * connections opened with this context and server_name. */
	struct tls_ctx *tls_client;
};

struct tp_config {
	size_t max_msg;		   /* largest message accepted (default 65535) */
	size_t max_hdr;		   /* largest header block on streams (default 16384) */
	unsigned accept_rate;	   /* new stream connections accepted per second (default 500) */
	unsigned accept_burst;	   /* bucket size for the above (default 1000) */
	unsigned idle_timeout_ms;  /* close connections silent this long (default 600000) */
	unsigned max_conns;	   /* open connections at most (default 20000) */
};

/* flags for tp_recv_h */
enum {
	/* The message is larger than max_msg / max_hdr: 'msg' holds what was read (at least the
	 * start of the headers) so a 513 can be routed; the stream is closed after this call. */
	TP_MSG_OVERSIZE = 1u,
};

/* One whole message. msg is valid only during the call. */
typedef void(tp_recv_h)(const struct tp_peer *from, const char *msg, size_t len, unsigned flags,
			void *arg);
/* A stream connection closed (peer, error, idle): bindings over it become unreachable. */
typedef void(tp_close_h)(struct tp_conn *conn, void *arg);

int tp_mgr_alloc(struct tp_mgr **mp, struct loop *loop, const struct tp_config *cfg,
		 tp_recv_h *recvh, void *arg);
/* Closes every socket and connection (close handlers are called). */
void tp_mgr_free(struct tp_mgr *m);
void tp_mgr_set_close_handler(struct tp_mgr *m, tp_close_h *h, void *arg);
/* TLS context for outgoing TLS connections (verifies the server). Borrowed. */
void tp_mgr_set_tls_client(struct tp_mgr *m, struct tls_ctx *client);

/* Bind and listen. 'addr' may have port 0; the bound address is written to 'bound' (may be
 * NULL). tls is required for TP_TLS (borrowed; must outlive the manager or be replaced with
 * tp_mgr_set_tls_server). 0 or an errno (EADDRINUSE, ...). */
int tp_listen(struct tp_mgr *m, enum tp_kind kind, const struct sa *addr, struct tls_ctx *tls,
	      struct sa *bound);
/* Use a new server TLS context for connections accepted from now on (certificate reload);
 * existing connections keep theirs. */
void tp_mgr_set_tls_server(struct tp_mgr *m, struct tls_ctx *server);

/* Send one message. UDP: from the socket bound to to->local (or the first UDP socket of the
 * right family). Stream: over to->conn if still open; else over an open connection of that kind
 * to to->remote; else a new outgoing connection (queued until connected / handshaken).
 * Never blocks: output is queued per connection (bounded; ENOBUFS past the bound).
 * 0 or an errno (ENOTCONN when a given conn has closed and no other exists, unless the peer
 * has its own tls_client: then a new connection is opened). */
int tp_send(struct tp_mgr *m, const struct tp_peer *to, const void *data, size_t len);
/* A stream connection to to->remote for a client that keeps one up (a trunk): an open one of
 * to->kind to that address, else a new outgoing one (connected and handshaken in the
 * background; what is sent meanwhile is queued). Returns a new reference in *cp (release with
 * tp_conn_unref). EINVAL for UDP; errors as tp_send. */
int tp_connect(struct tp_mgr *m, const struct tp_peer *to, struct tp_conn **cp);

struct tp_conn *tp_conn_ref(struct tp_conn *c);
void tp_conn_unref(struct tp_conn *c);
bool tp_conn_open(const struct tp_conn *c);
enum tp_kind tp_conn_kind(const struct tp_conn *c);
const struct sa *tp_conn_remote(const struct tp_conn *c);
/* Negotiated TLS version and cipher ("TLSv1.3", "TLS_AES_128_GCM_SHA256"); NULL if not TLS or
 * not yet handshaken. */
const char *tp_conn_tls_version(const struct tp_conn *c);
const char *tp_conn_tls_cipher(const struct tp_conn *c);
/* Why an outgoing connection closed before it was usable ("connect: Connection refused",
 * "TLS: certificate verification: ...", "TLS handshake timed out"); NULL otherwise. */
const char *tp_conn_error(const struct tp_conn *c);

/* Counters for metrics and tests. */
struct tp_stats {
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
	uint64_t conns_accepted, conns_open, conns_refused_rate;
	uint64_t tls_handshakes, tls_failures;
	uint64_t keepalives;
};
void tp_mgr_stats(const struct tp_mgr *m, struct tp_stats *st);

#endif
