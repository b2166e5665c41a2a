/* keys: what the configuration file may say. One const table of keys per section and the
 * table of sections; the checks that span several keys of a section live next to them.
 * Adding a section: a key table, an entry in conf_sections[], hooks only if needed. */
#include "conf/keys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

static bool bind_any(const struct conf_addr *b)
{
	static const unsigned char zero[16];
	return !memcmp(b->ip, zero, b->af == AF_INET ? 4 : 16);
}

/* Same socket, or one of them the wildcard on the same port. */
static bool bind_clash(const struct conf_addr *a, const struct conf_addr *b)
{
	if (a->af != b->af || a->port != b->port)
		return false;
	return bind_any(a) || bind_any(b) || !memcmp(a->ip, b->ip, a->af == AF_INET ? 4 : 16);
}

int conf_seen_line(const struct conf_section *sec, const int *seen, const char *key)
{
	for (size_t i = 0; i < sec->n_keys; i++)
		if (!strcmp(sec->keys[i].name, key))
			return seen[i];
	return 0;
}

/* For checks run at EOF: the line of the first of keys that was set, else the header's, else
 * the first line of the file. */
static int finish_line(const struct conf_section *sec, const int *seen, int header,
		       const char *const *keys)
{
	for (; *keys; keys++) {
		int line = conf_seen_line(sec, seen, *keys);
		if (line)
			return line;
	}
	return header ? header : 1;
}

static const char *realm_check(struct pl v)
{
	for (size_t i = 0; i < v.l; i++)
		if (v.p[i] == '"' || v.p[i] == '\\')
			return "no '\"' or '\\' allowed (it is quoted in WWW-Authenticate)";
	return NULL;
}

/* Text shown on phones in a display name: printable, no quote or backslash (kept simple so
 * what the admin wrote is exactly what every phone shows). */
static const char *display_check(struct pl v)
{
	for (size_t i = 0; i < v.l; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			return "no control characters, '\"' or '\\' allowed (shown in display names)";
	}
	return NULL;
}

struct bind_ref {
	const char *proto;
	bool udp;
	const struct conf_bind *b;
	struct conf_addr a;
};

static void transport_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			     int header)
{
	struct settings *s = ld->s;
	int cert = conf_seen_line(sec, seen, "tls_cert");
	int key = conf_seen_line(sec, seen, "tls_key");
	bool any_bind = conf_seen_line(sec, seen, "udp") || conf_seen_line(sec, seen, "tcp") ||
			conf_seen_line(sec, seen, "tls");

	/* by what was written, not what was valid: a bad value was reported already */
	if (!any_bind)
		conf_err_at(ld, header ? header : 1,
			    "[transport] needs at least one udp, tcp or tls bind address");
	if (!cert != !key)
		conf_err_at(ld, cert ? cert : key,
			    "[transport] %s: given without %s (both or neither)",
			    cert ? "tls_cert" : "tls_key", cert ? "tls_key" : "tls_cert");

	/* UDP binds must differ among themselves; TCP and TLS share the TCP port space. Each
	 * clash is reported at the later line. */
	struct bind_ref all[3 * SETTINGS_MAX_BINDS];
	size_t n = 0;
	for (size_t i = 0; i < s->n_udp; i++)
		all[n++] = (struct bind_ref){.proto = "udp", .udp = true, .b = &s->udp[i]};
	for (size_t i = 0; i < s->n_tcp; i++)
		all[n++] = (struct bind_ref){.proto = "tcp", .b = &s->tcp[i]};
	for (size_t i = 0; i < s->n_tls; i++)
		all[n++] = (struct bind_ref){.proto = "tls", .b = &s->tls[i]};
	for (size_t i = 0; i < n; i++)
		conf_bind_parse(pl_from(all[i].b->addr, strlen(all[i].b->addr)), &all[i].a);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			if (all[i].udp != all[j].udp || all[j].b->line >= all[i].b->line ||
			    !bind_clash(&all[i].a, &all[j].a))
				continue;
			conf_err_at(ld, all[i].b->line,
				    "[transport] %s: %s clashes with %s %s at line %d",
				    all[i].proto, all[i].b->addr, all[j].proto, all[j].b->addr,
				    all[j].b->line);
		}
	}
}

static void registrar_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			     int header)
{
	const struct settings *s = ld->s;

	if (s->min_expires > s->max_expires) {
		conf_err_at(ld,
			    finish_line(sec, seen, header,
					(const char *const[]){"max_expires", "min_expires", NULL}),
			    "[registrar] min_expires (%u) is greater than max_expires (%u)",
			    s->min_expires, s->max_expires);
	} else if (s->default_expires < s->min_expires || s->default_expires > s->max_expires) {
		conf_err_at(
			ld,
			finish_line(sec, seen, header,
				    (const char *const[]){"default_expires", "min_expires",
							  "max_expires", NULL}),
			"[registrar] default_expires (%u) must lie between min_expires (%u) and "
			"max_expires (%u)",
			s->default_expires, s->min_expires, s->max_expires);
	}
}

static const char *ip_check(struct pl v)
{
	char buf[64];
	unsigned char ip[16];
	if (v.l >= sizeof(buf))
		return "expected a numeric IPv4 or IPv6 address";
	pl_strcpy(v, buf, sizeof(buf));
	if (inet_pton(AF_INET, buf, ip) != 1 && inet_pton(AF_INET6, buf, ip) != 1)
		return "expected a numeric IPv4 or IPv6 address";
	return NULL;
}

/* "A-B": 1024 <= A < B <= 65535, room for at least one RTP/RTCP pair. */
static int port_range(struct pl v, uint32_t *lo, uint32_t *hi)
{
	const char *dash = pl_chr(v, '-');
	if (!dash)
		return EINVAL;
	struct pl a = pl_trim(pl_from(v.p, (size_t)(dash - v.p)));
	struct pl b = pl_trim(pl_from(dash + 1, v.l - (size_t)(dash + 1 - v.p)));
	if (pl_u32(a, 65535, lo) || pl_u32(b, 65535, hi) || *lo < 1024 || *hi < *lo + 1)
		return EINVAL;
	return 0;
}

static const char *ports_check(struct pl v)
{
	uint32_t lo, hi;
	return port_range(v, &lo, &hi) ? "expected a range like 30000-39999 (1024-65535)" : NULL;
}

static void media_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			 int header)
{
	struct settings *s = ld->s;
	uint32_t lo, hi;
	(void)sec;
	(void)seen;
	(void)header;
	if (port_range(pl_from(s->rtp_ports, strlen(s->rtp_ports)), &lo, &hi) == 0) {
		s->rtp_port_min = (uint16_t)lo;
		s->rtp_port_max = (uint16_t)hi;
	}
}

static const char *dial_check(struct pl v)
{
	if (pl_eq_str(v, "off"))
		return NULL;
	for (size_t i = 0; i < v.l; i++)
		if (!((v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '*' || v.p[i] == '#'))
			return "expected digits, '*' and '#' only, or off";
	return NULL;
}

/* "demo", or a token long enough not to be guessed; never echoed (it is a secret). */
static const char *token_check(struct pl v)
{
	if (pl_eq_str(v, "demo"))
		return NULL;
	if (v.l < 16)
		return "must be at least 16 characters long (or demo: generated at first start)";
	for (size_t i = 0; i < v.l; i++)
		if (v.p[i] <= ' ' || v.p[i] > '~')
			return "printable ASCII without spaces only (it travels in an HTTP header)";
	return NULL;
}

static void admin_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			 int header)
{
	const struct settings *s = ld->s;
	int bind = conf_seen_line(sec, seen, "bind");
	int token = conf_seen_line(sec, seen, "token");
	int cert = conf_seen_line(sec, seen, "tls_cert");
	int key = conf_seen_line(sec, seen, "tls_key");

	(void)header;
	if (bind && !token)
		conf_err_at(ld, bind, "[admin] bind: needs a token (token = demo generates one)");
	if (!cert != !key)
		conf_err_at(ld, cert ? cert : key, "[admin] %s: given without %s (both or neither)",
			    cert ? "tls_cert" : "tls_key", cert ? "tls_key" : "tls_cert");
	if (!s->n_admin_bind)
		return;
	/* the admin server is a TCP listener too */
	struct conf_addr a, b;
	conf_bind_parse(pl_from(s->admin_bind[0].addr, strlen(s->admin_bind[0].addr)), &a);
	const struct conf_bind *lists[] = {s->tcp, s->tls};
	const size_t counts[] = {s->n_tcp, s->n_tls};
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			conf_bind_parse(pl_from(lists[l][i].addr, strlen(lists[l][i].addr)), &b);
			if (bind_clash(&a, &b))
				conf_err_at(ld, bind, "[admin] bind: %s clashes with %s %s at line %d",
					    s->admin_bind[0].addr, l ? "tls" : "tcp",
					    lists[l][i].addr, lists[l][i].line);
		}
	}
}

static bool ext_number_ok(struct pl n)
{
	if (n.l < 2 || n.l > 31)
		return false;
	for (size_t i = 0; i < n.l; i++)
		if (n.p[i] < '0' || n.p[i] > '9')
			return false;
	return true;
}

static void *ext_open(struct conf_load *ld, struct pl arg, int line)
{
	struct settings *s = ld->s;

	if (s->n_extensions == ld->ext_cap) {
		/* grown by hand, not realloc: the old block holds passwords to wipe */
		size_t ncap = ld->ext_cap ? ld->ext_cap * 2 : 16;
		struct conf_extension *ne = calloc(ncap, sizeof(*ne));
		if (!ne) {
			ld->fatal = ENOMEM;
			return NULL;
		}
		if (s->n_extensions)
			memcpy(ne, s->extensions, s->n_extensions * sizeof(*ne));
		if (s->extensions) {
			OPENSSL_cleanse(s->extensions, ld->ext_cap * sizeof(*ne));
			free(s->extensions);
		}
		s->extensions = ne;
		ld->ext_cap = ncap;
	}

	struct conf_extension *e = &s->extensions[s->n_extensions++];
	memset(e, 0, sizeof(*e));
	e->transports = CONF_TP_TLS;
	e->digest = CONF_DIGEST_SHA256 | CONF_DIGEST_MD5;
	e->encryption = ENC_MANDATORY;
	e->max_contacts = 3;
	e->line = line;
	if (!pl_isset(arg))
		conf_err_at(ld, line, "[extension] needs a number, e.g. [extension 1001]");
	else if (!ext_number_ok(arg))
		conf_err_at(ld, line, "%s bad extension number '%.*s' (expected 2-31 digits)",
			    ld->ctx, PL_ARG(arg));
	else
		pl_strcpy(arg, e->number, sizeof(e->number));
	return e;
}

static void ext_end(struct conf_load *ld, void *obj)
{
	const struct conf_extension *e = obj;
	const struct conf_section *sec = ld->sect;
	int pw = conf_seen_line(sec, ld->seen, "password");
	int md5 = conf_seen_line(sec, ld->seen, "ha1_md5");
	int sha = conf_seen_line(sec, ld->seen, "ha1_sha256");
	int demo = e->demo ? conf_seen_line(sec, ld->seen, "demo") : 0;
	int ha1 = md5 > sha ? md5 : sha;

	if (!pw && !ha1 && !demo) {
		conf_err_at(ld, ld->sect_line,
			    "%s needs password, ha1_md5 or ha1_sha256 (or demo = yes)", ld->ctx);
		return;
	}
	if (!!pw + !!ha1 + !!demo > 1) {
		int line = pw > ha1 ? pw : ha1;
		conf_err_at(ld, demo > line ? demo : line,
			    "%s give only one of password, ha1_md5/ha1_sha256 and demo = yes",
			    ld->ctx);
	}
}

static int ext_cmp(const void *a, const void *b)
{
	const struct conf_extension *x = a, *y = b;
	int c = strcmp(x->number, y->number);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Sort by number for settings_extension's binary search; a duplicate points at the first. */
static void ext_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int header)
{
	(void)sec;
	(void)seen;
	(void)header;
	struct settings *s = ld->s;
	size_t first = 0;

	if (s->n_extensions > 1)
		qsort(s->extensions, s->n_extensions, sizeof(*s->extensions), ext_cmp);
	for (size_t i = 1; i < s->n_extensions; i++) {
		const struct conf_extension *e = &s->extensions[i];
		if (strcmp(e->number, s->extensions[first].number)) {
			first = i;
			continue;
		}
		if (e->number[0]) /* an invalid number was reported already */
			conf_err_at(ld, e->line,
				    "[extension %s] duplicate extension (first defined at "
				    "line %d)",
				    e->number, s->extensions[first].line);
	}
}

/* ---- the tables ---- */

static const struct conf_name encryption_names[] = {
	{"mandatory", ENC_MANDATORY}, {"optional", ENC_OPTIONAL}, {"off", ENC_OFF}, {0}};
static const struct conf_name transport_names[] = {
	{"tls", CONF_TP_TLS}, {"tcp", CONF_TP_TCP}, {"udp", CONF_TP_UDP}, {0}};

static const struct conf_name digest_names[] = {
	{"sha256", CONF_DIGEST_SHA256}, {"md5", CONF_DIGEST_MD5}, {0}};

_Static_assert(sizeof(enum conf_encryption) == sizeof(unsigned), "CONF_KT_ENUM stores an unsigned");

#define S struct settings
#define E struct conf_extension

/* one key per line reads best */
/* clang-format off */
static const struct conf_key general_keys[] = {
	{.name = "data_dir", .type = CONF_KT_STR, CONF_FIELD(S, data_dir), .min = 1},
	{.name = "realm", .type = CONF_KT_STR, CONF_FIELD(S, realm), .min = 1,
	 .check = realm_check},
	{.name = "secure_marker", .type = CONF_KT_STR, CONF_FIELD(S, secure_marker), .min = 0,
	 .check = display_check},
};

static const struct conf_key transport_keys[] = {
	{.name = "udp", .type = CONF_KT_BIND, .repeatable = true, CONF_FIELD(S, udp),
	 .count_off = offsetof(S, n_udp)},
	{.name = "tcp", .type = CONF_KT_BIND, .repeatable = true, CONF_FIELD(S, tcp),
	 .count_off = offsetof(S, n_tcp)},
	{.name = "tls", .type = CONF_KT_BIND, .repeatable = true, CONF_FIELD(S, tls),
	 .count_off = offsetof(S, n_tls)},
	{.name = "tls_cert", .type = CONF_KT_FILE, CONF_FIELD(S, tls_cert)},
	{.name = "tls_key", .type = CONF_KT_FILE, CONF_FIELD(S, tls_key)},
};

static const struct conf_key registrar_keys[] = {
	{.name = "min_expires", .type = CONF_KT_U32, CONF_FIELD(S, min_expires),
	 .min = 1, .max = 86400},
	{.name = "max_expires", .type = CONF_KT_U32, CONF_FIELD(S, max_expires),
	 .min = 1, .max = 604800},
	{.name = "default_expires", .type = CONF_KT_U32, CONF_FIELD(S, default_expires),
	 .min = 1, .max = 604800},
};

static const struct conf_key security_keys[] = {
	{.name = "auth_fail_limit", .type = CONF_KT_U32, CONF_FIELD(S, auth_fail_limit),
	 .min = 1, .max = 100000},
	{.name = "auth_fail_window", .type = CONF_KT_U32, CONF_FIELD(S, auth_fail_window_s),
	 .min = 1, .max = 86400},
	{.name = "block_time", .type = CONF_KT_U32, CONF_FIELD(S, block_time_s),
	 .min = 1, .max = 30 * 86400},
	{.name = "nonce_lifetime", .type = CONF_KT_U32, CONF_FIELD(S, nonce_lifetime_s),
	 .min = 1, .max = 86400},
};

static const struct conf_key media_keys[] = {
	{.name = "address", .type = CONF_KT_STR, CONF_FIELD(S, media_address), .min = 2,
	 .check = ip_check},
	{.name = "rtp_ports", .type = CONF_KT_STR, CONF_FIELD(S, rtp_ports), .min = 3,
	 .check = ports_check},
	{.name = "timeout", .type = CONF_KT_U32, CONF_FIELD(S, media_timeout_s),
	 .min = 0, .max = 86400},
	{.name = "workers", .type = CONF_KT_U32, CONF_FIELD(S, media_workers),
	 .min = 0, .max = 256},
};

static const struct conf_key calls_keys[] = {
	{.name = "ring_timeout", .type = CONF_KT_U32, CONF_FIELD(S, ring_timeout_s),
	 .min = 1, .max = 600},
	{.name = "echo_extension", .type = CONF_KT_STR, CONF_FIELD(S, echo_extension),
	 .min = 0, .check = dial_check},
};

static const struct conf_key admin_keys[] = {
	{.name = "bind", .type = CONF_KT_BIND, CONF_FIELD(S, admin_bind),
	 .count_off = offsetof(S, n_admin_bind)},
	{.name = "token", .type = CONF_KT_STR, CONF_FIELD(S, admin_token), .min = 4,
	 .check = token_check},
	{.name = "tls_cert", .type = CONF_KT_FILE, CONF_FIELD(S, admin_tls_cert)},
	{.name = "tls_key", .type = CONF_KT_FILE, CONF_FIELD(S, admin_tls_key)},
};

/* password, ha1_md5 and ha1_sha256 are secrets: their types never echo the value */
static const struct conf_key extension_keys[] = {
	{.name = "name", .type = CONF_KT_STR, CONF_FIELD(E, name), .min = 0,
	 .check = display_check},
	{.name = "password", .type = CONF_KT_STR, CONF_FIELD(E, password), .min = 1},
	{.name = "ha1_md5", .type = CONF_KT_HEX, CONF_FIELD(E, ha1_md5)},
	{.name = "ha1_sha256", .type = CONF_KT_HEX, CONF_FIELD(E, ha1_sha256)},
	{.name = "demo", .type = CONF_KT_BOOL, CONF_FIELD(E, demo)},
	{.name = "transports", .type = CONF_KT_FLAGS, CONF_FIELD(E, transports),
	 .names = transport_names},
	{.name = "digest", .type = CONF_KT_FLAGS, CONF_FIELD(E, digest),
	 .names = digest_names},
	{.name = "encryption", .type = CONF_KT_ENUM, CONF_FIELD(E, encryption),
	 .names = encryption_names},
	{.name = "require_secure_path", .type = CONF_KT_BOOL, CONF_FIELD(E, require_secure_path)},
	{.name = "max_contacts", .type = CONF_KT_U32, CONF_FIELD(E, max_contacts),
	 .min = 1, .max = 32},
};

#define T struct conf_trunk
#define R struct conf_route

/* [trunk NAME], [route NAME], [inbound]: hooks and checks in trunks.c */
static const struct conf_key trunk_keys[] = {
	{.name = "host", .type = CONF_KT_STR, CONF_FIELD(T, host), .min = 1,
	 .check = conf_trunk_host_check},
	{.name = "transport", .type = CONF_KT_ENUM, CONF_FIELD(T, transport),
	 .names = transport_names},
	{.name = "username", .type = CONF_KT_STR, CONF_FIELD(T, username), .min = 1,
	 .check = conf_trunk_user_check},
	{.name = "password", .type = CONF_KT_STR, CONF_FIELD(T, password), .min = 1},
	{.name = "register", .type = CONF_KT_BOOL, CONF_FIELD(T, reg)},
	{.name = "expires", .type = CONF_KT_U32, CONF_FIELD(T, expires), .min = 60, .max = 86400},
	{.name = "encryption", .type = CONF_KT_ENUM, CONF_FIELD(T, encryption),
	 .names = encryption_names},
	{.name = "verify_server", .type = CONF_KT_BOOL, CONF_FIELD(T, verify_server)},
	{.name = "ca", .type = CONF_KT_FILE, CONF_FIELD(T, ca)},
	{.name = "caller_id", .type = CONF_KT_STR, CONF_FIELD(T, caller_id), .min = 1,
	 .check = conf_number_check},
	{.name = "dids", .type = CONF_KT_FUNC, .repeatable = true, .set = conf_trunk_set_dids},
};

static const struct conf_key route_keys[] = {
	{.name = "match", .type = CONF_KT_FUNC, .repeatable = true, .set = conf_route_set_match},
	{.name = "trunk", .type = CONF_KT_STR, CONF_FIELD(R, trunk), .min = 1,
	 .check = conf_trunk_name_check},
	{.name = "strip", .type = CONF_KT_U32, CONF_FIELD(R, strip), .min = 0, .max = 31},
	{.name = "prepend", .type = CONF_KT_STR, CONF_FIELD(R, prepend), .min = 1,
	 .check = conf_number_check},
};

#undef S
#undef E
#undef T
#undef R

const struct conf_section conf_sections[] = {
	{.name = "general", CONF_KEYS(general_keys)},
	{.name = "transport", CONF_KEYS(transport_keys), .finish = transport_finish},
	{.name = "registrar", CONF_KEYS(registrar_keys), .finish = registrar_finish},
	{.name = "security", CONF_KEYS(security_keys)},
	{.name = "media", CONF_KEYS(media_keys), .finish = media_finish},
	{.name = "calls", CONF_KEYS(calls_keys)},
	{.name = "admin", CONF_KEYS(admin_keys), .finish = admin_finish},
	{.name = "extension", CONF_KEYS(extension_keys), .open = ext_open, .end = ext_end,
	 .finish = ext_finish},
	/* after [extension]: their checks look extensions up */
	{.name = "trunk", CONF_KEYS(trunk_keys), .open = conf_trunk_open, .end = conf_trunk_end,
	 .finish = conf_trunk_finish},
	{.name = "route", CONF_KEYS(route_keys), .open = conf_route_open, .end = conf_route_end,
	 .finish = conf_route_finish},
	{.name = "inbound", .any_key = conf_inbound_key, .finish = conf_inbound_finish},
};
/* clang-format on */
const size_t conf_n_sections = sizeof(conf_sections) / sizeof(conf_sections[0]);
_Static_assert(sizeof(conf_sections) / sizeof(conf_sections[0]) <= CONF_MAX_SECTIONS,
	       "raise CONF_MAX_SECTIONS");
