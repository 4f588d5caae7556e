/*
 * The Japanese holiday calendar against the Cabinet Office list
 * (内閣府「国民の祝日について」, syukujitsu.csv), whole years at a time, and
 * the delivery calendars built on it.
 */
#include "calendar.h"
#include "timeutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every holiday of a year as "MM-DD" in a space-separated list. */
static const struct {
	int year;
	const char *days;
} official[] = {
	/* pre-2007 rules: a Sunday between holidays stays a Sunday (2003-05-04),
	 * the substitute is the Monday (2006-01-02, 2003-11-24) */
	/* before Happy Monday: 1/15 and 10/10 fixed, a Sunday holiday moves to the
	 * Monday (1999-03-22, 1999-10-11), 5/4 a citizens' holiday on a weekday */
	{ 1999, "01-01 01-15 02-11 03-21 03-22 04-29 05-03 05-04 05-05 07-20 09-15 09-23 10-10 10-11 11-03 "
	        "11-23 12-23" },
	{ 2000, "01-01 01-10 02-11 03-20 04-29 05-03 05-04 05-05 07-20 09-15 09-23 10-09 11-03 11-23 12-23" },
	{ 2003, "01-01 01-13 02-11 03-21 04-29 05-03 05-05 07-21 09-15 09-23 10-13 11-03 11-23 11-24 12-23" },
	{ 2006, "01-01 01-02 01-09 02-11 03-21 04-29 05-03 05-04 05-05 07-17 09-18 09-23 10-09 11-03 11-23 12-23" },
	/* 2007 rules: 5/3 on a Sunday moves the rest day to 5/6; citizens' holiday 9/22 */
	{ 2008, "01-01 01-14 02-11 03-20 04-29 05-03 05-04 05-05 05-06 07-21 09-15 09-23 10-13 11-03 11-23 11-24 12-23" },
	{ 2009, "01-01 01-12 02-11 03-20 04-29 05-03 05-04 05-05 05-06 07-20 09-21 09-22 09-23 10-12 11-03 11-23 12-23" },
	{ 2015, "01-01 01-12 02-11 03-21 04-29 05-03 05-04 05-05 05-06 07-20 09-21 09-22 09-23 10-12 11-03 11-23 12-23" },
	{ 2014, "01-01 01-13 02-11 03-21 04-29 05-03 05-04 05-05 05-06 07-21 09-15 09-23 10-13 11-03 11-23 "
	        "11-24 12-23" },
	/* four substitutes (2/12, 4/30, 9/24, 12/24) and the last 12/23 */
	{ 2018, "01-01 01-08 02-11 02-12 03-21 04-29 04-30 05-03 05-04 05-05 07-16 08-11 09-17 09-23 09-24 "
	        "10-08 11-03 11-23 12-23 12-24" },
	/* enthronement: 4/30 and 5/2 citizens' holidays, 10-day Golden Week, no 12/23 */
	{ 2019, "01-01 01-14 02-11 03-21 04-29 04-30 05-01 05-02 05-03 05-04 05-05 05-06 07-15 08-11 08-12 "
	        "09-16 09-23 10-14 10-22 11-03 11-04 11-23" },
	/* Olympic moves and the 2/24 substitute */
	{ 2020, "01-01 01-13 02-11 02-23 02-24 03-20 04-29 05-03 05-04 05-05 05-06 07-23 07-24 08-10 09-21 "
	        "09-22 11-03 11-23" },
	{ 2021, "01-01 01-11 02-11 02-23 03-20 04-29 05-03 05-04 05-05 07-22 07-23 08-08 08-09 09-20 09-23 "
	        "11-03 11-23" },
	{ 2022, "01-01 01-10 02-11 02-23 03-21 04-29 05-03 05-04 05-05 07-18 08-11 09-19 09-23 10-10 11-03 11-23" },
	{ 2023, "01-01 01-02 01-09 02-11 02-23 03-21 04-29 05-03 05-04 05-05 07-17 08-11 09-18 09-23 10-09 "
	        "11-03 11-23" },
	{ 2024, "01-01 01-08 02-11 02-12 02-23 03-20 04-29 05-03 05-04 05-05 05-06 07-15 08-11 08-12 09-16 "
	        "09-22 09-23 10-14 11-03 11-04 11-23" },
	{ 2025, "01-01 01-13 02-11 02-23 02-24 03-20 04-29 05-03 05-04 05-05 05-06 07-21 08-11 09-15 09-23 "
	        "10-13 11-03 11-23 11-24" },
	{ 2026, "01-01 01-12 02-11 02-23 03-20 04-29 05-03 05-04 05-05 05-06 07-20 08-11 09-21 09-22 09-23 "
	        "10-12 11-03 11-23" },
};

START_TEST(official_years)
{
	int year = official[_i].year;
	const char *list = official[_i].days;
	int count = 0;
	for (int m = 1; m <= 12; m++)
		for (int d = 1; d <= tsk__days_in_month(year, m); d++) {
			char key[32];
			snprintf(key, sizeof key, "%02d-%02d", m, d);
			bool want = strstr(list, key) != NULL;
			bool got = tsk__jp_is_holiday(year, m, d);
			ck_assert_msg(want == got, "%d-%s: expected %s, got %s (%s)", year, key,
			              want ? "holiday" : "workday", got ? "holiday" : "workday",
			              got ? tsk__jp_holiday_name(year, m, d) : "-");
			count += got;
		}
	ck_assert_int_eq(count, (int)((strlen(list) + 1) / 6));
}
END_TEST

START_TEST(holiday_names)
{
	ck_assert_str_eq(tsk__jp_holiday_name(2019, 4, 30), "国民の休日");
	ck_assert_str_eq(tsk__jp_holiday_name(2019, 5, 2), "国民の休日");
	ck_assert_str_eq(tsk__jp_holiday_name(2019, 5, 1), "即位の日");
	ck_assert_str_eq(tsk__jp_holiday_name(2019, 10, 22), "即位礼正殿の儀");
	ck_assert_str_eq(tsk__jp_holiday_name(2020, 2, 24), "振替休日");
	ck_assert_str_eq(tsk__jp_holiday_name(2020, 7, 24), "スポーツの日");
	ck_assert_str_eq(tsk__jp_holiday_name(2021, 8, 8), "山の日");
	ck_assert_str_eq(tsk__jp_holiday_name(2021, 8, 9), "振替休日");
	ck_assert_str_eq(tsk__jp_holiday_name(2019, 10, 14), "体育の日");
	ck_assert_str_eq(tsk__jp_holiday_name(2022, 10, 10), "スポーツの日");
	ck_assert_str_eq(tsk__jp_holiday_name(2006, 4, 29), "みどりの日");
	ck_assert_str_eq(tsk__jp_holiday_name(2007, 4, 29), "昭和の日");
	ck_assert_ptr_null(tsk__jp_holiday_name(2019, 12, 23));
	ck_assert_ptr_null(tsk__jp_holiday_name(2020, 10, 12)); /* スポーツの日 moved to July */
	ck_assert_ptr_null(tsk__jp_holiday_name(2021, 2, 30));
	ck_assert_ptr_null(tsk__jp_holiday_name(2021, 13, 1));
}
END_TEST

START_TEST(equinoxes)
{
	/* 国立天文台 暦要項 dates */
	static const int v[][3] = {
		{ 2000, 3, 20 }, { 2012, 3, 20 }, { 2016, 3, 20 }, { 2019, 3, 21 }, { 2020, 3, 20 },
		{ 2021, 3, 20 }, { 2022, 3, 21 }, { 2023, 3, 21 }, { 2024, 3, 20 }, { 2025, 3, 20 },
		{ 2012, 9, 22 }, { 2016, 9, 22 }, { 2019, 9, 23 }, { 2020, 9, 22 }, { 2021, 9, 23 },
		{ 2024, 9, 22 }, { 2025, 9, 23 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		const char *n = tsk__jp_holiday_name(v[i][0], v[i][1], v[i][2]);
		ck_assert_msg(n && strcmp(n, v[i][1] == 3 ? "春分の日" : "秋分の日") == 0, "%d-%02d-%02d", v[i][0],
		              v[i][1], v[i][2]);
	}
	/* every year 2000–2099 has exactly one of each, in the right days */
	for (int y = 2000; y <= 2099; y++) {
		int spring = 0, autumn = 0;
		for (int d = 19; d <= 22; d++) {
			const char *n = tsk__jp_holiday_name(y, 3, d);
			spring += n && strcmp(n, "春分の日") == 0;
		}
		for (int d = 21; d <= 24; d++) {
			const char *n = tsk__jp_holiday_name(y, 9, d);
			autumn += n && strcmp(n, "秋分の日") == 0;
		}
		ck_assert_msg(spring == 1 && autumn == 1, "%d", y);
	}
}
END_TEST

START_TEST(golden_week_2019)
{
	/* 4/27 (Sat) to 5/6 (Mon): ten days off; Saturday mail still ran in 2019 */
	ck_assert(tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2019, 4, 27)));
	for (int64_t day = tsk__days_from_civil(2019, 4, 28); day <= tsk__days_from_civil(2019, 5, 6); day++) {
		ck_assert(!tsk__cal_is_delivery_day(TSK__CAL_MAIL, day));
		ck_assert(tsk__cal_is_delivery_day(TSK__CAL_EVERY_DAY, day));
	}
	ck_assert(tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2019, 5, 7)));
}
END_TEST

START_TEST(mail_saturdays)
{
	/* ordinary mail was delivered on Saturdays until 2021-10-01 */
	ck_assert(tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2021, 9, 25)));
	ck_assert(!tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2021, 10, 2)));
	ck_assert(!tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2024, 3, 2)));
	ck_assert(!tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2024, 3, 3)));
	ck_assert(!tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2024, 3, 20))); /* 春分の日 */
	ck_assert(tsk__cal_is_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2024, 3, 4)));
	ck_assert(tsk__cal_is_delivery_day(TSK__CAL_EVERY_DAY, tsk__days_from_civil(2024, 3, 3)));
	/* Friday 2024-03-01 -> next mail day from Saturday is Monday 03-04 */
	ck_assert_int_eq(tsk__cal_next_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2024, 3, 2)),
	                 tsk__days_from_civil(2024, 3, 4));
	/* 2019-04-27: Saturday mail still ran, then nothing until 5/7 */
	ck_assert_int_eq(tsk__cal_next_delivery_day(TSK__CAL_MAIL, tsk__days_from_civil(2019, 4, 28)),
	                 tsk__days_from_civil(2019, 5, 7));
}
END_TEST

START_TEST(elapsed_in_calendar)
{
	/* Friday 2024-03-01 18:00 JST to Monday 03-04 18:00: 72 h, of which mail days count 24 */
	int64_t fri = tsk__jst_epoch(tsk__days_from_civil(2024, 3, 1), 18, 0);
	int64_t mon = tsk__jst_epoch(tsk__days_from_civil(2024, 3, 4), 18, 0);
	ck_assert_int_eq(tsk__cal_elapsed(TSK__CAL_EVERY_DAY, fri, mon), 72 * 3600);
	ck_assert_int_eq(tsk__cal_elapsed(TSK__CAL_MAIL, fri, mon), 24 * 3600);
	ck_assert_int_eq(tsk__cal_elapsed(TSK__CAL_MAIL, mon, fri), 0);
	ck_assert_int_eq(tsk__cal_add(TSK__CAL_MAIL, fri, 24 * 3600), mon);
	ck_assert_int_eq(tsk__cal_add(TSK__CAL_EVERY_DAY, fri, 72 * 3600), mon);
	ck_assert_int_eq(tsk__jst_day(fri), tsk__days_from_civil(2024, 3, 1));
	/* 23:59 JST is still the same JST day, 00:00 the next */
	ck_assert_int_eq(tsk__jst_day(tsk__jst_epoch(tsk__days_from_civil(2024, 3, 1), 23, 59)),
	                 tsk__days_from_civil(2024, 3, 1));
	ck_assert_int_eq(tsk__jst_day(tsk__jst_epoch(tsk__days_from_civil(2024, 3, 2), 0, 0)),
	                 tsk__days_from_civil(2024, 3, 2));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");
	tcase_add_loop_test(tc, official_years, 0, (int)(sizeof official / sizeof official[0]));
	tcase_add_test(tc, holiday_names);
	tcase_add_test(tc, equinoxes);
	tcase_add_test(tc, golden_week_2019);
	tcase_add_test(tc, mail_saturdays);
	tcase_add_test(tc, elapsed_in_calendar);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
