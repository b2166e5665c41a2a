/* route: where a dialled number leaves (outbound routes to trunks) and whom an incoming DID rings
 * ([inbound]), as configured (docs/dialplan.md). Pure functions over the settings: no I/O, no
 * state, so the call logic asks them per call and a reload takes effect at once. The dial
 * pattern syntax is conf/dialpat.h (the config loader validates patterns with it). */
#ifndef SOTTO_PBX_ROUTE_H
#define SOTTO_PBX_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/dialpat.h"
#include "conf/settings.h"
#include "sip/msg.h"

/* Room for any number route_outbound writes (a 63-character dialled string plus a prepend). */
#define ROUTE_NUMBER_MAX 96

/* The first outbound route, in file order, with a pattern matching the whole dialled string:
 * its trunk, and the number to send it (strip digits removed from the front, then prepend
 * added) into out. A route whose strip would leave nothing is passed over. 0; ENOENT when no
 * route matches; EINVAL for a dialled string that is not a number (0-9 * # +, dialpat.h);
 * ENOSPC when out is too small (ROUTE_NUMBER_MAX always fits). *trunk points into cfg. */
int route_outbound(const struct settings *cfg, const char *dialled,
		   const struct conf_trunk **trunk, char *out, size_t size);

/* The extension(s) an incoming DID rings, in the order written: up to max pointers into cfg
 * (valid as long as cfg), their count in *n. A leading '+' on did is ignored (DIDs are
 * configured without it). 0; ENOENT when the DID is not in [inbound]; EINVAL. */
int route_inbound(const struct settings *cfg, const char *did, const char *exts[], size_t max,
		  size_t *n);

/* Whether the trunk lists did in its dids (a leading '+' ignored). */
bool route_trunk_has_did(const struct conf_trunk *t, const char *did);

/* The DID an INVITE from trunk t is for. Providers differ: most put the DID in the
 * Request-URI, some send to the registered Contact (whose user is the account name) and carry
 * the DID in To only. So: the Request-URI's user if it is one of t's DIDs, else To's; a leading
 * '+' and tel: URIs are fine. The DID (without '+') goes into did[size]. 0 or ENOENT. */
int route_inbound_did(const struct conf_trunk *t, const struct sip_msg *req, char *did,
		      size_t size);

#endif
