/* api: JSON answers for the admin API built from the signalling thread's own state (docs/api.md):
 * registrations, calls with each leg's security, extensions, trunks, hang-up and reload. */
#include "pbx/api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/settings.h"
#include "core/json.h"
#include "core/log.h"
#include "core/tmr.h"
#include "pbx/call.h"
#include "pbx/guard.h"
#include "pbx/pbx_int.h"
#include "pbx/registrar.h"
#include "store/store.h"

#define JSON_TYPE "application/json"

static void api_error(struct api_response *r, unsigned status, const char *code,
                      const char *message)
{
	mbuf_reset(&r->body);
	r->status = status;
	r->content_type = JSON_TYPE;
	mbuf_write_str(&r->body, "{");
	json_kv_str(&r->body, "error", code, true);
	json_kv_str(&r->body, "message", message, false);
	mbuf_write_str(&r->body, "}\n");
}

/* ---- registrations ---- */

struct list_ctx {
	struct mbuf *mb;
	size_t n;
	int64_t now_ms;
};

static void reg_json(const struct reg_contact *c, void *arg)
{
	struct list_ctx *lc = arg;
	struct mbuf *mb = lc->mb;
	char src[SA_STRLEN];
	mbuf_write_str(mb, lc->n++ ? ",\n{" : "\n{");
	json_kv_str(mb, "extension", c->ext, true);
	json_kv_str(mb, "contact", c->contact, false);
	json_kv_str(mb, "transport", tp_kind_name(c->peer.kind), false);
	json_kv_str(mb, "source", sa_str(&c->peer.remote, src, sizeof(src)), false);
	json_kv_bool(mb, "tls", c->tls, false);
	json_kv_bool(mb, "sips", c->sips, false);
	json_kv_bool(mb, "reachable", c->reachable, false);
	json_kv_u64(mb, "expires_in_s", c->remaining_s, false);
	json_kv_str(mb, "user_agent", c->user_agent, false);
	mbuf_write_str(mb, "}");
}

static void get_registrations(struct pbx *p, struct api_response *r)
{
	struct list_ctx lc = {.mb = &r->body};
	mbuf_write_str(&r->body, "[");
	registrar_foreach(pbx_registrar(p), reg_json, &lc);
	mbuf_write_str(&r->body, lc.n ? "\n]\n" : "]\n");
}

/* ---- calls ---- */

static void leg_json(struct mbuf *mb, const char *key, const struct call_leg_info *l,
                     const char *security)
{
	const struct media_side_stats *m = &l->media;
	bool tls = !strcmp(l->transport, "TLS");
	json_key(mb, key, false);
	mbuf_write_str(mb, "{");
	json_kv_bool(mb, "connected", l->connected, true);
	json_kv_str(mb, "transport", l->connected ? l->transport : NULL, false);
	json_kv_bool(mb, "tls", tls, false);
	json_kv_str(mb, "tls_version", l->tls_version, false);
	json_kv_str(mb, "tls_cipher", l->tls_cipher, false);
	json_kv_bool(mb, "srtp", l->srtp_suite != NULL, false);
	json_kv_str(mb, "srtp_suite", l->srtp_suite, false);
	json_kv_bool(mb, "secure", tls && l->srtp_suite, false);
	json_kv_str(mb, "security", security, false);
	json_kv_u64(mb, "packets_in", m->packets_in, false);
	json_kv_u64(mb, "packets_out", m->packets_out, false);
	json_kv_u64(mb, "bytes_in", m->bytes_in, false);
	json_kv_u64(mb, "bytes_out", m->bytes_out, false);
	json_kv_u64(mb, "lost", m->lost, false);
	json_kv_f64(mb, "jitter_ms", m->jitter_ms, false);
	json_kv_u64(mb, "auth_failures", m->auth_failures, false);
	json_kv_u64(mb, "replays", m->replays, false);
	json_kv_u64(mb, "dropped", m->dropped, false);
	mbuf_write_str(mb, "}");
}

static void call_json(const struct call_info *ci, void *arg)
{
	struct list_ctx *lc = arg;
	struct mbuf *mb = lc->mb;
	mbuf_write_str(mb, lc->n++ ? ",\n{" : "\n{");
	json_kv_str(mb, "id", ci->id, true);
	json_kv_str(mb, "caller", ci->caller, false);
	json_kv_str(mb, "callee", ci->echo ? "echo" : ci->callee, false);
	json_kv_str(mb, "trunk", ci->trunk, false);
	json_kv_str(mb, "state", ci->state, false);
	json_kv_bool(mb, "echo", ci->echo, false);
	json_kv_time(mb, "start", ci->start_ms, false);
	json_kv_time(mb, "answer", ci->answer_ms, false);
	json_kv_i64(mb, "age_s", (lc->now_ms - ci->start_ms) / 1000, false);
	json_kv_i64(mb, "duration_s", ci->answer_ms ? (lc->now_ms - ci->answer_ms) / 1000 : 0,
	            false);
	json_kv_bool(mb, "path_secure", ci->path_secure, false);
	leg_json(mb, "a", &ci->a, ci->security_a);
	leg_json(mb, "b", &ci->b, ci->echo ? "" : ci->security_b);
	mbuf_write_str(mb, "}");
}

static void get_calls(struct pbx *p, struct api_response *r)
{
	struct list_ctx lc = {.mb = &r->body, .now_ms = clock_unix_ms()};
	mbuf_write_str(&r->body, "[");
	if (pbx_calls(p))
		calls_foreach(pbx_calls(p), call_json, &lc);
	mbuf_write_str(&r->body, lc.n ? "\n]\n" : "]\n");
}

static bool call_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_'))
			return false;
	return true;
}

static void delete_call(struct pbx *p, const char *id, struct api_response *r)
{
	if (!call_id_ok(id)) {
		api_error(r, 404, "not_found", "no such call");
		return;
	}
	if (!pbx_calls(p)) {
		api_error(r, 503, "shutting_down", "the PBX is shutting down");
		return;
	}
	if (calls_hangup(pbx_calls(p), id)) {
		api_error(r, 404, "not_found", "no such call");
		return;
	}
	log_info("admin: call %s hung up through the API", id);
	mbuf_write_str(&r->body, "{");
	json_kv_str(&r->body, "id", id, true);
	json_kv_str(&r->body, "state", "hung_up", false);
	mbuf_write_str(&r->body, "}\n");
}

/* ---- extensions ---- */

static void count_contact(const struct reg_contact *c, void *arg)
{
	(void)c;
	(void)arg;
}

static const char *const enc_names[] = {"mandatory", "optional", "off"};

static void get_extensions(struct pbx *p, struct api_response *r)
{
	const struct settings *cfg = pbx_settings(p);
	struct mbuf *mb = &r->body;
	mbuf_write_str(mb, "[");
	for (size_t i = 0; i < cfg->n_extensions; i++) {
		const struct conf_extension *e = &cfg->extensions[i];
		size_t n = registrar_lookup(pbx_registrar(p), e->number, count_contact, NULL);
		bool first = true;
		mbuf_write_str(mb, i ? ",\n{" : "\n{");
		json_kv_str(mb, "number", e->number, true);
		json_kv_str(mb, "encryption",
		            e->encryption <= ENC_OFF ? enc_names[e->encryption] : "?", false);
		json_key(mb, "transports", false);
		mbuf_write_str(mb, "[");
		static const struct {
			unsigned bit;
			const char *name;
		} tps[] = {{CONF_TP_TLS, "tls"}, {CONF_TP_TCP, "tcp"}, {CONF_TP_UDP, "udp"}};
		for (size_t t = 0; t < 3; t++) {
			if (!(e->transports & tps[t].bit))
				continue;
			if (!first)
				mbuf_write_str(mb, ",");
			json_str(mb, tps[t].name);
			first = false;
		}
		mbuf_write_str(mb, "]");
		json_key(mb, "digest", false);
		mbuf_printf(mb, "[%s%s%s]", e->digest & CONF_DIGEST_SHA256 ? "\"sha256\"" : "",
		            (e->digest & CONF_DIGEST_SHA256) && (e->digest & CONF_DIGEST_MD5) ? ","
		                                                                              : "",
		            e->digest & CONF_DIGEST_MD5 ? "\"md5\"" : "");
		json_kv_u64(mb, "max_contacts", e->max_contacts, false);
		json_kv_bool(mb, "demo", e->demo, false);
		json_kv_u64(mb, "contacts", n, false);
		json_kv_bool(mb, "registered", n > 0, false);
		mbuf_write_str(mb, "}");
	}
	mbuf_write_str(mb, cfg->n_extensions ? "\n]\n" : "]\n");
}

/* ---- status ---- */

static void get_status(struct pbx *p, struct api_response *r)
{
	const struct settings *cfg = pbx_settings(p);
	struct mbuf *mb = &r->body;
	size_t regs = registrar_foreach(pbx_registrar(p), count_contact, NULL);
	mbuf_write_str(mb, "{");
	json_kv_str(mb, "realm", cfg->realm, true);
	json_kv_time(mb, "now", clock_unix_ms(), false);
	json_kv_u64(mb, "registrations", regs, false);
	json_kv_u64(mb, "extensions", cfg->n_extensions, false);
	json_kv_u64(mb, "calls", pbx_calls(p) ? calls_count(pbx_calls(p)) : 0, false);
	json_kv_u64(mb, "blocked_addresses", guard_count_blocked(pbx_guard(p), clock_mono_ms()),
	            false);
	mbuf_write_str(mb, "}\n");
}

/* ---- reload ---- */

/* The lines of text as a JSON array of strings. */
static void lines_json(struct mbuf *mb, const struct mbuf *text)
{
	const char *p = text->buf, *end = text->buf + text->len;
	bool first = true;
	mbuf_write_str(mb, "[");
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n) {
			if (!first)
				mbuf_write_str(mb, ",");
			json_strn(mb, p, n);
			first = false;
		}
		p += n + 1;
	}
	mbuf_write_str(mb, "]");
}

static void post_reload(struct pbx *p, struct api_response *r)
{
	struct mbuf errors, notes;
	mbuf_init(&errors);
	mbuf_init(&notes);
	int err = pbx_reload(p, &errors, &notes);
	struct mbuf *mb = &r->body;
	mbuf_write_str(mb, "{");
	json_kv_bool(mb, "reloaded", !err, true);
	if (err) {
		r->status = 400;
		json_kv_str(mb, "error", "config_rejected", false);
		json_kv_str(mb, "message",
		            "configuration refused as a whole; the running configuration stays",
		            false);
		json_key(mb, "errors", false);
		lines_json(mb, &errors);
	}
	json_key(mb, "notes", false);
	lines_json(mb, &notes);
	mbuf_write_str(mb, "}\n");
	mbuf_free(&errors);
	mbuf_free(&notes);
}

/* ---- routing ---- */

struct route {
	const char *path;
	bool prefix;      /* path ends in '/' and takes an id */
	unsigned methods; /* 1u << enum api_method */
	const char *allow;
};

static const struct route routes[] = {
    {"/api/registrations", false, 1u << API_GET, "GET"},
    {"/api/calls", false, 1u << API_GET, "GET"},
    {"/api/calls/", true, 1u << API_DELETE, "DELETE"},
    {"/api/trunks", false, 1u << API_GET, "GET"},
    {"/api/extensions", false, 1u << API_GET, "GET"},
    {"/api/status", false, 1u << API_GET, "GET"},
    {"/api/reload", false, 1u << API_POST, "POST"},
    {"/metrics", false, 1u << API_GET, "GET"},
};

static const struct route *route_find(const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);
		if (routes[i].prefix ? !strncmp(path, routes[i].path, n) && path[n]
		                     : !strcmp(path, routes[i].path))
			return &routes[i];
	}
	return NULL;
}

bool pbx_api_handles(const char *path) { return route_find(path) != NULL; }

void pbx_api(struct pbx *p, const struct api_request *req, struct api_response *r)
{
	const struct route *rt = route_find(req->path);
	r->status = 200;
	r->content_type = JSON_TYPE;
	if (!rt) {
		api_error(r, 404, "not_found", "no such endpoint");
		return;
	}
	if (!(rt->methods & (1u << req->method))) {
		api_error(r, 405, "method_not_allowed", "method not allowed on this endpoint");
		r->allow = rt->allow;
		return;
	}
	if (!strcmp(rt->path, "/api/registrations"))
		get_registrations(p, r);
	else if (!strcmp(rt->path, "/api/calls"))
		get_calls(p, r);
	else if (!strcmp(rt->path, "/api/calls/"))
		delete_call(p, req->path + strlen(rt->path), r);
	else if (!strcmp(rt->path, "/api/trunks"))
		pbx_trunks_json(p, &r->body);
	else if (!strcmp(rt->path, "/api/extensions"))
		get_extensions(p, r);
	else if (!strcmp(rt->path, "/api/status"))
		get_status(p, r);
	else if (!strcmp(rt->path, "/api/reload"))
		post_reload(p, r);
	else if (!strcmp(rt->path, "/metrics")) {
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		pbx_metrics(p, &r->body);
	}
	if (r->body.err)
		api_error(r, 500, "out_of_memory", "out of memory");
}

/* ---- sottoctl cdr ---- */

static int cdr_line(const struct store_cdr *c, void *arg)
{
	struct mbuf *out = arg;
	char start[40];
	json_time_str(c->start_ms, start, sizeof(start));
	start[19] = '\0'; /* to the second */
	mbuf_printf(out, "%-12s %-19s %-10s %-10s %6lld %4d %-14s %-3s %s | %s\n", c->id, start,
	            c->caller ? c->caller : "", c->callee ? c->callee : "",
	            (long long)(c->duration_ms / 1000), c->status, c->cause ? c->cause : "",
	            c->secure ? "yes" : "no", c->sec_a ? c->sec_a : "-", c->sec_b ? c->sec_b : "-");
	return 0;
}

void pbx_cdr_print(struct pbx *p, struct mbuf *out)
{
	struct store *st = pbx_store(p);
	struct store_cdr_filter f = {.limit = 20};
	uint64_t total = 0;
	if (!st) {
		mbuf_printf(out, "error: no database\n");
		return;
	}
	mbuf_printf(out, "%-12s %-19s %-10s %-10s %6s %4s %-14s %-3s %s\n", "ID", "START (UTC)",
	            "FROM", "TO", "SECS", "CODE", "CAUSE", "SEC", "LEG A | LEG B");
	/* a small read of committed rows: the writer's latest batch may follow a moment later */
	if (store_cdr_list(st, &f, cdr_line, out) || store_cdr_count(st, NULL, &total)) {
		mbuf_printf(out, "error: cannot read the call records\n");
		return;
	}
	mbuf_printf(out, "%llu call record(s)%s\n", (unsigned long long)total,
	            total > 20 ? ", the last 20 shown" : "");
}
