/* Shared by the media unit tests (test_media*.c): a media instance on a real signalling loop,
 * "phones" that are plain UDP sockets on 127.0.0.1 driven from the test thread, RTP packets
 * made by hand, libsrtp2 as the independent SRTP peer, and bounded waits. */
#ifndef SOTTO_TESTS_MEDIA_ENV_H
#define SOTTO_TESTS_MEDIA_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "media/media.h"
#include "net/loop.h"
#include "net/sa.h"
#include "srtp/srtp.h"

struct evrec {
	int first[2];
	int timeout;
	int total;
	void *owner;
};

struct env {
	struct loop *l;
	struct media *m;
};

struct phone {
	int fd;
	struct sa addr;
};

/* A bridge with side A at phone a, side B at phone b. */
struct call {
	struct media_bridge *b;
	struct phone a, b_;
	struct sa la, lb, la_rtcp, lb_rtcp;
};

/* The media events seen so far (reset by env_open). */
extern struct evrec evs;

#define ST(f) offsetof(struct media_side_stats, f)

/* The media_alloc event handler env_open installs: counts into evs. */
void on_event(const struct media_event *ev, void *arg);

uint16_t rd16(const uint8_t *p);
uint32_t rd32(const uint8_t *p);
void wr16(uint8_t *p, uint16_t v);
void wr32(uint8_t *p, uint32_t v);
uint64_t now_ms(void);
bool env_open_q(struct env *e, unsigned workers, uint32_t timeout_ms, uint16_t pmin, uint16_t pmax,
                uint32_t quarantine_ms);
bool env_open(struct env *e, unsigned workers, uint32_t timeout_ms, uint16_t pmin, uint16_t pmax);
void env_close(struct env *e);
/* Run the signalling loop until cond holds or max_ms passed; returns cond. */
bool run_until(struct loop *l, bool (*cond)(void *), void *arg, unsigned max_ms);
bool int_is_set(void *arg);
bool phone_open(struct phone *p);
/* On another loopback host (127.0.0.0/8), a port of the kernel's choosing. */
bool phone_open_at(struct phone *p, const char *ip);
void phone_close(struct phone *p);
void psend(const struct phone *p, const struct sa *to, const void *buf, size_t len);
/* One datagram within timeout_ms, or -1. */
int precv(const struct phone *p, uint8_t *buf, size_t cap, int timeout_ms, struct sa *from);
/* Nothing arrives within ms. */
bool pquiet(const struct phone *p, int ms);
size_t rtp_make(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t fill, size_t plen);
bool payload_ok(const uint8_t *buf, size_t len, uint8_t fill, size_t plen);
uint64_t stat_field(const struct media_bridge *b, int side, size_t off);
/* Poll a counter until it reaches want (bounded). */
bool wait_stat(const struct media_bridge *b, int side, size_t off, uint64_t want);
void key_make(struct sr_key *k);
/* A libsrtp2 context under k: outbound to protect, inbound to unprotect. */
srtp_t lsrtp_new(const struct sr_key *k, bool outbound);
size_t lprotect(srtp_t s, uint8_t *buf, size_t len);
int lunprotect(srtp_t s, uint8_t *buf, int len);
/* A bridge with side A at phone a, side B at phone b. */
bool call_open(struct env *e, struct call *c, void *owner);
void call_remotes(struct call *c);
void call_close(struct call *c);

#endif
