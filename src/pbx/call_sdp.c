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

/* Where a leg's signalling comes from: its RTP is likely to come from that host too (NAT). */
static const struct sa *signal_addr(const struct sip_dialog *d)
{
	return d && sip_dialog_peer(d) ? &sip_dialog_peer(d)->remote : NULL;
}

/* Point a side of the bridge at what an m= line says; no address means hold. sig: where the
 * side's signalling comes from, NULL to leave it as it was. */
static void set_remote(struct media_bridge *br, int side, const struct sdp_media *m, bool mux,
		       const struct sa *sig)
{
	struct sdp_peer p;
	struct sa rtp, rtcp;
	if (sig && sig->len)
		media_bridge_set_signal(br, side, sig);
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
	set_remote(br, side, m, mux, NULL);
}

/* The RTP clock of the first codec an m= line lists, the one both ends send (telephone-event
 * and comfort noise skipped: they ride along at the voice codec's clock); 0 when unknown. */
static uint32_t first_clock(const struct sdp_media *m)
{
	for (size_t i = 0; i < m->nfmt; i++) {
		struct sdp_rtpmap rm;
		if (sdp_media_rtpmap(m, m->pt[i], &rm) || pl_caseeq_str(rm.name, "telephone-event") ||
		    pl_caseeq_str(rm.name, "CN"))
			continue;
		return rm.clock;
	}
	return 0;
}

void call_sdp_set_rate(struct call_media *cm, const struct sdp_media *m)
{
	uint32_t hz = first_clock(m);
	/* the relay starts at 8000 Hz (media.h): most calls never need the command */
	if (!cm->bridge || !hz || hz == (cm->rate ? cm->rate : 8000))
		return;
	if (!media_bridge_set_clock_rate(cm->bridge, SIDE_A, hz) &&
	    !media_bridge_set_clock_rate(cm->bridge, SIDE_B, hz))
		cm->rate = hz;
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

static int bridge_failed(const struct call *c, int err, uint16_t *code, const char **reason)
{
	log_warn("call %s: no media bridge: %s", c->id, strerror(err));
	return fail(code, reason, 503, "No media ports free");
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
		else if ((err = media_bridge_alloc(m, &cm->bridge, c)) != 0)
			err = bridge_failed(c, err, code, reason);
		if (!err) {
			set_remote(cm->bridge, SIDE_A, om, om->rtcp_mux, signal_addr(c->a_dlg));
			media_bridge_set_crypto(cm->bridge, SIDE_A, cm->a_srtp ? &rx : NULL,
						cm->a_srtp ? &cm->a_tx.key : NULL);
			call_sdp_set_rate(cm, om); /* until the answer says (the echo test's own) */
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

/* What we offer a leg (a fork of B, or A after a late offer), from its policy and its
 * transport. */
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

/* Apply a fork's answer to the B side of each bridge; with apply false only check it against
 * the policy (so an early answer that fails leaves the bridge untouched). */
static int apply_answer_b(struct call *c, struct branch *b, const struct sdp *ans, bool apply,
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
		if (apply) {
			cm->b_srtp = err == 0;
			cm->suite_b = cm->b_srtp ? sdp_suite_name(tx.suite) : NULL;
			set_remote(cm->bridge, SIDE_B, am, am->rtcp_mux, signal_addr(b->dlg));
			media_bridge_set_crypto(cm->bridge, SIDE_B, cm->b_srtp ? &rx : NULL,
						cm->b_srtp ? &tx : NULL);
			call_sdp_set_rate(cm, am);
		}
		if (err == 0) {
			OPENSSL_cleanse(&tx, sizeof(tx));
			OPENSSL_cleanse(&rx, sizeof(rx));
		}
	}
	return 0;
}

/* Our answer toward A at A's current o= version. */
static int build_answer_a(struct call *c, const struct sdp *offer_a, const struct sdp *answer_b,
			  const char *addr, struct mbuf *out)
{
	struct sdp_desc *d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
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
	int err = sdp_build(out, d);
	free(d);
	return err;
}

static void wipe_free(char **p, size_t *len)
{
	if (*p)
		OPENSSL_cleanse(*p, *len);
	free(*p);
	*p = NULL;
	*len = 0;
}

/* Our answer toward A. Once A holds one (a 183's), the same bytes again while nothing
 * changed: a UA may take the 2xx's SDP for a new answer only if its o= version grew (RFC 3264
 * 8), and many compare the bytes; a changed one (another fork won, the callee's codecs or
 * direction moved) gets the next version. Same keys either way: A already has ours. */
static int answer_a_stable(struct call *c, const struct sdp *offer_a,
			   const struct sdp *answer_b, const char *addr, struct mbuf *out)
{
	int err;
	if (c->a_sent) {
		err = build_answer_a(c, offer_a, answer_b, addr, out);
		if (err || (out->len == c->a_sent_len && !memcmp(out->buf, c->a_sent, out->len)))
			return err;
		OPENSSL_cleanse(out->buf, out->len);
		mbuf_reset(out);
	}
	sdp_origin_bump(&c->a_origin);
	return build_answer_a(c, offer_a, answer_b, addr, out);
}

int call_sdp_answer(struct call *c, struct branch *b, const struct sdp *offer_a,
		    const struct sdp *answer_b, const char *addr, struct mbuf *out, uint16_t *code,
		    const char **reason)
{
	int err;
	if (answer_b) {
		err = apply_answer_b(c, b, answer_b, true, code, reason);
		if (err)
			return err;
		call_reinv_note(c, SIDE_B, answer_b, b);
	}
	err = answer_a_stable(c, offer_a, answer_b, addr, out);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++)
		sdp_key_wipe(&c->media[i].a_tx);
	wipe_free(&c->a_sent, &c->a_sent_len);
	if (err)
		return fail(code, reason, 500, "Cannot build the answer");
	return 0;
}

int call_sdp_early(struct call *c, struct branch *b, const struct sdp *offer_a,
		   const struct sdp *answer_b, const char *addr, struct mbuf *out, uint16_t *code,
		   const char **reason)
{
	int err = apply_answer_b(c, b, answer_b, false, code, reason);
	if (!err)
		err = apply_answer_b(c, b, answer_b, true, code, reason);
	if (err)
		return err;
	if (answer_a_stable(c, offer_a, answer_b, addr, out))
		return fail(code, reason, 500, "Cannot build the answer");
	char *copy = malloc(out->len ? out->len : 1);
	if (!copy)
		return fail(code, reason, 500, "Out of memory");
	memcpy(copy, out->buf, out->len);
	wipe_free(&c->a_sent, &c->a_sent_len);
	c->a_sent = copy;
	c->a_sent_len = out->len;
	return 0;
}

/* The mode an m= line of a peer's offer asks for, as we may honour it: keys only from a TLS
 * leg (RFC 4568 8.3). An error reason when the policy forbids the stream. */
static const char *offer_mode_in(const struct sdp_media *om, bool tls,
				 enum conf_encryption policy, enum sdp_srtp *mode)
{
	*mode = sdp_media_srtp(om);
	if (*mode != SDP_SRTP_NONE && !tls) {
		if (*mode == SDP_SRTP_MANDATORY)
			return "SRTP keys sent without TLS";
		*mode = SDP_SRTP_NONE; /* burnt keys: ignore them */
	}
	if (*mode == SDP_SRTP_MANDATORY && policy == ENC_OFF)
		return "Encryption is off for this extension";
	return NULL;
}

int call_sdp_late_offer(struct call *c, struct branch *b, const struct sdp *offer_b,
			struct media *m, const char *addr, struct mbuf *out, uint16_t *code,
			const char **reason)
{
	size_t bridged = 0;
	enum sdp_srtp a_mode = offer_mode(c->a_policy, c->a_tls);
	int err = 0;

	c->nmedia = offer_b->nmedia;
	for (size_t i = 0; i < offer_b->nmedia && i < CALL_MAX_MEDIA && !err; i++) {
		const struct sdp_media *om = &offer_b->media[i];
		struct call_media *cm = &c->media[i];
		struct sr_key rx;
		memset(&rx, 0, sizeof(rx));
		if (!anchored(om))
			continue; /* refused toward A and in our answer to B */
		if (b) {
			enum sdp_srtp mode;
			const char *why = offer_mode_in(om, b->tls, b->policy, &mode);
			if (why)
				return fail(code, reason, 488, why);
			if (mode != SDP_SRTP_NONE && b->policy != ENC_OFF) {
				if (sdp_crypto_answer(om, SDP_SUITES_ALL, &c->b_tx[i], &rx) == 0) {
					cm->b_srtp = true;
					cm->suite_b = sdp_suite_name(c->b_tx[i].key.suite);
				} else if (mode == SDP_SRTP_MANDATORY) {
					return fail(code, reason, 488, "No usable SRTP crypto suite");
				}
			}
			if (b->policy == ENC_MANDATORY && !cm->b_srtp)
				return fail(code, reason, 488, "Encryption required: SRTP over TLS");
		}
		if ((err = media_bridge_alloc(m, &cm->bridge, c)) != 0)
			err = bridge_failed(c, err, code, reason);
		else if (b) {
			set_remote(cm->bridge, SIDE_B, om, om->rtcp_mux, signal_addr(b->dlg));
			media_bridge_set_crypto(cm->bridge, SIDE_B, cm->b_srtp ? &rx : NULL,
						cm->b_srtp ? &c->b_tx[i].key : NULL);
			call_reinv_note_media(c, SIDE_B, i, om, cm->b_srtp ? &c->b_tx[i] : NULL,
					      cm->b_srtp ? &rx : NULL);
		}
		if (cm->b_srtp)
			OPENSSL_cleanse(&rx, sizeof(rx));
		if (!err && a_mode != SDP_SRTP_NONE && sdp_keys_offer(&c->a_keys[i], SDP_SUITES_ALL))
			err = fail(code, reason, 500, "Cannot make keys");
		bridged += !err;
	}
	if (err)
		return err;
	if (!bridged)
		return fail(code, reason, 488, "No usable media stream");

	struct sdp_desc *d = calloc(1, sizeof(*d));
	if (!d)
		return fail(code, reason, 500, "Out of memory");
	sdp_origin_bump(&c->a_origin);
	d->origin = c->a_origin;
	d->addr = addr;
	d->nmedia = offer_b->nmedia;
	for (size_t i = 0; i < offer_b->nmedia; i++) {
		const struct sdp_media *om = &offer_b->media[i];
		struct sdp_desc_media *dm = &d->media[i];
		struct media_bridge *br = i < CALL_MAX_MEDIA ? c->media[i].bridge : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!br)
			continue;
		struct sa rtp, rtcp;
		media_bridge_local(br, SIDE_A, &rtp, &rtcp);
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = true;
		dm->proto = sdp_proto_for(a_mode, sdp_proto_is_avpf(om->proto));
		if (a_mode != SDP_SRTP_NONE) {
			dm->keys = c->a_keys[i].key;
			dm->nkeys = c->a_keys[i].n;
		}
	}
	err = sdp_build(out, d);
	free(d);
	return err ? fail(code, reason, 500, "Cannot build the offer") : 0;
}

int call_sdp_late_answer(struct call *c, struct branch *b, const struct sdp *offer_b,
			 const struct sdp *answer_a, const char *addr, struct mbuf *out,
			 uint16_t *code, const char **reason)
{
	enum sdp_srtp a_mode = offer_mode(c->a_policy, c->a_tls);
	/* check first: nothing is applied from an answer that fails */
	for (int apply = 0; apply < 2; apply++) {
		for (size_t i = 0; i < c->nmedia && i < CALL_MAX_MEDIA; i++) {
			struct call_media *cm = &c->media[i];
			if (!cm->bridge)
				continue;
			if (i >= answer_a->nmedia)
				return fail(code, reason, 488, "Caller's answer lacks a stream");
			const struct sdp_media *am = &answer_a->media[i];
			if (!am->port)
				continue;
			struct sr_key tx, rx;
			int err = a_mode == SDP_SRTP_NONE ? ENOENT
							  : sdp_keys_match(&c->a_keys[i], am, &tx, &rx);
			if (err == EPROTO)
				return fail(code, reason, 488, "Caller's crypto answer is invalid");
			if (err && a_mode == SDP_SRTP_MANDATORY)
				return fail(code, reason, 488, "Caller answered without SRTP");
			if (apply) {
				cm->a_srtp = err == 0;
				cm->suite_a = cm->a_srtp ? sdp_suite_name(tx.suite) : NULL;
				set_remote(cm->bridge, SIDE_A, am, am->rtcp_mux,
					   signal_addr(c->a_dlg));
				media_bridge_set_crypto(cm->bridge, SIDE_A, cm->a_srtp ? &rx : NULL,
							cm->a_srtp ? &tx : NULL);
				call_sdp_set_rate(cm, am);
				/* for re-offers: our key toward A under the tag A accepted */
				struct sdp_key ours;
				memset(&ours, 0, sizeof(ours));
				if (cm->a_srtp)
					ours.key = tx;
				for (size_t k = 0; cm->a_srtp && k < c->a_keys[i].n; k++)
					if (c->a_keys[i].key[k].key.suite == tx.suite)
						ours.tag = c->a_keys[i].key[k].tag;
				call_reinv_note_media(c, SIDE_A, i, am, cm->a_srtp ? &ours : NULL,
						      cm->a_srtp ? &rx : NULL);
				sdp_key_wipe(&ours);
			}
			if (err == 0) {
				OPENSSL_cleanse(&tx, sizeof(tx));
				OPENSSL_cleanse(&rx, sizeof(rx));
			}
		}
	}
	if (!b)
		return 0;

	struct sdp_desc *d = calloc(1, sizeof(*d));
	if (!d)
		return fail(code, reason, 500, "Out of memory");
	sdp_origin_bump(&c->b_origin);
	d->origin = c->b_origin;
	d->addr = addr;
	d->nmedia = offer_b->nmedia;
	for (size_t i = 0; i < offer_b->nmedia; i++) {
		const struct sdp_media *om = &offer_b->media[i];
		struct sdp_desc_media *dm = &d->media[i];
		struct call_media *cm = i < CALL_MAX_MEDIA ? &c->media[i] : NULL;
		const struct sdp_media *am = i < answer_a->nmedia ? &answer_a->media[i] : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!cm || !cm->bridge || !am || !am->port)
			continue; /* port 0 */
		struct sa rtp, rtcp;
		media_bridge_local(cm->bridge, SIDE_B, &rtp, &rtcp);
		dm->from = am; /* the caller's choice among the callee's codecs */
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = om->rtcp_mux;
		dm->dir = sdp_dir_answer(om->dir, am->dir);
		if (cm->b_srtp) {
			dm->keys = &c->b_tx[i];
			dm->nkeys = 1;
		}
	}
	int err = sdp_build(out, d);
	free(d);
	return err ? fail(code, reason, 500, "Cannot build the answer") : 0;
}

int call_sdp_refuse(struct sdp_origin *o, const struct sdp *offer, const char *addr,
		    struct mbuf *out)
{
	struct sdp_desc *d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	sdp_origin_bump(o);
	d->origin = *o;
	d->addr = addr;
	d->nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia; i++) {
		d->media[i].from = &offer->media[i];
		d->media[i].proto = offer->media[i].proto;
		d->media[i].dir = offer->media[i].dir;
	}
	int err = sdp_build(out, d);
	free(d);
	return err;
}

struct sdp *call_sdp_parse(const char *body, size_t len)
{
	struct sdp *s = malloc(sizeof(*s));
	if (s && sdp_parse(s, body, len)) {
		free(s);
		return NULL;
	}
	return s;
}

void call_sdp_wipe(struct call *c)
{
	call_reinv_wipe(c);
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++) {
		sdp_key_wipe(&c->media[i].a_tx);
		sdp_keys_wipe(&c->a_keys[i]);
		sdp_key_wipe(&c->b_tx[i]);
	}
	wipe_free(&c->a_sent, &c->a_sent_len);
	wipe_free(&c->early_ans, &c->early_ans_len);
	wipe_free(&c->b_offer, &c->b_offer_len);
	wipe_free(&c->b_ack, &c->b_ack_len);
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
