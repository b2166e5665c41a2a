/* Unit tests for dial patterns (conf/dialpat) and routing (pbx/route): pattern syntax and
 * matching case by case, outbound route choice in file order with strip/prepend, inbound DIDs
 * and ring groups, and where a provider's INVITE carries the DID. Pure functions: no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/dialpat.h"
#include "conf/settings.h"
#include "harness.h"
#include "pbx/route.h"
#include "sip/msg.h"

/* ---- patterns ---- */

static const struct {
	const char *pat, *dialled;
	bool match;
} match_cases[] = {
	/* literals */
	{"1234", "1234", true},
	{"1234", "123", false},
	{"1234", "12345", false},
	{"*43", "*43", true},
	{"#1", "#1", true},
	{"+44X", "+441", true},
	{"+44X", "441", false},
	/* X Z N, either case */
	{"X", "0", true},
	{"X", "9", true},
	{"X", "*", false},
	{"X", "+", false},
	{"x", "5", true},
	{"Z", "0", false},
	{"Z", "1", true},
	{"z", "9", true},
	{"N", "1", false},
	{"N", "2", true},
	{"n", "9", true},
	{"NXXNXXXXXX", "2125551234", true},
	{"NXXNXXXXXX", "2121551234", false},
	{"NXXNXXXXXX", "212555123", false},
	/* the issue's example: UK national numbers */
	{"0[1-9]XXXXXXXX", "0123456789", true},
	{"0[1-9]XXXXXXXX", "0023456789", false},
	{"0[1-9]XXXXXXXX", "012345678", false},
	{"0[1-9]XXXXXXXX", "01234567890", false},
	/* sets */
	{"[137]", "1", true},
	{"[137]", "3", true},
	{"[137]", "7", true},
	{"[137]", "2", false},
	{"[1-5]", "1", true},
	{"[1-5]", "5", true},
	{"[1-5]", "6", false},
	{"[1-5]", "0", false},
	{"[13-57]", "4", true},
	{"[13-57]", "2", false},
	{"[13-57]", "7", true},
	{"[5-5]", "5", true},
	{"[0-9]", "*", false},
	{"9[0-1][0-1]", "911", true},
	{"9[0-1][0-1]", "912", false},
	/* . one or more, ! zero or more, only at the end */
	{"00.", "00", false},
	{"00.", "001", true},
	{"00.", "0049301234567", true},
	{"00.", "01", false},
	{"9!", "9", true},
	{"9!", "9123", true},
	{"9!", "8", false},
	{".", "1", true},
	{".", "*#+", true},
	{"!", "1", true},
	{"X.", "1", false},
	{"X.", "12", true},
	{"00Z.", "0049", true},
	{"00Z.", "0004", false},
	/* the leading '_' of Asterisk */
	{"_0X", "01", true},
	{"_0X", "_01", false},
	{"_X!", "1", true},
	/* the dialled string is checked too */
	{"X.", "12a", false},
	{"!", "", false},
	{"1 2", "1 2", false},
};

static void patterns_match(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		bool got = dialpat_match(match_cases[i].pat, match_cases[i].dialled);
		if (got != match_cases[i].match)
			fprintf(stderr, "pattern '%s' on '%s': got %d\n", match_cases[i].pat,
				match_cases[i].dialled, got);
		CHECK(got == match_cases[i].match);
	}
}

static const struct {
	const char *pat;
	const char *why; /* NULL: valid; else a word of the reason */
} syntax_cases[] = {
	{"0[1-9]XXXXXXXX", NULL},
	{"_NXXXXXX", NULL},
	{"*43", NULL},
	{"+44.", NULL},
	{"9!", NULL},
	{"[1-5][137]X", NULL},
	{"", "empty"},
	{"_", "empty"},
	{"0.X", "may only end"},
	{"!1", "may only end"},
	{"..", "may only end"},
	{"0Y", "expected digits"},
	{"0 1", "expected digits"},
	{"0_1", "expected digits"},
	{"[]", "empty []"},
	{"[12", "closing"},
	{"[", "closing"},
	{"12]", "without '['"},
	{"[a]", "digits and ranges"},
	{"[X]", "digits and ranges"},
	{"[9-1]", "upwards"},
	{"[1-]", "both sides"},
	{"[-1]", "digits and ranges"},
	{"[1-X]", "both sides"},
	{"0123456789012345678901234567890123456789012345678901234567890123", "too long"},
};

static void patterns_syntax(void)
{
	for (size_t i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]); i++) {
		const char *p = syntax_cases[i].pat;
		const char *why = dialpat_check(p, strlen(p));
		bool ok = syntax_cases[i].why ? why && strstr(why, syntax_cases[i].why) : !why;
		if (!ok)
			fprintf(stderr, "pattern '%s': got '%s'\n", p, why ? why : "(valid)");
		CHECK(ok);
		if (why) /* an invalid pattern never matches anything */
			CHECK(!dialpat_match(p, "1"));
	}
	/* 63 characters is the limit, with or without '_' */
	char long_pat[70];
	memset(long_pat, 'X', 63);
	long_pat[63] = '\0';
	CHECK(dialpat_check(long_pat, 63) == NULL);
	CHECK(dialpat_check(NULL, 0) != NULL);
	CHECK(!dialpat_match(NULL, "1") && !dialpat_match("1", NULL));
}

static void patterns_min_len(void)
{
	CHECK_EQ_INT(dialpat_min_len("0[1-9]XXXXXXXX"), 10);
	CHECK_EQ_INT(dialpat_min_len("00."), 3);
	CHECK_EQ_INT(dialpat_min_len("9!"), 1);
	CHECK_EQ_INT(dialpat_min_len("_[13-5]X"), 2);
	CHECK_EQ_INT(dialpat_min_len("!"), 0);
}

static void numbers(void)
{
	CHECK(dialpat_number_ok("+4420", 5));
	CHECK(dialpat_number_ok("*43#", 4));
	CHECK(!dialpat_number_ok("", 0));
	CHECK(!dialpat_number_ok("12 3", 4));
	CHECK(!dialpat_number_ok("1001@x", 6));
	char n[70];
	memset(n, '1', 64);
	CHECK(dialpat_number_ok(n, 63));
	CHECK(!dialpat_number_ok(n, 64));
}

/* ---- routes, through the real loader ---- */

static struct settings *load(const char *text)
{
	char path[] = "/tmp/sotto-test-route-XXXXXX";
	int fd = mkstemp(path);
	struct settings *s = NULL;
	struct mbuf errs;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	mbuf_init(&errs);
	if (settings_load(path, &s, &errs))
		fprintf(stderr, "%s", errs.buf ? errs.buf : "");
	mbuf_free(&errs);
	unlink(path);
	return s;
}

static const char routes_conf[] =
	"[transport]\nudp = 127.0.0.1:5060\n"
	"[extension 1001]\npassword = x\n[extension 1002]\npassword = y\n"
	"[extension 1003]\npassword = z\n"
	"[trunk uk]\nhost = 127.0.0.1\ntransport = udp\ndids = 4420000000, 4420000001\n"
	"[trunk intl]\nhost = 127.0.0.2\ntransport = udp\ndids = 4930123\n"
	"[trunk spare]\nhost = 127.0.0.3\ntransport = udp\n"
	/* file order: emergency first, then UK national, then international, then a catch-all */
	"[route emergency]\nmatch = 999\nmatch = 112\ntrunk = uk\n"
	"[route national]\nmatch = 0[1-9]XXXXXXXXX\nmatch = 0[1-9]XXXXXXXX\ntrunk = uk\nstrip = 1\nprepend = 44\n"
	"[route international]\nmatch = 00Z.\ntrunk = intl\nstrip = 2\nprepend = +\n"
	"[route mobile-first]\nmatch = 07XXXXXXXXX\ntrunk = spare\n"
	"[route rest]\nmatch = _9!\ntrunk = spare\nstrip = 1\nprepend = 0\n"
	"[inbound]\n4420000000 = 1001\n4420000001 = 1002, 1001, 1003\n4930123 = 1003\n";

static void outbound_routes(void)
{
	struct settings *s = load(routes_conf);
	const struct conf_trunk *t = NULL;
	char out[ROUTE_NUMBER_MAX];
	REQUIRE(s);

	static const struct {
		const char *dialled, *trunk, *number;
	} cases[] = {
		{"999", "uk", "999"},
		{"112", "uk", "112"},
		{"01632960000", "uk", "441632960000"},
		{"0163296000", "uk", "44163296000"},
		{"07700900123", "uk", "447700900123"}, /* national comes first in the file */
		{"0049301234567", "intl", "+49301234567"},
		{"9", "spare", "0"},  /* strip everything, prepend remains */
		{"9123", "spare", "0123"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = NULL;
		int err = route_outbound(s, cases[i].dialled, &t, out, sizeof(out));
		bool ok = !err && t && !strcmp(t->name, cases[i].trunk) &&
			  !strcmp(out, cases[i].number);
		if (!ok)
			fprintf(stderr, "dialled %s: err %d trunk %s number %s\n", cases[i].dialled,
				err, t ? t->name : "-", err ? "-" : out);
		CHECK(ok);
	}
	/* no route */
	CHECK_EQ_INT(route_outbound(s, "1001", &t, out, sizeof(out)), ENOENT);
	CHECK_EQ_INT(route_outbound(s, "0004", &t, out, sizeof(out)), ENOENT);
	CHECK_EQ_INT(route_outbound(s, "0123", &t, out, sizeof(out)), ENOENT);
	CHECK_EQ_INT(route_outbound(s, "*43", &t, out, sizeof(out)), ENOENT);
	/* not a number */
	CHECK_EQ_INT(route_outbound(s, "", &t, out, sizeof(out)), EINVAL);
	CHECK_EQ_INT(route_outbound(s, "alice", &t, out, sizeof(out)), EINVAL);
	CHECK_EQ_INT(route_outbound(s, "999;x", &t, out, sizeof(out)), EINVAL);
	CHECK_EQ_INT(route_outbound(s, NULL, &t, out, sizeof(out)), EINVAL);
	/* room for the result */
	CHECK_EQ_INT(route_outbound(s, "01632960000", &t, out, 12), ENOSPC);
	CHECK_EQ_INT(route_outbound(s, "01632960000", &t, out, 13), 0);
	CHECK(!strcmp(out, "441632960000"));
	settings_free(s);
}

static void outbound_without_routes(void)
{
	struct settings *s = load("[transport]\nudp = 127.0.0.1:5060\n");
	const struct conf_trunk *t = NULL;
	char out[ROUTE_NUMBER_MAX];
	REQUIRE(s);
	CHECK_EQ_INT(route_outbound(s, "01632960000", &t, out, sizeof(out)), ENOENT);
	size_t n = 9;
	const char *exts[4];
	CHECK_EQ_INT(route_inbound(s, "4420000000", exts, 4, &n), ENOENT);
	CHECK_EQ_INT(n, 9);
	settings_free(s);
}

static void inbound_dids(void)
{
	struct settings *s = load(routes_conf);
	const char *exts[SETTINGS_INBOUND_MAX_EXTS];
	size_t n = 0;
	REQUIRE(s);

	CHECK_EQ_INT(route_inbound(s, "4420000000", exts, 8, &n), 0);
	CHECK(n == 1 && !strcmp(exts[0], "1001"));
	CHECK_EQ_INT(route_inbound(s, "+4420000001", exts, 8, &n), 0); /* ring group, in order */
	CHECK(n == 3 && !strcmp(exts[0], "1002") && !strcmp(exts[1], "1001") &&
	      !strcmp(exts[2], "1003"));
	CHECK_EQ_INT(route_inbound(s, "4420000001", exts, 2, &n), 0); /* bounded by max */
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(route_inbound(s, "442000000", exts, 8, &n), ENOENT);
	CHECK_EQ_INT(route_inbound(s, "44200000001", exts, 8, &n), ENOENT);
	CHECK_EQ_INT(route_inbound(s, "", exts, 8, &n), ENOENT);
	CHECK_EQ_INT(route_inbound(s, NULL, exts, 8, &n), EINVAL);

	const struct conf_trunk *uk = settings_trunk(s, "uk"), *intl = settings_trunk(s, "intl");
	REQUIRE(uk && intl);
	CHECK(route_trunk_has_did(uk, "4420000001"));
	CHECK(route_trunk_has_did(uk, "+4420000001"));
	CHECK(!route_trunk_has_did(uk, "4930123")); /* another trunk's DID */
	CHECK(route_trunk_has_did(intl, "4930123"));
	CHECK(!route_trunk_has_did(uk, "+"));
	CHECK(!route_trunk_has_did(uk, ""));
	CHECK(!route_trunk_has_did(NULL, "4420000001"));
	settings_free(s);
}

/* An INVITE as a provider sends it, R-URI and To given. */
static bool parse_invite(struct sip_msg *msg, char *buf, size_t size, const char *ruri,
			 const char *to)
{
	int n = snprintf(buf, size,
			 "INVITE %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:+441632960000@127.0.0.1>;tag=a\r\n"
			 "To: %s\r\n"
			 "Call-ID: c1\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Contact: <sip:p@127.0.0.1:5070>\r\n"
			 "Content-Length: 0\r\n\r\n",
			 ruri, to);
	return n > 0 && (size_t)n < size && sip_msg_parse(msg, buf, (size_t)n) == 0;
}

static void inbound_did_from_request(void)
{
	struct settings *s = load(routes_conf);
	static struct sip_msg msg;
	char buf[1024], did[32];
	REQUIRE(s);
	const struct conf_trunk *uk = settings_trunk(s, "uk");
	REQUIRE(uk);

	static const struct {
		const char *ruri, *to, *did;
	} cases[] = {
		/* DID in the Request-URI (most providers) */
		{"sip:4420000001@127.0.0.1", "<sip:4420000001@127.0.0.1>", "4420000001"},
		{"sip:+4420000001@127.0.0.1;user=phone", "<sip:whatever@x>", "4420000001"},
		/* Request-URI is the registered contact, the DID is in To */
		{"sip:trunkuser@127.0.0.1:5060", "<sip:4420000000@provider>", "4420000000"},
		{"sip:127.0.0.1", "\"Sales\" <sip:+4420000000@provider>;x=1", "4420000000"},
		{"sip:trunkuser@127.0.0.1", "<tel:+4420000001>", "4420000001"},
		/* the Request-URI wins when both are DIDs */
		{"sip:4420000000@127.0.0.1", "<sip:4420000001@p>", "4420000000"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE(parse_invite(&msg, buf, sizeof(buf), cases[i].ruri, cases[i].to));
		int err = route_inbound_did(uk, &msg, did, sizeof(did));
		if (err || strcmp(did, cases[i].did))
			fprintf(stderr, "case %zu: err %d did %s\n", i, err, err ? "-" : did);
		CHECK(!err && !strcmp(did, cases[i].did));
	}
	/* another trunk's DID, or none */
	REQUIRE(parse_invite(&msg, buf, sizeof(buf), "sip:4930123@127.0.0.1",
			     "<sip:4930123@127.0.0.1>"));
	CHECK_EQ_INT(route_inbound_did(uk, &msg, did, sizeof(did)), ENOENT);
	REQUIRE(parse_invite(&msg, buf, sizeof(buf), "sip:1001@127.0.0.1", "<sip:1001@x>"));
	CHECK_EQ_INT(route_inbound_did(uk, &msg, did, sizeof(did)), ENOENT);
	REQUIRE(parse_invite(&msg, buf, sizeof(buf), "sip:4420000000@127.0.0.1", "<sip:1@x>"));
	CHECK_EQ_INT(route_inbound_did(uk, &msg, did, 5), ENOENT); /* no room */
	CHECK_EQ_INT(route_inbound_did(NULL, &msg, did, sizeof(did)), ENOENT);
	settings_free(s);
}

static const struct test_case tests[] = {
	{"patterns_match", patterns_match},
	{"patterns_syntax", patterns_syntax},
	{"patterns_min_len", patterns_min_len},
	{"numbers", numbers},
	{"outbound_routes", outbound_routes},
	{"outbound_without_routes", outbound_without_routes},
	{"inbound_dids", inbound_dids},
	{"inbound_did_from_request", inbound_did_from_request},
};
TEST_MAIN(tests)
