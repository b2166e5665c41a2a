/* Offer/answer helpers (RFC 3264 6, 8; RFC 5761; RFC 3605) and SDES negotiation (RFC 4568
 * 7.1, RFC 8643): direction answers, hold, RTCP address and mux, suite selection, matching an
 * answer's a=crypto line back to the key we offered. */
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "sdp/sdp_int.h"

_Static_assert(SDP_MAX_KEYS >= SR_SUITE_COUNT, "one offered key per suite");

const char *sdp_dir_name(enum sdp_dir d)
{
	static const char *const names[] = {
	    [SDP_INACTIVE] = "inactive",
	    [SDP_SENDONLY] = "sendonly",
	    [SDP_RECVONLY] = "recvonly",
	    [SDP_SENDRECV] = "sendrecv",
	};
	return (unsigned)d <= SDP_SENDRECV ? names[d] : "sendrecv";
}

/* RFC 3264 6.1: what the offerer sends we may receive and the other way round, so the
 * offered send and receive bits swap; then we keep only what we want. */
enum sdp_dir sdp_dir_answer(enum sdp_dir offered, enum sdp_dir wanted)
{
	unsigned o = (unsigned)offered & 3u;
	unsigned mirror =
	    ((o & SDP_SENDONLY) ? SDP_RECVONLY : 0u) | ((o & SDP_RECVONLY) ? SDP_SENDONLY : 0u);
	return (enum sdp_dir)(mirror & (unsigned)wanted & 3u);
}

static bool addr_is_any(struct pl a) { return pl_eq_str(a, "0.0.0.0"); }

bool sdp_media_held(const struct sdp_media *m)
{
	return m->dir == SDP_SENDONLY || m->dir == SDP_INACTIVE || addr_is_any(m->conn.addr);
}

bool sdp_rtcp_mux_agreed(const struct sdp_media *offer, const struct sdp_media *answer)
{
	return offer->rtcp_mux && answer->rtcp_mux;
}

void sdp_media_peer(const struct sdp_media *m, bool mux, struct sdp_peer *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = m->conn.addr;
	out->ipv6 = m->conn.ipv6;
	out->rtp_port = m->port;
	out->rtcp_mux = mux;
	out->rtcp_addr = m->conn.addr;
	if (mux) {
		out->rtcp_port = m->port;
		return;
	}
	if (m->rtcp_port) {
		out->rtcp_port = m->rtcp_port;
		if (pl_isset(m->rtcp_addr))
			out->rtcp_addr = m->rtcp_addr;
	} else {
		/* RFC 3550 11: the next higher port; 65535 has none */
		out->rtcp_port = m->port && m->port < 65535 ? (uint16_t)(m->port + 1) : 0;
	}
}

enum sdp_srtp sdp_media_srtp(const struct sdp_media *m)
{
	if (sdp_proto_is_dtls(m->proto))
		return SDP_SRTP_DTLS;
	if (sdp_proto_is_srtp(m->proto))
		return SDP_SRTP_MANDATORY;
	if (sdp_proto_is_rtp(m->proto) && m->ncrypto)
		return SDP_SRTP_OPTIONAL; /* RFC 8643 3 */
	return SDP_SRTP_NONE;
}

enum sdp_proto sdp_proto_for(enum sdp_srtp mode, bool avpf)
{
	if (mode == SDP_SRTP_MANDATORY || mode == SDP_SRTP_DTLS)
		return avpf ? SDP_PROTO_RTP_SAVPF : SDP_PROTO_RTP_SAVP;
	return avpf ? SDP_PROTO_RTP_AVPF : SDP_PROTO_RTP_AVP;
}

/* RFC 4568 7.1.2: the answerer picks one of the offered lines. The offerer's order is its
 * preference; we override it with ours, strongest first, and among lines with the same suite
 * take the first. */
int sdp_crypto_select(const struct sdp_media *offer, uint32_t suites,
                      const struct sdp_crypto **chosen)
{
	for (size_t s = 0; s < SR_SUITE_COUNT; s++) {
		enum sr_suite id = sdp_suites[s].id;
		if (!(suites & SDP_SUITE_BIT(id)))
			continue;
		for (size_t i = 0; i < offer->ncrypto; i++) {
			const struct sdp_crypto *c = &offer->crypto[i];
			if (!c->error && c->suite == id) {
				*chosen = c;
				return 0;
			}
		}
	}
	return ENOENT;
}

int sdp_crypto_answer(const struct sdp_media *offer, uint32_t suites, struct sdp_key *tx,
                      struct sr_key *rx)
{
	const struct sdp_crypto *c;
	struct sdp_key t;
	struct sr_key r;
	int err;

	if (!offer || !tx || !rx)
		return EINVAL;
	err = sdp_crypto_select(offer, suites, &c);
	if (err)
		return err;
	err = sdp_crypto_key(c, &r);
	if (!err)
		err = sdp_crypto_generate(c->suite, c->tag, &t);
	if (!err) {
		*tx = t;
		*rx = r;
	}
	OPENSSL_cleanse(&t, sizeof(t));
	OPENSSL_cleanse(&r, sizeof(r));
	return err;
}

int sdp_keys_offer(struct sdp_keys *ks, uint32_t suites)
{
	struct sdp_keys tmp;
	int err = 0;

	if (!ks || !(suites & SDP_SUITES_ALL))
		return EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	for (size_t s = 0; s < SR_SUITE_COUNT && !err; s++) {
		enum sr_suite id = sdp_suites[s].id;
		if (!(suites & SDP_SUITE_BIT(id)))
			continue;
		err = sdp_crypto_generate(id, (uint32_t)tmp.n + 1, &tmp.key[tmp.n]);
		tmp.n++;
	}
	if (!err)
		*ks = tmp;
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return err;
}

/* RFC 4568 7.1.3 (offerer processing the answer): exactly one a=crypto line, whose tag is one
 * we offered and whose suite is the one we offered with that tag. */
int sdp_keys_match(const struct sdp_keys *ks, const struct sdp_media *answer, struct sr_key *tx,
                   struct sr_key *rx)
{
	const struct sdp_crypto *c;
	struct sr_key r;

	if (!ks || !answer || !tx || !rx)
		return EINVAL;
	if (answer->ncrypto == 0)
		return ENOENT;
	c = &answer->crypto[0];
	if (answer->ncrypto != 1 || c->error)
		return EPROTO;
	for (size_t i = 0; i < ks->n; i++) {
		const struct sdp_key *k = &ks->key[i];
		if (k->tag != c->tag)
			continue;
		if (k->key.suite != c->suite || sdp_crypto_key(c, &r))
			return EPROTO;
		*tx = k->key;
		*rx = r;
		OPENSSL_cleanse(&r, sizeof(r));
		return 0;
	}
	return EPROTO;
}
