/* SIP message view (RFC 3261 section 7, 20, 25): zero-copy parse of a request or response.
 * Every pl points into the caller's buffer, which must outlive the sip_msg; the parser never
 * writes into it. */
#ifndef SOTTO_SIP_MSG_H
#define SOTTO_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pl.h"

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,
	SIP_INVITE,
	SIP_ACK,
	SIP_BYE,
	SIP_CANCEL,
	SIP_OPTIONS,
	SIP_REGISTER,
	SIP_PRACK,
	SIP_SUBSCRIBE,
	SIP_NOTIFY,
	SIP_PUBLISH,
	SIP_INFO,
	SIP_REFER,
	SIP_MESSAGE,
	SIP_UPDATE,
};

/* Headers the PBX looks at; compact forms (RFC 3261 7.3.3 and registry) map to the same id. */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,		   /* v */
	SIP_HDR_FROM,		   /* f */
	SIP_HDR_TO,		   /* t */
	SIP_HDR_CALL_ID,	   /* i */
	SIP_HDR_CSEQ,
	SIP_HDR_CONTACT,	   /* m */
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTENT_LENGTH,	   /* l */
	SIP_HDR_CONTENT_TYPE,	   /* c */
	SIP_HDR_CONTENT_ENCODING,  /* e */
	SIP_HDR_EXPIRES,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_SUPPORTED,	   /* k */
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_ALLOW,
	SIP_HDR_ACCEPT,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_SUBJECT,	   /* s */
	SIP_HDR_EVENT,		   /* o */
	SIP_HDR_REFER_TO,	   /* r */
	SIP_HDR_SESSION_EXPIRES,   /* x */
	SIP_HDR_DATE,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_PRIVACY,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_REASON,
	SIP_HDR_RSEQ,
	SIP_HDR_RACK,
	SIP_HDR__COUNT
};

/* sip:, sips: (RFC 3261 19.1) and tel: (RFC 3966) URIs. */
struct sip_uri {
	struct pl scheme;   /* "sip", "sips", "tel" as written (case kept) */
	bool sips;	    /* scheme is sips */
	bool tel;	    /* scheme is tel: user holds the number, host is empty */
	struct pl user;	    /* still %-escaped; empty if none */
	struct pl password;
	struct pl host;	    /* IPv6 references without the brackets */
	bool host_ipv6;
	uint16_t port;	    /* 0 when absent */
	struct pl params;   /* raw ";a=b;c" after hostport, including the first ';' */
	struct pl headers;  /* raw after '?', without it */
	struct pl transport; /* value of transport= param, if any */
	struct pl maddr;
	struct pl user_param; /* value of user= */
	bool lr;
	/* Any other scheme (RFC 4475 3.3.2-3.3.4): everything after "scheme:", checked only for
	 * URI characters; the other fields stay empty. */
	struct pl opaque;
};

/* One Via value (RFC 3261 20.42, RFC 3581). */
struct sip_via {
	struct pl raw;	     /* the whole via-parm */
	struct pl protocol;  /* "SIP/2.0", as written: LWS around the '/' stays in the view */
	struct pl transport; /* "UDP", "TCP", "TLS", ... */
	struct pl host;	     /* IPv6 without brackets */
	bool host_ipv6;
	uint16_t port;	     /* 0 when absent */
	struct pl params;    /* raw, including the first ';' */
	struct pl branch;
	struct pl received;
	struct pl maddr;
	bool rport;	     /* rport present (with or without value) */
	uint16_t rport_val;  /* 0 when present without value */
	uint32_t ttl;
};

/* name-addr / addr-spec with parameters: From, To, Contact, Route, Record-Route. */
struct sip_addr {
	struct pl raw;
	struct pl display;   /* unquoted view (escapes kept) or token; empty if none */
	struct pl uri_raw;
	struct sip_uri uri;
	struct pl params;    /* header params after the URI, raw, including first ';' */
	struct pl tag;
	bool star;	     /* Contact: * */
	bool has_expires;
	uint32_t expires;    /* Contact expires= */
	struct pl q;
};

struct sip_hdr {
	enum sip_hdr_id id;
	struct pl name;	 /* as written */
	struct pl value; /* trimmed; may contain folded line breaks (LWS) */
};

#define SIP_MAX_HDRS 160

struct sip_msg {
	struct pl raw; /* the whole message as parsed */
	bool is_request;
	/* request line */
	struct pl method;
	enum sip_method mid;
	struct pl ruri_raw;
	struct sip_uri ruri;
	/* status line */
	uint16_t scode;
	struct pl reason;
	struct pl version;

	struct sip_hdr hdrs[SIP_MAX_HDRS];
	size_t nhdrs;

	/* parsed essentials; a request missing any of Via, From, To, Call-ID, CSeq is rejected */
	struct sip_via via; /* top-most Via */
	size_t nvia;	    /* number of Via values in the message */
	struct sip_addr from, to;
	struct pl call_id;
	uint32_t cseq;
	struct pl cseq_method;
	enum sip_method cseq_mid;
	int32_t max_forwards;	/* -1 when absent */
	int64_t expires;	/* Expires header, -1 when absent */
	int64_t content_length; /* -1 when absent (allowed on UDP only) */
	struct pl content_type;
	struct pl body;

	/* After a failed parse: a short reason phrase for the 400 (static string), and whether
	 * enough of the message was understood to route a response (top Via, From, To, Call-ID,
	 * CSeq parsed). */
	const char *error;
	bool can_reply;
	/* The status the parser suggests for that reply: 400, or 505 for an unknown SIP version
	 * (RFC 4475 3.1.2.16). 0 after a successful parse. */
	uint16_t error_scode;
};

/* Parse buf[0..len) as one SIP message (a datagram, or a message framed by a stream transport).
 * 0 on success; EBADMSG (msg->error says why) on malformed input. On UDP the body is what follows
 * the headers, cut to Content-Length when present; more bytes than Content-Length are ignored
 * (RFC 3261 18.3), fewer are an error. */
int sip_msg_parse(struct sip_msg *msg, const char *buf, size_t len);

/* Next header with this id after 'prev' (NULL to start). */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id,
				  const struct sip_hdr *prev);
/* Header by name (case-insensitive, compact forms not applied), for SIP_HDR_OTHER headers. */
const struct sip_hdr *sip_msg_hdr_name(const struct sip_msg *msg, const char *name);

/* Comma-separated header values (RFC 3261 7.3.1), respecting quotes and <>: call with *item
 * zeroed first; returns false when done. */
bool sip_list_next(struct pl list, struct pl *item);

int sip_uri_parse(struct sip_uri *uri, struct pl s);
/* Look up a ;name[=value] parameter in a raw params view (leading ';' optional). */
bool sip_param(struct pl params, const char *name, struct pl *value);
int sip_via_parse(struct sip_via *via, struct pl s);
int sip_addr_parse(struct sip_addr *addr, struct pl s);

enum sip_method sip_method_id(struct pl name);
const char *sip_method_name(enum sip_method m);
enum sip_hdr_id sip_hdr_id(struct pl name);

#endif
