/*
 * Change detection between two snapshots of one shipment, and the JSON of
 * the changes (one object per change: one notification, once).
 *
 * Invariants:
 *  - a change list owns copies of everything it reports (event, ETAs,
 *    exception message, carrier and number), so it outlives both snapshots;
 *  - the order is fixed (diff.h): new events in timeline order, status,
 *    ETA, cleared exceptions, raised exceptions, delivered;
 *  - diffing a snapshot with itself gives an empty list.
 */
#include "tsuiseki/diff.h"
#include "model.h"
#include "timeline.h"
#include "jsongen.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

struct tsk_change {
	tsk_change_type type;
	const char *carrier, *number;  /* the list's copies */
	tsk_time time;
	tsk_status status;             /* shipment status after the change */
	tsk_event *event;              /* new_event: owned copy */
	long event_index;
	bool has_previous;
	tsk_status previous_status, current_status;
	bool has_previous_eta, has_current_eta;
	tsk_eta previous_eta, current_eta;
	bool has_exception;
	tsk_exception exception;       /* message owned */
	bool has_previous_exception;   /* exception_raised by a severity rise */
	tsk_exception previous_exception; /* message owned */
};

struct tsk_change_list {
	char *carrier, *number;
	tsk_change *items;
	size_t n, cap;
};

static const char *const change_names[] = {
#define TSK__CHG_NAME(name, json) json,
	TSK_CHANGE_MAP(TSK__CHG_NAME)
#undef TSK__CHG_NAME
};

TSK_API const char *tsk_change_type_to_string(tsk_change_type type)
{
	return (unsigned)type < TSK_CHANGE__COUNT ? change_names[type] : "unknown";
}

TSK_API int tsk_change_type_from_string(tsk_change_type *out, const char *name)
{
	if (!out || !name)
		return TSK_EINVAL;
	for (unsigned i = 0; i < TSK_CHANGE__COUNT; i++)
		if (strcmp(change_names[i], name) == 0) {
			*out = (tsk_change_type)i;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

/* ------------------------------------------------------------ the list */

TSK_API void tsk_change_list_free(tsk_change_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		tsk_event_free(l->items[i].event);
		free((char *)l->items[i].exception.message);
		free((char *)l->items[i].previous_exception.message);
	}
	free(l->items);
	free(l->carrier);
	free(l->number);
	free(l);
}

TSK_API size_t tsk_change_list_count(const tsk_change_list *l) { return l ? l->n : 0; }

TSK_API const tsk_change *tsk_change_list_at(const tsk_change_list *l, size_t i)
{
	return l && i < l->n ? &l->items[i] : NULL;
}

static tsk_change *list_add(tsk_change_list *l, tsk_change_type type, const tsk_shipment *s)
{
	if (!TSK__GROW(l->items, l->cap, l->n + 1))
		return NULL;
	tsk_change *c = &l->items[l->n++];
	memset(c, 0, sizeof *c);
	c->type = type;
	c->carrier = l->carrier;
	c->number = l->number;
	c->status = s->status;
	c->event_index = -1;
	return c;
}

/* ----------------------------------------------------------- comparison */

static const tsk_time *latest_event_time(const tsk_shipment *s)
{
	for (size_t i = s->nevents; i-- > 0;)
		if (tsk_time_is_set(&tsk__shipment_event(s, i)->time))
			return &tsk__shipment_event(s, i)->time;
	return NULL;
}

static bool final_status(tsk_status st)
{
	return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_RETURNED_TO_SENDER;
}

static bool same_exception(const tsk_exception *a, const tsk_exception *b)
{
	if (a->code != b->code)
		return false;
	/* unmapped_status: one per carrier word, named in the message */
	if (a->code == TSK_EXC_UNMAPPED_STATUS)
		return a->message && b->message && strcmp(a->message, b->message) == 0;
	return true;
}

static const tsk_exception *find_exception(const tsk_shipment *s, const tsk_exception *e)
{
	for (size_t i = 0; i < s->nexceptions; i++)
		if (same_exception(&s->exceptions[i], e))
			return &s->exceptions[i];
	return NULL;
}

static int64_t abs64(int64_t x) { return x < 0 ? -x : x; }

static bool eta_moved(const tsk_eta *a, const tsk_eta *b, int64_t tolerance)
{
	return abs64(a->earliest.epoch - b->earliest.epoch) > tolerance ||
	       abs64(a->latest.epoch - b->latest.epoch) > tolerance;
}

static int copy_exception(tsk_exception *dst, const tsk_exception *src)
{
	*dst = *src;
	dst->message = NULL;
	if (src->message && !(dst->message = tsk__strdup(src->message)))
		return TSK_ENOMEM;
	return TSK_OK;
}

/* previous: for a raise, the same exception at a lower severity, or NULL */
static int add_exception_change(tsk_change_list *l, tsk_change_type type, const tsk_shipment *s,
                                const tsk_exception *e, const tsk_exception *previous, const tsk_time *time)
{
	tsk_change *c = list_add(l, type, s);
	if (!c)
		return TSK_ENOMEM;
	c->has_exception = true;
	if (copy_exception(&c->exception, e) != TSK_OK)
		return TSK_ENOMEM;
	if (previous) {
		c->has_previous_exception = true;
		if (copy_exception(&c->previous_exception, previous) != TSK_OK)
			return TSK_ENOMEM;
	}
	c->has_previous = type == TSK_CHANGE_EXCEPTION_CLEARED || previous != NULL;
	if (time)
		c->time = *time;
	return TSK_OK;
}

static int diff_fill(tsk_change_list *l, const tsk_shipment *old, const tsk_shipment *cur,
                     const tsk_diff_options *opts)
{
	/* 1. new events: each old event matches at most one current event */
	bool *used = old && old->nevents ? calloc(old->nevents, sizeof *used) : NULL;
	if (old && old->nevents && !used)
		return TSK_ENOMEM;
	for (size_t i = 0; i < cur->nevents; i++) {
		bool seen = false;
		for (size_t j = 0; old && j < old->nevents && !seen; j++)
			if (!used[j] && tsk__event_same(tsk__shipment_event(old, j), tsk__shipment_event(cur, i)))
				seen = used[j] = true;
		if (seen)
			continue;
		tsk_change *c = list_add(l, TSK_CHANGE_NEW_EVENT, cur);
		if (!c || !(c->event = tsk__event_dup(tsk__shipment_event(cur, i)))) {
			free(used);
			return TSK_ENOMEM;
		}
		c->event_index = (long)i;
		c->time = tsk__shipment_event(cur, i)->time;
	}
	free(used);

	const tsk_time *latest = latest_event_time(cur);

	/* 2. status */
	if (old ? old->status != cur->status : cur->status != TSK_STATUS_UNKNOWN) {
		tsk_change *c = list_add(l, TSK_CHANGE_STATUS_CHANGED, cur);
		if (!c)
			return TSK_ENOMEM;
		c->has_previous = old != NULL;
		c->previous_status = old ? old->status : TSK_STATUS_UNKNOWN;
		c->current_status = cur->status;
		if (cur->status == TSK_STATUS_DELIVERED && tsk_time_is_set(&cur->delivered_at))
			c->time = cur->delivered_at;
		else if (latest)
			c->time = *latest;
	}

	/* 3. ETA */
	const tsk_eta *pe = old && old->has_eta ? &old->eta : NULL;
	const tsk_eta *ce = cur->has_eta ? &cur->eta : NULL;
	bool eta_change = false;
	if (pe && ce)
		eta_change = eta_moved(pe, ce, opts->eta_tolerance_seconds);
	else if (pe && !ce)
		eta_change = !final_status(cur->status) || (opts->flags & TSK_DIFF_ETA_ON_DELIVERY);
	else if (ce)
		eta_change = true;
	if (eta_change) {
		tsk_change *c = list_add(l, TSK_CHANGE_ETA_CHANGED, cur);
		if (!c)
			return TSK_ENOMEM;
		c->has_previous = pe != NULL;
		c->has_previous_eta = pe != NULL;
		c->has_current_eta = ce != NULL;
		if (pe)
			c->previous_eta = *pe;
		if (ce)
			c->current_eta = *ce;
		if (latest)
			c->time = *latest;
	}

	/* 4. cleared, 5. raised */
	for (size_t i = 0; old && i < old->nexceptions; i++)
		if (!find_exception(cur, &old->exceptions[i]) &&
		    add_exception_change(l, TSK_CHANGE_EXCEPTION_CLEARED, cur, &old->exceptions[i], NULL, latest) !=
		            TSK_OK)
			return TSK_ENOMEM;
	for (size_t i = 0; i < cur->nexceptions; i++) {
		const tsk_exception *e = &cur->exceptions[i];
		const tsk_exception *was = old ? find_exception(old, e) : NULL;
		/* new, or the same one grown more severe (a deadline passed, a third
		 * failed attempt): worth one more notification */
		if (was && e->severity <= was->severity)
			continue;
		if (add_exception_change(l, TSK_CHANGE_EXCEPTION_RAISED, cur, e, was,
		                         tsk_time_is_set(&e->time) ? &e->time : NULL) != TSK_OK)
			return TSK_ENOMEM;
	}

	/* 6. delivered */
	if (cur->status == TSK_STATUS_DELIVERED && (!old || old->status != TSK_STATUS_DELIVERED)) {
		tsk_change *c = list_add(l, TSK_CHANGE_DELIVERED, cur);
		if (!c)
			return TSK_ENOMEM;
		c->has_previous = old != NULL;
		c->previous_status = old ? old->status : TSK_STATUS_UNKNOWN;
		c->current_status = cur->status;
		if (tsk_time_is_set(&cur->delivered_at))
			c->time = cur->delivered_at;
	}
	return TSK_OK;
}

TSK_API int tsk_diff(tsk_change_list **out, const tsk_shipment *old, const tsk_shipment *current,
                     const tsk_diff_options *opts)
{
	if (!out)
		return TSK_EINVAL;
	*out = NULL;
	tsk_diff_options defaults = TSK_DIFF_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (!current || opts->version == 0 || opts->version > TSK_DIFF_OPTIONS_VERSION ||
	    opts->eta_tolerance_seconds < 0)
		return TSK_EINVAL;
	if (old && (strcmp(old->carrier, current->carrier) != 0 || strcmp(old->number, current->number) != 0))
		return TSK_EINVAL;
	tsk_change_list *l = calloc(1, sizeof *l);
	if (!l || !(l->carrier = tsk__strdup(current->carrier)) || !(l->number = tsk__strdup(current->number))) {
		tsk_change_list_free(l);
		return TSK_ENOMEM;
	}
	/* a failed query says nothing about the parcel */
	bool failed = current->error != TSK_OK && current->error != TSK_ENOTFOUND;
	if (!failed && diff_fill(l, old, current, opts) != TSK_OK) {
		tsk_change_list_free(l);
		return TSK_ENOMEM;
	}
	*out = l;
	return TSK_OK;
}

/* -------------------------------------------------------------- getters */

TSK_API tsk_change_type tsk_change_get_type(const tsk_change *c) { return c->type; }
TSK_API const char *tsk_change_carrier(const tsk_change *c) { return c->carrier; }
TSK_API const char *tsk_change_tracking_number(const tsk_change *c) { return c->number; }
TSK_API const tsk_time *tsk_change_time(const tsk_change *c)
{
	return tsk_time_is_set(&c->time) ? &c->time : NULL;
}
TSK_API tsk_status tsk_change_status(const tsk_change *c) { return c->status; }
TSK_API const tsk_event *tsk_change_event(const tsk_change *c) { return c->event; }
TSK_API long tsk_change_event_index(const tsk_change *c) { return c->event_index; }
TSK_API tsk_status tsk_change_previous_status(const tsk_change *c) { return c->previous_status; }
TSK_API tsk_status tsk_change_current_status(const tsk_change *c) { return c->current_status; }
TSK_API int tsk_change_has_previous(const tsk_change *c) { return c->has_previous; }
TSK_API const tsk_eta *tsk_change_previous_eta(const tsk_change *c)
{
	return c->has_previous_eta ? &c->previous_eta : NULL;
}
TSK_API const tsk_eta *tsk_change_current_eta(const tsk_change *c)
{
	return c->has_current_eta ? &c->current_eta : NULL;
}
TSK_API const tsk_exception *tsk_change_exception(const tsk_change *c)
{
	return c->has_exception ? &c->exception : NULL;
}
TSK_API const tsk_exception *tsk_change_previous_exception(const tsk_change *c)
{
	return c->has_previous_exception ? &c->previous_exception : NULL;
}

/* ----------------------------------------------------------------- JSON */


static void gen_change(tsk__jw *w, const tsk_change *c)
{
	tsk__jw_map_open(w);
	tsk__json_key(w, "type");
	tsk__json_str(w, tsk_change_type_to_string(c->type));
	tsk__json_key(w, "carrier");
	tsk__json_str(w, c->carrier);
	tsk__json_key(w, "tracking_number");
	tsk__json_str(w, c->number);
	tsk__json_key(w, "status");
	tsk__json_str(w, tsk_status_to_string(c->status));
	tsk__json_key(w, "time");
	tsk__json_time(w, &c->time);
	tsk__json_key(w, "previous");
	switch (c->type) {
	case TSK_CHANGE_STATUS_CHANGED:
	case TSK_CHANGE_DELIVERED:
		tsk__json_str(w, c->has_previous ? tsk_status_to_string(c->previous_status) : NULL);
		break;
	case TSK_CHANGE_ETA_CHANGED:
		tsk__json_eta(w, tsk_change_previous_eta(c));
		break;
	case TSK_CHANGE_EXCEPTION_CLEARED:
		tsk__json_exception(w, &c->exception);
		break;
	case TSK_CHANGE_EXCEPTION_RAISED:
		if (c->has_previous_exception)
			tsk__json_exception(w, &c->previous_exception);
		else
			tsk__jw_null(w);
		break;
	default:
		tsk__jw_null(w);
		break;
	}
	tsk__json_key(w, "current");
	switch (c->type) {
	case TSK_CHANGE_NEW_EVENT:
		tsk__json_event(w, c->event, c->event_index);
		break;
	case TSK_CHANGE_STATUS_CHANGED:
		tsk__json_str(w, tsk_status_to_string(c->current_status));
		break;
	case TSK_CHANGE_ETA_CHANGED:
		tsk__json_eta(w, tsk_change_current_eta(c));
		break;
	case TSK_CHANGE_EXCEPTION_RAISED:
		tsk__json_exception(w, &c->exception);
		break;
	case TSK_CHANGE_DELIVERED:
		tsk__json_time(w, &c->time);
		break;
	default:
		tsk__jw_null(w);
		break;
	}
	tsk__jw_map_close(w);
}

/* Generate one change and append it to b. */
static int change_json(tsk__buf *b, const tsk_change *c, unsigned int flags)
{
	tsk__jw w;
	int rc = tsk__jw_open(&w, (flags & TSK_JSON_PRETTY) != 0, NULL);
	if (rc != TSK_OK)
		return rc;
	gen_change(&w, c);
	char *text = NULL;
	size_t len = 0;
	rc = tsk__jw_close(&w, &text, &len);
	if (rc == TSK_OK)
		tsk__buf_add(b, text, len);
	free(text);
	return rc;
}

TSK_API int tsk_change_to_json(char **out, size_t *len_out, const tsk_change *c, unsigned int flags)
{
	if (!out || !c)
		return TSK_EINVAL;
	*out = NULL;
	tsk__buf b = TSK__BUF_INIT;
	int rc = change_json(&b, c, flags);
	if (rc != TSK_OK || b.failed) {
		tsk__buf_dispose(&b);
		return rc != TSK_OK ? rc : TSK_ENOMEM;
	}
	size_t len = b.len;
	if (!(*out = tsk__buf_detach(&b)))
		return TSK_ENOMEM;
	if (len_out)
		*len_out = len;
	return TSK_OK;
}

TSK_API int tsk_change_list_to_json(char **out, size_t *len_out, const tsk_change_list *l, unsigned int flags)
{
	if (!out || !l)
		return TSK_EINVAL;
	*out = NULL;
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	for (size_t i = 0; i < l->n; i++) {
		int rc = change_json(&b, &l->items[i], flags);
		if (rc != TSK_OK) {
			tsk__buf_dispose(&b);
			return rc;
		}
		tsk__buf_putc(&b, '\n');
	}
	if (b.failed) {
		tsk__buf_dispose(&b);
		return TSK_ENOMEM;
	}
	size_t len = b.len;
	if (!(*out = tsk__buf_detach(&b)))
		return TSK_ENOMEM;
	if (len_out)
		*len_out = len;
	return TSK_OK;
}
