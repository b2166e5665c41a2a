/* route: outbound routes and inbound DIDs (route.h, docs/dialplan.md). */
#include "pbx/route.h"

#include <errno.h>
#include <string.h>

int route_outbound(const struct settings *cfg, const char *dialled,
		   const struct conf_trunk **trunk, char *out, size_t size)
{
	size_t len;

	if (!cfg || !dialled || !trunk || !out)
		return EINVAL;
	len = strlen(dialled);
	if (!dialpat_number_ok(dialled, len))
		return EINVAL;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct conf_route *r = &cfg->routes[i];
		bool match = false;
		for (size_t m = 0; m < r->n_match && !match; m++)
			match = dialpat_match(r->match[m], dialled);
		if (!match || r->strip > len || (r->strip == len && !r->prepend[0]))
			continue; /* nothing would be left to dial */
		const struct conf_trunk *t = settings_trunk(cfg, r->trunk);
		if (!t)
			continue; /* the loader refuses this; a hand-made cfg might not */
		size_t plen = strlen(r->prepend), rest = len - r->strip;
		if (plen + rest + 1 > size)
			return ENOSPC;
		memcpy(out, r->prepend, plen);
		memcpy(out + plen, dialled + r->strip, rest);
		out[plen + rest] = '\0';
		*trunk = t;
		return 0;
	}
	return ENOENT;
}

static const char *no_plus(const char *did)
{
	return did[0] == '+' ? did + 1 : did;
}

int route_inbound(const struct settings *cfg, const char *did, const char *exts[], size_t max,
		  size_t *n)
{
	if (!cfg || !did || !exts || !n)
		return EINVAL;
	did = no_plus(did);
	for (size_t i = 0; i < cfg->n_inbound; i++) {
		const struct conf_inbound *in = &cfg->inbound[i];
		if (strcmp(in->did, did))
			continue;
		size_t k = 0;
		for (; k < in->n_exts && k < max; k++)
			exts[k] = in->exts[k];
		*n = k;
		return 0;
	}
	return ENOENT;
}

static bool has_did_pl(const struct conf_trunk *t, struct pl did)
{
	if (did.l && did.p[0] == '+') {
		did.p++;
		did.l--;
	}
	for (size_t i = 0; did.l && i < t->n_dids; i++)
		if (pl_eq_str(did, t->dids[i]))
			return true;
	return false;
}

bool route_trunk_has_did(const struct conf_trunk *t, const char *did)
{
	return t && did && has_did_pl(t, pl_from(did, strlen(did)));
}

static int copy_did(struct pl did, char *out, size_t size)
{
	if (did.p[0] == '+') {
		did.p++;
		did.l--;
	}
	if (did.l + 1 > size)
		return ENOENT;
	pl_strcpy(did, out, size);
	return 0;
}

int route_inbound_did(const struct conf_trunk *t, const struct sip_msg *req, char *did,
		      size_t size)
{
	if (!t || !req || !did || !size)
		return ENOENT;
	/* users stay %-escaped in the parse: a DID never needs escaping, so a match is exact */
	if (has_did_pl(t, req->ruri.user))
		return copy_did(req->ruri.user, did, size);
	if (has_did_pl(t, req->to.uri.user))
		return copy_did(req->to.uri.user, did, size);
	return ENOENT;
}
