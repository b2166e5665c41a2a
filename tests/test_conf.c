/* Unit tests for src/conf: the INI reader and the typed settings (the demo config, defaults,
 * quoting, binds, and one bad input per rule with its exact FILE:LINE). Run from the repo root. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/ini.h"
#include "conf/settings.h"
#include "core/mbuf.h"
#include "harness.h"

#define VEC "tests/vectors/conf/"

/* Write text (len bytes) to a fresh temporary file; its name goes to path[64]. */
static bool write_temp(const char *text, size_t len, char *path)
{
	strcpy(path, "/tmp/sotto-test-conf-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return false;
	bool ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* Load text from a temporary file; the file is gone afterwards. */
static int load_text_n(const char *text, size_t len, struct settings **sp, struct mbuf *errs,
		       char *path)
{
	if (!write_temp(text, len, path))
		return -1;
	int err = settings_load(path, sp, errs);
	unlink(path);
	return err;
}

static int load_text(const char *text, struct settings **sp, struct mbuf *errs, char *path)
{
	return load_text_n(text, strlen(text), sp, errs, path);
}

static size_t count_lines(const struct mbuf *mb)
{
	size_t n = 0;
	for (size_t i = 0; i < mb->len; i++)
		n += mb->buf[i] == '\n';
	return n;
}

/* Is there an error line starting "path:line: " that contains word? */
static bool has_error(const struct mbuf *mb, const char *path, int line, const char *word)
{
	char prefix[128];
	int n = snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	const char *p = mb->buf ? mb->buf : "";

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l >= (size_t)n && !strncmp(p, prefix, (size_t)n)) {
			const char *w = strstr(p, word);
			if (w && w + strlen(word) <= p + l)
				return true;
		}
		p += l + (nl ? 1 : 0);
	}
	return false;
}

static const char *errs_str(const struct mbuf *mb)
{
	return mb->buf ? mb->buf : "";
}

static void demo_config_loads(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	mbuf_init(&errs);

	int err = settings_load("conf/sotto.conf", &s, &errs);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	CHECK_EQ_INT(errs.len, 0);
	CHECK(!strcmp(s->path, "conf/sotto.conf"));
	CHECK(!strcmp(s->data_dir, "./var"));
	CHECK(!strcmp(s->realm, "sotto.test"));
	CHECK_EQ_INT(s->n_udp, 1);
	CHECK_EQ_INT(s->n_tcp, 1);
	CHECK_EQ_INT(s->n_tls, 1);
	CHECK(!strcmp(s->udp[0].addr, "127.0.0.1:5060"));
	CHECK(!strcmp(s->tcp[0].addr, "127.0.0.1:5060"));
	CHECK(!strcmp(s->tls[0].addr, "127.0.0.1:5061"));
	CHECK(s->udp[0].line > 0);
	CHECK(!s->tls_cert[0] && !s->tls_key[0]);
	CHECK_EQ_INT(s->min_expires, 60);
	CHECK_EQ_INT(s->max_expires, 3600);
	CHECK_EQ_INT(s->default_expires, 600);
	CHECK_EQ_INT(s->auth_fail_limit, 10);
	CHECK_EQ_INT(s->auth_fail_window_s, 60);
	CHECK_EQ_INT(s->block_time_s, 600);
	CHECK_EQ_INT(s->nonce_lifetime_s, 300);
	CHECK_EQ_INT(s->n_extensions, 3);
	CHECK_EQ_INT(s->n_admin_bind, 1);
	CHECK(!strcmp(s->admin_bind[0].addr, "127.0.0.1:8443"));
	CHECK(!strcmp(s->admin_token, "demo"));
	CHECK(!s->admin_tls_cert[0] && !s->admin_tls_key[0]);

	const struct conf_extension *e1 = settings_extension(s, "1001");
	const struct conf_extension *e2 = settings_extension(s, "1002");
	const struct conf_extension *e3 = settings_extension(s, "1003");
	REQUIRE(e1 && e2 && e3);
	CHECK(e1->demo && e2->demo && e3->demo);
	CHECK(!e1->password[0] && !e1->ha1_md5[0] && !e1->ha1_sha256[0]);
	CHECK_EQ_INT(e1->transports, CONF_TP_TLS);
	CHECK_EQ_INT(e2->transports, CONF_TP_TLS);
	CHECK_EQ_INT(e1->encryption, ENC_MANDATORY);
	CHECK_EQ_INT(e2->encryption, ENC_MANDATORY);
	CHECK_EQ_INT(e3->transports, CONF_TP_TLS | CONF_TP_TCP | CONF_TP_UDP);
	CHECK_EQ_INT(e3->encryption, ENC_OPTIONAL);
	CHECK_EQ_INT(e1->max_contacts, 3);
	CHECK(e1->line > 0 && e1->line < e2->line && e2->line < e3->line);
	CHECK(settings_extension(s, "1004") == NULL);
	CHECK(settings_extension(s, "100") == NULL);
	CHECK(settings_extension(s, "") == NULL);
	settings_free(s);
	mbuf_free(&errs);
}

static void defaults_applied(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("[transport]\n"
			    "tls = [::1]:5061\n"
			    "[extension 2000]\n"
			    "password = secret\n",
			    &s, &errs, path);
	REQUIRE(err == 0 && s);
	CHECK_EQ_INT(errs.len, 0);
	CHECK(!strcmp(s->data_dir, "./var"));
	CHECK(!strcmp(s->realm, "sotto.test"));
	CHECK_EQ_INT(s->n_udp + s->n_tcp, 0);
	CHECK_EQ_INT(s->min_expires, 60);
	CHECK_EQ_INT(s->max_expires, 3600);
	CHECK_EQ_INT(s->default_expires, 600);
	CHECK_EQ_INT(s->auth_fail_limit, 10);
	CHECK_EQ_INT(s->auth_fail_window_s, 60);
	CHECK_EQ_INT(s->block_time_s, 600);
	CHECK_EQ_INT(s->nonce_lifetime_s, 300);
	CHECK(!strcmp(s->media_address, "127.0.0.1"));
	CHECK_EQ_INT(s->rtp_port_min, 30000);
	CHECK_EQ_INT(s->rtp_port_max, 39999);
	CHECK_EQ_INT(s->media_timeout_s, 60);
	CHECK_EQ_INT(s->ring_timeout_s, 30);
	CHECK(!strcmp(s->echo_extension, "*43"));
	const struct conf_extension *e = settings_extension(s, "2000");
	REQUIRE(e);
	CHECK(!strcmp(e->password, "secret"));
	CHECK_EQ_INT(e->digest, CONF_DIGEST_SHA256 | CONF_DIGEST_MD5);
	CHECK(!e->demo);
	CHECK_EQ_INT(e->transports, CONF_TP_TLS);
	CHECK_EQ_INT(e->encryption, ENC_MANDATORY);
	CHECK_EQ_INT(e->max_contacts, 3);
	CHECK_EQ_INT(e->line, 3);
	settings_free(s);
	mbuf_free(&errs);
}

static void values_quoted_and_commented(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("; a comment\n"
			    "  # another, indented\n"
			    "[general]   ; comment after a header\n"
			    "realm = \"my realm; #1\"  ; comment\n"
			    "data_dir = /var/lib/sotto#x   # '#' without a blank before is data\n"
			    "[transport]\n"
			    "udp = 127.0.0.1:5060   ; comment\n"
			    "\tUDP\t=\t127.0.0.2:5060\t\n"
			    "[Extension 3000]\n"
			    "password = \"p;a#s \\\"q\\\" \\\\ s\"\n"
			    "max_contacts=7\n"
			    "demo = off\n"
			    "[extension 3001]\n"
			    "password = pa;ss#word\n"
			    "transports = udp , TCP\n"
			    "encryption = Off\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	CHECK(!strcmp(s->realm, "my realm; #1"));
	CHECK(!strcmp(s->data_dir, "/var/lib/sotto#x"));
	CHECK_EQ_INT(s->n_udp, 2);
	CHECK(!strcmp(s->udp[0].addr, "127.0.0.1:5060"));
	CHECK(!strcmp(s->udp[1].addr, "127.0.0.2:5060"));
	CHECK_EQ_INT(s->udp[1].line, 8);
	const struct conf_extension *e = settings_extension(s, "3000");
	REQUIRE(e);
	CHECK(!strcmp(e->password, "p;a#s \"q\" \\ s"));
	CHECK_EQ_INT(e->max_contacts, 7);
	e = settings_extension(s, "3001");
	REQUIRE(e);
	CHECK(!strcmp(e->password, "pa;ss#word"));
	CHECK_EQ_INT(e->transports, CONF_TP_UDP | CONF_TP_TCP);
	CHECK_EQ_INT(e->encryption, ENC_OFF);
	settings_free(s);
	mbuf_free(&errs);
}

static void binds_repeated_and_ipv6(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("[transport]\n"
			    "udp = 127.0.0.1:5060\n"
			    "udp = [::1]:5060\n"
			    "udp = [2001:db8::1]:5070\n"
			    "udp = [::ffff:192.0.2.1]:5080\n"
			    "tcp = 0.0.0.0:5060\n"
			    "tcp = [::]:5060\n"
			    "tls = 0.0.0.0:5061\n"
			    "tls = [fe80::1]:65535\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	CHECK_EQ_INT(s->n_udp, 4);
	CHECK_EQ_INT(s->n_tcp, 2);
	CHECK_EQ_INT(s->n_tls, 2);
	CHECK(!strcmp(s->udp[1].addr, "[::1]:5060"));
	CHECK(!strcmp(s->udp[3].addr, "[::ffff:192.0.2.1]:5080"));
	CHECK(!strcmp(s->tls[1].addr, "[fe80::1]:65535"));
	CHECK_EQ_INT(s->tls[1].line, 9);
	settings_free(s);
	mbuf_free(&errs);
}

static void ha1_stored_lower_case(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("[transport]\n"
			    "udp = 127.0.0.1:5060\n"
			    "[extension 4000]\n"
			    "ha1_md5 = 0123456789ABCDEFabcdef0123456789\n"
			    "ha1_sha256 = "
			    "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef\n"
			    "[extension 4001]\n"
			    "ha1_sha256 = "
			    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	const struct conf_extension *e = settings_extension(s, "4000");
	REQUIRE(e);
	CHECK(!strcmp(e->ha1_md5, "0123456789abcdefabcdef0123456789"));
	CHECK(!strcmp(e->ha1_sha256,
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!e->password[0]);
	e = settings_extension(s, "4001");
	REQUIRE(e);
	CHECK(!e->ha1_md5[0] && strlen(e->ha1_sha256) == 64);
	settings_free(s);
	mbuf_free(&errs);
}

static void extensions_sorted_for_lookup(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("[transport]\nudp = 127.0.0.1:5060\n"
			    "[extension 30]\ndemo = yes\n"
			    "[extension 1000]\ndemo = yes\n"
			    "[extension 200]\ndemo = yes\n"
			    "[extension 0999]\ndemo = yes\n",
			    &s, &errs, path);
	REQUIRE(err == 0 && s);
	REQUIRE(s->n_extensions == 4);
	for (size_t i = 1; i < s->n_extensions; i++)
		CHECK(strcmp(s->extensions[i - 1].number, s->extensions[i].number) < 0);
	CHECK(settings_extension(s, "30") && settings_extension(s, "0999") &&
	      settings_extension(s, "200") && settings_extension(s, "1000"));
	CHECK(settings_extension(s, "999") == NULL);
	CHECK_EQ_INT(settings_extension(s, "200")->line, 7);
	settings_free(s);
	mbuf_free(&errs);
}

/* ---- bad inputs: each gives its exact FILE:LINE and a word of the message ---- */

struct bad_case {
	const char *name;
	const char *text;
	int line;
	const char *word;
	int n_errors; /* all the errors the file gives */
};

#define X16 "xxxxxxxxxxxxxxxx"
#define X128 X16 X16 X16 X16 X16 X16 X16 X16
#define BIND "[transport]\nudp = 127.0.0.1:5060\n" /* two lines */

static void media_and_calls_parse(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);
	int err = load_text("[transport]\nudp = 127.0.0.1:5060\n[media]\naddress = ::1\n"
			    "rtp_ports = 20000 - 20099\ntimeout = 0\nworkers = 2\n[calls]\n"
			    "ring_timeout = 45\necho_extension = off\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs.buf ? errs.buf : "");
	REQUIRE(err == 0 && s);
	CHECK(!strcmp(s->media_address, "::1"));
	CHECK_EQ_INT(s->rtp_port_min, 20000);
	CHECK_EQ_INT(s->rtp_port_max, 20099);
	CHECK_EQ_INT(s->media_timeout_s, 0);
	CHECK_EQ_INT(s->media_workers, 2);
	CHECK_EQ_INT(s->ring_timeout_s, 45);
	CHECK(!strcmp(s->echo_extension, "off"));
	settings_free(s);
	mbuf_free(&errs);
	unlink(path);
}

static void admin_parse(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);
	int err = load_text("[transport]\nudp = 127.0.0.1:5060\n[admin]\nbind = [::1]:9443\n"
			    "token = 0123456789abcdef-XYZ\ntls_cert = conf/sotto.conf\n"
			    "tls_key = conf/sotto.conf\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs.buf ? errs.buf : "");
	REQUIRE(err == 0 && s);
	CHECK_EQ_INT(s->n_admin_bind, 1);
	CHECK(!strcmp(s->admin_bind[0].addr, "[::1]:9443"));
	CHECK(!strcmp(s->admin_token, "0123456789abcdef-XYZ"));
	CHECK(!strcmp(s->admin_tls_cert, "conf/sotto.conf"));
	settings_free(s);
	s = NULL;
	/* no [admin] at all: no admin server */
	mbuf_reset(&errs);
	err = load_text("[transport]\nudp = 127.0.0.1:5060\n", &s, &errs, path);
	REQUIRE(err == 0 && s);
	CHECK_EQ_INT(s->n_admin_bind, 0);
	settings_free(s);
	mbuf_free(&errs);
}

static const struct bad_case bad_cases[] = {
	/* [admin] */
	{"admin bind without token", BIND "[admin]\nbind = 127.0.0.1:8443\n", 4,
	 "[admin] bind: needs a token", 1},
	{"admin token short", BIND "[admin]\nbind = 127.0.0.1:8443\ntoken = short-secret\n", 5,
	 "[admin] token: must be at least 16", 1},
	{"admin token with space", BIND "[admin]\nbind = 127.0.0.1:8443\n"
	 "token = \"0123456789 abcdef\"\n", 5, "[admin] token: printable ASCII", 1},
	{"admin bind host name", BIND "[admin]\nbind = admin.example:8443\ntoken = demo\n", 4,
	 "[admin] bind: bad address", 1},
	{"admin bind twice", BIND "[admin]\nbind = 127.0.0.1:8443\nbind = 127.0.0.1:8444\n"
	 "token = demo\n", 5, "[admin] bind: duplicate key", 1},
	{"admin clashes with sip tcp", "[transport]\ntcp = 127.0.0.1:8443\n[admin]\n"
	 "bind = 127.0.0.1:8443\ntoken = demo\n", 4, "clashes with tcp 127.0.0.1:8443", 1},
	{"admin cert without key", BIND "[admin]\nbind = 127.0.0.1:8443\ntoken = demo\n"
	 "tls_cert = conf/sotto.conf\n", 6, "[admin] tls_cert: given without tls_key", 1},
	{"admin unknown key", BIND "[admin]\npassword = x\n", 4, "unknown key 'password' in [admin]",
	 1},
	/* reader */
	{"key outside section", "realm = x\n" BIND, 1, "key 'realm' outside any section", 1},
	{"media address not numeric", BIND "[media]\naddress = pbx.example\n", 4,
	 "[media] address: expected a numeric", 1},
	{"rtp_ports reversed", BIND "[media]\nrtp_ports = 40000-30000\n", 4,
	 "[media] rtp_ports: expected a range", 1},
	{"rtp_ports privileged", BIND "[media]\nrtp_ports = 100-2000\n", 4, "rtp_ports", 1},
	{"echo extension letters", BIND "[calls]\necho_extension = echo\n", 4,
	 "[calls] echo_extension: expected digits", 1},
	{"missing =", BIND "tcp 127.0.0.1:5060\n", 3, "[transport] missing '='", 1},
	{"missing = before comment", BIND "tcp ; a=b\n", 3, "missing '='", 1},
	{"missing key", BIND "= 127.0.0.1:5060\n", 3, "missing key", 1},
	{"bad key name", BIND "my key = 1\n", 3, "bad key name 'my key'", 1},
	{"unterminated quote", "[general]\nrealm = \"abc\n" BIND, 2, "realm: unterminated quoted",
	 1},
	{"unterminated after escape", "[general]\nrealm = \"abc\\\"\n" BIND, 2, "unterminated", 1},
	{"bad value is still given", BIND "[extension 1001]\npassword = \"abc\n", 4,
	 "[extension 1001] password: unterminated", 1},
	{"tls_cert directory", BIND "tls_cert = conf\ntls_key = conf/sotto.conf\n", 3,
	 "tls_cert: 'conf' is a directory", 1},
	{"bad escape", "[general]\nrealm = \"a\\nb\"\n" BIND, 2, "unknown escape", 1},
	{"junk after quote", "[general]\nrealm = \"a\" b\n" BIND, 2, "junk after the closing", 1},
	{"header without ]", BIND "[general\nrealm = x\n", 3, "without closing ']'", 1},
	{"junk after header", BIND "[general] x\nrealm = x\n", 3, "junk after section header", 1},
	{"two arguments", BIND "[extension 1001 1002]\ndemo = yes\n", 3, "takes one argument", 1},
	{"empty header", BIND "[]\n", 3, "missing section name", 1},
	{"control character", BIND "[general]\nrealm = a\x01z\n", 4, "control character", 1},
	/* sections and keys */
	{"unknown section", BIND "[extenshun 1001]\npassword = x\nfoo = bar\n", 3,
	 "unknown section [extenshun] (did you mean [extension]?)", 1},
	{"unknown key", BIND "[extension 1001]\npasword = x\ndemo = yes\n", 4,
	 "unknown key 'pasword' in [extension 1001] (did you mean 'password'?)", 1},
	{"unknown key no hint", BIND "[general]\ncolour = red\n", 4,
	 "unknown key 'colour' in [general]", 1},
	{"argument not taken", BIND "[general main]\n", 3, "[general] takes no argument", 1},
	{"duplicate section", "[general]\nrealm = a\n" BIND "[general]\nrealm = b\n", 5,
	 "[general] duplicate section (first defined at line 1)", 2},
	{"duplicate key", BIND "[general]\nrealm = a\nrealm = b\n", 5,
	 "[general] realm: duplicate key (first set at line 4)", 1},
	{"empty value", BIND "[general]\nrealm =\n", 4, "[general] realm: empty value", 1},
	{"empty quoted value", BIND "[general]\nrealm = \"\"\n", 4, "realm: empty value", 1},
	{"realm with quote", BIND "[general]\nrealm = a\"b\n", 4, "realm: no '\"'", 1},
	/* binds */
	{"bad address", "[transport]\ntcp = 127.0.0.1:5060\nudp = 1.2.3:x\n", 3,
	 "[transport] udp: bad address '1.2.3:x' (expected host:port)", 1},
	{"no port", BIND "tcp = 127.0.0.1\n", 3, "tcp: bad address '127.0.0.1'", 1},
	{"port zero", BIND "tcp = 127.0.0.1:0\n", 3, "port must be 1-65535", 1},
	{"port too big", BIND "tcp = 127.0.0.1:65536\n", 3, "port must be 1-65535", 1},
	{"port junk", BIND "tcp = 127.0.0.1:50x\n", 3, "port must be 1-65535", 1},
	{"host name", BIND "tcp = localhost:5060\n", 3, "no host names", 1},
	{"v6 without brackets", BIND "tcp = ::1:5060\n", 3, "brackets", 1},
	{"bad v6", BIND "tcp = [::g]:5060\n", 3, "bad address '[::g]:5060' (expected [IPv6]:port)",
	 1},
	{"v6 no port", BIND "tcp = [::1]\n", 3, "bad address '[::1]'", 1},
	{"v6 empty port", BIND "tcp = [::1]:\n", 3, "port must be", 1},
	{"v6 zone", BIND "tcp = [fe80::1%eth0]:5060\n", 3, "bad address", 1},
	{"too many binds",
	 "[transport]\nudp = 127.0.0.1:1\nudp = 127.0.0.1:2\nudp = 127.0.0.1:3\n"
	 "udp = 127.0.0.1:4\nudp = 127.0.0.1:5\nudp = 127.0.0.1:6\nudp = 127.0.0.1:7\n"
	 "udp = 127.0.0.1:8\nudp = 127.0.0.1:9\n",
	 10, "too many udp binds (at most 8)", 1},
	{"no bind at all", "[general]\nrealm = x\n", 1, "at least one udp, tcp or tls", 1},
	{"no bind, transport empty", "[general]\n[transport]\n", 2, "at least one", 1},
	{"tcp and tls clash", BIND "tcp = 127.0.0.1:5060\ntls = 127.0.0.1:5060\n", 4,
	 "tls: 127.0.0.1:5060 clashes with tcp 127.0.0.1:5060 at line 3", 1},
	{"udp wildcard clash", BIND "udp = 0.0.0.0:5060\n", 3, "clashes with udp", 1},
	{"same bind twice", BIND "udp = [::1]:5060\nudp = [0:0::1]:5060\n", 4, "clashes", 1},
	{"tls_cert without key", BIND "tls_cert = conf/sotto.conf\n", 3,
	 "[transport] tls_cert: given without tls_key", 1},
	{"tls_key without cert", BIND "tls_key = conf/sotto.conf\n", 3, "tls_key: given without",
	 1},
	{"tls_cert unreadable",
	 BIND "tls_cert = /nonexistent/cert.pem\ntls_key = conf/sotto.conf\n", 3,
	 "tls_cert: cannot read '/nonexistent/cert.pem': No such file", 1},
	/* numbers */
	{"bad number", BIND "[registrar]\nmin_expires = abc\n", 4,
	 "[registrar] min_expires: bad number 'abc'", 1},
	{"negative", BIND "[registrar]\nmin_expires = -5\n", 4, "bad number '-5'", 1},
	{"trailing junk", BIND "[registrar]\nmin_expires = 60s\n", 4, "bad number '60s'", 1},
	{"plus sign", BIND "[registrar]\nmin_expires = +60\n", 4, "bad number", 1},
	{"inner blank", BIND "[registrar]\nmin_expires = 6 0\n", 4, "bad number", 1},
	{"zero", BIND "[registrar]\nmin_expires = 0\n", 4, "0 out of range (expected 1-86400)", 1},
	{"too big", BIND "[registrar]\nmax_expires = 700000\n", 4, "max_expires: 700000 out of", 1},
	{"overflow", BIND "[security]\nauth_fail_limit = 99999999999999\n", 4, "out of range", 1},
	{"security zero", BIND "[security]\nblock_time = 0\n", 4, "block_time: 0 out of range", 1},
	{"min above max", BIND "[registrar]\nmin_expires = 4000\n", 4,
	 "min_expires (4000) is greater than max_expires (3600)", 1},
	{"default below min", BIND "[registrar]\nmin_expires = 120\ndefault_expires = 90\n", 5,
	 "default_expires (90) must lie between min_expires (120) and max_expires (3600)", 1},
	{"default above max", BIND "[registrar]\nmax_expires = 300\n", 4,
	 "default_expires (600) must lie between", 1},
	/* extensions */
	{"no credential", BIND "[extension 1002]\ntransports = tls\n", 3,
	 "[extension 1002] needs password, ha1_md5 or ha1_sha256", 1},
	{"demo no is no credential", BIND "[extension 1002]\ndemo = no\n", 3, "needs password", 1},
	{"password and demo", BIND "[extension 1002]\npassword = x\ndemo = yes\n", 5,
	 "[extension 1002] give only one of password", 1},
	{"password and ha1",
	 BIND "[extension 1002]\nha1_md5 = 0123456789abcdef0123456789abcdef\n"
	      "password = x\n",
	 5, "give only one", 1},
	{"duplicate extension",
	 BIND "[extension 1001]\ndemo = yes\n[extension 1002]\ndemo = yes\n"
	      "[extension 1001]\npassword = x\n",
	 7, "[extension 1001] duplicate extension (first defined at line 3)", 1},
	{"no number", BIND "[extension]\ndemo = yes\n", 3, "[extension] needs a number", 1},
	{"short number", BIND "[extension 1]\ndemo = yes\n", 3,
	 "[extension 1] bad extension number '1' (expected 2-31 digits)", 1},
	{"letters in number", BIND "[extension 10a]\ndemo = yes\n", 3, "bad extension number", 1},
	{"star in number", BIND "[extension *10]\ndemo = yes\n", 3, "bad extension number", 1},
	{"number too long", BIND "[extension 12345678901234567890123456789012]\ndemo = yes\n", 3,
	 "bad extension number", 1},
	{"password too long", BIND "[extension 1001]\npassword = " X128 "\n", 4,
	 "password: must be 1 to 127 characters long", 1},
	{"md5 short", BIND "[extension 1001]\nha1_md5 = abcdef\n", 4,
	 "ha1_md5: expected 32 hex digits", 1},
	{"sha256 not hex",
	 BIND "[extension 1001]\nha1_sha256 = "
	      "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	 4, "ha1_sha256: expected 64 hex digits", 1},
	{"bad boolean", BIND "[extension 1001]\ndemo = maybe\npassword = x\n", 4,
	 "demo: bad boolean 'maybe' (expected yes or no)", 1},
	{"transports unknown", BIND "[extension 1001]\ndemo = yes\ntransports = tls,sctp\n", 5,
	 "transports: unknown 'sctp' (expected tls, tcp or udp)", 1},
	{"transports empty item", BIND "[extension 1001]\ndemo = yes\ntransports = tls,,udp\n", 5,
	 "empty item", 1},
	{"transports trailing comma", BIND "[extension 1001]\ndemo = yes\ntransports = tls,\n", 5,
	 "empty item", 1},
	{"transports twice", BIND "[extension 1001]\ndemo = yes\ntransports = tls, TLS\n", 5,
	 "'tls' listed twice", 1},
	{"encryption bad", BIND "[extension 1001]\ndemo = yes\nencryption = always\n", 5,
	 "encryption: bad value 'always' (expected mandatory, optional or off)", 1},
	{"max_contacts zero", BIND "[extension 1001]\ndemo = yes\nmax_contacts = 0\n", 5,
	 "max_contacts: 0 out of range (expected 1-32)", 1},
	{"max_contacts big", BIND "[extension 1001]\ndemo = yes\nmax_contacts = 33\n", 5,
	 "out of range", 1},
	{"password not echoed", BIND "[extension 1001]\npassword = \"hunter2\" x\n", 4,
	 "password: junk after the closing quote", 1},
};

static void bad_inputs_report_file_and_line(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct settings *s = NULL;
		struct mbuf errs;
		char path[64];
		mbuf_init(&errs);

		int err = load_text(c->text, &s, &errs, path);
		bool ok = err == EINVAL && s == NULL && has_error(&errs, path, c->line, c->word) &&
			  count_lines(&errs) == (size_t)c->n_errors &&
			  !strstr(errs_str(&errs), "hunter2");
		if (!ok)
			fprintf(stderr, "case '%s': err %d, expected line %d '%s', got:\n%s",
				c->name, err, c->line, c->word, errs_str(&errs));
		CHECK(ok);
		settings_free(s);
		mbuf_free(&errs);
	}
}

/* One file, many problems: all reported, in line order, nothing extra (no cascades). */
static void many_errors_all_reported(void)
{
	const char *path = VEC "many_errors.conf";
	static const struct {
		int line;
		const char *word;
	} want[] = {
		{3, "unknown key 'relam' in [general] (did you mean 'realm'?)"},
		{6, "[transport] udp: bad address '1.2.3:x' (expected host:port)"},
		{7, "[transport] tcp: bad address '[::1]:99999' (port must be 1-65535)"},
		{8, "[transport] tls_cert: given without tls_key"},
		{9, "[transport] missing '='"},
		{11, "[registrar] max_expires: bad number '1O'"},
		{12, "[registrar] max_expires: duplicate key (first set at line 11)"},
		{14, "unknown section [extenshun]"},
		{17, "[extension 1001] encryption: bad value 'sometimes'"},
		{19, "[extension 1001] needs password, ha1_md5 or ha1_sha256"},
		{19, "[extension 1001] duplicate extension (first defined at line 16)"},
		{23, "[extension 1002] give only one of password"},
	};
	size_t n_want = sizeof(want) / sizeof(want[0]);
	struct settings *s = NULL;
	struct mbuf errs;
	mbuf_init(&errs);

	CHECK_EQ_INT(settings_load(path, &s, &errs), EINVAL);
	CHECK(s == NULL);
	CHECK_EQ_INT(count_lines(&errs), n_want);
	const char *p = errs_str(&errs);
	for (size_t i = 0; i < n_want && *p; i++) {
		char prefix[128];
		const char *nl = strchr(p, '\n');
		REQUIRE(nl);
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, want[i].line);
		const char *w = strstr(p, want[i].word);
		bool ok = !strncmp(p, prefix, strlen(prefix)) && w && w < nl;
		if (!ok)
			fprintf(stderr, "error %zu: expected %d '%s', got '%.*s'\n", i,
				want[i].line, want[i].word, (int)(nl - p), p);
		CHECK(ok);
		p = nl + 1;
	}
	mbuf_free(&errs);
}

static void missing_file_is_enoent(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	mbuf_init(&errs);

	CHECK_EQ_INT(settings_load(VEC "no-such-file.conf", &s, &errs), ENOENT);
	CHECK(s == NULL);
	CHECK(!strcmp(errs_str(&errs),
		      VEC "no-such-file.conf: cannot read: No such file or directory\n"));
	mbuf_reset(&errs);
	CHECK_EQ_INT(settings_load(VEC, &s, &errs), EISDIR);
	CHECK(strstr(errs_str(&errs), "cannot read") != NULL);
	/* errors is optional */
	CHECK_EQ_INT(settings_load(VEC "no-such-file.conf", &s, NULL), ENOENT);
	CHECK_EQ_INT(settings_load(VEC "many_errors.conf", &s, NULL), EINVAL);
	CHECK_EQ_INT(settings_load(NULL, &s, &errs), EINVAL);
	CHECK(s == NULL);
	mbuf_free(&errs);
}

static void long_line_and_nul_byte(void)
{
	char *text = malloc(2 * INI_LINE_MAX + 256);
	REQUIRE(text);
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	/* line 3 is 4097 bytes: one too many; line 4 exactly 4096 plus CRLF is fine */
	int len = sprintf(text, BIND "[general]\nrealm = ");
	memset(text + len, 'a', 4097 - 8);
	len += 4097 - 8;
	len += sprintf(text + len, "\n; ");
	memset(text + len, 'b', 4096 - 2);
	len += 4096 - 2;
	len += sprintf(text + len, "\r\nrealm = a");
	text[len++] = '\0';
	len += sprintf(text + len, "b\n");

	CHECK_EQ_INT(load_text_n(text, (size_t)len, &s, &errs, path), EINVAL);
	CHECK(has_error(&errs, path, 4, "line too long (4097 bytes, at most 4096)"));
	CHECK(has_error(&errs, path, 6, "NUL byte"));
	CHECK_EQ_INT(count_lines(&errs), 2);
	if (count_lines(&errs) != 2)
		fprintf(stderr, "%s", errs_str(&errs));
	free(text);
	mbuf_free(&errs);
}

static void crlf_bom_and_no_final_newline(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	int err = load_text("\xef\xbb\xbf[transport]\r\nudp = 127.0.0.1:5060\r\n"
			    "[general]\r\nrealm = \"crlf\"\r\ndata_dir = /srv/sotto",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	CHECK(!strcmp(s->realm, "crlf"));
	CHECK(!strcmp(s->data_dir, "/srv/sotto"));
	CHECK_EQ_INT(s->udp[0].line, 2);
	settings_free(s);
	mbuf_free(&errs);
}

static void tls_files_readable(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);

	/* any readable file passes the check; the TLS layer parses the PEM later */
	int err = load_text(BIND "tls = 127.0.0.1:5061\ntls_cert = conf/sotto.conf\n"
				 "tls_key = \"tests/vectors/conf/many_errors.conf\"\n",
			    &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	CHECK(!strcmp(s->tls_cert, "conf/sotto.conf"));
	CHECK(!strcmp(s->tls_key, "tests/vectors/conf/many_errors.conf"));
	settings_free(s);
	mbuf_free(&errs);
}

static void demo_password(void)
{
	char a[SETTINGS_DEMO_PASSWORD_LEN + 1], b[SETTINGS_DEMO_PASSWORD_LEN + 1];

	CHECK(settings_demo_password(a, sizeof(a)) == 0);
	CHECK(settings_demo_password(b, sizeof(b)) == 0);
	CHECK_EQ_INT(strlen(a), SETTINGS_DEMO_PASSWORD_LEN);
	CHECK(strcmp(a, b) != 0);
	CHECK(settings_demo_password(a, SETTINGS_DEMO_PASSWORD_LEN) == EINVAL);
	settings_free(NULL);
}

/* ---- the reader on its own ---- */

struct rec {
	char out[1024];
	size_t len;
};

static int record(enum ini_event ev, const struct ini_item *it, void *arg)
{
	struct rec *r = arg;
	static const char *const names[] = {"S", "K", "E"};
	r->len += (size_t)snprintf(
		r->out + r->len, sizeof(r->out) - r->len, "%s%d[%.*s|%.*s]%.*s=%.*s%s%s;",
		names[ev], it->line, PL_ARG(it->section), PL_ARG(it->arg), PL_ARG(it->key),
		PL_ARG(it->value), it->quoted ? "q" : "", ev == INI_ERROR ? it->msg : "");
	return 0;
}

static int stop_at_key(enum ini_event ev, const struct ini_item *it, void *arg)
{
	(void)it;
	(*(int *)arg)++;
	return ev == INI_KEY ? EINTR : 0;
}

static void ini_reader_events(void)
{
	static const char in[] = "[a]\n"
				 "k = v\n"
				 "[b x.y-1] ; c\n"
				 "k = \"\"\n"
				 "[bad\n"
				 "skipped = 1\n"
				 "[c]\n"
				 "k=v w ;c\n";
	struct rec r = {0};

	CHECK(ini_parse(in, sizeof(in) - 1, record, &r) == 0);
	CHECK(!strcmp(r.out, "S1[a|]=;K2[a|]k=v;S3[b|x.y-1]=;K4[b|x.y-1]k=q;"
			     "E5[|]=section header without closing ']';S7[c|]=;K8[c|]k=v w;"));
	if (strcmp(r.out, "S1[a|]=;K2[a|]k=v;S3[b|x.y-1]=;K4[b|x.y-1]k=q;"
			  "E5[|]=section header without closing ']';S7[c|]=;K8[c|]k=v w;"))
		fprintf(stderr, "%s\n", r.out);

	int calls = 0;
	CHECK(ini_parse(in, sizeof(in) - 1, stop_at_key, &calls) == EINTR);
	CHECK_EQ_INT(calls, 2);
	CHECK(ini_parse(NULL, 0, record, &r) == 0);
	CHECK(ini_parse(NULL, 1, record, &r) == EINVAL);
}

/* Mutated copies of the demo config: never a crash (run it under ASan), a settings object
 * only with no errors, and errors only as whole "FILE:LINE: " lines. */
static int count_events(enum ini_event ev, const struct ini_item *it, void *arg)
{
	int *last = arg;
	(void)ev;
	if (it->line < *last)
		return EDOM;
	*last = it->line;
	return 0;
}

static void garbage_never_crashes(void)
{
	char *orig = NULL, path[64];
	size_t olen = 0;
	uint32_t x = 2463534242u; /* xorshift32 */
	static const char alphabet[] = "[]=;#\"\\ \t\r\n\0az09:,.*";

	REQUIRE(ini_file_read("conf/sotto.conf", &orig, &olen) == 0);
	char *buf = malloc(olen + 64);
	REQUIRE(buf);
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = olen;
		memcpy(buf, orig, olen);
		for (int m = 0; m < 1 + iter % 8; m++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			size_t at = x % len;
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			switch (x % 3) {
			case 0: /* replace a byte */
				buf[at] = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* cut the tail */
				len = at;
				break;
			default: /* a random byte */
				buf[at] = (char)(x >> 16);
				break;
			}
			if (!len)
				break;
		}
		int last = 0;
		CHECK(ini_parse(buf, len, count_events, &last) == 0);
		if (iter % 10)
			continue;

		struct settings *s = NULL;
		struct mbuf errs;
		mbuf_init(&errs);
		int err = load_text_n(buf, len, &s, &errs, path);
		CHECK((err == 0) == (s != NULL));
		CHECK((err == 0) == (errs.len == 0));
		for (const char *p = errs_str(&errs); *p;) {
			CHECK(!strncmp(p, path, strlen(path)) && p[strlen(path)] == ':');
			const char *nl = strchr(p, '\n');
			REQUIRE(nl);
			p = nl + 1;
		}
		settings_free(s);
		mbuf_free(&errs);
	}
	free(buf);
	ini_file_free(orig, olen);
}

/* ---- [trunk NAME], [route NAME], [inbound] ---- */

#define TB BIND "[extension 1001]\npassword = x\n" /* four lines */
#define TRUNK_P                                                                                    \
	"[trunk p]\nhost = 127.0.0.1\ntransport = udp\ndids = 4420000000, 4420000001\n" /* 5-8 */

static void trunks_routes_inbound_parse(void)
{
	struct settings *s = NULL;
	struct mbuf errs;
	char path[64];
	mbuf_init(&errs);
	int err = load_text(TB "[extension 1002]\npassword = y\n"
			       "[route uk]\nmatch = 0[1-9]XXXXXXXX\nmatch = 00Z.\ntrunk = provider\n"
			       "strip = 1\nprepend = 44\n"
			       "[trunk provider]\nhost = 127.0.0.1\ntransport = udp\n"
			       "username = 4420000000\npassword = hunter2\nregister = yes\n"
			       "expires = 300\nencryption = off\n"
			       "dids = 4420000000, 4420000001\ndids = 4420000002\n"
			       "[trunk secure]\nhost = [::1]\nca = conf/sotto.conf\n"
			       "caller_id = +4930123\ndids = 4930123\n"
			       "[trunk named]\nhost = localhost:5070\ntransport = tcp\n"
			       "[route any]\nmatch = _X!\ntrunk = secure\n"
			       "[inbound]\n4420000000 = 1001\n4420000001 = 1001, 1002\n",
			   &s, &errs, path);
	if (err)
		fprintf(stderr, "%s", errs_str(&errs));
	REQUIRE(err == 0 && s);
	REQUIRE(s->n_trunks == 3 && s->n_routes == 2 && s->n_inbound == 2);

	const struct conf_trunk *t = settings_trunk(s, "provider");
	REQUIRE(t);
	CHECK(!strcmp(t->addr, "127.0.0.1:5060"));
	CHECK(!strcmp(t->server_name, "127.0.0.1"));
	CHECK_EQ_INT(t->transport, CONF_TP_UDP);
	CHECK(t->reg && t->expires == 300 && t->encryption == ENC_OFF);
	CHECK(!strcmp(t->username, "4420000000") && !strcmp(t->password, "hunter2"));
	CHECK(!strcmp(t->caller_id, "4420000000")); /* default: the username */
	CHECK_EQ_INT(t->n_dids, 3);
	CHECK(!strcmp(t->dids[2], "4420000002"));

	t = settings_trunk(s, "secure"); /* defaults: TLS on 5061, verified, optional SRTP */
	REQUIRE(t);
	CHECK(!strcmp(t->addr, "[::1]:5061") && !strcmp(t->server_name, "::1"));
	CHECK(t->transport == CONF_TP_TLS && t->verify_server && !t->reg);
	CHECK(t->encryption == ENC_OPTIONAL && t->expires == 600);
	CHECK(!strcmp(t->ca, "conf/sotto.conf") && !strcmp(t->caller_id, "+4930123"));

	t = settings_trunk(s, "named"); /* resolved once, at load */
	REQUIRE(t);
	CHECK(!strcmp(t->addr, "127.0.0.1:5070") || !strcmp(t->addr, "[::1]:5070"));
	CHECK(!strcmp(t->server_name, "localhost"));
	CHECK(!settings_trunk(s, "nope"));

	const struct conf_route *r = &s->routes[0]; /* file order */
	CHECK(!strcmp(r->name, "uk") && !strcmp(r->trunk, "provider"));
	CHECK(r->n_match == 2 && !strcmp(r->match[1], "00Z."));
	CHECK(r->strip == 1 && !strcmp(r->prepend, "44"));
	CHECK(!strcmp(s->routes[1].name, "any") && !strcmp(s->routes[1].match[0], "_X!"));

	CHECK(!strcmp(s->inbound[1].did, "4420000001"));
	CHECK(s->inbound[1].n_exts == 2 && !strcmp(s->inbound[1].exts[1], "1002"));
	settings_free(s);
	mbuf_free(&errs);
}

static const struct bad_case trunk_bad_cases[] = {
	{"route to unknown trunk", TB TRUNK_P "[route out]\nmatch = 0X.\ntrunk = q\n", 9,
	 "[route out] trunk: no [trunk q] is defined", 1},
	{"inbound DID on no trunk", TB TRUNK_P "[inbound]\n4420000009 = 1001\n", 10,
	 "[inbound] 4420000009: no trunk lists this DID", 1},
	{"DID on two trunks",
	 TB TRUNK_P "[trunk q]\nhost = 127.0.0.2\ntransport = udp\ndids = 4420000001\n", 9,
	 "[trunk q] DID 4420000001 is also on trunk p (line 5)", 1},
	{"reversed range", TB TRUNK_P "[route out]\nmatch = 0[9-1]X\ntrunk = p\n", 10,
	 "[route out] match: bad pattern '0[9-1]X': a range in a [set] must go upwards", 1},
	{"dot not last", TB TRUNK_P "[route out]\nmatch = 0.X\ntrunk = p\n", 10,
	 "may only end a pattern", 1},
	{"letter in pattern", TB TRUNK_P "[route out]\nmatch = 0Y\ntrunk = p\n", 10,
	 "bad pattern '0Y'", 1},
	{"unclosed set", TB TRUNK_P "[route out]\nmatch = 0[12\ntrunk = p\n", 10,
	 "without a closing ']'", 1},
	{"empty set", TB TRUNK_P "[route out]\nmatch = 0[]\ntrunk = p\n", 10, "empty []", 1},
	{"unknown extension", TB TRUNK_P "[inbound]\n4420000000 = 1001, 1009\n", 10,
	 "[inbound] 4420000000: no [extension 1009]", 1},
	{"register without credentials",
	 TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\nregister = yes\n", 8,
	 "[trunk p] register = yes needs username and password", 1},
	{"ca on udp", TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\nca = conf/sotto.conf\n",
	 8, "[trunk p] ca: only for transport = tls", 1},
	{"verify_server on tcp",
	 TB "[trunk p]\nhost = 127.0.0.1\ntransport = tcp\nverify_server = no\n", 8,
	 "verify_server: only for transport = tls", 1},
	{"ca without verification",
	 TB "[trunk p]\nhost = 127.0.0.1\nverify_server = no\nca = conf/sotto.conf\n", 8,
	 "ca: given with verify_server = no", 1},
	{"no host", TB "[trunk p]\ntransport = tls\n", 5, "[trunk p] needs a host", 1},
	{"bad host", TB "[trunk p]\nhost = bad_host!\n", 6, "host: expected a host name", 1},
	{"bad port", TB "[trunk p]\nhost = 127.0.0.1:99999\n", 6, "host: expected a host", 1},
	{"bad v6", TB "[trunk p]\nhost = [::g]:5061\n", 6, "host: expected a host", 1},
	{"udp trunk without udp bind",
	 "[transport]\ntcp = 127.0.0.1:5060\n[extension 1001]\npassword = x\n" TRUNK_P, 5,
	 "[trunk p] transport = udp needs a udp address in [transport]", 1},
	{"duplicate trunk", TB TRUNK_P "[trunk p]\nhost = 127.0.0.2\ntransport = udp\n", 9,
	 "[trunk p] duplicate trunk (first defined at line 5)", 1},
	{"strip too much", TB TRUNK_P "[route out]\nmatch = 0X\ntrunk = p\nstrip = 2\n", 12,
	 "strip = 2 would leave nothing of a number matching '0X'", 1},
	{"DID with plus", TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\ndids = +4420000000\n",
	 8, "dids: bad DID '+4420000000'", 1},
	{"DID twice", TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\ndids = 12, 12\n", 8,
	 "dids: 12 listed twice", 1},
	{"DID list trailing comma",
	 TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\ndids = 12,\n", 8, "empty item", 1},
	{"inbound key not a DID", TB TRUNK_P "[inbound]\nabc = 1001\n", 10,
	 "[inbound] 'abc': expected a DID", 1},
	{"inbound trailing comma", TB TRUNK_P "[inbound]\n4420000000 = 1001,\n", 10,
	 "bad extension", 1},
	{"inbound duplicate DID", TB TRUNK_P "[inbound]\n4420000000 = 1001\n4420000000 = 1001\n",
	 11, "[inbound] 4420000000: duplicate DID (first at line 10)", 1},
	{"inbound empty value", TB TRUNK_P "[inbound]\n4420000000 =\n", 10, "empty value", 1},
	{"route without match", TB TRUNK_P "[route out]\ntrunk = p\n", 9,
	 "[route out] needs at least one match", 1},
	{"route without trunk", TB TRUNK_P "[route out]\nmatch = 0X.\n", 9,
	 "[route out] needs trunk = NAME", 1},
	{"route inbound spelling", TB TRUNK_P "[route inbound]\n4420000000 = 1001\n", 9,
	 "incoming DIDs are mapped in an [inbound] section", 1},
	{"password without username",
	 TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\npassword = hunter2\n", 8,
	 "[trunk p] password: given without username", 1},
	{"bad caller_id", TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\ncaller_id = abc\n", 8,
	 "caller_id: expected a number", 1},
	{"bad username", TB "[trunk p]\nhost = 127.0.0.1\ntransport = udp\nusername = a b\n", 8,
	 "username: letters, digits", 1},
	{"bad prepend", TB TRUNK_P "[route out]\nmatch = 0X.\ntrunk = p\nprepend = 4a\n", 12,
	 "prepend: expected a number", 1},
	{"bad trunk name", TB "[trunk bad.name]\nhost = 127.0.0.1\n", 5, "bad trunk name", 1},
	{"trunk without name", TB "[trunk]\nhost = 127.0.0.1\n", 5, "[trunk] needs a name", 1},
	{"expires too short", TB TRUNK_P "expires = 10\n", 9, "expires: 10 out of range", 1},
	{"bad transport", TB "[trunk p]\nhost = 127.0.0.1\ntransport = sctp\n", 7,
	 "transport: bad value 'sctp'", 1},
};

static void trunk_bad_inputs(void)
{
	for (size_t i = 0; i < sizeof(trunk_bad_cases) / sizeof(trunk_bad_cases[0]); i++) {
		const struct bad_case *c = &trunk_bad_cases[i];
		struct settings *s = NULL;
		struct mbuf errs;
		char path[64];
		mbuf_init(&errs);

		int err = load_text(c->text, &s, &errs, path);
		bool ok = err == EINVAL && s == NULL && has_error(&errs, path, c->line, c->word) &&
			  count_lines(&errs) == (size_t)c->n_errors &&
			  !strstr(errs_str(&errs), "hunter2");
		if (!ok)
			fprintf(stderr, "case '%s': err %d, expected line %d '%s', got:\n%s",
				c->name, err, c->line, c->word, errs_str(&errs));
		CHECK(ok);
		settings_free(s);
		mbuf_free(&errs);
	}
}

static const struct test_case tests[] = {
	{"trunks_routes_inbound_parse", trunks_routes_inbound_parse},
	{"trunk_bad_inputs", trunk_bad_inputs},
	{"media_and_calls_parse", media_and_calls_parse},
	{"demo_config_loads", demo_config_loads},
	{"admin_parse", admin_parse},
	{"defaults_applied", defaults_applied},
	{"values_quoted_and_commented", values_quoted_and_commented},
	{"binds_repeated_and_ipv6", binds_repeated_and_ipv6},
	{"ha1_stored_lower_case", ha1_stored_lower_case},
	{"extensions_sorted_for_lookup", extensions_sorted_for_lookup},
	{"bad_inputs_report_file_and_line", bad_inputs_report_file_and_line},
	{"many_errors_all_reported", many_errors_all_reported},
	{"missing_file_is_enoent", missing_file_is_enoent},
	{"long_line_and_nul_byte", long_line_and_nul_byte},
	{"crlf_bom_and_no_final_newline", crlf_bom_and_no_final_newline},
	{"tls_files_readable", tls_files_readable},
	{"demo_password", demo_password},
	{"ini_reader_events", ini_reader_events},
	{"garbage_never_crashes", garbage_never_crashes},
};
TEST_MAIN(tests)
