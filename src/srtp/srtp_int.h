/* Private to src/srtp: the suite table, the per-session and per-SSRC state, and the two
 * transforms (AES-CM + HMAC-SHA1 of RFC 3711 / RFC 6188, AES-GCM of RFC 7714). Tests include
 * it to reach the key derivation and to seed state; nothing outside src/srtp and tests may. */
#ifndef SOTTO_SRTP_SRTP_INT_H
#define SOTTO_SRTP_SRTP_INT_H

#include <openssl/evp.h>

#include "srtp/srtp.h"

/* RFC 3711 4.3.2: key derivation labels. */
enum sr_label {
	SR_LABEL_RTP_ENC = 0x00,
	SR_LABEL_RTP_AUTH = 0x01,
	SR_LABEL_RTP_SALT = 0x02,
	SR_LABEL_RTCP_ENC = 0x03,
	SR_LABEL_RTCP_AUTH = 0x04,
	SR_LABEL_RTCP_SALT = 0x05,
};

#define SR_AUTH_KEY_LEN 20	/* RFC 3711 5.2: n_a = 160 bits for HMAC-SHA1 */
#define SR_SSRC_MAX 16		/* sources tracked per session, least recently used goes */
#define SR_REPLAY_WINDOW 64	/* RFC 3711 3.3.2: at least 64 */
#define SR_MAX_PACKET 65535	/* keeps the AES-CM block counter within its 16 bits */
#define SR_SRTP_MAX_INDEX (UINT64_C(1) << 48)	/* RFC 3711 9.2 */
#define SR_SRTCP_MAX_INDEX (UINT64_C(1) << 31)	/* RFC 3711 3.4 */
#define SR_SRTCP_E_FLAG 0x80000000u

/* Session keys of one of SRTP or SRTCP, as derived (RFC 3711 4.3) or given by a test. */
struct sr_session_keys {
	uint8_t key[SR_MAX_KEY];
	uint8_t salt[SR_MAX_SALT];
	uint8_t auth[SR_AUTH_KEY_LEN];
};

struct sr_hmac;

/* Keyed contexts for one of SRTP or SRTCP, built once per session. */
struct sr_keyset {
	EVP_CIPHER_CTX *cipher; /* AES-ECB making the AES-CM keystream, or AES-GCM */
	struct sr_hmac *hmac;	/* NULL for AEAD suites */
	uint8_t salt[SR_MAX_SALT];
};

/* A transform: the cryptography of one suite family. The caller has parsed and bounded the
 * packet; the transform encrypts/decrypts in place and makes or checks the tag. */
struct sr_xform {
	int (*init)(struct sr_keyset *k, const struct sr_suite_info *info, const char *cipher,
		    size_t salt_len, const struct sr_session_keys *sk);
	/* SRTP: pkt[0..hdr) header, pkt[hdr..end) payload, index = ROC << 16 | SEQ. */
	int (*rtp_seal)(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end, uint32_t ssrc,
			uint64_t index, uint8_t *tag, size_t tag_len);
	/* Checks the tag before the payload changes; on EBADMSG pkt is as it was. */
	int (*rtp_open)(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end, uint32_t ssrc,
			uint64_t index, const uint8_t *tag, size_t tag_len);
	/* Encrypts again what rtp_open decrypted, restoring the packet. */
	int (*rtp_undo)(struct sr_keyset *k, uint8_t *pkt, size_t hdr, size_t end, uint32_t ssrc,
			uint64_t index);
	/* SRTCP: pkt[0..8) header, pkt[8..end) the encrypted portion when eidx has the E flag;
	 * eidx is the E|SRTCP index word, authenticated wherever the layout puts it. */
	int (*rtcp_seal)(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			 uint32_t eidx, uint8_t *tag, size_t tag_len);
	int (*rtcp_open)(struct sr_keyset *k, uint8_t *pkt, size_t end, uint32_t ssrc,
			 uint32_t eidx, const uint8_t *tag, size_t tag_len);
};

extern const struct sr_xform sr_xform_cm_hmac;
extern const struct sr_xform sr_xform_gcm;

struct sr_suite_def {
	struct sr_suite_info info;
	const char *kdf_cipher;	 /* AES-ECB under the master key for the AES-CM PRF */
	const char *cipher;	 /* session cipher */
	size_t session_salt_len; /* 14 for AES-CM, 12 for GCM (RFC 7714 8.1) */
	size_t auth_key_len;	 /* 0 for AEAD */
	bool aead;		 /* tag inside the ciphertext: MKI and SRTCP index follow it */
	const struct sr_xform *xf;
};

extern const struct sr_suite_def sr_suites[SR_SUITE_COUNT];

/* Sliding window over packet indexes (RFC 3711 3.3.2): top is the highest index accepted,
 * bit i of mask stands for index top - i. */
struct sr_replay {
	uint64_t top;
	uint64_t mask;
};

struct sr_ssrc {
	uint32_t ssrc;
	uint64_t stamp; /* last use, for LRU; 0: free slot */
	bool rtp_seen, rtcp_seen;
	struct sr_replay rtp;  /* top = ROC << 16 | s_l */
	struct sr_replay rtcp; /* SRTCP index */
};

struct sr_session {
	/* What an SRTP packet reads and writes first, in the first two cache lines (sr_prefetch);
	 * SRTCP's keys and the source table after. */
	const struct sr_suite_def *def;
	struct sr_keyset rtp;
	uint64_t lifetime; /* packets (SRTP + SRTCP) allowed under this key */
	uint64_t rtp_count, rtcp_count;
	uint64_t clock; /* LRU stamps */
	unsigned last;	/* slot of the last source used */
	size_t mki_len;
	struct sr_stats stats;
	uint8_t mki[SR_MAX_MKI];
	struct sr_keyset rtcp;
	struct sr_ssrc src[SR_SSRC_MAX];
};

/* kdf.c: the AES-CM PRF of RFC 3711 4.3.3 (RFC 6188 for 256-bit keys), kdr 0. */
int sr_kdf(enum sr_suite suite, const uint8_t *master_key, const uint8_t *master_salt,
	   uint8_t label, uint8_t *out, size_t len);
int sr_kdf_session(const struct sr_suite_def *def, const uint8_t *master_key,
		   const uint8_t *master_salt, struct sr_session_keys *rtp,
		   struct sr_session_keys *rtcp);

/* cm.c: AES in counter mode (RFC 3711 4.1.1) from an AES-ECB context keyed once. */
EVP_CIPHER_CTX *sr_cm_ctx_new(const char *ecb_cipher, const uint8_t *key);
int sr_cm_xor(EVP_CIPHER_CTX *ecb, const uint8_t iv[16], uint8_t *p, size_t len);

/* hmac.c: HMAC-SHA1 (RFC 2104) from precomputed inner and outer states. */
int sr_hmac_alloc(struct sr_hmac **hp, const uint8_t *key, size_t len);
void sr_hmac_free(struct sr_hmac *h);
void sr_hmac_prefetch(const struct sr_hmac *h);
void sr_hmac_sha1(const struct sr_hmac *h, const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen, uint8_t out[20]);

/* replay.c: ROC estimation, replay windows and the SSRC table. */
int sr_rtp_estimate(const struct sr_replay *r, uint16_t seq, uint64_t *index);
int sr_replay_check(const struct sr_replay *r, uint64_t index);
void sr_replay_update(struct sr_replay *r, uint64_t index);
struct sr_ssrc *sr_ssrc_find(struct sr_session *s, uint32_t ssrc);
struct sr_ssrc *sr_ssrc_add(struct sr_session *s, uint32_t ssrc);

/* srtp.c */
int sr_session_alloc_keys(struct sr_session **sp, enum sr_suite suite,
			  const struct sr_session_keys *rtp, const struct sr_session_keys *rtcp,
			  const uint8_t *mki, size_t mki_len, uint64_t lifetime);
int sr_lifetime_check(const struct sr_session *s, bool rtcp);
/* Test hook: a source's state as if its last packet had SRTP index rtp_index (ROC << 16 | SEQ)
 * and its last SRTCP packet index rtcp_index; SR_SEED_NONE leaves that part alone. */
#define SR_SEED_NONE UINT64_MAX
int sr_ssrc_seed(struct sr_session *s, uint32_t ssrc, uint64_t rtp_index, uint64_t rtcp_index);

static inline uint32_t sr_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sr_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
