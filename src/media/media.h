/* media: the RTP/SRTP relay that anchors every call's media. Worker threads (one per core) each
 * own a shard of bridges; a bridge joins two sides (A = 0, B = 1), each with its own local
 * RTP/RTCP port pair, remote address (latched to the real source: symmetric RTP), and keys per
 * direction, so every leg is keyed separately and a packet is received, decrypted, re-encrypted
 * and sent without leaving its worker. The signalling thread drives bridges through this API;
 * changes reach the worker through its command queue, events come back on the signalling loop. */
#ifndef SOTTO_MEDIA_MEDIA_H
#define SOTTO_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "net/loop.h"
#include "net/sa.h"
#include "srtp/srtp.h"

struct media;
struct media_bridge;

struct media_conf {
	char address[64];   /* numeric IP the RTP sockets bind to (and that SDP announces) */
	uint16_t port_min;  /* even ports from this range, RTP on even, RTCP on the next odd */
	uint16_t port_max;
	unsigned workers;   /* relay threads; 0: one per online core */
	uint32_t timeout_ms; /* no packet from either side for this long: MEDIA_EV_TIMEOUT (0: off) */
	/* A released port pair is reused only after this long (0: 4 s), so that late packets of
	 * an old call never reach a new one. */
	uint32_t port_quarantine_ms;
};

enum media_event_kind {
	MEDIA_EV_FIRST_PACKET, /* the first packet from this side arrived (side latched) */
	MEDIA_EV_TIMEOUT,      /* no media on the bridge for timeout_ms (again after it resumed, or
				* after media_bridge_set_remote, which starts the count again) */
};

enum { MEDIA_PROBATION = 50 }; /* 1 s of 20 ms packets (media_bridge_set_signal) */

struct media_event {
	enum media_event_kind kind;
	void *owner; /* as given to media_bridge_alloc */
	int side;
};

/* Runs on the signalling loop. It may alloc and free bridges, not media_free. */
typedef void(media_event_h)(const struct media_event *ev, void *arg);

int media_alloc(struct media **mp, const struct media_conf *conf, struct loop *sig_loop,
		media_event_h *h, void *arg);
/* Stops the workers; every bridge still open is freed. */
void media_free(struct media *m);

/* A bridge with both sides' ports bound. owner is handed back in events. 0, ENOSPC (no free
 * ports), ENOMEM. */
int media_bridge_alloc(struct media *m, struct media_bridge **bp, void *owner);
/* Release ports and keys (wiped); no event for this bridge arrives after this returns. */
void media_bridge_free(struct media_bridge *b);

/* Our address for this side: what the SDP toward this side's peer announces. */
void media_bridge_local(const struct media_bridge *b, int side, struct sa *rtp, struct sa *rtcp);
/* Where this side's peer said it receives (SDP c= and m= port, a=rtcp, rtcp-mux). Packets are
 * sent there until the peer's own packets arrive from elsewhere (NAT), then to their source.
 * Until it is called, the side takes no packets: set this side's keys first (or together), so
 * that no packet is ever taken as plain RTP from a side that speaks SRTP. rtcp NULL: RTP port
 * + 1. Calling it again with the same address keeps the latched one. */
int media_bridge_set_remote(struct media_bridge *b, int side, const struct sa *rtp,
			    const struct sa *rtcp, bool rtcp_mux);
/* Where this side's signalling comes from (the phone's SIP source, a provider's proxy). Until
 * a side in plain RTP has latched, a packet from elsewhere than the SDP address is taken at
 * once only from that host or the SDP address's host, on any port (a NAT's); any other source
 * must first send MEDIA_PROBATION packets in sequence of one stream, none from elsewhere in
 * between, all dropped (RTP bleed: a stranger spraying the port range at a call's start does
 * not get its media). Unset: only the SDP host and probation. SRTP sides latch by
 * authentication and ignore it. */
int media_bridge_set_signal(struct media_bridge *b, int side, const struct sa *sig);
/* Keys for this side: rx unprotects what the peer sends, tx protects what we send it. NULL for
 * plain RTP in that direction. Replacing keys (re-INVITE) keeps our outgoing stream's SSRC,
 * sequence numbers and rollover counter continuous toward the phone. Keys are copied. */
int media_bridge_set_crypto(struct media_bridge *b, int side, const struct sr_key *rx,
			    const struct sr_key *tx);
/* The same for a re-offer that kept a key: a direction in keep (MEDIA_KEEP_RX, MEDIA_KEEP_TX)
 * keeps its session as it is (its key argument is ignored), so an unchanged key goes on with its
 * rollover counter and replay state: a new session under the same key would start its packet
 * index again and reuse keystream (RFC 3711 9.1). */
#define MEDIA_KEEP_RX 1u
#define MEDIA_KEEP_TX 2u
int media_bridge_update_crypto(struct media_bridge *b, int side, const struct sr_key *rx,
			       const struct sr_key *tx, unsigned keep);
/* Whether packets are forwarded toward this side (false while it is on hold, a=inactive). */
int media_bridge_set_sending(struct media_bridge *b, int side, bool send);
/* Echo: what side A sends comes back to side A (the echo test extension); side B is unused. */
int media_bridge_set_echo(struct media_bridge *b, bool echo);
/* RTP clock rate of what this side sends (default 8000 Hz: G.711, G.729, and G.722's RTP
 * clock): used for jitter and to advance timestamps across a stream restart. 0 or EINVAL. */
int media_bridge_set_clock_rate(struct media_bridge *b, int side, uint32_t hz);

struct media_side_stats {
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	uint64_t auth_failures, replays, dropped; /* SRTP failures, other drops */
	uint64_t lost;				  /* from sequence gaps */
	double jitter_ms;			  /* RFC 3550 interarrival jitter estimate */
	bool latched;
};
/* A snapshot (safe from the signalling thread). */
void media_bridge_stats(const struct media_bridge *b, int side, struct media_side_stats *out);
/* Counters summed over both sides of every bridge since media_alloc, ended ones included, so
 * they only grow (for metrics); jitter and latched are not summed. Signalling thread. */
void media_totals(const struct media *m, struct media_side_stats *out);

#endif
