/* Helpers of the media unit tests: see media_env.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"
#include "core/tmr.h"
#include "media_env.h"

struct waiter {
	struct loop *l;
	bool (*cond)(void *);
	void *arg;
	uint64_t deadline;
	struct tmr t;
};

uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint64_t now_ms(void) { return clock_mono_ms(); }

struct evrec evs;

void on_event(const struct media_event *ev, void *arg)
{
	(void)arg;
	evs.total++;
	evs.owner = ev->owner;
	if (ev->kind == MEDIA_EV_FIRST_PACKET && ev->side >= 0 && ev->side < 2)
		evs.first[ev->side]++;
	else if (ev->kind == MEDIA_EV_TIMEOUT)
		evs.timeout++;
}

bool env_open_q(struct env *e, unsigned workers, uint32_t timeout_ms, uint16_t pmin, uint16_t pmax,
                uint32_t quarantine_ms)
{
	struct media_conf conf = {.port_min = pmin,
	                          .port_max = pmax,
	                          .workers = workers,
	                          .timeout_ms = timeout_ms,
	                          .port_quarantine_ms = quarantine_ms};

	log_set_level(LOG_ERR);
	memset(&evs, 0, sizeof(evs));
	memset(e, 0, sizeof(*e));
	strcpy(conf.address, "127.0.0.1");
	if (loop_alloc(&e->l))
		return false;
	if (media_alloc(&e->m, &conf, e->l, on_event, NULL)) {
		loop_free(e->l);
		return false;
	}
	return true;
}

bool env_open(struct env *e, unsigned workers, uint32_t timeout_ms, uint16_t pmin, uint16_t pmax)
{
	return env_open_q(e, workers, timeout_ms, pmin, pmax, 0);
}

void env_close(struct env *e)
{
	media_free(e->m);
	loop_free(e->l);
}

static void wait_tick(void *arg)
{
	struct waiter *w = arg;

	if ((w->cond && w->cond(w->arg)) || clock_mono_ms() >= w->deadline)
		loop_stop(w->l);
	else
		tmr_start(loop_timers(w->l), &w->t, 2, wait_tick, w);
}

/* Run the signalling loop until cond holds or max_ms passed; returns cond. */
bool run_until(struct loop *l, bool (*cond)(void *), void *arg, unsigned max_ms)
{
	struct waiter w = {.l = l, .cond = cond, .arg = arg};

	tmr_init(&w.t);
	w.deadline = clock_mono_ms() + max_ms;
	tmr_start(loop_timers(l), &w.t, 0, wait_tick, &w);
	loop_run(l);
	tmr_cancel(&w.t);
	return cond ? cond(arg) : true;
}

bool int_is_set(void *arg) { return *(int *)arg > 0; }

bool phone_open(struct phone *p)
{
	return phone_open_at(p, "127.0.0.1");
}

bool phone_open_at(struct phone *p, const char *ip)
{
	struct sa a;

	if (sa_set(&a, pl_from(ip, strlen(ip)), 0))
		return false;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return false;
	if (bind(p->fd, &a.u.sa, a.len) < 0)
		return false;
	p->addr.len = sizeof(p->addr.u);
	return getsockname(p->fd, &p->addr.u.sa, &p->addr.len) == 0;
}

void phone_close(struct phone *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

void psend(const struct phone *p, const struct sa *to, const void *buf, size_t len)
{
	(void)!sendto(p->fd, buf, len, 0, &to->u.sa, to->len);
}

/* One datagram within timeout_ms, or -1. */
int precv(const struct phone *p, uint8_t *buf, size_t cap, int timeout_ms, struct sa *from)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	struct sa tmp;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	if (!from)
		from = &tmp;
	from->len = sizeof(from->u);
	n = recvfrom(p->fd, buf, cap, MSG_DONTWAIT, &from->u.sa, &from->len);
	return n < 0 ? -1 : (int)n;
}

/* Nothing arrives within ms. */
bool pquiet(const struct phone *p, int ms)
{
	uint8_t buf[2048];

	return precv(p, buf, sizeof(buf), ms, NULL) < 0;
}

size_t rtp_make(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t fill, size_t plen)
{
	buf[0] = 0x80;
	buf[1] = 0; /* PCMU */
	wr16(buf + 2, seq);
	wr32(buf + 4, ts);
	wr32(buf + 8, ssrc);
	for (size_t i = 0; i < plen; i++)
		buf[12 + i] = (uint8_t)(fill + i);
	return 12 + plen;
}

bool payload_ok(const uint8_t *buf, size_t len, uint8_t fill, size_t plen)
{
	if (len != 12 + plen)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (buf[12 + i] != (uint8_t)(fill + i))
			return false;
	return true;
}

uint64_t stat_field(const struct media_bridge *b, int side, size_t off)
{
	struct media_side_stats st;
	uint64_t v;

	media_bridge_stats(b, side, &st);
	memcpy(&v, (const char *)&st + off, sizeof(v));
	return v;
}

/* Poll a counter until it reaches want (bounded). */
bool wait_stat(const struct media_bridge *b, int side, size_t off, uint64_t want)
{
	uint64_t end = now_ms() + 1000;

	while (stat_field(b, side, off) < want) {
		if (now_ms() > end)
			return false;
		usleep(500);
	}
	return true;
}

void key_make(struct sr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->suite = SR_AES_CM_128_HMAC_SHA1_80;
	rand_bytes(k->key, 16);
	rand_bytes(k->salt, 14);
}

/* A libsrtp2 context under k: outbound to protect, inbound to unprotect. */
srtp_t lsrtp_new(const struct sr_key *k, bool outbound)
{
	static bool inited;
	srtp_policy_t pol;
	uint8_t master[30];
	srtp_t s = NULL;

	if (!inited) {
		srtp_init();
		inited = true;
	}
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	memcpy(master, k->key, 16);
	memcpy(master + 16, k->salt, 14);
	pol.key = master;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	return s;
}

size_t lprotect(srtp_t s, uint8_t *buf, size_t len)
{
	int l = (int)len;

	if (srtp_protect(s, buf, &l) != srtp_err_status_ok)
		return 0;
	return (size_t)l;
}

int lunprotect(srtp_t s, uint8_t *buf, int len)
{
	int l = len;

	if (len < 0 || srtp_unprotect(s, buf, &l) != srtp_err_status_ok)
		return -1;
	return l;
}

bool call_open(struct env *e, struct call *c, void *owner)
{
	memset(c, 0, sizeof(*c));
	c->a.fd = c->b_.fd = -1;
	if (media_bridge_alloc(e->m, &c->b, owner))
		return false;
	if (!phone_open(&c->a) || !phone_open(&c->b_))
		return false;
	media_bridge_local(c->b, 0, &c->la, &c->la_rtcp);
	media_bridge_local(c->b, 1, &c->lb, &c->lb_rtcp);
	return true;
}

void call_remotes(struct call *c)
{
	media_bridge_set_remote(c->b, 0, &c->a.addr, NULL, false);
	media_bridge_set_remote(c->b, 1, &c->b_.addr, NULL, false);
}

void call_close(struct call *c)
{
	if (c->b)
		media_bridge_free(c->b);
	phone_close(&c->a);
	phone_close(&c->b_);
}
