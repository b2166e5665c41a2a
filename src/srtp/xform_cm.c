/* The AES-CM + HMAC-SHA1 transform: SRTP (RFC 3711 3.3, 4.1.1, 4.2.1) and SRTCP (3.4) for
 * AES_CM_128_HMAC_SHA1_80/_32 and AES_256_CM_HMAC_SHA1_80 (RFC 6188). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp/srtp_int.h"

static int cm_init(struct sr_keyset *k, const struct sr_suite_info *info, const char *cipher,
		   size_t salt_len, const struct sr_session_keys *sk)
{
	(void)info;
	k->cipher = sr_cm_ctx_new(cipher, sk->key);
	if (!k->cipher)
		return ENOMEM;
	memcpy(k->salt, sk->salt, salt_len);
	return sr_hmac_alloc(&k->hmac, sk->auth, SR_AUTH_KEY_LEN);
}

/* RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), with i the 48-bit
 * SRTP packet index or the 31-bit SRTCP index. */
static void cm_iv(const struct sr_keyset *k, uint32_t ssrc, uint64_t index, uint8_t iv[16])
{
	memcpy(iv, k->salt, 14);
	iv[14] = iv[15] = 0;
	iv[4] ^= (uint8_t)(ssrc >> 24);
	iv[5] ^= (uint8_t)(ssrc >> 16);
	iv[6] ^= (uint8_t)(ssrc >> 8);
	iv[7] ^= (uint8_t)ssrc;
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

static int cm_crypt(struct sr_keyset *k, uint8_t *p, size_t len, uint32_t ssrc, uint64_t index)
{
	uint8_t iv[16];
	if (!len)
		return 0;
	cm_iv(k, ssrc, index, iv);
	return sr_cm_xor(k->cipher, iv, p, len);
}

/* RFC 3711 4.2: the SRTP tag covers the authenticated portion (header and encrypted payload)
 * followed by the 32-bit ROC. */
static void rtp_mac(struct sr_keyset *k, const uint8_t *pkt, size_t end, uint64_t index,
		    uint8_t mac[20])
{
	uint8_t roc[4];
	sr_put_be32(roc, (uint32_t)(index >> 16));
	sr_hmac_sha1(k->hmac, pkt, end, roc, sizeof(roc), mac);
}

static int cm_rtp_seal(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
		       uint32_t ssrc, uint64_t index, uint8_t *tag, size_t tag_len)
{
	uint8_t mac[20];
	int err = cm_crypt(k, pkt + hdr, end - hdr, ssrc, index);
	if (err)
		return err;
	rtp_mac(k, pkt, end, index, mac);
	memcpy(tag, mac, tag_len);
	return 0;
}

static int cm_rtp_open(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
		       uint32_t ssrc, uint64_t index, const uint8_t *tag, size_t tag_len)
{
	uint8_t mac[20];
	rtp_mac(k, pkt, end, index, mac);
	if (CRYPTO_memcmp(mac, tag, tag_len) != 0)
		return EBADMSG;
	return cm_crypt(k, pkt + hdr, end - hdr, ssrc, index);
}

static int cm_rtp_undo(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
		       uint32_t ssrc, uint64_t index)
{
	return cm_crypt(k, pkt + hdr, end - hdr, ssrc, index);
}

/* RFC 3711 3.4: the SRTCP tag covers header, encrypted portion and the E|index word. */
static void rtcp_mac(struct sr_keyset *k, const uint8_t *pkt, size_t end, uint32_t eidx,
		     uint8_t mac[20])
{
	uint8_t w[4];
	sr_put_be32(w, eidx);
	sr_hmac_sha1(k->hmac, pkt, end, w, sizeof(w), mac);
}

static int cm_rtcp_seal(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			uint32_t eidx, uint8_t *tag, size_t tag_len)
{
	uint8_t mac[20];
	if (eidx & SR_SRTCP_E_FLAG) {
		int err = cm_crypt(k, pkt + 8, end - 8, ssrc, eidx & ~SR_SRTCP_E_FLAG);
		if (err)
			return err;
	}
	rtcp_mac(k, pkt, end, eidx, mac);
	memcpy(tag, mac, tag_len);
	return 0;
}

static int cm_rtcp_open(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			uint32_t eidx, const uint8_t *tag, size_t tag_len)
{
	uint8_t mac[20];
	rtcp_mac(k, pkt, end, eidx, mac);
	if (CRYPTO_memcmp(mac, tag, tag_len) != 0)
		return EBADMSG;
	if (!(eidx & SR_SRTCP_E_FLAG))
		return 0;
	return cm_crypt(k, pkt + 8, end - 8, ssrc, eidx & ~SR_SRTCP_E_FLAG);
}

const struct sr_xform sr_xform_cm_hmac = {
	.init = cm_init,
	.rtp_seal = cm_rtp_seal,
	.rtp_open = cm_rtp_open,
	.rtp_undo = cm_rtp_undo,
	.rtcp_seal = cm_rtcp_seal,
	.rtcp_open = cm_rtcp_open,
};
