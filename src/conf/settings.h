/* settings: the typed, validated configuration (conf/sotto.conf, INI). A settings object is
 * immutable once loaded; reload builds a new one and swaps it in. */
#ifndef SOTTO_CONF_SETTINGS_H
#define SOTTO_CONF_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"

#define SETTINGS_MAX_BINDS 8
#define SETTINGS_DEMO_PASSWORD_LEN 20 /* [0-9a-zA-Z]: about 119 bits */

enum conf_encryption { ENC_MANDATORY = 0, ENC_OPTIONAL, ENC_OFF };
enum { CONF_TP_UDP = 1u, CONF_TP_TCP = 2u, CONF_TP_TLS = 4u }; /* transports mask */
enum { CONF_DIGEST_SHA256 = 1u, CONF_DIGEST_MD5 = 2u };		/* digest algorithms mask */

struct conf_bind {
	char addr[64]; /* "127.0.0.1:5060", "[::1]:5061" as written (validated numeric) */
	int line;
};

struct conf_extension {
	char number[32];
	char name[64];	      /* display name shown to the people it calls, may be empty */
	char password[128];   /* empty when ha1_* given */
	char ha1_md5[33];     /* lower-case hex, or empty */
	char ha1_sha256[65];
	bool demo;	      /* password = demo: generated at first start (see settings_demo_*) */
	unsigned transports;  /* CONF_TP_* mask; default TLS only */
	unsigned digest;      /* CONF_DIGEST_* offered in challenges; default both, SHA-256 first */
	enum conf_encryption encryption; /* default mandatory */
	unsigned max_contacts;		 /* default 3 */
	bool require_secure_path; /* refuse calls that would leave through a plain trunk leg */
	int line;
};

#define SETTINGS_TRUNK_MAX_DIDS 64
#define SETTINGS_ROUTE_MAX_MATCH 16
#define SETTINGS_INBOUND_MAX_EXTS 8

/* [trunk NAME]: a VoIP provider (src/pbx/trunk.h). */
struct conf_trunk {
	char name[32];
	char host[256];	       /* as written: a name or address, optional port */
	char server_name[256]; /* host without port or brackets: the TLS name to verify, SNI */
	char addr[64];	       /* resolved once at load: numeric "1.2.3.4:5060" / "[::1]:5061" */
	unsigned transport;    /* one CONF_TP_* value; default TLS */
	char username[64];     /* outbound registration / digest user; may be empty */
	char password[128];
	bool reg;		 /* register = yes: keep a registration up */
	uint32_t expires;	 /* requested registration lifetime, default 600 */
	enum conf_encryption encryption; /* trunk leg media, default optional */
	bool verify_server;	 /* TLS: default yes */
	char ca[4096];		 /* TLS: CA file; empty: the system store */
	char caller_id[32];	 /* presented on outbound calls; default: username */
	char dids[SETTINGS_TRUNK_MAX_DIDS][32]; /* digits */
	size_t n_dids;
	int line;
};

/* [route NAME]: an outbound route, tried in file order (src/pbx/route.h). */
struct conf_route {
	char name[32];
	char match[SETTINGS_ROUTE_MAX_MATCH][64]; /* dial patterns (conf/dialpat.h) */
	size_t n_match;
	char trunk[32];
	uint32_t strip;	  /* digits removed from the front */
	char prepend[32]; /* then added in front */
	int line;
};

/* One "DID = ext, ext" line of [inbound]. */
struct conf_inbound {
	char did[32];
	char exts[SETTINGS_INBOUND_MAX_EXTS][32];
	size_t n_exts;
	int line;
};

struct settings {
	char path[4096]; /* the file it came from */
	/* [general] */
	char data_dir[4096]; /* relative paths are relative to the working directory */
	char realm[128];     /* default "sotto.test" */
	/* prefixed to display names when the whole call path is secure; default U+1F512 (a
	 * padlock), "off": none */
	char secure_marker[32];
	/* [transport] */
	struct conf_bind udp[SETTINGS_MAX_BINDS], tcp[SETTINGS_MAX_BINDS], tls[SETTINGS_MAX_BINDS];
	size_t n_udp, n_tcp, n_tls;
	char tls_cert[4096]; /* empty: generated under data_dir */
	char tls_key[4096];
	/* [registrar] */
	uint32_t min_expires;	  /* default 60 */
	uint32_t max_expires;	  /* default 3600 */
	uint32_t default_expires; /* default 600 */
	/* [security] */
	uint32_t auth_fail_limit;    /* failures per window before a block, default 10 */
	uint32_t auth_fail_window_s; /* default 60 */
	uint32_t block_time_s;	     /* default 600 */
	uint32_t nonce_lifetime_s;   /* default 300 */
	/* [media] */
	char media_address[64];	  /* numeric IP the relay binds and announces, default 127.0.0.1 */
	char rtp_ports[32];	  /* "30000-39999" as written */
	uint16_t rtp_port_min;	  /* parsed from rtp_ports */
	uint16_t rtp_port_max;
	uint32_t media_timeout_s; /* no media this long ends the call, default 60; 0: never */
	uint32_t media_workers;	  /* relay threads, 0: one per core */
	/* [calls] */
	uint32_t ring_timeout_s;  /* unanswered calls end after this, default 30 */
	char echo_extension[32];  /* dial this to hear yourself back, default "*43"; "off" */
	/* [admin] */
	struct conf_bind admin_bind[1]; /* the HTTPS admin server; none when n_admin_bind is 0 */
	size_t n_admin_bind;
	char admin_token[128];	   /* bearer token (16+ chars), or "demo": generated at first start */
	char admin_tls_cert[4096]; /* empty: the SIP TLS certificate (generated or tls_cert) */
	char admin_tls_key[4096];
	/* [extension N] */
	struct conf_extension *extensions; /* sorted by number */
	size_t n_extensions;
	/* [trunk NAME], [route NAME] (in file order), [inbound] */
	struct conf_trunk *trunks;
	size_t n_trunks;
	struct conf_route *routes;
	size_t n_routes;
	struct conf_inbound *inbound;
	size_t n_inbound;
};

/* Read and validate path. On problems, writes one "FILE:LINE: message\n" line per problem into
 * errors (all of them, not just the first) and returns EINVAL; ENOENT if unreadable (also
 * reported in errors, as "FILE: cannot read: ...", like any other errno from open/read).
 * Unknown sections and keys are errors. errors may be NULL. */
int settings_load(const char *path, struct settings **sp, struct mbuf *errors);
/* Wipes (passwords, HA1) and frees. NULL is fine. */
void settings_free(struct settings *s);
/* Exact number; NULL if not configured. Extensions are sorted by number after load. */
const struct conf_extension *settings_extension(const struct settings *s, const char *number);
/* Trunk by name; NULL if not configured. */
const struct conf_trunk *settings_trunk(const struct settings *s, const char *name);
/* A fresh password for a demo extension: SETTINGS_DEMO_PASSWORD_LEN random characters plus a
 * NUL into buf (size > SETTINGS_DEMO_PASSWORD_LEN). 0, EINVAL or EIO. Storing it is the
 * registrar's business. */
int settings_demo_password(char *buf, size_t size);

#endif
