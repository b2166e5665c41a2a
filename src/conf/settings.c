/* settings: loads the typed, validated configuration from an INI file (conf/ini.c), driven
 * by the section and key tables in keys.c: this file knows the value types (numbers, booleans,
 * lists, binds...), not which keys exist. Every problem is reported as "FILE:LINE: message";
 * loading goes on after a problem so one run shows them all. */
#include "conf/settings.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/ini.h"
#include "conf/keys.h"
#include "core/rand.h"

/* ---- reporting ---- */

/* Messages are kept until the end and then written in line order: the checks that run at EOF
 * (a duplicate extension, tls_cert without tls_key) land next to their neighbours. */
void conf_err_at(struct conf_load *ld, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->n_err++;
	if (!ld->errors)
		return;
	if (ld->n_msgs == ld->msgs_cap) {
		size_t ncap = ld->msgs_cap ? ld->msgs_cap * 2 : 16;
		struct conf_msg *nm = realloc(ld->msgs, ncap * sizeof(*nm));
		if (!nm) {
			ld->fatal = ENOMEM;
			return;
		}
		ld->msgs = nm;
		ld->msgs_cap = ncap;
	}
	ld->msgs[ld->n_msgs] =
		(struct conf_msg){.line = line, .seq = ld->n_msgs, .off = ld->text.len};
	if (mbuf_write(&ld->text, msg, strlen(msg) + 1)) {
		ld->fatal = ENOMEM;
		return;
	}
	ld->n_msgs++;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void flush_errors(struct conf_load *ld)
{
	if (ld->n_msgs > 1)
		qsort(ld->msgs, ld->n_msgs, sizeof(*ld->msgs), msg_cmp);
	for (size_t i = 0; i < ld->n_msgs; i++)
		mbuf_printf(ld->errors, "%s:%d: %s\n", ld->path, ld->msgs[i].line,
			    ld->text.buf + ld->msgs[i].off);
	free(ld->msgs);
	mbuf_free(&ld->text);
}

/* "[section arg] key: ..." */
static void key_err(struct conf_load *ld, int line, const struct conf_key *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void key_err(struct conf_load *ld, int line, const struct conf_key *k, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err_at(ld, line, "%s %s: %s", ld->ctx, k->name, msg);
}

static void set_ctx(struct conf_load *ld, const char *name, struct pl arg)
{
	if (pl_isset(arg))
		snprintf(ld->ctx, sizeof(ld->ctx), "[%s %.*s]", name,
			 (int)(arg.l > 40 ? 40 : arg.l), arg.p);
	else
		snprintf(ld->ctx, sizeof(ld->ctx), "[%s]", name);
}

/* Levenshtein distance, capped: for "did you mean" on short names. */
static size_t edit_distance(struct pl a, const char *b)
{
	size_t bl = strlen(b), row[33];

	if (a.l > 32 || bl > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= bl; j++)
		row[j] = j;
	for (size_t i = 1; i <= a.l; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bl; j++) {
			size_t up = row[j];
			char ca = a.p[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			size_t best = diag + (ca != cb);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[bl];
}

static bool close_to(struct pl typo, const char *name)
{
	return edit_distance(typo, name) <= (strlen(name) > 4 ? 2u : 1u);
}

/* "a, b or c" */
static const char *names_list(const struct conf_name *names, char *buf, size_t size)
{
	size_t n = 0, len = 0;

	while (names[n].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i == 0 ? "" : (i + 1 == n ? " or " : ", "), names[i].name);
	return buf;
}

/* ---- values ---- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static const struct conf_name *name_find(const struct conf_name *names, struct pl v)
{
	for (; names->name; names++)
		if (pl_caseeq_str(v, names->name))
			return names;
	return NULL;
}

/* "1.2.3.4:5060" or "[::1]:5060", numeric only (no DNS at start-up). NULL or a hint. */
const char *conf_bind_parse(struct pl v, struct conf_addr *ba)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct pl h, p;
	uint32_t port;

	memset(ba, 0, sizeof(*ba));
	if (v.l && v.p[0] == '[') {
		const char *rb = pl_chr(v, ']');
		if (!rb || (size_t)(rb - v.p) + 1 >= v.l || rb[1] != ':')
			return "expected [IPv6]:port";
		h = pl_from(v.p + 1, (size_t)(rb - v.p) - 1);
		p = pl_from(rb + 2, v.l - (size_t)(rb + 2 - v.p));
		ba->af = AF_INET6;
	} else {
		const char *c = pl_chr(v, ':');
		if (!c)
			return "expected host:port";
		h = pl_from(v.p, (size_t)(c - v.p));
		p = pl_from(c + 1, v.l - h.l - 1);
		if (pl_chr(p, ':'))
			return "an IPv6 address goes in brackets: [::1]:5060";
		ba->af = AF_INET;
	}
	if (!h.l || h.l >= sizeof(host))
		return ba->af == AF_INET ? "expected host:port" : "expected [IPv6]:port";
	pl_strcpy(h, host, sizeof(host));
	if (inet_pton(ba->af, host, ba->ip) != 1) {
		for (size_t i = 0; i < h.l && ba->af == AF_INET; i++)
			if (((h.p[i] | 0x20) >= 'g' && (h.p[i] | 0x20) <= 'z'))
				return "expected host:port with a numeric address, no host names";
		return ba->af == AF_INET ? "expected host:port" : "expected [IPv6]:port";
	}
	if (pl_u32(p, 65535, &port) || port == 0)
		return "port must be 1-65535";
	ba->port = (uint16_t)port;
	return NULL;
}

static void set_bind(struct conf_load *ld, const struct conf_key *k, char *field, struct pl v,
		     int line)
{
	struct conf_bind *binds = (struct conf_bind *)(void *)field;
	size_t *count = (size_t *)(void *)((char *)ld->obj + k->count_off);
	size_t cap = k->size / sizeof(struct conf_bind);
	struct conf_addr ba;
	const char *why;

	if (v.l >= sizeof(binds->addr)) {
		key_err(ld, line, k, "bad address '%.*s...' (too long)", 40, v.p);
		return;
	}
	why = conf_bind_parse(v, &ba);
	if (why) {
		key_err(ld, line, k, "bad address '%.*s' (%s)", PL_ARG(v), why);
		return;
	}
	if (*count == cap) {
		key_err(ld, line, k, "too many %s binds (at most %zu)", k->name, cap);
		return;
	}
	pl_strcpy(v, binds[*count].addr, sizeof(binds->addr));
	binds[*count].line = line;
	(*count)++;
}

static void set_flags(struct conf_load *ld, const struct conf_key *k, char *field, struct pl v,
		      int line)
{
	unsigned mask = 0;
	char list[128];

	while (v.l) {
		const char *comma = pl_chr(v, ',');
		size_t n = comma ? (size_t)(comma - v.p) : v.l;
		struct pl item = pl_trim(pl_from(v.p, n));
		const struct conf_name *kn = name_find(k->names, item);
		if (!item.l) {
			key_err(ld, line, k, "empty item in list (expected %s)",
				names_list(k->names, list, sizeof(list)));
			return;
		}
		if (!kn) {
			key_err(ld, line, k, "unknown '%.*s' (expected %s)", PL_ARG(item),
				names_list(k->names, list, sizeof(list)));
			return;
		}
		if (mask & kn->value) {
			key_err(ld, line, k, "'%s' listed twice", kn->name);
			return;
		}
		mask |= kn->value;
		if (!comma) {
			v.l = 0;
		} else {
			v = pl_from(comma + 1, v.l - n - 1);
			if (!v.l) {
				key_err(ld, line, k, "empty item in list (expected %s)",
					names_list(k->names, list, sizeof(list)));
				return;
			}
		}
	}
	assert(k->size == sizeof(unsigned));
	memcpy(field, &mask, sizeof(mask));
}

/* Parse v as k's type into the current object. Problems are reported, never returned. */
static void set_value(struct conf_load *ld, const struct conf_key *k, struct pl v, int line)
{
	char *field = (char *)ld->obj + k->off;
	const char *why;
	char list[128];
	struct stat st;
	uint32_t u;
	int err;

	switch (k->type) {
	case CONF_KT_STR:
		if (v.l < k->min || v.l >= k->size) {
			key_err(ld, line, k, "must be %u to %zu characters long", k->min,
				k->size - 1);
			return;
		}
		why = k->check ? k->check(v) : NULL;
		if (why) {
			key_err(ld, line, k, "%s", why);
			return;
		}
		pl_strcpy(v, field, k->size);
		return;
	case CONF_KT_U32:
		err = pl_u32(v, UINT32_MAX, &u);
		if (err == EINVAL) {
			key_err(ld, line, k, "bad number '%.*s' (expected %u-%u)", PL_ARG(v),
				k->min, k->max);
			return;
		}
		if (err || u < k->min || u > k->max) {
			key_err(ld, line, k, "%.*s out of range (expected %u-%u)", PL_ARG(v),
				k->min, k->max);
			return;
		}
		assert(k->size == sizeof(uint32_t));
		memcpy(field, &u, sizeof(u));
		return;
	case CONF_KT_BOOL: {
		static const struct conf_name bools[] = {{"yes", 1},   {"no", 0}, {"true", 1},
							 {"false", 0}, {"on", 1}, {"off", 0},
							 {0}};
		const struct conf_name *kn = name_find(bools, v);
		if (!kn) {
			key_err(ld, line, k, "bad boolean '%.*s' (expected yes or no)", PL_ARG(v));
			return;
		}
		bool b = kn->value;
		assert(k->size == sizeof(bool));
		memcpy(field, &b, sizeof(b));
		return;
	}
	case CONF_KT_ENUM: {
		const struct conf_name *kn = name_find(k->names, v);
		if (!kn) {
			key_err(ld, line, k, "bad value '%.*s' (expected %s)", PL_ARG(v),
				names_list(k->names, list, sizeof(list)));
			return;
		}
		assert(k->size == sizeof(unsigned));
		memcpy(field, &kn->value, sizeof(kn->value));
		return;
	}
	case CONF_KT_FLAGS:
		set_flags(ld, k, field, v, line);
		return;
	case CONF_KT_HEX:
		for (size_t i = 0; i < v.l; i++) {
			if (!is_hex(v.p[i])) {
				v.l = 0; /* reported below, without echoing the secret */
				break;
			}
		}
		if (v.l != k->size - 1) {
			key_err(ld, line, k, "expected %zu hex digits", k->size - 1);
			return;
		}
		for (size_t i = 0; i < v.l; i++)
			field[i] = (char)(v.p[i] >= 'A' && v.p[i] <= 'F' ? v.p[i] | 0x20 : v.p[i]);
		field[v.l] = '\0';
		return;
	case CONF_KT_FILE:
		if (v.l >= k->size) {
			key_err(ld, line, k, "path too long (at most %zu bytes)", k->size - 1);
			return;
		}
		pl_strcpy(v, field, k->size);
		if (access(field, R_OK) || stat(field, &st)) {
			key_err(ld, line, k, "cannot read '%s': %s", field, strerror(errno));
			field[0] = '\0';
		} else if (S_ISDIR(st.st_mode)) {
			key_err(ld, line, k, "'%s' is a directory, not a file", field);
			field[0] = '\0';
		}
		return;
	case CONF_KT_BIND:
		set_bind(ld, k, field, v, line);
		return;
	case CONF_KT_FUNC:
		k->set(ld, k, v, line);
		return;
	}
}

/* ---- the walk over the file ---- */

static void section_end(struct conf_load *ld)
{
	if (ld->sect && ld->sect->end && ld->obj)
		ld->sect->end(ld, ld->obj);
	ld->sect = NULL;
	ld->obj = NULL;
	ld->seen = NULL;
}

static void on_section(struct conf_load *ld, const struct ini_item *it)
{
	const struct conf_section *sec = NULL;
	size_t idx = 0;

	section_end(ld);
	for (size_t i = 0; i < conf_n_sections; i++) {
		if (pl_caseeq_str(it->section, conf_sections[i].name)) {
			sec = &conf_sections[i];
			idx = i;
		}
	}
	if (!sec) {
		const char *hint = NULL;
		for (size_t i = 0; i < conf_n_sections && !hint; i++)
			if (close_to(it->section, conf_sections[i].name))
				hint = conf_sections[i].name;
		conf_err_at(ld, it->line, "unknown section [%.*s]%s%s%s", PL_ARG(it->section),
			    hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
		return;
	}

	ld->sect = sec;
	ld->sect_line = it->line;
	if (sec->open) {
		set_ctx(ld, sec->name, it->arg);
		memset(ld->inst_seen, 0, sizeof(ld->inst_seen));
		ld->seen = ld->inst_seen;
		ld->obj = sec->open(ld, it->arg, it->line);
		if (!ld->obj)
			ld->sect = NULL;
		return;
	}

	set_ctx(ld, sec->name, PL_NULL);
	if (pl_isset(it->arg))
		conf_err_at(ld, it->line, "%s takes no argument, found '%.*s'", ld->ctx,
			    PL_ARG(it->arg));
	if (ld->first_line[idx])
		conf_err_at(ld, it->line, "%s duplicate section (first defined at line %d)",
			    ld->ctx, ld->first_line[idx]);
	else
		ld->first_line[idx] = it->line;
	ld->seen = ld->single_seen[idx]; /* a repeated header goes on with the same keys */
	ld->obj = ld->s;
}

static const struct conf_key *key_find(const struct conf_section *sec, struct pl name)
{
	for (size_t i = 0; pl_isset(name) && i < sec->n_keys; i++)
		if (pl_caseeq_str(name, sec->keys[i].name))
			return &sec->keys[i];
	return NULL;
}

static void on_key(struct conf_load *ld, const struct ini_item *it)
{
	const struct conf_section *sec = ld->sect;
	const struct conf_key *k;

	if (!sec)
		return; /* in an unknown section: reported once at its header */
	k = key_find(sec, it->key);
	if (!k && sec->any_key) {
		if (!it->value.l)
			conf_err_at(ld, it->line, "%s %.*s: empty value", ld->ctx, PL_ARG(it->key));
		else
			sec->any_key(ld, it->key, it->value, it->line);
		return;
	}
	if (!k) {
		const char *hint = NULL;
		for (size_t i = 0; i < sec->n_keys && !hint; i++)
			if (close_to(it->key, sec->keys[i].name))
				hint = sec->keys[i].name;
		conf_err_at(ld, it->line, "unknown key '%.*s' in %s%s%s%s", PL_ARG(it->key),
			    ld->ctx, hint ? " (did you mean '" : "", hint ? hint : "",
			    hint ? "'?)" : "");
		return;
	}

	size_t ki = (size_t)(k - sec->keys);
	if (ld->seen[ki] && !k->repeatable) {
		key_err(ld, it->line, k, "duplicate key (first set at line %d)", ld->seen[ki]);
		return;
	}
	if (!ld->seen[ki])
		ld->seen[ki] = it->line;
	if (!it->value.l) {
		key_err(ld, it->line, k, "empty value");
		return;
	}
	set_value(ld, k, it->value, it->line);
}

static int on_event(enum ini_event ev, const struct ini_item *it, void *arg)
{
	struct conf_load *ld = arg;

	switch (ev) {
	case INI_SECTION:
		on_section(ld, it);
		break;
	case INI_KEY:
		on_key(ld, it);
		break;
	case INI_ERROR:
		if (!pl_isset(it->section))
			section_end(ld); /* a malformed header ends the section before it */
		if (ld->sect) {
			conf_err_at(ld, it->line, "%s %s", ld->ctx, it->msg);
			/* a key with a bad value still counts as given: no "needs password" */
			const struct conf_key *k = key_find(ld->sect, it->key);
			if (k && !ld->seen[k - ld->sect->keys])
				ld->seen[k - ld->sect->keys] = it->line;
		} else {
			conf_err_at(ld, it->line, "%s", it->msg);
		}
		break;
	}
	return ld->fatal;
}

static void settings_defaults(struct settings *s)
{
	strcpy(s->data_dir, "./var");
	strcpy(s->realm, "sotto.test");
	s->min_expires = 60;
	s->max_expires = 3600;
	s->default_expires = 600;
	s->auth_fail_limit = 10;
	s->auth_fail_window_s = 60;
	s->block_time_s = 600;
	s->nonce_lifetime_s = 300;
	strcpy(s->media_address, "127.0.0.1");
	strcpy(s->rtp_ports, "30000-39999");
	s->rtp_port_min = 30000;
	s->rtp_port_max = 39999;
	s->media_timeout_s = 60;
	s->ring_timeout_s = 30;
	strcpy(s->echo_extension, "*43");
	strcpy(s->secure_marker, "\xF0\x9F\x94\x92"); /* U+1F512 LOCK */
}

int settings_load(const char *path, struct settings **sp, struct mbuf *errors)
{
	struct conf_load *ld = NULL;
	struct settings *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!path || !sp)
		return EINVAL;
	for (size_t i = 0; i < conf_n_sections; i++)
		if (conf_sections[i].n_keys > CONF_MAX_KEYS)
			return EINVAL; /* raise CONF_MAX_KEYS */

	s = calloc(1, sizeof(*s));
	ld = calloc(1, sizeof(*ld));
	if (!s || !ld) {
		err = ENOMEM;
		goto out;
	}
	settings_defaults(s);
	mbuf_init(&ld->text);
	ld->path = path;
	ld->errors = errors;
	ld->s = s;

	if (strlen(path) >= sizeof(s->path)) {
		err = ENAMETOOLONG;
		if (errors)
			mbuf_printf(errors, "%.64s...: path too long\n", path);
		goto out;
	}
	strcpy(s->path, path);

	err = ini_file_read(path, &buf, &len);
	if (err) {
		if (errors)
			mbuf_printf(errors, "%s: cannot read: %s\n", path, strerror(err));
		goto out;
	}
	err = ini_parse(buf, len, on_event, ld);
	if (!err) {
		section_end(ld);
		for (size_t i = 0; i < conf_n_sections && !ld->fatal; i++)
			if (conf_sections[i].finish)
				conf_sections[i].finish(ld, &conf_sections[i], ld->single_seen[i],
							ld->first_line[i]);
		err = ld->fatal;
	}
	if (!err && ld->n_err)
		err = EINVAL;
out:
	ini_file_free(buf, len);
	if (ld) {
		flush_errors(ld);
		free(ld);
	}
	if (err) {
		settings_free(s);
		return err;
	}
	*sp = s;
	return 0;
}

void settings_free(struct settings *s)
{
	if (!s)
		return;
	if (s->extensions) {
		OPENSSL_cleanse(s->extensions, s->n_extensions * sizeof(*s->extensions));
		free(s->extensions);
	}
	conf_trunks_free(s);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static int ext_number_cmp(const void *key, const void *elem)
{
	const struct conf_extension *e = elem;
	return strcmp(key, e->number);
}

const struct conf_extension *settings_extension(const struct settings *s, const char *number)
{
	if (!s || !number || !s->n_extensions)
		return NULL;
	return bsearch(number, s->extensions, s->n_extensions, sizeof(*s->extensions),
		       ext_number_cmp);
}

int settings_demo_password(char *buf, size_t size)
{
	if (!buf || size < SETTINGS_DEMO_PASSWORD_LEN + 1)
		return EINVAL;
	return rand_token(buf, SETTINGS_DEMO_PASSWORD_LEN);
}
