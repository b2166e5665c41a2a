/* cert: swappable admin certificates on GnuTLS (the only GnuTLS code in Sotto: libmicrohttpd
 * is built on it). */
#include "admin/cert.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ini.h"
#include "core/log.h"

#define CHAIN_MAX 8

struct pair {
	struct pair *older;
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pair *current; /* newest first; older ones kept for sessions that use them */

static void pair_free(struct pair *p)
{
	for (unsigned i = 0; i < p->n; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

int admin_cert_set(const char *cert_file, const char *key_file)
{
	struct pair *p = calloc(1, sizeof(*p));
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int err, rc = 0;
	if (!p)
		return ENOMEM;
	err = ini_file_read(cert_file, &cert, &cert_len);
	if (!err)
		err = ini_file_read(key_file, &key, &key_len);
	if (err) {
		log_err("admin: cannot read %s / %s: %s", cert_file, key_file, strerror(err));
		goto out;
	}
	gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)cert_len};
	gnutls_datum_t kd = {(unsigned char *)key, (unsigned)key_len};
	p->n = CHAIN_MAX;
	rc = gnutls_pcert_list_import_x509_raw(p->pcert, &p->n, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		p->n = 0;
		log_err("admin: %s: %s", cert_file, gnutls_strerror(rc));
	} else if ((rc = gnutls_privkey_init(&p->key)) < 0 ||
		   (rc = gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) <
			   0) {
		log_err("admin: %s: %s", key_file, gnutls_strerror(rc));
	}
	err = rc < 0 ? EINVAL : 0;
out:
	ini_file_free(cert, cert_len);
	ini_file_free(key, key_len); /* wiped */
	if (err) {
		pair_free(p);
		return err;
	}
	pthread_mutex_lock(&lock);
	p->older = current;
	current = p;
	pthread_mutex_unlock(&lock);
	return 0;
}

int admin_cert_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
			const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
			gnutls_pcert_st **pcert, unsigned int *pcert_length,
			gnutls_privkey_t *privkey)
{
	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&lock);
	struct pair *p = current;
	pthread_mutex_unlock(&lock);
	if (!p)
		return -1;
	*pcert = p->pcert;
	*pcert_length = p->n;
	*privkey = p->key;
	return 0;
}

void admin_cert_clear(void)
{
	pthread_mutex_lock(&lock);
	struct pair *p = current;
	current = NULL;
	pthread_mutex_unlock(&lock);
	while (p) {
		struct pair *older = p->older;
		pair_free(p);
		p = older;
	}
}
