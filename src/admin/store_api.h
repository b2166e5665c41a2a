/* store_api: the admin API's answers read from the store (security events, call records), built
 * on the HTTP thread: the store's reader is thread-safe and a slow disk never stalls calls. */
#ifndef SOTTO_ADMIN_STORE_API_H
#define SOTTO_ADMIN_STORE_API_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mbuf.h"
#include "store/store.h"

/* Events as a JSON array: with last > 0 the last newest ones, else those with id > since_id
 * (at most limit). 0 or an errno. */
int store_api_events(struct store *s, int64_t since_id, uint32_t last, uint32_t limit,
                     struct mbuf *out);
/* Call records matching f as {"total","offset","limit","records":[...]}. */
int store_api_cdr_json(struct store *s, const struct store_cdr_filter *f, struct mbuf *out);
/* The same records as CSV (RFC 4180, CRLF line ends) with a header row. */
int store_api_cdr_csv(struct store *s, const struct store_cdr_filter *f, struct mbuf *out);

#endif
