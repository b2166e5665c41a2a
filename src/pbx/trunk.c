/* trunk: the trunk manager (trunk.h): one struct trunk per [trunk NAME] with the provider's
 * peer, its TLS client context and our addresses toward it; lookups for the call logic
 * (by name, by where a request came from), digest answers to a provider's challenges, and the
 * listings for sottoctl and the admin API. Registration lives in trunk_reg.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>

#include "core/json.h"
#include "core/log.h"
#include "net/tls.h"
#include "pbx/route.h"
#include "pbx/trunk_int.h"
#include "sip/build.h"

static enum tp_kind kind_of(unsigned conf_tp)
{
	return conf_tp == CONF_TP_UDP ? TP_UDP : conf_tp == CONF_TP_TCP ? TP_TCP : TP_TLS;
}

static const char *kind_param(enum tp_kind k)
{
	return k == TP_TLS ? "tls" : k == TP_TCP ? "tcp" : "udp";
}

/* The local address the kernel would send from toward remote (a connected UDP socket sends
 * nothing). false if there is no route. */
static bool source_for(const struct sa *remote, struct sa *src)
{
	int fd = socket(sa_family(remote), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	src->len = sizeof(src->u);
	if (connect(fd, &remote->u.sa, remote->len) == 0 &&
	    getsockname(fd, &src->u.sa, &src->len) == 0)
		ok = true;
	close(fd);
	return ok;
}

/* Where the provider reaches us: over UDP our UDP socket (the trunk sends from it too), over
 * TCP/TLS our listener of that kind if there is one (the provider mostly uses the connection
 * the trunk keeps up anyway). A wildcard bind is replaced by the address routed toward the
 * provider. Fills peer.local (UDP), contact and sent_by. */
static void local_addresses(struct trunk *t, const struct settings *cfg)
{
	const struct conf_bind *binds = t->peer.kind == TP_UDP	 ? cfg->udp
					: t->peer.kind == TP_TCP ? cfg->tcp
								 : cfg->tls;
	size_t n = t->peer.kind == TP_UDP ? cfg->n_udp : t->peer.kind == TP_TCP ? cfg->n_tcp
										: cfg->n_tls;
	int fam = sa_family(&t->peer.remote);
	struct sa local = {0}, src;
	char host[SA_STRLEN];

	for (size_t i = 0; i < n && !local.len; i++) {
		struct sa b;
		if (!sa_parse(&b, binds[i].addr, 0) && sa_family(&b) == fam)
			local = b;
	}
	if (t->peer.kind == TP_UDP)
		t->peer.local = local;
	if (!local.len || sa_is_any(&local)) {
		uint16_t port = local.len ? sa_port(&local) : t->peer.kind == TP_TLS ? 5061 : 5060;
		if (source_for(&t->peer.remote, &src)) {
			local = src;
		} else {
			sa_parse(&local, fam == AF_INET6 ? "[::1]:0" : "127.0.0.1:0", 0);
		}
		sa_set_port(&local, port);
	}
	sa_str(&local, host, sizeof(host));
	snprintf(t->sent_by, sizeof(t->sent_by), "%s", host);
	snprintf(t->contact, sizeof(t->contact), "sip:%s@%s;transport=%s",
		 t->c.username[0] ? t->c.username : "sotto", host, kind_param(t->peer.kind));
}

static void trunk_free_one(struct trunk *t)
{
	tmr_cancel(&t->reg_tmr);
	tmr_cancel(&t->ka_tmr);
	tp_conn_unref(t->conn);
	if (t->tls)
		tls_ctx_free(t->tls);
	free(t->challenge);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

static int trunk_new(struct trunks *m, const struct conf_trunk *c, const struct settings *cfg,
		     struct trunk **tp)
{
	struct trunk *t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->m = m;
	t->c = *c;
	tmr_init(&t->reg_tmr);
	tmr_init(&t->ka_tmr);
	t->peer.kind = kind_of(c->transport);
	if (sa_parse(&t->peer.remote, c->addr, 0)) {
		trunk_free_one(t);
		return EINVAL; /* the loader resolved it: cannot happen with a loaded cfg */
	}
	t->addr = t->peer.remote;
	bool v6 = strchr(c->server_name, ':') != NULL;
	snprintf(t->host, sizeof(t->host), v6 ? "[%s]" : "%s", c->server_name);
	uint16_t port = sa_port(&t->peer.remote);
	if (port == (t->peer.kind == TP_TLS ? 5061 : 5060))
		snprintf(t->ruri, sizeof(t->ruri), "sip:%s", t->host);
	else
		snprintf(t->ruri, sizeof(t->ruri), "sip:%s:%u", t->host, port);
	snprintf(t->aor, sizeof(t->aor), "sip:%s@%s", c->username[0] ? c->username : "sotto",
		 t->host);
	local_addresses(t, cfg);
	if (sip_random_token(t->call_id, 32) || sip_random_token(t->from_tag, 16)) {
		trunk_free_one(t);
		return EIO;
	}
	t->reg = c->reg ? TRUNK_REG_REGISTERING : TRUNK_REG_OFF;
	if (t->peer.kind == TP_TLS) {
		t->peer.server_name = t->c.server_name;
		int err = tls_ctx_client_alloc(&t->tls, c->ca[0] ? c->ca : NULL, c->verify_server);
		if (err) {
			/* shown as the trunk's state; the rest of the PBX carries on */
			t->reg = TRUNK_REG_BROKEN;
			snprintf(t->fail_reason, sizeof(t->fail_reason),
				 "TLS: cannot use CA %.100s (%s)", c->ca[0] ? c->ca : "system store",
				 strerror(err));
			log_err("trunk %s: %s", c->name, t->fail_reason);
			/* never fall back to another trust store: sends fail (EINVAL) instead */
			t->peer.remote.len = 0;
		}
		t->peer.tls_client = t->tls;
	}
	*tp = t;
	return 0;
}

/* Append to the list's live part (before the retired ones) or its end. */
static void list_add(struct trunks *m, struct trunk *t)
{
	struct trunk **pp = &m->list;
	while (*pp && !(*pp)->retired)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	m->n++;
}

int trunks_alloc(struct trunks **mp, const struct trunks_deps *deps)
{
	struct trunks *m;
	int err = 0;

	if (!mp || !deps || !deps->cfg || !deps->timers)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->d = *deps;
	m->d.cfg = NULL; /* borrowed for this call only */
	for (size_t i = 0; i < deps->cfg->n_trunks && !err; i++) {
		struct trunk *t = NULL;
		err = trunk_new(m, &deps->cfg->trunks[i], deps->cfg, &t);
		if (!err)
			list_add(m, t);
	}
	if (err) {
		trunks_free(m);
		return err;
	}
	for (struct trunk *t = m->list; t; t = t->next)
		trunk_reg_start(t);
	*mp = m;
	return 0;
}

size_t trunks_shutdown(struct trunks *m)
{
	size_t n = 0;
	for (struct trunk *t = m ? m->list : NULL; t; t = t->next)
		n += trunk_reg_stop(t, true);
	return n;
}

void trunks_free(struct trunks *m)
{
	if (!m)
		return;
	while (m->list) {
		struct trunk *t = m->list;
		m->list = t->next;
		trunk_free_one(t);
	}
	free(m);
}

static bool same_conf(const struct conf_trunk *a, const struct conf_trunk *b)
{
	return !memcmp(a, b, offsetof(struct conf_trunk, line)); /* the line may move */
}

int trunks_set_settings(struct trunks *m, const struct settings *cfg)
{
	size_t n = cfg->n_trunks;
	struct trunk **fresh = calloc(n ? n : 1, sizeof(*fresh));
	struct trunk **order = calloc(n ? n : 1, sizeof(*order));
	int err = fresh && order ? 0 : ENOMEM;

	/* make every new or changed trunk first: nothing changes if one cannot be made */
	for (size_t i = 0; i < n && !err; i++) {
		struct trunk *old = trunk_find(m, cfg->trunks[i].name);
		if (!old || !same_conf(&old->c, &cfg->trunks[i]))
			err = trunk_new(m, &cfg->trunks[i], cfg, &fresh[i]);
		order[i] = fresh[i] ? fresh[i] : old;
	}
	if (err) {
		for (size_t i = 0; fresh && i < n; i++)
			if (fresh[i])
				trunk_free_one(fresh[i]);
		free(fresh);
		free(order);
		return err;
	}
	/* retire the removed and the changed ones: un-REGISTER, no longer found */
	for (struct trunk *t = m->list; t; t = t->next) {
		if (t->retired)
			continue;
		const struct conf_trunk *nc = settings_trunk(cfg, t->c.name);
		if (nc && same_conf(&t->c, nc)) {
			t->c.line = nc->line;
			continue;
		}
		log_info("trunk %s: %s by the reload", t->c.name, nc ? "changed" : "removed");
		trunk_reg_stop(t, true);
		t->retired = true;
	}
	/* the list again: the live ones in the new file order, then every retired one */
	struct trunk *retired = NULL, **rtail = &retired;
	for (struct trunk *t = m->list, *next; t; t = next) {
		next = t->next;
		t->next = NULL;
		if (t->retired) {
			*rtail = t;
			rtail = &t->next;
		}
	}
	struct trunk **tail = &m->list;
	m->n = 0;
	for (size_t i = 0; i < n; i++) {
		*tail = order[i];
		tail = &order[i]->next;
		m->n++;
	}
	*tail = retired;
	for (size_t i = 0; i < n; i++)
		if (fresh[i])
			trunk_reg_start(fresh[i]);
	free(fresh);
	free(order);
	return 0;
}

void trunks_conn_closed(struct trunks *m, struct tp_conn *conn)
{
	for (struct trunk *t = m ? m->list : NULL; t; t = t->next)
		if (t->conn == conn)
			trunk_reg_conn_closed(t, conn);
}

/* ---- lookups and getters ---- */

struct trunk *trunk_find(struct trunks *m, const char *name)
{
	for (struct trunk *t = m && name ? m->list : NULL; t; t = t->next)
		if (!t->retired && !strcmp(t->c.name, name))
			return t;
	return NULL;
}

/* Over UDP the provider's address and port must both match (anyone sharing its address, on a
 * host or behind a NAT, is not the provider). Over TCP/TLS only the connection Sotto opened to
 * the provider (and verified, over TLS) counts: anyone can connect from the provider's host,
 * and providers send their calls down the connection the registration keeps up. */
static bool from_trunk(const struct trunk *t, const struct tp_peer *from)
{
	if (from->conn)
		return t->conn == from->conn;
	return from->kind == TP_UDP && t->peer.kind == TP_UDP && sa_eq(&from->remote, &t->addr);
}

struct trunk *trunk_identify_did(struct trunks *m, const struct tp_peer *from, const char *did)
{
	struct trunk *first = NULL;

	for (struct trunk *t = m && from ? m->list : NULL; t; t = t->next) {
		if (t->retired || !from_trunk(t, from))
			continue;
		if (!did || route_trunk_has_did(&t->c, did))
			return t;
		if (!first)
			first = t;
	}
	return first;
}

struct trunk *trunk_identify(struct trunks *m, const struct tp_peer *from)
{
	return trunk_identify_did(m, from, NULL);
}

const char *trunk_name(const struct trunk *t)
{
	return t->c.name;
}

const struct tp_peer *trunk_peer(const struct trunk *t)
{
	return &t->peer;
}

enum tp_kind trunk_kind(const struct trunk *t)
{
	return t->peer.kind;
}

enum conf_encryption trunk_encryption(const struct trunk *t)
{
	return t->c.encryption;
}

const char *trunk_caller_id(const struct trunk *t)
{
	return t->c.caller_id;
}

const char *trunk_username(const struct trunk *t)
{
	return t->c.username;
}

const char *trunk_host(const struct trunk *t)
{
	return t->host;
}

const char *trunk_contact(const struct trunk *t)
{
	return t->contact;
}

const struct conf_trunk *trunk_conf(const struct trunk *t)
{
	return &t->c;
}

bool trunk_registered(const struct trunk *t)
{
	return t->reg == TRUNK_REG_REGISTERED;
}

static uint32_t secs_until(const struct trunk *t, uint64_t at_ms)
{
	uint64_t now = t->m->d.timers->now_ms;
	return at_ms > now ? (uint32_t)((at_ms - now + 999) / 1000) : 0;
}

/* "403 Forbidden", "timeout (no answer)" */
static void last_error(const struct trunk *t, char *buf, size_t size)
{
	if (t->fail_code)
		snprintf(buf, size, "%u %s", t->fail_code, t->fail_reason);
	else
		snprintf(buf, size, "%s", t->fail_reason);
}

void trunk_state_str(const struct trunk *t, char *buf, size_t size)
{
	char err[200];

	switch (t->reg) {
	case TRUNK_REG_OFF:
		snprintf(buf, size, "unregistered (register = no)");
		return;
	case TRUNK_REG_REGISTERING:
		snprintf(buf, size, "registering");
		return;
	case TRUNK_REG_REGISTERED:
		snprintf(buf, size, "registered (refresh in %u s)", secs_until(t, t->next_at_ms));
		return;
	case TRUNK_REG_FAILED:
		last_error(t, err, sizeof(err));
		snprintf(buf, size, "failed: %s; retrying in %u s", err,
			 secs_until(t, t->next_at_ms));
		return;
	case TRUNK_REG_BROKEN:
		snprintf(buf, size, "failed: %s", t->fail_reason);
		return;
	case TRUNK_REG_STOPPED:
		snprintf(buf, size, "unregistered");
		return;
	}
	snprintf(buf, size, "?");
}

/* ---- digest ---- */

int trunk_pick_challenge(const struct sip_msg *resp, struct pl *value, bool *proxy)
{
	enum sip_hdr_id id;
	struct pl values[16];
	size_t n = 0, idx;
	const struct sip_hdr *h = NULL;

	if (resp->scode != 401 && resp->scode != 407)
		return EINVAL;
	*proxy = resp->scode == 407;
	id = *proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
	while ((h = sip_msg_hdr(resp, id, h)) && n < 16)
		values[n++] = h->value;
	if (auth_challenge_pick(values, n, &idx))
		return ENOENT;
	*value = values[idx];
	return 0;
}

int trunk_write_auth(struct trunk *t, struct pl challenge, bool proxy, const char *method,
		     const char *uri, struct mbuf *mb)
{
	size_t mark = mb->len;
	int err;

	if (!t->c.username[0] || !t->c.password[0])
		return EPERM;
	mbuf_write_str(mb, proxy ? "Proxy-Authorization: " : "Authorization: ");
	err = auth_client_respond(challenge, pl_from(method, strlen(method)),
				  pl_from(uri, strlen(uri)),
				  pl_from(t->c.username, strlen(t->c.username)),
				  pl_from(t->c.password, strlen(t->c.password)), &t->nc, mb);
	if (!err)
		err = mbuf_write_str(mb, "\r\n");
	if (!err && mb->err)
		err = mb->err;
	if (err && mb->len >= mark && !mb->err)
		mb->len = mark;
	return err;
}

int trunk_auth_answer(struct trunk *t, const struct sip_msg *resp, const char *method,
		      const char *uri, struct mbuf *hdr_line)
{
	struct pl value;
	bool proxy;

	if (!t || !resp || !method || !uri || !hdr_line)
		return EINVAL;
	if (resp->scode != 401 && resp->scode != 407)
		return EINVAL;
	if (!t->c.username[0] || !t->c.password[0])
		return EPERM;
	if (trunk_pick_challenge(resp, &value, &proxy))
		return ENOENT;
	return trunk_write_auth(t, value, proxy, method, uri, hdr_line);
}

/* ---- listings ---- */

static const char *enc_name(enum conf_encryption e)
{
	return e == ENC_MANDATORY ? "mandatory" : e == ENC_OPTIONAL ? "optional" : "off";
}

void trunks_print(struct trunks *m, struct mbuf *out, trunk_calls_h *calls, void *arg)
{
	char state[300];
	size_t n = 0;

	mbuf_printf(out, "%-12s %-4s %-24s %-10s %5s  %s\n", "TRUNK", "TP", "PROVIDER",
		    "MEDIA", "CALLS", "REGISTRATION");
	for (struct trunk *t = m ? m->list : NULL; t; t = t->next) {
		if (t->retired)
			continue;
		n++;
		trunk_state_str(t, state, sizeof(state));
		mbuf_printf(out, "%-12s %-4s %-24s %-10s %5u  %s\n", t->c.name,
			    tp_kind_name(t->peer.kind), t->c.addr, enc_name(t->c.encryption),
			    calls ? calls(t->c.name, arg) : 0, state);
	}
	mbuf_printf(out, "%zu trunk(s)\n", n);
}

static const char *reg_word(enum trunk_reg r)
{
	switch (r) {
	case TRUNK_REG_OFF:
		return "off";
	case TRUNK_REG_REGISTERING:
		return "registering";
	case TRUNK_REG_REGISTERED:
		return "registered";
	case TRUNK_REG_FAILED:
	case TRUNK_REG_BROKEN:
		return "failed";
	case TRUNK_REG_STOPPED:
		break;
	}
	return "unregistered";
}

void trunks_json(struct trunks *m, struct mbuf *out, trunk_calls_h *calls, void *arg)
{
	char buf[300];
	bool first = true;

	mbuf_write_str(out, "[");
	for (struct trunk *t = m ? m->list : NULL; t; t = t->next) {
		if (t->retired)
			continue;
		mbuf_write_str(out, first ? "{" : ",{");
		first = false;
		json_kv_str(out, "name", t->c.name, true);
		json_kv_str(out, "host", t->c.host, false);
		json_kv_str(out, "address", t->c.addr, false);
		json_kv_str(out, "transport", kind_param(t->peer.kind), false);
		json_kv_str(out, "encryption", enc_name(t->c.encryption), false);
		json_kv_str(out, "registration", reg_word(t->reg), false);
		trunk_state_str(t, buf, sizeof(buf));
		json_kv_str(out, "state", buf, false);
		last_error(t, buf, sizeof(buf));
		json_kv_str(out, "last_error",
			    (t->reg == TRUNK_REG_FAILED || t->reg == TRUNK_REG_BROKEN) ? buf : NULL,
			    false);
		json_key(out, "expires_in_s", false);
		if (t->reg == TRUNK_REG_REGISTERED)
			mbuf_printf(out, "%u", secs_until(t, t->expires_at_ms));
		else
			mbuf_write_str(out, "null");
		json_kv_u64(out, "calls", calls ? calls(t->c.name, arg) : 0, false);
		mbuf_write_str(out, "}");
	}
	mbuf_write_str(out, "]\n");
}
