/* cert: the admin server's certificate chain and key, handed to GnuTLS through its retrieve
 * callback so that a reload can put a renewed pair in place while the server runs: new
 * connections get the new pair, pairs already handed out stay valid until admin_cert_clear.
 * One admin server per process, so the state is process-wide. */
#ifndef SOTTO_ADMIN_CERT_H
#define SOTTO_ADMIN_CERT_H

#include <gnutls/abstract.h>

/* Load a PEM chain and key; on success they serve every handshake from now on. 0, or an errno
 * with the current pair unchanged (the reason is logged). */
int admin_cert_set(const char *cert_file, const char *key_file);
/* For MHD_OPTION_HTTPS_CERT_CALLBACK. */
gnutls_certificate_retrieve_function2 admin_cert_retrieve;
/* Free every pair loaded; once the server's threads are gone. */
void admin_cert_clear(void);

#endif
