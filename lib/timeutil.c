/*
 * Times: RFC 3339 in and out, civil-date arithmetic.
 *
 * A tsk_time is an instant (epoch seconds) plus the offset the carrier
 * meant; formatting always uses that offset, so "08/12 15:03" at JST prints
 * back as 15:03+09:00 whatever the machine's zone.
 */
#define _POSIX_C_SOURCE 200809L
#include "tsuiseki.h"
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days-from-civil algorithm (public domain description). */
int64_t tsk__days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tsk__civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (mm <= 2));
	*m = mm;
	*d = dd;
}

bool tsk__is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tsk__days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	return m == 2 && tsk__is_leap(y) ? 29 : dm[m - 1];
}

int tsk__weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4) */
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

TSK_API int tsk_time_is_set(const tsk_time *t)
{
	return t && t->precision != TSK_PRECISION_NONE;
}

TSK_API int tsk_time_from_fields(tsk_time *out, int year, int month, int day, int hour, int minute,
                                 int offset)
{
	if (!out || year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > tsk__days_in_month(year, month) || hour > 23 || minute > 59 ||
	    offset < -18 * 3600 || offset > 18 * 3600)
		return TSK_EINVAL;
	int64_t days = tsk__days_from_civil(year, month, day);
	int64_t secs = days * 86400;
	if (hour >= 0)
		secs += (int64_t)hour * 3600 + (minute > 0 ? minute : 0) * 60;
	out->epoch = secs - offset;
	out->offset = offset;
	out->precision = hour >= 0 ? TSK_PRECISION_MINUTE : TSK_PRECISION_DAY;
	return TSK_OK;
}

TSK_API void tsk_time_fields(const tsk_time *t, int *year, int *month, int *day, int *hour,
                             int *minute, int *weekday)
{
	int64_t local = t->epoch + t->offset;
	int64_t days = floor_div(local, 86400);
	int64_t rem = local - days * 86400;
	int y, m, d;
	tsk__civil_from_days(days, &y, &m, &d);
	if (year) *year = y;
	if (month) *month = m;
	if (day) *day = d;
	if (hour) *hour = (int)(rem / 3600);
	if (minute) *minute = (int)(rem % 3600 / 60);
	if (weekday) *weekday = tsk__weekday(days);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

TSK_API int tsk_time_parse_rfc3339(tsk_time *out, const char *text)
{
	if (!out || !text)
		return TSK_EINVAL;
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return TSK_EINVAL;
	if (*p == '\0') {
		return tsk_time_from_fields(out, y, mo, d, -1, -1, TSK_JST_OFFSET);
	}
	if (*p != 'T' && *p != 't' && *p != ' ')
		return TSK_EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
		return TSK_EINVAL;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &s) || s > 60)
			return TSK_EINVAL;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return TSK_EINVAL;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	int offset;
	if (*p == 'Z' || *p == 'z') {
		offset = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 18 || om > 59)
			return TSK_EINVAL;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return TSK_EINVAL;
	}
	if (*p != '\0')
		return TSK_EINVAL;
	int rc = tsk_time_from_fields(out, y, mo, d, h, mi, offset);
	if (rc == TSK_OK)
		out->epoch += s > 59 ? 59 : s;
	return rc;
}

TSK_API size_t tsk_time_format(char *buf, size_t bufsize, const tsk_time *t)
{
	if (!buf || bufsize == 0)
		return 0;
	if (!tsk_time_is_set(t)) {
		buf[0] = '\0';
		return 0;
	}
	int y, mo, d, h, mi;
	tsk_time_fields(t, &y, &mo, &d, &h, &mi, NULL);
	int64_t local = t->epoch + t->offset;
	int sec = (int)(local - floor_div(local, 60) * 60);
	int off = t->offset;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(buf, bufsize, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, sec,
	                 sign, off / 3600, off % 3600 / 60);
	if (n < 0)
		return 0;
	return (size_t)n < bufsize ? (size_t)n : bufsize - 1;
}

TSK_API tsk_time tsk_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	tsk_time t = { (int64_t)ts.tv_sec, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	return t;
}
