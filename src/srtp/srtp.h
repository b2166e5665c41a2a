/* SRTP and SRTCP (RFC 3711, RFC 6188, RFC 7714) on OpenSSL 3 EVP. Prefix "sr_": libsrtp2 owns
 * "srtp_". One sr_session is one direction of one media stream under one SDES master key: it
 * keeps the per-SSRC state (rollover counter, replay window) of every source it has seen.
 * Not thread-safe: a session belongs to the media worker that owns its leg. */
#ifndef SOTTO_SRTP_SRTP_H
#define SOTTO_SRTP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sr_suite {
	SR_AES_CM_128_HMAC_SHA1_80 = 0,
	SR_AES_CM_128_HMAC_SHA1_32,
	SR_AES_256_CM_HMAC_SHA1_80, /* RFC 6188 */
	SR_AEAD_AES_128_GCM,	    /* RFC 7714, 16-octet tag */
	SR_AEAD_AES_256_GCM,
	SR_SUITE_COUNT
};

struct sr_suite_info {
	const char *name;	/* SDES name, e.g. "AES_CM_128_HMAC_SHA1_80" */
	size_t key_len;		/* master key octets */
	size_t salt_len;	/* master salt octets */
	size_t rtp_tag_len;	/* auth tag appended to SRTP */
	size_t rtcp_tag_len;	/* auth tag appended to SRTCP (after the E|index word) */
};

const struct sr_suite_info *sr_suite_info(enum sr_suite s);
/* By SDES name, case-sensitive as RFC 4568 registers them. 0 or ENOENT. */
int sr_suite_by_name(const char *name, size_t len, enum sr_suite *out);

#define SR_MAX_KEY 32
#define SR_MAX_SALT 14
#define SR_MAX_MKI 8
/* Most octets protect adds: tag + MKI + SRTCP index. */
#define SR_MAX_OVERHEAD (16 + SR_MAX_MKI + 4)

struct sr_key {
	enum sr_suite suite;
	uint8_t key[SR_MAX_KEY];
	uint8_t salt[SR_MAX_SALT];
	uint8_t mki[SR_MAX_MKI]; /* RFC 3711 MKI sent/expected with each packet */
	size_t mki_len;		 /* 0: no MKI */
	uint64_t lifetime;	 /* max packets under this key (RFC 4568 lifetime), 0: suite max */
};

struct sr_session;

/* Derive the session keys (RFC 3711 4.3, key derivation rate 0) and build the cipher and HMAC
 * contexts once. The master key is not kept; the session keys are wiped with the session.
 * 0, EINVAL, ENOMEM. */
int sr_session_alloc(struct sr_session **sp, const struct sr_key *key);
void sr_session_free(struct sr_session *s);

/* Protect in place: pkt holds len octets of RTP (or RTCP) and has room for cap octets;
 * on success *len grows by the overhead. 0, EINVAL (not RTP / no room), EKEYEXPIRED (lifetime
 * reached: re-key), EALREADY (RTP only: this SSRC already sent that SEQ, or one older than the
 * replay window; protecting it again would reuse keystream). */
int sr_protect(struct sr_session *s, uint8_t *pkt, size_t *len, size_t cap);
int sr_protect_rtcp(struct sr_session *s, uint8_t *pkt, size_t *len, size_t cap);
/* Verify and decrypt in place; *len shrinks. 0, EBADMSG (authentication failed or malformed),
 * EALREADY (replayed), EKEYEXPIRED. The tag is checked in constant time before anything
 * else changes state; on failure the packet is left as it was. */
int sr_unprotect(struct sr_session *s, uint8_t *pkt, size_t *len);
int sr_unprotect_rtcp(struct sr_session *s, uint8_t *pkt, size_t *len);

/* For a relay that takes packets of many sessions in a batch: start fetching, a few packets
 * ahead, what protecting or unprotecting an SRTP packet of s will read, so that its cache
 * misses overlap the work on earlier packets. Hints only, no effect on state. sr_prefetch
 * reads nothing of s; sr_prefetch_state reads its first lines, so call it once the lines
 * sr_prefetch asked for have had time to arrive. s must be a live session. */
void sr_prefetch(const struct sr_session *s);
void sr_prefetch_state(const struct sr_session *s);

struct sr_stats {
	uint64_t protected, unprotected, auth_failures, replays;
};
void sr_session_stats(const struct sr_session *s, struct sr_stats *st);

#endif
