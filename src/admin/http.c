/* http: the admin HTTPS server on libmicrohttpd. One thread per connection (bounded in number),
 * so a request waiting on the signalling thread blocks only itself. Every path under /api/ and
 * /metrics needs "Authorization: Bearer TOKEN" (compared in constant time); the dashboard page
 * itself is public: it holds no data and asks for the token, which it keeps in the tab's
 * sessionStorage (or takes once from the address's #token= fragment, never sent to the server).
 * No cookies, so no cross-site request can act with an admin's credentials. */
#include "admin/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/bridge.h"
#include "admin/cert.h"
#include "admin/query.h"
#include "admin/store_api.h"
#include "core/json.h"
#include "core/log.h"
#include "core/tmr.h"
#include "net/sa.h"
#include "pbx/api.h"
#include "store/store.h"

/* TLS 1.2 and 1.3 only, AEAD ciphers with forward secrecy (GnuTLS priority syntax). */
#define ADMIN_TLS_PRIORITIES                                                                       \
	"SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"       \
	"+AES-128-GCM:+CHACHA20-POLY1305:-RSA:-DHE-RSA:-SHA1:-AES-128-CBC:-AES-256-CBC"
#define JSON_TYPE "application/json"
#define MAX_CONNECTIONS 64
#define MAX_PER_IP 32
#define CSV_MAX_ROWS 100000
#define AUTH_FAIL_DELAY_MS 250
#define AUTH_FAIL_BURST 10.0

extern const char admin_dashboard_html[];
extern const size_t admin_dashboard_html_len;

struct admin_http {
	struct MHD_Daemon *d;
	struct admin_bridge *bridge;
	struct store *store;
	pthread_mutex_t token_lock; /* a reload may change the token; also guards fail_* */
	char token[128];
	double fail_tokens; /* reports of wrong tokens allowed now */
	uint64_t fail_at_ms;
	unsigned fail_suppressed;
	unsigned timeout_ms;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("admin: http: %s", msg); /* scanners' failed handshakes land here */
}

/* Hand a response to MHD with the headers every answer carries. body is taken over. */
static enum MHD_Result send_mbuf(struct MHD_Connection *c, unsigned status, const char *type,
                                 struct mbuf *body, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    body->len, body->len ? body->buf : (void *)"",
	    body->len ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		mbuf_free(body);
		return MHD_NO;
	}
	mbuf_init(body); /* MHD frees the buffer now */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"sotto admin\"");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code,
                                  const char *message)
{
	struct mbuf mb;
	mbuf_init(&mb);
	mbuf_write_str(&mb, "{");
	json_kv_str(&mb, "error", code, true);
	json_kv_str(&mb, "message", message, false);
	mbuf_write_str(&mb, "}\n");
	return send_mbuf(c, status, JSON_TYPE, &mb, NULL);
}

static enum MHD_Result send_dashboard(struct MHD_Connection *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    admin_dashboard_html_len, (void *)admin_dashboard_html, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	/* everything is inline and comes from here; no external origin at all */
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; script-src 'unsafe-inline'; "
	                        "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
	                        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static void peer_str(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sa sa = {0};
	buf[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		memcpy(&sa.u.in, ci->client_addr, sizeof(sa.u.in));
		sa.len = sizeof(sa.u.in);
	} else if (ci->client_addr->sa_family == AF_INET6) {
		memcpy(&sa.u.in6, ci->client_addr, sizeof(sa.u.in6));
		sa.len = sizeof(sa.u.in6);
	}
	sa_str(&sa, buf, size);
}

/* Token bucket for reporting wrong tokens; *suppressed gets how many were dropped since the
 * last report. */
static bool fail_report_ok(struct admin_http *h, unsigned *suppressed)
{
	bool ok = false;
	uint64_t now = clock_mono_ms();
	pthread_mutex_lock(&h->token_lock);
	h->fail_tokens += (double)(now - h->fail_at_ms) / 1000.0;
	if (h->fail_tokens > AUTH_FAIL_BURST)
		h->fail_tokens = AUTH_FAIL_BURST;
	h->fail_at_ms = now;
	if (h->fail_tokens >= 1.0) {
		h->fail_tokens -= 1.0;
		*suppressed = h->fail_suppressed;
		h->fail_suppressed = 0;
		ok = true;
	} else {
		h->fail_suppressed++;
	}
	pthread_mutex_unlock(&h->token_lock);
	return ok;
}

static enum MHD_Result unauthorized(struct admin_http *h, struct MHD_Connection *c,
                                    const char *auth, const char *url)
{
	if (auth) { /* a wrong token, not a missing one: worth a security event */
		char src[SA_STRLEN];
		unsigned suppressed = 0;
		/* a guesser waits (only its own connection's thread sleeps) and cannot flood the
		 * log or the database: at most AUTH_FAIL_BURST reports, then one per second */
		usleep(AUTH_FAIL_DELAY_MS * 1000);
		if (!fail_report_ok(h, &suppressed))
			goto answer;
		peer_str(c, src, sizeof(src));
		log_warn("admin: wrong token from %s for %s (%u more not reported)", src, url,
		         suppressed);
		if (h->store) {
			struct store_event ev = {.time_ms = clock_unix_ms(),
			                         .kind = "admin_auth_failure",
			                         .source = src,
			                         .detail = "wrong admin API token"};
			store_event_add(h->store, &ev);
		}
	}
answer:
	return send_error(c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
	                  "send Authorization: Bearer TOKEN (the [admin] token)");
}

static enum MHD_Result get_events(struct admin_http *h, struct MHD_Connection *c)
{
	int64_t since = 0;
	uint32_t limit = 100, last = 0;
	if (query_i64(arg(c, "since"), &since) || query_u32(arg(c, "limit"), 1000, &limit) ||
	    query_u32(arg(c, "last"), 1000, &last))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_parameter",
		                  "since: an event id; limit, last: 1-1000");
	if (!limit)
		limit = 100;
	struct mbuf mb;
	mbuf_init(&mb);
	if (store_api_events(h->store, since, last, limit, &mb) || mb.err) {
		mbuf_free(&mb);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "store_error",
		                  "cannot read the events");
	}
	return send_mbuf(c, MHD_HTTP_OK, JSON_TYPE, &mb, NULL);
}

static enum MHD_Result get_cdr(struct admin_http *h, struct MHD_Connection *c)
{
	const char *format = arg(c, "format");
	bool csv = format && !strcmp(format, "csv");
	struct store_cdr_filter f = {.limit = csv ? CSV_MAX_ROWS : 50};
	const char *caller = arg(c, "caller"), *callee = arg(c, "callee");
	if ((format && !csv && strcmp(format, "json")) ||
	    query_u32(arg(c, "offset"), UINT32_MAX, &f.offset) ||
	    query_u32(arg(c, "limit"), csv ? CSV_MAX_ROWS : 1000, &f.limit) ||
	    query_time(arg(c, "since"), &f.since_ms) || query_time(arg(c, "until"), &f.until_ms) ||
	    (caller && !query_number_ok(caller)) || (callee && !query_number_ok(callee)))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "bad_parameter",
		                  "see docs/api.md: offset, limit (1-1000), caller, callee, "
		                  "since, until (2024-05-01, 2024-05-01T12:00:00Z or unix "
		                  "seconds), format (json or csv)");
	if (!f.limit)
		f.limit = csv ? CSV_MAX_ROWS : 50;
	f.caller = caller;
	f.callee = callee;
	struct mbuf mb;
	mbuf_init(&mb);
	int err =
	    csv ? store_api_cdr_csv(h->store, &f, &mb) : store_api_cdr_json(h->store, &f, &mb);
	if (err || mb.err) {
		mbuf_free(&mb);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "store_error",
		                  "cannot read the call records");
	}
	return send_mbuf(c, MHD_HTTP_OK,
	                 csv ? "text/csv; charset=utf-8; header=present" : JSON_TYPE, &mb, NULL);
}

static enum api_method method_of(const char *m)
{
	if (!strcmp(m, MHD_HTTP_METHOD_GET) || !strcmp(m, MHD_HTTP_METHOD_HEAD))
		return API_GET;
	if (!strcmp(m, MHD_HTTP_METHOD_POST))
		return API_POST;
	if (!strcmp(m, MHD_HTTP_METHOD_DELETE))
		return API_DELETE;
	return API_OTHER;
}

static enum MHD_Result via_bridge(struct admin_http *h, struct MHD_Connection *c,
                                  enum api_method method, const char *url)
{
	struct api_request req = {.method = method, .path = url};
	struct api_response resp = {0};
	mbuf_init(&resp.body);
	int err = admin_bridge_call(h->bridge, &req, &resp, h->timeout_ms);
	if (err == ETIMEDOUT)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
		                  "the PBX did not answer in time; try again");
	if (err == ESHUTDOWN)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
		                  "the PBX is shutting down");
	if (err)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", strerror(err));
	return send_mbuf(c, resp.status, resp.content_type, &resp.body, resp.allow);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
	static int started;
	struct admin_http *h = cls;
	(void)version;
	(void)upload;

	if (!*req_cls) { /* headers only so far */
		*req_cls = &started;
		return MHD_YES;
	}
	if (*upload_size) { /* no endpoint takes a body: drop it */
		*upload_size = 0;
		return MHD_YES;
	}
	enum api_method m = method_of(method);
	if (!strcmp(url, "/") || !strcmp(url, "/index.html")) {
		if (m != API_GET)
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
			                  "GET only");
		return send_dashboard(c);
	}
	bool api = !strncmp(url, "/api/", 5) || !strcmp(url, "/metrics");
	if (!api)
		return send_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such page");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	pthread_mutex_lock(&h->token_lock);
	int denied = admin_auth_check(auth, h->token);
	pthread_mutex_unlock(&h->token_lock);
	if (denied)
		return unauthorized(h, c, auth, url);
	if (!strcmp(url, "/api/events") || !strcmp(url, "/api/cdr")) {
		if (m != API_GET) {
			struct mbuf mb;
			mbuf_init(&mb);
			mbuf_write_str(
			    &mb, "{\"error\":\"method_not_allowed\",\"message\":\"GET only\"}\n");
			return send_mbuf(c, MHD_HTTP_METHOD_NOT_ALLOWED, JSON_TYPE, &mb, "GET");
		}
		if (!h->store)
			return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no_store",
			                  "no database");
		return url[5] == 'e' ? get_events(h, c) : get_cdr(h, c);
	}
	return via_bridge(h, c, m, url);
}

int admin_http_alloc(struct admin_http **hp, const struct admin_http_conf *conf, struct loop *loop,
                     struct pbx *pbx, struct store *store)
{
	struct admin_http *h = calloc(1, sizeof(*h));
	struct sa sa;
	int err;
	if (!h)
		return ENOMEM;
	h->store = store;
	h->timeout_ms = conf->job_timeout_ms ? conf->job_timeout_ms : 5000;
	pthread_mutex_init(&h->token_lock, NULL);
	h->fail_tokens = AUTH_FAIL_BURST;
	h->fail_at_ms = clock_mono_ms();
	snprintf(h->token, sizeof(h->token), "%s", conf->token);
	err = sa_parse(&sa, conf->bind, 8443);
	if (err) {
		log_err("admin: bad bind address %s", conf->bind);
		goto out;
	}
	err = admin_cert_set(conf->cert_file, conf->key_file);
	if (err)
		goto out;
	err = admin_bridge_alloc(&h->bridge, loop, pbx);
	if (err)
		goto out;
	unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (sa_family(&sa) == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* its threads inherit this mask: signals stay with the signalling loop's signalfd */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->d = MHD_start_daemon(
	    flags, sa_port(&sa), NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	    NULL, MHD_OPTION_SOCK_ADDR, &sa.u.sa, MHD_OPTION_HTTPS_CERT_CALLBACK,
	    admin_cert_retrieve, MHD_OPTION_HTTPS_PRIORITIES, ADMIN_TLS_PRIORITIES,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->d) {
		err = EADDRINUSE;
		log_err("admin: cannot start the HTTPS server on %s (address in use, or the "
		        "certificate %s / key %s cannot be used)",
		        conf->bind, conf->cert_file, conf->key_file);
		goto out;
	}
	log_info("admin: dashboard and API on https://%s/ (certificate %s)", conf->bind,
	         conf->cert_file);
out:
	if (err) {
		admin_http_free(h);
		return err;
	}
	*hp = h;
	return 0;
}

void admin_http_free(struct admin_http *h)
{
	if (!h)
		return;
	admin_bridge_close(h->bridge); /* waiting requests answer 503 at once */
	if (h->d)
		MHD_stop_daemon(h->d); /* joins every connection thread */
	admin_bridge_free(h->bridge);
	admin_cert_clear();
	OPENSSL_cleanse(h->token, sizeof(h->token));
	pthread_mutex_destroy(&h->token_lock);
	free(h);
}

int admin_http_reload(struct admin_http *h, const char *cert_file, const char *key_file,
                      const char *token)
{
	int err = admin_cert_set(cert_file, key_file);
	if (err)
		return err;
	pthread_mutex_lock(&h->token_lock);
	snprintf(h->token, sizeof(h->token), "%s", token);
	pthread_mutex_unlock(&h->token_lock);
	log_info("admin: certificate %s and token reloaded", cert_file);
	return 0;
}
