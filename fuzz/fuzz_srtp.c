/* libFuzzer target for SRTP and SRTCP unprotect: what anyone who can reach a media port sends
 * us. The first input octet picks the suite and whether the packet is RTP or RTCP; the rest
 * is the packet, unprotected under a fixed key (so the fuzzer can only reach past the tag
 * check by chance: it mostly exercises parsing and bounds before it). A fresh session per
 * input, so that a crash reproduces from its input alone. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { CAP = 4096 };

static struct sr_session *session(enum sr_suite s)
{
	struct sr_session *ss;
	struct sr_key k;

	memset(&k, 0, sizeof(k));
	k.suite = s;
	for (size_t i = 0; i < sizeof(k.key); i++)
		k.key[i] = (uint8_t)(0x11 * i);
	for (size_t i = 0; i < sizeof(k.salt); i++)
		k.salt[i] = (uint8_t)(0x07 * i);
	if (sr_session_alloc(&ss, &k))
		abort();
	return ss;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[CAP];
	struct sr_session *ss;
	enum sr_suite suite;
	bool rtcp;
	size_t len;
	int err;

	if (size < 1 || size - 1 > CAP - SR_MAX_OVERHEAD)
		return 0;
	suite = (enum sr_suite)((data[0] & 0x7f) % SR_SUITE_COUNT);
	rtcp = data[0] & 0x80;
	len = size - 1;
	memcpy(pkt, data + 1, len);
	ss = session(suite);
	err = rtcp ? sr_unprotect_rtcp(ss, pkt, &len) : sr_unprotect(ss, pkt, &len);
	sr_session_free(ss);
	if (err) {
		if (len != size - 1 || memcmp(pkt, data + 1, len))
			abort(); /* a refused packet is left as it was */
		return 0;
	}
	if (len > size - 1)
		abort();
	return 0;
}
