/* SRTP key derivation (RFC 3711 4.3) with key derivation rate 0, using the AES-CM PRF
 * (RFC 3711 4.3.3) under the master key: AES-128 for the 128-bit suites, AES_256_CM_PRF
 * (RFC 6188 5.1) for AES_256_CM_HMAC_SHA1_80 and AEAD_AES_256_GCM (RFC 7714 11). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp/srtp_int.h"

/* RFC 3711 4.3.1: with kdr 0, r = index DIV kdr is 0, so key_id = label || 0^48 and
 * x = key_id XOR master_salt: the label lands on octet 7 of the 14-octet salt. The PRF
 * output is the AES-CM keystream for IV = x * 2^16 (4.3.3).
 *
 * RFC 7714's 12-octet master salt is first multiplied by 2^16 to fill those 14 octets
 * (RFC 7714 errata 4938, and what libsrtp does): its last two octets are zero. */
static int derive(EVP_CIPHER_CTX *ecb, const uint8_t *master_salt, size_t salt_len,
		  uint8_t label, uint8_t *out, size_t len)
{
	uint8_t iv[16] = {0};
	memcpy(iv, master_salt, salt_len);
	iv[7] ^= label;
	memset(out, 0, len);
	return sr_cm_xor(ecb, iv, out, len);
}

int sr_kdf(enum sr_suite suite, const uint8_t *master_key, const uint8_t *master_salt,
	   uint8_t label, uint8_t *out, size_t len)
{
	if ((unsigned)suite >= SR_SUITE_COUNT || !master_key || !master_salt || !out)
		return EINVAL;
	const struct sr_suite_def *def = &sr_suites[suite];
	EVP_CIPHER_CTX *ecb = sr_cm_ctx_new(def->kdf_cipher, master_key);
	if (!ecb)
		return ENOMEM;
	int err = derive(ecb, master_salt, def->info.salt_len, label, out, len);
	EVP_CIPHER_CTX_free(ecb);
	return err;
}

/* All six session values of RFC 3711 4.3.2 under one keyed PRF context. */
int sr_kdf_session(const struct sr_suite_def *def, const uint8_t *master_key,
		   const uint8_t *master_salt, struct sr_session_keys *rtp,
		   struct sr_session_keys *rtcp)
{
	size_t kl = def->info.key_len, sl = def->info.salt_len, ssl = def->session_salt_len;
	EVP_CIPHER_CTX *ecb = sr_cm_ctx_new(def->kdf_cipher, master_key);
	int err = 0;

	if (!ecb)
		return ENOMEM;
	memset(rtp, 0, sizeof(*rtp));
	memset(rtcp, 0, sizeof(*rtcp));
	err = derive(ecb, master_salt, sl, SR_LABEL_RTP_ENC, rtp->key, kl);
	err = err ? err : derive(ecb, master_salt, sl, SR_LABEL_RTP_SALT, rtp->salt, ssl);
	err = err ? err : derive(ecb, master_salt, sl, SR_LABEL_RTCP_ENC, rtcp->key, kl);
	err = err ? err : derive(ecb, master_salt, sl, SR_LABEL_RTCP_SALT, rtcp->salt, ssl);
	if (!err && def->auth_key_len) {
		err = derive(ecb, master_salt, sl, SR_LABEL_RTP_AUTH, rtp->auth,
			     def->auth_key_len);
		err = err ? err
			  : derive(ecb, master_salt, sl, SR_LABEL_RTCP_AUTH, rtcp->auth,
				   def->auth_key_len);
	}
	EVP_CIPHER_CTX_free(ecb);
	if (err) {
		OPENSSL_cleanse(rtp, sizeof(*rtp));
		OPENSSL_cleanse(rtcp, sizeof(*rtcp));
	}
	return err;
}
