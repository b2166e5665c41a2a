/* store_api: security events and call records as JSON and CSV (docs/api.md). */
#include "admin/store_api.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/json.h"

struct list {
	struct mbuf *mb;
	size_t n;
};

static int event_json(const struct store_event *e, void *arg)
{
	struct list *l = arg;
	struct mbuf *mb = l->mb;
	mbuf_write_str(mb, l->n++ ? ",\n{" : "\n{");
	json_kv_i64(mb, "id", e->id, true);
	json_kv_time(mb, "time", e->time_ms, false);
	json_kv_i64(mb, "time_ms", e->time_ms, false);
	json_kv_str(mb, "kind", e->kind, false);
	json_kv_str(mb, "source", e->source, false);
	json_kv_str(mb, "user", e->user, false);
	json_kv_str(mb, "detail", e->detail, false);
	mbuf_write_str(mb, "}");
	return 0;
}

int store_api_events(struct store *s, int64_t since_id, uint32_t last, uint32_t limit,
                     struct mbuf *out)
{
	struct list l = {.mb = out};
	mbuf_write_str(out, "[");
	int err = last ? store_events_recent(s, last, event_json, &l)
	               : store_events_list(s, since_id, limit, event_json, &l);
	mbuf_write_str(out, l.n ? "\n]\n" : "]\n");
	return err;
}

static int cdr_json(const struct store_cdr *c, void *arg)
{
	struct list *l = arg;
	struct mbuf *mb = l->mb;
	mbuf_write_str(mb, l->n++ ? ",\n{" : "\n{");
	json_kv_str(mb, "id", c->id, true);
	json_kv_str(mb, "caller", c->caller, false);
	json_kv_str(mb, "callee", c->callee, false);
	json_kv_str(mb, "trunk", c->trunk, false);
	json_kv_time(mb, "start", c->start_ms, false);
	json_kv_time(mb, "answer", c->answer_ms, false);
	json_kv_time(mb, "end", c->end_ms, false);
	json_kv_i64(mb, "start_ms", c->start_ms, false);
	json_kv_i64(mb, "duration_ms", c->duration_ms, false);
	json_kv_i64(mb, "status", c->status, false);
	json_kv_str(mb, "cause", c->cause, false);
	json_kv_str(mb, "security_a", c->sec_a, false);
	json_kv_str(mb, "security_b", c->sec_b, false);
	json_kv_bool(mb, "secure", c->secure, false);
	mbuf_write_str(mb, "}");
	return 0;
}

int store_api_cdr_json(struct store *s, const struct store_cdr_filter *f, struct mbuf *out)
{
	struct list l = {.mb = out};
	uint64_t total = 0;
	int err = store_cdr_count(s, f, &total);
	if (err)
		return err;
	mbuf_write_str(out, "{");
	json_kv_u64(out, "total", total, true);
	json_kv_u64(out, "offset", f->offset, false);
	json_kv_u64(out, "limit", f->limit, false);
	json_key(out, "records", false);
	mbuf_write_str(out, "[");
	err = store_cdr_list(s, f, cdr_json, &l);
	mbuf_write_str(out, l.n ? "\n]}\n" : "]}\n");
	return err;
}

static int cdr_csv(const struct store_cdr *c, void *arg)
{
	struct mbuf *mb = arg;
	char start[40], answer[40], end[40];
	json_time_str(c->start_ms, start, sizeof(start));
	json_time_str(c->answer_ms, answer, sizeof(answer));
	json_time_str(c->end_ms, end, sizeof(end));
	const char *text[] = {c->id, start, answer, end};
	for (size_t i = 0; i < 4; i++) {
		csv_field(mb, text[i]);
		mbuf_write_str(mb, ",");
	}
	mbuf_printf(mb, "%" PRId64 ".%03d,", c->duration_ms / 1000, (int)(c->duration_ms % 1000));
	const char *more[] = {c->caller, c->callee, c->trunk};
	for (size_t i = 0; i < 3; i++) {
		csv_field(mb, more[i]);
		mbuf_write_str(mb, ",");
	}
	mbuf_printf(mb, "%d,", c->status);
	csv_field(mb, c->cause);
	mbuf_printf(mb, ",%s,", c->secure ? "yes" : "no");
	csv_field(mb, c->sec_a);
	mbuf_write_str(mb, ",");
	csv_field(mb, c->sec_b);
	mbuf_write_str(mb, "\r\n");
	return 0;
}

int store_api_cdr_csv(struct store *s, const struct store_cdr_filter *f, struct mbuf *out)
{
	mbuf_write_str(out, "id,start,answer,end,duration_s,caller,callee,trunk,status,cause,"
	                    "secure,security_a,security_b\r\n");
	return store_cdr_list(s, f, cdr_csv, out);
}
