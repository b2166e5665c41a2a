/* api_trunks: trunks in the admin API, the dashboard and sottoctl (trunk.h does the writing):
 * GET /api/trunks is a JSON array with one object per trunk, `sottoctl trunks` a table. Calls in
 * progress are counted per trunk from the call list. Runs on the signalling thread. */
#include <string.h>

#include "core/mbuf.h"
#include "pbx/call.h"
#include "pbx/pbx_int.h"
#include "pbx/trunk.h"

struct count {
	const char *trunk;
	unsigned n;
};

static void count_call(const struct call_info *ci, void *arg)
{
	struct count *c = arg;
	if (ci->trunk && !strcmp(ci->trunk, c->trunk))
		c->n++;
}

static unsigned calls_on(const char *trunk, void *arg)
{
	struct calls *cs = pbx_calls(arg);
	struct count c = {.trunk = trunk};
	if (cs)
		calls_foreach(cs, count_call, &c);
	return c.n;
}

void pbx_trunks_json(struct pbx *p, struct mbuf *out)
{
	trunks_json(pbx_trunks(p), out, calls_on, p);
}

void pbx_trunks_print(struct pbx *p, struct mbuf *out)
{
	trunks_print(pbx_trunks(p), out, calls_on, p);
}
