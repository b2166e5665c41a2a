/* reload: the configuration file read again while Sotto runs (SIGHUP, sottoctl reload, POST
 * /api/reload). All or nothing: the new file must load without a single problem, and the
 * server certificate it names must load too, before anything changes. Then extensions and
 * every setting read per request change at once; a renewed certificate and key serve new TLS
 * connections (open ones keep theirs); calls in progress keep what they started with. What
 * is bound at start-up (sockets, the media relay, the guard's table, the admin address) needs
 * a restart to change, and the reply says so, naming the keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/settings.h"
#include "core/log.h"
#include "net/tls.h"
#include "net/tp.h"
#include "pbx/api.h"
#include "pbx/pbx_int.h"

static bool binds_differ(const struct conf_bind *a, size_t na, const struct conf_bind *b, size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].addr, b[i].addr))
			return true;
	return false;
}

/* One note per group of keys that changed but only take effect at the next start. */
static void restart_notes(const struct settings *o, const struct settings *n, struct mbuf *notes)
{
	struct {
		bool changed;
		const char *keys;
	} checks[] = {
	    {strcmp(o->data_dir, n->data_dir) != 0, "[general] data_dir"},
	    {binds_differ(o->udp, o->n_udp, n->udp, n->n_udp) ||
	         binds_differ(o->tcp, o->n_tcp, n->tcp, n->n_tcp) ||
	         binds_differ(o->tls, o->n_tls, n->tls, n->n_tls),
	     "[transport] udp/tcp/tls"},
	    {strcmp(o->media_address, n->media_address) || strcmp(o->rtp_ports, n->rtp_ports) ||
	         o->media_timeout_s != n->media_timeout_s || o->media_workers != n->media_workers,
	     "[media] address/rtp_ports/timeout/workers"},
	    {o->auth_fail_limit != n->auth_fail_limit ||
	         o->auth_fail_window_s != n->auth_fail_window_s ||
	         o->block_time_s != n->block_time_s,
	     "[security] auth_fail_limit/auth_fail_window/block_time"},
	    {binds_differ(o->admin_bind, o->n_admin_bind, n->admin_bind, n->n_admin_bind),
	     "[admin] bind"},
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!checks[i].changed)
			continue;
		log_warn("reload: %s changed: takes effect at the next restart", checks[i].keys);
		mbuf_printf(notes, "%s changed: takes effect at the next restart\n",
		            checks[i].keys);
	}
}

/* The server certificate the new configuration names (or the generated one under data_dir),
 * loaded into a fresh context. *ctxp stays NULL when there is no TLS listener. */
static int load_tls(const struct settings *cur, const struct settings *n, struct tls_ctx **ctxp,
                    struct mbuf *errors)
{
	char cert[4200], key[4200];
	*ctxp = NULL;
	if (!cur->n_tls || !n->n_tls) /* listeners change only at a restart */
		return 0;
	if (n->tls_cert[0]) {
		snprintf(cert, sizeof(cert), "%s", n->tls_cert);
		snprintf(key, sizeof(key), "%s", n->tls_key);
	} else {
		snprintf(cert, sizeof(cert), "%s/server.pem", n->data_dir);
		snprintf(key, sizeof(key), "%s/server.key", n->data_dir);
	}
	int err = tls_ctx_server_alloc(ctxp, cert, key);
	if (err)
		mbuf_printf(errors, "%s: cannot load the TLS certificate %s with key %s: %s\n",
		            n->path, cert, key, strerror(err));
	return err;
}

int pbx_reload(struct pbx *p, struct mbuf *errors, struct mbuf *notes)
{
	const struct settings *cur = pbx_settings(p);
	struct settings *n = NULL;
	struct tls_ctx *tls = NULL;
	int err;

	log_info("reload: reading %s", cur->path);
	err = settings_load(cur->path, &n, errors);
	if (!err)
		err = load_tls(cur, n, &tls, errors);
	if (!err && tls)
		err = pbx_keep_tls(p, tls);
	if (err) {
		if (tls)
			tls_ctx_free(tls);
		settings_free(n);
		goto refused;
	}
	restart_notes(cur, n, notes);
	size_t old_ext = cur->n_extensions, new_ext = n->n_extensions;
	err = pbx_settings_swap(p, n); /* cur is gone after this */
	if (err) {
		mbuf_printf(errors, "%s: cannot apply the configuration: %s\n", n->path,
		            strerror(err));
		settings_free(n);
		goto refused; /* tls stays kept (unused) until pbx_free */
	}
	if (tls && pbx_transport(p)) {
		tp_mgr_set_tls_server(pbx_transport(p), tls);
		mbuf_printf(notes, "TLS certificate reloaded: new connections use it\n");
	}
	pbx_reloaded(p, notes);
	mbuf_printf(notes, "configuration reloaded: %zu extension(s) (was %zu)\n", new_ext,
	            old_ext);
	log_info("reload: done, %zu extension(s) (was %zu)", new_ext, old_ext);
	return 0;

refused:
	/* every line, so that the log alone tells what was wrong */
	for (size_t i = 0; i < errors->len;) {
		const char *s = errors->buf + i;
		const char *e = memchr(s, '\n', errors->len - i);
		size_t len = e ? (size_t)(e - s) : errors->len - i;
		log_err("reload: %.*s", (int)len, s);
		i += len + 1;
	}
	log_err("reload: configuration refused; the running one stays");
	return err;
}

void pbx_reload_print(struct pbx *p, struct mbuf *out)
{
	struct mbuf errors, notes;
	mbuf_init(&errors);
	mbuf_init(&notes);
	if (pbx_reload(p, &errors, &notes)) {
		mbuf_printf(out,
		            "error: configuration refused as a whole; the running one stays\n");
		if (errors.len)
			mbuf_write(out, errors.buf, errors.len);
	}
	if (notes.len)
		mbuf_write(out, notes.buf, notes.len);
	mbuf_free(&errors);
	mbuf_free(&notes);
}
