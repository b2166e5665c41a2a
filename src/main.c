/* sotto: start-up, signals and wiring of the layers (see docs/architecture.md). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin/ctl.h"
#include "admin/http.h"
#include "conf/settings.h"
#include "core/log.h"
#include "core/mbuf.h"
#include "net/loop.h"
#include "net/tls.h"
#include "net/tp.h"
#include "pbx/api.h"
#include "pbx/pbx.h"
#include "sip/tsx.h"
#include "store/store.h"

struct daemon {
	struct settings *cfg;
	struct loop *loop;
	struct tp_mgr *tp;
	struct tls_ctx *tls_server;
	struct tls_ctx *tls_client;
	struct sip_stack *stack;
	struct store *store;
	struct pbx *pbx;
	struct ctl *ctl;
	struct admin_http *admin;
};

static const struct tp_config tp_defaults = {
	.max_msg = 65535,
	.max_hdr = 16384,
	.accept_rate = 500,
	.accept_burst = 1000,
	.idle_timeout_ms = 600000,
	.max_conns = 20000,
};

/* RFC 3261 17.1.1.1 defaults; 200 ms before an automatic 100 Trying (17.2.1). */
static const struct sip_timers sip_timer_defaults = {
	.t1_ms = 500,
	.t2_ms = 4000,
	.t4_ms = 5000,
	.trying_ms = 200,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sotto -c FILE [--check-config] [-v]\n"
		   "  -c, --config FILE   configuration file (INI)\n"
		   "      --check-config  validate the configuration and exit\n"
		   "  -v, --verbose       debug logging\n");
}

static int on_sip_send(const struct tp_peer *to, const char *data, size_t len, void *arg)
{
	struct daemon *d = arg;
	return tp_send(d->tp, to, data, len);
}

static void on_tp_recv(const struct tp_peer *from, const char *msg, size_t len, unsigned flags,
		       void *arg)
{
	struct daemon *d = arg;
	sip_stack_recv(d->stack, from, msg, len, flags);
}

static void on_control(const char *cmd, struct mbuf *out, void *arg)
{
	struct daemon *d = arg;
	pbx_control(d->pbx, cmd, out);
}

/* SIGHUP: read the configuration again (all or nothing; see pbx/reload.c, which logs). */
static void on_hangup_signal(int signo, void *arg)
{
	struct daemon *d = arg;
	struct mbuf errors, notes;
	(void)signo;
	log_info("SIGHUP: reloading the configuration");
	mbuf_init(&errors);
	mbuf_init(&notes);
	pbx_reload(d->pbx, &errors, &notes);
	mbuf_free(&errors);
	mbuf_free(&notes);
}

static void on_signal(int signo, void *arg)
{
	struct daemon *d = arg;
	log_info("signal %d: shutting down", signo);
	loop_stop(d->loop);
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return EINVAL;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return errno;
	return 0;
}

/* Host part of a bind "host:port" / "[v6]:port". */
static void bind_host(const char *bind, char *out, size_t size)
{
	const char *end;
	if (bind[0] == '[') {
		bind++;
		end = strchr(bind, ']');
	} else {
		end = strrchr(bind, ':');
	}
	size_t n = end ? (size_t)(end - bind) : strlen(bind);
	if (n >= size)
		n = size - 1;
	memcpy(out, bind, n);
	out[n] = '\0';
}

static int setup_tls(struct daemon *d, char *cert, char *key, size_t size)
{
	const struct settings *c = d->cfg;
	if (c->tls_cert[0]) {
		snprintf(cert, size, "%s", c->tls_cert);
		snprintf(key, size, "%s", c->tls_key);
	} else {
		char hosts[SETTINGS_MAX_BINDS + 3][256];
		const char *names[SETTINGS_MAX_BINDS + 3];
		size_t n = 0;
		if (gethostname(hosts[n], sizeof(hosts[n])) == 0) {
			hosts[n][sizeof(hosts[n]) - 1] = '\0';
			names[n] = hosts[n];
			n++;
		}
		snprintf(hosts[n], sizeof(hosts[n]), "localhost");
		names[n] = hosts[n];
		n++;
		for (size_t i = 0; i < c->n_tls; i++) {
			bind_host(c->tls[i].addr, hosts[n], sizeof(hosts[n]));
			names[n] = hosts[n];
			n++;
		}
		if (c->n_admin_bind) { /* the admin server shows the same certificate */
			bind_host(c->admin_bind[0].addr, hosts[n], sizeof(hosts[n]));
			names[n] = hosts[n];
			n++;
		}
		int err = tls_ensure_certs(c->data_dir, names, n, cert, key, size);
		if (err) {
			log_err("cannot create TLS certificates in %s: %s", c->data_dir,
				strerror(err));
			return err;
		}
	}
	return c->n_tls ? tls_ctx_server_alloc(&d->tls_server, cert, key) : 0;
}

/* The admin server's certificate: its own, else the SIP one (configured or generated). */
static void admin_cert_paths(const struct settings *c, char *cert, char *key, size_t size)
{
	if (c->admin_tls_cert[0]) {
		snprintf(cert, size, "%s", c->admin_tls_cert);
		snprintf(key, size, "%s", c->admin_tls_key);
	} else if (c->tls_cert[0]) {
		snprintf(cert, size, "%s", c->tls_cert);
		snprintf(key, size, "%s", c->tls_key);
	} else {
		snprintf(cert, size, "%s/server.pem", c->data_dir);
		snprintf(key, size, "%s/server.key", c->data_dir);
	}
}

/* After a reload: the admin server takes the (renewed) certificate and the token. */
static void on_reloaded(const struct settings *c, struct mbuf *notes, void *arg)
{
	struct daemon *d = arg;
	char cert[4200], key[4200], token[128];
	int err = 0;
	if (!d->admin || !c->n_admin_bind)
		return;
	admin_cert_paths(c, cert, key, sizeof(cert));
	if (!strcmp(c->admin_token, "demo"))
		err = admin_token_load(c->data_dir, c->admin_bind[0].addr, token, sizeof(token));
	else
		snprintf(token, sizeof(token), "%s", c->admin_token);
	if (!err)
		err = admin_http_reload(d->admin, cert, key, token);
	OPENSSL_cleanse(token, sizeof(token));
	if (err)
		mbuf_printf(notes, "admin server: cannot use %s / %s (%s): it keeps the previous "
				   "certificate and token\n",
			    cert, key, strerror(err));
	else
		mbuf_printf(notes, "admin server: certificate %s and token reloaded\n", cert);
}

/* The admin HTTPS server: the SIP certificate unless [admin] names its own. */
static int start_admin(struct daemon *d, const char *cert, const char *key)
{
	const struct settings *c = d->cfg;
	char token[128];
	int err = 0;
	if (!strcmp(c->admin_token, "demo"))
		err = admin_token_load(c->data_dir, c->admin_bind[0].addr, token, sizeof(token));
	else
		snprintf(token, sizeof(token), "%s", c->admin_token);
	if (err) {
		log_err("admin: cannot keep the token in %s: %s", c->data_dir, strerror(err));
		return err;
	}
	struct admin_http_conf ac = {
		.bind = c->admin_bind[0].addr,
		.token = token,
		.cert_file = c->admin_tls_cert[0] ? c->admin_tls_cert : cert,
		.key_file = c->admin_tls_key[0] ? c->admin_tls_key : key,
	};
	pbx_set_reload_handler(d->pbx, on_reloaded, d);
	err = admin_http_alloc(&d->admin, &ac, d->loop, d->pbx, d->store);
	OPENSSL_cleanse(token, sizeof(token));
	return err;
}

static int listen_all(struct daemon *d, enum tp_kind kind, const struct conf_bind *binds,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sa sa;
		int err = sa_parse(&sa, binds[i].addr, kind == TP_TLS ? 5061 : 5060);
		if (!err)
			err = tp_listen(d->tp, kind, &sa, kind == TP_TLS ? d->tls_server : NULL,
					NULL);
		if (err) {
			log_err("cannot listen on %s %s: %s", tp_kind_name(kind), binds[i].addr,
				strerror(err));
			return err;
		}
	}
	return 0;
}

static int daemon_start(struct daemon *d)
{
	const struct settings *c = d->cfg;
	char cert[4096], key[4096];
	int err;

	err = mkdir_p(c->data_dir);
	if (err) {
		log_err("cannot create data_dir %s: %s", c->data_dir, strerror(err));
		return err;
	}
	if (c->n_tls || c->n_admin_bind) {
		err = setup_tls(d, cert, key, sizeof(cert));
		if (err)
			return err;
	}
	err = tls_ctx_client_alloc(&d->tls_client, NULL, true);
	if (err)
		return err;
	err = loop_alloc(&d->loop);
	if (err)
		return err;
	err = tp_mgr_alloc(&d->tp, d->loop, &tp_defaults, on_tp_recv, d);
	if (err)
		return err;
	tp_mgr_set_tls_client(d->tp, d->tls_client);
	char path[4200];
	snprintf(path, sizeof(path), "%s/sotto.db", c->data_dir);
	err = store_open(&d->store, path);
	if (err) {
		log_err("cannot open the database %s: %s", path, strerror(err));
		return err;
	}
	err = pbx_alloc(&d->pbx, c, d->loop, d->store);
	if (err)
		return err;
	tp_mgr_set_close_handler(d->tp, pbx_conn_closed, d->pbx);
	pbx_set_transport(d->pbx, d->tp);
	err = sip_stack_alloc(&d->stack, loop_timers(d->loop), &sip_timer_defaults, on_sip_send, d,
			      pbx_request, d->pbx);
	if (err)
		return err;
	err = pbx_attach(d->pbx, d->stack);
	if (err)
		return err;
	sip_stack_set_stray_handler(d->stack, pbx_stray_response, d->pbx);
	snprintf(path, sizeof(path), "%s/sotto.sock", c->data_dir);
	err = ctl_alloc(&d->ctl, d->loop, path, on_control, d);
	if (err) {
		log_err("cannot open the control socket %s: %s", path, strerror(err));
		return err;
	}
	err = listen_all(d, TP_UDP, c->udp, c->n_udp);
	if (!err)
		err = listen_all(d, TP_TCP, c->tcp, c->n_tcp);
	if (!err)
		err = listen_all(d, TP_TLS, c->tls, c->n_tls);
	if (!err && c->n_admin_bind)
		err = start_admin(d, cert, key);
	if (err)
		return err;
	if (c->n_tls)
		log_info("TLS certificate %s (phones trust %s/ca.pem when generated)", cert,
			 c->data_dir);
	loop_signal(d->loop, SIGTERM, on_signal, d);
	loop_signal(d->loop, SIGINT, on_signal, d);
	loop_signal(d->loop, SIGHUP, on_hangup_signal, d);
	return 0;
}

static void on_grace_over(void *arg)
{
	loop_stop(arg);
}

static void daemon_stop(struct daemon *d)
{
	admin_http_free(d->admin); /* first: its threads wait on the signalling loop */
	d->admin = NULL;
	ctl_free(d->ctl);
	d->ctl = NULL;
	/* Calls in progress get their BYEs and records; give the BYEs a moment to leave. */
	if (d->pbx && d->loop && pbx_end_calls(d->pbx)) {
		struct tmr grace;
		tmr_init(&grace);
		tmr_start(loop_timers(d->loop), &grace, 300, on_grace_over, d->loop);
		loop_run(d->loop);
		tmr_cancel(&grace);
	}
	if (d->stack)
		sip_stack_free(d->stack);
	/* Connections closing because we stop are not phones going away: keep their bindings. */
	if (d->tp)
		tp_mgr_set_close_handler(d->tp, NULL, NULL);
	pbx_free(d->pbx);
	if (d->tp)
		tp_mgr_free(d->tp);
	store_close(d->store);
	if (d->loop)
		loop_free(d->loop);
	if (d->tls_server)
		tls_ctx_free(d->tls_server);
	if (d->tls_client)
		tls_ctx_free(d->tls_client);
	settings_free(d->cfg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool check_only = false;
	struct daemon d = {0};
	struct mbuf errors;
	int opt, err;

	/* Keep freed heap memory rather than give it back to the kernel after every call and
	 * fault it in again for the next: a brk and page faults per call under load. */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	mbuf_init(&errors);
	err = settings_load(path, &d.cfg, &errors);
	if (err) {
		fputs(errors.buf ? errors.buf : "", stderr);
		fprintf(stderr, "%s: configuration rejected\n", path);
		mbuf_free(&errors);
		return 1;
	}
	mbuf_free(&errors);
	if (check_only) {
		printf("%s: OK\n", path);
		settings_free(d.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	err = daemon_start(&d);
	if (!err) {
		log_info("sotto running (realm %s, data_dir %s)", d.cfg->realm, d.cfg->data_dir);
		err = loop_run(d.loop);
	}
	daemon_stop(&d);
	log_info("sotto stopped");
	return err ? 1 : 0;
}
