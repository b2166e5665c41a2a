/* tls: OpenSSL 3 behind one small interface. TLS 1.2 and 1.3 only, ECDHE key exchange. */
#ifndef SOTTO_NET_TLS_H
#define SOTTO_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct tls_ctx;

/* A server context from a PEM certificate chain and key. 0, ENOENT or EINVAL (the reason is
 * logged with the file name). */
int tls_ctx_server_alloc(struct tls_ctx **ctxp, const char *cert_file, const char *key_file);
/* A client context that verifies peers against ca_file (NULL: the system store) and checks the
 * host name given per connection. verify=false only where the admin asked for it. */
int tls_ctx_client_alloc(struct tls_ctx **ctxp, const char *ca_file, bool verify);
void tls_ctx_free(struct tls_ctx *ctx);

/* Make sure data_dir holds a CA (ca.pem, ca.key) and a server certificate signed by it
 * (server.pem, server.key), both ECDSA P-256; generate what is missing. names: host names and
 * IP addresses to put in the server certificate's subjectAltName. The file paths are written to
 * cert_out and key_out (size >= 4096). Keys are written mode 0600. 0 or an errno. */
int tls_ensure_certs(const char *data_dir, const char *const *names, size_t n_names,
		     char *cert_out, char *key_out, size_t out_size);

#endif
