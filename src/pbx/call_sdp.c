/* call_sdp: offer/answer across the two legs of a call (RFC 3264, RFC 4568, RFC 8643) and the
 * media bridge settings that follow from it. Each leg gets keys of its own: what A sends is
 * decrypted with A's key and re-encrypted for B with a key B never shares with A. Keys that
 * arrived over an unencrypted transport are never used (RFC 4568 8.3: SDES needs a secure
 * signalling channel). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "pbx/call_int.h"

/* The relay address of an SDP peer; false for legacy hold (0.0.0.0) or a host name. */
static bool peer_sa(struct pl addr, uint16_t port, struct sa *out)
{
	if (!port || sa_set(out, addr, port))
		return false;
	return !sa_is_any(out);
}

/* Point a side of the bridge at what an m= line says; no address means hold. */
static void set_remote(struct media_bridge *br, int side, const struct sdp_media *m, bool mux)
{
	struct sdp_peer p;
	struct sa rtp, rtcp;
	sdp_media_peer(m, mux, &p);
	bool ok = peer_sa(p.addr, p.rtp_port, &rtp);
	if (ok && !peer_sa(p.rtcp_addr.p ? p.rtcp_addr : p.addr, p.rtcp_port, &rtcp))
		rtcp = rtp;
	if (ok)
		media_bridge_set_remote(br, side, &rtp, &rtcp, p.rtcp_mux);
	/* we send toward this side only while it wants to receive */
	media_bridge_set_sending(br, side, ok && (m->dir & SDP_RECVONLY) && !sdp_media_held(m));
}

void call_sdp_set_remote(struct media_bridge *br, int side, const struct sdp_media *m, bool mux)
{
	set_remote(br, side, m, mux);
}

static bool anchored(const struct sdp_media *m)
{
	return m->port && sdp_proto_is_rtp(m->proto) && !sdp_proto_is_dtls(m->proto);
}

static int fail(uint16_t *code, const char **reason, uint16_t c, const char *r)
{
	*code = c;
	*reason = r;
	return EPROTO;
}

int call_sdp_offer_from_a(struct call *c, struct media *m, const struct sdp *offer,
			  uint16_t *code, const char **reason)
{
	size_t bridged = 0;
	c->nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct sdp_media *om = &offer->media[i];
		struct call_media *cm = &c->media[i];
		if (!anchored(om))
			continue; /* refused on both legs with port 0 */
		enum sdp_srtp mode = sdp_media_srtp(om);
		if (mode != SDP_SRTP_NONE && !c->a_tls) {
			if (mode == SDP_SRTP_MANDATORY)
				return fail(code, reason, 488, "SRTP keys sent without TLS");
			mode = SDP_SRTP_NONE; /* burnt keys: ignore them */
		}
		if (mode == SDP_SRTP_MANDATORY && c->a_policy == ENC_OFF)
			return fail(code, reason, 488, "Encryption is off for this extension");
		struct sr_key rx;
		if (mode != SDP_SRTP_NONE && c->a_policy != ENC_OFF) {
			if (sdp_crypto_answer(om, SDP_SUITES_ALL, &cm->a_tx, &rx) == 0) {
				cm->a_srtp = true;
				cm->suite_a = sdp_suite_name(cm->a_tx.key.suite);
			} else if (mode == SDP_SRTP_MANDATORY) {
				return fail(code, reason, 488, "No usable SRTP crypto suite");
			}
		}
		int err = 0;
		if (c->a_policy == ENC_MANDATORY && !cm->a_srtp)
			err = fail(code, reason, 488, "Encryption required: SRTP over TLS");
		else if (media_bridge_alloc(m, &cm->bridge, c))
			err = fail(code, reason, 503, "No media ports free");
		if (!err) {
			set_remote(cm->bridge, SIDE_A, om, om->rtcp_mux);
			media_bridge_set_crypto(cm->bridge, SIDE_A, cm->a_srtp ? &rx : NULL,
						cm->a_srtp ? &cm->a_tx.key : NULL);
		}
		OPENSSL_cleanse(&rx, sizeof(rx));
		if (err)
			return err;
		bridged++;
	}
	if (!bridged)
		return fail(code, reason, 488, "No usable media stream");
	call_reinv_note(c, SIDE_A, offer, NULL);
	return 0;
}

/* What we offer a fork of B, from its extension's policy and its transport. */
static enum sdp_srtp offer_mode(enum conf_encryption policy, bool tls)
{
	if (!tls || policy == ENC_OFF)
		return SDP_SRTP_NONE;
	return policy == ENC_MANDATORY ? SDP_SRTP_MANDATORY : SDP_SRTP_OPTIONAL;
}

int call_sdp_offer_to_b(struct call *c, struct branch *b, const struct sdp *offer_a,
			const char *addr, struct mbuf *out)
{
	struct sdp_desc *d = calloc(1, sizeof(*d));
	int err = 0;
	if (!d)
		return ENOMEM;
	b->mode = offer_mode(b->policy, b->tls);
	sdp_origin_bump(&c->b_origin);
	d->origin = c->b_origin;
	d->addr = addr;
	d->nmedia = offer_a->nmedia;
	for (size_t i = 0; i < offer_a->nmedia; i++) {
		const struct sdp_media *om = &offer_a->media[i];
		struct sdp_desc_media *dm = &d->media[i];
		struct media_bridge *br = i < CALL_MAX_MEDIA ? c->media[i].bridge : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!br)
			continue; /* port 0: refused */
		struct sa rtp, rtcp;
		media_bridge_local(br, SIDE_B, &rtp, &rtcp);
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = true;
		dm->proto = sdp_proto_for(b->mode, sdp_proto_is_avpf(om->proto));
		if (b->mode != SDP_SRTP_NONE) {
			err = sdp_keys_offer(&b->keys[i], SDP_SUITES_ALL);
			if (err)
				break;
			dm->keys = b->keys[i].key;
			dm->nkeys = b->keys[i].n;
		}
	}
	if (!err)
		err = sdp_build(out, d);
	free(d);
	return err;
}

/* Apply the winning fork's answer to the B side of each bridge. */
static int apply_answer_b(struct call *c, struct branch *b, const struct sdp *ans,
			  uint16_t *code, const char **reason)
{
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
		struct call_media *cm = &c->media[i];
		if (!cm->bridge)
			continue;
		if (i >= ans->nmedia)
			return fail(code, reason, 488, "Callee's answer lacks a stream");
		const struct sdp_media *am = &ans->media[i];
		if (!am->port)
			continue; /* refused by B: refused toward A too */
		struct sr_key tx, rx;
		int err = b->mode == SDP_SRTP_NONE ? ENOENT : sdp_keys_match(&b->keys[i], am, &tx, &rx);
		if (err == EPROTO)
			return fail(code, reason, 488, "Callee's crypto answer is invalid");
		if (err && b->mode == SDP_SRTP_MANDATORY)
			return fail(code, reason, 488, "Callee answered without SRTP");
		cm->b_srtp = err == 0;
		cm->suite_b = cm->b_srtp ? sdp_suite_name(tx.suite) : NULL;
		set_remote(cm->bridge, SIDE_B, am, am->rtcp_mux);
		media_bridge_set_crypto(cm->bridge, SIDE_B, cm->b_srtp ? &rx : NULL,
					cm->b_srtp ? &tx : NULL);
		if (cm->b_srtp) {
			OPENSSL_cleanse(&tx, sizeof(tx));
			OPENSSL_cleanse(&rx, sizeof(rx));
		}
	}
	return 0;
}

int call_sdp_answer(struct call *c, struct branch *b, const struct sdp *offer_a,
		    const struct sdp *answer_b, const char *addr, struct mbuf *out, uint16_t *code,
		    const char **reason)
{
	struct sdp_desc *d;
	int err;
	if (answer_b) {
		err = apply_answer_b(c, b, answer_b, code, reason);
		if (err)
			return err;
		call_reinv_note(c, SIDE_B, answer_b, b);
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return fail(code, reason, 500, "Out of memory");
	sdp_origin_bump(&c->a_origin);
	d->origin = c->a_origin;
	d->addr = addr;
	d->nmedia = offer_a->nmedia;
	for (size_t i = 0; i < offer_a->nmedia; i++) {
		const struct sdp_media *om = &offer_a->media[i];
		struct sdp_desc_media *dm = &d->media[i];
		struct call_media *cm = i < CALL_MAX_MEDIA ? &c->media[i] : NULL;
		const struct sdp_media *am = answer_b && i < answer_b->nmedia ? &answer_b->media[i]
									       : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!cm || !cm->bridge || (answer_b && (!am || !am->port)))
			continue; /* port 0 */
		struct sa rtp, rtcp;
		media_bridge_local(cm->bridge, SIDE_A, &rtp, &rtcp);
		dm->from = am ? am : om; /* the callee's choice of codecs */
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = om->rtcp_mux;
		dm->dir = sdp_dir_answer(om->dir, am ? am->dir : SDP_SENDRECV);
		if (cm->a_srtp) {
			dm->keys = &cm->a_tx;
			dm->nkeys = 1;
		}
	}
	err = sdp_build(out, d);
	free(d);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		sdp_key_wipe(&c->media[i].a_tx);
	if (err)
		return fail(code, reason, 500, "Cannot build the answer");
	return 0;
}

void call_sdp_wipe(struct call *c)
{
	call_reinv_wipe(c);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		sdp_key_wipe(&c->media[i].a_tx);
	for (size_t j = 0; j < c->nbr; j++)
		for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
			sdp_keys_wipe(&c->br[j].keys[i]);
}

void call_leg_security(const struct call *c, int side, char *buf, size_t size)
{
	enum tp_kind kind = c->a_kind;
	const char *suite = NULL;
	bool clear = false, any = false;
	if (side == SIDE_B) {
		if (c->echo) {
			snprintf(buf, size, "-");
			return;
		}
		if (c->winner < 0) {
			snprintf(buf, size, "not connected");
			return;
		}
		kind = c->br[c->winner].kind;
	}
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct call_media *cm = &c->media[i];
		if (!cm->bridge)
			continue;
		bool srtp = side == SIDE_A ? cm->a_srtp : cm->b_srtp;
		const char *s = side == SIDE_A ? cm->suite_a : cm->suite_b;
		any = true;
		if (!srtp)
			clear = true;
		else if (!suite)
			suite = s;
	}
	if (!any)
		snprintf(buf, size, "%s, no media", tp_kind_name(kind));
	else if (clear)
		snprintf(buf, size, "%s, RTP in clear", tp_kind_name(kind));
	else
		snprintf(buf, size, "%s, SRTP %s", tp_kind_name(kind), suite ? suite : "?");
}

bool call_path_secure(const struct call *c)
{
	bool any = false;
	if (c->a_kind != TP_TLS || (!c->echo && (c->winner < 0 || c->br[c->winner].kind != TP_TLS)))
		return false;
	for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct call_media *cm = &c->media[i];
		if (!cm->bridge)
			continue;
		any = true;
		if (!cm->a_srtp || (!c->echo && !cm->b_srtp))
			return false;
	}
	return any;
}
