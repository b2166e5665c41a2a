/* trunk_reg: outbound registration with a provider (RFC 3261 section 10.2) and the keep-alives
 * of its connection (RFC 5626 section 4.4.1).
 *
 * One Call-ID per trunk for every REGISTER it sends (10.2.4: refreshes keep it, the CSeq goes
 * up). A 401/407 is answered with the trunk's credentials (sip/auth.h: SHA-256 before MD5,
 * qop=auth with the trunk's nonce-count); the challenge is kept so that refreshes carry
 * credentials from the start and cost one round trip. A second challenge in the same attempt
 * that is not stale means the credentials are wrong: that is a failure like a 403. A 423 is
 * retried at once with its Min-Expires. A 2xx says how long the registration lasts (our
 * Contact's expires parameter, else Expires); it is refreshed at 80% of that.
 *
 * Failures (timeout, a final >= 300, a transport error, the connection closing under the
 * REGISTER) are shown with their code and reason and retried after 5 s, doubling up to 5 min, a
 * 503's Retry-After respected; a success resets the back-off. Over TCP/TLS the trunk holds its
 * connection (tp_connect), sends everything over it and pings it every 30 s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "pbx/trunk_int.h"
#include "sip/build.h"
#include "sip/request.h"

static void reg_timer_h(void *arg);
static void send_register(struct trunk *t);

static uint64_t now_ms(const struct trunk *t)
{
	return t->m->d.timers->now_ms;
}

static void schedule(struct trunk *t, uint64_t delay_ms)
{
	t->next_at_ms = now_ms(t) + delay_ms;
	if (tmr_start(t->m->d.timers, &t->reg_tmr, delay_ms, reg_timer_h, t))
		log_err("trunk %s: no memory for a timer", t->c.name);
}

static void forget_challenge(struct trunk *t)
{
	free(t->challenge);
	t->challenge = NULL;
}

/* A failure: shown, then retried after the back-off (at least retry_after_s). */
static void fail(struct trunk *t, uint16_t code, const char *reason, uint32_t retry_after_s)
{
	uint32_t delay = t->backoff_s ? t->backoff_s : TRUNK_BACKOFF_MIN_S;

	if (retry_after_s > delay)
		delay = retry_after_s > 3600 ? 3600 : retry_after_s;
	t->reg = TRUNK_REG_FAILED;
	t->fail_code = code;
	snprintf(t->fail_reason, sizeof(t->fail_reason), "%s", reason ? reason : "");
	t->backoff_s = delay * 2 > TRUNK_BACKOFF_MAX_S ? TRUNK_BACKOFF_MAX_S : delay * 2;
	t->auth_rounds = 0;
	forget_challenge(t); /* the next attempt starts with a fresh challenge */
	if (code)
		log_warn("trunk %s: registration failed: %u %s; retrying in %u s", t->c.name, code,
			 t->fail_reason, delay);
	else
		log_warn("trunk %s: registration failed: %s; retrying in %u s", t->c.name,
			 t->fail_reason, delay);
	schedule(t, delay * 1000ull);
}

/* ---- keep-alives ---- */

static void ka_timer_h(void *arg)
{
	struct trunk *t = arg;
	static const char ping[] = "\r\n\r\n";

	if (!t->conn || !tp_conn_open(t->conn) || !t->m->d.tp)
		return; /* restarted with the next connection */
	struct tp_peer to = t->peer;
	to.conn = t->conn;
	if (tp_send(t->m->d.tp, &to, ping, sizeof(ping) - 1))
		log_debug("trunk %s: keep-alive not sent", t->c.name);
	(void)tmr_start(t->m->d.timers, &t->ka_tmr, TRUNK_KEEPALIVE_MS, ka_timer_h, t);
}

/* TCP/TLS: the connection everything goes over, opened (in the background) if needed. */
static int hold_conn(struct trunk *t)
{
	if (t->peer.kind == TP_UDP || !t->m->d.tp)
		return 0;
	if (t->conn && tp_conn_open(t->conn))
		return 0;
	tp_conn_unref(t->conn);
	t->conn = NULL;
	t->peer.conn = NULL;
	int err = tp_connect(t->m->d.tp, &t->peer, &t->conn);
	if (err)
		return err;
	t->peer.conn = t->conn;
	(void)tmr_start(t->m->d.timers, &t->ka_tmr, TRUNK_KEEPALIVE_MS, ka_timer_h, t);
	return 0;
}

/* ---- responses ---- */

/* How long the 2xx says we are registered: our Contact's expires, else Expires, else what
 * we asked for. */
static uint32_t granted(const struct trunk *t, const struct sip_msg *resp)
{
	const struct sip_hdr *h = NULL;
	size_t ncontacts = 0;
	int64_t mine = -1, only = -1;

	while ((h = sip_msg_hdr(resp, SIP_HDR_CONTACT, h))) {
		struct pl item = PL_NULL;
		while (sip_list_next(h->value, &item)) {
			struct sip_addr a;
			if (sip_addr_parse(&a, item))
				continue;
			ncontacts++;
			if (!a.has_expires)
				continue;
			only = a.expires;
			/* the registrar may have rewritten parameters: compare up to them */
			size_t n = strcspn(t->contact, ";");
			if (a.uri_raw.l >= n && !strncasecmp(a.uri_raw.p, t->contact, n))
				mine = a.expires;
		}
	}
	if (mine >= 0)
		return (uint32_t)mine;
	if (ncontacts == 1 && only >= 0)
		return (uint32_t)only;
	if (resp->expires >= 0)
		return resp->expires > UINT32_MAX ? UINT32_MAX : (uint32_t)resp->expires;
	return t->expires;
}

static void registered(struct trunk *t, const struct sip_msg *resp)
{
	uint32_t g = granted(t, resp);

	if (!g) {
		fail(t, resp->scode, "registrar kept no binding (expires 0)", 0);
		return;
	}
	if (t->reg != TRUNK_REG_REGISTERED)
		log_info("trunk %s: registered with %s for %u s", t->c.name, t->c.addr, g);
	t->reg = TRUNK_REG_REGISTERED;
	t->granted_s = g;
	t->expires_at_ms = now_ms(t) + g * 1000ull;
	t->backoff_s = 0;
	t->auth_rounds = 0;
	t->fail_code = 0;
	t->fail_reason[0] = '\0';
	/* 80%: room for a lost REGISTER to be retransmitted before the binding runs out */
	uint64_t delay = g * 800ull;
	schedule(t, delay < 1000 ? 1000 : delay);
}

static bool any_stale(const struct sip_msg *resp)
{
	enum sip_hdr_id id = resp->scode == 407 ? SIP_HDR_PROXY_AUTHENTICATE
						: SIP_HDR_WWW_AUTHENTICATE;
	const struct sip_hdr *h = NULL;
	while ((h = sip_msg_hdr(resp, id, h))) {
		struct auth_challenge ch;
		if (!auth_challenge_parse(h->value, &ch) && ch.stale)
			return true;
	}
	return false;
}

static void challenged(struct trunk *t, const struct sip_msg *resp)
{
	struct pl value;
	bool proxy;

	if (!t->c.username[0] || !t->c.password[0]) {
		fail(t, resp->scode, "authentication required, no credentials configured", 0);
		return;
	}
	/* Answered once already in this attempt: only a stale nonce earns another go. */
	if (t->auth_rounds >= 2 || (t->auth_rounds >= 1 && !any_stale(resp))) {
		char why[140];
		snprintf(why, sizeof(why), "%.*s (credentials refused)", PL_ARG(resp->reason));
		fail(t, resp->scode, why, 0);
		return;
	}
	if (trunk_pick_challenge(resp, &value, &proxy)) {
		fail(t, resp->scode, "no digest challenge we can answer", 0);
		return;
	}
	char *copy = malloc(value.l + 1);
	if (!copy) {
		fail(t, 0, "out of memory", 0);
		return;
	}
	pl_strcpy(value, copy, value.l + 1);
	forget_challenge(t);
	t->challenge = copy;
	t->challenge_proxy = proxy;
	t->auth_rounds++;
	send_register(t);
}

/* A 423: ask again at once with the registrar's minimum, once. */
static void too_brief(struct trunk *t, const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES, NULL);
	uint32_t min;

	if (!h || pl_u32(pl_trim(h->value), 86400, &min) || min <= t->expires) {
		fail(t, resp->scode, "Interval Too Brief without a usable Min-Expires", 0);
		return;
	}
	log_info("trunk %s: registrar wants at least %u s", t->c.name, min);
	t->expires = min;
	send_register(t);
}

static uint32_t retry_after(const struct sip_msg *resp)
{
	const struct sip_hdr *h = sip_msg_hdr_name(resp, "Retry-After");
	uint32_t v = 0;
	if (!h)
		return 0;
	struct pl p = pl_trim(h->value);
	size_t n = 0;
	while (n < p.l && p.p[n] >= '0' && p.p[n] <= '9')
		n++;
	return n && !pl_u32(pl_from(p.p, n), 86400, &v) ? v : 0;
}

static void reg_response(const struct sip_msg *resp, int err, void *arg)
{
	struct trunk *t = arg;
	char why[160];

	if (resp && resp->scode < 200)
		return;
	t->ct = NULL;
	if (!resp) {
		const char *ce = t->conn ? tp_conn_error(t->conn) : NULL;
		snprintf(why, sizeof(why), "%s",
			 ce ? ce : err == ETIMEDOUT ? "timeout (no answer)" : strerror(err));
		fail(t, 0, why, 0);
		return;
	}
	if (resp->scode < 300) {
		registered(t, resp);
		return;
	}
	if (resp->scode == 401 || resp->scode == 407) {
		challenged(t, resp);
		return;
	}
	if (resp->scode == 423) {
		too_brief(t, resp);
		return;
	}
	snprintf(why, sizeof(why), "%.*s", PL_ARG(resp->reason));
	fail(t, resp->scode, why, resp->scode >= 500 ? retry_after(resp) : 0);
}

/* ---- requests ---- */

/* Build a REGISTER asking for expires seconds; credentials from the kept challenge. */
static int build_register(struct trunk *t, struct mbuf *mb, uint32_t expires)
{
	struct mbuf hdrs;
	int err;

	mbuf_init(&hdrs);
	mbuf_printf(&hdrs, "Expires: %u\r\nUser-Agent: Sotto\r\n", expires);
	if (t->challenge) {
		err = trunk_write_auth(t, pl_from(t->challenge, strlen(t->challenge)),
				       t->challenge_proxy, "REGISTER", t->ruri, &hdrs);
		if (err)
			log_warn("trunk %s: cannot answer the kept challenge: %s", t->c.name,
				 strerror(err));
	}
	if (hdrs.err) {
		mbuf_free(&hdrs);
		return ENOMEM;
	}
	struct sip_request_spec spec = {
		.method = "REGISTER",
		.ruri = t->ruri,
		.peer = &t->peer,
		.sent_by = t->sent_by,
		.from_uri = t->aor,
		.from_tag = t->from_tag,
		.to_uri = t->aor,
		.call_id = t->call_id,
		.cseq = ++t->cseq,
		.contact = t->contact,
		.extra_hdrs = hdrs.buf,
	};
	if (t->cseq >= (1u << 31) - 1)
		t->cseq = 1;
	err = sip_build_request(mb, &spec);
	mbuf_free(&hdrs);
	return err;
}

static void send_register(struct trunk *t)
{
	struct mbuf mb;
	int err;

	if (t->reg != TRUNK_REG_REGISTERED) /* a refresh: the binding holds until it fails */
		t->reg = TRUNK_REG_REGISTERING;
	err = hold_conn(t);
	if (err) {
		fail(t, 0, strerror(err), 0);
		return;
	}
	mbuf_init(&mb);
	err = build_register(t, &mb, t->expires);
	if (!err)
		err = sip_ctrans_send(t->m->d.stack, &t->ct, &t->peer, mb.buf, mb.len,
				      reg_response, t);
	mbuf_free(&mb);
	if (err) {
		t->ct = NULL;
		fail(t, 0, strerror(err), 0);
	}
}

static void reg_timer_h(void *arg)
{
	struct trunk *t = arg;

	if (t->reg == TRUNK_REG_FAILED) /* a new attempt: challenges are answered afresh */
		t->auth_rounds = 0;
	if (t->reg != TRUNK_REG_REGISTERED)
		t->expires = t->c.expires;
	send_register(t);
}

void trunk_reg_start(struct trunk *t)
{
	if (!t->c.reg || t->reg == TRUNK_REG_BROKEN || !t->m->d.stack)
		return;
	t->reg = TRUNK_REG_REGISTERING;
	t->expires = t->c.expires;
	schedule(t, 0);
}

bool trunk_reg_stop(struct trunk *t, bool unregister)
{
	bool sent = false;

	tmr_cancel(&t->reg_tmr);
	tmr_cancel(&t->ka_tmr);
	if (t->ct) {
		sip_ctrans_abandon(t->ct);
		t->ct = NULL;
	}
	if (unregister && t->reg == TRUNK_REG_REGISTERED && t->m->d.stack) {
		/* RFC 3261 10.2.2: Expires: 0 removes our binding; nobody waits for the answer */
		struct sip_ctrans *ct = NULL;
		struct mbuf mb;
		mbuf_init(&mb);
		if (!build_register(t, &mb, 0) &&
		    !sip_ctrans_send(t->m->d.stack, &ct, &t->peer, mb.buf, mb.len, reg_response,
				     t)) {
			sip_ctrans_abandon(ct);
			sent = true;
			log_info("trunk %s: unregistered", t->c.name);
		}
		mbuf_free(&mb);
	}
	if (t->reg != TRUNK_REG_OFF && t->reg != TRUNK_REG_BROKEN)
		t->reg = TRUNK_REG_STOPPED;
	/* the manager keeps the connection until the un-REGISTER has left and it goes idle */
	tp_conn_unref(t->conn);
	t->conn = NULL;
	t->peer.conn = NULL;
	return sent;
}

void trunk_reg_conn_closed(struct trunk *t, struct tp_conn *conn)
{
	const char *why = tp_conn_error(conn);
	char buf[160];

	if (t->conn != conn)
		return;
	snprintf(buf, sizeof(buf), "%s", why ? why : "connection closed");
	tp_conn_unref(t->conn);
	t->conn = NULL;
	t->peer.conn = NULL;
	tmr_cancel(&t->ka_tmr);
	if (t->ct) { /* the REGISTER went down with it: no need to wait for timer F */
		sip_ctrans_abandon(t->ct);
		t->ct = NULL;
		fail(t, 0, buf, 0);
	} else if (t->reg == TRUNK_REG_REGISTERED) {
		/* the provider reaches us over this connection: register over a new one */
		log_info("trunk %s: connection to %s closed (%s); registering again", t->c.name,
			 t->c.addr, buf);
		t->reg = TRUNK_REG_REGISTERING;
		schedule(t, TRUNK_RECONNECT_MS);
	}
}
