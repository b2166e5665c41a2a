/* SRTP sessions and RTP protection (RFC 3711 3.1-3.3, RFC 7714 8): session set-up from a
 * master key, packet parsing, index and replay handling, trailer layout, key lifetime. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp/srtp_int.h"

static void keyset_clear(struct sr_keyset *k)
{
	EVP_CIPHER_CTX_free(k->cipher); /* the providers wipe their key schedules */
	sr_hmac_free(k->hmac);
	OPENSSL_cleanse(k, sizeof(*k));
}

void sr_session_free(struct sr_session *s)
{
	if (!s)
		return;
	keyset_clear(&s->rtp);
	keyset_clear(&s->rtcp);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int sr_session_alloc_keys(struct sr_session **sp, enum sr_suite suite,
			  const struct sr_session_keys *rtp, const struct sr_session_keys *rtcp,
			  const uint8_t *mki, size_t mki_len, uint64_t lifetime)
{
	struct sr_session *s;
	int err;

	if (!sp || (unsigned)suite >= SR_SUITE_COUNT || !rtp || !rtcp || mki_len > SR_MAX_MKI ||
	    (mki_len && !mki))
		return EINVAL;
	/* Cache-line aligned: its hot part is two lines (sr_prefetch). */
	s = aligned_alloc(64, (sizeof(*s) + 63) / 64 * 64);
	if (!s)
		return ENOMEM;
	memset(s, 0, sizeof(*s));
	s->def = &sr_suites[suite];
	const struct sr_suite_def *d = s->def;
	err = d->xf->init(&s->rtp, &d->info, d->cipher, d->session_salt_len, rtp);
	if (!err)
		err = d->xf->init(&s->rtcp, &d->info, d->cipher, d->session_salt_len, rtcp);
	if (err) {
		sr_session_free(s);
		return err;
	}
	if (mki_len)
		memcpy(s->mki, mki, mki_len);
	s->mki_len = mki_len;
	/* RFC 3711 9.2: at most 2^48 SRTP and 2^31 SRTCP packets per master key; RFC 4568 6.1
	 * lifetime may lower that. */
	s->lifetime = lifetime && lifetime < SR_SRTP_MAX_INDEX ? lifetime : SR_SRTP_MAX_INDEX;
	*sp = s;
	return 0;
}

int sr_session_alloc(struct sr_session **sp, const struct sr_key *key)
{
	struct sr_session_keys rtp, rtcp;
	int err;

	if (!sp || !key || (unsigned)key->suite >= SR_SUITE_COUNT || key->mki_len > SR_MAX_MKI)
		return EINVAL;
	err = sr_kdf_session(&sr_suites[key->suite], key->key, key->salt, &rtp, &rtcp);
	if (err)
		return err;
	err = sr_session_alloc_keys(sp, key->suite, &rtp, &rtcp, key->mki, key->mki_len,
				    key->lifetime);
	OPENSSL_cleanse(&rtp, sizeof(rtp));
	OPENSSL_cleanse(&rtcp, sizeof(rtcp));
	return err;
}

void sr_session_stats(const struct sr_session *s, struct sr_stats *st)
{
	if (!st)
		return;
	if (!s) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = s->stats;
}

void sr_prefetch(const struct sr_session *s)
{
	__builtin_prefetch(s, 1);
	__builtin_prefetch((const char *)s + 64, 1);
}

/* The source last used (where its next packet most likely belongs), the HMAC states and the
 * head of the cipher context (OpenSSL's key schedule lies behind it, out of reach). */
void sr_prefetch_state(const struct sr_session *s)
{
	const struct sr_ssrc *e = &s->src[s->last < SR_SSRC_MAX ? s->last : 0];

	__builtin_prefetch(e, 1);
	__builtin_prefetch((const char *)e + sizeof(*e) - 1, 1);
	if (s->rtp.hmac)
		sr_hmac_prefetch(s->rtp.hmac);
	if (s->rtp.cipher) {
		__builtin_prefetch(s->rtp.cipher);
		__builtin_prefetch((const char *)s->rtp.cipher + 64);
		__builtin_prefetch((const char *)s->rtp.cipher + 128);
	}
}

/* EKEYEXPIRED once the key has processed its lifetime of packets (both directions of use and
 * both protocols count), or SRTCP its 2^31. */
int sr_lifetime_check(const struct sr_session *s, bool rtcp)
{
	if (s->rtp_count + s->rtcp_count >= s->lifetime)
		return EKEYEXPIRED;
	if (rtcp && s->rtcp_count >= SR_SRTCP_MAX_INDEX)
		return EKEYEXPIRED;
	return 0;
}

int sr_ssrc_seed(struct sr_session *s, uint32_t ssrc, uint64_t rtp_index, uint64_t rtcp_index)
{
	if (!s || (rtp_index != SR_SEED_NONE && rtp_index >= SR_SRTP_MAX_INDEX) ||
	    (rtcp_index != SR_SEED_NONE && rtcp_index >= SR_SRTCP_MAX_INDEX))
		return EINVAL;
	struct sr_ssrc *e = sr_ssrc_find(s, ssrc);
	if (!e)
		e = sr_ssrc_add(s, ssrc);
	if (rtp_index != SR_SEED_NONE) {
		e->rtp_seen = true;
		e->rtp.top = rtp_index;
		e->rtp.mask = 1;
	}
	if (rtcp_index != SR_SEED_NONE) {
		e->rtcp_seen = true;
		e->rtcp.top = rtcp_index;
		e->rtcp.mask = 1;
	}
	return 0;
}

/* RFC 3550 5.1: fixed header, CSRC list, optional extension (5.3.1); all within n octets. */
static bool rtp_header(const uint8_t *p, size_t n, size_t *hdr)
{
	if (n < 12 || (p[0] >> 6) != 2)
		return false;
	size_t h = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (h + 4 > n)
			return false;
		h += 4 + 4 * ((size_t)p[h + 2] << 8 | p[h + 3]);
	}
	if (h > n)
		return false;
	*hdr = h;
	return true;
}

/* RFC 3550 5.1: with P set, the last payload octet counts the padding octets, itself included. */
static bool rtp_padding_ok(const uint8_t *p, size_t hdr, size_t end)
{
	if (!(p[0] & 0x20))
		return true;
	return end > hdr && p[end - 1] != 0 && p[end - 1] <= end - hdr;
}

static uint32_t rtp_ssrc(const uint8_t *p)
{
	return sr_be32(p + 8);
}

static uint16_t rtp_seq(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

/* Sender side: the index is the packet's SEQ under the source's ROC, which steps when SEQ
 * wraps; we estimate it as a receiver would, which also copes with a relay forwarding slightly
 * reordered packets. An index already used (or older than the window) is refused: protecting two
 * packets under one index reuses keystream, and for GCM the IV as well. */
int sr_protect(struct sr_session *s, uint8_t *pkt, size_t *len, size_t cap)
{
	size_t n, hdr;
	uint64_t index;
	int err;

	if (!s || !pkt || !len)
		return EINVAL;
	const struct sr_suite_def *d = s->def;
	size_t tag_len = d->info.rtp_tag_len, m = s->mki_len;
	n = *len;
	if (n > SR_MAX_PACKET || n + tag_len + m > cap || !rtp_header(pkt, n, &hdr) ||
	    !rtp_padding_ok(pkt, hdr, n))
		return EINVAL;
	err = sr_lifetime_check(s, false);
	if (err)
		return err;

	uint32_t ssrc = rtp_ssrc(pkt);
	uint16_t seq = rtp_seq(pkt);
	struct sr_ssrc *e = sr_ssrc_find(s, ssrc);
	if (!e)
		e = sr_ssrc_add(s, ssrc);
	if (e->rtp_seen) {
		err = sr_rtp_estimate(&e->rtp, seq, &index);
		if (!err)
			err = sr_replay_check(&e->rtp, index);
		if (err)
			return err;
	} else {
		index = seq; /* RFC 3711 3.3.1: the ROC starts at zero */
	}

	/* RFC 3711 3.1 (AES-CM): header | payload | MKI | tag. RFC 7714 8 (GCM): the tag is part
	 * of the AEAD ciphertext, and the MKI follows it. */
	uint8_t *tag = d->aead ? pkt + n : pkt + n + m;
	uint8_t *mki = d->aead ? pkt + n + tag_len : pkt + n;
	err = d->xf->rtp_seal(&s->rtp, pkt, hdr, n, ssrc, index, tag, tag_len);
	if (err)
		return err;
	if (m)
		memcpy(mki, s->mki, m);

	if (e->rtp_seen) {
		sr_replay_update(&e->rtp, index);
	} else {
		e->rtp_seen = true;
		e->rtp.top = index;
		e->rtp.mask = 1;
	}
	s->rtp_count++;
	s->stats.protected++;
	*len = n + tag_len + m;
	return 0;
}

/* Receiver side, in the order RFC 3711 3.3 gives: estimate the index, refuse replays, verify
 * the tag, decrypt; only then does the source's state (ROC, s_l, window) move. */
int sr_unprotect(struct sr_session *s, uint8_t *pkt, size_t *len)
{
	size_t n, hdr, end;
	uint64_t index;
	int err;

	if (!s || !pkt || !len)
		return EINVAL;
	const struct sr_suite_def *d = s->def;
	size_t tag_len = d->info.rtp_tag_len, m = s->mki_len;
	n = *len;
	if (n > SR_MAX_PACKET + tag_len + m || n < 12 + tag_len + m)
		return EBADMSG;
	end = n - tag_len - m;
	if (!rtp_header(pkt, end, &hdr))
		return EBADMSG;
	err = sr_lifetime_check(s, false);
	if (err)
		return err;

	const uint8_t *tag = d->aead ? pkt + end : pkt + end + m;
	const uint8_t *mki = d->aead ? pkt + end + tag_len : pkt + end;
	if (m && CRYPTO_memcmp(mki, s->mki, m) != 0)
		return EBADMSG;

	uint32_t ssrc = rtp_ssrc(pkt);
	uint16_t seq = rtp_seq(pkt);
	struct sr_ssrc *e = sr_ssrc_find(s, ssrc);
	if (e && e->rtp_seen) {
		err = sr_rtp_estimate(&e->rtp, seq, &index);
		if (!err)
			err = sr_replay_check(&e->rtp, index);
		if (err) {
			if (err == EALREADY)
				s->stats.replays++;
			return err;
		}
	} else {
		index = seq;
	}

	err = d->xf->rtp_open(&s->rtp, pkt, hdr, end, ssrc, index, tag, tag_len);
	if (err) {
		s->stats.auth_failures++;
		return err;
	}
	if (!rtp_padding_ok(pkt, hdr, end)) {
		(void)d->xf->rtp_undo(&s->rtp, pkt, hdr, end, ssrc, index);
		return EBADMSG;
	}

	if (!e)
		e = sr_ssrc_add(s, ssrc);
	if (e->rtp_seen) {
		sr_replay_update(&e->rtp, index);
	} else {
		e->rtp_seen = true;
		e->rtp.top = index;
		e->rtp.mask = 1;
	}
	s->rtp_count++;
	s->stats.unprotected++;
	*len = end;
	return 0;
}
