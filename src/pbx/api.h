/* api: the admin API's view of the PBX (docs/api.md). Every function here runs on the signalling
 * thread, which owns what it reads; the admin server's threads reach it only through the job
 * queue in src/admin/bridge.c. Answers are JSON (or Prometheus text for /metrics). */
#ifndef SOTTO_PBX_API_H
#define SOTTO_PBX_API_H

#include <stdbool.h>

#include "core/mbuf.h"

struct pbx;

enum api_method { API_GET = 0, API_POST, API_DELETE, API_OTHER };

struct api_request {
	enum api_method method;
	const char *path; /* "/api/calls/3fa2c1d0e9b8", without the query */
};

struct api_response {
	unsigned status;          /* HTTP status */
	const char *content_type; /* static string */
	const char *allow;        /* for 405: the methods the path takes */
	struct mbuf body;
};

/* Whether the signalling thread answers this path (the rest are answered by the admin server
 * itself: the dashboard, and the store's events and call records). */
bool pbx_api_handles(const char *path);
/* Answer req into resp (resp->body initialised by the caller). */
void pbx_api(struct pbx *p, const struct api_request *req, struct api_response *resp);

/* Reload the configuration file the running one came from (SIGHUP, sottoctl reload, POST
 * /api/reload). All or nothing: on any problem nothing changes, every problem goes into errors
 * as "FILE:LINE: message" lines, and EINVAL (or the errno) is returned. On success notes gets
 * one line per thing said about it (what needs a restart to change). */
int pbx_reload(struct pbx *p, struct mbuf *errors, struct mbuf *notes);
/* The same, as text for sottoctl: "error: ..." first when refused. */
void pbx_reload_print(struct pbx *p, struct mbuf *out);
/* The last 20 call records as a table, for sottoctl cdr. */
void pbx_cdr_print(struct pbx *p, struct mbuf *out);

/* Prometheus text exposition (format 0.0.4) of the PBX's counters (api_metrics.c). */
void pbx_metrics(struct pbx *p, struct mbuf *out);

#endif
