/*
 * Japanese date, time and delivery-window texts (see jptime.h for the forms).
 *
 * Invariants:
 * - Every scanner either succeeds and moves *pp past exactly what it read,
 *   or fails and leaves *pp as it was; none allocates or reads past the NUL.
 * - A date passes only with month 1..12 and day 1..31, a clock only with
 *   hour 0..23 (24:00 where allowed) and minute 0..59: what a reader returns
 *   is always a plausible local time, never a half-read one.
 * - Numbers are ASCII digits, at most as many as the field holds; a longer
 *   run is read up to that width and the rest left for the caller to judge
 *   (a whole-text reader with TSK__JPTIME_WHOLE then refuses it).
 * - The whole-text readers fold full-width forms first, so "１２／０３" and
 *   "12/03" read the same; U+3000 becomes a space.
 */
#include "jptime.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *tsk__jptime_skip_space(const char *p)
{
	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		else if (strncmp(p, "\xE3\x80\x80", 3) == 0)
			p += 3;
		else
			return p;
	}
}

bool tsk__jptime_eat(const char **pp, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*pp, lit, n) != 0)
		return false;
	*pp += n;
	return true;
}

/* Up to maxd ASCII digits; -1 when there is none. *ndigits (may be NULL)
 * gets how many were read. */
static int read_num(const char **pp, int maxd, int *ndigits)
{
	const char *p = *pp;
	int v = 0, n = 0;
	while (n < maxd && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (ndigits)
		*ndigits = n;
	if (n == 0)
		return -1;
	*pp = p;
	return v;
}

bool tsk__jptime_date(tsk__jptime *out, const char **pp)
{
	const char *p = tsk__jptime_skip_space(*pp);
	int nd = 0;
	int month = read_num(&p, 4, &nd);
	if (month < 0)
		return false;
	int year = 0;
	if (nd == 4) {
		/* "2024/12/03", "2024-12-03", "2024年12月03日", "2024年 6月14日" */
		if (tsk__jptime_eat(&p, "年")) {
			while (*p == ' ')
				p++;
		} else if (!tsk__jptime_eat(&p, "/") && !tsk__jptime_eat(&p, "-")) {
			return false;
		}
		year = month;
		month = read_num(&p, 2, NULL);
		if (month < 0)
			return false;
	} else if (nd > 2) {
		return false;
	}
	bool slash = tsk__jptime_eat(&p, "/");
	if (!slash && !tsk__jptime_eat(&p, "月") && !(year && tsk__jptime_eat(&p, "-")))
		return false;
	int day = read_num(&p, 2, NULL);
	if (day < 0)
		return false;
	tsk__jptime_eat(&p, "日");
	if (!year && slash) {
		/* "06/14/2024" (the English pages): the year last, four digits */
		const char *q = p;
		int ny = 0;
		int y = tsk__jptime_eat(&q, "/") ? read_num(&q, 4, &ny) : -1;
		if (ny == 4) {
			year = y;
			p = q;
		}
	}
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	out->year = year;
	out->month = month;
	out->day = day;
	out->hour = -1;
	out->minute = 0;
	*pp = p;
	return true;
}

bool tsk__jptime_clock(tsk__jptime *out, const char **pp, bool allow24)
{
	const char *p = tsk__jptime_skip_space(*pp);
	int h = read_num(&p, 2, NULL);
	if (h < 0)
		return false;
	int m = 0;
	if (tsk__jptime_eat(&p, ":")) {
		m = read_num(&p, 2, NULL);
		if (m < 0)
			return false;
	} else if (tsk__jptime_eat(&p, "時")) {
		/* "14時30分"; "14時" alone is on the hour */
		const char *q = p;
		int mm = read_num(&q, 2, NULL);
		if (mm >= 0 && tsk__jptime_eat(&q, "分")) {
			m = mm;
			p = q;
		}
	} else {
		return false;
	}
	if (h > (allow24 ? 24 : 23) || m > 59 || (h == 24 && m != 0))
		return false;
	out->hour = h;
	out->minute = m;
	*pp = p;
	return true;
}

/* A weekday after a date: "(火)", "(祝)", "(Tue)" (folded from "（火）"). */
static void skip_weekday(const char **pp)
{
	const char *q = tsk__jptime_skip_space(*pp);
	if (*q != '(')
		return;
	const char *close = strchr(q, ')');
	if (close && close - q <= 8)
		*pp = close + 1;
}

/* Read a clock from *pp into out (hour -1 when there is none); with whole,
 * only white space may follow it. */
static bool clock_then_end(tsk__jptime *out, const char **pp, bool whole)
{
	const char *p = *pp;
	if (!tsk__jptime_clock(out, &p, false)) {
		out->hour = -1;
		out->minute = 0;
	}
	*pp = p;
	return !whole || !*tsk__jptime_skip_space(p);
}

bool tsk__jptime_parse_stamp(tsk__jptime *out, const char *date_text, const char *time_text,
                       unsigned flags)
{
	bool whole = (flags & TSK__JPTIME_WHOLE) != 0;
	/* folded on the stack: a reading that cannot fail for want of memory
	 * (a date cell longer than this is no date) */
	char dbuf[256], tbuf[256];
	const char *fd = tsk__text_fold_into(dbuf, sizeof dbuf, date_text ? date_text : "", false) ? dbuf : NULL;
	const char *ft = time_text && tsk__text_fold_into(tbuf, sizeof tbuf, time_text, false) ? tbuf : NULL;
	bool ok = false;
	if (fd && (ft || !time_text)) {
		const char *p = fd;
		ok = tsk__jptime_date(out, &p);
		if (ok) {
			skip_weekday(&p);
			ok = clock_then_end(out, &p, whole);
		}
		if (ok && out->hour < 0 && ft) {
			/* the date cell shows no time: the time cell may */
			const char *q = ft;
			ok = clock_then_end(out, &q, whole);
		}
	}
	return ok;
}

/* A dash between the two ends of a band: ASCII '-' and '~' (also what
 * full-width －/～ fold to), 〜 U+301C, ー U+30FC, − U+2212, or から. */
static bool eat_dash(const char **pp)
{
	static const char *const dashes[] = { "-", "~", "\xE3\x80\x9C", "\xE3\x83\xBC", "\xE2\x88\x92",
	                                      "から" };
	for (size_t i = 0; i < TSK__ARRAY_LEN(dashes); i++)
		if (tsk__jptime_eat(pp, dashes[i]))
			return true;
	return false;
}

/* The band after the date at p; w holds the whole day on entry. */
static void read_band(tsk__jptime_window *w, const char *p)
{
	/* pass over words before the band: a weekday, "時間帯：" */
	while (*p && !(*p >= '0' && *p <= '9') && strncmp(p, "午前", strlen("午前")) != 0)
		p++;
	if (tsk__jptime_eat(&p, "午前")) {
		/* the morning band of Japanese parcel carriers ("午前中") */
		w->start_hour = 8;
		w->end_hour = 12;
		return;
	}
	tsk__jptime start, end;
	bool bare = false; /* "19" of "19-21時": the unit comes after the band */
	if (!tsk__jptime_clock(&start, &p, true)) {
		start.hour = read_num(&p, 2, NULL);
		start.minute = 0;
		bare = true;
		if (start.hour < 0)
			return;
	}
	p = tsk__jptime_skip_space(p);
	if (!bare && tsk__jptime_eat(&p, "以降")) {
		/* the last band of the day ends at 21:00 */
		w->start_hour = start.hour;
		w->start_minute = start.minute;
		if (start.hour < 21)
			w->end_hour = 21;
	} else if (!bare && tsk__jptime_eat(&p, "まで")) {
		/* "10:00まで": deliveries start at 8 */
		w->start_hour = start.hour > 8 ? 8 : 0;
		w->end_hour = start.hour;
		w->end_minute = start.minute;
	} else if (eat_dash(&p)) {
		if (tsk__jptime_clock(&end, &p, true)) {
			w->start_hour = start.hour;
			w->start_minute = start.minute;
			w->end_hour = end.hour;
			w->end_minute = end.minute;
		}
	} else if (!bare) {
		/* a lone time: from then on */
		w->start_hour = start.hour;
		w->start_minute = start.minute;
	}
	/* 24:00 ends a day, it starts none; and a band ends after it starts
	 * ("00:00まで" is no band) */
	if (w->start_hour > 23 ||
	    (w->end_hour >= 0 && w->end_hour * 60 + w->end_minute <= w->start_hour * 60 + w->start_minute)) {
		w->start_hour = w->end_hour = -1;
		w->start_minute = w->end_minute = 0;
	}
}

bool tsk__jptime_parse_window(tsk__jptime_window *out, const char *text)
{
	char f[256];
	if (!tsk__text_fold_into(f, sizeof f, text ? text : "", false))
		return false;
	const char *p = f;
	tsk__jptime d;
	bool ok = tsk__jptime_date(&d, &p);
	if (ok) {
		skip_weekday(&p);
		out->year = d.year;
		out->month = d.month;
		out->day = d.day;
		out->start_hour = out->end_hour = -1;
		out->start_minute = out->end_minute = 0;
		read_band(out, p);
	}
	return ok;
}
