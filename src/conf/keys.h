/* keys.h: private to src/conf. The shapes of the section and key tables (keys.c) and the
 * loader state they work on (settings.c). */
#ifndef SOTTO_CONF_KEYS_H
#define SOTTO_CONF_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/settings.h"
#include "core/mbuf.h"
#include "core/pl.h"

enum conf_type {
	CONF_KT_STR,   /* char[size], length min..size-1 */
	CONF_KT_U32,   /* uint32_t, min..max */
	CONF_KT_BOOL,  /* bool: yes/no, true/false, on/off */
	CONF_KT_ENUM,  /* unsigned-sized enum, one of names */
	CONF_KT_FLAGS, /* unsigned mask, comma list of names */
	CONF_KT_HEX,   /* char[size]: exactly size-1 hex digits, stored lower-case */
	CONF_KT_FILE,  /* char[size]: a path that must be readable now */
	CONF_KT_BIND,  /* struct conf_bind[size / sizeof]: numeric host:port, count at count_off */
	CONF_KT_FUNC,  /* parsed by the key's set hook (lists, values with a syntax of their own) */
};

struct conf_load;

struct conf_name {
	const char *name;
	unsigned value;
};

struct conf_key {
	const char *name;
	enum conf_type type;
	bool repeatable;
	size_t off; /* field in the section's object */
	size_t size;
	size_t count_off; /* CONF_KT_BIND */
	uint32_t min, max;
	const struct conf_name *names;	 /* CONF_KT_ENUM, CONF_KT_FLAGS; NULL-terminated */
	const char *(*check)(struct pl); /* extra check: NULL or what is wrong */
	/* CONF_KT_FUNC: parse v into ld->obj, reporting problems itself */
	void (*set)(struct conf_load *ld, const struct conf_key *k, struct pl v, int line);
};

#define CONF_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define CONF_KEYS(a) .keys = (a), .n_keys = sizeof(a) / sizeof((a)[0])
#define CONF_MAX_KEYS 32
#define CONF_MAX_SECTIONS 16

struct conf_load;

struct conf_section {
	const char *name;
	/* Sections with an open hook take an argument ("[extension 1001]") and get one object
	 * per header; the others are singletons whose keys write into struct settings. */
	void *(*open)(struct conf_load *ld, struct pl arg, int line);
	void (*end)(struct conf_load *ld, void *obj); /* after an instance's last key */
	/* Once at EOF, present or not. Singletons get where their keys were set (seen, indexed
	 * like keys[]) and their first header's line (0 when absent). */
	void (*finish)(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int line);
	const struct conf_key *keys;
	size_t n_keys;
	/* Keys not in keys[] go here instead of being errors ([inbound]: DID = extensions). */
	void (*any_key)(struct conf_load *ld, struct pl key, struct pl value, int line);
};

struct conf_msg {
	int line;
	size_t seq; /* report order, for a stable sort */
	size_t off; /* of its NUL-terminated text in conf_load.text */
};

struct conf_load {
	const char *path;
	struct mbuf *errors;
	struct mbuf text; /* messages, written to errors in line order at the end */
	struct conf_msg *msgs;
	size_t n_msgs, msgs_cap;
	struct settings *s;
	unsigned n_err;
	int fatal; /* ENOMEM: stops the parse */
	size_t ext_cap;

	const struct conf_section *sect; /* current; NULL before the first or in an unknown one */
	void *obj;			 /* what the current section's keys write into */
	int *seen;			 /* line where each key was first set, 0 if not */
	int sect_line;
	char ctx[80]; /* "[extension 1001]" for messages */

	int inst_seen[CONF_MAX_KEYS];
	int first_line[CONF_MAX_SECTIONS]; /* singletons: first header, 0 if absent */
	int single_seen[CONF_MAX_SECTIONS][CONF_MAX_KEYS];
};

extern const struct conf_section conf_sections[];
extern const size_t conf_n_sections;

/* "FILE:LINE: message" into the error buffer; counts the problem. */
void conf_err_at(struct conf_load *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The line where the current object's key was first set; 0 if not set. */
int conf_seen_line(const struct conf_section *sec, const int *seen, const char *key);

struct conf_addr {
	int af;
	unsigned char ip[16];
	uint16_t port;
};

/* Numeric "1.2.3.4:5060" or "[::1]:5060" (no DNS at start-up). NULL, or a hint for the
 * message saying what was expected. */
const char *conf_bind_parse(struct pl v, struct conf_addr *ba);

/* trunks.c: the hooks and checks of [trunk NAME], [route NAME] and [inbound]. */
void *conf_trunk_open(struct conf_load *ld, struct pl arg, int line);
void conf_trunk_end(struct conf_load *ld, void *obj);
void conf_trunk_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int line);
void conf_trunk_set_dids(struct conf_load *ld, const struct conf_key *k, struct pl v, int line);
const char *conf_trunk_host_check(struct pl v);
const char *conf_trunk_name_check(struct pl v);
const char *conf_trunk_user_check(struct pl v);
const char *conf_number_check(struct pl v);
void *conf_route_open(struct conf_load *ld, struct pl arg, int line);
void conf_route_end(struct conf_load *ld, void *obj);
void conf_route_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
		       int line);
void conf_route_set_match(struct conf_load *ld, const struct conf_key *k, struct pl v, int line);
void conf_inbound_key(struct conf_load *ld, struct pl key, struct pl value, int line);
void conf_inbound_finish(struct conf_load *ld, const struct conf_section *sec, const int *seen,
			 int line);
/* Wipes (passwords) and frees what the hooks above allocated. */
void conf_trunks_free(struct settings *s);

#endif
