/* tls_certs: a private CA and a server certificate signed by it, made with OpenSSL 3's EVP and
 * X509 API (profiles of RFC 5280 section 4.2; names checked as RFC 6125 does). Existing files
 * are reused; only a server certificate that lacks a requested name, does not match its key or
 * CA, or is about to expire is made again. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"

enum {
	CA_DAYS = 3650,
	SERVER_DAYS = 730,
	RENEW_DAYS = 30, /* regenerate a server certificate this close to expiry */
	CN_MAX = 64,	 /* ub-common-name, RFC 5280 appendix A */
};

/* A name for subjectAltName: an IP address (v4 or v6, brackets allowed) or a DNS name. */
struct cert_name {
	unsigned char ip[16];
	int ip_len; /* 0: DNS name */
	char text[256];
};

static int name_parse(const char *s, struct cert_name *n)
{
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(n->text))
		return EINVAL;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	memcpy(n->text, s, len);
	n->text[len] = '\0';
	n->ip_len = 0;
	if (inet_pton(AF_INET, n->text, n->ip) == 1) {
		n->ip_len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, n->text, n->ip) == 1) {
		n->ip_len = 16;
		return 0;
	}
	/* LDH labels (and a leading "*." wildcard label) only: RFC 1123 section 2.1. */
	for (size_t i = 0; i < len; i++) {
		char c = n->text[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '.' || (c == '*' && i == 0 && len > 2 && n->text[1] == '.');
		if (!ok)
			return EINVAL;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return EINVAL;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return errno;
	return 0;
}

/* Never prompt on a terminal for a pass phrase: an encrypted key simply does not load. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

static X509 *read_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return k;
}

/* Write through a new file (O_EXCL: never into something already there, a planted symlink
 * included) then rename over the old one, so a crash leaves the old file or the new one. */
static int write_file(const char *path, BIO *mem, mode_t mode)
{
	char tmp[PATH_MAX];
	char *data;
	long len;
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return ENAMETOOLONG;
	len = BIO_get_mem_data(mem, &data);
	if (len <= 0)
		return EIO;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return errno;
	while (len > 0) {
		ssize_t n = write(fd, data, (size_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		data += n;
		len -= n;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err)
		(void)unlink(tmp);
	return err;
}

static int write_key(const char *path, EVP_PKEY *key)
{
	/* Secure-memory BIO: the PEM text of the key is wiped when freed. */
	BIO *b = BIO_new(BIO_s_secmem());
	int err;

	if (!b)
		return ENOMEM;
	err = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1
		      ? write_file(path, b, 0600)
		      : EIO;
	BIO_free(b);
	return err;
}

static int write_certs(const char *path, X509 *cert, X509 *chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	int err = EIO;

	if (!b)
		return ENOMEM;
	if (PEM_write_bio_X509(b, cert) == 1 && (!chain || PEM_write_bio_X509(b, chain) == 1))
		err = write_file(path, b, 0644);
	BIO_free(b);
	return err;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ex)
		return EINVAL;
	ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : ENOMEM;
}

static int add_san(X509 *cert, const struct cert_name *names, size_t n)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int err = 0;

	if (!gens)
		return ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		if (!g || !v || !sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			ASN1_OCTET_STRING_free(v);
			err = ENOMEM;
			break;
		}
		if (names[i].ip_len ? !ASN1_OCTET_STRING_set(v, names[i].ip, names[i].ip_len)
				    : !ASN1_STRING_set(v, names[i].text, -1)) {
			ASN1_OCTET_STRING_free(v);
			err = ENOMEM;
			break;
		}
		/* An IA5String and an OCTET STRING are both ASN1_STRINGs; only the type differs. */
		if (!names[i].ip_len)
			v->type = V_ASN1_IA5STRING;
		GENERAL_NAME_set0_value(g, names[i].ip_len ? GEN_IPADD : GEN_DNS, v);
	}
	if (!err && X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		err = ENOMEM;
	GENERAL_NAMES_free(gens);
	return err;
}

/* A v3 certificate with a random 128-bit serial (positive, CA/B Forum style), valid from an
 * hour ago (clock skew) for 'days'. issuer NULL: self-signed with key. */
static int make_cert(X509 **xp, EVP_PKEY *key, const char *cn, X509 *issuer, long days)
{
	unsigned char serial[16];
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	X509_NAME *name;
	int err = ENOMEM;

	if (!x)
		return ENOMEM;
	if (rand_bytes(serial, sizeof(serial))) {
		err = EIO;
		goto out;
	}
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (!bn || X509_set_version(x, X509_VERSION_3) != 1 ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Sotto",
				       -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1)
		goto out;
	err = 0;
out:
	BN_free(bn);
	if (err)
		X509_free(x);
	else
		*xp = x;
	return err;
}

static int sign(X509 *x, EVP_PKEY *key)
{
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : EINVAL;
}

static int make_ca(X509 **xp, EVP_PKEY **kp)
{
	char cn[CN_MAX], host[48] = "localhost";
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = NULL;
	int err;

	if (!key)
		return ENOMEM;
	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(cn, sizeof(cn), "Sotto CA %s", host);
	err = make_cert(&x, key, cn, NULL, CA_DAYS);
	if (!err && (add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
		     add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		     add_ext(x, x, NID_subject_key_identifier, "hash") || sign(x, key)))
		err = EINVAL;
	if (err) {
		X509_free(x);
		EVP_PKEY_free(key);
		return err;
	}
	*xp = x;
	*kp = key;
	return 0;
}

static int make_server(X509 **xp, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key,
		       const struct cert_name *names, size_t n)
{
	const char *cn = n && strlen(names[0].text) < CN_MAX ? names[0].text : "sotto";
	X509 *x = NULL;
	int err;

	err = make_cert(&x, key, cn, ca, SERVER_DAYS);
	if (!err && (add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") ||
		     add_ext(x, ca, NID_key_usage, "critical,digitalSignature") ||
		     add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth") ||
		     add_ext(x, ca, NID_subject_key_identifier, "hash") ||
		     add_ext(x, ca, NID_authority_key_identifier, "keyid:always") ||
		     (n && add_san(x, names, n)) || sign(x, ca_key)))
		err = EINVAL;
	if (err) {
		X509_free(x);
		return err;
	}
	*xp = x;
	return 0;
}

/* Whether an existing server certificate can stay: same key, signed by this CA, every name
 * present, not about to expire. */
static bool server_ok(X509 *x, EVP_PKEY *key, X509 *ca, const struct cert_name *names, size_t n)
{
	time_t soon = time(NULL) + (time_t)RENEW_DAYS * 86400;
	bool ok = X509_check_private_key(x, key) == 1 && X509_check_issued(ca, x) == X509_V_OK &&
		  X509_verify(x, X509_get0_pubkey(ca)) == 1 &&
		  X509_cmp_time(X509_get0_notAfter(x), &soon) > 0;

	for (size_t i = 0; ok && i < n; i++) {
		if (names[i].ip_len)
			ok = X509_check_ip(x, names[i].ip, (size_t)names[i].ip_len, 0) == 1;
		else
			ok = X509_check_host(x, names[i].text, 0,
					     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
						     X509_CHECK_FLAG_NO_WILDCARDS,
					     NULL) == 1;
	}
	ERR_clear_error();
	return ok;
}

static int path_join(char *out, size_t size, const char *dir, const char *file)
{
	int n = snprintf(out, size, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

int tls_ensure_certs(const char *data_dir, const char *const *names, size_t n_names,
		     char *cert_out, char *key_out, size_t out_size)
{
	char ca_pem[PATH_MAX], ca_key[PATH_MAX], srv_pem[PATH_MAX], srv_key[PATH_MAX];
	struct cert_name *cn = NULL;
	X509 *ca = NULL, *srv = NULL;
	EVP_PKEY *cak = NULL, *srvk = NULL;
	bool new_ca = false, new_key = false;
	int err;

	if (!data_dir || (!names && n_names) || !cert_out || !key_out || n_names > 64)
		return EINVAL;
	cn = calloc(n_names ? n_names : 1, sizeof(*cn));
	if (!cn)
		return ENOMEM;
	for (size_t i = 0; i < n_names; i++) {
		if (!names[i] || name_parse(names[i], &cn[i])) {
			log_err("tls: '%s' is neither an IP address nor a host name",
				names[i] ? names[i] : "(null)");
			err = EINVAL;
			goto out;
		}
	}
	if ((err = path_join(ca_pem, sizeof(ca_pem), data_dir, "ca.pem")) ||
	    (err = path_join(ca_key, sizeof(ca_key), data_dir, "ca.key")) ||
	    (err = path_join(srv_pem, sizeof(srv_pem), data_dir, "server.pem")) ||
	    (err = path_join(srv_key, sizeof(srv_key), data_dir, "server.key")) ||
	    (err = path_join(cert_out, out_size, data_dir, "server.pem")) ||
	    (err = path_join(key_out, out_size, data_dir, "server.key")))
		goto out;
	err = mkdir_p(data_dir);
	if (err) {
		log_err("tls: %s: %s", data_dir, strerror(err));
		goto out;
	}

	ca = read_cert(ca_pem);
	cak = read_key(ca_key);
	if (!ca || !cak || X509_check_private_key(ca, cak) != 1) {
		X509_free(ca);
		EVP_PKEY_free(cak);
		ca = NULL;
		cak = NULL;
		if ((err = make_ca(&ca, &cak)) || (err = write_key(ca_key, cak)) ||
		    (err = write_certs(ca_pem, ca, NULL)))
			goto out;
		new_ca = true;
		log_info("tls: generated CA certificate %s", ca_pem);
	}

	srv = read_cert(srv_pem);
	srvk = read_key(srv_key);
	if (!new_ca && srv && srvk && server_ok(srv, srvk, ca, cn, n_names))
		goto out;
	X509_free(srv);
	srv = NULL;
	/* A fresh certificate for the key we have, if there is one: keeps pins valid. */
	if (!srvk) {
		srvk = EVP_EC_gen("P-256");
		new_key = true;
		if (!srvk) {
			err = ENOMEM;
			goto out;
		}
	}
	if ((err = make_server(&srv, srvk, ca, cak, cn, n_names)) ||
	    (new_key && (err = write_key(srv_key, srvk))) ||
	    (err = write_certs(srv_pem, srv, ca)))
		goto out;
	log_info("tls: generated server certificate %s for %s", srv_pem,
		 n_names ? names[0] : "sotto");
out:
	if (err)
		log_err("tls: certificates in %s: %s", data_dir, strerror(err));
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(srvk);
	free(cn);
	ERR_clear_error();
	return err;
}
