/* Digest header values (RFC 3261 25.1 "challenge" / "credentials", RFC 7616 3.3, 3.4): a
 * zero-copy auth-param list parser and the credentials / challenge views built on it. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sip/auth.h"
#include "sip/auth_int.h"

/* RFC 3261 25.1 token characters. */
static bool is_tokenc(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

/* Skip LWS: SP / HTAB, and a line break only when a SP / HTAB follows (a fold). Header values
 * from the message parser may still hold folds; a bare line break is left for the caller to
 * reject. */
static size_t skip_lws(const char *p, size_t i, size_t n)
{
	for (;;) {
		if (i < n && (p[i] == ' ' || p[i] == '\t')) {
			i++;
			continue;
		}
		size_t j = i;
		if (j < n && p[j] == '\r')
			j++;
		if (j < n && p[j] == '\n')
			j++;
		if (j > i && j < n && (p[j] == ' ' || p[j] == '\t')) {
			i = j;
			continue;
		}
		return i;
	}
}

static size_t scan_token(const char *p, size_t i, size_t n)
{
	while (i < n && is_tokenc((unsigned char)p[i]))
		i++;
	return i;
}

/* p[i] is the opening quote. On success *end is past the closing quote and *val the inside.
 * Line breaks are refused inside quotes (no UA folds there, and a value echoed back must not
 * carry one); other controls too, except HTAB. */
static int scan_quoted(const char *p, size_t i, size_t n, size_t *end, struct pl *val)
{
	size_t start = ++i;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"') {
			*val = pl_from(p + start, i - start);
			*end = i + 1;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F); we also refuse NUL */
			if (i + 1 >= n)
				return EBADMSG;
			unsigned char e = (unsigned char)p[i + 1];
			if (e == 0 || e == '\r' || e == '\n' || e > 0x7f)
				return EBADMSG;
			i += 2;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return EBADMSG;
		i++;
	}
	return EBADMSG;
}

int auth_params_parse(struct pl value, auth_param_h *h, void *arg)
{
	const char *p = value.p;
	size_t n = value.l, i, j;
	int err;

	if (!p)
		return EBADMSG;
	i = skip_lws(p, 0, n);
	j = scan_token(p, i, n);
	if (j == i)
		return EBADMSG;
	if (!pl_caseeq_str(pl_from(p + i, j - i), "Digest"))
		return ENOTSUP;
	i = skip_lws(p, j, n);
	if (i == j)
		return EBADMSG; /* the scheme needs LWS after it */

	for (;;) {
		struct pl name, val;

		j = scan_token(p, i, n);
		if (j == i)
			return EBADMSG;
		name = pl_from(p + i, j - i);
		i = skip_lws(p, j, n);
		if (i >= n || p[i] != '=')
			return EBADMSG;
		i = skip_lws(p, i + 1, n);
		if (i < n && p[i] == '"') {
			err = scan_quoted(p, i, n, &j, &val);
			if (err)
				return err;
		} else {
			j = scan_token(p, i, n);
			if (j == i)
				return EBADMSG;
			val = pl_from(p + i, j - i);
		}
		err = h(name, val, arg);
		if (err)
			return err;
		i = skip_lws(p, j, n);
		if (i == n)
			return 0;
		if (p[i] != ',')
			return EBADMSG;
		i = skip_lws(p, i + 1, n);
	}
}

bool auth_unq_eq(struct pl q, struct pl plain)
{
	size_t i = 0, k = 0;

	while (i < q.l) {
		char c = q.p[i];
		if (c == '\\' && i + 1 < q.l)
			c = q.p[++i];
		if (k >= plain.l || plain.p[k] != c)
			return false;
		i++;
		k++;
	}
	return k == plain.l;
}

bool auth_qop_next(struct pl list, struct pl *item)
{
	const char *p = list.p;
	size_t n = list.l;
	size_t i = item->p ? (size_t)(item->p - p) + item->l : 0;

	if (!p)
		return false;
	for (;;) {
		i = skip_lws(p, i, n);
		if (i >= n)
			return false;
		if (p[i] == ',') {
			i++;
			continue;
		}
		size_t j = scan_token(p, i, n);
		if (j == i)
			return false;
		*item = pl_from(p + i, j - i);
		return true;
	}
}

/* Known parameters map to a member; a second occurrence is an error (RFC 7616 3.4: each
 * directive at most once), unknown ones are skipped. */
struct param_slot {
	const char *name;
	size_t off;
};

static int set_slot(const struct param_slot *tab, size_t ntab, void *obj, struct pl name,
		    struct pl val)
{
	for (size_t k = 0; k < ntab; k++) {
		if (!pl_caseeq_str(name, tab[k].name))
			continue;
		struct pl *dst = (struct pl *)((char *)obj + tab[k].off);
		if (dst->p)
			return EBADMSG;
		*dst = val;
		return 0;
	}
	return 0;
}

#define CRED_SLOT(m) {.name = #m, .off = offsetof(struct auth_credentials, m)}
static const struct param_slot cred_slots[] = {
	CRED_SLOT(username), CRED_SLOT(realm),	CRED_SLOT(nonce),  CRED_SLOT(uri),
	CRED_SLOT(response), CRED_SLOT(algorithm), CRED_SLOT(cnonce), CRED_SLOT(opaque),
	CRED_SLOT(qop),	     CRED_SLOT(nc),
};

static int cred_param(struct pl name, struct pl val, void *arg)
{
	return set_slot(cred_slots, sizeof(cred_slots) / sizeof(cred_slots[0]), arg, name, val);
}

int auth_credentials_parse(struct pl value, struct auth_credentials *out)
{
	struct auth_credentials c;
	int err;

	memset(&c, 0, sizeof(c));
	err = auth_params_parse(value, cred_param, &c);
	if (err)
		return err;
	if (!c.username.p || !c.realm.p || !c.nonce.p || !c.uri.p || !c.response.p)
		return EBADMSG;
	*out = c;
	return 0;
}

/* The challenge's stale flag is a pl while parsing, to catch a repeat. */
struct chal_parse {
	struct auth_challenge ch;
	struct pl stale;
};

#define CHAL_SLOT(m) {.name = #m, .off = offsetof(struct chal_parse, ch.m)}
static const struct param_slot chal_slots[] = {
	CHAL_SLOT(realm),
	CHAL_SLOT(nonce),
	CHAL_SLOT(opaque),
	CHAL_SLOT(algorithm),
	CHAL_SLOT(qop),
	{.name = "stale", .off = offsetof(struct chal_parse, stale)},
};

static int chal_param(struct pl name, struct pl val, void *arg)
{
	return set_slot(chal_slots, sizeof(chal_slots) / sizeof(chal_slots[0]), arg, name, val);
}

int auth_challenge_parse(struct pl value, struct auth_challenge *out)
{
	struct chal_parse c;
	int err;

	memset(&c, 0, sizeof(c));
	err = auth_params_parse(value, chal_param, &c);
	if (err)
		return err;
	if (!c.ch.realm.p || !c.ch.nonce.p)
		return EBADMSG;
	c.ch.stale = pl_caseeq_str(c.stale, "true");
	*out = c.ch;
	return 0;
}

bool auth_credentials_user_eq(const struct auth_credentials *cred, struct pl user)
{
	return cred && cred->username.p && user.p && auth_unq_eq(cred->username, user);
}
