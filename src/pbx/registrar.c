/* registrar: REGISTER (RFC 3261 section 10.3) with digest authentication (RFC 8760), bindings
 * held in memory per address-of-record and written through the store. */
#include "pbx/registrar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "pbx/demo.h"
#include "pbx/guard.h"
#include "pbx/pbx_int.h"
#include "sip/build.h"

#define MAX_CONTACTS_PER_REQUEST 16
#define MAX_URI 512
#define BUCKETS 1024

struct binding {
	struct binding *next;
	struct aor *aor;
	struct registrar *r;
	char *contact;
	char *call_id;
	char *user_agent;
	char *instance;
	char q[8];
	uint32_t cseq;
	uint32_t reg_id;
	int64_t expires_unix_ms;
	struct tmr expiry;
	struct tp_peer peer; /* conn holds a reference */
	bool tls, sips, reachable;
};

struct aor {
	struct aor *next;
	char ext[32];
	struct binding *bindings;
	size_t n;
};

struct registrar {
	struct registrar_deps d;
	struct aor *buckets[BUCKETS];
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct aor *aor_find(struct registrar *r, const char *ext, bool create)
{
	uint32_t b = str_hash(ext) % BUCKETS;
	for (struct aor *a = r->buckets[b]; a; a = a->next)
		if (strcmp(a->ext, ext) == 0)
			return a;
	if (!create)
		return NULL;
	struct aor *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->ext, sizeof(a->ext), "%s", ext);
	a->next = r->buckets[b];
	r->buckets[b] = a;
	return a;
}

static void binding_free(struct binding *b)
{
	tmr_cancel(&b->expiry);
	if (b->peer.conn)
		tp_conn_unref(b->peer.conn);
	free(b->contact);
	free(b->call_id);
	free(b->user_agent);
	free(b->instance);
	free(b);
}

/* Unlink b from its aor and free it; 'persist' also deletes the stored row. */
static void binding_remove(struct registrar *r, struct binding *b, bool persist)
{
	struct aor *a = b->aor;
	for (struct binding **pp = &a->bindings; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			a->n--;
			break;
		}
	}
	if (persist && r->d.store)
		store_binding_del(r->d.store, a->ext, b->contact);
	binding_free(b);
}

static void on_expiry(void *arg)
{
	struct binding *b = arg;
	log_info("registrar: %s binding %s expired", b->aor->ext, b->contact);
	binding_remove(b->r, b, true);
}

static void persist(struct registrar *r, const struct binding *b)
{
	char src[SA_STRLEN], local[SA_STRLEN];
	if (!r->d.store)
		return;
	struct store_binding sb = {
		.ext = b->aor->ext,
		.contact = b->contact,
		.expires_at = b->expires_unix_ms,
		.transport = tp_kind_name(b->peer.kind),
		.src_addr = sa_str(&b->peer.remote, src, sizeof(src)),
		.local_addr = b->peer.local.len ? sa_str(&b->peer.local, local, sizeof(local)) : NULL,
		.instance_id = b->instance,
		.reg_id = b->reg_id,
		.user_agent = b->user_agent,
		.call_id = b->call_id,
		.cseq = b->cseq,
		.is_tls = b->tls,
		.q = b->q[0] ? b->q : NULL,
	};
	if (store_binding_put(r->d.store, &sb))
		log_warn("registrar: could not queue binding of %s for storage", b->aor->ext);
}

static char *pl_dup(struct pl pl)
{
	char *s = malloc(pl.l + 1);
	if (s)
		pl_strcpy(pl, s, pl.l + 1);
	return s;
}

static void start_expiry(struct binding *b, uint64_t ms)
{
	if (tmr_start(b->r->d.timers, &b->expiry, ms, on_expiry, b))
		log_err("registrar: no memory for the expiry timer of %s", b->contact);
}

static struct binding *binding_new(struct registrar *r, struct aor *a)
{
	struct binding *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->r = r;
	b->aor = a;
	tmr_init(&b->expiry);
	b->reachable = true;
	b->next = a->bindings;
	a->bindings = b;
	a->n++;
	return b;
}

int registrar_alloc(struct registrar **rp, const struct registrar_deps *deps)
{
	struct registrar *r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->d = *deps;
	*rp = r;
	return 0;
}

void registrar_free(struct registrar *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct aor *a = r->buckets[i];
		while (a) {
			struct aor *next = a->next;
			while (a->bindings) {
				struct binding *b = a->bindings;
				a->bindings = b->next;
				binding_free(b);
			}
			free(a);
			a = next;
		}
	}
	free(r);
}

static int restore_one(const struct store_binding *sb, void *arg)
{
	struct registrar *r = arg;
	struct aor *a = aor_find(r, sb->ext, true);
	struct binding *b = a ? binding_new(r, a) : NULL;
	enum tp_kind kind = TP_UDP;
	if (!b)
		return ENOMEM;
	b->contact = strdup(sb->contact);
	b->call_id = strdup(sb->call_id ? sb->call_id : "");
	b->user_agent = sb->user_agent ? strdup(sb->user_agent) : NULL;
	b->instance = sb->instance_id ? strdup(sb->instance_id) : NULL;
	if (!b->contact || !b->call_id) {
		binding_remove(r, b, false);
		return ENOMEM;
	}
	snprintf(b->q, sizeof(b->q), "%s", sb->q ? sb->q : "");
	b->cseq = sb->cseq;
	b->reg_id = sb->reg_id;
	b->expires_unix_ms = sb->expires_at;
	b->tls = sb->is_tls;
	b->sips = strncasecmp(b->contact, "sips:", 5) == 0;
	if (sb->transport)
		tp_kind_parse(pl_from(sb->transport, strlen(sb->transport)), &kind);
	b->peer.kind = kind;
	if (sb->src_addr)
		sa_parse(&b->peer.remote, sb->src_addr, 0);
	if (sb->local_addr)
		sa_parse(&b->peer.local, sb->local_addr, 0);
	/* The stream it came over died with the old process: a new connection toward the
	 * source address is tried when the phone is called, until it registers again. */
	int64_t left = sb->expires_at - clock_unix_ms();
	start_expiry(b, left > 0 ? (uint64_t)left : 0);
	return 0;
}

int registrar_restore(struct registrar *r)
{
	size_t n = 0;
	if (!r->d.store)
		return 0;
	int err = store_bindings_load(r->d.store, clock_unix_ms(), restore_one, r);
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct aor *a = r->buckets[i]; a; a = a->next)
			n += a->n;
	log_info("registrar: %zu binding(s) restored", n);
	return err;
}

static void contact_view(const struct binding *b, struct reg_contact *c)
{
	int64_t left = b->expires_unix_ms - clock_unix_ms();
	c->ext = b->aor->ext;
	c->contact = b->contact;
	c->peer = b->peer;
	c->reachable = b->reachable;
	c->tls = b->tls;
	c->sips = b->sips;
	c->remaining_s = left > 0 ? (uint32_t)((left + 999) / 1000) : 0;
	c->user_agent = b->user_agent;
}

size_t registrar_lookup(struct registrar *r, const char *ext, reg_contact_h *h, void *arg)
{
	struct aor *a = aor_find(r, ext, false);
	size_t n = 0;
	for (struct binding *b = a ? a->bindings : NULL; b; b = b->next, n++) {
		struct reg_contact c;
		contact_view(b, &c);
		h(&c, arg);
	}
	return n;
}

size_t registrar_foreach(struct registrar *r, reg_contact_h *h, void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct aor *a = r->buckets[i]; a; a = a->next)
			n += registrar_lookup(r, a->ext, h, arg);
	return n;
}

void registrar_conn_closed(struct registrar *r, struct tp_conn *conn)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		for (struct aor *a = r->buckets[i]; a; a = a->next) {
			struct binding *b = a->bindings;
			while (b) {
				struct binding *next = b->next;
				if (b->peer.conn == conn) {
					log_info("registrar: connection of %s binding %s closed; "
						 "binding removed",
						 a->ext, b->contact);
					binding_remove(r, b, true);
				}
				b = next;
			}
		}
	}
}

static unsigned auth_algs(const struct conf_extension *ext)
{
	if (!ext)
		return AUTH_ALGS_ALL;
	return ((ext->digest & CONF_DIGEST_SHA256) ? AUTH_ALGS_SHA256 : 0) |
	       ((ext->digest & CONF_DIGEST_MD5) ? AUTH_ALGS_MD5 : 0);
}

bool registrar_secret(const struct registrar *r, const struct conf_extension *ext,
		      struct auth_secret *out)
{
	memset(out, 0, sizeof(*out));
	if (ext->demo) {
		const char *pw = demo_password(r->d.demo, ext->number);
		if (!pw)
			return false;
		out->algs = auth_algs(ext);
		out->password = pl_from(pw, strlen(pw));
		return true;
	}
	out->algs = auth_algs(ext);
	if (ext->password[0])
		out->password = pl_from(ext->password, strlen(ext->password));
	if (ext->ha1_md5[0])
		out->ha1_md5 = pl_from(ext->ha1_md5, strlen(ext->ha1_md5));
	if (ext->ha1_sha256[0])
		out->ha1_sha256 = pl_from(ext->ha1_sha256, strlen(ext->ha1_sha256));
	return true;
}

void registrar_auth_failed(struct registrar *r, const struct sa *src, const char *user,
			   const char *why)
{
	char addr[SA_STRLEN];
	sa_str(src, addr, sizeof(addr));
	log_warn("auth: failure for '%s' from %s: %s", user, addr, why);
	struct store_event ev = {
		.time_ms = clock_unix_ms(), .kind = "auth_failure", .source = addr, .user = user,
		.detail = why,
	};
	if (r->d.store)
		store_event_add(r->d.store, &ev);
	if (guard_fail(r->d.guard, src, clock_mono_ms())) {
		log_warn("auth: %s blocked for %u s after %u failures", addr,
			 r->d.cfg->block_time_s, r->d.cfg->auth_fail_limit);
		ev.kind = "blocked";
		ev.detail = "too many authentication failures";
		if (r->d.store)
			store_event_add(r->d.store, &ev);
	}
}

static void challenge(struct registrar *r, struct sip_strans *st, bool proxy, bool stale,
		      const struct conf_extension *ext)
{
	struct mbuf mb;
	mbuf_init(&mb);
	if (auth_server_challenge_algs(r->d.auth, &mb, proxy, stale, auth_algs(ext)) == 0 &&
	    mbuf_write_str(&mb, PBX_SERVER_HDR) == 0)
		pbx_reply(st, proxy ? 407 : 401, NULL, mb.buf);
	else
		pbx_reply(st, 500, "Cannot build challenge", NULL);
	mbuf_free(&mb);
}

const struct conf_extension *registrar_authenticate(struct registrar *r, struct sip_strans *st,
						    const struct sip_msg *req,
						    const struct tp_peer *from, struct pl user,
						    bool proxy)
{
	enum sip_hdr_id id = proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
	const struct conf_extension *ext = NULL;
	const struct sip_hdr *h = NULL;
	struct auth_credentials cred;
	struct auth_secret secret;
	bool found = false;
	char name[32] = "(too long)";

	if (user.l < sizeof(name)) {
		pl_strcpy(user, name, sizeof(name));
		ext = settings_extension(r->d.cfg, name);
	}
	while ((h = sip_msg_hdr(req, id, h))) {
		int err = auth_credentials_parse(h->value, &cred);
		if (err == ENOTSUP)
			continue;
		if (err) {
			pbx_reply(st, 400, "Malformed credentials", NULL);
			return NULL;
		}
		if (pl_eq_str(cred.realm, r->d.cfg->realm)) {
			found = true;
			break;
		}
	}
	/* Unknown users are challenged like known ones: the answer does not reveal which
	 * extensions exist. */
	if (!found) {
		challenge(r, st, proxy, false, ext);
		return NULL;
	}
	if (!ext || !auth_credentials_user_eq(&cred, user) || !registrar_secret(r, ext, &secret)) {
		registrar_auth_failed(r, &from->remote, name, "unknown user or username mismatch");
		pbx_reply(st, 403, "Wrong credentials", PBX_SERVER_HDR);
		return NULL;
	}
	switch (auth_server_verify(r->d.auth, &cred, req->method, &secret)) {
	case AUTH_OK:
		return ext;
	case AUTH_STALE:
		challenge(r, st, proxy, true, ext);
		return NULL;
	case AUTH_REPLAY:
		registrar_auth_failed(r, &from->remote, name, "replayed nonce-count");
		pbx_reply(st, 403, "Replayed nonce-count", PBX_SERVER_HDR);
		return NULL;
	case AUTH_BAD_RESPONSE:
		registrar_auth_failed(r, &from->remote, name, "wrong password");
		pbx_reply(st, 403, "Wrong credentials", PBX_SERVER_HDR);
		return NULL;
	case AUTH_MALFORMED:
		pbx_reply(st, 400, "Malformed credentials", NULL);
		return NULL;
	case AUTH_BAD_NONCE:
	case AUTH_REALM_MISMATCH:
	case AUTH_UNSUPPORTED_ALG:
	default:
		challenge(r, st, proxy, false, ext);
		return NULL;
	}
}

static unsigned kind_mask(enum tp_kind k)
{
	return k == TP_TLS ? CONF_TP_TLS : k == TP_TCP ? CONF_TP_TCP : CONF_TP_UDP;
}

struct contact_req {
	struct sip_addr addr;
	uint32_t expires;
	struct binding *existing;
};

static struct binding *find_binding(struct aor *a, struct pl uri)
{
	for (struct binding *b = a ? a->bindings : NULL; b; b = b->next)
		if (pl_eq_str(uri, b->contact))
			return b;
	return NULL;
}

/* The 200: every current binding with its remaining time (RFC 3261 10.3 step 8). */
static void reply_bindings(struct registrar *r, struct sip_strans *st, struct aor *a)
{
	struct mbuf mb;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	mbuf_init(&mb);
	for (struct binding *b = a ? a->bindings : NULL; b; b = b->next) {
		struct reg_contact c;
		contact_view(b, &c);
		mbuf_printf(&mb, "Contact: <%s>;expires=%u\r\n", b->contact, c.remaining_s);
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	mbuf_printf(&mb, "Date: %s\r\n" PBX_SERVER_HDR, date);
	if (mb.err)
		pbx_reply(st, 500, "Out of memory", NULL);
	else
		pbx_reply(st, 200, NULL, mb.buf);
	mbuf_free(&mb);
	(void)r;
}

static void evict_oldest(struct registrar *r, struct aor *a)
{
	struct binding *oldest = NULL;
	for (struct binding *b = a->bindings; b; b = b->next)
		if (!oldest || b->expires_unix_ms < oldest->expires_unix_ms)
			oldest = b;
	if (oldest) {
		log_info("registrar: %s has too many contacts; dropping %s", a->ext,
			 oldest->contact);
		binding_remove(r, oldest, true);
	}
}

static int binding_update(struct registrar *r, struct aor *a, struct contact_req *c,
			  const struct sip_msg *req, const struct tp_peer *from, unsigned max)
{
	struct binding *b = c->existing;
	struct pl val;
	if (!b) {
		while (a->n >= max)
			evict_oldest(r, a);
		b = binding_new(r, a);
		if (!b || !(b->contact = pl_dup(c->addr.uri_raw))) {
			if (b)
				binding_remove(r, b, false);
			return ENOMEM;
		}
	}
	free(b->call_id);
	free(b->user_agent);
	free(b->instance);
	b->instance = NULL;
	b->user_agent = NULL;
	b->call_id = pl_dup(req->call_id);
	const struct sip_hdr *ua = sip_msg_hdr(req, SIP_HDR_USER_AGENT, NULL);
	if (ua)
		b->user_agent = pl_dup(ua->value);
	if (sip_param(c->addr.params, "+sip.instance", &val) && val.l)
		b->instance = pl_dup(val);
	b->reg_id = 0;
	uint32_t reg_id;
	if (sip_param(c->addr.params, "reg-id", &val) && pl_u32(val, UINT32_MAX, &reg_id) == 0)
		b->reg_id = reg_id;
	pl_strcpy(c->addr.q.p ? c->addr.q : PL(""), b->q, sizeof(b->q));
	b->cseq = req->cseq;
	b->expires_unix_ms = clock_unix_ms() + (int64_t)c->expires * 1000;
	b->tls = from->kind == TP_TLS;
	b->sips = c->addr.uri.sips;
	b->reachable = true;
	if (b->peer.conn)
		tp_conn_unref(b->peer.conn);
	b->peer = *from;
	b->peer.server_name = NULL;
	if (b->peer.conn)
		tp_conn_ref(b->peer.conn);
	start_expiry(b, (uint64_t)c->expires * 1000u);
	persist(r, b);
	return b->call_id ? 0 : ENOMEM;
}

void registrar_handle(struct registrar *r, struct sip_strans *st, const struct sip_msg *req,
		      const struct tp_peer *from)
{
	const struct settings *cfg = r->d.cfg;
	struct contact_req contacts[MAX_CONTACTS_PER_REQUEST];
	size_t n = 0, adding = 0;
	bool star = false;
	struct pl user = req->to.uri.user;
	char ext_name[32];

	if (!user.l || user.l >= sizeof(ext_name)) {
		pbx_reply(st, 404, "No such extension", PBX_SERVER_HDR);
		return;
	}
	pl_strcpy(user, ext_name, sizeof(ext_name));
	const struct conf_extension *ext = settings_extension(cfg, ext_name);
	if (ext && !(ext->transports & kind_mask(from->kind))) {
		/* refused before authentication: the password never travels over it again */
		pbx_reply(st, 403,
			  ext->transports == CONF_TP_TLS ? "TLS required for this extension"
							 : "Transport not allowed for this extension",
			  PBX_SERVER_HDR);
		return;
	}
	if (!registrar_authenticate(r, st, req, from, user, false))
		return;

	/* Validate every Contact before changing anything (RFC 3261 10.3 steps 6-7). */
	const struct sip_hdr *h = NULL;
	while ((h = sip_msg_hdr(req, SIP_HDR_CONTACT, h))) {
		struct pl item = {0};
		while (sip_list_next(h->value, &item)) {
			if (n == MAX_CONTACTS_PER_REQUEST) {
				pbx_reply(st, 403, "Too many contacts", PBX_SERVER_HDR);
				return;
			}
			struct contact_req *c = &contacts[n];
			memset(c, 0, sizeof(*c));
			if (sip_addr_parse(&c->addr, item)) {
				pbx_reply(st, 400, "Malformed Contact", NULL);
				return;
			}
			star |= c->addr.star;
			n++;
		}
	}
	if (star && (n != 1 || req->expires != 0)) {
		pbx_reply(st, 400, "Wildcard Contact needs Expires: 0 and no other contact", NULL);
		return;
	}
	struct aor *a = aor_find(r, ext_name, !star && n > 0);
	if (n > 0 && !star && !a) {
		pbx_reply(st, 500, "Out of memory", NULL);
		return;
	}
	if (star) {
		for (struct binding *b = a ? a->bindings : NULL; b; b = b->next) {
			if (pl_eq_str(req->call_id, b->call_id) && req->cseq <= b->cseq) {
				pbx_reply(st, 500, "Stale CSeq", NULL);
				return;
			}
		}
		while (a && a->bindings)
			binding_remove(r, a->bindings, true);
		log_info("registrar: %s unregistered all contacts", ext_name);
		reply_bindings(r, st, a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct contact_req *c = &contacts[i];
		uint64_t exp = c->addr.has_expires ? c->addr.expires
			       : req->expires >= 0 ? (uint64_t)req->expires
						   : cfg->default_expires;
		if (c->addr.uri_raw.l >= MAX_URI) {
			pbx_reply(st, 400, "Contact URI too long", NULL);
			return;
		}
		if (c->addr.uri.sips && from->kind != TP_TLS) {
			pbx_reply(st, 403, "sips Contact needs TLS", PBX_SERVER_HDR);
			return;
		}
		if (exp != 0 && exp < cfg->min_expires) {
			char extra[64];
			snprintf(extra, sizeof(extra), "Min-Expires: %u\r\n" PBX_SERVER_HDR,
				 cfg->min_expires);
			pbx_reply(st, 423, NULL, extra);
			return;
		}
		c->expires = exp > cfg->max_expires ? cfg->max_expires : (uint32_t)exp;
		if (c->expires && ++adding > ext->max_contacts) {
			pbx_reply(st, 403, "More contacts than max_contacts", PBX_SERVER_HDR);
			return;
		}
		c->existing = find_binding(a, c->addr.uri_raw);
		if (c->existing && pl_eq_str(req->call_id, c->existing->call_id) &&
		    req->cseq <= c->existing->cseq) {
			pbx_reply(st, 500, "Stale CSeq", NULL);
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct contact_req *c = &contacts[i];
		char src[SA_STRLEN];
		sa_str(&from->remote, src, sizeof(src));
		/* looked up again: an earlier contact of this request may have evicted it */
		c->existing = find_binding(a, c->addr.uri_raw);
		if (c->expires == 0) {
			if (c->existing) {
				log_info("registrar: %s unregistered %s", ext_name,
					 c->existing->contact);
				binding_remove(r, c->existing, true);
			}
			continue;
		}
		if (binding_update(r, a, c, req, from, ext->max_contacts)) {
			pbx_reply(st, 500, "Out of memory", NULL);
			return;
		}
		log_info("registrar: %s registered %.*s over %s from %s for %u s", ext_name,
			 PL_ARG(c->addr.uri_raw), tp_kind_name(from->kind), src, c->expires);
	}
	reply_bindings(r, st, a);
}

void registrar_set_auth(struct registrar *r, struct auth_server *auth)
{
	r->d.auth = auth;
}

void registrar_set_settings(struct registrar *r, const struct settings *cfg,
			    const struct demo_passwords *demo)
{
	r->d.cfg = cfg;
	r->d.demo = demo;
	for (size_t i = 0; i < BUCKETS; i++) {
		for (struct aor *a = r->buckets[i]; a; a = a->next) {
			if (settings_extension(cfg, a->ext))
				continue;
			log_info("registrar: extension %s removed; dropping its bindings", a->ext);
			while (a->bindings)
				binding_remove(r, a->bindings, true);
		}
	}
}
