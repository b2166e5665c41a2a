/* http: the HTTPS admin server (libmicrohttpd on GnuTLS, TLS 1.2+): the JSON API and /metrics
 * behind a bearer token, and the dashboard page (docs/api.md). Its threads never touch PBX
 * state: PBX questions go to the signalling thread through the bridge, store reads (events,
 * call records) run on the HTTP thread on the store's own reader connection. */
#ifndef SOTTO_ADMIN_HTTP_H
#define SOTTO_ADMIN_HTTP_H

#include "net/loop.h"

struct admin_http;
struct pbx;
struct store;

struct admin_http_conf {
	const char *bind;      /* numeric "127.0.0.1:8443" or "[::1]:8443" */
	const char *token;     /* the bearer token itself (resolve "demo" with admin_token_load) */
	const char *cert_file; /* PEM certificate chain and key */
	const char *key_file;
	unsigned job_timeout_ms; /* waiting for the signalling thread; 0: 5000 */
};

/* Start the server: loop is the signalling loop (jobs run there), pbx and store (may be NULL)
 * are borrowed. 0 or an errno (the reason is logged). */
int admin_http_alloc(struct admin_http **hp, const struct admin_http_conf *conf, struct loop *loop,
                     struct pbx *pbx, struct store *store);
/* Stop: waiting requests get 503, the server's threads are joined. Signalling thread. */
void admin_http_free(struct admin_http *h);
/* After a configuration reload: the (renewed) certificate and key for new connections, and the
 * token for new requests. 0, or an errno with nothing changed. Signalling thread. */
int admin_http_reload(struct admin_http *h, const char *cert_file, const char *key_file,
                      const char *token);

/* The token for `token = demo`: read from data_dir/admin-token, or generated there (mode 0600)
 * and printed once to stdout with the dashboard's address. size > 32. 0 or an errno. */
int admin_token_load(const char *data_dir, const char *bind, char *out, size_t size);

/* Constant-time check of an Authorization header value against "Bearer <token>". */
int admin_auth_check(const char *header, const char *token);

#endif
