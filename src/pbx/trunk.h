/* trunk: the VoIP providers Sotto reaches the phone network through ([trunk NAME] sections,
 * docs/dialplan.md). Per trunk: the provider's address and transport as a struct tp_peer, a
 * TLS client context of its own (its ca, verify_server; SNI and name check from the host),
 * outbound registration (RFC 3261 section 10) answered to 401/407 with MD5 or SHA-256 digest,
 * refreshed before it expires and retried with back-off (5 s doubling to 5 min) when the
 * provider is unreachable or refuses, and over TCP/TLS one connection kept up and reused for
 * everything sent to the provider, with RFC 5626 CRLF keep-alives every 30 s.
 *
 * For the call logic (src/pbx/call*.c), with route.h for numbers:
 *   outbound: route_outbound(cfg, dialled, &ct, number) -> t = trunk_find(trunks, ct->name);
 *     send the INVITE to trunk_peer(t) (Request-URI sip:number@trunk_host(t), From
 *     sip:trunk_caller_id(t)@trunk_host(t), Contact trunk_contact(t)); on 401/407:
 *     trunk_auth_answer(t, resp, "INVITE", ruri, &hdr) and send it again with a new CSeq.
 *   inbound: t = trunk_identify(trunks, from) (NULL: not from a provider: a DID is then just an
 *     unknown number), route_inbound_did(trunk_conf(t), req, did) then route_inbound(cfg, did..).
 *
 * Owned by the pbx and driven by the signalling loop. A struct trunk lives until trunks_free,
 * so a call may keep a pointer to it. */
#ifndef SOTTO_PBX_TRUNK_H
#define SOTTO_PBX_TRUNK_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/settings.h"
#include "core/mbuf.h"
#include "core/tmr.h"
#include "net/tp.h"
#include "sip/msg.h"
#include "sip/tsx.h"

struct trunks;
struct trunk;

struct trunks_deps {
	const struct settings *cfg; /* read at alloc: each trunk keeps a copy of its section */
	struct tmr_list *timers;    /* the signalling loop's */
	struct sip_stack *stack;    /* REGISTERs go through it */
	struct tp_mgr *tp;	    /* may be NULL (tests): no held connection, no keep-alives */
};

/* One trunk per [trunk NAME]. Registrations start from a timer, so once the loop runs (the
 * listeners are open by then). A trunk whose TLS context cannot be made (a CA file that is not
 * PEM) shows the problem as its state; the others work. 0 or ENOMEM. */
int trunks_alloc(struct trunks **mp, const struct trunks_deps *deps);
/* Stop: registrations are removed (REGISTER with Expires: 0, credentials from the last
 * challenge) and every timer and transaction dropped; call it while the stack is alive.
 * Returns how many un-REGISTERs were sent (the caller may let the loop run a moment). */
size_t trunks_shutdown(struct trunks *m);
/* Frees everything (no messages: trunks_shutdown first). NULL is fine. */
void trunks_free(struct trunks *m);
/* A reloaded configuration (borrowed for the call only): trunks whose section is unchanged keep
 * their registration; changed ones start over (an un-REGISTER for the old registration), new
 * ones start, removed ones stop. Trunks that went away stay allocated (calls may point at them)
 * but are no longer found or identified. 0 or ENOMEM (then nothing changed). */
int trunks_set_settings(struct trunks *m, const struct settings *cfg);
/* The transport's close handler, forwarded by the pbx: a trunk's connection went away. */
void trunks_conn_closed(struct trunks *m, struct tp_conn *conn);

/* By name; NULL if none. */
struct trunk *trunk_find(struct trunks *m, const char *name);
/* The trunk a request came from: same transport and source address as a trunk's provider, or
 * the connection Sotto opened (and verified, over TLS) to it. With several trunks at one
 * address (two accounts with one provider), the first in file order; check the DID with
 * route_trunk_has_did and look further with trunk_identify_did. NULL: not from any provider. */
struct trunk *trunk_identify(struct trunks *m, const struct tp_peer *from);
/* As trunk_identify, preferring the trunk at that address that lists did. */
struct trunk *trunk_identify_did(struct trunks *m, const struct tp_peer *from, const char *did);

/* Getters; strings stay valid as long as the trunk. */
const char *trunk_name(const struct trunk *t);
/* Where to send requests: kind, remote, server_name (TLS), tls_client and, over TCP/TLS, the
 * connection the trunk keeps up (copy the peer; the copy may open a new connection). A TLS
 * trunk whose CA file could not be used has no remote: sending to it fails (EINVAL). */
const struct tp_peer *trunk_peer(const struct trunk *t);
enum tp_kind trunk_kind(const struct trunk *t);
enum conf_encryption trunk_encryption(const struct trunk *t);
/* The number presented on outbound calls (default: the username); may be "". */
const char *trunk_caller_id(const struct trunk *t);
/* Digest / registration user; "" when none is configured. */
const char *trunk_username(const struct trunk *t);
/* The provider's host for URIs: a name, an IPv4 address, or an IPv6 one in brackets. */
const char *trunk_host(const struct trunk *t);
/* Our Contact toward this provider: "sip:USER@ADDR:PORT;transport=udp|tcp|tls". */
const char *trunk_contact(const struct trunk *t);
/* Its section as loaded (dids, expires, ...). */
const struct conf_trunk *trunk_conf(const struct trunk *t);
bool trunk_registered(const struct trunk *t);
/* "registered (refresh in 42 s)", "failed: 403 Forbidden; retrying in 10 s", ... */
void trunk_state_str(const struct trunk *t, char *buf, size_t size);

/* Answer the 401/407 of a request sent to the trunk (an INVITE, a BYE): appends
 * "Authorization: ...\r\n" (401) or "Proxy-Authorization: ...\r\n" (407) to hdr_line, from the
 * trunk's credentials, the strongest challenge we can answer (SHA-256, then MD5; qop=auth with
 * the trunk's nonce-count). uri is the Request-URI the request is sent with. 0; EPERM when the
 * trunk has no credentials; EINVAL not a 401/407 or bad arguments; ENOENT no challenge we can
 * answer; ENOMEM, EIO. Nothing is appended on error. */
int trunk_auth_answer(struct trunk *t, const struct sip_msg *resp, const char *method,
		      const char *uri, struct mbuf *hdr_line);

/* Calls in progress per trunk, for the listings (the pbx counts them); NULL: not shown. */
typedef unsigned(trunk_calls_h)(const char *trunk, void *arg);
/* A table for `sottoctl trunks`: name, transport, provider address, media policy, state. */
void trunks_print(struct trunks *m, struct mbuf *out, trunk_calls_h *calls, void *arg);
/* A JSON array for GET /api/trunks: per trunk {"name", "host", "address", "transport",
 * "encryption", "registration" ("off", "registering", "registered", "failed",
 * "unregistered"), "state" (as printed), "last_error" (null or "403 Forbidden"),
 * "expires_in_s" (null unless registered), "calls"}. */
void trunks_json(struct trunks *m, struct mbuf *out, trunk_calls_h *calls, void *arg);

#endif
