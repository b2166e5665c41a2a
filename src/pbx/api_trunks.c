/* api_trunks: the extension point through which trunks show in the admin API, the dashboard and
 * sottoctl. Until trunks are configured there are none to show: GET /api/trunks answers [].
 * The trunk module replaces these two bodies with a walk over its trunks, one object per trunk:
 * {"name", "host", "transport", "registration" ("registered", "failed", "off", ...),
 *  "last_error", "expires_in_s", "calls"} (see docs/api.md). Runs on the signalling thread. */
#include "core/mbuf.h"
#include "pbx/pbx_int.h"

void pbx_trunks_json(struct pbx *p, struct mbuf *out)
{
	(void)p;
	mbuf_write_str(out, "[]\n");
}

void pbx_trunks_print(struct pbx *p, struct mbuf *out)
{
	(void)p;
	mbuf_write_str(out, "0 trunk(s)\n");
}
