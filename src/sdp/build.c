/* SDP builder (RFC 8866 5, RFC 3264 5-6): our origin, address and ports, the far end's codecs
 * and attributes passed through, our direction, RTCP and keys. Room for the whole text is
 * reserved before any key is written, so the buffer never moves with a key inside it. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "core/rand.h"
#include "sdp/sdp_int.h"

int sdp_origin_init(struct sdp_origin *o)
{
	uint64_t id;

	if (!o)
		return EINVAL;
	if (rand_bytes(&id, sizeof(id)))
		return EIO;
	/* RFC 8866 5.2 suggests an NTP timestamp; any unique number will do. Keep it within
	 * 62 bits so peers parsing it as a signed 64-bit number cope. */
	o->id = (id >> 2) | 1;
	o->version = 1;
	return 0;
}

/* An upper bound of what one m= section writes. */
static size_t media_size(const struct sdp_desc_media *dm)
{
	const struct sdp_media *m = dm->from;
	size_t n = 32 + m->type.l + m->proto_name.l + 64; /* m= line, a=rtcp, mux, direction */

	for (size_t i = 0; i < m->nfmt; i++)
		n += m->fmts[i].l + 1;
	for (size_t i = 0; i < m->nbw; i++)
		n += m->bw[i].l + 4;
	for (size_t i = 0; i < m->nattr; i++)
		n += m->attrs[i].name.l + m->attrs[i].value.l + 5;
	return n + dm->nkeys * 200; /* sdp_crypto_format writes well under 200 */
}

static int check(const struct sdp_desc *d, bool *ipv6)
{
	unsigned char bin[16];

	if (!d || !d->addr || d->nmedia > SDP_MAX_MEDIA)
		return EINVAL;
	if (inet_pton(AF_INET, d->addr, bin) == 1)
		*ipv6 = false;
	else if (inet_pton(AF_INET6, d->addr, bin) == 1)
		*ipv6 = true;
	else
		return EINVAL;
	for (size_t i = 0; i < d->nmedia; i++) {
		const struct sdp_desc_media *dm = &d->media[i];
		if (!dm->from || dm->from->nfmt == 0 || (unsigned)dm->proto >= SDP_PROTO__COUNT ||
		    (unsigned)dm->dir > SDP_SENDRECV || (dm->nkeys && !dm->keys) ||
		    dm->nkeys > SDP_MAX_CRYPTO)
			return EINVAL;
		if (dm->proto == SDP_PROTO_OTHER && dm->from->proto_name.l == 0)
			return EINVAL;
		/* RTP needs payload types: "udptl t38" cannot become "RTP/AVP t38" */
		if (sdp_proto_is_rtp(dm->proto) && !sdp_proto_is_rtp(dm->from->proto))
			return EINVAL;
		for (size_t k = 0; k < dm->nkeys; k++)
			if (!sdp_suite_get(dm->keys[k].key.suite) || dm->keys[k].tag > 999999999u ||
			    dm->keys[k].key.mki_len > SR_MAX_MKI)
				return EINVAL;
	}
	return 0;
}

static void media_write(struct mbuf *mb, const struct sdp_desc_media *dm)
{
	const struct sdp_media *m = dm->from;

	mbuf_printf(mb, "m=%.*s %u ", PL_ARG(m->type), dm->port);
	if (dm->proto == SDP_PROTO_OTHER)
		mbuf_write_pl(mb, m->proto_name);
	else
		mbuf_write_str(mb, sdp_proto_name(dm->proto));
	for (size_t i = 0; i < m->nfmt; i++) {
		mbuf_write(mb, " ", 1);
		mbuf_write_pl(mb, m->fmts[i]);
	}
	mbuf_write(mb, "\r\n", 2);
	if (dm->port == 0) /* RFC 3264 6: a rejected stream is its m= line alone */
		return;

	for (size_t i = 0; i < m->nbw; i++)
		mbuf_printf(mb, "b=%.*s\r\n", PL_ARG(m->bw[i]));
	for (size_t i = 0; i < m->nattr; i++) {
		const struct sdp_attr *a = &m->attrs[i];
		if (sdp_attr_owned(a->id))
			continue;
		mbuf_write(mb, "a=", 2);
		mbuf_write_pl(mb, a->name);
		if (pl_isset(a->value)) {
			mbuf_write(mb, ":", 1);
			mbuf_write_pl(mb, a->value);
		}
		mbuf_write(mb, "\r\n", 2);
	}
	if (dm->rtcp_port)
		mbuf_printf(mb, "a=rtcp:%u\r\n", dm->rtcp_port);
	if (dm->rtcp_mux)
		mbuf_write_str(mb, "a=rtcp-mux\r\n");
	mbuf_printf(mb, "a=%s\r\n", sdp_dir_name(dm->dir));
	for (size_t i = 0; i < dm->nkeys; i++)
		sdp_crypto_format(mb, &dm->keys[i]);
}

int sdp_build(struct mbuf *mb, const struct sdp_desc *d)
{
	size_t start, need = 256 + 2 * 64;
	bool ipv6 = false;
	int err;

	if (!mb)
		return EINVAL;
	err = check(d, &ipv6);
	if (err)
		return err;
	for (size_t i = 0; i < d->nmedia; i++)
		need += media_size(&d->media[i]);
	err = mbuf_reserve(mb, need);
	if (err)
		return err;
	start = mb->len;

	mbuf_write_str(mb, "v=0\r\n");
	mbuf_printf(mb, "o=- %llu %llu IN %s %s\r\n", (unsigned long long)d->origin.id,
	            (unsigned long long)d->origin.version, ipv6 ? "IP6" : "IP4", d->addr);
	mbuf_write_str(mb, "s=-\r\n");
	mbuf_printf(mb, "c=IN %s %s\r\n", ipv6 ? "IP6" : "IP4", d->addr);
	mbuf_write_str(mb, "t=0 0\r\n");
	for (size_t i = 0; i < d->nmedia; i++)
		media_write(mb, &d->media[i]);

	err = mb->err;
	if (err && mb->buf) {
		size_t end = mb->len < mb->cap ? mb->len : mb->cap;
		if (end > start)
			OPENSSL_cleanse(mb->buf + start, end - start);
		mb->len = start;
		mb->buf[start] = '\0';
	}
	return err;
}
