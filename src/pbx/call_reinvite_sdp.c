/* call_reinvite_sdp: offer/answer for re-offers inside a call (RFC 3264 8, RFC 4568 7.1.4,
 * RFC 8643). Each side's last SDP is noted per stream (codecs, direction, keys) so that a re-offer
 * can be told apart: one that changes what the other party must know (codecs, streams added or
 * removed, direction) is relayed as a re-offer to the other leg; one that only moves this leg's
 * address or keys is answered on this leg alone. Every function checks everything before it
 * changes anything, so a refused re-offer leaves both legs and the bridges as they were. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "pbx/call_int.h"

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

static bool side_tls(const struct call *c, int side)
{
	return (side == SIDE_A ? c->a_kind : c->br[c->winner].kind) == TP_TLS;
}

static enum conf_encryption side_policy(const struct call *c, int side)
{
	return side == SIDE_A ? c->a_policy : c->b_policy;
}

/* The direction an m= line says its author wants, legacy hold (c=0.0.0.0, RFC 3264 8.4) read
 * as "does not receive". */
static enum sdp_dir eff_dir(const struct sdp_media *m)
{
	return sdp_media_held(m) ? (enum sdp_dir)(m->dir & SDP_SENDONLY) : m->dir;
}

static uint64_t fnv(uint64_t h, struct pl v)
{
	for (size_t i = 0; i < v.l; i++)
		h = (h ^ (uint8_t)v.p[i]) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull; /* separator: "ab","c" differs from "a","bc" */
}

/* What the other party must agree to: media type, formats in order, their rtpmap and fmtp. */
static uint64_t codecs_hash(const struct sdp_media *m)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, m->type);
	bool rtp = sdp_proto_is_rtp(m->proto);
	for (size_t i = 0; i < m->nfmt; i++) {
		struct sdp_rtpmap rm;
		h = fnv(h, m->fmts[i]);
		if (!rtp)
			continue;
		if (sdp_media_rtpmap(m, m->pt[i], &rm) == 0) {
			char clock[16];
			int n = snprintf(clock, sizeof(clock), "%u", rm.clock);
			h = fnv(h, rm.name);
			h = fnv(h, pl_from(clock, n > 0 ? (size_t)n : 0));
			h = fnv(h, rm.params);
		}
		h = fnv(h, sdp_media_fmtp(m, m->pt[i]));
	}
	return h;
}

static bool same_key(const struct sr_key *a, const struct sr_key *b)
{
	return a->suite == b->suite && a->mki_len == b->mki_len &&
	       !CRYPTO_memcmp(a->key, b->key, sizeof(a->key)) &&
	       !CRYPTO_memcmp(a->salt, b->salt, sizeof(a->salt)) &&
	       !CRYPTO_memcmp(a->mki, b->mki, sizeof(a->mki));
}

/* The tag under which we offered key k (0 if not ours). */
static uint32_t keys_tag(const struct sdp_keys *ks, const struct sr_key *k)
{
	for (size_t i = 0; i < ks->n; i++)
		if (same_key(&ks->key[i].key, k))
			return ks->key[i].tag;
	return 0;
}

static void side_wipe(struct call_side *s)
{
	sdp_key_wipe(&s->tx);
	OPENSSL_cleanse(&s->rx, sizeof(s->rx));
	s->srtp = false;
}

/* Note one side of a stream from its m= line; keys NULL: plain RTP. */
static void side_set(struct call_side *s, const struct sdp_media *m, const struct sdp_key *tx,
		     const struct sr_key *rx)
{
	side_wipe(s);
	s->known = true;
	s->active = m->port != 0;
	s->dir = eff_dir(m);
	s->proto = m->proto;
	s->rtcp_mux = m->rtcp_mux;
	s->codecs = codecs_hash(m);
	if (tx && rx) {
		s->tx = *tx;
		s->rx = *rx;
		s->srtp = true;
	}
}

void call_reinv_note(struct call *c, int side, const struct sdp *sd, const struct branch *b)
{
	for (size_t i = 0; i < sd->nmedia && i < CALL_MAX_MEDIA; i++) {
		struct call_media *cm = &c->media[i];
		const struct sdp_media *m = &sd->media[i];
		struct sdp_key tx;
		struct sr_key rx;
		bool keys = false;
		memset(&tx, 0, sizeof(tx));
		if (cm->bridge && side == SIDE_A && cm->a_srtp) {
			/* the line call_sdp_offer_from_a chose, and the key we answered it with */
			const struct sdp_crypto *cr;
			keys = sdp_crypto_select(m, SDP_SUITES_ALL, &cr) == 0 &&
			       sdp_crypto_key(cr, &rx) == 0;
			tx = cm->a_tx;
		} else if (cm->bridge && side == SIDE_B && cm->b_srtp && b) {
			keys = sdp_keys_match(&b->keys[i], m, &tx.key, &rx) == 0;
			tx.tag = keys ? keys_tag(&b->keys[i], &tx.key) : 0;
		}
		side_set(&cm->side[side], m, keys ? &tx : NULL, keys ? &rx : NULL);
		sdp_key_wipe(&tx);
		OPENSSL_cleanse(&rx, sizeof(rx));
	}
}

void call_reinv_note_media(struct call *c, int side, size_t i, const struct sdp_media *m,
			   const struct sdp_key *tx, const struct sr_key *rx)
{
	if (i < CALL_MAX_MEDIA)
		side_set(&c->media[i].side[side], m, tx, rx);
}

void call_reinv_wipe(struct call *c)
{
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++) {
		side_wipe(&c->media[i].side[SIDE_A]);
		side_wipe(&c->media[i].side[SIDE_B]);
	}
}

bool call_reinv_changes(const struct call *c, int side, const struct sdp *offer)
{
	if (offer->nmedia != c->nmedia)
		return true; /* a stream added */
	for (size_t i = 0; i < offer->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct call_side *s = &c->media[i].side[side];
		const struct sdp_media *m = &offer->media[i];
		if (!s->known) {
			if (anchored(m))
				return true; /* a stream (re)enabled, or a side we never noted */
			continue;
		}
		if (s->active != (m->port != 0))
			return true;
		if (s->active && (codecs_hash(m) != s->codecs || eff_dir(m) != s->dir))
			return true;
	}
	return false;
}

int call_reinv_check(const struct call *c, int side, const struct sdp *offer, uint16_t *code,
		     const char **reason)
{
	bool tls = side_tls(c, side);
	enum conf_encryption policy = side_policy(c, side);
	/* RFC 3264 8: m= lines are never removed (a stream is disabled with port 0) */
	if (offer->nmedia < c->nmedia)
		return fail(code, reason, 488, "A re-offer cannot remove m= lines");
	for (size_t i = 0; i < offer->nmedia && i < CALL_MAX_MEDIA; i++) {
		const struct sdp_media *m = &offer->media[i];
		const struct sdp_crypto *cr;
		if (!anchored(m))
			continue;
		enum sdp_srtp mode = sdp_media_srtp(m);
		bool srtp = tls && mode != SDP_SRTP_NONE && policy != ENC_OFF &&
			    sdp_crypto_select(m, SDP_SUITES_ALL, &cr) == 0;
		if (!srtp && (policy == ENC_MANDATORY || mode == SDP_SRTP_MANDATORY))
			return fail(code, reason, 488, "Encryption required: SRTP over TLS");
	}
	return 0;
}

/* Keys for our answer to an offered m= line the check accepted: fresh, or with keep set, ours
 * kept when the offerer kept its own (RFC 4568 7.1.4: new keys answer new keys). */
static bool answer_keys(const struct call *c, int side, const struct sdp_media *m,
			const struct call_side *s, bool keep, struct sdp_key *tx, struct sr_key *rx,
			unsigned *kept)
{
	*kept = 0;
	if (!side_tls(c, side) || sdp_media_srtp(m) == SDP_SRTP_NONE ||
	    side_policy(c, side) == ENC_OFF || sdp_crypto_answer(m, SDP_SUITES_ALL, tx, rx))
		return false;
	if (keep && s->srtp && same_key(rx, &s->rx) && tx->key.suite == s->tx.key.suite) {
		tx->key = s->tx.key; /* the tag stays the offer's */
		*kept = MEDIA_KEEP_RX | MEDIA_KEEP_TX;
	}
	return true;
}

static void side_status(struct call_media *cm, int side, bool srtp, const struct sr_key *tx)
{
	const char *suite = srtp ? sdp_suite_name(tx->suite) : NULL;
	if (side == SIDE_A) {
		cm->a_srtp = srtp;
		cm->suite_a = suite;
	} else {
		cm->b_srtp = srtp;
		cm->suite_b = suite;
	}
}

static void apply_side(struct call_media *cm, int side, const struct sdp_media *m, bool srtp,
		       const struct sdp_key *tx, const struct sr_key *rx, unsigned keep)
{
	/* keys first: a side never takes a packet as plain RTP while it speaks SRTP */
	media_bridge_update_crypto(cm->bridge, side, srtp ? rx : NULL, srtp ? &tx->key : NULL,
				   keep);
	call_sdp_set_remote(cm->bridge, side, m, m->rtcp_mux);
	side_status(cm, side, srtp, &tx->key);
	side_set(&cm->side[side], m, srtp ? tx : NULL, srtp ? rx : NULL);
}

/* Keys of one answer under construction (SECRET: wiped before it is freed). */
struct plan {
	bool on[CALL_MAX_MEDIA], drop[CALL_MAX_MEDIA];
	bool s_srtp[CALL_MAX_MEDIA], o_srtp[CALL_MAX_MEDIA];
	unsigned s_keep[CALL_MAX_MEDIA], o_keep[CALL_MAX_MEDIA];
	struct sdp_key s_tx[CALL_MAX_MEDIA], o_tx[CALL_MAX_MEDIA];
	struct sr_key s_rx[CALL_MAX_MEDIA], o_rx[CALL_MAX_MEDIA];
	struct sdp_desc d;
};

static void plan_free(struct plan *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

static struct sdp_origin *origin_of(struct call *c, int side)
{
	return side == SIDE_A ? &c->a_origin : &c->b_origin;
}

int call_reinv_local(struct call *c, int side, const struct sdp *offer, const char *addr,
		     struct mbuf *out, uint16_t *code, const char **reason)
{
	struct plan *p = calloc(1, sizeof(*p));
	int other = 1 - side;
	if (!p)
		return fail(code, reason, 500, "Out of memory");
	p->d.addr = addr;
	p->d.nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *om = &offer->media[i];
		struct sdp_desc_media *dm = &p->d.media[i];
		struct call_media *cm = i < CALL_MAX_MEDIA ? &c->media[i] : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!cm || !cm->bridge || !anchored(om))
			continue; /* a new or refused stream stays refused: port 0 */
		const struct call_side *os = &cm->side[other];
		/* fresh keys both ways, as for any local re-offer: per-leg re-keying */
		p->s_srtp[i] = answer_keys(c, side, om, &cm->side[side], false, &p->s_tx[i],
					   &p->s_rx[i], &p->s_keep[i]);
		p->on[i] = true;
		struct sa rtp, rtcp;
		media_bridge_local(cm->bridge, side, &rtp, &rtcp);
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = om->rtcp_mux;
		/* we answer for the other party: what it last said it does */
		dm->dir = sdp_dir_answer(om->dir, os->known && os->active ? os->dir : SDP_SENDRECV);
		if (p->s_srtp[i]) {
			dm->keys = &p->s_tx[i];
			dm->nkeys = 1;
		}
	}
	struct sdp_origin *o = origin_of(c, side);
	sdp_origin_bump(o);
	p->d.origin = *o;
	if (sdp_build(out, &p->d)) {
		plan_free(p);
		return fail(code, reason, 500, "Cannot build the answer");
	}
	for (size_t i = 0; i < offer->nmedia && i < CALL_MAX_MEDIA; i++) {
		if (!p->on[i])
			continue;
		apply_side(&c->media[i], side, &offer->media[i], p->s_srtp[i], &p->s_tx[i],
			   &p->s_rx[i], 0);
		if (c->echo) /* our answer lists the offer's codecs in its order */
			call_sdp_set_rate(&c->media[i], &offer->media[i]);
	}
	plan_free(p);
	return 0;
}

/* What we offer a side for a stream new to it, from its policy and transport. */
static enum sdp_srtp new_mode(const struct call *c, int side)
{
	enum conf_encryption pol = side_policy(c, side);
	if (!side_tls(c, side) || pol == ENC_OFF)
		return SDP_SRTP_NONE;
	return pol == ENC_MANDATORY ? SDP_SRTP_MANDATORY : SDP_SRTP_OPTIONAL;
}

int call_reinv_offer(struct call *c, struct call_reinv *r, const char *addr, struct mbuf *out,
		     uint16_t *code, const char **reason)
{
	const struct sdp *offer = r->sdp;
	int other = 1 - r->from;
	struct sdp_desc *d = calloc(1, sizeof(*d));
	int err = 0;
	if (!d)
		return fail(code, reason, 500, "Out of memory");
	d->addr = addr;
	d->nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia && !err; i++) {
		const struct sdp_media *om = &offer->media[i];
		struct sdp_desc_media *dm = &d->media[i];
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = eff_dir(om);
		if (i >= CALL_MAX_MEDIA || !anchored(om))
			continue; /* port 0: refused, or removed by the offerer */
		struct call_media *cm = &c->media[i];
		const struct call_side *os = &cm->side[other];
		if (!cm->bridge) {
			if (media_bridge_alloc(c->cs->d.media, &cm->bridge, c)) {
				err = fail(code, reason, 503, "No media ports free");
				break;
			}
			r->added[i] = true;
		}
		enum sdp_srtp mode;
		if (!r->added[i] && os->known && os->active) {
			/* the stream goes on toward the other party: same proto, same key of ours, so
			 * its SRTP context and rollover counter carry on */
			mode = !os->srtp			  ? SDP_SRTP_NONE
			       : sdp_proto_is_srtp(os->proto) ? SDP_SRTP_MANDATORY
							      : SDP_SRTP_OPTIONAL;
			dm->proto = os->proto;
			if (os->srtp) {
				r->keys[i].key[0] = os->tx;
				r->keys[i].n = 1;
			}
		} else {
			mode = new_mode(c, other);
			dm->proto = sdp_proto_for(mode, sdp_proto_is_avpf(om->proto));
			if (mode != SDP_SRTP_NONE &&
			    sdp_keys_offer(&r->keys[i], SDP_SUITES_ALL)) {
				err = fail(code, reason, 500, "Cannot make keys");
				break;
			}
		}
		if (mode == SDP_SRTP_NONE && side_policy(c, other) == ENC_MANDATORY) {
			/* never a plain offer toward a leg that must encrypt */
			err = fail(code, reason, 488, "The other party requires SRTP");
			break;
		}
		r->mode[i] = mode;
		struct sa rtp, rtcp;
		media_bridge_local(cm->bridge, other, &rtp, &rtcp);
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = true; /* an answerer without it simply leaves it out (RFC 5761) */
		dm->keys = r->keys[i].n ? r->keys[i].key : NULL;
		dm->nkeys = r->keys[i].n;
	}
	if (!err) {
		struct sdp_origin *o = origin_of(c, other);
		sdp_origin_bump(o);
		d->origin = *o;
		if (sdp_build(out, d))
			err = fail(code, reason, 500, "Cannot build the offer");
	}
	free(d);
	return err;
}

void call_reinv_undo(struct call *c, struct call_reinv *r)
{
	for (size_t i = 0; i < CALL_MAX_MEDIA; i++) {
		if (r->added[i] && c->media[i].bridge) {
			media_bridge_free(c->media[i].bridge);
			c->media[i].bridge = NULL;
		}
		r->added[i] = false;
		sdp_keys_wipe(&r->keys[i]);
	}
}

static void stream_drop(struct call_media *cm)
{
	media_bridge_free(cm->bridge);
	cm->bridge = NULL;
	cm->rate = 0;
	side_status(cm, SIDE_A, false, NULL);
	side_status(cm, SIDE_B, false, NULL);
	side_wipe(&cm->side[SIDE_A]);
	side_wipe(&cm->side[SIDE_B]);
	cm->side[SIDE_A].active = cm->side[SIDE_B].active = false;
}

int call_reinv_answer(struct call *c, struct call_reinv *r, const struct sdp *ans,
		      const char *addr, struct mbuf *out, uint16_t *code, const char **reason)
{
	const struct sdp *offer = r->sdp;
	int side = r->from, other = 1 - r->from;
	struct plan *p = calloc(1, sizeof(*p));
	int err = 0;
	if (!p)
		return fail(code, reason, 500, "Out of memory");
	p->d.addr = addr;
	p->d.nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia && !err; i++) {
		const struct sdp_media *om = &offer->media[i];
		const struct sdp_media *am = i < ans->nmedia ? &ans->media[i] : NULL;
		struct sdp_desc_media *dm = &p->d.media[i];
		struct call_media *cm = i < CALL_MAX_MEDIA ? &c->media[i] : NULL;
		dm->from = om;
		dm->proto = om->proto;
		dm->dir = om->dir;
		if (!cm || !cm->bridge)
			continue;
		if (!anchored(om) || !am || !am->port) {
			p->drop[i] = true; /* removed by the offerer or refused by the answerer */
			continue;
		}
		const struct call_side *os = &cm->side[other];
		if (r->mode[i] != SDP_SRTP_NONE) {
			struct sr_key tx;
			int m = sdp_keys_match(&r->keys[i], am, &tx, &p->o_rx[i]);
			if (m == EPROTO || (m && r->mode[i] == SDP_SRTP_MANDATORY)) {
				err = fail(code, reason, 488,
					   m == ENOENT ? "The other party answered without SRTP"
						       : "The other party's crypto answer is invalid");
				break;
			}
			p->o_srtp[i] = m == 0;
			if (p->o_srtp[i]) {
				p->o_tx[i].key = tx;
				p->o_tx[i].tag = keys_tag(&r->keys[i], &tx);
				if (!r->added[i] && os->srtp && same_key(&tx, &os->tx.key))
					p->o_keep[i] |= MEDIA_KEEP_TX;
				if (!r->added[i] && os->srtp && same_key(&p->o_rx[i], &os->rx))
					p->o_keep[i] |= MEDIA_KEEP_RX;
			}
			OPENSSL_cleanse(&tx, sizeof(tx));
		}
		if (!p->o_srtp[i] && side_policy(c, other) == ENC_MANDATORY) {
			err = fail(code, reason, 488, "The other party answered without SRTP");
			break;
		}
		p->s_srtp[i] = answer_keys(c, side, om, &cm->side[side], true, &p->s_tx[i],
					   &p->s_rx[i], &p->s_keep[i]);
		p->on[i] = true;
		struct sa rtp, rtcp;
		media_bridge_local(cm->bridge, side, &rtp, &rtcp);
		dm->from = am; /* the other party's choice of codecs */
		dm->port = sa_port(&rtp);
		dm->rtcp_port = sa_port(&rtcp);
		dm->rtcp_mux = om->rtcp_mux;
		dm->dir = sdp_dir_answer(om->dir, eff_dir(am));
		if (p->s_srtp[i]) {
			dm->keys = &p->s_tx[i];
			dm->nkeys = 1;
		}
	}
	if (!err) {
		struct sdp_origin *o = origin_of(c, side);
		sdp_origin_bump(o);
		p->d.origin = *o;
		if (sdp_build(out, &p->d))
			err = fail(code, reason, 500, "Cannot build the answer");
	}
	if (!err) {
		for (size_t i = 0; i < offer->nmedia && i < CALL_MAX_MEDIA; i++) {
			struct call_media *cm = &c->media[i];
			if (p->drop[i]) {
				stream_drop(cm);
			} else if (p->on[i]) {
				apply_side(cm, side, &offer->media[i], p->s_srtp[i], &p->s_tx[i],
					   &p->s_rx[i], p->s_keep[i]);
				apply_side(cm, other, &ans->media[i], p->o_srtp[i], &p->o_tx[i],
					   &p->o_rx[i], p->o_keep[i]);
				call_sdp_set_rate(cm, &ans->media[i]); /* a codec change moves it */
			}
			r->added[i] = false; /* the call owns it now */
		}
		if (offer->nmedia > c->nmedia)
			c->nmedia = offer->nmedia;
	}
	plan_free(p);
	return err;
}
