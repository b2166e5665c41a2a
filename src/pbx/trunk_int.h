/* trunk internals shared by trunk.c (the manager, lookups, listings) and trunk_reg.c (outbound
 * registration and keep-alives). Private to src/pbx. */
#ifndef SOTTO_PBX_TRUNK_INT_H
#define SOTTO_PBX_TRUNK_INT_H

#include "pbx/trunk.h"
#include "sip/auth.h"

enum {
	TRUNK_BACKOFF_MIN_S = 5,     /* first retry after a failure */
	TRUNK_BACKOFF_MAX_S = 300,   /* doubling up to this */
	TRUNK_KEEPALIVE_MS = 30000,  /* RFC 5626 section 4.4.1 CRLF ping on TCP/TLS */
	TRUNK_RECONNECT_MS = 1000,   /* registered connection lost: register again after this */
};

enum trunk_reg {
	TRUNK_REG_OFF = 0,	 /* register = no */
	TRUNK_REG_REGISTERING,	 /* a REGISTER is on its way, or about to be */
	TRUNK_REG_REGISTERED,
	TRUNK_REG_FAILED,	 /* waiting for the retry timer */
	TRUNK_REG_BROKEN,	 /* cannot work at all (its TLS context); reason says why */
	TRUNK_REG_STOPPED,	 /* after trunks_shutdown, or removed by a reload */
};

struct trunk {
	struct trunk *next;
	struct trunks *m;
	struct conf_trunk c; /* its own copy: holds the password, wiped at free */
	bool retired;	     /* removed or replaced by a reload: not found, not identified */
	struct tp_peer peer;  /* remote unset while broken: nothing is sent to it */
	struct sa addr;	      /* the provider's address, to recognise its requests */
	struct tls_ctx *tls;  /* TLS trunks: its client context (ca, verify_server) */
	struct tp_conn *conn; /* TCP/TLS: our reference to the connection kept up */
	char host[264];	      /* server_name, IPv6 in brackets */
	char contact[200];
	char sent_by[80];
	char ruri[300];	      /* REGISTER Request-URI: sip:host[:port] */
	char aor[360];	      /* From/To of the REGISTER: sip:user@host */

	/* registration */
	enum trunk_reg reg;
	char call_id[40], from_tag[20];
	uint32_t cseq;
	uint32_t expires;	   /* asked for: the configured value, or a 423's Min-Expires */
	uint32_t granted_s;	   /* what the last 2xx granted */
	uint64_t expires_at_ms;	   /* loop clock */
	uint64_t next_at_ms;	   /* refresh or retry due */
	uint32_t backoff_s;	   /* the next retry's delay */
	unsigned auth_rounds;	   /* challenges answered in this attempt */
	char *challenge;	   /* the last challenge answered, for credentials on refreshes */
	bool challenge_proxy;	   /* ... it came in a 407 */
	struct auth_client_nc nc;  /* nonce-count state, shared with trunk_auth_answer */
	uint16_t fail_code;	   /* the last failure: a status code, or 0 */
	char fail_reason[160];	   /* "Forbidden", "timeout", "TLS: certificate ..." */
	struct sip_ctrans *ct;	   /* the REGISTER in flight */
	struct tmr reg_tmr;	   /* refresh or retry */
	struct tmr ka_tmr;	   /* keep-alive */
};

struct trunks {
	struct trunks_deps d;
	struct trunk *list; /* file order; retired ones at the end */
	size_t n;
};

/* trunk.c */
/* The strongest challenge of a 401/407 we can answer: 0 with its value, ENOENT. */
int trunk_pick_challenge(const struct sip_msg *resp, struct pl *value, bool *proxy);
/* Append "Authorization: " / "Proxy-Authorization: " + answer + CRLF. 0 or an errno. */
int trunk_write_auth(struct trunk *t, struct pl challenge, bool proxy, const char *method,
		     const char *uri, struct mbuf *mb);

/* trunk_reg.c */
void trunk_reg_start(struct trunk *t);  /* first REGISTER, from a timer: now */
/* Timers and transactions dropped; with unregister, an Expires: 0 REGISTER if registered
 * (true when sent). */
bool trunk_reg_stop(struct trunk *t, bool unregister);
void trunk_reg_conn_closed(struct trunk *t, struct tp_conn *conn);

#endif
