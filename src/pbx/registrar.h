/* registrar: REGISTER handling (RFC 3261 section 10) with digest authentication, bindings kept
 * in memory for lookups and persisted through the store so that they survive a restart. */
#ifndef SOTTO_PBX_REGISTRAR_H
#define SOTTO_PBX_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/settings.h"
#include "core/mbuf.h"
#include "core/tmr.h"
#include "net/tp.h"
#include "sip/auth.h"
#include "sip/tsx.h"
#include "store/store.h"

struct registrar;
struct guard;
struct demo_passwords;

/* A current binding, as handed to lookups (read-only, valid during the callback). */
struct reg_contact {
	const char *ext;
	const char *contact;	/* Contact URI */
	struct tp_peer peer;	/* how to reach it: the connection/address it registered from */
	bool reachable;		/* false when its stream connection is gone */
	bool tls;		/* registered over TLS */
	bool sips;		/* a sips: Contact: only ever reached over TLS */
	uint32_t remaining_s;
	const char *user_agent;
};

typedef void(reg_contact_h)(const struct reg_contact *c, void *arg);

struct registrar_deps {
	const struct settings *cfg;
	struct tmr_list *timers; /* the signalling loop's timers (monotonic ms) */
	struct store *store;	 /* may be NULL (no persistence) */
	struct auth_server *auth;
	struct guard *guard;
	const struct demo_passwords *demo;
};

int registrar_alloc(struct registrar **rp, const struct registrar_deps *deps);
void registrar_free(struct registrar *r);
/* Use a reloaded configuration from now on (borrowed; the old one may be freed after this).
 * Bindings of extensions that no longer exist are removed. */
void registrar_set_settings(struct registrar *r, const struct settings *cfg,
			    const struct demo_passwords *demo);
/* Use another digest server from now on (a reload that changed the realm or nonce lifetime;
 * borrowed, the old one may be freed after this). */
void registrar_set_auth(struct registrar *r, struct auth_server *auth);
/* Load stored bindings that have not expired (after a restart). */
int registrar_restore(struct registrar *r);
/* Handle a REGISTER. */
void registrar_handle(struct registrar *r, struct sip_strans *st, const struct sip_msg *req,
		      const struct tp_peer *from);
/* Digest-authenticate a request as extension 'user' (401, or 407 when proxy). Returns the
 * extension when the credentials check out; otherwise the request has been answered (challenge,
 * 400 or 403, failures counted toward a block) and NULL is returned. */
const struct conf_extension *registrar_authenticate(struct registrar *r, struct sip_strans *st,
						    const struct sip_msg *req,
						    const struct tp_peer *from, struct pl user,
						    bool proxy);
/* A stream connection closed: bindings over it are no longer reachable and are removed. */
void registrar_conn_closed(struct registrar *r, struct tp_conn *conn);
/* Call h for each current binding of ext; returns how many. */
size_t registrar_lookup(struct registrar *r, const char *ext, reg_contact_h *h, void *arg);
/* Call h for every binding (for sottoctl and the admin API). */
size_t registrar_foreach(struct registrar *r, reg_contact_h *h, void *arg);
/* The secret configured for ext (password or HA1s, or the demo password). */
bool registrar_secret(const struct registrar *r, const struct conf_extension *ext,
		      struct auth_secret *out);
/* Record an authentication failure from src for user (guard, log, security event); used by the
 * registrar and by INVITE authentication. */
void registrar_auth_failed(struct registrar *r, const struct sa *src, const char *user,
			   const char *why);

#endif
