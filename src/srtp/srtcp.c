/* SRTCP (RFC 3711 3.4, RFC 7714 9): the 31-bit SRTCP index with its E flag travels in the
 * packet, so there is nothing to estimate; each source still gets a replay window over it. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp/srtp_int.h"

/* RFC 3550 6.4: a compound packet starts with an 8-octet header ending in the sender's SSRC. */
static bool rtcp_header_ok(const uint8_t *p, size_t n)
{
	return n >= 8 && (p[0] >> 6) == 2;
}

/* Trailer layout. RFC 3711 3.4 (AES-CM): body | E|index | MKI | tag. RFC 7714 9 (GCM):
 * body | tag | E|index | MKI, the tag being the end of the AEAD ciphertext. Offsets from the
 * end of the body. */
struct rtcp_layout {
	size_t tag, eidx, mki;
};

static struct rtcp_layout rtcp_layout(const struct sr_session *s)
{
	size_t t = s->def->info.rtcp_tag_len, m = s->mki_len;
	if (s->def->aead)
		return (struct rtcp_layout){.tag = 0, .eidx = t, .mki = t + 4};
	return (struct rtcp_layout){.eidx = 0, .mki = 4, .tag = 4 + m};
}

/* Every packet we send is encrypted (E = 1), under the source's next index. */
int sr_protect_rtcp(struct sr_session *s, uint8_t *pkt, size_t *len, size_t cap)
{
	size_t n;
	int err;

	if (!s || !pkt || !len)
		return EINVAL;
	size_t t = s->def->info.rtcp_tag_len, m = s->mki_len;
	n = *len;
	if (n > SR_MAX_PACKET || n + t + 4 + m > cap || !rtcp_header_ok(pkt, n))
		return EINVAL;
	err = sr_lifetime_check(s, true);
	if (err)
		return err;

	uint32_t ssrc = sr_be32(pkt + 4);
	struct sr_ssrc *e = sr_ssrc_find(s, ssrc);
	if (!e)
		e = sr_ssrc_add(s, ssrc);
	uint64_t index = e->rtcp_seen ? e->rtcp.top + 1 : 0;
	if (index >= SR_SRTCP_MAX_INDEX)
		return EKEYEXPIRED; /* RFC 3711 3.4: the index must not wrap under one key */

	struct rtcp_layout l = rtcp_layout(s);
	uint32_t eidx = SR_SRTCP_E_FLAG | (uint32_t)index;
	err = s->def->xf->rtcp_seal(&s->rtcp, pkt, n, ssrc, eidx, pkt + n + l.tag, t);
	if (err)
		return err;
	sr_put_be32(pkt + n + l.eidx, eidx);
	if (m)
		memcpy(pkt + n + l.mki, s->mki, m);

	e->rtcp_seen = true;
	e->rtcp.top = index;
	e->rtcp.mask = 1;
	s->rtcp_count++;
	s->stats.protected++;
	*len = n + t + 4 + m;
	return 0;
}

/* Packets without the E flag (RFC 3711 3.4, RFC 4568 UNENCRYPTED_SRTCP) are authenticated
 * only; we accept them, since the flag itself is covered by the tag. */
int sr_unprotect_rtcp(struct sr_session *s, uint8_t *pkt, size_t *len)
{
	size_t n, end;
	int err;

	if (!s || !pkt || !len)
		return EINVAL;
	size_t t = s->def->info.rtcp_tag_len, m = s->mki_len;
	n = *len;
	if (n > SR_MAX_PACKET + t + 4 + m || n < 8 + t + 4 + m)
		return EBADMSG;
	end = n - t - 4 - m;
	if (!rtcp_header_ok(pkt, end))
		return EBADMSG;
	err = sr_lifetime_check(s, true);
	if (err)
		return err;

	struct rtcp_layout l = rtcp_layout(s);
	if (m && CRYPTO_memcmp(pkt + end + l.mki, s->mki, m) != 0)
		return EBADMSG;
	uint32_t eidx = sr_be32(pkt + end + l.eidx);
	uint64_t index = eidx & ~SR_SRTCP_E_FLAG;
	uint32_t ssrc = sr_be32(pkt + 4);
	struct sr_ssrc *e = sr_ssrc_find(s, ssrc);
	if (e && e->rtcp_seen && sr_replay_check(&e->rtcp, index)) {
		s->stats.replays++;
		return EALREADY;
	}

	err = s->def->xf->rtcp_open(&s->rtcp, pkt, end, ssrc, eidx, pkt + end + l.tag, t);
	if (err) {
		s->stats.auth_failures++;
		return err;
	}

	if (!e)
		e = sr_ssrc_add(s, ssrc);
	if (e->rtcp_seen) {
		sr_replay_update(&e->rtcp, index);
	} else {
		e->rtcp_seen = true;
		e->rtcp.top = index;
		e->rtcp.mask = 1;
	}
	s->rtcp_count++;
	s->stats.unprotected++;
	*len = end;
	return 0;
}
