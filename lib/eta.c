/*
 * The ETA: the carrier's stated window, else a model estimate.
 *
 * Invariants:
 *  - the carrier's window is a function of the page alone, so `late`
 *    compares the clock with it: past its latest bound, undelivered, is late;
 *  - a model window is a function of the events, the previous snapshot and
 *    the learned lanes, then of the clock only so far as it is never shown
 *    in the past: one that closed before now moves to the next delivery
 *    days from now with less confidence (the parcel is not "late" against
 *    a guess), one that opened before now opens now;
 *  - a delivered or returned shipment has no ETA;
 *  - `original` is the first window ever given: copied from the previous
 *    snapshot when it had one, else this window;
 *  - every table is compiled-in data (the .def files of lib/data) with its source named
 *    there; nothing here is mutable static state.
 *
 * The model: a lane is carrier + service + origin region + destination
 * region. The window starts from the acceptance event (the first dated event
 * beyond label data), counts the transit days of the lane's distance class
 * (or the learned p10..p90 of the lane), and moves each bound to a day the
 * service delivers on. Later events refine it: out for delivery -> that day;
 * arrival at the delivery office -> that day or the next; a failed attempt
 * -> redelivery in one to two days; still moving after the window closed ->
 * the next two days.
 */
#include "eta.h"
#include "exceptions.h"
#include "learn.h"
#include "timeutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- tables */

static const signed char distance[TSK__REGION__COUNT][TSK__REGION__COUNT] = {
#define TSK_REGION_ROW(from, ...) [TSK__REGION_##from] = { __VA_ARGS__ },
#include "data/region_distance.def"
#undef TSK_REGION_ROW
};

static const char *const arrival_words[] = {
#define TSK_DELAY_WORD(w)
#define TSK_EXCEPTION_WORD(w, code)
#define TSK_ARRIVAL_WORD(w) w,
#define TSK_ARRIVAL_NOT(w)
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

static const char *const arrival_not_words[] = {
#define TSK_DELAY_WORD(w)
#define TSK_EXCEPTION_WORD(w, code)
#define TSK_ARRIVAL_WORD(w)
#define TSK_ARRIVAL_NOT(w) w,
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

/* Model confidences that do not come from a table row. */
#define CONF_CARRIER_WINDOW 0.9   /* a stated time band */
#define CONF_CARRIER_DAY    0.8   /* a stated day */
#define CONF_OUT_FOR_DELIVERY 0.85
#define CONF_ARRIVED        0.65
#define CONF_REDELIVERY     0.5
#define CONF_AFTER_ATTEMPT  0.35
#define CONF_REBASED        0.35
/* A model window that closed before now, the parcel still undelivered, is
 * moved to the next delivery days from now at this share of its confidence. */
#define PAST_WINDOW_SHARE   0.5
/* An attempt that failed before this hour may be redelivered the same
 * evening (the 19–21 slot can still be booked that day). */
#define SAME_DAY_REDELIVERY_BEFORE 18
/* A delay notice (weather, disaster) pushes the latest bound this many days. */
#define DELAY_EXTRA_DAYS    2

/* -------------------------------------------------------------- windows */

struct window {
	int64_t earliest, latest;
	double confidence;
};

static double round2(double x)
{
	return (double)(long)(x * 100.0 + 0.5) / 100.0;
}

/* Days d1..d2 (civil), each moved to a delivery day, over the delivery hours. */
static void day_window(struct window *w, const tsk_transit_row *row, int64_t d1, int64_t d2,
                       double confidence)
{
	d1 = tsk__cal_next_delivery_day(row->calendar, d1);
	d2 = tsk__cal_next_delivery_day(row->calendar, d2);
	if (d2 < d1)
		d2 = d1;
	w->earliest = tsk__jst_epoch(d1, row->day_start, 0);
	w->latest = tsk__jst_epoch(d2, row->day_end, 0);
	w->confidence = confidence;
}

/* Local hour of a MINUTE-precision event, -1 for a date alone. */
static int event_hour(const tsk_event *ev)
{
	if (ev->time.precision != TSK_PRECISION_MINUTE)
		return -1;
	int64_t secs = ev->time.epoch + TSK_JST_OFFSET;
	int64_t in_day = secs - (tsk__jst_day(ev->time.epoch) * 86400);
	return (int)(in_day / 3600);
}

static bool is_arrival(const tsk_event *ev)
{
	const char *texts[2] = { tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS),
		                 tsk__event_text(ev, TSK_EVENT_DESCRIPTION) };
	bool hit = false;
	for (int t = 0; t < 2; t++) {
		if (!texts[t])
			continue;
		for (size_t i = 0; i < TSK__ARRAY_LEN(arrival_not_words); i++)
			if (tsk__find_ci(texts[t], arrival_not_words[i]) >= 0)
				return false;
		for (size_t i = 0; i < TSK__ARRAY_LEN(arrival_words) && !hit; i++)
			hit = tsk__find_ci(texts[t], arrival_words[i]) >= 0;
	}
	return hit;
}

/* The last event (logical order) with a date and one of the statuses, or -1. */
static long last_with(const tsk_shipment *s, tsk_status st)
{
	for (size_t i = s->nevents; i-- > 0;)
		if (tsk__shipment_event(s, i)->status == st && tsk_time_is_set(&tsk__shipment_event(s, i)->time))
			return (long)i;
	return -1;
}

static bool moving_window(struct window *w, const tsk_shipment *s, const struct tsk__eta_model *m,
                          const struct tsk__lane *lane, long last, long latest);

/* The model's window, and in *lane the lane it was drawn from (set when
 * true is returned). */
static bool model_window(struct window *w, struct tsk__lane *lane, const tsk_shipment *s,
                         const struct tsk__eta_model *m, const tsk_adapter *adapter)
{
	switch (s->status) {
	case TSK_STATUS_DELIVERED:
	case TSK_STATUS_RETURNED_TO_SENDER:
	case TSK_STATUS_NOT_FOUND:
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: /* the recipient decides; the pickup deadline tells */
		return false;
	default:
		break;
	}
	/* the latest dated event, by time (pages are not sorted by time) */
	long latest = -1, last = -1;
	for (size_t i = 0; i < s->nevents; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (!tsk_time_is_set(&ev->time))
			continue;
		last = (long)i;
		if (latest < 0 || tsk__event_instant(ev) > tsk__event_instant(tsk__shipment_event(s, latest)))
			latest = (long)i;
	}
	if (last < 0)
		return false;
	tsk__lane_resolve(lane, s, adapter);
	const tsk_transit_row *row = lane->row;
	const tsk_event *lev = tsk__shipment_event(s, last);

	if (s->status == TSK_STATUS_OUT_FOR_DELIVERY) {
		long k = last_with(s, TSK_STATUS_OUT_FOR_DELIVERY);
		const tsk_event *ev = k >= 0 ? tsk__shipment_event(s, k) : lev;
		int64_t day = tsk__jst_day(ev->time.epoch);
		int hour = event_hour(ev);
		if (hour >= row->day_end)
			day++;
		day_window(w, row, day, day, CONF_OUT_FOR_DELIVERY);
		/* already on the van: not before it left */
		if (hour >= 0 && ev->time.epoch > w->earliest && ev->time.epoch < w->latest)
			w->earliest = ev->time.epoch;
		return true;
	}
	if (s->status == TSK_STATUS_FAILED_ATTEMPT) {
		long k = last_with(s, TSK_STATUS_FAILED_ATTEMPT);
		const tsk_event *ev = k >= 0 ? tsk__shipment_event(s, k) : lev;
		int64_t day = tsk__jst_day(ev->time.epoch);
		int hour = event_hour(ev);
		bool same_day = hour >= 0 && hour < SAME_DAY_REDELIVERY_BEFORE;
		day_window(w, row, same_day ? day : day + 1, day + 2, CONF_AFTER_ATTEMPT);
		if (same_day && ev->time.epoch > w->earliest)
			w->earliest = ev->time.epoch;
		return true;
	}

	double scale = s->status == TSK_STATUS_EXCEPTION ? 0.5 : 1.0;
	bool ok = moving_window(w, s, m, lane, last, latest);
	if (ok && (lev->exception == TSK_EXC_WEATHER_OR_DISASTER_DELAY ||
	           tsk__exception_keyword(lev, s->status == TSK_STATUS_EXCEPTION) == TSK_EXC_WEATHER_OR_DISASTER_DELAY)) {
		/* the carrier announces a delay: later, and less sure */
		int64_t d2 = tsk__cal_next_delivery_day(row->calendar, tsk__jst_day(w->latest) + DELAY_EXTRA_DAYS);
		w->latest = tsk__jst_epoch(d2, row->day_end, 0);
		w->confidence *= 0.5;
	}
	w->confidence *= scale;
	return ok;
}

/* In transit (or label data only): redelivery, arrival, else the lane. */
static bool moving_window(struct window *w, const tsk_shipment *s, const struct tsk__eta_model *m,
                          const struct tsk__lane *lp, long last, long latest)
{
	const struct tsk__lane lane = *lp;
	const tsk_transit_row *row = lane.row;
	const tsk_event *lev = tsk__shipment_event(s, last);
	int64_t lday = tsk__jst_day(lev->time.epoch);
	int lhour = event_hour(lev);
	long attempt = last_with(s, TSK_STATUS_FAILED_ATTEMPT);
	if (attempt >= 0 && attempt < last) {
		/* moving again after a failed attempt: a redelivery was arranged */
		int64_t d1 = lhour >= 14 ? lday + 1 : lday;
		day_window(w, row, d1, lday + 1, CONF_REDELIVERY);
		return true;
	}
	/* reaching the destination region counts as arrival only when it differs
	 * from the origin: within one region every office is "there" */
	if (is_arrival(lev) || (lane.destination != TSK__REGION_NONE && lane.destination != lane.origin &&
	                        last > lane.start && tsk__event_region(lev) == lane.destination)) {
		int64_t d1 = lhour >= 12 ? lday + 1 : lday;
		day_window(w, row, d1, lday + 1, CONF_ARRIVED);
		return true;
	}
	if (lane.start < 0)
		return false;

	const tsk_event *start = tsk__shipment_event(s, lane.start);
	double p10, p90;
	size_t samples;
	if (tsk__learned_hours(m, s, &lane, &p10, &p90, &samples)) {
		int64_t base = tsk__event_instant(start) + (lane.only_info ? 86400 : 0);
		int64_t d1 = tsk__jst_day(base + (int64_t)(p10 * 3600.0));
		int64_t d2 = tsk__jst_day(base + (int64_t)(p90 * 3600.0));
		double conf = 0.5 + 0.03 * (double)samples;
		day_window(w, row, d1, d2 + (lane.only_info ? 1 : 0), conf > 0.85 ? 0.85 : conf);
	} else {
		int64_t d0 = tsk__jst_day(start->time.epoch);
		if (event_hour(start) >= row->cutoff_hour)
			d0++;
		if (lane.only_info)
			d0++; /* label data today, pickup tomorrow at the earliest */
		/* the destination is rarely shown before delivery; the latest office
		 * outside the origin region (a destination base, mostly) stands in
		 * for it, with a confidence between the lane's and the nationwide */
		int dest = lane.destination;
		bool probable = false;
		if (dest == TSK__REGION_NONE && lane.origin != TSK__REGION_NONE) {
			int r = tsk__event_region(tsk__shipment_event(s, latest));
			if (r != TSK__REGION_NONE && r != lane.origin) {
				dest = r;
				probable = true;
			}
		}
		int cls = lane.origin != TSK__REGION_NONE && dest != TSK__REGION_NONE ? distance[lane.origin][dest] : 4;
		double conf = cls == 4 ? row->confidence_nationwide
		              : probable ? (row->confidence + row->confidence_nationwide) / 2
		                         : row->confidence;
		day_window(w, row, d0 + row->days[cls][0], d0 + row->days[cls][1] + (lane.only_info ? 1 : 0), conf);
	}
	if (lane.only_info)
		w->confidence *= 0.5;
	/* still moving (not at the delivery office) once the last day's deliveries
	 * have started: it slips to the next days, with less confidence */
	int64_t last_day = tsk__jst_day(w->latest);
	if (tsk__event_instant(tsk__shipment_event(s, latest)) >= tsk__jst_epoch(last_day, row->day_start, 0)) {
		int64_t day = tsk__jst_day(tsk__shipment_event(s, latest)->time.epoch);
		day_window(w, row, day + 1, day + 2, CONF_REBASED);
	}
	return true;
}

/*
 * A window shown to a customer is never in the past. One that closed at or
 * before now (the parcel undelivered) moves to the first delivery day from
 * now -- today while today's deliveries last, else the next day the
 * service delivers on -- keeping its number of days, at a share of its
 * confidence: the events said nothing since it closed. One that opened
 * before now opens now.
 */
static void forward(struct window *w, const tsk_transit_row *row, int64_t now)
{
	if (w->latest <= now) {
		int64_t span = tsk__jst_day(w->latest) - tsk__jst_day(w->earliest);
		int64_t d1 = tsk__jst_day(now);
		if (now >= tsk__jst_epoch(d1, row->day_end, 0))
			d1++;
		day_window(w, row, d1, d1 + (span > 0 ? span : 0), w->confidence * PAST_WINDOW_SHARE);
	}
	int64_t minute = now - (now % 60 + 60) % 60;
	if (w->earliest < minute)
		w->earliest = minute;
}

void tsk__eta_compute(tsk_shipment *s, const tsk_shipment *previous, const struct tsk__eta_model *model,
                      const tsk_adapter *adapter, const tsk_time *now)
{
	s->has_eta = false;
	memset(&s->eta, 0, sizeof s->eta);
	if (s->status == TSK_STATUS_DELIVERED || s->status == TSK_STATUS_RETURNED_TO_SENDER)
		return;
	tsk_eta eta;
	memset(&eta, 0, sizeof eta);
	if (tsk_time_is_set(&s->carrier_eta_earliest)) {
		eta.earliest = s->carrier_eta_earliest;
		eta.latest = tsk_time_is_set(&s->carrier_eta_latest) ? s->carrier_eta_latest : s->carrier_eta_earliest;
		eta.source = TSK_ETA_CARRIER;
		bool band = eta.earliest.precision == TSK_PRECISION_MINUTE &&
		            eta.latest.epoch - eta.earliest.epoch <= 6 * 3600;
		eta.confidence = band ? CONF_CARRIER_WINDOW : CONF_CARRIER_DAY;
	} else {
		struct window w;
		struct tsk__lane lane;
		if (s->error != TSK_OK || !model_window(&w, &lane, s, model, adapter))
			return;
		if (now && tsk_time_is_set(now))
			forward(&w, lane.row, now->epoch);
		eta.earliest.epoch = w.earliest;
		eta.latest.epoch = w.latest;
		eta.earliest.offset = eta.latest.offset = TSK_JST_OFFSET;
		eta.earliest.precision = eta.latest.precision = TSK_PRECISION_MINUTE;
		eta.source = TSK_ETA_MODEL;
		eta.confidence = round2(w.confidence);
	}
	eta.original_earliest = eta.earliest;
	eta.original_latest = eta.latest;
	if (previous && previous->has_eta) {
		/* the first promise ever made; a snapshot without one gives its window */
		bool has_orig = tsk_time_is_set(&previous->eta.original_earliest);
		eta.original_earliest = has_orig ? previous->eta.original_earliest : previous->eta.earliest;
		eta.original_latest = has_orig && tsk_time_is_set(&previous->eta.original_latest)
		                              ? previous->eta.original_latest
		                              : previous->eta.latest;
	}
	s->eta = eta;
	s->has_eta = true;
}
