/*
 * Private: the Japanese public-holiday calendar (国民の祝日, 振替休日,
 * 国民の休日) and the delivery calendars built on it.
 *
 * Days are civil days since 1970-01-01 (tsk__days_from_civil), always of
 * the Japanese calendar date (JST): callers convert instants with
 * tsk__jst_day().
 */
#ifndef TSK_LIB_CALENDAR_H
#define TSK_LIB_CALENDAR_H

#include "tsuiseki.h"
#include <stdbool.h>
#include <stdint.h>

/*
 * The holiday of a date, or NULL. National holidays give their name
 * ("元日", "春分の日"…), substitute holidays "振替休日", citizens' holidays
 * "国民の休日". Exact for 2000–2099 (the law as amended up to the 2021
 * Olympic special measures); other years follow the same rules and the
 * equinox approximation, which is only good for 1980–2099.
 */
const char *tsk__jp_holiday_name(int year, int month, int day);
bool tsk__jp_is_holiday(int year, int month, int day);

/* Which days a service delivers on: the public tsk_delivery_calendar
 * (tsuiseki/adapter.h), which carriers name in their transit rows. */
typedef tsk_delivery_calendar tsk__calendar;
#define TSK__CAL_EVERY_DAY TSK_DELIVER_EVERY_DAY
#define TSK__CAL_MAIL      TSK_DELIVER_MAIL_DAYS

/* Does the service deliver on this civil day? */
bool tsk__cal_is_delivery_day(tsk__calendar cal, int64_t day);
/* The first delivery day on or after day. */
int64_t tsk__cal_next_delivery_day(tsk__calendar cal, int64_t day);

/* The JST civil day of an instant. */
int64_t tsk__jst_day(int64_t epoch);
/* The instant of hour:minute JST on a civil day. */
int64_t tsk__jst_epoch(int64_t day, int hour, int minute);

/*
 * Seconds between two instants counted only on the calendar's delivery
 * days (every second for TSK__CAL_EVERY_DAY); 0 when to <= from.
 */
int64_t tsk__cal_elapsed(tsk__calendar cal, int64_t from, int64_t to);
/* The instant at which tsk__cal_elapsed(cal, from, t) reaches seconds. */
int64_t tsk__cal_add(tsk__calendar cal, int64_t from, int64_t seconds);

#endif
