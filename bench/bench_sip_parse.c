/* Parser throughput on one core: messages per second and ns per message for a REGISTER, an
 * INVITE with SDP (a typical ~800-byte desk-phone INVITE), a 200 OK with SDP, and the three in
 * turn. Usage: bench_sip_parse [seconds per case, default 1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/msg.h"

static const char reg[] =
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.4:5060;branch=z9hG4bK1f2e3d4c5b6a;rport\r\n"
    "From: \"Alice Smith\" <sip:1001@pbx.example.com>;tag=8C1F2A7B-4D3E2F10\r\n"
    "To: <sip:1001@pbx.example.com>\r\n"
    "CSeq: 42 REGISTER\r\n"
    "Call-ID: 0a1b2c3d-4e5f6071-8293a4b5@198.51.100.4\r\n"
    "Contact: <sip:1001@198.51.100.4:5060;transport=udp>;+sip.instance=\"<urn:uuid:00000000-"
    "0000-1000-8000-0004f2a1b2c3>\";reg-id=1;expires=3600\r\n"
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, "
    "UPDATE, REFER\r\n"
    "User-Agent: PolycomVVX-VVX_411-UA/6.3.1.8427\r\n"
    "Supported: path, outbound, gruu\r\n"
    "Max-Forwards: 70\r\n"
    "Expires: 3600\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char invite[] =
    "INVITE sip:2001@pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.4:5060;branch=z9hG4bK4a8e1f5b3c2d;rport\r\n"
    "From: \"Alice Smith\" <sip:1001@pbx.example.com>;tag=8C1F2A7B-4D3E2F10\r\n"
    "To: <sip:2001@pbx.example.com>\r\n"
    "CSeq: 1 INVITE\r\n"
    "Call-ID: 6f1e2d3c-4b5a6978-8796a5b4@198.51.100.4\r\n"
    "Contact: <sip:1001@198.51.100.4:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, "
    "UPDATE, REFER\r\n"
    "User-Agent: PolycomVVX-VVX_411-UA/6.3.1.8427\r\n"
    "Accept-Language: en\r\n"
    "Supported: 100rel,replaces,timer\r\n"
    "Allow-Events: conference,talk,hold\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 311\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 3712841274 3712841274 IN IP4 198.51.100.4\r\n"
    "s=Polycom IP Phone\r\n"
    "c=IN IP4 198.51.100.4\r\n"
    "t=0 0\r\n"
    "m=audio 2226 RTP/AVP 9 0 8 18 101\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n";

static const char ok[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.51.100.4:5060;branch=z9hG4bK4a8e1f5b3c2d;rport=5060;"
    "received=198.51.100.7\r\n"
    "Record-Route: <sip:203.0.113.5;lr;ftag=8C1F2A7B-4D3E2F10>\r\n"
    "From: \"Alice Smith\" <sip:1001@pbx.example.com>;tag=8C1F2A7B-4D3E2F10\r\n"
    "To: <sip:2001@pbx.example.com>;tag=as5f8e2c91\r\n"
    "Call-ID: 6f1e2d3c-4b5a6978-8796a5b4@198.51.100.4\r\n"
    "CSeq: 1 INVITE\r\n"
    "Server: Sotto\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, MESSAGE\r\n"
    "Supported: replaces, timer\r\n"
    "Contact: <sip:2001@203.0.113.5:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 169\r\n"
    "\r\n"
    "v=0\r\n"
    "o=sotto 1 1 IN IP4 203.0.113.5\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.5\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

struct bmsg {
	const char *name;
	const char *data;
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sip_msg msg;

/* Parses msgs[0..n) in turn until the time is up; checks in batches so the clock stays out of
 * the figure. */
static int run(const char *label, const struct bmsg *msgs, size_t n, double seconds)
{
	unsigned long count = 0;
	size_t bytes = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < 4096; i++) {
			const struct bmsg *m = &msgs[count % n];
			if (sip_msg_parse(&msg, m->data, m->len)) {
				fprintf(stderr, "%s: parse failed: %s\n", m->name, msg.error);
				return 1;
			}
			bytes += msg.nhdrs;
			count++;
		}
		t = now() - t0;
	} while (t < seconds);
	printf("parse %-8s %10.0f msg/s %8.1f ns/msg (%lu in %.2f s)\n", label, count / t,
	       t * 1e9 / count, count, t);
	return bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct bmsg all[] = {
	    {"REGISTER", reg, sizeof(reg) - 1},
	    {"INVITE", invite, sizeof(invite) - 1},
	    {"200", ok, sizeof(ok) - 1},
	};
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	int err = 0;

	if (seconds <= 0)
		seconds = 1.0;
	printf("sizes: REGISTER %zu, INVITE %zu, 200 OK %zu bytes\n", all[0].len, all[1].len,
	       all[2].len);
	err |= run("REGISTER", &all[0], 1, seconds);
	err |= run("INVITE", &all[1], 1, seconds);
	err |= run("200OK", &all[2], 1, seconds);
	err |= run("mix", all, 3, seconds);
	return err;
}
