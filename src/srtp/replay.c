/* Per-source SRTP state: rollover counter estimation (RFC 3711 3.3.1 and Appendix A), the
 * replay window (RFC 3711 3.3.2), and the bounded table of sources a session has seen. */
#include <errno.h>
#include <string.h>

#include "srtp/srtp_int.h"

/* RFC 3711 3.3.1: a packet carries only the low 16 bits of its 48-bit index (the sequence
 * number); the receiver guesses the high 32 bits, the ROC, from s_l, the highest sequence
 * number seen so far, and its own ROC. The guess is the candidate among ROC-1, ROC, ROC+1 that
 * puts the packet closest to s_l: a SEQ far below s_l is a wrap forward, one far above s_l is
 * a late packet from before the last wrap (Appendix A's pseudocode, in signed arithmetic).
 *
 * A guess of ROC-1 while ROC is still 0 is a packet from before the first one we took: there is
 * no valid index for it, and we report it as too old. A guess of 2^32 (ROC+1 past the last
 * ROC) would be index 2^48, beyond what a master key may protect (RFC 3711 9.2). */
int sr_rtp_estimate(const struct sr_replay *r, uint16_t seq, uint64_t *index)
{
	int64_t roc = (int64_t)(r->top >> 16);
	int64_t s_l = (int64_t)(r->top & 0xffff);
	int64_t v = roc;

	if (s_l < 32768) {
		if ((int64_t)seq - s_l > 32768)
			v = roc - 1;
	} else {
		if (s_l - 32768 > (int64_t)seq)
			v = roc + 1;
	}
	if (v < 0)
		return EALREADY;
	if (v > (int64_t)UINT32_MAX)
		return EKEYEXPIRED;
	*index = (uint64_t)v << 16 | seq;
	return 0;
}

/* RFC 3711 3.3.2: accept an index above the window's top, or inside the window if its bit is
 * clear; anything older than the window cannot be told from a replay and is refused too. */
int sr_replay_check(const struct sr_replay *r, uint64_t index)
{
	if (index > r->top)
		return 0;
	uint64_t back = r->top - index;
	if (back >= SR_REPLAY_WINDOW)
		return EALREADY;
	return (r->mask >> back) & 1 ? EALREADY : 0;
}

/* Called only once the packet has authenticated: a forged packet must not move the window. */
void sr_replay_update(struct sr_replay *r, uint64_t index)
{
	if (index > r->top) {
		uint64_t ahead = index - r->top;
		r->mask = ahead < SR_REPLAY_WINDOW ? (r->mask << ahead) | 1 : 1;
		r->top = index;
	} else if (r->top - index < SR_REPLAY_WINDOW) {
		r->mask |= UINT64_C(1) << (r->top - index);
	}
}

/* The source table is a small array scanned linearly (a PBX leg carries one or two sources);
 * the last hit is tried first. */
struct sr_ssrc *sr_ssrc_find(struct sr_session *s, uint32_t ssrc)
{
	struct sr_ssrc *e = &s->src[s->last];
	if (e->stamp && e->ssrc == ssrc) {
		e->stamp = ++s->clock;
		return e;
	}
	for (unsigned i = 0; i < SR_SSRC_MAX; i++) {
		e = &s->src[i];
		if (e->stamp && e->ssrc == ssrc) {
			e->stamp = ++s->clock;
			s->last = i;
			return e;
		}
	}
	return NULL;
}

/* A new source takes a free slot or the least recently used one. The receive path adds a
 * source only after its first packet has authenticated, so forged packets with made-up SSRCs
 * cannot push out (and so reset the replay window of) a real source. */
struct sr_ssrc *sr_ssrc_add(struct sr_session *s, uint32_t ssrc)
{
	unsigned victim = 0;
	for (unsigned i = 0; i < SR_SSRC_MAX; i++) {
		if (!s->src[i].stamp) {
			victim = i;
			break;
		}
		if (s->src[i].stamp < s->src[victim].stamp)
			victim = i;
	}
	struct sr_ssrc *e = &s->src[victim];
	memset(e, 0, sizeof(*e));
	e->ssrc = ssrc;
	e->stamp = ++s->clock;
	s->last = victim;
	return e;
}
