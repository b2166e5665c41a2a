/* libFuzzer target for the SDP parser and the SDES key handling every caller and provider can
 * reach: parse the input as an offer; for each m= line walk what the calls read of it (rtpmap
 * of every format, peer addresses, direction, SRTP mode) and answer its crypto lines as Sotto
 * would (select, decode, fresh key back, format). Views must stay inside the input. Keys live
 * only in this process; the CSPRNG is real. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf.h"
#include "sdp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct pl v, const char *buf, size_t len)
{
	if (v.l && (v.p < buf || v.p + v.l > buf + len))
		abort();
}

static void walk_media(const struct sdp_media *m, const char *buf, size_t len)
{
	struct sdp_peer peer;
	struct sdp_rtpmap map;
	struct sdp_key tx;
	struct sr_key rx;
	struct mbuf mb;

	inside(m->type, buf, len);
	inside(m->conn.addr, buf, len);
	for (size_t i = 0; i < m->nfmt; i++) {
		inside(m->fmts[i], buf, len);
		/* (a static payload type's name is RFC 3551's, not the input's) */
		if (sdp_proto_is_rtp(m->proto) && sdp_media_rtpmap(m, m->pt[i], &map) == 0 &&
		    !map.name.l)
			abort();
		inside(sdp_media_fmtp(m, m->pt[i]), buf, len);
	}
	sdp_media_peer(m, m->rtcp_mux, &peer);
	inside(peer.addr, buf, len);
	inside(peer.rtcp_addr, buf, len);
	(void)sdp_media_srtp(m);
	(void)sdp_media_held(m);
	(void)sdp_dir_answer(m->dir, SDP_SENDRECV);
	for (size_t i = 0; i < m->ncrypto; i++) {
		struct sr_key k;

		if (sdp_crypto_key(&m->crypto[i], &k) == 0 &&
		    (unsigned)k.suite >= SR_SUITE_COUNT)
			abort();
	}
	if (sdp_crypto_answer(m, SDP_SUITES_ALL, &tx, &rx) == 0) {
		mbuf_init(&mb);
		if (sdp_crypto_format(&mb, &tx))
			abort(); /* a key we made must always format */
		mbuf_free(&mb);
		sdp_key_wipe(&tx);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp sdp; /* about 66 KB */
	const char *buf = (const char *)data;

	if (sdp_parse(&sdp, buf, size)) {
		if (!sdp.error)
			abort(); /* a refusal always says why */
		return 0;
	}
	inside(sdp.origin_addr, buf, size);
	inside(sdp.conn.addr, buf, size);
	for (size_t i = 0; i < sdp.nmedia; i++)
		walk_media(&sdp.media[i], buf, size);
	return 0;
}
