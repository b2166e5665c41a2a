/* The AES-GCM transform of RFC 7714 (AEAD_AES_128_GCM, AEAD_AES_256_GCM, 16-octet tag):
 * IV per 8.1 and 9.1, associated data per 8.2 and 9.2 (17 for the SRTCP layout).
 *
 * One EVP_CIPHER_CTX per keyset is keyed once; a packet only sets the IV and the direction. */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "srtp/srtp_int.h"

#define GCM_TAG 16

static int gcm_init(struct sr_keyset *k, const struct sr_suite_info *info, const char *cipher,
		    size_t salt_len, const struct sr_session_keys *sk)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
	int err = 0;

	(void)info;
	k->cipher = c ? EVP_CIPHER_CTX_new() : NULL;
	if (!k->cipher || !EVP_EncryptInit_ex(k->cipher, c, NULL, sk->key, NULL)) {
		ERR_clear_error();
		err = ENOMEM;
	}
	EVP_CIPHER_free(c);
	memcpy(k->salt, sk->salt, salt_len);
	return err;
}

/* RFC 7714 8.1 (SRTP): IV = (00 00 || SSRC || ROC || SEQ) XOR salt. 9.1 (SRTCP):
 * IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. Both are SSRC at octets 2-5 and
 * a 48-bit index at octets 6-11. */
static void gcm_iv(const struct sr_keyset *k, uint32_t ssrc, uint64_t index, uint8_t iv[12])
{
	memcpy(iv, k->salt, 12);
	iv[2] ^= (uint8_t)(ssrc >> 24);
	iv[3] ^= (uint8_t)(ssrc >> 16);
	iv[4] ^= (uint8_t)(ssrc >> 8);
	iv[5] ^= (uint8_t)ssrc;
	for (int i = 0; i < 6; i++)
		iv[6 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* Start one AEAD operation: IV, direction, and associated data a || b. */
static int gcm_start(EVP_CIPHER_CTX *c, int enc, const uint8_t iv[12], const uint8_t *a,
		     size_t alen, const uint8_t *b, size_t blen)
{
	int n;
	if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc))
		return EIO;
	if (alen && !EVP_CipherUpdate(c, NULL, &n, a, (int)alen))
		return EIO;
	if (blen && !EVP_CipherUpdate(c, NULL, &n, b, (int)blen))
		return EIO;
	return 0;
}

static int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen, uint8_t *p, size_t len, uint8_t *tag)
{
	uint8_t fin[16];
	int n;
	int err = gcm_start(c, 1, iv, a, alen, b, blen);
	if (!err && len && !EVP_CipherUpdate(c, p, &n, p, (int)len))
		err = EIO;
	if (!err && (!EVP_CipherFinal_ex(c, fin, &n) ||
		     !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, GCM_TAG, tag)))
		err = EIO;
	if (err)
		ERR_clear_error();
	return err;
}

/* Decrypt and verify. GCM hands out plaintext before it checks the tag, so on a bad tag the
 * payload is encrypted again: the caller gets its packet back untouched, as with AES-CM. */
static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t iv[12], const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen, uint8_t *p, size_t len, const uint8_t *tag)
{
	uint8_t fin[16], scratch[GCM_TAG];
	int n;
	int err = gcm_start(c, 0, iv, a, alen, b, blen);
	if (err)
		goto out;
	if (len && !EVP_CipherUpdate(c, p, &n, p, (int)len)) {
		err = EIO;
		goto out;
	}
	if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, GCM_TAG, (void *)tag) ||
	    EVP_CipherFinal_ex(c, fin, &n) <= 0) {
		err = EBADMSG;
		if (len)
			(void)gcm_seal(c, iv, a, alen, b, blen, p, len, scratch);
	}
out:
	if (err)
		ERR_clear_error();
	return err;
}

static int gcm_rtp_seal(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
			uint32_t ssrc, uint64_t index, uint8_t *tag, size_t tag_len)
{
	uint8_t iv[12];
	(void)tag_len;
	gcm_iv(k, ssrc, index, iv);
	/* RFC 7714 8.2: the associated data is the RTP header, CSRCs and extension included. */
	return gcm_seal(k->cipher, iv, pkt, hdr, NULL, 0, pkt + hdr, end - hdr, tag);
}

static int gcm_rtp_open(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
			uint32_t ssrc, uint64_t index, const uint8_t *tag, size_t tag_len)
{
	uint8_t iv[12];
	(void)tag_len;
	gcm_iv(k, ssrc, index, iv);
	return gcm_open(k->cipher, iv, pkt, hdr, NULL, 0, pkt + hdr, end - hdr, tag);
}

static int gcm_rtp_undo(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end,
			uint32_t ssrc, uint64_t index)
{
	uint8_t iv[12], tag[GCM_TAG];
	gcm_iv(k, ssrc, index, iv);
	return gcm_seal(k->cipher, iv, pkt, hdr, NULL, 0, pkt + hdr, end - hdr, tag);
}

/* RFC 7714 9.2: with the E flag the associated data is the 8-octet RTCP header and the
 * E|index word, the rest is encrypted; without it everything is associated data (17.2). */
static int gcm_rtcp_seal(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			 uint32_t eidx, uint8_t *tag, size_t tag_len)
{
	uint8_t iv[12], w[4];
	size_t aad = (eidx & SR_SRTCP_E_FLAG) ? 8 : end;
	(void)tag_len;
	sr_put_be32(w, eidx);
	gcm_iv(k, ssrc, eidx & ~SR_SRTCP_E_FLAG, iv);
	return gcm_seal(k->cipher, iv, pkt, aad, w, 4, pkt + aad, end - aad, tag);
}

static int gcm_rtcp_open(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			 uint32_t eidx, const uint8_t *tag, size_t tag_len)
{
	uint8_t iv[12], w[4];
	size_t aad = (eidx & SR_SRTCP_E_FLAG) ? 8 : end;
	(void)tag_len;
	sr_put_be32(w, eidx);
	gcm_iv(k, ssrc, eidx & ~SR_SRTCP_E_FLAG, iv);
	return gcm_open(k->cipher, iv, pkt, aad, w, 4, pkt + aad, end - aad, tag);
}

const struct sr_xform sr_xform_gcm = {
	.init = gcm_init,
	.rtp_seal = gcm_rtp_seal,
	.rtp_open = gcm_rtp_open,
	.rtp_undo = gcm_rtp_undo,
	.rtcp_seal = gcm_rtcp_seal,
	.rtcp_open = gcm_rtcp_open,
};
