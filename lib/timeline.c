/*
 * Timeline merging.
 *
 * Invariant: events keep the carrier's logical order; merging never sorts
 * one source by time. Only events from another carrier leg are placed by
 * time among the others, after every event not later than them.
 */
#include "timeline.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static bool text_same(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return tsk__fold_equal(a, b, false);
}

bool tsk__event_same(const tsk_event *a, const tsk_event *b)
{
	if (a->status != b->status || a->time.precision != b->time.precision)
		return false;
	if (tsk_time_is_set(&a->time) && a->time.epoch != b->time.epoch)
		return false;
	if (!tsk_time_is_set(&a->time) &&
	    !text_same(tsk__event_text(a, TSK_EVENT_TIME_RAW), tsk__event_text(b, TSK_EVENT_TIME_RAW)))
		return false;
	return text_same(tsk__event_text(a, TSK_EVENT_LOCATION), tsk__event_text(b, TSK_EVENT_LOCATION)) &&
	       text_same(tsk__event_text(a, TSK_EVENT_CARRIER_STATUS), tsk__event_text(b, TSK_EVENT_CARRIER_STATUS));
}

static bool other_leg(const tsk_shipment *s, const tsk_event *ev)
{
	const char *leg = tsk__event_text(ev, TSK__EVENT_LEG_CARRIER);
	return leg && strcmp(leg, s->carrier) != 0;
}

/* Where an event of another leg goes among v[0..n): after every event not
 * later than it (and after events without a time); at the end when it has
 * no time itself. */
static size_t time_slot(tsk_event *const *v, size_t n, const tsk_event *ev)
{
	if (!tsk_time_is_set(&ev->time))
		return n;
	size_t pos = 0;
	for (size_t k = 0; k < n; k++)
		if (!tsk_time_is_set(&v[k]->time) || v[k]->time.epoch <= ev->time.epoch)
			pos = k + 1;
	return pos;
}

int tsk__timeline_merge(tsk_shipment *fresh, const tsk_shipment *previous)
{
	if (!previous || previous == fresh)
		return TSK_OK;
	/* fresh's events move and are freed one by one */
	if (tsk__shipment_unpack(fresh) != TSK_OK)
		return TSK_ENOMEM;
	size_t cap = previous->nevents + fresh->nevents;
	if (cap == 0)
		return TSK_OK;
	tsk_event **merged = calloc(cap, sizeof *merged);
	if (!merged)
		return TSK_ENOMEM;
	size_t n = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < previous->nevents; i++) {
		merged[n] = tsk__event_dup(tsk__shipment_event(previous, i));
		ok = merged[n] != NULL;
		if (ok)
			n++;
	}
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			tsk_event_free(merged[i]);
		free(merged);
		return TSK_ENOMEM;
	}
	/* fresh events move over (no copy); the duplicates are freed */
	for (size_t i = 0; i < fresh->nevents; i++) {
		tsk_event *ev = fresh->events.list[i];
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = tsk__event_same(merged[k], ev);
		if (dup) {
			tsk_event_free(ev);
			continue;
		}
		size_t pos = other_leg(fresh, ev) ? time_slot(merged, n, ev) : n;
		memmove(&merged[pos + 1], &merged[pos], (n - pos) * sizeof *merged);
		merged[pos] = ev;
		n++;
	}
	free(fresh->events.list);
	fresh->events.list = merged;
	fresh->nevents = n;
	fresh->events_cap = cap;
	return TSK_OK;
}

/* ------------------------------------------------------------------ legs */

static long index_of(const tsk_shipment *s, const tsk_event *ev)
{
	for (size_t k = 0; k < s->nevents; k++)
		if (tsk__shipment_event(s, k) == ev)
			return (long)k;
	return -1;
}

/* Replace s's exceptions by src's, their evidence indices pointing at the
 * same events in s (src_events[i]: the event of s standing for src's i-th). */
static int take_exceptions(tsk_shipment *s, const tsk_shipment *src, tsk_event *const *src_events)
{
	tsk_exception *old = s->exceptions;
	size_t nold = s->nexceptions;
	s->exceptions = NULL;
	s->nexceptions = 0;
	int rc = TSK_OK;
	for (size_t i = 0; rc == TSK_OK && i < src->nexceptions; i++) {
		const tsk_exception *e = &src->exceptions[i];
		long at = e->event_index >= 0 && (size_t)e->event_index < src->nevents
		                  ? index_of(s, src_events[e->event_index])
		                  : -1;
		rc = tsk__shipment_add_exception(s, e->code, e->severity, &e->time, e->message, at);
	}
	tsk_exception *fresh = s->exceptions;
	size_t nfresh = s->nexceptions;
	/* free the list that is not kept: the old one on success, else the new */
	if (rc == TSK_OK) {
		s->exceptions = old;
		s->nexceptions = nold;
	}
	tsk__shipment_clear_exceptions(s);
	s->exceptions = rc == TSK_OK ? fresh : old;
	s->nexceptions = rc == TSK_OK ? nfresh : nold;
	return rc;
}

static bool has_leg(const tsk_shipment *s, const char *carrier, const char *number)
{
	for (size_t i = 0; i < s->nlegs; i++)
		if (strcmp(s->legs[i].carrier, carrier) == 0 && strcmp(s->legs[i].number, number) == 0)
			return true;
	return false;
}

/* The fold itself; s is a copy of first. */
static int fold_leg(tsk_shipment *s, const tsk_shipment *first, const tsk_shipment *next,
                    tsk_event **first_events, tsk_event **next_events)
{
	int rc = TSK_OK;
	if (!s->nlegs)
		rc = tsk__shipment_add_leg(s, first->carrier, first->number);
	if (rc == TSK_OK && !has_leg(s, next->carrier, next->number))
		rc = tsk__shipment_add_leg(s, next->carrier, next->number);
	for (size_t i = 0; rc == TSK_OK && i < s->nevents; i++) {
		first_events[i] = s->events.list[i];
		if (!tsk__event_text(s->events.list[i], TSK__EVENT_LEG_CARRIER))
			rc = tsk__event_set_carrier(s->events.list[i], first->carrier);
	}
	for (size_t i = 0; rc == TSK_OK && i < next->nevents; i++) {
		tsk_event *ev = tsk__event_dup(tsk__shipment_event(next, i));
		if (!ev || (!tsk__event_text(ev, TSK__EVENT_LEG_CARRIER) && tsk__event_set_carrier(ev, next->carrier) != TSK_OK)) {
			tsk_event_free(ev);
			rc = TSK_ENOMEM;
			break;
		}
		tsk_event *same = NULL;
		for (size_t k = 0; k < s->nevents && !same; k++)
			if (tsk__event_same(s->events.list[k], ev))
				same = s->events.list[k];
		if (same) {
			tsk_event_free(ev);
			next_events[i] = same;
			continue;
		}
		next_events[i] = ev;
		rc = tsk__shipment_insert_event(s, time_slot(s->events.list, s->nevents, ev), ev);
	}
	if (rc != TSK_OK)
		return rc;

	/* the leg that holds the parcel gives the state */
	if (next->error == TSK_OK && next->nevents > 0) {
		rc = tsk__strset(&s->text[TSK_SHIPMENT_STATUS_TEXT], next->text[TSK_SHIPMENT_STATUS_TEXT])
		             ? TSK_ENOMEM
		             : take_exceptions(s, next, next_events);
		if (rc != TSK_OK)
			return rc;
		s->status = next->status;
		s->has_state = next->has_state;
		s->state_status = next->state_status;
		s->state_exception = next->state_exception;
		s->delivered_at = next->delivered_at;
		s->has_eta = next->has_eta;
		s->eta = next->eta;
		s->carrier_eta_earliest = next->carrier_eta_earliest;
		s->carrier_eta_latest = next->carrier_eta_latest;
		s->eta_local = next->eta_local;
		s->next_poll = next->next_poll;
		return tsk_shipment_set_error(s, TSK_OK, NULL);
	}
	rc = take_exceptions(s, first, first_events);
	if (rc == TSK_OK && next->error != TSK_OK && next->error != TSK_ENOTFOUND)
		rc = tsk_shipment_set_error(s, next->error, next->error_message);
	return rc;
}

TSK_API int tsk_shipment_merge_leg(tsk_shipment **out, const tsk_shipment *first, const tsk_shipment *next)
{
	if (out)
		*out = NULL;
	if (!out || !first || !next || !first->carrier || !first->number || !next->carrier || !next->number ||
	    (strcmp(first->carrier, next->carrier) == 0 && strcmp(first->number, next->number) == 0))
		return TSK_EINVAL;
	tsk_shipment *s = NULL;
	int rc = tsk_shipment_dup(&s, first);
	if (rc != TSK_OK)
		return rc;
	tsk_event **first_events = calloc(first->nevents + 1, sizeof *first_events);
	tsk_event **next_events = calloc(next->nevents + 1, sizeof *next_events);
	rc = first_events && next_events ? fold_leg(s, first, next, first_events, next_events) : TSK_ENOMEM;
	free(first_events);
	free(next_events);
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc;
	}
	*out = s;
	return TSK_OK;
}
