/* api_metrics: GET /metrics in the Prometheus text exposition format 0.0.4. Counters only grow
 * (SIP messages, TLS handshakes, media totals that include ended calls); gauges are the state
 * now. Runs on the signalling thread, which owns every counter read here. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/tmr.h"
#include "media/media.h"
#include "net/tp.h"
#include "pbx/api.h"
#include "pbx/call.h"
#include "pbx/guard.h"
#include "pbx/pbx_int.h"
#include "pbx/registrar.h"
#include "sip/tsx.h"

static void help(struct mbuf *out, const char *name, const char *type, const char *text)
{
	mbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void metric(struct mbuf *out, const char *name, const char *type, const char *text,
                   uint64_t v)
{
	help(out, name, type, text);
	mbuf_printf(out, "%s %" PRIu64 "\n", name, v);
}

static void count_reg(const struct reg_contact *c, void *arg)
{
	uint64_t *reachable = arg;
	if (c->reachable)
		(*reachable)++;
}

struct legs {
	uint64_t secure, clear, calls_secure;
};

static void count_legs(const struct call_info *ci, void *arg)
{
	struct legs *l = arg;
	const struct call_leg_info *legs[2] = {&ci->a, &ci->b};
	for (int i = 0; i < (ci->echo ? 1 : 2); i++) {
		if (!legs[i]->connected)
			continue;
		if (!strcmp(legs[i]->transport, "TLS") && legs[i]->srtp_suite)
			l->secure++;
		else
			l->clear++;
	}
	l->calls_secure += ci->path_secure;
}

static void sip_metrics(struct mbuf *out, const struct sip_stack_stats *st)
{
	const char *names[] = {"sotto_sip_requests_received_total",
	                       "sotto_sip_requests_sent_total"};
	const uint64_t *req[] = {st->req_in, st->req_out};
	for (int d = 0; d < 2; d++) {
		help(out, names[d], "counter",
		     d ? "SIP requests sent, by method (retransmissions included)"
		       : "SIP requests received and parsed, by method (retransmissions included)");
		for (int m = 0; m < SIP_STATS_METHODS; m++) {
			/* the common methods always, so that a dashboard sees zeros */
			if (!req[d][m] && m != SIP_INVITE && m != SIP_REGISTER && m != SIP_BYE)
				continue;
			mbuf_printf(out, "%s{method=\"%s\"} %" PRIu64 "\n", names[d],
			            m ? sip_method_name((enum sip_method)m) : "other", req[d][m]);
		}
	}
	const char *rnames[] = {"sotto_sip_responses_received_total",
	                        "sotto_sip_responses_sent_total"};
	const uint64_t *resp[] = {st->resp_in, st->resp_out};
	for (int d = 0; d < 2; d++) {
		help(out, rnames[d], "counter",
		     d ? "SIP responses sent, by status code"
		       : "SIP responses received, by status code");
		bool any = false;
		for (int c = 100; c < SIP_STATS_CODES; c++) {
			if (!resp[d][c])
				continue;
			mbuf_printf(out, "%s{code=\"%d\"} %" PRIu64 "\n", rnames[d], c, resp[d][c]);
			any = true;
		}
		if (!any)
			mbuf_printf(out, "%s{code=\"200\"} 0\n", rnames[d]);
	}
	metric(out, "sotto_sip_malformed_total", "counter", "SIP messages that failed to parse",
	       st->malformed);
	metric(out, "sotto_sip_retransmissions_absorbed_total", "counter",
	       "Retransmitted SIP messages absorbed by the transaction layer",
	       st->retransmissions_absorbed);
	metric(out, "sotto_sip_transactions", "gauge", "SIP transactions alive now",
	       st->strans_live + st->ctrans_live);
}

void pbx_metrics(struct pbx *p, struct mbuf *out)
{
	uint64_t reachable = 0;
	size_t regs = registrar_foreach(pbx_registrar(p), count_reg, &reachable);
	struct legs legs = {0};
	size_t calls = pbx_calls(p) ? calls_foreach(pbx_calls(p), count_legs, &legs) : 0;

	metric(out, "sotto_registrations", "gauge", "Registered contacts (bindings)", regs);
	metric(out, "sotto_registrations_reachable", "gauge",
	       "Registered contacts whose connection is up", reachable);
	metric(out, "sotto_extensions", "gauge", "Configured extensions",
	       pbx_settings(p)->n_extensions);
	metric(out, "sotto_calls_active", "gauge", "Calls in progress", calls);
	metric(out, "sotto_calls_secure", "gauge",
	       "Calls in progress whose whole path is encrypted (TLS and SRTP on both legs)",
	       legs.calls_secure);
	help(out, "sotto_call_legs", "gauge",
	     "Connected call legs: secure = TLS signalling and SRTP media, clear = anything less");
	mbuf_printf(out, "sotto_call_legs{security=\"secure\"} %" PRIu64 "\n", legs.secure);
	mbuf_printf(out, "sotto_call_legs{security=\"clear\"} %" PRIu64 "\n", legs.clear);

	if (pbx_stack(p)) {
		struct sip_stack_stats *st = calloc(1, sizeof(*st)); /* ~11 KB: not on the stack */
		if (st) {
			sip_stack_stats(pbx_stack(p), st);
			sip_metrics(out, st);
			free(st);
		}
	}
	if (pbx_transport(p)) {
		struct tp_stats ts;
		tp_mgr_stats(pbx_transport(p), &ts);
		metric(out, "sotto_tls_handshakes_total", "counter", "TLS handshakes completed",
		       ts.tls_handshakes);
		metric(out, "sotto_tls_handshake_failures_total", "counter",
		       "TLS handshakes failed", ts.tls_failures);
		metric(out, "sotto_connections_open", "gauge", "TCP and TLS connections open",
		       ts.conns_open);
		metric(out, "sotto_connections_accepted_total", "counter",
		       "TCP and TLS connections accepted", ts.conns_accepted);
		metric(out, "sotto_connections_refused_rate_total", "counter",
		       "Connections refused by the accept rate limit", ts.conns_refused_rate);
		metric(out, "sotto_sip_messages_received_total", "counter",
		       "SIP messages received by the transports", ts.msgs_in);
		metric(out, "sotto_sip_messages_sent_total", "counter",
		       "SIP messages sent by the transports", ts.msgs_out);
	}
	struct media_side_stats mt;
	media_totals(pbx_media(p), &mt);
	metric(out, "sotto_media_packets_received_total", "counter",
	       "RTP/RTCP packets received by the relay", mt.packets_in);
	metric(out, "sotto_media_packets_relayed_total", "counter",
	       "RTP/RTCP packets sent on by the relay", mt.packets_out);
	metric(out, "sotto_media_bytes_relayed_total", "counter", "Bytes sent on by the relay",
	       mt.bytes_out);
	metric(out, "sotto_srtp_auth_failures_total", "counter",
	       "SRTP/SRTCP packets that failed authentication", mt.auth_failures);
	metric(out, "sotto_srtp_replays_total", "counter", "SRTP/SRTCP packets refused as replays",
	       mt.replays);
	metric(out, "sotto_media_packets_dropped_total", "counter",
	       "Media packets dropped for other reasons", mt.dropped);
	metric(out, "sotto_media_packets_lost_total", "counter",
	       "Media packets lost on the way in (sequence gaps)", mt.lost);

	metric(out, "sotto_blocked_addresses", "gauge",
	       "Source addresses blocked after repeated authentication failures",
	       guard_count_blocked(pbx_guard(p), clock_mono_ms()));
	metric(out, "sotto_blocked_requests_total", "counter",
	       "Requests refused because their source is blocked", pbx_blocked_requests(p));
}
