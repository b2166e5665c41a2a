/* Unit tests for src/net: addresses, framing, the event loop, and the UDP/TCP/TLS transports
 * over real sockets on 127.0.0.1 (port 0). Every case has its own loop, bounded by a timer. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "net/frame.h"
#include "net/loop.h"
#include "net/sa.h"
#include "net/tls.h"
#include "net/tp.h"
#include "harness.h"

/* ---- helpers ---- */

struct waiter {
	struct loop *l;
	bool (*cond)(void *);
	void *arg;
	uint64_t deadline;
	struct tmr t;
};

static void wait_tick(void *arg)
{
	struct waiter *w = arg;

	if ((w->cond && w->cond(w->arg)) || loop_now_ms(w->l) >= w->deadline)
		loop_stop(w->l);
	else
		tmr_start(loop_timers(w->l), &w->t, 2, wait_tick, w);
}

/* Run the loop until cond holds (checked every 2 ms) or max_ms passed; returns cond. */
static bool run_until(struct loop *l, bool (*cond)(void *), void *arg, unsigned max_ms)
{
	struct waiter w = {.l = l, .cond = cond, .arg = arg};

	tmr_init(&w.t);
	w.deadline = clock_mono_ms() + max_ms;
	tmr_start(loop_timers(l), &w.t, 0, wait_tick, &w);
	loop_run(l);
	tmr_cancel(&w.t);
	return cond ? cond(arg) : true;
}

static struct loop *new_loop(void)
{
	struct loop *l = NULL;

	log_set_level(LOG_ERR);
	if (loop_alloc(&l))
		return NULL;
	return l;
}

/* What a manager's receive and close handlers saw. */
struct rec {
	int n;
	char msg[8][2048];
	size_t len[8];
	unsigned flags[8];
	struct tp_peer from;
	struct tp_conn *conn; /* our reference */
	int closed;
	struct tp_mgr *mgr;
	const char *reply; /* sent back to the sender, if set */
	bool reply_by_addr; /* ... found by (kind, address) rather than by from->conn */
	int reply_err;
	const char *tls_version, *tls_cipher;
};

static void rec_recv(const struct tp_peer *from, const char *msg, size_t len, unsigned flags,
		     void *arg)
{
	struct rec *r = arg;

	if (r->n < 8) {
		size_t n = len < sizeof(r->msg[0]) - 1 ? len : sizeof(r->msg[0]) - 1;
		memcpy(r->msg[r->n], msg, n);
		r->msg[r->n][n] = '\0';
		r->len[r->n] = len;
		r->flags[r->n] = flags;
	}
	r->n++;
	r->from = *from;
	if (from->conn && !r->conn)
		r->conn = tp_conn_ref(from->conn);
	if (from->conn) {
		r->tls_version = tp_conn_tls_version(from->conn);
		r->tls_cipher = tp_conn_tls_cipher(from->conn);
	}
	if (r->reply) {
		struct tp_peer to = *from;
		if (r->reply_by_addr)
			to.conn = NULL;
		r->reply_err = tp_send(r->mgr, &to, r->reply, strlen(r->reply));
	}
}

static void rec_closed(struct tp_conn *c, void *arg)
{
	struct rec *r = arg;
	(void)c;
	r->closed++;
}

static void rec_free(struct rec *r)
{
	tp_conn_unref(r->conn);
	r->conn = NULL;
}

static bool got_n(void *arg, int n)
{
	return ((struct rec *)arg)->n >= n;
}
static bool got1(void *arg)
{
	return got_n(arg, 1);
}
static bool got2(void *arg)
{
	return got_n(arg, 2);
}
static bool got3(void *arg)
{
	return got_n(arg, 3);
}
static bool got4(void *arg)
{
	return got_n(arg, 4);
}
static bool got_closed(void *arg)
{
	return ((struct rec *)arg)->closed > 0;
}

static const struct tp_config test_cfg = {
	.max_msg = 65535,
	.max_hdr = 16384,
	.accept_rate = 500,
	.accept_burst = 1000,
	.idle_timeout_ms = 60000,
	.max_conns = 100,
};

static struct sa loopback(void)
{
	struct sa a;
	sa_parse(&a, "127.0.0.1:0", 0);
	return a;
}

/* A plain client socket, connected (loopback completes at once through the backlog). */
static int raw_connect(const struct sa *to)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, &to->u.sa, to->len) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void raw_write(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* A raw client's input, collected by the loop. */
struct raw_in {
	struct loop *l;
	char buf[4096];
	size_t len;
	bool eof;
};

static void raw_readable(int fd, unsigned events, void *arg)
{
	struct raw_in *in = arg;
	(void)events;

	for (;;) {
		ssize_t n = recv(fd, in->buf + in->len, sizeof(in->buf) - 1 - in->len, 0);
		if (n > 0) {
			in->len += (size_t)n;
			in->buf[in->len] = '\0';
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			in->eof = true;
			/* No spinning on a level-triggered EOF. */
			loop_fd_modify(in->l, fd, 0);
		}
		return;
	}
}

static bool raw_eof(void *arg)
{
	return ((struct raw_in *)arg)->eof;
}
static bool raw_has_data(void *arg)
{
	return ((struct raw_in *)arg)->len > 0;
}

/* Scheduled writes from a raw client, so data arrives in separate reads. */
struct step {
	struct tmr t;
	int fd;
	const char *data;
	size_t len;
};

static void step_h(void *arg)
{
	struct step *s = arg;
	raw_write(s->fd, s->data, s->len);
}

static void schedule(struct loop *l, struct step *s, int fd, unsigned at_ms, const char *data)
{
	tmr_init(&s->t);
	s->fd = fd;
	s->data = data;
	s->len = strlen(data);
	tmr_start(loop_timers(l), &s->t, at_ms, step_h, s);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- sa ---- */

static void sa_parse_and_format(void)
{
	struct sa a, b;
	char buf[SA_STRLEN];

	REQUIRE(sa_parse(&a, "192.0.2.1:5060", 0) == 0);
	CHECK_EQ_INT(sa_family(&a), AF_INET);
	CHECK_EQ_INT(sa_port(&a), 5060);
	CHECK(strcmp(sa_str(&a, buf, sizeof(buf)), "192.0.2.1:5060") == 0);
	CHECK(strcmp(sa_host_str(&a, buf, sizeof(buf)), "192.0.2.1") == 0);
	CHECK(strcmp(sa_host_str(&a, buf, 10), "192.0.2.1") == 0);
	CHECK(strcmp(sa_host_str(&a, buf, 9), "") == 0); /* no room: nothing, as inet_ntop */
	CHECK(strcmp(sa_str(&a, buf, 8), "192.0.2") == 0); /* truncated, as snprintf */
	REQUIRE(sa_parse(&b, "255.255.255.255:65535", 0) == 0);
	CHECK(strcmp(sa_str(&b, buf, sizeof(buf)), "255.255.255.255:65535") == 0);
	REQUIRE(sa_parse(&b, "0.0.0.0:0", 0) == 0);
	CHECK(strcmp(sa_str(&b, buf, sizeof(buf)), "0.0.0.0:0") == 0);
	REQUIRE(sa_parse(&b, "198.51.100.7", 80) == 0);
	CHECK(strcmp(sa_str(&b, buf, sizeof(buf)), "198.51.100.7:80") == 0);

	REQUIRE(sa_parse(&b, "192.0.2.1", 5060) == 0);
	CHECK(sa_eq(&a, &b));
	sa_set_port(&b, 5061);
	CHECK(!sa_eq(&a, &b));
	CHECK(sa_eq_addr(&a, &b));

	REQUIRE(sa_parse(&a, "[::1]:5061", 0) == 0);
	CHECK_EQ_INT(sa_family(&a), AF_INET6);
	CHECK_EQ_INT(sa_port(&a), 5061);
	CHECK(strcmp(sa_str(&a, buf, sizeof(buf)), "[::1]:5061") == 0);
	CHECK(strcmp(sa_host_str(&a, buf, sizeof(buf)), "::1") == 0);
	REQUIRE(sa_parse(&b, "[::1]", 5061) == 0);
	CHECK(sa_eq(&a, &b));
	REQUIRE(sa_parse(&b, "2001:db8::5", 7) == 0); /* bare IPv6: no port */
	CHECK_EQ_INT(sa_port(&b), 7);
	CHECK(strcmp(sa_str(&b, buf, sizeof(buf)), "[2001:db8::5]:7") == 0);
	CHECK(!sa_eq_addr(&a, &b));

	REQUIRE(sa_set(&a, PL("[2001:db8::1]"), 9) == 0);
	CHECK(strcmp(sa_str(&a, buf, sizeof(buf)), "[2001:db8::1]:9") == 0);
	REQUIRE(sa_set(&a, PL("198.51.100.1"), 0) == 0);
	CHECK(!sa_is_any(&a));
	REQUIRE(sa_parse(&a, "0.0.0.0:0", 0) == 0);
	CHECK(sa_is_any(&a));
	REQUIRE(sa_parse(&a, "[::]:5060", 0) == 0);
	CHECK(sa_is_any(&a));
	REQUIRE(sa_parse(&a, "1.2.3.4:65535", 0) == 0);
	CHECK_EQ_INT(sa_port(&a), 65535);

	static const char *const bad[] = {
		"", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:5x", "[::1", "[::1]x",
		"[::1]:", "[1.2.3.4]:5", "host.example.com", "1.2.3.4.5", "256.1.1.1", "[]:5",
		"::1::2", "1.2.3.4:5:6", ":5060",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sa keep = a;
		if (sa_parse(&a, bad[i], 5060) != EINVAL) {
			fprintf(stderr, "accepted '%s'\n", bad[i]);
			CHECK(0);
		}
		CHECK(sa_eq(&a, &keep)); /* untouched on failure */
	}
	CHECK(sa_set(&a, PL("example.com"), 1) == EINVAL);
	memset(&b, 0, sizeof(b));
	CHECK_EQ_INT(sa_family(&b), AF_UNSPEC);
	CHECK(!sa_eq(&b, &b));
}

static void tp_kind_names(void)
{
	enum tp_kind k = TP_UDP;

	CHECK(strcmp(tp_kind_name(TP_TLS), "TLS") == 0);
	CHECK(strcmp(tp_kind_name(TP_UDP), "UDP") == 0);
	CHECK(tp_kind_parse(PL("tcp"), &k) == 0 && k == TP_TCP);
	CHECK(tp_kind_parse(PL("TLS"), &k) == 0 && k == TP_TLS);
	CHECK(tp_kind_parse(PL("SCTP"), &k) == EINVAL && k == TP_TLS);
	CHECK(tp_kind_parse(PL("tc"), &k) == EINVAL);
}

/* ---- frame ---- */

static enum frame_kind frame1(const char *s, size_t *n)
{
	struct frame f;
	frame_reset(&f);
	return frame_next(&f, s, strlen(s), 1024, 4096, n);
}

static void frame_scan(void)
{
	size_t n = 0;
	struct frame f;
	const char *msg;

	msg = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\nhelloNEXT";
	CHECK_EQ_INT(frame1(msg, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg) - 4);
	/* compact form, any case, spaces around the colon */
	msg = "MESSAGE sip:a SIP/2.0\r\nVia: x\r\n  l  :   3\r\nL :3\r\n\r\nabc";
	CHECK_EQ_INT(frame1(msg, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg));
	msg = "MESSAGE sip:a SIP/2.0\r\ncontent-LENGTH:\t2\r\n\r\nab";
	CHECK_EQ_INT(frame1(msg, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg));
	/* missing Content-Length on a stream: empty body */
	msg = "BYE sip:a SIP/2.0\r\nVia: x\r\n\r\nBYE";
	CHECK_EQ_INT(frame1(msg, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg) - 3);
	/* a header that only looks like it */
	msg = "BYE sip:a SIP/2.0\r\nX-Content-Length: 9\r\nlx: 4\r\n\r\n";
	CHECK_EQ_INT(frame1(msg, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg));

	CHECK_EQ_INT(frame1("\r\n\r\nINVITE", &n), FRAME_PING);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(frame1("\r\nINVITE", &n), FRAME_CRLF);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(frame1("\r\n", &n), FRAME_MORE);
	CHECK_EQ_INT(frame1("\r\n\r", &n), FRAME_MORE);
	CHECK_EQ_INT(frame1("\r", &n), FRAME_MORE);

	CHECK_EQ_INT(frame1("X sip:a SIP/2.0\r\nContent-Length: 12a\r\n\r\n", &n), FRAME_BAD);
	CHECK_EQ_INT(frame1("X sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", &n), FRAME_BAD);
	CHECK_EQ_INT(frame1("X sip:a SIP/2.0\r\nContent-Length: 4097\r\n\r\n", &n),
		     FRAME_OVERSIZE);

	/* Resumable: fed a byte at a time, the header block is found once and the body waited
	 * for. */
	msg = "INFO sip:a SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";
	frame_reset(&f);
	for (size_t i = 1; i < strlen(msg); i++)
		CHECK_EQ_INT(frame_next(&f, msg, i, 1024, 4096, &n), FRAME_MORE);
	CHECK_EQ_INT(frame_next(&f, msg, strlen(msg), 1024, 4096, &n), FRAME_MSG);
	CHECK_EQ_INT(n, strlen(msg));

	/* Headers that never end: oversize once past max_hdr. */
	char big[1100];
	memset(big, 'a', sizeof(big));
	frame_reset(&f);
	CHECK_EQ_INT(frame_next(&f, big, 1000, 1024, 4096, &n), FRAME_MORE);
	CHECK_EQ_INT(frame_next(&f, big, sizeof(big), 1024, 4096, &n), FRAME_OVERSIZE);
	CHECK_EQ_INT(n, sizeof(big));
}

/* ---- loop ---- */

static int fired[8], n_fired;
static void fire(void *arg)
{
	fired[n_fired++] = (int)(intptr_t)arg;
}

struct fdt {
	struct loop *l;
	int pipe_a[2], pipe_b[2];
	int a_calls, b_calls;
};

static void fd_a(int fd, unsigned events, void *arg)
{
	struct fdt *t = arg;
	char c;
	(void)!read(fd, &c, 1);
	CHECK(events & LOOP_READ);
	t->a_calls++;
	/* Remove (and close) the other fd while its event may be pending in this batch. */
	loop_fd_remove(t->l, t->pipe_b[0]);
	loop_fd_remove(t->l, fd);
	loop_stop(t->l);
}

static void fd_b(int fd, unsigned events, void *arg)
{
	struct fdt *t = arg;
	char c;
	(void)events;
	(void)!read(fd, &c, 1);
	t->b_calls++;
	loop_fd_remove(t->l, t->pipe_a[0]);
	loop_fd_remove(t->l, fd);
	loop_stop(t->l);
}

static int sig_seen;
static void on_sig(int signo, void *arg)
{
	sig_seen = signo;
	loop_stop(arg);
}

static void *stopper(void *arg)
{
	struct timespec ts = {0, 20 * 1000000};
	nanosleep(&ts, NULL);
	loop_stop(arg);
	return NULL;
}

static void loop_timers_fds_signals(void)
{
	struct loop *l = new_loop();
	struct tmr t[3], stop;
	struct fdt ft = {.l = l};
	uint64_t t0;

	REQUIRE(l);
	n_fired = 0;
	for (int i = 0; i < 3; i++)
		tmr_init(&t[i]);
	tmr_init(&stop);
	tmr_start(loop_timers(l), &t[0], 30, fire, (void *)(intptr_t)3);
	tmr_start(loop_timers(l), &t[1], 10, fire, (void *)(intptr_t)1);
	tmr_start(loop_timers(l), &t[2], 20, fire, (void *)(intptr_t)2);
	tmr_start(loop_timers(l), &stop, 40, (tmr_h *)loop_stop, l);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(loop_run(l), 0);
	CHECK(clock_mono_ms() - t0 >= 40);
	CHECK_EQ_INT(n_fired, 3);
	CHECK(fired[0] == 1 && fired[1] == 2 && fired[2] == 3);

	/* Both pipes readable in one batch: whichever runs first removes the other. */
	REQUIRE(pipe2(ft.pipe_a, O_NONBLOCK) == 0 && pipe2(ft.pipe_b, O_NONBLOCK) == 0);
	CHECK(loop_fd_listen(l, ft.pipe_a[0], LOOP_READ, fd_a, &ft) == 0);
	CHECK(loop_fd_listen(l, ft.pipe_b[0], LOOP_READ, fd_b, &ft) == 0);
	CHECK(loop_fd_listen(l, ft.pipe_b[0], LOOP_READ, fd_b, &ft) == EEXIST);
	CHECK(loop_fd_modify(l, ft.pipe_b[1], LOOP_READ) == ENOENT);
	(void)!write(ft.pipe_a[1], "x", 1);
	(void)!write(ft.pipe_b[1], "x", 1);
	run_until(l, NULL, NULL, 500);
	CHECK_EQ_INT(ft.a_calls + ft.b_calls, 1);
	for (int i = 0; i < 2; i++) {
		close(ft.pipe_a[i]);
		close(ft.pipe_b[i]);
	}

	/* A signal arrives through the loop. */
	sig_seen = 0;
	CHECK(loop_signal(l, SIGUSR1, on_sig, l) == 0);
	raise(SIGUSR1);
	run_until(l, NULL, NULL, 1000);
	CHECK_EQ_INT(sig_seen, SIGUSR1);

	/* loop_stop from another thread wakes epoll_wait with no timers pending. */
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, stopper, l) == 0);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(loop_run(l), 0);
	CHECK(clock_mono_ms() - t0 < 5000);
	pthread_join(th, NULL);
	loop_free(l);
}

/* ---- UDP ---- */

static void udp_echo_and_oversize(void)
{
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL, *cli = NULL;
	struct rec rs = {.reply = "SIP/2.0 200 OK\r\n\r\n"}, rc = {0};
	struct tp_config cfg = test_cfg;
	struct sa any = loopback(), srv_addr, cli_addr;
	struct tp_stats st;
	const char *req = "OPTIONS sip:x SIP/2.0\r\n\r\n";

	REQUIRE(l);
	cfg.max_msg = 100;
	REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_mgr_alloc(&cli, l, &test_cfg, rec_recv, &rc) == 0);
	rs.mgr = srv;
	rc.mgr = cli;
	REQUIRE(tp_listen(srv, TP_UDP, &any, NULL, &srv_addr) == 0);
	REQUIRE(tp_listen(cli, TP_UDP, &any, NULL, &cli_addr) == 0);
	CHECK(sa_port(&srv_addr) != 0);

	struct tp_peer to = {.kind = TP_UDP, .remote = srv_addr};
	CHECK(tp_send(cli, &to, req, strlen(req)) == 0);
	CHECK(run_until(l, got1, &rc, 2000));
	CHECK_EQ_INT(rs.n, 1);
	CHECK(strcmp(rs.msg[0], req) == 0);
	CHECK_EQ_INT(rs.flags[0], 0);
	CHECK(sa_eq(&rs.from.remote, &cli_addr));
	CHECK(rs.from.conn == NULL);
	CHECK(strcmp(rc.msg[0], "SIP/2.0 200 OK\r\n\r\n") == 0);

	/* A datagram past max_msg arrives cut, flagged. */
	char big[300];
	memset(big, 'x', sizeof(big));
	rs.reply = NULL;
	CHECK(tp_send(cli, &to, big, sizeof(big)) == 0);
	CHECK(run_until(l, got2, &rs, 2000));
	CHECK_EQ_INT(rs.n, 2);
	CHECK_EQ_INT(rs.flags[1], TP_MSG_OVERSIZE);
	CHECK_EQ_INT(rs.len[1], 100);

	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.msgs_in, 2);
	CHECK_EQ_INT(st.msgs_out, 1);
	tp_mgr_free(cli);
	tp_mgr_free(srv);
	loop_free(l);
}

/* ---- TCP ---- */

static const char msg_a[] = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n";
static const char msg_b[] = "MESSAGE sip:a SIP/2.0\r\nl: 5\r\n\r\nhello";
static const char msg_c[] = "INFO sip:a SIP/2.0\r\nContent-Length:   3\r\n\r\nabc";

static void tcp_framing_ping_reuse_close(void)
{
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL;
	struct rec rs = {0};
	struct raw_in in = {.l = l};
	struct sa any = loopback(), srv_addr;
	struct step steps[4];
	struct tp_stats st;
	char two[256];
	int fd;

	REQUIRE(l);
	REQUIRE(tp_mgr_alloc(&srv, l, &test_cfg, rec_recv, &rs) == 0);
	rs.mgr = srv;
	tp_mgr_set_close_handler(srv, rec_closed, &rs);
	REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);
	fd = raw_connect(&srv_addr);
	REQUIRE(fd >= 0);
	REQUIRE(loop_fd_listen(l, fd, LOOP_READ, raw_readable, &in) == 0);

	/* Two pipelined messages in one write, then one split over three writes (after a lone
	 * CRLF, which is skipped). */
	snprintf(two, sizeof(two), "%s%s", msg_a, msg_b);
	schedule(l, &steps[0], fd, 5, two);
	schedule(l, &steps[1], fd, 30, "\r\nINFO sip:a SIP/2.0\r\nCont");
	schedule(l, &steps[2], fd, 55, "ent-Length:   3\r\n\r\nab");
	schedule(l, &steps[3], fd, 80, "c");
	CHECK(run_until(l, got3, &rs, 3000));
	run_until(l, NULL, NULL, 30);
	REQUIRE(rs.n == 3);
	CHECK(strcmp(rs.msg[0], msg_a) == 0);
	CHECK(strcmp(rs.msg[1], msg_b) == 0);
	CHECK(strcmp(rs.msg[2], msg_c) == 0);
	CHECK(rs.flags[0] == 0 && rs.flags[1] == 0 && rs.flags[2] == 0);
	REQUIRE(rs.conn);
	CHECK_EQ_INT(tp_conn_kind(rs.conn), TP_TCP);
	CHECK(tp_conn_tls_version(rs.conn) == NULL);
	CHECK(sa_eq(tp_conn_remote(rs.conn), &rs.from.remote));

	/* A request toward the phone finds its connection by address: no new connection. */
	struct tp_peer to = {.kind = TP_TCP, .remote = rs.from.remote};
	CHECK(tp_send(srv, &to, msg_a, strlen(msg_a)) == 0);
	to.conn = rs.conn;
	CHECK(tp_send(srv, &to, msg_b, strlen(msg_b)) == 0);
	CHECK(run_until(l, raw_has_data, &in, 2000));
	run_until(l, NULL, NULL, 20);
	CHECK(strcmp(in.buf, two) == 0);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.conns_accepted, 1);
	CHECK_EQ_INT(st.conns_open, 1);
	CHECK_EQ_INT(st.msgs_in, 3);
	CHECK_EQ_INT(st.msgs_out, 2);

	/* RFC 5626 ping: CRLF CRLF gets CRLF. */
	in.len = 0;
	raw_write(fd, "\r\n\r\n", 4);
	CHECK(run_until(l, raw_has_data, &in, 2000));
	CHECK(in.len == 2 && memcmp(in.buf, "\r\n", 2) == 0);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.keepalives, 1);
	CHECK_EQ_INT(rs.n, 3);

	/* The phone goes away: close handler, and its connection is gone for good. */
	loop_fd_remove(l, fd);
	close(fd);
	CHECK(run_until(l, got_closed, &rs, 2000));
	CHECK_EQ_INT(rs.closed, 1);
	CHECK(!tp_conn_open(rs.conn));
	to.conn = rs.conn;
	CHECK_EQ_INT(tp_send(srv, &to, msg_a, strlen(msg_a)), ENOTCONN);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.conns_open, 0);

	tp_mgr_free(srv);
	CHECK_EQ_INT(rs.closed, 1);
	rec_free(&rs);
	loop_free(l);
}

static void tcp_oversize_then_close(void)
{
	static const char reply[] = "SIP/2.0 513 Message Too Large\r\nContent-Length: 0\r\n\r\n";

	for (int round = 0; round < 2; round++) {
		struct loop *l = new_loop();
		struct tp_mgr *srv = NULL;
		struct rec rs = {.reply = reply};
		struct raw_in in = {.l = l};
		struct sa any = loopback(), srv_addr;
		struct tp_config cfg = test_cfg;
		char big[700];
		int fd;

		REQUIRE(l);
		cfg.max_hdr = 256;
		cfg.max_msg = 100;
		REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
		rs.mgr = srv;
		tp_mgr_set_close_handler(srv, rec_closed, &rs);
		REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);
		fd = raw_connect(&srv_addr);
		REQUIRE(fd >= 0);
		REQUIRE(loop_fd_listen(l, fd, LOOP_READ, raw_readable, &in) == 0);
		if (round == 0) {
			/* A header block that does not end within max_hdr. */
			memset(big, 'a', sizeof(big));
			memcpy(big, "INVITE sip:a SIP/2.0\r\nX: ", 25);
			raw_write(fd, big, sizeof(big));
		} else {
			/* Content-Length past max_msg. */
			const char *h = "MESSAGE sip:a SIP/2.0\r\nContent-Length: 1000\r\n\r\nxyz";
			raw_write(fd, h, strlen(h));
		}
		CHECK(run_until(l, raw_eof, &in, 3000));
		CHECK_EQ_INT(rs.n, 1);
		CHECK_EQ_INT(rs.flags[0], TP_MSG_OVERSIZE);
		CHECK(rs.len[0] >= 20);
		CHECK_EQ_INT(rs.reply_err, 0);
		CHECK(strcmp(in.buf, reply) == 0);
		CHECK_EQ_INT(rs.closed, 1);
		loop_fd_remove(l, fd);
		close(fd);
		tp_mgr_free(srv);
		rec_free(&rs);
		loop_free(l);
	}
}

struct both {
	struct rec *a, *b;
};
static bool both_closed(void *arg)
{
	struct both *x = arg;
	return x->a->closed && x->b->closed;
}

static void tcp_connect_reuse_idle(void)
{
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL, *cli = NULL;
	struct rec rs = {.reply = msg_b}, rc = {0};
	struct tp_config cfg = test_cfg;
	struct sa any = loopback(), srv_addr;
	struct tp_stats st;

	REQUIRE(l);
	cfg.idle_timeout_ms = 150;
	REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_mgr_alloc(&cli, l, &test_cfg, rec_recv, &rc) == 0);
	rs.mgr = srv;
	rc.mgr = cli;
	tp_mgr_set_close_handler(srv, rec_closed, &rs);
	tp_mgr_set_close_handler(cli, rec_closed, &rc);
	REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);

	/* Two sends before the connection is even up: one connection, both queued. */
	struct tp_peer to = {.kind = TP_TCP, .remote = srv_addr};
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(tp_send(cli, &to, msg_c, strlen(msg_c)) == 0);
	CHECK(run_until(l, got2, &rc, 3000));
	CHECK_EQ_INT(rs.n, 2);
	CHECK(strcmp(rs.msg[0], msg_a) == 0 && strcmp(rs.msg[1], msg_c) == 0);
	CHECK(strcmp(rc.msg[0], msg_b) == 0);
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.conns_open, 1);
	CHECK_EQ_INT(st.conns_accepted, 0);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.conns_accepted, 1);

	/* Silence: the server's idle timer closes it, the client sees the close. */
	struct both b = {&rs, &rc};
	uint64_t t0 = clock_mono_ms();
	CHECK(run_until(l, both_closed, &b, 3000));
	CHECK(clock_mono_ms() - t0 >= 100);
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.conns_open, 0);

	/* A connection refused: send succeeds (queued), then the close handler reports it. */
	struct sa dead = srv_addr;
	tp_mgr_free(srv);
	rc.closed = 0;
	to.remote = dead;
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got_closed, &rc, 3000));

	tp_mgr_free(cli);
	rec_free(&rs);
	rec_free(&rc);
	loop_free(l);
}

static void tcp_accept_rate_and_max_conns(void)
{
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL;
	struct rec rs = {0};
	struct tp_config cfg = test_cfg;
	struct sa any = loopback(), srv_addr;
	struct tp_stats st;
	int fds[20];

	REQUIRE(l);
	cfg.accept_rate = 5;
	cfg.accept_burst = 5;
	REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);
	for (int i = 0; i < 20; i++)
		fds[i] = raw_connect(&srv_addr);
	run_until(l, NULL, NULL, 150);
	tp_mgr_stats(srv, &st);
	CHECK(st.conns_accepted >= 5 && st.conns_accepted <= 7);
	CHECK(st.conns_refused_rate > 0);
	CHECK(st.conns_accepted + st.conns_refused_rate <= 20);
	CHECK_EQ_INT(st.conns_open, st.conns_accepted);
	for (int i = 0; i < 20; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	tp_mgr_free(srv);

	/* max_conns: the third connection is turned away. */
	cfg = test_cfg;
	cfg.max_conns = 2;
	REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);
	for (int i = 0; i < 3; i++)
		fds[i] = raw_connect(&srv_addr);
	run_until(l, NULL, NULL, 100);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.conns_open, 2);
	CHECK_EQ_INT(st.conns_accepted, 2);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	tp_mgr_free(srv);
	loop_free(l);
}

static void tcp_output_bounded(void)
{
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL;
	struct rec rs = {0};
	struct sa any = loopback(), srv_addr;
	static char chunk[65536];
	int fd, err = 0;

	REQUIRE(l);
	REQUIRE(tp_mgr_alloc(&srv, l, &test_cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_listen(srv, TP_TCP, &any, NULL, &srv_addr) == 0);
	fd = raw_connect(&srv_addr);
	REQUIRE(fd >= 0);
	raw_write(fd, msg_a, strlen(msg_a));
	CHECK(run_until(l, got1, &rs, 2000));
	REQUIRE(rs.conn);
	/* The peer never reads: socket buffers fill, then the queue, then ENOBUFS. */
	memset(chunk, 'z', sizeof(chunk));
	struct tp_peer to = {.kind = TP_TCP, .conn = rs.conn};
	for (int i = 0; i < 1000 && !err; i++)
		err = tp_send(srv, &to, chunk, sizeof(chunk));
	CHECK_EQ_INT(err, ENOBUFS);
	CHECK(tp_conn_open(rs.conn));
	close(fd);
	tp_mgr_free(srv);
	rec_free(&rs);
	loop_free(l);
}

/* ---- TLS ---- */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static bool same_file(const char *dir, const char *name, const char *before)
{
	char path[512];
	char *now;
	bool same;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	now = read_all(path);
	same = now && before && strcmp(now, before) == 0;
	free(now);
	return same;
}

static char *slurp(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_all(path);
}

static X509 *load_cert(const char *dir, const char *name)
{
	char path[512];
	X509 *x = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

static int file_mode(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void tls_certs_generate_and_reuse(void)
{
	char tmp[] = "/tmp/sotto-net-XXXXXX", dir[256], cert[4096], key[4096];
	const char *names[] = {"127.0.0.1", "localhost", "::1", "sip.example.org"};
	char *ca_before, *srv_before, *key_before;
	X509 *ca, *srv;

	REQUIRE(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/a/b", tmp); /* created with the parents */
	REQUIRE(tls_ensure_certs(dir, names, 3, cert, key, sizeof(cert)) == 0);
	CHECK(strstr(cert, "/a/b/server.pem") != NULL);
	CHECK(strstr(key, "/a/b/server.key") != NULL);
	CHECK_EQ_INT(file_mode(dir, "ca.key"), 0600);
	CHECK_EQ_INT(file_mode(dir, "server.key"), 0600);
	CHECK_EQ_INT(file_mode(dir, ".") & 0077, 0);

	ca = load_cert(dir, "ca.pem");
	srv = load_cert(dir, "server.pem");
	REQUIRE(ca && srv);
	CHECK(X509_check_ca(ca) == 1);
	CHECK(X509_EXTENSION_get_critical(
		X509_get_ext(ca, X509_get_ext_by_NID(ca, NID_basic_constraints, -1))));
	CHECK(X509_get_key_usage(ca) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
	CHECK(X509_get0_subject_key_id(ca) != NULL);
	CHECK(X509_check_ca(srv) == 0);
	CHECK(X509_get_key_usage(srv) == KU_DIGITAL_SIGNATURE);
	CHECK(X509_get_extended_key_usage(srv) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
	CHECK(X509_get0_authority_key_id(srv) != NULL);
	CHECK(X509_check_issued(ca, srv) == X509_V_OK);
	CHECK(X509_check_ip_asc(srv, "127.0.0.1", 0) == 1);
	CHECK(X509_check_ip_asc(srv, "::1", 0) == 1);
	CHECK(X509_check_host(srv, "localhost", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) ==
	      1);
	CHECK(X509_check_host(srv, "sip.example.org", 0, 0, NULL) != 1);
	CHECK(EVP_PKEY_is_a(X509_get0_pubkey(srv), "EC"));
	CHECK_EQ_INT(EVP_PKEY_get_bits(X509_get0_pubkey(srv)), 256);
	CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca), X509_get0_serialNumber(srv)) != 0);
	CHECK(X509_get0_serialNumber(srv)->length == 16);
	X509_free(srv);

	/* Same names again: nothing changes. */
	ca_before = slurp(dir, "ca.pem");
	srv_before = slurp(dir, "server.pem");
	key_before = slurp(dir, "server.key");
	REQUIRE(tls_ensure_certs(dir, names, 3, cert, key, sizeof(cert)) == 0);
	CHECK(same_file(dir, "ca.pem", ca_before));
	CHECK(same_file(dir, "server.pem", srv_before));

	/* A new name: a new server certificate (same key, same CA). */
	REQUIRE(tls_ensure_certs(dir, names, 4, cert, key, sizeof(cert)) == 0);
	CHECK(same_file(dir, "ca.pem", ca_before));
	CHECK(same_file(dir, "server.key", key_before));
	CHECK(!same_file(dir, "server.pem", srv_before));
	srv = load_cert(dir, "server.pem");
	REQUIRE(srv);
	CHECK(X509_check_host(srv, "sip.example.org", 0, 0, NULL) == 1);
	CHECK(X509_check_issued(ca, srv) == X509_V_OK);
	X509_free(srv);
	X509_free(ca);
	free(ca_before);
	free(srv_before);
	free(key_before);

	const char *bad[] = {"two words"};
	CHECK_EQ_INT(tls_ensure_certs(dir, bad, 1, cert, key, sizeof(cert)), EINVAL);
	struct tls_ctx *t = NULL;
	CHECK_EQ_INT(tls_ctx_server_alloc(&t, "/nonexistent/server.pem", key), ENOENT);
	rm_rf(tmp);
}

struct tls_env {
	char tmp[32], dir1[64], dir2[64], cert[4096], key[4096], ca1[128], ca2[128];
	struct tls_ctx *server;
};

static int tls_env_init(struct tls_env *e)
{
	const char *names[] = {"127.0.0.1", "localhost"};
	char c2[4096], k2[4096];

	snprintf(e->tmp, sizeof(e->tmp), "/tmp/sotto-net-XXXXXX");
	if (!mkdtemp(e->tmp))
		return errno;
	snprintf(e->dir1, sizeof(e->dir1), "%s/one", e->tmp);
	snprintf(e->dir2, sizeof(e->dir2), "%s/two", e->tmp);
	snprintf(e->ca1, sizeof(e->ca1), "%s/ca.pem", e->dir1);
	snprintf(e->ca2, sizeof(e->ca2), "%s/ca.pem", e->dir2);
	if (tls_ensure_certs(e->dir1, names, 2, e->cert, e->key, sizeof(e->cert)) ||
	    tls_ensure_certs(e->dir2, names, 2, c2, k2, sizeof(c2)))
		return EIO;
	return tls_ctx_server_alloc(&e->server, e->cert, e->key);
}

static void tls_env_free(struct tls_env *e)
{
	tls_ctx_free(e->server);
	rm_rf(e->tmp);
}

static void tls_connect_verify_deliver(void)
{
	struct tls_env e = {0};
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL, *cli = NULL;
	struct tls_ctx *client = NULL;
	struct rec rs = {.reply = msg_b}, rc = {0};
	struct sa any = loopback(), srv_addr;
	struct tp_stats st;

	REQUIRE(l);
	REQUIRE(tls_env_init(&e) == 0);
	REQUIRE(tls_ctx_client_alloc(&client, e.ca1, true) == 0);
	REQUIRE(tp_mgr_alloc(&srv, l, &test_cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_mgr_alloc(&cli, l, &test_cfg, rec_recv, &rc) == 0);
	rs.mgr = srv;
	rc.mgr = cli;
	tp_mgr_set_close_handler(srv, rec_closed, &rs);
	tp_mgr_set_tls_client(cli, client);
	CHECK_EQ_INT(tp_listen(srv, TP_TLS, &any, NULL, &srv_addr), EINVAL);
	REQUIRE(tp_listen(srv, TP_TLS, &any, e.server, &srv_addr) == 0);

	struct tp_peer to = {.kind = TP_TLS, .remote = srv_addr, .server_name = "127.0.0.1"};
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got1, &rc, 5000));
	REQUIRE(rs.n == 1);
	CHECK(strcmp(rs.msg[0], msg_a) == 0);
	CHECK_EQ_INT(rs.from.kind, TP_TLS);
	REQUIRE(rs.tls_version && rs.tls_cipher);
	CHECK(strcmp(rs.tls_version, "TLSv1.3") == 0 || strcmp(rs.tls_version, "TLSv1.2") == 0);
	CHECK(rc.n == 1 && strcmp(rc.msg[0], msg_b) == 0);
	CHECK(rc.tls_version != NULL);
	tp_mgr_stats(srv, &st);
	CHECK_EQ_INT(st.tls_handshakes, 1);
	CHECK_EQ_INT(st.tls_failures, 0);
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.tls_handshakes, 1);

	/* A large message spans many TLS records and reads. */
	static char big[40100];
	int hl = snprintf(big, sizeof(big), "MESSAGE sip:a SIP/2.0\r\nContent-Length: 40000\r\n\r\n");
	memset(big + hl, 'q', 40000);
	rs.reply = NULL;
	CHECK(tp_send(cli, &to, big, (size_t)hl + 40000) == 0);
	CHECK(run_until(l, got2, &rs, 5000));
	CHECK_EQ_INT(rs.len[1], hl + 40000);
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.conns_open, 1);

	/* A new server certificate (reload): new connections get it, the old one stays. */
	struct tls_ctx *server2 = NULL, *client2 = NULL;
	struct tp_mgr *cli2 = NULL;
	struct rec rc2 = {0};
	char c2[4096], k2[4096];
	snprintf(c2, sizeof(c2), "%s/server.pem", e.dir2);
	snprintf(k2, sizeof(k2), "%s/server.key", e.dir2);
	REQUIRE(tls_ctx_server_alloc(&server2, c2, k2) == 0);
	REQUIRE(tls_ctx_client_alloc(&client2, e.ca2, true) == 0);
	REQUIRE(tp_mgr_alloc(&cli2, l, &test_cfg, rec_recv, &rc2) == 0);
	tp_mgr_set_tls_client(cli2, client2);
	tp_mgr_set_tls_server(srv, server2);
	to.server_name = "localhost";
	CHECK(tp_send(cli2, &to, msg_c, strlen(msg_c)) == 0);
	CHECK(run_until(l, got3, &rs, 5000));
	CHECK(strcmp(rs.msg[2], msg_c) == 0);
	to.server_name = "127.0.0.1";
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got4, &rs, 5000));
	CHECK(strcmp(rs.msg[3], msg_a) == 0);
	tp_mgr_free(cli2);
	tls_ctx_free(client2);
	CHECK(run_until(l, got_closed, &rs, 3000));
	CHECK(tp_conn_open(rs.conn));
	rs.closed = 0;

	/* The client goes away: the server's close handler runs. */
	tp_mgr_free(cli);
	CHECK(run_until(l, got_closed, &rs, 3000));
	CHECK(!tp_conn_open(rs.conn));

	tp_mgr_free(srv);
	tls_ctx_free(server2);
	tls_ctx_free(client);
	rec_free(&rs);
	rec_free(&rc);
	tls_env_free(&e);
	loop_free(l);
}

/* A raw OpenSSL client limited to TLS 1.1, driven by the loop. */
struct old_client {
	struct loop *l;
	SSL *ssl;
	int fd;
	bool done, ok;
};

static void old_client_h(int fd, unsigned events, void *arg)
{
	struct old_client *o = arg;
	int r;
	(void)events;

	r = SSL_do_handshake(o->ssl);
	if (r == 1) {
		o->ok = o->done = true;
	} else {
		int e = SSL_get_error(o->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			loop_fd_modify(o->l, fd, e == SSL_ERROR_WANT_READ ? LOOP_READ : LOOP_WRITE);
			return;
		}
		o->done = true;
	}
	ERR_clear_error();
	loop_fd_remove(o->l, fd);
}

static bool old_done(void *arg)
{
	return ((struct old_client *)arg)->done;
}

static bool failed_once(void *arg)
{
	struct tp_stats st;
	tp_mgr_stats(arg, &st);
	return st.tls_failures > 0;
}

static void tls_failures_refused(void)
{
	struct tls_env e = {0};
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL, *cli = NULL;
	struct tls_ctx *other = NULL, *right = NULL;
	struct rec rs = {0}, rc = {0};
	struct sa any = loopback(), srv_addr;
	struct tp_stats st;

	REQUIRE(l);
	REQUIRE(tls_env_init(&e) == 0);
	REQUIRE(tls_ctx_client_alloc(&other, e.ca2, true) == 0);
	REQUIRE(tls_ctx_client_alloc(&right, e.ca1, true) == 0);
	REQUIRE(tp_mgr_alloc(&srv, l, &test_cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_mgr_alloc(&cli, l, &test_cfg, rec_recv, &rc) == 0);
	tp_mgr_set_close_handler(cli, rec_closed, &rc);
	REQUIRE(tp_listen(srv, TP_TLS, &any, e.server, &srv_addr) == 0);

	/* A client trusting another CA: verification fails, nothing is delivered. */
	tp_mgr_set_tls_client(cli, other);
	struct tp_peer to = {.kind = TP_TLS, .remote = srv_addr, .server_name = "127.0.0.1"};
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got_closed, &rc, 5000));
	CHECK(run_until(l, failed_once, srv, 2000));
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.tls_failures, 1);
	CHECK_EQ_INT(st.tls_handshakes, 0);

	/* The right CA but the wrong name. */
	rc.closed = 0;
	tp_mgr_set_tls_client(cli, right);
	to.server_name = "wrong.example.org";
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got_closed, &rc, 5000));
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.tls_failures, 2);
	CHECK_EQ_INT(rs.n, 0);

	/* A TLS 1.1-only client is refused by the server. */
	struct old_client o = {.l = l};
	SSL_CTX *octx = SSL_CTX_new(TLS_client_method());
	REQUIRE(octx);
	SSL_CTX_set_security_level(octx, 0);
	SSL_CTX_set_min_proto_version(octx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(octx, TLS1_1_VERSION);
	SSL_CTX_set_cipher_list(octx, "DEFAULT:@SECLEVEL=0");
	o.fd = raw_connect(&srv_addr);
	o.ssl = SSL_new(octx);
	REQUIRE(o.fd >= 0 && o.ssl);
	SSL_set_fd(o.ssl, o.fd);
	SSL_set_connect_state(o.ssl);
	tp_mgr_stats(srv, &st);
	uint64_t srv_failures = st.tls_failures;
	REQUIRE(loop_fd_listen(l, o.fd, LOOP_WRITE, old_client_h, &o) == 0);
	CHECK(run_until(l, old_done, &o, 5000));
	CHECK(!o.ok);
	close(o.fd);
	run_until(l, NULL, NULL, 50);
	tp_mgr_stats(srv, &st);
	CHECK(st.tls_failures > srv_failures);
	CHECK_EQ_INT(st.tls_handshakes, 0);
	CHECK_EQ_INT(st.msgs_in, 0);
	SSL_free(o.ssl);
	SSL_CTX_free(octx);

	/* A client that connects to the TLS port and never says hello is timed out. */
	tp_mgr_free(srv);
	struct tp_config cfg = test_cfg;
	cfg.idle_timeout_ms = 100;
	rs.closed = 0;
	REQUIRE(tp_mgr_alloc(&srv, l, &cfg, rec_recv, &rs) == 0);
	tp_mgr_set_close_handler(srv, rec_closed, &rs);
	REQUIRE(tp_listen(srv, TP_TLS, &any, e.server, &srv_addr) == 0);
	int fd = raw_connect(&srv_addr);
	uint64_t t0 = clock_mono_ms();
	CHECK(run_until(l, got_closed, &rs, 3000));
	CHECK(clock_mono_ms() - t0 >= 90);
	CHECK(failed_once(srv));
	close(fd);

	tp_mgr_free(cli);
	tp_mgr_free(srv);
	tls_ctx_free(other);
	tls_ctx_free(right);
	rec_free(&rs);
	rec_free(&rc);
	tls_env_free(&e);
	loop_free(l);
}

/* A trunk's connection: its own client context on the peer (the manager's trusts another CA),
 * held with tp_connect and reused; failures say why (tp_conn_error). */
static void tls_peer_context_connect_error(void)
{
	struct tls_env e = {0};
	struct loop *l = new_loop();
	struct tp_mgr *srv = NULL, *cli = NULL;
	struct tls_ctx *other = NULL, *right = NULL;
	struct rec rs = {.reply = msg_b}, rc = {0};
	struct sa any = loopback(), srv_addr;
	struct tp_conn *c = NULL, *c2 = NULL;
	struct tp_stats st;

	REQUIRE(l);
	REQUIRE(tls_env_init(&e) == 0);
	REQUIRE(tls_ctx_client_alloc(&other, e.ca2, true) == 0);
	REQUIRE(tls_ctx_client_alloc(&right, e.ca1, true) == 0);
	REQUIRE(tp_mgr_alloc(&srv, l, &test_cfg, rec_recv, &rs) == 0);
	REQUIRE(tp_mgr_alloc(&cli, l, &test_cfg, rec_recv, &rc) == 0);
	rs.mgr = srv;
	tp_mgr_set_close_handler(cli, rec_closed, &rc);
	tp_mgr_set_tls_client(cli, other);
	REQUIRE(tp_listen(srv, TP_TLS, &any, e.server, &srv_addr) == 0);

	struct tp_peer to = {.kind = TP_TLS, .remote = srv_addr, .server_name = "127.0.0.1",
			     .tls_client = right};
	struct tp_peer udp = {.kind = TP_UDP, .remote = srv_addr};
	CHECK_EQ_INT(tp_connect(cli, &udp, &c), EINVAL);
	REQUIRE(tp_connect(cli, &to, &c) == 0 && c);
	REQUIRE(tp_connect(cli, &to, &c2) == 0);
	CHECK(c2 == c); /* found, not opened twice */
	tp_conn_unref(c2);
	to.conn = c;
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got1, &rc, 5000));
	CHECK(rs.n == 1 && rc.n == 1);
	CHECK(tp_conn_open(c) && tp_conn_error(c) == NULL);
	tp_mgr_stats(cli, &st);
	CHECK_EQ_INT(st.conns_open, 1);

	/* Another peer to the same address with a context trusting the wrong CA: the connection
	 * verified with the first context is not lent to it; its own fails, and says why. */
	to.conn = NULL;
	to.tls_client = other;
	REQUIRE(tp_connect(cli, &to, &c2) == 0);
	CHECK(c2 != c);
	CHECK(tp_send(cli, &to, msg_a, strlen(msg_a)) == 0);
	CHECK(run_until(l, got_closed, &rc, 5000));
	CHECK(!tp_conn_open(c2) && tp_conn_open(c));
	CHECK(tp_conn_error(c2) && strstr(tp_conn_error(c2), "TLS: certificate verif"));
	CHECK_EQ_INT(rs.n, 1); /* nothing of it reached the server */
	tp_conn_unref(c2);

	struct tp_mgr *cli2 = NULL;
	struct rec rc2 = {0};
	REQUIRE(tp_mgr_alloc(&cli2, l, &test_cfg, rec_recv, &rc2) == 0);
	tp_mgr_set_close_handler(cli2, rec_closed, &rc2);

	/* Nobody listening: connect refused. */
	struct sa closed = srv_addr;
	sa_set_port(&closed, (uint16_t)(sa_port(&srv_addr) == 65535 ? 1 : sa_port(&srv_addr) + 1));
	struct tp_peer tcp = {.kind = TP_TCP, .remote = closed};
	rc2.closed = 0;
	int err = tp_connect(cli2, &tcp, &c2);
	if (!err) {
		CHECK(run_until(l, got_closed, &rc2, 5000));
		CHECK(tp_conn_error(c2) && strstr(tp_conn_error(c2), "connect: Connection refused"));
		tp_conn_unref(c2);
	} else {
		CHECK_EQ_INT(err, ECONNREFUSED);
	}

	tp_conn_unref(c);
	tp_mgr_free(cli2);
	tp_mgr_free(cli);
	tp_mgr_free(srv);
	tls_ctx_free(other);
	tls_ctx_free(right);
	rec_free(&rs);
	rec_free(&rc);
	rec_free(&rc2);
	tls_env_free(&e);
	loop_free(l);
}

static const struct test_case cases[] = {
	{"tls_peer_context_connect_error", tls_peer_context_connect_error},
	{"sa_parse_and_format", sa_parse_and_format},
	{"tp_kind_names", tp_kind_names},
	{"frame_scan", frame_scan},
	{"loop_timers_fds_signals", loop_timers_fds_signals},
	{"udp_echo_and_oversize", udp_echo_and_oversize},
	{"tcp_framing_ping_reuse_close", tcp_framing_ping_reuse_close},
	{"tcp_oversize_then_close", tcp_oversize_then_close},
	{"tcp_connect_reuse_idle", tcp_connect_reuse_idle},
	{"tcp_accept_rate_and_max_conns", tcp_accept_rate_and_max_conns},
	{"tcp_output_bounded", tcp_output_bounded},
	{"tls_certs_generate_and_reuse", tls_certs_generate_and_reuse},
	{"tls_connect_verify_deliver", tls_connect_verify_deliver},
	{"tls_failures_refused", tls_failures_refused},
};

TEST_MAIN(cases)
