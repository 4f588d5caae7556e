/*
 * lib/jptime: the scanners, event date/time texts and stated delivery
 * windows, in every form the HTML adapters read, with full-width text and
 * bad input.
 */
#include "jptime.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ scanners */

START_TEST(scanners)
{
	const char *p = " \t\xE3\x80\x80x";
	ck_assert_str_eq(tsk__jptime_skip_space(p), "x");
	ck_assert_str_eq(tsk__jptime_skip_space(""), "");

	p = "年12";
	ck_assert(tsk__jptime_eat(&p, "年"));
	ck_assert_str_eq(p, "12");
	ck_assert(!tsk__jptime_eat(&p, "月"));
	ck_assert_str_eq(p, "12");

	/* a date moves the pointer past itself only; a weekday is not read */
	tsk__jptime t;
	p = " 12/03(火) 14:00";
	ck_assert(tsk__jptime_date(&t, &p));
	ck_assert_str_eq(p, "(火) 14:00");
	ck_assert_int_eq(t.year, 0);
	ck_assert_int_eq(t.month, 12);
	ck_assert_int_eq(t.day, 3);
	ck_assert_int_eq(t.hour, -1);
	ck_assert_int_eq(t.minute, 0);

	/* Sagawa's 2009 lines: the sentence follows the date */
	p = "2009年07月12日 久喜店から配達に出発致しました。";
	ck_assert(tsk__jptime_date(&t, &p));
	ck_assert_int_eq(t.year, 2009);
	ck_assert_str_eq(p, " 久喜店から配達に出発致しました。");
	ck_assert(!tsk__jptime_clock(&t, &p, false));
	ck_assert_str_eq(p, " 久喜店から配達に出発致しました。");

	/* failure leaves the pointer where it was */
	p = "13/01";
	ck_assert(!tsk__jptime_date(&t, &p));
	ck_assert_str_eq(p, "13/01");

	p = " 18:21 x";
	ck_assert(tsk__jptime_clock(&t, &p, false));
	ck_assert_int_eq(t.hour, 18);
	ck_assert_int_eq(t.minute, 21);
	ck_assert_str_eq(p, " x");
	/* "14時30" without 分: on the hour, the 30 left unread */
	p = "14時30";
	ck_assert(tsk__jptime_clock(&t, &p, false));
	ck_assert_int_eq(t.hour, 14);
	ck_assert_int_eq(t.minute, 0);
	ck_assert_str_eq(p, "30");
	p = "24:00";
	ck_assert(!tsk__jptime_clock(&t, &p, false));
	ck_assert_str_eq(p, "24:00");
	ck_assert(tsk__jptime_clock(&t, &p, true));
	ck_assert_int_eq(t.hour, 24);
}
END_TEST

/* ---------------------------------------------------------------- dates */

static const struct {
	const char *text;
	int year, month, day; /* month 0: not a date */
} dates[] = {
	{ "12/03", 0, 12, 3 },
	{ "1/5", 0, 1, 5 },
	{ "12月03日", 0, 12, 3 },
	{ "6月14日", 0, 6, 14 },
	{ "12月03", 0, 12, 3 },            /* 日 may be left out */
	{ "2024年12月03日", 2024, 12, 3 },
	{ "2024年 6月14日", 2024, 6, 14 },
	{ "2024/12/03", 2024, 12, 3 },
	{ "2024-12-03", 2024, 12, 3 },
	{ "06/14/2024", 2024, 6, 14 },
	{ "12/03/24", 0, 12, 3 },          /* a two-digit year is not read */
	{ "１２月０３日", 0, 12, 3 },      /* full width */
	{ "２０２４／１２／０３", 2024, 12, 3 },
	{ "12/31", 0, 12, 31 },
	{ "02/30", 0, 2, 30 },             /* the core checks days against the month */
	{ "13/01", 0, 0, 0 },
	{ "00/10", 0, 0, 0 },
	{ "12/00", 0, 0, 0 },
	{ "12/32", 0, 0, 0 },
	{ "123/4", 0, 0, 0 },
	{ "12-03", 0, 0, 0 },              /* a dash only after a year */
	{ "2024", 0, 0, 0 },
	{ "2024年", 0, 0, 0 },
	{ "2024年12月", 0, 0, 0 },
	{ "12月", 0, 0, 0 },
	{ "12", 0, 0, 0 },
	{ "12:03", 0, 0, 0 },
	{ "08:00-12:00", 0, 0, 0 },
	{ "-", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "お問い合わせください", 0, 0, 0 },
	{ "/12/03", 0, 0, 0 },
};

START_TEST(date_forms)
{
	tsk__jptime t;
	bool ok = tsk__jptime_parse_stamp(&t, dates[_i].text, NULL, 0);
	if (!dates[_i].month) {
		ck_assert_msg(!ok, "%s: read as a date", dates[_i].text);
		return;
	}
	ck_assert_msg(ok, "%s: not read", dates[_i].text);
	ck_assert_int_eq(t.year, dates[_i].year);
	ck_assert_int_eq(t.month, dates[_i].month);
	ck_assert_int_eq(t.day, dates[_i].day);
	ck_assert_int_eq(t.hour, -1);
	ck_assert_int_eq(t.minute, 0);
}
END_TEST

/* -------------------------------------------------------- event stamps */

static const struct {
	const char *date, *time;
	unsigned flags;
	bool ok;
	int year, month, day, hour, minute;
} stamps[] = {
	{ "12月02日 10:41", NULL, 0, true, 0, 12, 2, 10, 41 },
	{ "12/30 15:02", NULL, TSK__JPTIME_WHOLE, true, 0, 12, 30, 15, 2 },
	{ "2024/06/14 9:05", NULL, TSK__JPTIME_WHOLE, true, 2024, 6, 14, 9, 5 },
	{ "06/14/2024 14:30", NULL, TSK__JPTIME_WHOLE, true, 2024, 6, 14, 14, 30 },
	{ "08月19日 18時23分", NULL, TSK__JPTIME_WHOLE, true, 0, 8, 19, 18, 23 },
	{ "08月19日 18時", NULL, TSK__JPTIME_WHOLE, true, 0, 8, 19, 18, 0 },
	{ "2009年07月12日", NULL, TSK__JPTIME_WHOLE, true, 2009, 7, 12, -1, 0 },
	{ "12/30(月) 15:02", NULL, TSK__JPTIME_WHOLE, true, 0, 12, 30, 15, 2 },
	{ "  12/30  15:02  ", NULL, TSK__JPTIME_WHOLE, true, 0, 12, 30, 15, 2 },
	{ "１２／３０　１５：０２", NULL, TSK__JPTIME_WHOLE, true, 0, 12, 30, 15, 2 },
	{ "１２月０２日 １０時４１分", NULL, 0, true, 0, 12, 2, 10, 41 },
	/* the date cell and the time cell of Yamato's 2009 history */
	{ "09/01", "18:21", 0, true, 0, 9, 1, 18, 21 },
	{ "09/01", "", 0, true, 0, 9, 1, -1, 0 },
	{ "09/01", "-", 0, true, 0, 9, 1, -1, 0 },
	{ "09/01 07:10", "18:21", 0, true, 0, 9, 1, 7, 10 },   /* the date cell's own time first */
	{ "09/01 25:00", "18:21", 0, true, 0, 9, 1, 18, 21 },  /* an impossible time is none */
	{ "09/01", "１８：２１", 0, true, 0, 9, 1, 18, 21 },
	/* trailing text: ignored without WHOLE, refused with it */
	{ "12/30 15:02 作業中", NULL, 0, true, 0, 12, 30, 15, 2 },
	{ "12/30 15:02 作業中", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 作業中", NULL, 0, true, 0, 12, 30, -1, 0 },
	{ "12/30 作業中", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30", "18:21 x", TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 25:00", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 23:60", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 24:00", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 15:", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/30 1502", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "12/301", NULL, TSK__JPTIME_WHOLE, false, 0, 0, 0, 0, 0 },
	{ "13/40 10:00", NULL, 0, false, 0, 0, 0, 0, 0 },
	{ "18:21", NULL, 0, false, 0, 0, 0, 0, 0 },
	{ NULL, "18:21", 0, false, 0, 0, 0, 0, 0 },
	{ "", NULL, 0, false, 0, 0, 0, 0, 0 },
	{ "\xFF\xFE/12", NULL, 0, false, 0, 0, 0, 0, 0 },
};

START_TEST(event_stamps)
{
	tsk__jptime t;
	bool ok = tsk__jptime_parse_stamp(&t, stamps[_i].date, stamps[_i].time, stamps[_i].flags);
	ck_assert_msg(ok == stamps[_i].ok, "%s | %s: ok=%d", stamps[_i].date ? stamps[_i].date : "(null)",
	              stamps[_i].time ? stamps[_i].time : "(null)", ok);
	if (!ok)
		return;
	ck_assert_int_eq(t.year, stamps[_i].year);
	ck_assert_int_eq(t.month, stamps[_i].month);
	ck_assert_int_eq(t.day, stamps[_i].day);
	ck_assert_int_eq(t.hour, stamps[_i].hour);
	ck_assert_int_eq(t.minute, stamps[_i].minute);
}
END_TEST

/* -------------------------------------------------------------- windows */

static const struct {
	const char *text;
	bool ok;
	int year, month, day, sh, sm, eh, em;
} windows[] = {
	{ "12/03", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12月03日", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "１２月０３日", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "2024/06/14", true, 2024, 6, 14, -1, 0, -1, 0 },
	{ "12月03日 14時-16時", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "12/03 14:00-16:00", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "12月03日(火) 14:00～16:00", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "12月03日（火）14:00～16:00", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "2024/06/14 14時～16時", true, 2024, 6, 14, 14, 0, 16, 0 },
	{ "06/14/2024 14:00-16:00", true, 2024, 6, 14, 14, 0, 16, 0 },
	{ "03月06日 18:00-20:00", true, 0, 3, 6, 18, 0, 20, 0 },
	{ "12/03 14時から16時", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "12/03 14時\xE3\x80\x9C" "16時", true, 0, 12, 3, 14, 0, 16, 0 },  /* 〜 U+301C */
	{ "12/03 14時\xE3\x83\xBC" "16時", true, 0, 12, 3, 14, 0, 16, 0 },  /* ー U+30FC */
	{ "12/03 14時\xE2\x88\x92" "16時", true, 0, 12, 3, 14, 0, 16, 0 },  /* − U+2212 */
	{ "１２／０３　１４：００－１６：００", true, 0, 12, 3, 14, 0, 16, 0 },
	{ "12/03 14時30分～16時", true, 0, 12, 3, 14, 30, 16, 0 },
	{ "12/03 20:00-24:00", true, 0, 12, 3, 20, 0, 24, 0 },
	{ "12/03 19-21時", true, 0, 12, 3, 19, 0, 21, 0 },
	{ "12/03 午前中", true, 0, 12, 3, 8, 0, 12, 0 },
	{ "6月14日(金) 午前中", true, 0, 6, 14, 8, 0, 12, 0 },
	{ "2024/06/14 午前", true, 2024, 6, 14, 8, 0, 12, 0 },
	{ "12月03日 19時以降", true, 0, 12, 3, 19, 0, 21, 0 },
	{ "12月03日 21時以降", true, 0, 12, 3, 21, 0, -1, 0 },
	{ "12/03 10:00まで", true, 0, 12, 3, 8, 0, 10, 0 },
	{ "12/03 08:00まで", true, 0, 12, 3, 0, 0, 8, 0 },
	{ "12/03 0:00まで", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 14:00", true, 0, 12, 3, 14, 0, -1, 0 },
	{ "12月05日 18時23分", true, 0, 12, 5, 18, 23, -1, 0 },
	{ "12/03 時間帯: 14時-16時", true, 0, 12, 3, 14, 0, 16, 0 },
	/* what cannot be read as a band leaves the whole day */
	{ "12/03 指定なし", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 14時-", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 14時-16", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 16時-14時", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 14時-14時", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 19-", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 19", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 24:00", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 24時以降", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 25時-26時", true, 0, 12, 3, -1, 0, -1, 0 },
	{ "12/03 14:00-24:30", true, 0, 12, 3, -1, 0, -1, 0 },
	/* no date: nothing to place the band on */
	{ "08:00-12:00", false, 0, 0, 0, 0, 0, 0, 0 },
	{ "10:00まで", false, 0, 0, 0, 0, 0, 0, 0 },
	{ "午前中", false, 0, 0, 0, 0, 0, 0, 0 },
	{ "-", false, 0, 0, 0, 0, 0, 0, 0 },
	{ "", false, 0, 0, 0, 0, 0, 0, 0 },
	{ NULL, false, 0, 0, 0, 0, 0, 0, 0 },
	{ "お問い合わせください", false, 0, 0, 0, 0, 0, 0, 0 },
	{ "13月03日 午前中", false, 0, 0, 0, 0, 0, 0, 0 },
};

START_TEST(delivery_windows)
{
	tsk__jptime_window w;
	bool ok = tsk__jptime_parse_window(&w, windows[_i].text);
	ck_assert_msg(ok == windows[_i].ok, "%s: ok=%d", windows[_i].text ? windows[_i].text : "(null)", ok);
	if (!ok)
		return;
	ck_assert_msg(w.year == windows[_i].year && w.month == windows[_i].month && w.day == windows[_i].day &&
	                  w.start_hour == windows[_i].sh && w.start_minute == windows[_i].sm &&
	                  w.end_hour == windows[_i].eh && w.end_minute == windows[_i].em,
	              "%s: got %d-%02d-%02d %d:%02d..%d:%02d", windows[_i].text, w.year, w.month, w.day,
	              w.start_hour, w.start_minute, w.end_hour, w.end_minute);
}
END_TEST

/* Bytes that are no text at all never crash or read past the end. */
START_TEST(bad_bytes)
{
	static const char *const junk[] = {
		"\xE3", "\xE3\x80", "12/\xE3", "12月\xE6", "12/03 (", "12/03 (火", "12/03 14時\xE3",
		"2024年\xE5\xB9", "12/03 午", "((((((((((", "99999999999999999999/9999",
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		tsk__jptime t;
		tsk__jptime_window w;
		(void)tsk__jptime_parse_stamp(&t, junk[i], junk[i], 0);
		(void)tsk__jptime_parse_stamp(&t, junk[i], NULL, TSK__JPTIME_WHOLE);
		(void)tsk__jptime_parse_window(&w, junk[i]);
		const char *p = junk[i];
		(void)tsk__jptime_date(&t, &p);
		(void)tsk__jptime_clock(&t, &p, true);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jptime");
	TCase *tc = tcase_create("jptime");
	tcase_add_test(tc, scanners);
	tcase_add_loop_test(tc, date_forms, 0, (int)(sizeof dates / sizeof dates[0]));
	tcase_add_loop_test(tc, event_stamps, 0, (int)(sizeof stamps / sizeof stamps[0]));
	tcase_add_loop_test(tc, delivery_windows, 0, (int)(sizeof windows / sizeof windows[0]));
	tcase_add_test(tc, bad_bytes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
