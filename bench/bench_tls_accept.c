/* bench_tls_accept: server CPU per new TLS connection (accept, full handshake with the ECDSA
 * P-256 certificate from tls_ensure_certs, close). The listener runs in its own thread and loop;
 * another thread makes N blocking handshakes without session resumption. Target: <= 1 ms.
 * Usage: bench_tls_accept [N] */
#include <errno.h>
#include <ftw.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/loop.h"
#include "net/sa.h"
#include "net/tls.h"
#include "net/tp.h"

struct server {
	struct loop *l;
	struct tp_mgr *m;
	unsigned n;
	struct tmr t;
	struct rusage ru0, ru1;
};

struct client {
	struct sa addr;
	const char *ca;
	unsigned n;
	int version;
	unsigned ok;
	char negotiated[16];
};

static void ignore(const struct tp_peer *from, const char *msg, size_t len, unsigned flags,
		   void *arg)
{
	(void)from;
	(void)msg;
	(void)len;
	(void)flags;
	(void)arg;
}

static void check_done(void *arg)
{
	struct server *s = arg;
	struct tp_stats st;

	tp_mgr_stats(s->m, &st);
	if (st.tls_handshakes + st.tls_failures >= s->n && st.conns_open == 0)
		loop_stop(s->l);
	else
		tmr_start(loop_timers(s->l), &s->t, 5, check_done, s);
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	getrusage(RUSAGE_THREAD, &s->ru0);
	tmr_init(&s->t);
	tmr_start(loop_timers(s->l), &s->t, 5, check_done, s);
	loop_run(s->l);
	getrusage(RUSAGE_THREAD, &s->ru1);
	return NULL;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || SSL_CTX_load_verify_locations(ctx, c->ca, NULL) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_max_proto_version(ctx, c->version);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	for (unsigned i = 0; i < c->n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		SSL *ssl = SSL_new(ctx);

		if (fd >= 0 && ssl && connect(fd, &c->addr.u.sa, c->addr.len) == 0) {
			SSL_set_fd(ssl, fd);
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
			if (SSL_connect(ssl) == 1) {
				c->ok++;
				snprintf(c->negotiated, sizeof(c->negotiated), "%s",
					 SSL_get_version(ssl));
			}
		}
		ERR_clear_error();
		SSL_free(ssl);
		if (fd >= 0)
			close(fd);
	}
out:
	SSL_CTX_free(ctx);
	return NULL;
}

static double usec(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_usec - a->tv_usec);
}

static int run(struct tls_ctx *server_ctx, const char *ca, unsigned n, int version)
{
	struct tp_config cfg = {.accept_rate = 1000000, .accept_burst = 1000000};
	struct server s = {.n = n};
	struct client c = {.ca = ca, .n = n, .version = version};
	struct sa any;
	pthread_t ts, tc;
	int err;

	sa_parse(&any, "127.0.0.1:0", 0);
	if ((err = loop_alloc(&s.l)) || (err = tp_mgr_alloc(&s.m, s.l, &cfg, ignore, NULL)) ||
	    (err = tp_listen(s.m, TP_TLS, &any, server_ctx, &c.addr)))
		goto out;
	pthread_create(&ts, NULL, server_main, &s);
	pthread_create(&tc, NULL, client_main, &c);
	pthread_join(tc, NULL);
	pthread_join(ts, NULL);

	double user = usec(&s.ru0.ru_utime, &s.ru1.ru_utime);
	double sys = usec(&s.ru0.ru_stime, &s.ru1.ru_stime);
	printf("tls_accept %-8s %u/%u handshakes: server CPU %.0f us/conn (user %.0f + sys %.0f),"
	       " target <= 1000\n",
	       c.negotiated, c.ok, n, (user + sys) / n, user / n, sys / n);
out:
	tp_mgr_free(s.m);
	loop_free(s.l);
	return err;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/sotto-bench-XXXXXX", cert[4096], key[4096], ca[4200];
	const char *names[] = {"127.0.0.1", "localhost"};
	struct tls_ctx *server_ctx = NULL;
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2000;
	int err;

	log_set_level(LOG_WARN);
	if (!n || !mkdtemp(dir))
		return 1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	err = tls_ensure_certs(dir, names, 2, cert, key, sizeof(cert));
	if (!err)
		err = tls_ctx_server_alloc(&server_ctx, cert, key);
	if (!err)
		err = run(server_ctx, ca, n, TLS1_3_VERSION);
	if (!err)
		err = run(server_ctx, ca, n, TLS1_2_VERSION);
	if (err)
		fprintf(stderr, "bench_tls_accept: %s\n", strerror(err));
	tls_ctx_free(server_ctx);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return err ? 1 : 0;
}
