/* sdp: SDP (RFC 8866) parsing and generation, offer/answer helpers (RFC 3264) and SDES
 * crypto attributes (RFC 4568) for a B2BUA that anchors media.
 *
 * Parsing is zero-copy: every pl in a struct sdp points into the caller's text, which must
 * outlive it; the parser never writes into it and never allocates. Building writes a complete
 * SDP (CRLF line ends) from a struct sdp_desc: our address, ports, direction and keys, with the
 * codecs and other attributes of a parsed m= line passed through untouched.
 *
 * Call flow for one media-anchored call, phone A -> Sotto -> phone B (one m= line shown; do
 * the same for each index i, keeping the order of the m= lines):
 *
 *   1. A's INVITE: sdp_parse(&offA, body, len) (the body must outlive offA). For offA.media[i]:
 *        mode = sdp_media_srtp(&offA.media[i]);  NONE, OPTIONAL, MANDATORY or DTLS
 *        DTLS: not supported, reject the stream (port 0) or the call (488).
 *        OPTIONAL/MANDATORY: sdp_crypto_answer(&offA.media[i], SDP_SUITES_ALL, &txA, &rxA)
 *          -> ENOENT: no usable a=crypto: 488 if MANDATORY, plain RTP if OPTIONAL.
 *        rxA decrypts what A sends us; txA (A's tag, our fresh key) encrypts what we send A.
 *   2. Our offer to B: sdp_keys_offer(&ksB, SDP_SUITES_ALL) (a fresh key per suite, tags 1..5)
 *        desc.media[i] = (struct sdp_desc_media){ .from = &offA.media[i],
 *            .port = our B-side RTP port, .rtcp_port = that port + 1, .rtcp_mux = true,
 *            .proto = sdp_proto_for(policy_B, sdp_proto_is_avpf(offA.media[i].proto)),
 *            .dir = offA.media[i].dir, .keys = ksB.key, .nkeys = ksB.n };
 *        sdp_origin_bump(&origB) (after sdp_origin_init once per leg); desc.origin = origB;
 *        sdp_build(&mb, &desc).
 *      Keep ksB until B answers (it holds secrets: sdp_keys_wipe after step 3).
 *   3. B's answer: sdp_parse(&ansB, body, len). For ansB.media[i] (port 0: B rejected it):
 *        sdp_keys_match(&ksB, &ansB.media[i], &txB, &rxB)
 *          -> 0: SRTP on leg B; ENOENT: plain RTP (fine only after an OPTIONAL offer);
 *             EPROTO: broken answer (a tag we never offered, suite changed, bad key).
 *        sdp_media_peer(&ansB.media[i], ansB.media[i].rtcp_mux (we offered a=rtcp-mux), &pB)
 *        -> media_bridge_set_remote(side B), media_bridge_set_crypto(side B, &rxB, &txB).
 *   4. Our answer to A: desc.media[i] = (struct sdp_desc_media){ .from = &ansB.media[i]
 *            (B's chosen codecs), .port = our A-side port (0 if B rejected the stream),
 *            .proto = offA.media[i].proto,
 *            .dir = sdp_dir_answer(offA.media[i].dir, ansB.media[i].dir),
 *            .rtcp_mux = offA.media[i].rtcp_mux, .keys = &txA, .nkeys = 1 (0: plain) };
 *        sdp_media_peer(&offA.media[i], offA.media[i].rtcp_mux, &pA) -> side A remote,
 *        media_bridge_set_crypto(side A, &rxA, &txA.key); wipe txA, rxA, txB, rxB.
 *
 * A re-offer (re-INVITE, UPDATE) runs the same steps with fresh keys (the relay re-keys without
 * breaking the stream). One whose o= sess_id and sess_version equal the previous offer's is
 * unchanged (RFC 3264 8): answer it with the previous answer. Session-level a= lines are not
 * passed through, only those of each m= line.
 *
 * Each leg is keyed separately: A and B never see each other's keys.
 *
 * Opportunistic SRTP (RFC 8643, "optional" mode): the offer is RTP/AVP (or RTP/AVPF) and still
 * carries a=crypto lines. An answerer that understands them answers RTP/AVP with one a=crypto
 * line, and SRTP is then used in both directions; an answer without a=crypto means plain RTP.
 * So: offering, use proto sdp_proto_for(SDP_SRTP_OPTIONAL, ...) with keys; the answer's
 * sdp_keys_match() result tells whether SRTP is on. Answering, sdp_media_srtp() returns
 * SDP_SRTP_OPTIONAL for such an offer; answer with the offer's proto and one a=crypto line
 * to turn SRTP on, or without keys to stay plain.
 *
 * Secrets: a=crypto key material is decoded only into struct sr_key / struct sdp_key, which
 * the caller wipes (sdp_key_wipe, sdp_keys_wipe); temporary buffers are wiped here. Never log
 * a crypto attribute or a built SDP that carries keys. */
#ifndef SOTTO_SDP_SDP_H
#define SOTTO_SDP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "core/pl.h"
#include "srtp/srtp.h"

#define SDP_MAX_MEDIA 16 /* m= lines per description */
#define SDP_MAX_ATTRS 64 /* a= lines per m= line, and at session level */
#define SDP_MAX_FMTS 32  /* formats (payload types) per m= line */
#define SDP_MAX_CRYPTO 8 /* a=crypto lines kept per m= line; more are ignored */
#define SDP_MAX_BW 4     /* b= lines per level */
#define SDP_MAX_KEYS 5   /* keys we offer per m= line: one per suite we implement */

/* Media direction. The bits are from the point of view of the SDP's author: SDP_SENDONLY
 * means "I send, I won't receive". */
enum sdp_dir {
	SDP_INACTIVE = 0,
	SDP_SENDONLY = 1,
	SDP_RECVONLY = 2,
	SDP_SENDRECV = 3,
};

enum sdp_proto {
	SDP_PROTO_OTHER = 0,        /* anything else (udptl, TCP/MSRP...): name kept as written */
	SDP_PROTO_RTP_AVP,          /* RTP/AVP */
	SDP_PROTO_RTP_AVPF,         /* RTP/AVPF */
	SDP_PROTO_RTP_SAVP,         /* RTP/SAVP: SRTP with SDES keys */
	SDP_PROTO_RTP_SAVPF,        /* RTP/SAVPF */
	SDP_PROTO_UDP_TLS_RTP_SAVP, /* DTLS-SRTP (RFC 5764): recognised, not supported */
	SDP_PROTO_UDP_TLS_RTP_SAVPF,
	SDP_PROTO__COUNT
};

/* What an m= line asks for, SRTP-wise. */
enum sdp_srtp {
	SDP_SRTP_NONE = 0,  /* plain RTP (or not RTP at all) */
	SDP_SRTP_OPTIONAL,  /* RFC 8643: RTP/AVP(F) with a=crypto lines, SRTP if answered */
	SDP_SRTP_MANDATORY, /* RTP/SAVP(F): SDES keys required */
	SDP_SRTP_DTLS,      /* UDP/TLS/RTP/SAVP(F): DTLS-SRTP, which we do not support */
};

/* Attributes the parser knows. The ones marked "ours" describe our transport or keys and are
 * never copied from a parsed m= line into a built one: sdp_build writes its own. */
enum sdp_attr_id {
	SDP_ATTR_OTHER = 0, /* passed through */
	SDP_ATTR_RTPMAP,    /* passed through */
	SDP_ATTR_FMTP,      /* passed through, value opaque */
	SDP_ATTR_PTIME,     /* passed through */
	SDP_ATTR_MAXPTIME,  /* passed through */
	SDP_ATTR_SENDRECV,  /* ours: direction */
	SDP_ATTR_SENDONLY,
	SDP_ATTR_RECVONLY,
	SDP_ATTR_INACTIVE,
	SDP_ATTR_RTCP,        /* ours (RFC 3605) */
	SDP_ATTR_RTCP_MUX,    /* ours (RFC 5761) */
	SDP_ATTR_CRYPTO,      /* ours (RFC 4568) */
	SDP_ATTR_FINGERPRINT, /* ours (DTLS, RFC 8122) */
	SDP_ATTR_OWNED,       /* ours, nothing else parsed: setup, ice-*, candidate, key-mgmt... */
};

/* One a= line: "a=name" or "a=name:value" (value unset, !pl_isset, without ':'). */
struct sdp_attr {
	enum sdp_attr_id id;
	struct pl name;
	struct pl value;
};

/* c= (RFC 8866 5.7). addr is unset when the line is absent. It may be a host name (the RFC
 * allows one; the relay does not resolve names, so sa_set on it fails: reject the stream).
 * A TTL or address count suffix ("/127") is not part of addr. */
struct sdp_conn {
	struct pl addr;
	bool ipv6; /* IP6 address type */
};

/* a=crypto (RFC 4568 9.1), as views. A line that cannot be used (unknown suite, bad key, a
 * session parameter we cannot honour...) is kept with error set, and is simply skipped by
 * the selection helpers: it never fails the whole SDP. */
struct sdp_crypto {
	uint32_t tag;
	struct pl suite_name;
	enum sr_suite suite; /* valid when error is NULL */
	struct pl key_info;  /* first inline key: base64(key||salt)[|lifetime][|MKI:len]. SECRET */
	struct pl params;    /* session parameters, opaque (may be empty) */
	bool multi_key;      /* several inline keys: only the first is used */
	const char *error;   /* NULL: usable; else a static reason it is skipped */
};

/* One m= line with its attributes; "effective" values already inherit the session level. */
struct sdp_media {
	struct pl type;       /* "audio", "video", "image"... */
	uint16_t port;        /* 0: stream rejected / disabled (RFC 3264 6, 8.2) */
	uint16_t port_count;  /* "port/count", 1 when absent */
	struct pl proto_name; /* as written */
	enum sdp_proto proto;
	struct pl fmts[SDP_MAX_FMTS];
	uint8_t pt[SDP_MAX_FMTS]; /* fmts as payload types, when the proto is RTP based */
	size_t nfmt;
	struct sdp_conn conn;     /* effective: the m= level c=, else the session's */
	struct pl bw[SDP_MAX_BW]; /* b= values, "AS:64" */
	size_t nbw;
	enum sdp_dir dir;    /* effective: m= level, else session level, else sendrecv */
	uint16_t rtcp_port;  /* a=rtcp port, 0 when absent */
	struct pl rtcp_addr; /* a=rtcp address, unset when absent */
	bool rtcp_mux;       /* a=rtcp-mux */
	uint32_t ptime;      /* a=ptime in ms (fraction dropped), 0 when absent */
	uint32_t maxptime;
	bool fingerprint; /* a=fingerprint here or at session level (DTLS offered) */
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	size_t ncrypto;
	struct sdp_attr attrs[SDP_MAX_ATTRS]; /* every a= line of this m= line, in order */
	size_t nattr;
};

/* A parsed description. About 66 KB: keep it off small stacks. */
struct sdp {
	struct pl origin_user, sess_id, sess_version, origin_addr; /* o= */
	struct pl name;                                            /* s= */
	struct sdp_conn conn; /* session-level c=, addr unset when absent */
	struct pl bw[SDP_MAX_BW];
	size_t nbw;
	enum sdp_dir dir;                     /* session-level direction, sendrecv when absent */
	bool fingerprint;                     /* session-level a=fingerprint */
	struct sdp_attr attrs[SDP_MAX_ATTRS]; /* session-level a= lines */
	size_t nattr;
	struct sdp_media media[SDP_MAX_MEDIA];
	size_t nmedia;
	const char *error; /* after EBADMSG: a static reason */
};

/* Parse buf[0..len): LF or CRLF line ends. 0, or EBADMSG with sdp->error set. Limits:
 * SDP_MAX_MEDIA m= lines, SDP_MAX_ATTRS a= lines per level, SDP_MAX_FMTS formats. Checked:
 * v=0 first, o= (6 fields), s=, t=, c= for every m= line with a port, m= port, proto,
 * payload types 0..127 for RTP, rtpmap, fmtp, ptime, rtcp and direction syntax, no control
 * characters (so every kept view is safe to copy into another SDP). */
int sdp_parse(struct sdp *sdp, const char *buf, size_t len);

/* Next attribute named name (case-insensitive) after prev (NULL to start); NULL when none. */
const struct sdp_attr *sdp_media_attr(const struct sdp_media *m, const char *name,
                                      const struct sdp_attr *prev);

/* a=rtpmap:<pt> <name>/<clock>[/<params>]; falls back to the static payload types of
 * RFC 3551 (0 PCMU, 8 PCMA, 9 G722, 18 G729...). 0 or ENOENT. */
struct sdp_rtpmap {
	struct pl name;   /* "PCMU", "telephone-event" */
	uint32_t clock;   /* 8000 */
	struct pl params; /* channels for audio ("2"), unset when absent */
};
int sdp_media_rtpmap(const struct sdp_media *m, uint8_t pt, struct sdp_rtpmap *out);
/* a=fmtp:<pt> parameters, opaque; unset when absent. */
struct pl sdp_media_fmtp(const struct sdp_media *m, uint8_t pt);

/* "RTP/SAVP"...; "" for SDP_PROTO_OTHER. */
const char *sdp_proto_name(enum sdp_proto p);
bool sdp_proto_is_rtp(enum sdp_proto p);
bool sdp_proto_is_srtp(enum sdp_proto p); /* SAVP/SAVPF, with or without DTLS */
bool sdp_proto_is_dtls(enum sdp_proto p);
bool sdp_proto_is_avpf(enum sdp_proto p);
/* The proto to offer for a policy: OPTIONAL and NONE give RTP/AVP(F) (RFC 8643), MANDATORY
 * gives RTP/SAVP(F). DTLS is not offered: treated as MANDATORY. */
enum sdp_proto sdp_proto_for(enum sdp_srtp mode, bool avpf);

/* What an offered m= line asks for (see enum sdp_srtp). */
enum sdp_srtp sdp_media_srtp(const struct sdp_media *m);

/* "sendrecv", "sendonly", "recvonly", "inactive". */
const char *sdp_dir_name(enum sdp_dir d);
/* The direction to answer with (RFC 3264 6.1): the mirror of the offer's, limited to what we
 * want: offer sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive, sendrecv ->
 * wanted. A B2BUA passes the far end's answered direction as wanted. */
enum sdp_dir sdp_dir_answer(enum sdp_dir offered, enum sdp_dir wanted);
/* The peer put this stream on hold: sendonly or inactive, or the legacy c=0.0.0.0 (RFC 3264
 * 8.4, RFC 2543). */
bool sdp_media_held(const struct sdp_media *m);
/* RFC 5761: multiplexing is on when the offer and the answer both carry a=rtcp-mux. */
bool sdp_rtcp_mux_agreed(const struct sdp_media *offer, const struct sdp_media *answer);

/* Where the peer of an m= line receives: RTP at c= address and m= port; RTCP at the a=rtcp
 * address and port (RFC 3605), else the same address and RTP port + 1, or the RTP port when
 * mux (agreed) is set. An address of 0.0.0.0 means legacy hold: do not send. */
struct sdp_peer {
	struct pl addr;
	uint16_t rtp_port;
	struct pl rtcp_addr;
	uint16_t rtcp_port;
	bool ipv6;
	bool rtcp_mux;
};
void sdp_media_peer(const struct sdp_media *m, bool mux, struct sdp_peer *out);

/* --- SDES keys (RFC 4568, RFC 6188, RFC 7714) --- */

/* Suite masks for the selection helpers: bit (1 << enum sr_suite). */
#define SDP_SUITE_BIT(s) (1u << (unsigned)(s))
#define SDP_SUITES_ALL ((1u << SR_SUITE_COUNT) - 1u)

/* SDES name of a suite ("AEAD_AES_256_GCM"); "" if unknown. */
const char *sdp_suite_name(enum sr_suite s);
/* By SDES name (case-sensitive, RFC 4568 10.3.2). 0 or ENOENT. */
int sdp_suite_by_name(struct pl name, enum sr_suite *out);
/* Our preference order: AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES_256_CM_HMAC_SHA1_80,
 * AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32. Index 0..SR_SUITE_COUNT-1. */
enum sr_suite sdp_suite_pref(size_t i);

/* One key we send with, and the tag of the a=crypto line that carries it. SECRET. */
struct sdp_key {
	uint32_t tag;
	struct sr_key key;
};

/* The keys we offered on one m= line (different fresh keys per line). SECRET. */
struct sdp_keys {
	struct sdp_key key[SDP_MAX_KEYS];
	size_t n;
};

/* Parse one a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:..."; the "a=crypto:" prefix
 * is optional). Always fills *c; 0 if the line is usable, else EBADMSG with c->error set.
 * The key is test-decoded and wiped. */
int sdp_crypto_parse(struct sdp_crypto *c, struct pl value);
/* Decode a usable line's key into *out: base64 key||salt, checked against the suite's
 * lengths (16+14 AES_CM_128, 32+14 AES_256_CM, 16+12 AEAD_AES_128_GCM, 32+12
 * AEAD_AES_256_GCM), lifetime ("2^n" or decimal, 0 when absent) and MKI ("value:length",
 * length 1..8 octets). 0, EINVAL (line not usable) or EBADMSG. *out is written only on
 * success. */
int sdp_crypto_key(const struct sdp_crypto *c, struct sr_key *out);
/* A fresh key and salt for suite from the CSPRNG, no lifetime, no MKI. 0, EINVAL, EIO. */
int sdp_crypto_generate(enum sr_suite suite, uint32_t tag, struct sdp_key *out);
/* Append "a=crypto:<tag> <SUITE> inline:<base64>[|lifetime][|MKI:len]\r\n". 0, EINVAL,
 * ENOMEM. */
int sdp_crypto_format(struct mbuf *mb, const struct sdp_key *k);
void sdp_key_wipe(struct sdp_key *k);
void sdp_keys_wipe(struct sdp_keys *ks);

/* Answerer (RFC 4568 6.1, 7.1.2): the usable a=crypto line of an offered m= line with the
 * strongest suite in the suites mask (sdp_suite_pref order). 0 or ENOENT. */
int sdp_crypto_select(const struct sdp_media *offer, uint32_t suites,
                      const struct sdp_crypto **chosen);
/* Answerer, all at once: select as above, decode the offerer's key into *rx (what it sends
 * us), and generate *tx (what we send it) with the same suite and the offer's tag, ready for
 * sdp_desc_media.keys. 0, ENOENT (nothing acceptable), EIO. Outputs written only on 0. */
int sdp_crypto_answer(const struct sdp_media *offer, uint32_t suites, struct sdp_key *tx,
                      struct sr_key *rx);
/* Offerer: one fresh key per suite in the mask, strongest first, tags 1..n. 0, EINVAL (empty
 * mask), EIO. */
int sdp_keys_offer(struct sdp_keys *ks, uint32_t suites);
/* Offerer, on the answer (RFC 4568 7.1.3): the answer's a=crypto line must carry one of our
 * tags with the same suite; *tx is our key for that tag, *rx the answerer's key. 0: SRTP on;
 * ENOENT: no a=crypto in the answer (plain RTP: acceptable only after an RFC 8643 optional
 * offer); EPROTO: unknown tag, suite changed, or unusable key. Outputs written only on 0. */
int sdp_keys_match(const struct sdp_keys *ks, const struct sdp_media *answer, struct sr_key *tx,
                   struct sr_key *rx);

/* --- Building --- */

/* Our o= line values for one leg. The version must grow with each new offer or answer that
 * changes anything (RFC 3264 8); bumping for every new one (never for a retransmission) is
 * always correct. */
struct sdp_origin {
	uint64_t id;
	uint64_t version;
};
/* Random session id, version 1. 0 or EIO. */
int sdp_origin_init(struct sdp_origin *o);
static inline void sdp_origin_bump(struct sdp_origin *o) { o->version++; }

/* One m= line to write. */
struct sdp_desc_media {
	/* Required: the parsed m= line whose media type, formats, b= lines and pass-through
	 * attributes (rtpmap, fmtp, ptime, maxptime, ssrc, label... everything not "ours" in
	 * enum sdp_attr_id) are copied untouched. */
	const struct sdp_media *from;
	uint16_t port;        /* our RTP port; 0 rejects the stream (only the m= line) */
	enum sdp_proto proto; /* SDP_PROTO_OTHER: from->proto_name as written */
	enum sdp_dir dir;
	uint16_t rtcp_port;         /* a=rtcp:<port>; 0: no a=rtcp line */
	bool rtcp_mux;              /* a=rtcp-mux: offer it / agree to it */
	const struct sdp_key *keys; /* a=crypto lines, in order; NULL/0 for none */
	size_t nkeys;
};

struct sdp_desc {
	struct sdp_origin origin;
	const char *addr; /* our numeric IPv4 or IPv6 address for o= and c= */
	struct sdp_desc_media media[SDP_MAX_MEDIA];
	size_t nmedia;
};

/* Append the complete SDP: v=0, o=- <id> <version> IN IP4|IP6 <addr>, s=-, c=, t=0 0, then
 * per m= line: m=<type> <port> <proto> <fmts>, b= and pass-through attributes, a=rtcp,
 * a=rtcp-mux, the direction, a=crypto. Room is reserved up front so the buffer does not move
 * (leaving copies of keys behind) while keys are written; on failure what was appended is
 * wiped and removed. 0, EINVAL (bad description), ENOMEM. */
int sdp_build(struct mbuf *mb, const struct sdp_desc *d);

#endif
