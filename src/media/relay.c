/* relay: what a worker does with one packet received on a bridge's socket: check it, verify
 * and decrypt it (SRTP, RFC 3711 3.3), latch the sender's address, account it, rewrite it into
 * the other side's outgoing stream, encrypt it with that side's key and queue it for sending.
 *
 * Source policy (symmetric RTP behind NAT, RFC 4961; without opening a hijack door):
 * - A side with receive keys (SRTP): a packet counts only once it authenticates, from
 *   whatever address. The first authenticated packet latches the side's address; a later one
 *   from another address re-latches (the phone's NAT binding moved: only a key holder can do
 *   that, and the replay window stops a captured packet from being replayed elsewhere).
 *   Nothing unauthenticated ever moves the address.
 * - A plain side: before it has latched, a valid packet latches when it comes from the SDP
 *   address, or from the host of the SDP address or of the side's signalling on any port (the
 *   SDP address is often a private one behind NAT, whose public address is the one its SIP
 *   comes from). Any other source must first send MEDIA_PROBATION RTP packets in sequence, of
 *   one SSRC, with nothing from another stranger in between (all dropped): a stranger who
 *   sprays the port range at the start of calls, hoping to be first, gets nothing (the "RTP
 *   bleed" of other PBXes), while a phone behind an odd NAT still gets its audio after a
 *   second. After that, packets are taken from the latched address, or from the address the
 *   SDP gave (which re-latches to it); anything else is dropped and counted.
 * - A side takes nothing until its SDP is known (media_bridge_set_remote): till then it is not
 *   known whether it speaks SRTP, and a packet decided on too early could latch unverified.
 * RTCP on its own socket latches its own address the same way; RTCP multiplexed on the RTP
 * socket (RFC 5761) goes with the RTP address. */
#include <errno.h>

#include "core/log.h"
#include "media/media_int.h"

static void latch(struct media_bridge *b, int x, bool rtcp_sock, const struct maddr *src)
{
	struct mside *s = &b->side[x];

	if (log_get_level() <= LOG_DEBUG) {
		char buf[SA_STRLEN];
		struct sa a;

		maddr_to_sa(&a, src);
		log_debug("media: side %d %s latched to %s", x, rtcp_sock ? "RTCP" : "RTP",
			  sa_str(&a, buf, sizeof(buf)));
	}
	if (rtcp_sock) {
		s->rtcp = *src;
		s->rtcp_latched = true;
		return;
	}
	s->rtp = *src;
	s->latched = true;
	atomic_store_explicit(&b->stats[x].latched, true, memory_order_relaxed);
	if (!s->first_sent) {
		s->first_sent = true;
		media_event_post(b->m, &b->ev_first[x]);
	}
}

/* A stranger's RTP on probation: true once it has sent MEDIA_PROBATION in sequence. */
static bool probation(struct mside *s, const uint8_t *p, const struct maddr *src)
{
	uint32_t ssrc = be32(p + 8);
	uint16_t seq = be16(p + 2);

	if (s->cand_n && maddr_eq(src, &s->cand) && ssrc == s->cand_ssrc &&
	    seq == (uint16_t)(s->cand_seq + 1)) {
		s->cand_seq = seq;
		if (++s->cand_n < MEDIA_PROBATION)
			return false;
		s->cand_n = 0;
		return true;
	}
	s->cand = *src;
	s->cand_ssrc = ssrc;
	s->cand_seq = seq;
	s->cand_n = 1;
	return false;
}

/* May a plain side take a packet from src, which is not where it is latched? */
static bool plain_source_ok(struct mside *s, bool rtcp_sock, enum rtp_kind kind,
			    const uint8_t *pkt, const struct maddr *src)
{
	const struct maddr *sdp = rtcp_sock ? &s->sdp_rtcp : &s->sdp_rtp;

	if (maddr_eq(src, sdp))
		return true;
	if (rtcp_sock ? s->rtcp_latched : s->latched)
		return false;
	if (maddr_same_host(src, sdp) || maddr_same_host(src, &s->sig))
		return true;
	if (rtcp_sock) /* RTCP on its own port follows the host RTP latched to */
		return s->latched && maddr_same_host(src, &s->rtp);
	return kind == RTP_PKT && probation(s, pkt, src);
}

void relay_packet(struct mworker *w, struct media_bridge *b, int x, bool rtcp_sock, uint8_t *pkt,
		  size_t len, const struct maddr *src, uint64_t now_us)
{
	struct mside *sx = &b->side[x], *sy;
	struct mstats *st = &b->stats[x];
	enum rtp_kind kind = rtp_classify(pkt, len, rtcp_sock);
	bool latched = rtcp_sock ? sx->rtcp_latched : sx->latched;
	const struct maddr *cur = rtcp_sock ? &sx->rtcp : &sx->rtp;
	const struct maddr *dst;
	const struct msock *out;
	size_t wire = len;
	bool known;
	int y, err;

	if (kind == RTP_INVALID || !sx->configured) {
		stat_add(&st->dropped, 1);
		return;
	}
	known = latched && maddr_eq(src, cur);
	if (!known && !sx->rx && !plain_source_ok(sx, rtcp_sock, kind, pkt, src)) {
		stat_add(&st->dropped, 1);
		return;
	}
	if (sx->rx) {
		err = kind == RTP_PKT ? sr_unprotect(sx->rx, pkt, &len)
				      : sr_unprotect_rtcp(sx->rx, pkt, &len);
		if (err) {
			stat_add(err == EBADMSG	   ? &st->auth_failures
				 : err == EALREADY ? &st->replays
						   : &st->dropped,
				 1);
			return;
		}
	}
	stat_add(&st->packets_in, 1);
	stat_add(&st->bytes_in, wire);
	b->last_ms = now_us / 1000;
	b->timed_out = false;
	if (!known)
		latch(b, x, rtcp_sock, src);

	if (b->echo) {
		if (x != 0) {
			stat_add(&st->dropped, 1); /* side B is unused in echo mode */
			return;
		}
		y = 0;
	} else {
		y = 1 - x;
	}
	sy = &b->side[y];
	if (kind == RTP_PKT) {
		rtp_in_update(&sx->in, pkt, (uint32_t)(now_us * sx->rate / 1000000));
		stat_set(&st->lost, rtp_in_lost(&sx->in));
		stat_set(&st->jitter_us, (uint64_t)sx->in.jitter * 62500 / sx->rate);
	}
	if (!sy->sending)
		return; /* on hold */
	if (kind == RTP_PKT || sy->mux) {
		dst = &sy->rtp;
		out = &sy->h_rtp;
	} else {
		dst = &sy->rtcp;
		out = &sy->h_rtcp;
	}
	if (!dst->len) {
		stat_add(&st->dropped, 1); /* nowhere to send yet */
		return;
	}
	if (kind == RTP_PKT) {
		if (!rtp_map(&sx->in, &sy->out, pkt, now_us, sx->rate)) {
			stat_add(&st->dropped, 1); /* duplicate: never repeat a sequence number */
			return;
		}
	} else {
		rtcp_rewrite(pkt, len, &sx->in, &sy->out, sx->out.ssrc, sy->in.ssrc, sy->in.valid);
	}
	if (sy->tx) {
		err = kind == RTP_PKT ? sr_protect(sy->tx, pkt, &len, MEDIA_BUFSIZE)
				      : sr_protect_rtcp(sy->tx, pkt, &len, MEDIA_BUFSIZE);
		if (err) {
			stat_add(&b->stats[y].dropped, 1);
			return;
		}
	}
	worker_out(w, out, dst, pkt, len, &b->stats[y]);
}
