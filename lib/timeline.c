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
	char *fa = tsk__text_fold(a, true), *fb = tsk__text_fold(b, true);
	bool eq = fa && fb && strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return eq;
}

bool tsk__event_same(const tsk_event *a, const tsk_event *b)
{
	if (a->status != b->status || a->time.precision != b->time.precision)
		return false;
	if (tsk_time_is_set(&a->time) && a->time.epoch != b->time.epoch)
		return false;
	if (!tsk_time_is_set(&a->time) && !text_same(a->text[TSK_EVENT_TIME_RAW], b->text[TSK_EVENT_TIME_RAW]))
		return false;
	return text_same(a->text[TSK_EVENT_LOCATION], b->text[TSK_EVENT_LOCATION]) &&
	       text_same(a->text[TSK_EVENT_CARRIER_STATUS], b->text[TSK_EVENT_CARRIER_STATUS]);
}

static bool other_leg(const tsk_shipment *s, const tsk_event *ev)
{
	return ev->leg_carrier && strcmp(ev->leg_carrier, s->carrier) != 0;
}

int tsk__timeline_merge(tsk_shipment *fresh, const tsk_shipment *previous)
{
	if (!previous || previous == fresh)
		return TSK_OK;
	size_t cap = previous->nevents + fresh->nevents;
	if (cap == 0)
		return TSK_OK;
	tsk_event **merged = calloc(cap, sizeof *merged);
	if (!merged)
		return TSK_ENOMEM;
	size_t n = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < previous->nevents; i++) {
		merged[n] = tsk__event_dup(previous->events[i]);
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
		tsk_event *ev = fresh->events[i];
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = tsk__event_same(merged[k], ev);
		if (dup) {
			tsk_event_free(ev);
			continue;
		}
		size_t pos = n;
		if (other_leg(fresh, ev) && tsk_time_is_set(&ev->time)) {
			pos = 0;
			for (size_t k = 0; k < n; k++)
				if (!tsk_time_is_set(&merged[k]->time) || merged[k]->time.epoch <= ev->time.epoch)
					pos = k + 1;
		}
		memmove(&merged[pos + 1], &merged[pos], (n - pos) * sizeof *merged);
		merged[pos] = ev;
		n++;
	}
	free(fresh->events);
	fresh->events = merged;
	fresh->nevents = n;
	fresh->events_cap = cap;
	return TSK_OK;
}
