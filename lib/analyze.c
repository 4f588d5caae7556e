/*
 * What a shop acts on: ETA, exceptions and the next poll time.
 *
 * This first version covers the carrier-stated ETA, unmapped_status and
 * the status-driven next poll; the model ETA, the other exception rules
 * and their clearing live in lib/eta.c and lib/exceptions.c as they land.
 */
#include "analyze.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void set_next_poll(tsk_shipment *s, const tsk_time *now)
{
	int64_t minutes;
	switch (s->status) {
	case TSK_STATUS_DELIVERED:
	case TSK_STATUS_RETURNED_TO_SENDER:
		memset(&s->next_poll, 0, sizeof s->next_poll);
		return;
	case TSK_STATUS_OUT_FOR_DELIVERY: minutes = 30; break;
	case TSK_STATUS_FAILED_ATTEMPT:
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: minutes = 180; break;
	case TSK_STATUS_IN_TRANSIT: minutes = 120; break;
	case TSK_STATUS_NOT_FOUND:
	case TSK_STATUS_INFO_RECEIVED: minutes = 360; break;
	default: minutes = 240; break;
	}
	s->next_poll.epoch = now->epoch + minutes * 60;
	s->next_poll.offset = now->offset;
	s->next_poll.precision = TSK_PRECISION_MINUTE;
}

int tsk__analyze(tsk_shipment *s, const tsk_shipment *previous, const tsk_time *now)
{
	/* ETA: the carrier's stated window, never once delivered */
	s->has_eta = false;
	if (s->status != TSK_STATUS_DELIVERED && s->status != TSK_STATUS_RETURNED_TO_SENDER &&
	    tsk_time_is_set(&s->carrier_eta_earliest)) {
		s->has_eta = true;
		s->eta.earliest = s->carrier_eta_earliest;
		s->eta.latest = s->carrier_eta_latest;
		s->eta.source = TSK_ETA_CARRIER;
		s->eta.confidence = 0.9;
		s->eta.original_earliest = s->eta.earliest;
		s->eta.original_latest = s->eta.latest;
		if (previous && previous->has_eta) {
			s->eta.original_earliest = previous->eta.original_earliest;
			s->eta.original_latest = previous->eta.original_latest;
		}
	}

	tsk__shipment_clear_exceptions(s);
	for (size_t i = 0; i < s->nevents; i++) {
		const tsk_event *ev = s->events[i];
		if (!ev->unmapped)
			continue;
		char msg[200];
		snprintf(msg, sizeof msg, "Carrier status not in tsuiseki's table: %s",
		         ev->text[TSK_EVENT_CARRIER_STATUS] ? ev->text[TSK_EVENT_CARRIER_STATUS] : "(empty)");
		int rc = tsk__shipment_add_exception(s, TSK_EXC_UNMAPPED_STATUS, TSK_SEVERITY_INFO, &ev->time,
		                                     msg, (long)i);
		if (rc != TSK_OK)
			return rc;
	}
	set_next_poll(s, now);
	return TSK_OK;
}
