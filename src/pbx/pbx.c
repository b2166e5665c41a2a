/* pbx: request dispatch. Blocked addresses get a 403 and nothing else; OPTIONS is answered here
 * (RFC 3261 11.2); REGISTER goes to the registrar; methods not implemented yet get 501 (RFC 3261
 * 8.2.1) so a peer knows at once rather than timing out. */
#include "pbx/pbx.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "media/media.h"
#include "net/tls.h"
#include "pbx/api.h"
#include "pbx/call.h"
#include "pbx/demo.h"
#include "pbx/guard.h"
#include "pbx/pbx_int.h"
#include "pbx/registrar.h"
#include "pbx/trunk.h"
#include "sip/auth.h"
#include "sip/build.h"

struct pbx {
	const struct settings *cfg;
	struct sip_stack *stack;
	struct store *store;
	struct guard *guard;
	struct auth_server *auth;
	struct demo_passwords *demo;
	struct registrar *registrar;
	struct loop *loop;
	struct media *media;
	struct calls *calls;
	struct trunks *trunks; /* from pbx_attach */
	struct tp_mgr *tp;
	uint64_t blocked_requests;
	struct settings *own_cfg; /* from the last reload; NULL while on the start-up one */
	struct tls_ctx **tls_kept; /* server contexts made by reloads */
	size_t n_tls_kept;
	pbx_reload_h *reloaded;
	void *reloaded_arg;
};

const struct settings *pbx_settings(const struct pbx *p)
{
	return p->cfg;
}

struct registrar *pbx_registrar(struct pbx *p)
{
	return p->registrar;
}

struct calls *pbx_calls(struct pbx *p)
{
	return p->calls;
}

struct guard *pbx_guard(struct pbx *p)
{
	return p->guard;
}

struct store *pbx_store(struct pbx *p)
{
	return p->store;
}

struct tp_mgr *pbx_transport(struct pbx *p)
{
	return p->tp;
}

struct sip_stack *pbx_stack(struct pbx *p)
{
	return p->stack;
}

struct trunks *pbx_trunks(struct pbx *p)
{
	return p->trunks;
}

struct media *pbx_media(struct pbx *p)
{
	return p->media;
}

uint64_t pbx_blocked_requests(const struct pbx *p)
{
	return p->blocked_requests;
}

void pbx_set_transport(struct pbx *p, struct tp_mgr *tp)
{
	p->tp = tp;
}

void pbx_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *extra)
{
	char tag[17];
	if (sip_random_token(tag, 16))
		return;
	int err = sip_strans_reply(st, code, reason, tag, extra, PL_NULL, NULL);
	if (err)
		log_warn("pbx: could not send %u: %s", code, strerror(err));
}

/* The nonce key: read from data_dir/nonce.key, or created there (0600) on first start. */
static int nonce_key(const struct settings *cfg, uint8_t key[AUTH_SECRET_SIZE])
{
	char path[4200];
	int err = 0;
	snprintf(path, sizeof(path), "%s/nonce.key", cfg->data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, key, AUTH_SECRET_SIZE);
		close(fd);
		if (n == AUTH_SECRET_SIZE)
			return 0;
		log_warn("pbx: %s is damaged; making a new one", path);
		unlink(path);
	}
	if (rand_bytes(key, AUTH_SECRET_SIZE))
		return EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (write(fd, key, AUTH_SECRET_SIZE) != AUTH_SECRET_SIZE)
		err = EIO;
	close(fd);
	return err;
}

static void on_media_event(const struct media_event *ev, void *arg)
{
	struct pbx *p = arg;
	if (p->calls)
		calls_media_event(p->calls, ev);
}

int pbx_alloc(struct pbx **pp, const struct settings *cfg, struct loop *loop,
	      struct store *store)
{
	struct tmr_list *timers = loop_timers(loop);
	struct pbx *p = calloc(1, sizeof(*p));
	uint8_t key[AUTH_SECRET_SIZE];
	int err;
	if (!p)
		return ENOMEM;
	p->cfg = cfg;
	p->store = store;
	p->loop = loop;
	struct guard_conf gc = {
		.fail_limit = cfg->auth_fail_limit,
		.window_s = cfg->auth_fail_window_s,
		.block_s = cfg->block_time_s,
	};
	err = guard_alloc(&p->guard, &gc);
	if (err)
		goto out;
	err = nonce_key(cfg, key);
	if (err) {
		log_err("pbx: cannot keep the nonce key in %s: %s", cfg->data_dir, strerror(err));
		goto out;
	}
	struct auth_server_conf ac = {
		.realm = cfg->realm,
		.nonce_lifetime = cfg->nonce_lifetime_s,
		.secret = key,
	};
	err = auth_server_alloc(&p->auth, &ac);
	OPENSSL_cleanse(key, sizeof(key));
	if (err)
		goto out;
	err = demo_passwords_load(&p->demo, cfg);
	if (err)
		goto out;
	struct registrar_deps rd = {
		.cfg = cfg,
		.timers = timers,
		.store = store,
		.auth = p->auth,
		.guard = p->guard,
		.demo = p->demo,
	};
	err = registrar_alloc(&p->registrar, &rd);
	if (err)
		goto out;
	err = registrar_restore(p->registrar);
	if (err)
		goto out;
	struct media_conf mc = {
		.port_min = cfg->rtp_port_min,
		.port_max = cfg->rtp_port_max,
		.workers = cfg->media_workers,
		.timeout_ms = cfg->media_timeout_s * 1000u,
	};
	snprintf(mc.address, sizeof(mc.address), "%s", cfg->media_address);
	err = media_alloc(&p->media, &mc, loop, on_media_event, p);
	if (err)
		log_err("pbx: cannot start the media relay on %s: %s", cfg->media_address,
			strerror(err));
out:
	if (err) {
		pbx_free(p);
		return err;
	}
	*pp = p;
	return 0;
}

int pbx_settings_swap(struct pbx *p, struct settings *cfg)
{
	const struct settings *old = p->cfg;
	struct demo_passwords *demo = NULL;
	struct auth_server *auth = NULL;
	int err = demo_passwords_load(&demo, cfg);
	if (err)
		return err;
	if (strcmp(old->realm, cfg->realm) || old->nonce_lifetime_s != cfg->nonce_lifetime_s) {
		uint8_t key[AUTH_SECRET_SIZE];
		struct auth_server_conf ac = {
			.realm = cfg->realm,
			.nonce_lifetime = cfg->nonce_lifetime_s,
			.secret = key,
		};
		err = nonce_key(cfg, key);
		if (!err)
			err = auth_server_alloc(&auth, &ac);
		OPENSSL_cleanse(key, sizeof(key));
		if (err) {
			demo_passwords_free(demo);
			return err;
		}
	}
	/* Trunks make their new and changed ones first: on ENOMEM nothing has changed. */
	if (p->trunks && (err = trunks_set_settings(p->trunks, cfg))) {
		demo_passwords_free(demo);
		auth_server_free(auth);
		return err;
	}
	/* From here nothing fails: every holder of the old settings moves to the new ones (trunks
	 * add theirs here). Calls in progress keep what they copied when they started. */
	registrar_set_settings(p->registrar, cfg, demo);
	if (auth)
		registrar_set_auth(p->registrar, auth);
	if (p->calls)
		calls_set_settings(p->calls, cfg);
	demo_passwords_free(p->demo);
	p->demo = demo;
	if (auth) {
		auth_server_free(p->auth);
		p->auth = auth;
	}
	p->cfg = cfg;
	settings_free(p->own_cfg);
	p->own_cfg = cfg;
	return 0;
}

void pbx_set_reload_handler(struct pbx *p, pbx_reload_h *h, void *arg)
{
	p->reloaded = h;
	p->reloaded_arg = arg;
}

void pbx_reloaded(struct pbx *p, struct mbuf *notes)
{
	if (p->reloaded)
		p->reloaded(p->cfg, notes, p->reloaded_arg);
}

int pbx_keep_tls(struct pbx *p, struct tls_ctx *ctx)
{
	struct tls_ctx **n = realloc(p->tls_kept, (p->n_tls_kept + 1) * sizeof(*n));
	if (!n)
		return ENOMEM;
	n[p->n_tls_kept++] = ctx;
	p->tls_kept = n;
	return 0;
}

bool pbx_end_calls(struct pbx *p)
{
	/* while the stack is alive: the providers are told we go (Expires: 0) */
	bool unregistered = trunks_shutdown(p->trunks) > 0;
	if (!p->calls || !calls_count(p->calls))
		return unregistered;
	calls_free(p->calls);
	p->calls = NULL;
	return true;
}

void pbx_free(struct pbx *p)
{
	if (!p)
		return;
	calls_free(p->calls);
	p->calls = NULL;
	trunks_free(p->trunks);
	if (p->media)
		media_free(p->media);
	registrar_free(p->registrar);
	demo_passwords_free(p->demo);
	auth_server_free(p->auth);
	guard_free(p->guard);
	if (p->n_tls_kept && p->tp)
		tp_mgr_set_tls_server(p->tp, NULL); /* accepts nothing more: we are stopping */
	for (size_t i = 0; i < p->n_tls_kept; i++)
		tls_ctx_free(p->tls_kept[i]);
	free(p->tls_kept);
	settings_free(p->own_cfg);
	free(p);
}

int pbx_attach(struct pbx *p, struct sip_stack *stack)
{
	p->stack = stack;
	struct calls_deps cd = {
		.cfg = p->cfg,
		.timers = loop_timers(p->loop),
		.stack = stack,
		.registrar = p->registrar,
		.media = p->media,
		.store = p->store,
	};
	int err = calls_alloc(&p->calls, &cd);
	if (err)
		return err;
	struct trunks_deps td = {
		.cfg = p->cfg,
		.timers = loop_timers(p->loop),
		.stack = stack,
		.tp = p->tp,
	};
	err = trunks_alloc(&p->trunks, &td);
	if (!err)
		calls_set_trunks(p->calls, p->trunks);
	return err;
}

void pbx_stray_response(const struct sip_msg *resp, const struct tp_peer *from, void *arg)
{
	struct pbx *p = arg;
	(void)from;
	if (p->calls && !calls_stray_reinvite(p->calls, resp))
		calls_stray_response(p->calls, resp);
}

void pbx_conn_closed(struct tp_conn *conn, void *arg)
{
	struct pbx *p = arg;
	registrar_conn_closed(p->registrar, conn);
	trunks_conn_closed(p->trunks, conn);
}

void pbx_request(struct sip_strans *st, const struct sip_msg *req, const struct tp_peer *from,
		 void *arg)
{
	struct pbx *p = arg;
	log_debug("pbx: %.*s %.*s", PL_ARG(req->method), PL_ARG(req->ruri_raw));
	if (guard_blocked(p->guard, &from->remote, clock_mono_ms())) {
		/* a blocked scanner costs a parse and this reply, nothing more */
		p->blocked_requests++;
		if (st)
			pbx_reply(st, 403, "Blocked after repeated authentication failures", NULL);
		return;
	}
	if (!p->calls) { /* shutting down */
		if (st)
			pbx_reply(st, 503, "Shutting down", PBX_SERVER_HDR);
		return;
	}
	if (req->to.tag.l || !st) { /* inside a dialog, or an ACK for a 2xx */
		if (!calls_in_dialog(p->calls, st, req, from) && st)
			pbx_reply(st, 481, NULL, PBX_SERVER_HDR);
		return;
	}
	switch (req->mid) {
	case SIP_OPTIONS:
		pbx_reply(st, 200, NULL,
			  "Allow: " PBX_ALLOW "\r\n"
			  "Accept: application/sdp\r\n"
			  "Supported: outbound\r\n" PBX_SERVER_HDR);
		break;
	case SIP_REGISTER:
		registrar_handle(p->registrar, st, req, from);
		break;
	case SIP_INVITE:
		calls_invite(p->calls, st, req, from);
		break;
	default:
		pbx_reply(st, 501, NULL, "Allow: " PBX_ALLOW "\r\n" PBX_SERVER_HDR);
		break;
	}
}

static void print_registration(const struct reg_contact *c, void *arg)
{
	struct mbuf *out = arg;
	char src[SA_STRLEN];
	mbuf_printf(out, "%-8s %-5s %-21s %6us %-11s %s\n", c->ext, tp_kind_name(c->peer.kind),
		    sa_str(&c->peer.remote, src, sizeof(src)), c->remaining_s,
		    c->reachable ? "reachable" : "unreachable", c->contact);
}

void pbx_control(struct pbx *p, const char *cmd, struct mbuf *out)
{
	if (strcmp(cmd, "registrations") == 0) {
		mbuf_printf(out, "%-8s %-5s %-21s %7s %-11s %s\n", "EXT", "TP", "SOURCE", "EXPIRES",
			    "STATE", "CONTACT");
		size_t n = registrar_foreach(p->registrar, print_registration, out);
		mbuf_printf(out, "%zu registration(s)\n", n);
	} else if (!p->calls && (!strcmp(cmd, "calls") || !strncmp(cmd, "hangup ", 7))) {
		mbuf_printf(out, "error: shutting down\n");
	} else if (strcmp(cmd, "calls") == 0) {
		calls_print(p->calls, out);
	} else if (strncmp(cmd, "hangup ", 7) == 0) {
		if (calls_hangup(p->calls, cmd + 7))
			mbuf_printf(out, "error: no call '%s'\n", cmd + 7);
		else
			mbuf_printf(out, "call %s hung up\n", cmd + 7);
	} else if (strcmp(cmd, "reload") == 0) {
		pbx_reload_print(p, out);
	} else if (strcmp(cmd, "trunks") == 0) {
		pbx_trunks_print(p, out);
	} else if (strcmp(cmd, "cdr") == 0) {
		pbx_cdr_print(p, out);
	} else if (strcmp(cmd, "blocked") == 0) {
		mbuf_printf(out, "%u address(es) blocked, %llu request(s) refused\n",
			    guard_count_blocked(p->guard, clock_mono_ms()),
			    (unsigned long long)p->blocked_requests);
	} else {
		mbuf_printf(out, "error: unknown command '%s' (try: registrations, calls, hangup ID, trunks, cdr, reload, blocked)\n",
			    cmd);
	}
}
