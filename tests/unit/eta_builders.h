/*
 * Test helpers (header-only) for the ETA, exception and diff suites:
 * build shipments with the public builders, finalise and analyse them at
 * an injected `now`.
 */
#ifndef TSK_TEST_BUILDERS_H
#define TSK_TEST_BUILDERS_H

#include "analyze.h"
#include "carriers.h"
#include "model.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static inline tsk_time tb_at(const char *rfc3339)
{
	tsk_time t;
	ck_assert_msg(tsk_time_parse_rfc3339(&t, rfc3339) == TSK_OK, "bad time %s", rfc3339);
	return t;
}

static inline const char *tb_fmt(const tsk_time *t)
{
	static char buf[4][64];
	static int k;
	k = (k + 1) % 4;
	if (!t)
		return "(null)";
	tsk_time_format(buf[k], sizeof buf[k], t);
	return buf[k];
}

/* when: "2024-03-01 19:30" (minute), "2024-03-01" (day), "03-01 19:30" (no year), NULL (no date). */
static inline tsk_event *tb_event(const char *when, const char *word, tsk_status st, tsk_exception_code exc,
                                  const char *location, const char *region)
{
	tsk_event *ev;
	ck_assert_int_eq(tsk_event_new(&ev), TSK_OK);
	if (when) {
		int y = 0, mo, d, h = -1, mi = 0;
		if (sscanf(when, "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) < 3) {
			y = 0;
			h = -1;
			ck_assert(sscanf(when, "%d-%d %d:%d", &mo, &d, &h, &mi) >= 2);
		}
		ck_assert_int_eq(tsk_event_set_local_time(ev, y, mo, d, h, mi, TSK_JST_OFFSET), TSK_OK);
		ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, when), TSK_OK);
	}
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word), TSK_OK);
	if (location)
		ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_LOCATION, location), TSK_OK);
	if (region)
		ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_REGION, region), TSK_OK);
	tsk_event_set_status(ev, st, exc, 0);
	return ev;
}

static inline tsk_shipment *tb_shipment(const char *carrier, const char *number, const char *service)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, carrier, number), TSK_OK);
	if (service)
		ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, service), TSK_OK);
	return s;
}

static inline void tb_add(tsk_shipment *s, tsk_event *ev)
{
	ck_assert_int_eq(tsk_shipment_append_event(s, ev), TSK_OK);
}

/* Finalise and analyse at now (RFC 3339) with no learned lanes, with the
 * tables of the shipment's built-in carrier as a context would. */
static inline void tb_run(tsk_shipment *s, const tsk_shipment *previous, const char *now)
{
	tsk_time n = tb_at(now);
	ck_assert_int_eq(tsk__shipment_finalize(s, &n), TSK_OK);
	ck_assert_int_eq(tsk__analyze(s, previous, &n, NULL, tsk__ctx_tables_adapter(NULL, tsk_shipment_carrier(s))), TSK_OK);
}

/* The active exception of a code, or NULL. */
static inline const tsk_exception *tb_exception(const tsk_shipment *s, tsk_exception_code code)
{
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++)
		if (tsk_shipment_exception_at(s, i)->code == code)
			return tsk_shipment_exception_at(s, i);
	return NULL;
}

#endif
