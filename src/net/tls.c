/* tls: OpenSSL 3 contexts and non-blocking sessions. TLS 1.2 minimum (RFC 8996 retired 1.0 and
 * 1.1), ECDHE with AEAD ciphers only for 1.2 (RFC 7525 section 4.2), no compression (CRIME), no
 * renegotiation. Every failure path leaves the thread's OpenSSL error queue empty. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "net/loop.h"
#include "net/tls_int.h"

static const char tls12_ciphers[] = "ECDHE+AESGCM:ECDHE+CHACHA20";
static const char tls_groups[] = "X25519:P-256:P-384";

struct tls_ctx {
	SSL_CTX *ctx;
	bool server;
	bool verify;
};

struct tls_sess {
	SSL *ssl;
	bool server;
	bool done;   /* handshake completed */
	char *error; /* client side: why the handshake failed */
};

/* The most specific reason in the error queue, which is then emptied. */
static const char *err_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, size);
	else
		snprintf(buf, size, "unknown error");
	ERR_clear_error();
	return buf;
}

static int ctx_common(SSL_CTX *ctx)
{
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, tls_groups) != 1)
		return EINVAL;
	return 0;
}

static int file_check(const char *path)
{
	struct stat st;

	if (!path || !*path)
		return EINVAL;
	if (stat(path, &st) < 0) {
		log_err("tls: %s: %s", path, strerror(errno));
		return ENOENT;
	}
	return 0;
}

int tls_ctx_server_alloc(struct tls_ctx **ctxp, const char *cert_file, const char *key_file)
{
	struct tls_ctx *t;
	char why[256];
	int err;

	if (!ctxp)
		return EINVAL;
	if ((err = file_check(cert_file)) || (err = file_check(key_file)))
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->server = true;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx) {
		err = ENOMEM;
		goto out;
	}
	err = ctx_common(t->ctx);
	if (err) {
		log_err("tls: server context: %s", err_reason(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		log_err("tls: %s: %s", cert_file, err_reason(why, sizeof(why)));
		err = EINVAL;
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		log_err("tls: %s: %s", key_file, err_reason(why, sizeof(why)));
		err = EINVAL;
		goto out;
	}
out:
	ERR_clear_error();
	if (err)
		tls_ctx_free(t);
	else
		*ctxp = t;
	return err;
}

int tls_ctx_client_alloc(struct tls_ctx **ctxp, const char *ca_file, bool verify)
{
	struct tls_ctx *t;
	char why[256];
	int err;

	if (!ctxp)
		return EINVAL;
	if (ca_file && (err = file_check(ca_file)))
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->verify = verify;
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		err = ENOMEM;
		goto out;
	}
	err = ctx_common(t->ctx);
	if (err) {
		log_err("tls: client context: %s", err_reason(why, sizeof(why)));
		goto out;
	}
	if (ca_file ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1
		    : SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		log_err("tls: %s: %s", ca_file ? ca_file : "system CA store",
			err_reason(why, sizeof(why)));
		err = EINVAL;
		goto out;
	}
	SSL_CTX_set_verify(t->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (!verify)
		log_warn("tls: client certificate verification is off");
out:
	ERR_clear_error();
	if (err)
		tls_ctx_free(t);
	else
		*ctxp = t;
	return err;
}

/* Sessions hold their own reference to the SSL_CTX, so connections outlive a replaced context. */
void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* RFC 6125 checks of the peer's name (if verifying); SNI only for DNS names (RFC 6066
 * section 3). */
static int set_peer_name(struct tls_sess *s, const char *name, bool verify)
{
	unsigned char ip[16];
	char host[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(name);

	if (n >= 2 && name[0] == '[' && name[n - 1] == ']' && n - 2 < sizeof(host)) {
		memcpy(host, name + 1, n - 2);
		host[n - 2] = '\0';
		name = host;
	}
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
		if (verify && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) != 1)
			return EINVAL;
		return 0;
	}
	if (SSL_set_tlsext_host_name(s->ssl, name) != 1)
		return EINVAL;
	SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (verify && SSL_set1_host(s->ssl, name) != 1)
		return EINVAL;
	return 0;
}

int tls_sess_alloc(struct tls_sess **sp, struct tls_ctx *ctx, int fd, const char *verify_name)
{
	struct tls_sess *s;
	int err = 0;

	if (!sp || !ctx || fd < 0)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->server = ctx->server;
	s->ssl = SSL_new(ctx->ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
		err = ENOMEM;
		goto out;
	}
	if (ctx->server) {
		SSL_set_accept_state(s->ssl);
	} else {
		SSL_set_connect_state(s->ssl);
		if (verify_name && *verify_name)
			err = set_peer_name(s, verify_name, ctx->verify);
	}
out:
	ERR_clear_error();
	if (err)
		tls_sess_free(s, false);
	else
		*sp = s;
	return err;
}

void tls_sess_free(struct tls_sess *s, bool notify)
{
	if (!s)
		return;
	if (s->ssl) {
		if (notify && s->done)
			(void)SSL_shutdown(s->ssl);
		else
			SSL_set_quiet_shutdown(s->ssl, 1);
		SSL_free(s->ssl);
	}
	ERR_clear_error();
	free(s->error);
	free(s);
}

const char *tls_sess_error(const struct tls_sess *s)
{
	return s ? s->error : NULL;
}

/* Maps a failed SSL call to EAGAIN + *want, or to an error after emptying the queue. */
static int io_result(struct tls_sess *s, int r, unsigned *want)
{
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*want = LOOP_READ;
		return EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = LOOP_WRITE;
		return EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return EPIPE;
	default:
		ERR_clear_error();
		return EIO;
	}
}

int tls_sess_handshake(struct tls_sess *s, unsigned *want, const char *peer)
{
	char why[256];
	long vr;
	int r, e;

	if (s->done)
		return 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->done = true;
		return 0;
	}
	e = SSL_get_error(s->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = LOOP_READ;
		return EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = LOOP_WRITE;
		return EAGAIN;
	default:
		break;
	}
	vr = SSL_get_verify_result(s->ssl);
	if (!s->server && vr != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verification: %s",
			 X509_verify_cert_error_string(vr));
	else if (ERR_peek_last_error())
		err_reason(why, sizeof(why));
	else
		snprintf(why, sizeof(why), "connection closed: %s",
			 e == SSL_ERROR_SYSCALL && errno ? strerror(errno) : "eof");
	ERR_clear_error();
	if (!s->server && !s->error)
		s->error = strdup(why);
	/* Scanners hit listeners all day: server-side failures are only debug noise. */
	if (s->server)
		log_debug("tls: handshake from %s failed: %s", peer ? peer : "?", why);
	else
		log_info("tls: handshake with %s failed: %s", peer ? peer : "?", why);
	return EPROTO;
}

int tls_sess_read(struct tls_sess *s, void *buf, size_t size, size_t *n, unsigned *want)
{
	int r, err;

	ERR_clear_error();
	r = SSL_read(s->ssl, buf, size > INT_MAX ? INT_MAX : (int)size);
	if (r > 0) {
		*n = (size_t)r;
		return 0;
	}
	err = io_result(s, r, want);
	if (err == EPIPE) {
		*n = 0;
		return 0;
	}
	return err;
}

int tls_sess_write(struct tls_sess *s, const void *buf, size_t len, size_t *n, unsigned *want)
{
	int r, err;

	if (len == 0) {
		*n = 0;
		return 0;
	}
	ERR_clear_error();
	r = SSL_write(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (r > 0) {
		*n = (size_t)r;
		return 0;
	}
	err = io_result(s, r, want);
	return err == EPIPE ? EIO : err;
}

bool tls_sess_pending(const struct tls_sess *s)
{
	return SSL_pending(s->ssl) > 0;
}

const char *tls_sess_version(const struct tls_sess *s)
{
	return s->done ? SSL_get_version(s->ssl) : NULL;
}

const char *tls_sess_cipher(const struct tls_sess *s)
{
	return s->done ? SSL_CIPHER_get_name(SSL_get_current_cipher(s->ssl)) : NULL;
}
