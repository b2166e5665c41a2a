/* SIP dialogs (RFC 3261 section 12): creation on both sides (12.1.1 UAS, 12.1.2 UAC, 13.2.2.4
 * forks), requests within a dialog (12.2.1.1, 13.2.2.4 ACK for a 2xx, 15 BYE), incoming request
 * checks (12.2.2), target refresh (12.2, 14), the next hop without DNS, and the UAS's 2xx
 * retransmission until the ACK (13.3.1.4, with RFC 6026 leaving it to the dialog layer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rand.h"
#include "net/sa.h"
#include "sip/build.h"
#include "sip/dialog.h"
#include "sip/msg_int.h"
#include "sip/request.h"

#define TAG_LEN 16
#define CALL_ID_LEN 32

/* The UAS 2xx awaiting its ACK (RFC 3261 13.3.1.4). */
struct dialog_2xx {
	struct sip_stack *stack;
	struct tmr_list *tl;
	struct tmr rtx;     /* next retransmission (UDP only) */
	struct tmr wait;    /* 64*T1: give up on the ACK */
	struct tp_peer dst; /* owned copy: where the INVITE's responses go */
	char *data;         /* NULL when nothing is pending */
	size_t len;
	uint32_t interval, t2;
	uint32_t cseq; /* the INVITE's, which the ACK repeats */
	sip_dialog_no_ack_h *h;
	void *arg;
};

struct sip_dialog {
	enum sip_dialog_state state;
	bool uac;
	bool secure;
	/* dialog ID (12): remote_tag is "" until known */
	char *call_id, *local_tag, *remote_tag;
	char *local_uri, *local_dn, *remote_uri, *remote_dn;
	char *target;  /* remote target: Request-URI of our requests */
	char *contact; /* our Contact URI, sips: in a secure dialog */
	char *sent_by; /* host[:port] of contact: the Via sent-by when binds are wildcards */
	char *route[SIP_DIALOG_MAX_ROUTE];
	size_t nroute;
	uint32_t next_cseq;   /* local sequence number of the next request */
	uint32_t invite_cseq; /* of our latest INVITE; 0 before one is built */
	uint32_t invite_mf;   /* Max-Forwards of the dialog-creating INVITE; 0: 70 */
	uint32_t rcseq;       /* remote sequence number, when rcseq_set */
	bool rcseq_set;
	struct tp_peer origin; /* owned: where the dialog came from (UAS) or the spec's peer */
	struct tp_peer fixed;  /* owned, when has_fixed */
	bool has_fixed;
	struct tp_peer next; /* computed next hop; borrows origin's or fixed's connection */
	struct dialog_2xx ok;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static bool token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n && sip_scan(s, s + n, CC_TOKEN, false) == s + n;
}

/* A copy of a value from a message, unfolded: CR and LF dropped, the LWS after them kept. */
static char *dup_unfolded(struct pl v)
{
	char *s = malloc(v.l + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < v.l; i++)
		if (v.p[i] != '\r' && v.p[i] != '\n')
			*o++ = v.p[i];
	*o = '\0';
	return s;
}

/* A display name as text: quoted-pairs resolved, control bytes dropped (RFC 3261 25.1). The
 * parser's view is inside the quotes; a token display name holds no '\' anyway. */
static char *dup_display(struct pl v)
{
	char *s = malloc(v.l + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < v.l; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '\\' && i + 1 < v.l)
			c = (unsigned char)v.p[++i];
		if (c < 0x20 || c == 0x7f)
			continue;
		*o++ = (char)c;
	}
	*o = '\0';
	return s;
}

static int set_str(char **slot, char *s)
{
	if (!s)
		return ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

static int peer_copy(struct tp_peer *dst, const struct tp_peer *src)
{
	char *name = NULL;

	if (src->server_name && !(name = strdup(src->server_name)))
		return ENOMEM;
	*dst = *src;
	dst->server_name = name;
	tp_conn_ref(dst->conn);
	return 0;
}

static void peer_release(struct tp_peer *p)
{
	tp_conn_unref(p->conn);
	free((char *)p->server_name);
	memset(p, 0, sizeof(*p));
}

static void routes_free(char **r, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(r[i]);
		r[i] = NULL;
	}
	*n = 0;
}

/* The route set from a message's Record-Route values (RFC 3261 12.1.1 in order for the UAS,
 * 12.1.2 reversed for the UAC), each value kept whole (URI and rr-params) as written. */
static int routes_load(const struct sip_msg *m, bool reverse, char **out, size_t *np)
{
	struct pl v[SIP_DIALOG_MAX_ROUTE];
	const struct sip_hdr *h = NULL;
	size_t n = 0;

	while ((h = sip_msg_hdr(m, SIP_HDR_RECORD_ROUTE, h))) {
		struct pl item = PL_NULL;
		while (sip_list_next(h->value, &item)) {
			if (n == SIP_DIALOG_MAX_ROUTE)
				return EPROTO;
			v[n++] = pl_trim(item);
		}
	}
	/* each copy must be a name-addr the builder accepts: checked once, here */
	for (size_t i = 0; i < n; i++) {
		out[i] = dup_unfolded(v[reverse ? n - 1 - i : i]);
		if (!out[i] || !sip_request_route_ok(out[i])) {
			int err = out[i] ? EPROTO : ENOMEM;
			size_t k = out[i] ? i + 1 : i;
			routes_free(out, &k);
			return err;
		}
	}
	*np = n;
	return 0;
}

/* The first Contact value: ENOENT when there is none, EBADMSG when it is unusable. */
static int first_contact(const struct sip_msg *m, struct sip_addr *a)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTACT, NULL);
	struct pl item = PL_NULL;

	if (!h)
		return ENOENT;
	if (!sip_list_next(h->value, &item) || sip_addr_parse(a, item) || a->star)
		return EBADMSG;
	return 0;
}

/* A remote target from a Contact: usable as a Request-URI, and SIPS in a secure dialog. */
static int target_from(const struct sip_dialog *d, const struct sip_addr *a, char **out)
{
	char *t;

	if (d->secure && !a->uri.sips)
		return EPROTO; /* RFC 3261 12.1.1: no downgrade of a secure dialog */
	t = dup_unfolded(a->uri_raw);
	if (!t)
		return ENOMEM;
	if (!sip_request_uri_ok(t)) {
		free(t);
		return EBADMSG;
	}
	*out = t;
	return 0;
}

/* Our Contact, promoted to sips: in a secure dialog, and the sent-by it implies. */
static int contact_set(struct sip_dialog *d, const char *contact)
{
	char hostport[SA_STRLEN + 8];
	struct sip_uri u;
	bool sip;

	if (!sip_request_uri_ok(contact) || sip_uri_parse(&u, pl_from(contact, strlen(contact))) ||
	    !u.host.l || u.host.l >= SA_STRLEN)
		return EINVAL;
	sip = strncasecmp(contact, "sip:", 4) == 0;
	if (!sip && !u.sips)
		return EINVAL;
	if (d->secure && sip) {
		size_t n = strlen(contact) + 2;
		d->contact = malloc(n);
		if (d->contact)
			snprintf(d->contact, n, "sips:%s", contact + 4);
	} else {
		d->contact = strdup(contact);
	}
	snprintf(hostport, sizeof(hostport), u.host_ipv6 ? "[%.*s]" : "%.*s", PL_ARG(u.host));
	if (u.port)
		snprintf(hostport + strlen(hostport), 8, ":%u", u.port);
	d->sent_by = strdup(hostport);
	return d->contact && d->sent_by ? 0 : ENOMEM;
}

/* Local CSeq numbers start at a random 1..32768 (RFC 3261 8.1.1.5 allows any start below 2^31;
 * an unguessable one makes blind in-dialog requests harder), leaving room to count up. */
static int cseq_start(uint32_t *out)
{
	uint16_t r;
	int err = rand_bytes(&r, sizeof(r));

	if (!err)
		*out = (uint32_t)(r & 0x7fff) + 1;
	return err;
}

/* ---- next hop ------------------------------------------------------------------------------ */

/* Where requests go (see sip_dialog_peer): a fixed peer, else the first route or the remote
 * target when its host is numeric (RFC 3261 12.2.1.1 with the 8.1.2 next hop, minus RFC 3263
 * DNS), else the origin. Recomputed whenever route set, target or peers change. */
static void update_next(struct sip_dialog *d)
{
	const struct tp_peer *base = d->has_fixed ? &d->fixed : &d->origin;
	struct sip_addr a;
	struct sip_uri u;
	enum tp_kind kind;
	struct sa sa;

	d->next = *base;
	if (d->has_fixed)
		return;
	if (d->nroute) {
		if (sip_addr_parse(&a, pl_from(d->route[0], strlen(d->route[0]))))
			return;
		u = a.uri;
	} else if (!d->target || sip_uri_parse(&u, pl_from(d->target, strlen(d->target)))) {
		return;
	}
	kind = base->kind;
	if (!u.transport.l || tp_kind_parse(u.transport, &kind))
		kind = u.sips ? TP_TLS : base->kind;
	/* A phone that sent us the dialog over a connection is reached over that connection. */
	if (kind != TP_UDP && kind == base->kind && base->conn && !d->nroute)
		return;
	if (u.tel || sa_set(&sa, u.host, u.port ? u.port : (kind == TP_TLS ? 5061 : 5060)))
		return; /* a host name: no DNS on the signalling path */
	if (kind != base->kind || !sa_eq(&sa, &base->remote)) {
		d->next.conn = NULL;
		d->next.server_name = NULL;
	}
	if (kind != base->kind)
		memset(&d->next.local, 0, sizeof(d->next.local));
	d->next.kind = kind;
	d->next.remote = sa;
}

const struct tp_peer *sip_dialog_peer(const struct sip_dialog *d) { return d ? &d->next : NULL; }

int sip_dialog_set_peer(struct sip_dialog *d, const struct tp_peer *peer)
{
	struct tp_peer copy;
	int err;

	if (!d)
		return EINVAL;
	if (peer) {
		err = peer_copy(&copy, peer);
		if (err)
			return err;
	}
	if (d->has_fixed)
		peer_release(&d->fixed);
	d->has_fixed = peer != NULL;
	if (peer)
		d->fixed = copy;
	update_next(d);
	return 0;
}

/* ---- creation ------------------------------------------------------------------------------ */

void sip_dialog_free(struct sip_dialog *d)
{
	if (!d)
		return;
	tmr_cancel(&d->ok.rtx);
	tmr_cancel(&d->ok.wait);
	free(d->ok.data);
	peer_release(&d->ok.dst);
	peer_release(&d->origin);
	if (d->has_fixed)
		peer_release(&d->fixed);
	routes_free(d->route, &d->nroute);
	char *strs[] = {d->call_id,    d->local_tag, d->remote_tag, d->local_uri, d->local_dn,
	                d->remote_uri, d->remote_dn, d->target,     d->contact,   d->sent_by};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	free(d);
}

static struct sip_dialog *dialog_new(void)
{
	struct sip_dialog *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	tmr_init(&d->ok.rtx);
	tmr_init(&d->ok.wait);
	return d;
}

static char *random_str(size_t len)
{
	char *s = malloc(len + 1);

	if (s && sip_random_token(s, len)) {
		free(s);
		s = NULL;
	}
	return s;
}

int sip_dialog_uas_alloc(struct sip_dialog **dp, const struct sip_msg *req,
                         const struct tp_peer *from, const char *local_contact, const char *to_tag)
{
	struct sip_dialog *d = NULL;
	struct sip_addr ca;
	int err;

	if (!dp || !req || !from || !req->is_request || req->mid != SIP_INVITE)
		return EINVAL;
	if (!local_contact || (to_tag && !token_ok(to_tag)))
		return EINVAL;
	if (req->to.tag.l || !req->call_id.l)
		return EPROTO; /* an in-dialog request, or nothing to identify a dialog with */
	if (first_contact(req, &ca))
		return EPROTO; /* RFC 3261 8.1.1.8: an INVITE must carry one Contact */

	d = dialog_new();
	if (!d)
		return ENOMEM;
	/* RFC 3261 12.1.1: secure when the request came over TLS with a SIPS Request-URI */
	d->secure = req->ruri.sips && from->kind == TP_TLS;
	d->state = SIP_DIALOG_EARLY;
	err = contact_set(d, local_contact);
	if (err)
		goto out;
	err = target_from(d, &ca, &d->target);
	if (err) {
		err = err == ENOMEM ? ENOMEM : EPROTO;
		goto out;
	}
	err = routes_load(req, false, d->route, &d->nroute);
	if (err)
		goto out;
	d->call_id = dup_unfolded(req->call_id);
	d->local_tag = to_tag ? strdup(to_tag) : random_str(TAG_LEN);
	/* RFC 3261 12.1.1: the remote tag may be empty for an RFC 2543 client */
	d->remote_tag = dup_unfolded(req->from.tag.p ? req->from.tag : PL(""));
	d->remote_uri = dup_unfolded(req->from.uri_raw);
	d->remote_dn = dup_display(req->from.display.p ? req->from.display : PL(""));
	d->local_uri = dup_unfolded(req->to.uri_raw);
	d->local_dn = dup_display(req->to.display.p ? req->to.display : PL(""));
	if (!d->call_id || !d->local_tag || !d->remote_tag || !d->remote_uri || !d->remote_dn ||
	    !d->local_uri || !d->local_dn) {
		err = ENOMEM;
		goto out;
	}
	if (!sip_request_uri_ok(d->remote_uri) || !sip_request_uri_ok(d->local_uri) ||
	    (*d->remote_tag && !token_ok(d->remote_tag))) {
		err = EPROTO; /* we could never send a request in this dialog */
		goto out;
	}
	d->rcseq = req->cseq;
	d->rcseq_set = true;
	err = cseq_start(&d->next_cseq);
	if (err)
		goto out;
	err = peer_copy(&d->origin, from);
	if (err)
		goto out;
	update_next(d);
out:
	if (err)
		sip_dialog_free(d);
	else
		*dp = d;
	return err;
}

int sip_dialog_uac_alloc(struct sip_dialog **dp, const struct sip_dialog_uac_spec *spec)
{
	struct sip_dialog *d = NULL;
	const char *target;
	int err;

	if (!dp || !spec || !spec->peer || !sip_request_uri_ok(spec->local_uri) ||
	    !sip_request_uri_ok(spec->remote_uri) || !spec->local_contact || spec->max_forwards > 255)
		return EINVAL;
	target = spec->target ? spec->target : spec->remote_uri;
	if (!sip_request_uri_ok(target) || spec->nroute > SIP_DIALOG_MAX_ROUTE ||
	    (spec->nroute && !spec->route))
		return EINVAL;
	for (size_t i = 0; i < spec->nroute; i++)
		if (!sip_request_route_ok(spec->route[i]))
			return EINVAL;
	if (spec->call_id && (!*spec->call_id || strpbrk(spec->call_id, " \t\r\n")))
		return EINVAL;

	d = dialog_new();
	if (!d)
		return ENOMEM;
	d->uac = true;
	d->secure = spec->secure;
	d->invite_mf = spec->max_forwards;
	d->state = SIP_DIALOG_INIT;
	err = contact_set(d, spec->local_contact);
	if (err)
		goto out;
	for (size_t i = 0; i < spec->nroute; i++) {
		d->route[i] = strdup(spec->route[i]);
		if (!d->route[i]) {
			err = ENOMEM;
			goto out;
		}
		d->nroute = i + 1;
	}
	d->call_id = spec->call_id ? strdup(spec->call_id) : random_str(CALL_ID_LEN);
	d->local_tag = random_str(TAG_LEN);
	d->remote_tag = strdup("");
	d->local_uri = strdup(spec->local_uri);
	d->local_dn = strdup(spec->local_display ? spec->local_display : "");
	d->remote_uri = strdup(spec->remote_uri);
	d->remote_dn = strdup(spec->remote_display ? spec->remote_display : "");
	d->target = strdup(target);
	if (!d->call_id || !d->local_tag || !d->remote_tag || !d->local_uri || !d->local_dn ||
	    !d->remote_uri || !d->remote_dn || !d->target) {
		err = ENOMEM;
		goto out;
	}
	err = cseq_start(&d->next_cseq);
	if (err)
		goto out;
	err = peer_copy(&d->origin, spec->peer);
	if (err)
		goto out;
	err = sip_dialog_set_peer(d, spec->peer);
out:
	if (err)
		sip_dialog_free(d);
	else
		*dp = d;
	return err;
}

int sip_dialog_uac_confirm(struct sip_dialog *d, const struct sip_msg *resp)
{
	char *route[SIP_DIALOG_MAX_ROUTE], *target = NULL, *tag;
	struct sip_addr ca;
	size_t nroute = 0;
	bool final;
	int err;

	if (!d || !resp || resp->is_request || !d->uac || resp->scode >= 300)
		return EINVAL;
	if (!sip_dialog_match_response(d, resp) || resp->cseq_mid != SIP_INVITE)
		return EPROTO;
	if (!resp->to.tag.l)
		return 0; /* 100 Trying, or a 1xx that makes no dialog */
	if (d->state == SIP_DIALOG_CONFIRMED)
		return pl_eq_str(resp->to.tag, d->remote_tag) ? 0 : EEXIST;
	if (resp->cseq != d->invite_cseq)
		return EPROTO; /* a late answer to an INVITE we re-sent since */
	final = resp->scode >= 200;
	if (!final && d->state == SIP_DIALOG_EARLY && pl_eq_str(resp->to.tag, d->remote_tag))
		return 0; /* the same early dialog again */

	/* RFC 3261 12.1.2: remote target from Contact, route set from Record-Route reversed;
	 * 13.2.2.4: both are recomputed when the 2xx confirms an early dialog */
	err = first_contact(resp, &ca);
	if (!err)
		err = target_from(d, &ca, &target);
	else if (err == ENOENT)
		err = 0;
	if (err)
		return err == ENOMEM ? ENOMEM : EPROTO;
	err = routes_load(resp, true, route, &nroute);
	if (err)
		goto fail;
	tag = dup_unfolded(resp->to.tag);
	if (!tag || !token_ok(tag)) {
		err = tag ? EPROTO : ENOMEM;
		free(tag);
		routes_free(route, &nroute);
		goto fail;
	}
	free(d->remote_tag);
	d->remote_tag = tag;
	routes_free(d->route, &d->nroute);
	memcpy(d->route, route, nroute * sizeof(route[0]));
	d->nroute = nroute;
	if (target)
		set_str(&d->target, target);
	d->state = final ? SIP_DIALOG_CONFIRMED : SIP_DIALOG_EARLY;
	update_next(d);
	return 0;
fail:
	free(target);
	return err;
}

int sip_dialog_uac_fork(struct sip_dialog **dp, const struct sip_dialog *d,
                        const struct sip_msg *resp)
{
	struct sip_dialog_uac_spec spec;
	struct sip_dialog *f = NULL;
	int err;

	if (!dp || !d || !resp || !d->uac)
		return EINVAL;
	if (!resp->to.tag.l)
		return EPROTO;
	/* the same local side (Call-ID, tag, URIs) as the dialog whose INVITE forked */
	memset(&spec, 0, sizeof(spec));
	spec.local_uri = d->local_uri;
	spec.local_display = d->local_dn;
	spec.remote_uri = d->remote_uri;
	spec.remote_display = d->remote_dn;
	spec.target = d->target;
	spec.local_contact = d->contact;
	spec.peer = d->has_fixed ? &d->fixed : &d->origin;
	spec.secure = d->secure;
	spec.call_id = d->call_id;
	err = sip_dialog_uac_alloc(&f, &spec);
	if (err)
		return err;
	err = set_str(&f->local_tag, strdup(d->local_tag));
	if (!err && !d->has_fixed)
		err = sip_dialog_set_peer(f, NULL);
	/* the fork answered that INVITE: its next request follows the INVITE's CSeq */
	f->invite_cseq = d->invite_cseq;
	f->next_cseq = d->invite_cseq + 1;
	if (!err)
		err = sip_dialog_uac_confirm(f, resp);
	if (err)
		sip_dialog_free(f);
	else
		*dp = f;
	return err;
}

/* ---- requests within the dialog -------------------------------------------------------------- */

static int build(struct sip_dialog *d, struct mbuf *mb, const char *method, uint32_t cseq,
                 const char *extra_hdrs, const char *content_type, struct pl body)
{
	const struct sa *local = &d->next.local;
	struct sip_request_spec spec;

	/* RFC 3261 12.2.1.1: Request-URI the remote target, the route set as Route headers (the
	 * builder handles a strict router), To the remote URI and tag, From ours */
	memset(&spec, 0, sizeof(spec));
	spec.method = method;
	spec.ruri = d->target;
	spec.peer = &d->next;
	if (!local->len || sa_is_any(local) || !sa_port(local))
		spec.sent_by = d->sent_by;
	spec.route = (const char *const *)d->route;
	spec.nroute = d->nroute;
	spec.from_display = d->local_dn;
	spec.from_uri = d->local_uri;
	spec.from_tag = d->local_tag;
	spec.to_display = d->remote_dn;
	spec.to_uri = d->remote_uri;
	spec.to_tag = d->remote_tag;
	spec.call_id = d->call_id;
	spec.cseq = cseq;
	/* RFC 3261 20: Contact is not applicable to BYE; ACK needs none */
	if (strcmp(method, "BYE") && strcmp(method, "ACK"))
		spec.contact = d->contact;
	spec.secure = d->secure;
	if (d->state == SIP_DIALOG_INIT) /* only the INVITE: EPROTO for anything else */
		spec.max_forwards = d->invite_mf;
	spec.extra_hdrs = extra_hdrs;
	spec.content_type = content_type;
	spec.body = body;
	return sip_build_request(mb, &spec);
}

int sip_dialog_request(struct sip_dialog *d, struct mbuf *mb, const char *method,
                       const char *extra_hdrs, const char *content_type, struct pl body,
                       uint32_t *cseqp)
{
	bool invite;
	int err;

	if (!d || !mb || !token_ok(method) || !strcmp(method, "ACK") || !strcmp(method, "CANCEL"))
		return EINVAL;
	invite = strcmp(method, "INVITE") == 0;
	if (d->state == SIP_DIALOG_INIT && !invite)
		return EPROTO;
	/* RFC 3261 15: the callee never sends BYE on an early dialog (it rejects the INVITE), nor
	 * before the ACK for its 2xx has come (or the wait for it ended) */
	if (!strcmp(method, "BYE") && !d->uac && d->state == SIP_DIALOG_EARLY)
		return EPROTO;
	if (!strcmp(method, "BYE") && d->ok.data)
		return EAGAIN;
	if (d->next_cseq >= 0x80000000u)
		return ERANGE;
	err = build(d, mb, method, d->next_cseq, extra_hdrs, content_type, body);
	if (err)
		return err;
	if (invite)
		d->invite_cseq = d->next_cseq;
	if (cseqp)
		*cseqp = d->next_cseq;
	d->next_cseq++;
	return 0;
}

int sip_dialog_ack(struct sip_dialog *d, struct mbuf *mb, uint32_t cseq, const char *extra_hdrs,
                   const char *content_type, struct pl body)
{
	if (!d || !mb)
		return EINVAL;
	if (!*d->remote_tag)
		return EPROTO;
	/* RFC 3261 13.2.2.4: the INVITE's CSeq number with method ACK, a branch of its own */
	if (!cseq)
		cseq = d->invite_cseq;
	if (!cseq)
		return EPROTO;
	return build(d, mb, "ACK", cseq, extra_hdrs, content_type, body);
}

int sip_dialog_reply_hdrs(const struct sip_dialog *d, struct mbuf *mb, const struct sip_msg *req)
{
	const struct sip_hdr *h = NULL;

	if (!d || !mb)
		return EINVAL;
	/* RFC 3261 12.1.1: every Record-Route value of the request, in order, so the route set
	 * the caller computes is the one we hold */
	while (req && (h = sip_msg_hdr(req, SIP_HDR_RECORD_ROUTE, h))) {
		struct pl item = PL_NULL;
		while (sip_list_next(h->value, &item)) {
			item = pl_trim(item);
			mbuf_write_str(mb, "Record-Route: ");
			for (size_t i = 0; i < item.l; i++)
				if (item.p[i] != '\r' && item.p[i] != '\n')
					mbuf_write(mb, &item.p[i], 1);
			mbuf_write_str(mb, "\r\n");
		}
	}
	mbuf_printf(mb, "Contact: <%s>\r\n", d->contact);
	return mb->err;
}

/* ---- incoming requests ----------------------------------------------------------------------- */

bool sip_dialog_match(const struct sip_dialog *d, const struct sip_msg *req)
{
	if (!d || !req || !req->is_request || d->state == SIP_DIALOG_INIT)
		return false;
	/* RFC 3261 12.2.2: the dialog ID, with local and remote swapped from the peer's view;
	 * Call-ID and tags compared byte for byte */
	return pl_eq_str(req->call_id, d->call_id) && pl_eq_str(req->to.tag, d->local_tag) &&
	       pl_eq_str(req->from.tag.p ? req->from.tag : PL(""), d->remote_tag);
}

bool sip_dialog_match_response(const struct sip_dialog *d, const struct sip_msg *resp)
{
	return d && resp && !resp->is_request && pl_eq_str(resp->call_id, d->call_id) &&
	       pl_eq_str(resp->from.tag, d->local_tag);
}

int sip_dialog_accept_cseq(struct sip_dialog *d, const struct sip_msg *req)
{
	if (!d || !req || !req->is_request)
		return EINVAL;
	if (req->mid == SIP_ACK || req->mid == SIP_CANCEL)
		return 0;
	/* RFC 3261 12.2.2: lower than the remote sequence number is out of order (500); an empty
	 * remote sequence number (a UAC that has heard no request yet) takes any */
	if (d->rcseq_set && req->cseq < d->rcseq)
		return EPROTO;
	d->rcseq = req->cseq;
	d->rcseq_set = true;
	return 0;
}

int sip_dialog_refresh_target(struct sip_dialog *d, const struct sip_msg *msg)
{
	struct sip_addr ca;
	char *target;
	int err;

	if (!d || !msg)
		return EINVAL;
	err = first_contact(msg, &ca);
	if (err)
		return err == ENOENT ? 0 : EBADMSG;
	err = target_from(d, &ca, &target);
	if (err)
		return err;
	set_str(&d->target, target);
	update_next(d);
	return 0;
}

/* ---- UAS 2xx retransmission (RFC 3261 13.3.1.4) ---------------------------------------------- */

static void ok_stop(struct sip_dialog *d)
{
	tmr_cancel(&d->ok.rtx);
	tmr_cancel(&d->ok.wait);
	free(d->ok.data);
	d->ok.data = NULL;
	d->ok.len = 0;
	peer_release(&d->ok.dst);
}

/* The 2xx again, then wait twice as long, but never longer than T2. UDP only: a reliable
 * transport delivers the first copy or none. */
static void ok_rtx(void *arg)
{
	struct sip_dialog *d = arg;

	sip_stack_send(d->ok.stack, &d->ok.dst, d->ok.data, d->ok.len);
	d->ok.interval = d->ok.interval * 2 < d->ok.t2 ? d->ok.interval * 2 : d->ok.t2;
	/* on ENOMEM the 64*T1 timer still ends the wait */
	tmr_start(d->ok.tl, &d->ok.rtx, d->ok.interval, ok_rtx, d);
}

/* 64*T1 without ACK: the session should end (BYE), which is the TU's to decide. */
static void ok_wait(void *arg)
{
	struct sip_dialog *d = arg;
	sip_dialog_no_ack_h *h = d->ok.h;
	void *harg = d->ok.arg;

	ok_stop(d);
	if (h)
		h(d, harg); /* may free d */
}

int sip_dialog_2xx_start(struct sip_dialog *d, struct sip_stack *stack, struct tmr_list *tl,
                         const struct sip_timers *t, const struct tp_peer *from, const char *resp,
                         size_t len, sip_dialog_no_ack_h *h, void *arg)
{
	struct sip_msg *m;
	struct tp_peer dst;
	uint32_t t1, t2, cseq;
	char *copy;
	int err;

	if (!d || !stack || !tl || !resp || !len || (!from && d->uac))
		return EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return ENOMEM;
	err = sip_msg_parse(m, resp, len);
	if (!err && (m->is_request || m->scode < 200 || m->scode >= 300 ||
	             m->cseq_mid != SIP_INVITE || !m->nvia))
		err = EINVAL;
	if (err) {
		free(m);
		return EINVAL;
	}
	/* RFC 3261 18.2.2 with RFC 3581, as the transaction layer sends responses: over a stream
	 * the connection, over UDP the source address, at the Via port unless rport was asked */
	cseq = m->cseq;
	err = peer_copy(&dst, from ? from : &d->origin);
	if (!err && dst.kind == TP_UDP && !m->via.rport && dst.remote.len)
		sa_set_port(&dst.remote, m->via.port ? m->via.port : 5060);
	free(m);
	if (err)
		return err;
	copy = malloc(len);
	if (!copy) {
		peer_release(&dst);
		return ENOMEM;
	}
	memcpy(copy, resp, len);

	ok_stop(d);
	t1 = t && t->t1_ms ? t->t1_ms : 500;
	t2 = t && t->t2_ms ? t->t2_ms : 4000;
	d->ok.stack = stack;
	d->ok.tl = tl;
	d->ok.dst = dst;
	d->ok.data = copy;
	d->ok.len = len;
	d->ok.interval = t1;
	d->ok.t2 = t2 < t1 ? t1 : t2;
	d->ok.cseq = cseq;
	d->ok.h = h;
	d->ok.arg = arg;
	err = tmr_start(tl, &d->ok.wait, 64 * (uint64_t)t1, ok_wait, d);
	if (!err && dst.kind == TP_UDP)
		err = tmr_start(tl, &d->ok.rtx, t1, ok_rtx, d);
	if (err) {
		ok_stop(d);
		return err;
	}
	d->state = SIP_DIALOG_CONFIRMED;
	return 0;
}

bool sip_dialog_ack_received(struct sip_dialog *d, const struct sip_msg *ack)
{
	if (!d || !d->ok.data)
		return false;
	if (ack && (!ack->is_request || ack->mid != SIP_ACK || ack->cseq != d->ok.cseq))
		return false;
	ok_stop(d);
	return true;
}

/* ---- state ------------------------------------------------------------------------------------
 */

enum sip_dialog_state sip_dialog_state(const struct sip_dialog *d)
{
	return d ? d->state : SIP_DIALOG_INIT;
}

bool sip_dialog_is_uac(const struct sip_dialog *d) { return d && d->uac; }

bool sip_dialog_secure(const struct sip_dialog *d) { return d && d->secure; }

#define STR_GETTER(name, field)                                                                    \
	const char *sip_dialog_##name(const struct sip_dialog *d)                                  \
	{                                                                                          \
		return d && d->field ? d->field : "";                                              \
	}

STR_GETTER(call_id, call_id)
STR_GETTER(local_tag, local_tag)
STR_GETTER(remote_tag, remote_tag)
STR_GETTER(local_uri, local_uri)
STR_GETTER(remote_uri, remote_uri)
STR_GETTER(remote_display, remote_dn)
STR_GETTER(remote_target, target)

size_t sip_dialog_route_count(const struct sip_dialog *d) { return d ? d->nroute : 0; }

const char *sip_dialog_route(const struct sip_dialog *d, size_t i)
{
	return d && i < d->nroute ? d->route[i] : NULL;
}
