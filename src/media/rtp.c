/* rtp: RTP/RTCP header checks (RFC 3550 5.1, 6.4; RFC 5761 4 for rtcp-mux), per-source
 * accounting (RFC 3550 A.1 sequence tracking, A.3 loss, A.8 jitter), and the rewrite of every
 * relayed packet into the relay's own outgoing stream.
 *
 * Why rewrite: upstream a stream may change SSRC (re-INVITE, new keys), restart its sequence
 * numbers, pause (hold) or jump. A phone downstream would read that as a new source, a replay
 * (SRTP drops it) or a sequence reset. So each direction has its own random SSRC, sequence
 * base and timestamp base; a packet's outgoing sequence number and timestamp are its incoming
 * ones plus offsets, and the offsets are recomputed ("resync") whenever the source changes so
 * that the outgoing sequence continues at +1 and the timestamp advances by the wall-clock time
 * since our last packet. */
#include <string.h>

#include "media/media_int.h"

enum {
	MAX_DROPOUT = 3000, /* RFC 3550 A.1 */
	MAX_MISORDER = 100,
	OUT_WINDOW = 64,
};

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RTCP packet types 200-204 (SR, RR, SDES, BYE, APP) are what a compound starts with. On a
 * muxed RTP socket they show as M bit + PT 72-76, which RFC 5761 4 reserves for that reason. */
enum rtp_kind rtp_classify(const uint8_t *p, size_t len, bool rtcp_sock)
{
	size_t hdr;

	if (len < 8 || (p[0] >> 6) != 2)
		return RTP_INVALID;
	if (p[1] >= 200 && p[1] <= 204)
		return RTP_RTCP;
	if (rtcp_sock)
		return RTP_INVALID;
	if ((p[1] & 0x7f) >= 72 && (p[1] & 0x7f) <= 76)
		return RTP_INVALID; /* masked: marker set on a reserved payload type */
	hdr = 12 + 4u * (p[0] & 0x0f);
	if (len < hdr)
		return RTP_INVALID;
	if (p[0] & 0x10) {
		if (len < hdr + 4)
			return RTP_INVALID;
		hdr += 4 + 4u * be16(p + hdr + 2);
		if (len < hdr)
			return RTP_INVALID;
	}
	return RTP_PKT;
}

uint64_t rtp_in_lost(const struct rtp_in *in)
{
	int64_t expected, lost;

	if (!in->valid)
		return in->lost_before;
	expected = (int64_t)(in->cycles + in->max_seq) - (int64_t)in->base_seq + 1;
	lost = expected - (int64_t)in->received;
	return in->lost_before + (lost > 0 ? (uint64_t)lost : 0);
}

static void in_restart(struct rtp_in *in, uint32_t ssrc, uint16_t seq)
{
	in->lost_before = rtp_in_lost(in);
	in->valid = true;
	in->ssrc = ssrc;
	in->max_seq = seq;
	in->base_seq = seq;
	in->cycles = 0;
	in->received = 0;
	in->have_transit = false;
	in->resync = true;
}

void rtp_in_update(struct rtp_in *in, const uint8_t *p, uint32_t arrival)
{
	uint16_t seq = be16(p + 2);
	uint32_t ts = be32(p + 4), ssrc = be32(p + 8);

	if (!in->valid || ssrc != in->ssrc) {
		in_restart(in, ssrc, seq);
	} else {
		uint16_t udelta = (uint16_t)(seq - in->max_seq);

		if (udelta == 0) {
			/* duplicate */
		} else if (udelta < MAX_DROPOUT) {
			if (seq < in->max_seq)
				in->cycles += 65536;
			in->max_seq = seq;
		} else if (udelta <= 65536 - MAX_MISORDER) {
			/* A jump or a restart of the sender's sequence (RFC 3550 A.1 waits for two
			 * packets in order; a relay need not, the offsets absorb it). */
			in_restart(in, ssrc, seq);
		}
		/* else: late or reordered, within MAX_MISORDER */
	}
	in->received++;

	/* RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16. */
	{
		uint32_t transit = arrival - ts;

		if (in->have_transit) {
			int32_t d = (int32_t)(transit - in->transit);
			uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;

			in->jitter += ad - ((in->jitter + 8) >> 4);
		}
		in->transit = transit;
		in->have_transit = true;
	}
}

bool rtp_map(struct rtp_in *in, struct rtp_out *out, uint8_t *p, uint64_t now_us, uint32_t rate)
{
	uint16_t seq = be16(p + 2), oseq;
	uint32_t ts = be32(p + 4), ots;
	int16_t d;

	if (in->resync || !in->mapped) {
		uint32_t next_ts = out->ts;

		if (out->started) {
			uint64_t el = 0;

			if (now_us > out->ts_us)
				el = (now_us - out->ts_us) * rate / 1000000;
			/* The timestamp must move forward, even for a restart within one batch. */
			next_ts += el ? (uint32_t)el : 1;
		}
		in->seq_delta = (uint16_t)(out->seq + 1 - seq);
		in->ts_delta = next_ts - ts;
		in->resync = false;
		in->mapped = true;
	}
	oseq = (uint16_t)(seq + in->seq_delta);
	ots = ts + in->ts_delta;
	d = (int16_t)(uint16_t)(oseq - out->seq);
	if (!out->started || d > 0) {
		if (!out->started || d >= OUT_WINDOW)
			out->window = 1;
		else
			out->window = out->window << d | 1;
		out->seq = oseq;
		out->ts = ots;
		out->ts_us = now_us;
		out->started = true;
	} else {
		unsigned back = (unsigned)-(int)d;

		if (back >= OUT_WINDOW || (out->window >> back & 1))
			return false;
		out->window |= (uint64_t)1 << back;
	}
	wr16(p + 2, oseq);
	wr32(p + 4, ots);
	wr32(p + 8, out->ssrc);
	return true;
}

/* Walk the compound (RFC 3550 6.1). Keep it simple: the first SSRC of SR, RR, SDES, BYE, APP
 * and the RFC 4585 feedback messages is the sender's; report blocks (RFC 3550 6.4.1) and the
 * feedback media source name the stream reported on, which the far side knows by its own SSRC. */
void rtcp_rewrite(uint8_t *p, size_t len, const struct rtp_in *in, const struct rtp_out *out,
		  uint32_t rb_from, uint32_t rb_to, bool rb_map)
{
	size_t off = 0;

	while (off + 8 <= len) {
		uint8_t *q = p + off;
		uint8_t pt = q[1];
		unsigned count = q[0] & 0x1f;
		size_t plen = ((size_t)be16(q + 2) + 1) * 4, rb = 0;

		if ((q[0] >> 6) != 2 || off + plen > len)
			break;
		if (pt >= 200 && pt <= 206)
			wr32(q + 4, out->ssrc);
		if (pt == 200 && plen >= 28) {
			if (in->mapped)
				wr32(q + 16, be32(q + 16) + in->ts_delta);
			rb = 28;
		} else if (pt == 201) {
			rb = 8;
		} else if ((pt == 205 || pt == 206) && plen >= 12 && rb_map &&
			   be32(q + 8) == rb_from) {
			wr32(q + 8, rb_to);
		}
		if (rb && rb_map) {
			for (unsigned i = 0; i < count && rb + 24 <= plen; i++, rb += 24)
				if (be32(q + rb) == rb_from)
					wr32(q + rb, rb_to);
		}
		off += plen;
	}
}
