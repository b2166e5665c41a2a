/* trunks: the hooks and checks behind the [trunk NAME], [route NAME] and [inbound] sections
 * (their key tables are in keys.c): trunk host names resolved once at load, DID lists, dial
 * patterns, and the checks that tie the three together and to the extensions (unknown trunk in a
 * route, a DID on two trunks, an [inbound] DID no trunk receives, an unknown extension). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "conf/dialpat.h"
#include "conf/keys.h"

/* ---- growing the arrays ---- */

/* Grow *arr (n used, *cap allocated, elements of size) by one zeroed element. The old block
 * is wiped: trunks hold passwords. NULL on ENOMEM (ld->fatal set). */
static void *grow(struct conf_load *ld, void **arr, size_t n, size_t *cap, size_t size)
{
	if (n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		char *na = calloc(ncap, size);
		if (!na) {
			ld->fatal = ENOMEM;
			return NULL;
		}
		if (n)
			memcpy(na, *arr, n * size);
		if (*arr) {
			OPENSSL_cleanse(*arr, *cap * size);
			free(*arr);
		}
		*arr = na;
		*cap = ncap;
	}
	char *e = (char *)*arr + n * size;
	memset(e, 0, size);
	return e;
}

/* The allocated sizes are not kept in struct settings: arrays are sized n rounded up to the
 * next power of two (at least 4), as grow() makes them. */
static size_t cap_of(size_t n)
{
	size_t c = 4;
	while (c < n)
		c *= 2;
	return n ? c : 0;
}

/* ---- value checks ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static bool name_ok(struct pl v)
{
	if (!v.l || v.l > 31)
		return false;
	for (size_t i = 0; i < v.l; i++)
		if (!is_alnum(v.p[i]) && v.p[i] != '_' && v.p[i] != '-')
			return false;
	return true;
}

const char *conf_trunk_name_check(struct pl v)
{
	return name_ok(v) ? NULL : "expected a trunk name: 1-31 letters, digits, '_' or '-'";
}

static bool digits_ok(struct pl v, size_t min, size_t max)
{
	if (v.l < min || v.l > max)
		return false;
	for (size_t i = 0; i < v.l; i++)
		if (!is_digit(v.p[i]))
			return false;
	return true;
}

const char *conf_number_check(struct pl v)
{
	return dialpat_number_ok(v.p, v.l) && !pl_chr(pl_from(v.p + 1, v.l - 1), '+')
		       ? NULL
		       : "expected a number: digits, '*' and '#', an optional leading '+'";
}

/* A SIP user part we can put in a URI and a quoted digest username unescaped. */
const char *conf_trunk_user_check(struct pl v)
{
	for (size_t i = 0; i < v.l; i++)
		if (!is_alnum(v.p[i]) && !strchr("-_.!~*'()&=+$,", v.p[i]))
			return "letters, digits and -_.!~*'()&=+$, only";
	return NULL;
}

/* Split "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address. 0 or EINVAL. */
static int host_split(struct pl v, struct pl *host, uint32_t *port)
{
	const char *colon;

	*port = 0;
	if (v.l && v.p[0] == '[') {
		const char *rb = pl_chr(v, ']');
		if (!rb || rb == v.p + 1)
			return EINVAL;
		*host = pl_from(v.p + 1, (size_t)(rb - v.p) - 1);
		struct pl rest = pl_from(rb + 1, v.l - (size_t)(rb + 1 - v.p));
		if (!rest.l)
			return 0;
		if (rest.p[0] != ':' || pl_u32(pl_from(rest.p + 1, rest.l - 1), 65535, port) ||
		    !*port)
			return EINVAL;
		return 0;
	}
	colon = pl_chr(v, ':');
	if (colon && pl_chr(pl_from(colon + 1, v.l - (size_t)(colon + 1 - v.p)), ':')) {
		*host = v; /* a bare IPv6 address: checked below */
		return 0;
	}
	*host = colon ? pl_from(v.p, (size_t)(colon - v.p)) : v;
	if (colon && (pl_u32(pl_from(colon + 1, v.l - host->l - 1), 65535, port) || !*port))
		return EINVAL;
	return host->l ? 0 : EINVAL;
}

const char *conf_trunk_host_check(struct pl v)
{
	static const char why[] = "expected a host name or address with an optional port "
				  "(sip.example.net, 192.0.2.1:5060, [2001:db8::1]:5061)";
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char ip[16];
	struct pl h;
	uint32_t port;

	if (host_split(v, &h, &port))
		return why;
	if (pl_chr(h, ':')) {
		if (h.l >= sizeof(buf))
			return why;
		pl_strcpy(h, buf, sizeof(buf));
		return inet_pton(AF_INET6, buf, ip) == 1 ? NULL : why;
	}
	if (h.l > 253)
		return why;
	for (size_t i = 0; i < h.l; i++)
		if (!is_alnum(h.p[i]) && h.p[i] != '-' && h.p[i] != '.')
			return why;
	return NULL;
}

/* ---- [trunk NAME] ---- */

void *conf_trunk_open(struct conf_load *ld, struct pl arg, int line)
{
	struct settings *s = ld->s;
	size_t cap = cap_of(s->n_trunks);
	struct conf_trunk *t = grow(ld, (void **)&s->trunks, s->n_trunks, &cap, sizeof(*t));

	if (!t)
		return NULL;
	s->n_trunks++;
	t->transport = CONF_TP_TLS;
	t->expires = 600;
	t->encryption = ENC_OPTIONAL;
	t->verify_server = true;
	t->line = line;
	if (!pl_isset(arg))
		conf_err_at(ld, line, "[trunk] needs a name, e.g. [trunk provider]");
	else if (!name_ok(arg))
		conf_err_at(ld, line, "%s bad trunk name (1-31 letters, digits, '_' or '-')",
			    ld->ctx);
	else
		pl_strcpy(arg, t->name, sizeof(t->name));
	return t;
}

void conf_trunk_set_dids(struct conf_load *ld, const struct conf_key *k, struct pl v, int line)
{
	struct conf_trunk *t = ld->obj;
	struct pl item = PL_NULL;

	(void)k;
	while (v.l) {
		const char *comma = pl_chr(v, ',');
		size_t n = comma ? (size_t)(comma - v.p) : v.l;
		item = pl_trim(pl_from(v.p, n));
		v = comma ? pl_from(comma + 1, v.l - n - 1) : pl_from(v.p + v.l, 0);
		if (!digits_ok(item, 1, 31)) {
			conf_err_at(ld, line,
				    "%s dids: bad DID '%.*s' (1-31 digits, written without '+')",
				    ld->ctx, PL_ARG(item));
			return;
		}
		for (size_t i = 0; i < t->n_dids; i++) {
			if (pl_eq_str(item, t->dids[i])) {
				conf_err_at(ld, line, "%s dids: %.*s listed twice", ld->ctx,
					    PL_ARG(item));
				return;
			}
		}
		if (t->n_dids == SETTINGS_TRUNK_MAX_DIDS) {
			conf_err_at(ld, line, "%s dids: too many (at most %d per trunk)", ld->ctx,
				    SETTINGS_TRUNK_MAX_DIDS);
			return;
		}
		pl_strcpy(item, t->dids[t->n_dids++], sizeof(t->dids[0]));
		if (comma && !v.l) {
			conf_err_at(ld, line, "%s dids: empty item in list", ld->ctx);
			return;
		}
	}
}

/* Resolve the host once, now (getaddrinfo): the signalling thread never waits for DNS. */
static void trunk_resolve(struct conf_load *ld, struct conf_trunk *t, int line)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256], ip[INET6_ADDRSTRLEN];
	struct pl h;
	uint32_t port;

	if (host_split(pl_from(t->host, strlen(t->host)), &h, &port))
		return; /* reported by the key check */
	if (!port)
		port = t->transport == CONF_TP_TLS ? 5061 : 5060;
	pl_strcpy(h, host, sizeof(host));
	snprintf(t->server_name, sizeof(t->server_name), "%s", host);
	int err = getaddrinfo(host, NULL, &hints, &res);
	if (err || !res) {
		conf_err_at(ld, line, "%s host: cannot resolve '%s': %s", ld->ctx, host,
			    err ? gai_strerror(err) : "no address");
		return;
	}
	const void *a = res->ai_family == AF_INET6
				? (const void *)&((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr
				: (const void *)&((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
	inet_ntop(res->ai_family, a, ip, sizeof(ip));
	snprintf(t->addr, sizeof(t->addr), res->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 port);
	freeaddrinfo(res);
}

void conf_trunk_end(struct conf_load *ld, void *obj)
{
	struct conf_trunk *t = obj;
	const struct conf_section *sec = ld->sect;
	int host = conf_seen_line(sec, ld->seen, "host");
	int reg = conf_seen_line(sec, ld->seen, "register");
	int user = conf_seen_line(sec, ld->seen, "username");
	int pass = conf_seen_line(sec, ld->seen, "password");

	if (!host)
		conf_err_at(ld, ld->sect_line, "%s needs a host", ld->ctx);
	else if (t->host[0])
		trunk_resolve(ld, t, host);
	if (t->reg && (!user || !pass))
		conf_err_at(ld, reg, "%s register = yes needs username and password", ld->ctx);
	if (pass && !user)
		conf_err_at(ld, pass, "%s password: given without username", ld->ctx);
	if (t->transport != CONF_TP_TLS) {
		static const char *const tls_only[] = {"verify_server", "ca"};
		for (size_t i = 0; i < 2; i++) {
			int l = conf_seen_line(sec, ld->seen, tls_only[i]);
			if (l)
				conf_err_at(ld, l, "%s %s: only for transport = tls", ld->ctx,
					    tls_only[i]);
		}
	}
	if (!t->verify_server && t->ca[0])
		conf_err_at(ld, conf_seen_line(sec, ld->seen, "ca"),
			    "%s ca: given with verify_server = no (nothing would be verified)",
			    ld->ctx);
	if (!t->caller_id[0] && strlen(t->username) < sizeof(t->caller_id))
		memcpy(t->caller_id, t->username, strlen(t->username) + 1);
}

void conf_trunk_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int line)
{
	const struct settings *s = ld->s;
	(void)sec;
	(void)seen;
	(void)line;

	for (size_t i = 0; i < s->n_trunks; i++) {
		const struct conf_trunk *t = &s->trunks[i];
		if (!t->name[0])
			continue; /* a bad name was reported already */
		if (t->transport == CONF_TP_UDP && !s->n_udp)
			conf_err_at(ld, t->line,
				    "[trunk %s] transport = udp needs a udp address in [transport]",
				    t->name);
		for (size_t j = 0; j < i; j++) {
			const struct conf_trunk *o = &s->trunks[j];
			if (!strcmp(t->name, o->name)) {
				conf_err_at(ld, t->line,
					    "[trunk %s] duplicate trunk (first defined at line %d)",
					    t->name, o->line);
				continue;
			}
			for (size_t a = 0; a < t->n_dids; a++)
				for (size_t b = 0; b < o->n_dids; b++)
					if (!strcmp(t->dids[a], o->dids[b]))
						conf_err_at(ld, t->line,
							    "[trunk %s] DID %s is also on trunk %s "
							    "(line %d): a DID belongs to one trunk",
							    t->name, t->dids[a], o->name, o->line);
		}
	}
}

const struct conf_trunk *settings_trunk(const struct settings *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->n_trunks; i++)
		if (!strcmp(s->trunks[i].name, name))
			return &s->trunks[i];
	return NULL;
}

/* ---- [route NAME] ---- */

void *conf_route_open(struct conf_load *ld, struct pl arg, int line)
{
	struct settings *s = ld->s;
	size_t cap = cap_of(s->n_routes);

	if (pl_isset(arg) && pl_caseeq_str(arg, "inbound")) {
		/* the spelling: say where it goes; its keys are skipped, not each reported */
		conf_err_at(ld, line,
			    "[route inbound]: incoming DIDs are mapped in an [inbound] section "
			    "(DID = extension); [route NAME] sections are outbound routes");
		return NULL;
	}
	struct conf_route *r = grow(ld, (void **)&s->routes, s->n_routes, &cap, sizeof(*r));
	if (!r)
		return NULL;
	s->n_routes++;
	r->line = line;
	if (!pl_isset(arg))
		conf_err_at(ld, line, "[route] needs a name, e.g. [route outbound]");
	else if (!name_ok(arg))
		conf_err_at(ld, line, "%s bad route name (1-31 letters, digits, '_' or '-')",
			    ld->ctx);
	else
		pl_strcpy(arg, r->name, sizeof(r->name));
	return r;
}

void conf_route_set_match(struct conf_load *ld, const struct conf_key *k, struct pl v, int line)
{
	struct conf_route *r = ld->obj;
	const char *why = dialpat_check(v.p, v.l);

	(void)k;
	if (why) {
		conf_err_at(ld, line, "%s match: bad pattern '%.*s': %s", ld->ctx,
			    PL_ARG(v.l > 64 ? pl_from(v.p, 64) : v), why);
		return;
	}
	if (r->n_match == SETTINGS_ROUTE_MAX_MATCH) {
		conf_err_at(ld, line, "%s match: too many patterns (at most %d per route)", ld->ctx,
			    SETTINGS_ROUTE_MAX_MATCH);
		return;
	}
	pl_strcpy(v, r->match[r->n_match++], sizeof(r->match[0]));
}

void conf_route_end(struct conf_load *ld, void *obj)
{
	const struct conf_route *r = obj;
	const struct conf_section *sec = ld->sect;
	int match = conf_seen_line(sec, ld->seen, "match");
	int strip = conf_seen_line(sec, ld->seen, "strip");

	if (!match)
		conf_err_at(ld, ld->sect_line, "%s needs at least one match = PATTERN", ld->ctx);
	if (!conf_seen_line(sec, ld->seen, "trunk"))
		conf_err_at(ld, ld->sect_line, "%s needs trunk = NAME", ld->ctx);
	for (size_t i = 0; strip && i < r->n_match; i++) {
		size_t min = dialpat_min_len(r->match[i]);
		if (r->strip > min || (r->strip == min && !r->prepend[0]))
			conf_err_at(ld, strip,
				    "%s strip = %u would leave nothing of a number matching '%s'",
				    ld->ctx, r->strip, r->match[i]);
	}
}

void conf_route_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int line)
{
	const struct settings *s = ld->s;
	(void)sec;
	(void)seen;
	(void)line;

	for (size_t i = 0; i < s->n_routes; i++) {
		const struct conf_route *r = &s->routes[i];
		if (r->trunk[0] && !settings_trunk(s, r->trunk))
			conf_err_at(ld, r->line, "[route %s] trunk: no [trunk %s] is defined",
				    r->name, r->trunk);
		for (size_t j = 0; r->name[0] && j < i; j++)
			if (!strcmp(r->name, s->routes[j].name))
				conf_err_at(ld, r->line,
					    "[route %s] duplicate route (first defined at line %d)",
					    r->name, s->routes[j].line);
	}
}

/* ---- [inbound] ---- */

void conf_inbound_key(struct conf_load *ld, struct pl key, struct pl value, int line)
{
	struct settings *s = ld->s;

	if (!digits_ok(key, 1, 31)) {
		conf_err_at(ld, line,
			    "[inbound] '%.*s': expected a DID (1-31 digits) = extension(s)",
			    PL_ARG(key));
		return;
	}
	for (size_t i = 0; i < s->n_inbound; i++) {
		if (pl_eq_str(key, s->inbound[i].did)) {
			conf_err_at(ld, line, "[inbound] %.*s: duplicate DID (first at line %d)",
				    PL_ARG(key), s->inbound[i].line);
			return;
		}
	}
	struct conf_inbound in = {.line = line};
	pl_strcpy(key, in.did, sizeof(in.did));
	while (value.l) {
		const char *comma = pl_chr(value, ',');
		size_t n = comma ? (size_t)(comma - value.p) : value.l;
		struct pl item = pl_trim(pl_from(value.p, n));
		value = comma ? pl_from(comma + 1, value.l - n - 1) : pl_from(value.p + value.l, 0);
		if (!digits_ok(item, 2, 31) || (comma && !value.l)) {
			conf_err_at(ld, line, "[inbound] %s: bad extension '%.*s' (expected "
					      "extension numbers, e.g. 1001, 1002)",
				    in.did, PL_ARG(item));
			return;
		}
		for (size_t i = 0; i < in.n_exts; i++) {
			if (pl_eq_str(item, in.exts[i])) {
				conf_err_at(ld, line, "[inbound] %s: extension %.*s listed twice",
					    in.did, PL_ARG(item));
				return;
			}
		}
		if (in.n_exts == SETTINGS_INBOUND_MAX_EXTS) {
			conf_err_at(ld, line, "[inbound] %s: too many extensions (at most %d)",
				    in.did, SETTINGS_INBOUND_MAX_EXTS);
			return;
		}
		pl_strcpy(item, in.exts[in.n_exts++], sizeof(in.exts[0]));
	}
	size_t cap = cap_of(s->n_inbound);
	struct conf_inbound *e = grow(ld, (void **)&s->inbound, s->n_inbound, &cap, sizeof(*e));
	if (!e)
		return;
	*e = in;
	s->n_inbound++;
}

void conf_inbound_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			 int line)
{
	const struct settings *s = ld->s;
	(void)sec;
	(void)seen;
	(void)line;

	for (size_t i = 0; i < s->n_inbound; i++) {
		const struct conf_inbound *in = &s->inbound[i];
		bool found = false;
		for (size_t t = 0; t < s->n_trunks && !found; t++)
			for (size_t d = 0; d < s->trunks[t].n_dids && !found; d++)
				found = !strcmp(s->trunks[t].dids[d], in->did);
		if (!found)
			conf_err_at(ld, in->line,
				    "[inbound] %s: no trunk lists this DID in its dids", in->did);
		for (size_t e = 0; e < in->n_exts; e++)
			if (!settings_extension(s, in->exts[e]))
				conf_err_at(ld, in->line, "[inbound] %s: no [extension %s]",
					    in->did, in->exts[e]);
	}
}

void conf_trunks_free(struct settings *s)
{
	if (s->trunks) {
		OPENSSL_cleanse(s->trunks, s->n_trunks * sizeof(*s->trunks));
		free(s->trunks);
	}
	free(s->routes);
	free(s->inbound);
	s->trunks = NULL;
	s->routes = NULL;
	s->inbound = NULL;
	s->n_trunks = s->n_routes = s->n_inbound = 0;
}
