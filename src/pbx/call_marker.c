/* call_marker: the secure marker. A phone's padlock speaks only of its own leg; the marker
 * ([general] secure_marker, a padlock by default) in front of a display name tells its user
 * that the far side is protected too.
 *
 * It is shown only when it cannot turn out false, between two of our own extensions:
 * - toward the callee, in the caller's name (From), when the caller's leg is TLS with SRTP on
 *   every anchored stream and the callee's fork is TLS with encryption mandatory (the call can
 *   then only be answered with SRTP on that leg too);
 * - toward the caller, in the callee's name (P-Asserted-Identity, RFC 3325, which many phones
 *   show as the connected party), in the 200 once both legs are known to be secure.
 * Trunk calls never get it: nothing vouches for the path beyond the provider. A caller cannot
 * forge it: the marker is removed from any display name a phone sends before it is shown. */
#include <stdio.h>
#include <string.h>

#include "pbx/call_int.h"

/* The marker in force: "off" turns it off (an empty value is a config error everywhere). */
static const char *marker_of(const struct settings *cfg)
{
	return strcmp(cfg->secure_marker, "off") ? cfg->secure_marker : "";
}

/* TLS, and every anchored stream SRTP: what A's offer already settled. */
static bool a_leg_secure(const struct call *c)
{
	bool any = false;
	if (c->a_kind != TP_TLS)
		return false;
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
		if (!c->media[i].bridge)
			continue;
		if (!c->media[i].a_srtp)
			return false;
		any = true;
	}
	return any;
}

void call_marker_strip(char *dn, const char *marker)
{
	size_t ml = strlen(marker);
	char *p;
	if (!ml)
		return;
	while ((p = strstr(dn, marker)))
		memmove(p, p + ml, strlen(p + ml) + 1);
	p = dn;
	while (*p == ' ')
		p++;
	memmove(dn, p, strlen(p) + 1);
}

/* "<marker> <name>", or just the name. */
static void compose(char *buf, size_t size, const char *marker, bool mark, const char *name)
{
	if (mark && marker[0])
		snprintf(buf, size, "%s %s", marker, name);
	else
		snprintf(buf, size, "%s", name);
}

void call_marker_caller_display(const struct call *c, const struct branch *b,
				const struct settings *cfg, char *buf, size_t size)
{
	char name[sizeof(c->caller_display)];
	const struct conf_extension *ext;

	snprintf(name, sizeof(name), "%s", c->caller_display);
	call_marker_strip(name, marker_of(cfg));
	if (!name[0] && !c->trunk[0] && (ext = settings_extension(cfg, c->caller)) && ext->name[0])
		snprintf(name, sizeof(name), "%s", ext->name);
	if (!name[0])
		snprintf(name, sizeof(name), "%s", c->caller);
	compose(buf, size, marker_of(cfg),
		!c->trunk[0] && !b->trunk && b->tls && b->policy == ENC_MANDATORY &&
			a_leg_secure(c),
		name);
}

void call_marker_pai(const struct call *c, const struct settings *cfg, struct mbuf *hdrs)
{
	const struct conf_extension *ext;
	char dn[128];
	if (c->trunk[0] || c->echo || c->winner < 0)
		return; /* toward a provider: our extension's number stays ours */
	if (!(ext = settings_extension(cfg, c->callee)))
		return;
	compose(dn, sizeof(dn), marker_of(cfg), call_path_secure(c),
		ext->name[0] ? ext->name : ext->number);
	mbuf_printf(hdrs, "P-Asserted-Identity: \"%s\" <sip:%s@%s>\r\n", dn, ext->number,
		    cfg->realm);
}
