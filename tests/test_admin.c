/* Unit tests for the admin API's building blocks: JSON string escaping (RFC 8259 section 7),
 * CSV fields (RFC 4180, with formula neutralisation), query parameter values (numbers, RFC 3339
 * times), the bearer token check; the job bridge to the signalling loop (answer, timeout,
 * shutdown) with a stand-in for the PBX. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <unistd.h>

#include "admin/bridge.h"
#include "admin/http.h"
#include "admin/query.h"
#include "core/json.h"
#include "core/mbuf.h"
#include "harness.h"
#include "net/loop.h"

/* The JSON for s (len bytes) as a C string in buf. */
static const char *js(const char *s, size_t len, char *buf, size_t size)
{
	struct mbuf mb;
	mbuf_init(&mb);
	json_strn(&mb, s, len);
	snprintf(buf, size, "%.*s", (int)mb.len, mb.buf ? mb.buf : "");
	mbuf_free(&mb);
	return buf;
}

#define JS(lit) js(lit, sizeof(lit) - 1, buf, sizeof(buf))

static void json_escapes(void)
{
	char buf[256];
	CHECK(!strcmp(JS("plain 1001"), "\"plain 1001\""));
	CHECK(!strcmp(JS(""), "\"\""));
	CHECK(!strcmp(JS("a\"b\\c"), "\"a\\\"b\\\\c\""));
	CHECK(!strcmp(JS("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\""));
	CHECK(!strcmp(JS("\x01\x1f"), "\"\\u0001\\u001f\""));
	CHECK(!strcmp(JS("nul\0x"), "\"nul\\u0000x\""));
	/* '/' and DEL need no escape (RFC 8259 section 7) */
	CHECK(!strcmp(JS("</script>\x7f"), "\"</script>\x7f\""));
}

static void json_utf8(void)
{
	char buf[256];
	/* valid UTF-8 is copied: é (2 bytes), € (3), 😀 (4) */
	CHECK(!strcmp(JS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	              "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""));
	/* invalid bytes become U+FFFD: a lone continuation, a truncated sequence, an overlong
	 * '/', a UTF-16 surrogate, above U+10FFFF */
	CHECK(!strcmp(JS("a\x80z"), "\"a\\ufffdz\""));
	CHECK(!strcmp(JS("\xe2\x82"), "\"\\ufffd\\ufffd\""));
	CHECK(!strcmp(JS("\xc0\xaf"), "\"\\ufffd\\ufffd\""));
	CHECK(!strcmp(JS("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""));
	CHECK(!strcmp(JS("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
}

static void json_members(void)
{
	struct mbuf mb;
	mbuf_init(&mb);
	mbuf_write_str(&mb, "{");
	json_kv_str(&mb, "s", "x", true);
	json_kv_str(&mb, "n", NULL, false);
	json_kv_i64(&mb, "i", -5, false);
	json_kv_u64(&mb, "u", UINT64_MAX, false);
	json_kv_bool(&mb, "b", true, false);
	json_kv_f64(&mb, "f", 1.25, false);
	json_kv_f64(&mb, "nan", NAN, false);
	json_kv_time(&mb, "t", 1714566600250, false);
	json_kv_time(&mb, "t0", 0, false);
	mbuf_write_str(&mb, "}");
	mbuf_write(&mb, "", 1);
	CHECK(!strcmp(mb.buf, "{\"s\":\"x\",\"n\":null,\"i\":-5,\"u\":18446744073709551615,"
	                      "\"b\":true,\"f\":1.250,\"nan\":null,"
	                      "\"t\":\"2024-05-01T12:30:00.250Z\",\"t0\":null}"));
	mbuf_free(&mb);
}

static const char *csv(const char *s, char *buf, size_t size)
{
	struct mbuf mb;
	mbuf_init(&mb);
	csv_field(&mb, s);
	snprintf(buf, size, "%.*s", (int)mb.len, mb.buf ? mb.buf : "");
	mbuf_free(&mb);
	return buf;
}

static void csv_fields(void)
{
	char buf[128];
	CHECK(!strcmp(csv("1001", buf, sizeof(buf)), "1001"));
	CHECK(!strcmp(csv(NULL, buf, sizeof(buf)), ""));
	CHECK(!strcmp(csv("TLS, SRTP AES_CM_128_HMAC_SHA1_80", buf, sizeof(buf)),
	              "\"TLS, SRTP AES_CM_128_HMAC_SHA1_80\""));
	CHECK(!strcmp(csv("say \"hi\"", buf, sizeof(buf)), "\"say \"\"hi\"\"\""));
	CHECK(!strcmp(csv("two\r\nlines", buf, sizeof(buf)), "\"two\r\nlines\""));
	/* formulas are neutralised; phone numbers and plain numbers are not */
	CHECK(!strcmp(csv("=HYPERLINK(\"x\")", buf, sizeof(buf)), "\"'=HYPERLINK(\"\"x\"\")\""));
	CHECK(!strcmp(csv("@SUM(A1)", buf, sizeof(buf)), "\"'@SUM(A1)\""));
	CHECK(!strcmp(csv("+1+cmd|x", buf, sizeof(buf)), "\"'+1+cmd|x\""));
	CHECK(!strcmp(csv("+4930123456", buf, sizeof(buf)), "+4930123456"));
	CHECK(!strcmp(csv("-5", buf, sizeof(buf)), "-5"));
}

static void query_numbers(void)
{
	uint32_t u = 7;
	int64_t i = 3;
	CHECK(query_u32(NULL, 10, &u) == 0 && u == 7);
	CHECK(query_u32("0", 10, &u) == 0 && u == 0);
	CHECK(query_u32("1000", 1000, &u) == 0 && u == 1000);
	CHECK_EQ_INT(query_u32("1001", 1000, &u), ERANGE);
	CHECK_EQ_INT(query_u32("", 1000, &u), EINVAL);
	CHECK_EQ_INT(query_u32("-1", 1000, &u), EINVAL);
	CHECK_EQ_INT(query_u32(" 1", 1000, &u), EINVAL);
	CHECK_EQ_INT(query_u32("1e3", 1000, &u), EINVAL);
	CHECK_EQ_INT(query_u32("99999999999", UINT32_MAX, &u), ERANGE);
	CHECK(query_u32("4294967295", UINT32_MAX, &u) == 0 && u == UINT32_MAX);
	CHECK(query_i64("123456789012", &i) == 0 && i == 123456789012);
	CHECK_EQ_INT(query_i64("99999999999999999999", &i), ERANGE);
	CHECK_EQ_INT(query_i64("12a", &i), EINVAL);
}

static void query_times(void)
{
	int64_t t = 42;
	CHECK(query_time(NULL, &t) == 0 && t == 42);
	CHECK(query_time("1970-01-01", &t) == 0 && t == 0);
	CHECK(query_time("2024-05-01", &t) == 0 && t == 1714521600000);
	CHECK(query_time("2024-05-01T12:30:00Z", &t) == 0 && t == 1714566600000);
	CHECK(query_time("2024-05-01T12:30:00.25Z", &t) == 0 && t == 1714566600250);
	CHECK(query_time("2024-05-01T14:30:00+02:00", &t) == 0 && t == 1714566600000);
	CHECK(query_time("2024-05-01T07:00:00-05:30", &t) == 0 && t == 1714566600000);
	CHECK(query_time("2024-02-29", &t) == 0);
	CHECK(query_time("1714566600", &t) == 0 && t == 1714566600000);
	CHECK_EQ_INT(query_time("2023-02-29", &t), EINVAL); /* not a leap year */
	CHECK_EQ_INT(query_time("2024-13-01", &t), EINVAL);
	CHECK_EQ_INT(query_time("2024-05-01T12:30:00", &t), EINVAL); /* no zone: ambiguous */
	CHECK_EQ_INT(query_time("2024-05-01T25:00:00Z", &t), EINVAL);
	CHECK_EQ_INT(query_time("2024-5-1", &t), EINVAL);
	CHECK_EQ_INT(query_time("2024-05-01Zjunk", &t), EINVAL);
	CHECK_EQ_INT(query_time("yesterday", &t), EINVAL);
	CHECK(query_number_ok("1001") && query_number_ok("+4930123") && query_number_ok("*43"));
	CHECK(!query_number_ok("") && !query_number_ok("10 01") && !query_number_ok("a'b"));
}

static void bearer_check(void)
{
	const char *tok = "0123456789abcdefXYZ";
	CHECK(admin_auth_check("Bearer 0123456789abcdefXYZ", tok) == 0);
	CHECK(admin_auth_check("bearer 0123456789abcdefXYZ", tok) == 0);
	CHECK(admin_auth_check("Bearer 0123456789abcdefXY", tok) != 0);
	CHECK(admin_auth_check("Bearer 0123456789abcdefXYZZ", tok) != 0);
	CHECK(admin_auth_check("Basic 0123456789abcdefXYZ", tok) != 0);
	CHECK(admin_auth_check("0123456789abcdefXYZ", tok) != 0);
	CHECK(admin_auth_check("Bearer ", tok) != 0);
	CHECK(admin_auth_check(NULL, tok) != 0);
}

/* ---- the bridge, with a stand-in for the PBX's answers ---- */

static unsigned fake_delay_ms;
static int fake_runs;

/* Replaces src/pbx/api.c here: the bridge is linked against this one. */
void pbx_api(struct pbx *p, const struct api_request *req, struct api_response *resp)
{
	(void)p;
	fake_runs++;
	if (fake_delay_ms)
		usleep(fake_delay_ms * 1000);
	resp->status = req->method == API_DELETE ? 404 : 200;
	resp->content_type = "text/plain";
	mbuf_printf(&resp->body, "answer for %s", req->path);
}

struct client {
	struct admin_bridge *b;
	struct loop *loop; /* stopped when the call returns, if set */
	const char *path;
	unsigned timeout_ms;
	int err;
	struct api_response resp;
};

static void stop_loop(void *arg) { loop_stop(arg); }

static void *client_run(void *arg)
{
	struct client *c = arg;
	struct api_request req = {.method = API_GET, .path = c->path};
	mbuf_init(&c->resp.body);
	c->err = admin_bridge_call(c->b, &req, &c->resp, c->timeout_ms);
	if (c->loop)
		loop_stop(c->loop);
	return NULL;
}

static void bridge_answers(void)
{
	struct loop *loop;
	struct admin_bridge *b;
	REQUIRE(loop_alloc(&loop) == 0);
	REQUIRE(admin_bridge_alloc(&b, loop, NULL) == 0);
	fake_delay_ms = 0;
	struct client c = {.b = b, .loop = loop, .path = "/api/calls", .timeout_ms = 5000};
	pthread_t t;
	pthread_create(&t, NULL, client_run, &c);
	loop_run(loop); /* runs the job, until the client stops it */
	pthread_join(t, NULL);
	CHECK_EQ_INT(c.err, 0);
	CHECK_EQ_INT(c.resp.status, 200);
	CHECK(c.resp.body.len == 21 && !memcmp(c.resp.body.buf, "answer for /api/calls", 21));
	mbuf_free(&c.resp.body);
	admin_bridge_close(b);
	admin_bridge_free(b);
	loop_free(loop);
}

/* The signalling thread takes longer than the caller waits: 503 for the caller, and the job is
 * freed by the loop when it finishes (ASan would see a leak or a use after free). */
static void bridge_timeout(void)
{
	struct loop *loop;
	struct admin_bridge *b;
	REQUIRE(loop_alloc(&loop) == 0);
	REQUIRE(admin_bridge_alloc(&b, loop, NULL) == 0);
	fake_delay_ms = 300;
	struct client c = {.b = b, .path = "/metrics", .timeout_ms = 50};
	pthread_t t;
	pthread_create(&t, NULL, client_run, &c);
	/* run the loop until the job has been run (the client gives up meanwhile) */
	int before = fake_runs;
	struct tmr stop;
	tmr_init(&stop);
	for (int i = 0; i < 100 && fake_runs == before; i++) {
		tmr_start(loop_timers(loop), &stop, 20, stop_loop, loop);
		loop_run(loop);
	}
	tmr_cancel(&stop);
	pthread_join(t, NULL);
	CHECK_EQ_INT(c.err, ETIMEDOUT);
	CHECK_EQ_INT(fake_runs, before + 1);
	mbuf_free(&c.resp.body);
	fake_delay_ms = 0;
	admin_bridge_close(b);
	admin_bridge_free(b);
	loop_free(loop);
}

/* Shutting down: a job still queued is cancelled, later calls are refused at once. */
static void bridge_shutdown(void)
{
	struct loop *loop;
	struct admin_bridge *b;
	REQUIRE(loop_alloc(&loop) == 0);
	REQUIRE(admin_bridge_alloc(&b, loop, NULL) == 0);
	struct client c = {.b = b, .path = "/api/registrations", .timeout_ms = 5000};
	pthread_t t;
	int before = fake_runs;
	pthread_create(&t, NULL, client_run, &c);
	usleep(50000); /* queued, never run: the loop does not turn */
	admin_bridge_close(b);
	pthread_join(t, NULL);
	CHECK_EQ_INT(c.err, ESHUTDOWN);
	CHECK_EQ_INT(fake_runs, before);
	struct api_request req = {.method = API_GET, .path = "/api/calls"};
	struct api_response resp = {0};
	mbuf_init(&resp.body);
	CHECK_EQ_INT(admin_bridge_call(b, &req, &resp, 1000), ESHUTDOWN);
	mbuf_free(&resp.body);
	mbuf_free(&c.resp.body);
	admin_bridge_free(b);
	loop_free(loop);
}

static const struct test_case tests[] = {
    {"bridge_answers", bridge_answers},
    {"bridge_timeout", bridge_timeout},
    {"bridge_shutdown", bridge_shutdown},
    {"json_escapes", json_escapes},
    {"json_utf8", json_utf8},
    {"json_members", json_members},
    {"csv_fields", csv_fields},
    {"query_numbers", query_numbers},
    {"query_times", query_times},
    {"bearer_check", bearer_check},
};

TEST_MAIN(tests)
