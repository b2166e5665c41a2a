/* Unit tests for the secure marker (pbx/call_marker.c): when the caller's name toward the
 * callee and the callee's name toward the caller carry it, that a phone's own copy of it is
 * removed, and the config keys behind it. The call objects are built by hand: only the fields
 * the marker reads are set (the integration tests test_call_baresip/test_call_policy show it
 * on real phones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "core/mbuf.h"
#include "harness.h"
#include "pbx/call_int.h"

#define LOCK "\xF0\x9F\x94\x92"

static struct settings *load(const char *text, struct mbuf *errs)
{
	char path[] = "/tmp/sotto-test-marker-XXXXXX";
	int fd = mkstemp(path);
	struct settings *s = NULL;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	(void)settings_load(path, &s, errs);
	unlink(path);
	return s;
}

static const char conf[] = "[transport]\nudp = 127.0.0.1:5060\n"
			   "[extension 1001]\nname = Alice Smith\npassword = x\n"
			   "[extension 1002]\nname = Bob\npassword = y\n"
			   "[extension 1003]\npassword = z\n";

/* A TLS caller 1001 with SRTP on its one stream, one TLS fork to 1002 (mandatory). */
static void secure_call(struct call *c)
{
	static int dummy_bridge;
	memset(c, 0, sizeof(*c));
	c->winner = -1;
	strcpy(c->caller, "1001");
	strcpy(c->callee, "1002");
	c->a_kind = TP_TLS;
	c->nmedia = 1;
	c->media[0].bridge = (struct media_bridge *)&dummy_bridge; /* only tested for NULL */
	c->media[0].a_srtp = true;
	c->nbr = 1;
	c->br[0].kind = TP_TLS;
	c->br[0].tls = true;
	c->br[0].policy = ENC_MANDATORY;
}

static void display(const struct call *c, const struct settings *s, char *buf, size_t size)
{
	call_marker_caller_display(c, &c->br[0], s, buf, size);
}

static void caller_name(void)
{
	struct mbuf errs;
	mbuf_init(&errs);
	struct settings *s = load(conf, &errs);
	REQUIRE(s);
	struct call c;
	char buf[160];

	secure_call(&c);
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, LOCK " Alice Smith")); /* the configured name when the phone sent none */
	strcpy(c.caller_display, "Ally");
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, LOCK " Ally")); /* the phone's own name wins */

	/* Any doubt about the far leg: no marker. */
	c.br[0].policy = ENC_OPTIONAL;
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));
	c.br[0].policy = ENC_MANDATORY;
	c.br[0].tls = false;
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));
	c.br[0].tls = true;
	c.media[0].a_srtp = false;
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));
	c.media[0].a_srtp = true;
	c.a_kind = TP_TCP;
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));
	c.a_kind = TP_TLS;
	strcpy(c.trunk, "provider"); /* from a trunk: nobody vouches beyond the provider */
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));
	c.trunk[0] = '\0';
	c.nmedia = 0; /* no anchored stream known yet (no offer): no marker */
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Ally"));

	/* No name anywhere: the number. */
	secure_call(&c);
	strcpy(c.caller, "1003");
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, LOCK " 1003"));
	settings_free(s);
	mbuf_free(&errs);
}

static void forged_marker(void)
{
	struct mbuf errs;
	mbuf_init(&errs);
	struct settings *s = load(conf, &errs);
	REQUIRE(s);
	struct call c;
	char buf[160];

	secure_call(&c);
	c.a_kind = TP_UDP; /* a clear caller posing as secure */
	strcpy(c.caller_display, LOCK " Boss");
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Boss"));
	strcpy(c.caller_display, "The " LOCK LOCK "Boss" LOCK);
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "The Boss"));
	strcpy(c.caller_display, LOCK);
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Alice Smith")); /* nothing left: the configured name */

	char dn[32] = "  [S] x [S]";
	call_marker_strip(dn, "[S]");
	CHECK(!strcmp(dn, "x "));
	strcpy(dn, "keep");
	call_marker_strip(dn, ""); /* marker off: nothing to remove */
	CHECK(!strcmp(dn, "keep"));
	settings_free(s);
	mbuf_free(&errs);
}

static void marker_config(void)
{
	struct mbuf errs;
	char text[512];
	mbuf_init(&errs);
	snprintf(text, sizeof(text), "[general]\nsecure_marker = off\n%s", conf);
	struct settings *s = load(text, &errs);
	REQUIRE(s);
	struct call c;
	char buf[160];
	secure_call(&c);
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "Alice Smith")); /* turned off */
	settings_free(s);

	snprintf(text, sizeof(text), "[general]\nsecure_marker = [secure]\n%s", conf);
	s = load(text, &errs);
	REQUIRE(s);
	display(&c, s, buf, sizeof(buf));
	CHECK(!strcmp(buf, "[secure] Alice Smith"));
	settings_free(s);

	/* A quote would break the display name: refused with file, line and key. */
	mbuf_free(&errs);
	mbuf_init(&errs);
	snprintf(text, sizeof(text), "[general]\nsecure_marker = \"x\n%s", conf);
	CHECK(!load(text, &errs));
	CHECK(errs.buf && strstr(errs.buf, ":2:") && strstr(errs.buf, "secure_marker"));
	mbuf_free(&errs);
	mbuf_init(&errs);
	snprintf(text, sizeof(text), "%s[extension 1004]\nname = a\\b\npassword = w\n", conf);
	CHECK(!load(text, &errs));
	CHECK(errs.buf && strstr(errs.buf, "name"));
	mbuf_free(&errs);

	/* The default is the padlock. */
	mbuf_init(&errs);
	s = load(conf, &errs);
	REQUIRE(s);
	CHECK(!strcmp(s->secure_marker, LOCK));
	settings_free(s);
	mbuf_free(&errs);
}

static void callee_name(void)
{
	struct mbuf errs, h;
	mbuf_init(&errs);
	struct settings *s = load(conf, &errs);
	REQUIRE(s);
	struct call c;

	secure_call(&c);
	mbuf_init(&h);
	call_marker_pai(&c, s, &h); /* not answered yet: nothing */
	CHECK(h.len == 0);
	c.winner = 0;
	c.media[0].b_srtp = true;
	call_marker_pai(&c, s, &h);
	REQUIRE(h.buf);
	CHECK(!strcmp(h.buf, "P-Asserted-Identity: \"" LOCK " Bob\" <sip:1002@sotto.test>\r\n"));
	mbuf_free(&h);

	mbuf_init(&h);
	c.media[0].b_srtp = false; /* B answered in clear: the name without the marker */
	call_marker_pai(&c, s, &h);
	REQUIRE(h.buf);
	CHECK(!strcmp(h.buf, "P-Asserted-Identity: \"Bob\" <sip:1002@sotto.test>\r\n"));
	mbuf_free(&h);

	mbuf_init(&h);
	strcpy(c.trunk, "provider"); /* never toward or from a provider */
	call_marker_pai(&c, s, &h);
	CHECK(h.len == 0);
	mbuf_free(&h);
	settings_free(s);
	mbuf_free(&errs);
}

static const struct test_case tests[] = {
	{"caller_name", caller_name},
	{"forged_marker", forged_marker},
	{"marker_config", marker_config},
	{"callee_name", callee_name},
};
TEST_MAIN(tests)
