/* bridge: how an admin request on one of the HTTP library's threads gets answered by the
 * signalling thread, which alone may touch PBX state. The request becomes a job in a queue
 * (mutex) and an eventfd wakes the signalling loop, which runs pbx_api and hands the answer back
 * through a condition variable. The HTTP thread waits a bounded time; a job it gave up on is
 * freed by whichever side sees it last. */
#ifndef SOTTO_ADMIN_BRIDGE_H
#define SOTTO_ADMIN_BRIDGE_H

#include "net/loop.h"
#include "pbx/api.h"

struct admin_bridge;
struct pbx;

/* Signalling thread: listens on loop for jobs, runs them with pbx (borrowed). */
int admin_bridge_alloc(struct admin_bridge **bp, struct loop *loop, struct pbx *pbx);
/* Signalling thread: refuse new jobs and wake every waiter (they get ESHUTDOWN). */
void admin_bridge_close(struct admin_bridge *b);
/* Signalling thread, once no other thread can call admin_bridge_call any more. */
void admin_bridge_free(struct admin_bridge *b);

/* Any thread but the signalling one: answer req on the signalling thread, waiting at most
 * timeout_ms. On 0, resp (resp->body initialised by the caller) holds the answer. ETIMEDOUT
 * (the signalling thread is busy), ESHUTDOWN (stopping) or ENOMEM. */
int admin_bridge_call(struct admin_bridge *b, const struct api_request *req,
                      struct api_response *resp, unsigned timeout_ms);

#endif
