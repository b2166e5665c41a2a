/* SRTP cost per packet on one core: ns per protect and per unprotect of a 172-octet RTP packet
 * (12-octet header + 160 octets: 20 ms of G.711), for every suite, Sotto against libsrtp2 in the
 * same run. Each figure includes copying the packet into the work buffer (printed separately).
 * Usage: bench_srtp [seconds per measurement, default 0.5]. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "srtp/srtp.h"

#define PKT_LEN 172
#define SLOT 256    /* room for the packet and any trailer */
#define NPKT 65536  /* pre-protected packets per unprotect round: one full SEQ cycle */
#define BATCH 4096  /* packets between clock reads */

static double seconds = 0.5;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void make_packet(uint8_t *b, uint16_t seq)
{
	b[0] = 0x80;
	b[1] = 0x00;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	uint32_t ts = 160u * seq, ssrc = 0x5eed5eed;
	for (int i = 0; i < 4; i++) {
		b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	for (int i = 12; i < PKT_LEN; i++)
		b[i] = (uint8_t)(0xd5 ^ i);
}

static void set_seq(uint8_t *b, uint16_t seq)
{
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
}

/* The two implementations behind one small table. */
struct impl {
	const char *name;
	void *(*open)(const struct sr_key *k, bool inbound);
	void (*close)(void *s);
	int (*protect)(void *s, uint8_t *b, size_t *len);
	int (*unprotect)(void *s, uint8_t *b, size_t *len);
};

static void *sotto_open(const struct sr_key *k, bool inbound)
{
	struct sr_session *s = NULL;
	(void)inbound;
	return sr_session_alloc(&s, k) ? NULL : s;
}

static void sotto_close(void *s)
{
	sr_session_free(s);
}

static int sotto_protect(void *s, uint8_t *b, size_t *len)
{
	return sr_protect(s, b, len, SLOT);
}

static int sotto_unprotect(void *s, uint8_t *b, size_t *len)
{
	return sr_unprotect(s, b, len);
}

static void *lib_open(const struct sr_key *k, bool inbound)
{
	srtp_policy_t p;
	unsigned char material[SR_MAX_KEY + SR_MAX_SALT];
	const struct sr_suite_info *si = sr_suite_info(k->suite);
	srtp_t s = NULL;

	memset(&p, 0, sizeof(p));
	switch (k->suite) {
	case SR_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case SR_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case SR_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
		break;
	case SR_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
		break;
	case SR_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
		break;
	default:
		return NULL;
	}
	memcpy(material, k->key, si->key_len);
	memcpy(material + si->key_len, k->salt, si->salt_len);
	p.key = material;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	return srtp_create(&s, &p) == srtp_err_status_ok ? s : NULL;
}

static void lib_close(void *s)
{
	srtp_dealloc(s);
}

static int lib_protect(void *s, uint8_t *b, size_t *len)
{
	int l = (int)*len;
	int err = srtp_protect(s, b, &l);
	*len = (size_t)l;
	return err;
}

static int lib_unprotect(void *s, uint8_t *b, size_t *len)
{
	int l = (int)*len;
	int err = srtp_unprotect(s, b, &l);
	*len = (size_t)l;
	return err;
}

static const struct impl impls[] = {
	{"sotto", sotto_open, sotto_close, sotto_protect, sotto_unprotect},
	{"libsrtp2", lib_open, lib_close, lib_protect, lib_unprotect},
};

/* ns per protect: a fresh SEQ for every packet (both refuse to reuse an index). */
static double bench_protect(const struct impl *im, const struct sr_key *k)
{
	uint8_t tmpl[SLOT], buf[SLOT];
	void *s = im->open(k, false);
	double spent = 0;
	unsigned long n = 0;
	uint16_t seq = 0;

	if (!s)
		return -1;
	make_packet(tmpl, 0);
	while (spent < seconds * 1e9) {
		double t0 = now_ns();
		for (int i = 0; i < BATCH; i++) {
			size_t len = PKT_LEN;
			memcpy(buf, tmpl, PKT_LEN);
			set_seq(buf, seq++);
			if (im->protect(s, buf, &len)) {
				im->close(s);
				return -1;
			}
		}
		spent += now_ns() - t0;
		n += BATCH;
	}
	im->close(s);
	return spent / (double)n;
}

/* ns per unprotect: one SEQ cycle of packets protected beforehand, replayed into a fresh
 * receiver per round (session set-up not timed). */
static double bench_unprotect(const struct impl *im, const struct sr_key *k, uint8_t *pk,
			      size_t *plen)
{
	uint8_t buf[SLOT];
	void *tx = im->open(k, false);
	double spent = 0;
	unsigned long n = 0;

	if (!tx)
		return -1;
	for (unsigned i = 0; i < NPKT; i++) {
		plen[i] = PKT_LEN;
		make_packet(pk + (size_t)i * SLOT, (uint16_t)i);
		if (im->protect(tx, pk + (size_t)i * SLOT, &plen[i])) {
			im->close(tx);
			return -1;
		}
	}
	im->close(tx);
	while (spent < seconds * 1e9) {
		void *rx = im->open(k, true);
		if (!rx)
			return -1;
		for (unsigned i = 0; i < NPKT && spent < seconds * 1e9; i += BATCH) {
			double t0 = now_ns();
			for (unsigned j = i; j < i + BATCH; j++) {
				size_t len = plen[j];
				memcpy(buf, pk + (size_t)j * SLOT, len);
				if (im->unprotect(rx, buf, &len) || len != PKT_LEN) {
					im->close(rx);
					return -1;
				}
			}
			spent += now_ns() - t0;
			n += BATCH;
		}
		im->close(rx);
	}
	return spent / (double)n;
}

static double bench_copy(void)
{
	static uint8_t src[SLOT], dst[SLOT];
	double t0 = now_ns();
	unsigned long n = 50000000;
	for (unsigned long i = 0; i < n; i++) {
		src[2] = (uint8_t)i;
		memcpy(dst, src, PKT_LEN);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		seconds = atof(argv[1]);
	if (seconds <= 0)
		seconds = 0.5;
	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "srtp_init failed\n");
		return 1;
	}
	uint8_t *pk = malloc((size_t)NPKT * SLOT);
	size_t *plen = malloc(NPKT * sizeof(*plen));
	if (!pk || !plen)
		return 1;

	printf("srtp: %d-octet RTP packet, %.2f s per figure, %s\n", PKT_LEN, seconds,
	       srtp_get_version_string());
	printf("%-25s %-10s %10s %12s %14s\n", "suite", "op", "sotto ns", "libsrtp2 ns",
	       "libsrtp2/sotto");
	int rc = 0;
	for (int su = 0; su < SR_SUITE_COUNT; su++) {
		struct sr_key k;
		memset(&k, 0, sizeof(k));
		k.suite = (enum sr_suite)su;
		for (size_t i = 0; i < sizeof(k.key); i++)
			k.key[i] = (uint8_t)(0x11 * i + 3);
		for (size_t i = 0; i < sizeof(k.salt); i++)
			k.salt[i] = (uint8_t)(0x35 * i + 1);
		for (int op = 0; op < 2; op++) {
			double ns[2];
			for (int im = 0; im < 2; im++)
				ns[im] = op ? bench_unprotect(&impls[im], &k, pk, plen)
					    : bench_protect(&impls[im], &k);
			if (ns[0] < 0 || ns[1] < 0)
				rc = 1;
			printf("%-25s %-10s %10.1f %12.1f %13.2fx\n", sr_suite_info(k.suite)->name,
			       op ? "unprotect" : "protect", ns[0], ns[1], ns[1] / ns[0]);
			fflush(stdout);
		}
	}
	printf("(each figure includes a %d-octet copy: %.1f ns; target: AES_CM_128_HMAC_SHA1_80 "
	       "<= 500 ns)\n",
	       PKT_LEN, bench_copy());
	free(pk);
	free(plen);
	srtp_shutdown();
	return rc;
}
