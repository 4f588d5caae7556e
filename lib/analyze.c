/*
 * What a shop acts on: ETA (lib/eta.c), exceptions (lib/exceptions.c) and
 * the next poll time, computed after a shipment is parsed and finalised.
 *
 * Invariants: a pure function of the shipment, the previous snapshot (or
 * NULL), the learned lanes (or NULL) and `now`; the ETA does not depend on
 * `now` (only the clock-based exceptions and next_poll do); next_poll is
 * unset exactly when nothing more can happen (delivered, returned, or a
 * number no carrier will ever know).
 */
#include "analyze.h"
#include "eta.h"
#include "exceptions.h"
#include "timeutil.h"

#include <string.h>

/* Poll intervals, in minutes, by what can happen next. */
#define POLL_OUT_FOR_DELIVERY   30    /* delivery is a matter of hours */
#define POLL_NEAR_ETA           60    /* inside the ETA window, or within 12 h of it */
#define POLL_IN_TRANSIT         180
#define POLL_AT_DOOR            240   /* failed attempt, held: the recipient acts next */
#define POLL_EXCEPTION          180
#define POLL_WAITING            720   /* label data only, not found (yet) */
#define POLL_QUIET              720   /* no event for a week: the carrier is not moving it */
#define POLL_ERROR              60    /* the query failed: try again within the hour */
#define NIGHT_FROM_HOUR         22    /* doorstep events do not happen at night (JST) */
#define MORNING_HOUR            7

static int local_hour(int64_t epoch)
{
	int64_t in_day = epoch + TSK_JST_OFFSET - tsk__jst_day(epoch) * 86400;
	return (int)(in_day / 3600);
}

static void set_next_poll(tsk_shipment *s, const tsk_time *now)
{
	memset(&s->next_poll, 0, sizeof s->next_poll);
	if (s->error == TSK_EINVALID_NUMBER)
		return; /* no carrier will ever know it */
	int64_t minutes;
	bool doorstep = false;
	switch (s->status) {
	case TSK_STATUS_DELIVERED:
	case TSK_STATUS_RETURNED_TO_SENDER:
		return;
	case TSK_STATUS_OUT_FOR_DELIVERY:
		minutes = POLL_OUT_FOR_DELIVERY;
		doorstep = true;
		break;
	case TSK_STATUS_FAILED_ATTEMPT:
	case TSK_STATUS_AVAILABLE_FOR_PICKUP:
		minutes = POLL_AT_DOOR;
		doorstep = true;
		break;
	case TSK_STATUS_IN_TRANSIT:
		minutes = POLL_IN_TRANSIT;
		break;
	case TSK_STATUS_EXCEPTION:
		minutes = POLL_EXCEPTION;
		break;
	case TSK_STATUS_NOT_FOUND:
	case TSK_STATUS_INFO_RECEIVED:
		minutes = POLL_WAITING;
		doorstep = true;
		break;
	default:
		minutes = s->error != TSK_OK ? POLL_ERROR : POLL_IN_TRANSIT;
		break;
	}
	/* a little sooner around the ETA */
	if (s->has_eta && minutes > POLL_NEAR_ETA && now->epoch >= s->eta.earliest.epoch - 12 * 3600 &&
	    now->epoch <= s->eta.latest.epoch)
		minutes = POLL_NEAR_ETA;
	/* politer for a shipment that has not moved for a week */
	int64_t last = 0;
	bool any = false;
	for (size_t i = 0; i < s->nevents; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (tsk_time_is_set(&ev->time) && (!any || tsk__event_instant(ev) > last)) {
			last = tsk__event_instant(ev);
			any = true;
		}
	}
	if (any && now->epoch - last > 7 * 86400 && minutes < POLL_QUIET)
		minutes = POLL_QUIET;

	int64_t at = now->epoch + minutes * 60;
	if (doorstep) {
		int h = local_hour(at);
		if (h >= NIGHT_FROM_HOUR || h < MORNING_HOUR) {
			int64_t day = tsk__jst_day(at) + (h >= NIGHT_FROM_HOUR ? 1 : 0);
			at = tsk__jst_epoch(day, MORNING_HOUR, 0);
		}
	}
	s->next_poll.epoch = at;
	s->next_poll.offset = TSK_JST_OFFSET;
	s->next_poll.precision = TSK_PRECISION_MINUTE;
}

int tsk__analyze(tsk_shipment *s, const tsk_shipment *previous, const tsk_time *now,
                 const struct tsk__eta_model *model, const tsk_adapter *adapter)
{
	if (!s || !now)
		return TSK_EINVAL;
	tsk__eta_compute(s, previous, model, adapter, now);
	int rc = tsk__exceptions_compute(s, now, adapter);
	if (rc != TSK_OK)
		return rc;
	set_next_poll(s, now);
	return TSK_OK;
}
