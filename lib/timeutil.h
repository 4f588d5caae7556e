/* Private calendar arithmetic (proleptic Gregorian, no time zone database:
 * every offset is explicit). */
#ifndef TSK_LIB_TIMEUTIL_H
#define TSK_LIB_TIMEUTIL_H

#include <stdint.h>
#include <stdbool.h>

/* Days since 1970-01-01 of a civil date. */
int64_t tsk__days_from_civil(int64_t y, int m, int d);
/* Inverse of tsk__days_from_civil. */
void tsk__civil_from_days(int64_t z, int *y, int *m, int *d);
bool tsk__is_leap(int y);
int tsk__days_in_month(int y, int m);
/* Weekday of a civil date, 0 = Sunday. */
int tsk__weekday(int64_t days);

#endif
