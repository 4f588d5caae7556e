/*
 * The Japanese public-holiday calendar and the delivery calendars.
 *
 * Invariants: a pure function of the date — no table to load, no mutable
 * state. The national holidays are data (lib/data/holidays.def, with the
 * amendments of the 国民の祝日に関する法律 behind each row); the rules over
 * them are code here:
 *   - 振替休日: before 2007 the Monday after a holiday on a Sunday; from 2007
 *     (2005 amendment) the first following day that is not a holiday;
 *   - 国民の休日: a day between two holidays; before 2007 not when it is a
 *     Sunday or already a substitute holiday.
 *
 * The equinox days are fixed each February by the National Astronomical
 * Observatory (国立天文台 暦要項); the usual approximation
 *   day = floor(20.8431 + 0.242194 (y - 1980)) - floor((y - 1980) / 4)   (vernal)
 *   day = floor(23.2488 + 0.242194 (y - 1980)) - floor((y - 1980) / 4)   (autumnal)
 * reproduces them for 1980–2099.
 */
#include "calendar.h"
#include "timeutil.h"

#include <stddef.h>

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* In millionths of a day, to keep the approximation in integers. */
static int equinox_day(int year, int64_t base_micro)
{
	int64_t n = year - 1980;
	return (int)(floor_div(base_micro + 242194 * n, 1000000) - floor_div(n, 4));
}

static int vernal_equinox(int year) { return equinox_day(year, 20843100); }
static int autumnal_equinox(int year) { return equinox_day(year, 23248800); }

/* The day of the month of the n-th Monday. */
static int nth_monday(int year, int month, int n)
{
	int wd = tsk__weekday(tsk__days_from_civil(year, month, 1));
	int first = 1 + (8 - wd) % 7;
	return first + 7 * (n - 1);
}

enum holiday_rule { RULE_DAY, RULE_MONDAY, RULE_VERNAL, RULE_AUTUMNAL };

static const struct {
	const char *name;
	signed char month, rule, n;
	int first_year, last_year;   /* 0 = open-ended */
} holidays[] = {
#define TSK_HOLIDAY(name, month, rule, n, first, last) { name, month, RULE_##rule, n, first, last },
#include "data/holidays.def"
#undef TSK_HOLIDAY
};

/* The year the 2005 amendment changed the substitute and citizens' rules. */
#define RULES_2007 2007

static const char *national_holiday(int y, int m, int d)
{
	for (size_t i = 0; i < sizeof holidays / sizeof holidays[0]; i++) {
		if (holidays[i].month != m || (holidays[i].first_year && y < holidays[i].first_year) ||
		    (holidays[i].last_year && y > holidays[i].last_year))
			continue;
		int on;
		switch (holidays[i].rule) {
		case RULE_MONDAY:
			on = nth_monday(y, m, holidays[i].n);
			break;
		case RULE_VERNAL:
			on = vernal_equinox(y);
			break;
		case RULE_AUTUMNAL:
			on = autumnal_equinox(y);
			break;
		default:
			on = holidays[i].n;
			break;
		}
		if (on == d)
			return holidays[i].name;
	}
	return NULL;
}

static const char *national_on_day(int64_t day)
{
	int y, m, d;
	tsk__civil_from_days(day, &y, &m, &d);
	return national_holiday(y, m, d);
}

/* 振替休日: a national holiday on a Sunday moves the rest day forward. */
static bool substitute_holiday(int64_t day, int year)
{
	if (national_on_day(day))
		return false;
	if (year < RULES_2007) /* the Monday after a Sunday holiday */
		return tsk__weekday(day) == 1 && national_on_day(day - 1);
	/* the first non-holiday after a Sunday holiday and the holidays that follow it */
	for (int64_t k = day - 1; national_on_day(k); k--)
		if (tsk__weekday(k) == 0)
			return true;
	return false;
}

/* 国民の休日: a day between two national holidays. */
static bool citizens_holiday(int64_t day, int year)
{
	if (national_on_day(day) || !national_on_day(day - 1) || !national_on_day(day + 1))
		return false;
	if (year < RULES_2007 && (tsk__weekday(day) == 0 || substitute_holiday(day, year)))
		return false;
	return true;
}

const char *tsk__jp_holiday_name(int year, int month, int day)
{
	if (month < 1 || month > 12 || day < 1 || day > tsk__days_in_month(year, month))
		return NULL;
	const char *n = national_holiday(year, month, day);
	if (n)
		return n;
	int64_t days = tsk__days_from_civil(year, month, day);
	if (substitute_holiday(days, year))
		return "振替休日";
	if (citizens_holiday(days, year))
		return "国民の休日";
	return NULL;
}

bool tsk__jp_is_holiday(int year, int month, int day)
{
	return tsk__jp_holiday_name(year, month, day) != 0;
}

/* Ordinary mail is not delivered on Saturdays from 2021-10-02 (the
 * 2020 amendment of the Postal Act, 郵便法). */
#define MAIL_NO_SATURDAY_FROM 18902 /* tsk__days_from_civil(2021, 10, 2) */

bool tsk__cal_is_delivery_day(tsk__calendar cal, int64_t day)
{
	if (cal == TSK__CAL_EVERY_DAY)
		return true;
	int wd = tsk__weekday(day);
	if (wd == 0 || (wd == 6 && day >= MAIL_NO_SATURDAY_FROM))
		return false;
	int y, m, d;
	tsk__civil_from_days(day, &y, &m, &d);
	return !tsk__jp_is_holiday(y, m, d);
}

int64_t tsk__cal_next_delivery_day(tsk__calendar cal, int64_t day)
{
	/* the longest run without mail delivery is a few days (Golden Week) */
	for (int i = 0; i < 31 && !tsk__cal_is_delivery_day(cal, day); i++)
		day++;
	return day;
}

int64_t tsk__jst_day(int64_t epoch)
{
	return floor_div(epoch + TSK_JST_OFFSET, 86400);
}

int64_t tsk__jst_epoch(int64_t day, int hour, int minute)
{
	return day * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60 - TSK_JST_OFFSET;
}

/* Beyond ten years every answer is "a very long time"; bound the walks. */
#define MAX_WALK_DAYS 3660

int64_t tsk__cal_elapsed(tsk__calendar cal, int64_t from, int64_t to)
{
	if (to <= from)
		return 0;
	if (cal == TSK__CAL_EVERY_DAY)
		return to - from;
	if (to - from > (int64_t)MAX_WALK_DAYS * 86400)
		from = to - (int64_t)MAX_WALK_DAYS * 86400;
	int64_t total = 0;
	for (int64_t day = tsk__jst_day(from), last = tsk__jst_day(to); day <= last; day++) {
		if (!tsk__cal_is_delivery_day(cal, day))
			continue;
		int64_t a = tsk__jst_epoch(day, 0, 0), b = a + 86400;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		if (b > a)
			total += b - a;
	}
	return total;
}

int64_t tsk__cal_add(tsk__calendar cal, int64_t from, int64_t seconds)
{
	if (cal == TSK__CAL_EVERY_DAY || seconds <= 0)
		return from + (seconds > 0 ? seconds : 0);
	int64_t t = from;
	for (int i = 0; i < MAX_WALK_DAYS; i++) {
		int64_t day = tsk__jst_day(t);
		int64_t end = tsk__jst_epoch(day + 1, 0, 0);
		if (tsk__cal_is_delivery_day(cal, day)) {
			if (seconds <= end - t)
				return t + seconds;
			seconds -= end - t;
		}
		t = end;
	}
	return t + seconds;
}
