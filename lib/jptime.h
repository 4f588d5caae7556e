/*
 * Japanese date and time texts as the carrier pages print them, read in one
 * place for every HTML adapter. Private to lib/ and carriers/.
 *
 * Forms read (all of them by every reader; full-width digits and
 * punctuation too, through width folding):
 *   dates    "12/03", "12月03日", "2024年12月03日", "2024年 6月14日",
 *            "2024/12/03", "2024-12-03", "06/14/2024"; one or two digits
 *            for month and day, 日 optional, then an optional weekday
 *            "(火)" in the whole-text readers;
 *   clocks   "18:21", "9:05", "14時", "14時30分";
 *   windows  a date, then "午前中" (or "午前": 8-12), "14時-16時",
 *            "14:00～16:00", "19-21時", "14時から16時", "19時以降" (until
 *            21, the last band), "10:00まで" (from 8), a lone "14:00" (from
 *            then on), or anything else (the whole day).
 *
 * Two levels. The scanners (tsk__jptime_skip_space .. tsk__jptime_clock)
 * read at *pp in text that is already width-folded or plain ASCII; on
 * success they move *pp past what they read, on failure they leave it
 * alone. The whole-text readers (tsk__jptime_parse_stamp and
 * tsk__jptime_parse_window) fold the text themselves (tsk__text_fold).
 */
#ifndef TSK_LIB_JPTIME_H
#define TSK_LIB_JPTIME_H

#include <stdbool.h>

/* A local date and time as printed. */
typedef struct tsk__jptime {
	int year;     /* 0: the text shows none */
	int month;    /* 1..12 */
	int day;      /* 1..31; not checked against the month (the core does) */
	int hour;     /* 0..23, or -1 when no time is shown */
	int minute;   /* 0..59; 0 when hour is -1 */
} tsk__jptime;

/* A stated delivery window on one local day. */
typedef struct tsk__jptime_window {
	int year, month, day;          /* as in tsk__jptime */
	int start_hour, start_minute;  /* start_hour -1: the whole day (minute 0) */
	int end_hour, end_minute;      /* end_hour -1: until the day's end; 24 allowed (24:00) */
} tsk__jptime_window;

/* Flags of tsk__jptime_parse_stamp. */
enum {
	/* Nothing but the date and time may stand in the text (white space
	 * aside): a table cell that must be exactly a time. Without it, what
	 * follows the date and the optional clock is ignored. */
	TSK__JPTIME_WHOLE = 1u << 0,
};

/* Skip ASCII white space and U+3000 (IDEOGRAPHIC SPACE). Never NULL. */
const char *tsk__jptime_skip_space(const char *p);

/* Move *pp past lit when the text there starts with it. */
bool tsk__jptime_eat(const char **pp, const char *lit);

/*
 * A date at *pp (leading white space skipped): out gets year (0 when not
 * shown), month and day, hour -1 and minute 0. A year has four digits,
 * month and day one or two; month 1..12 and day 1..31 or the text is no
 * date. No weekday is read here.
 */
bool tsk__jptime_date(tsk__jptime *out, const char **pp);

/*
 * A clock at *pp (leading white space skipped): "HH:MM" or "HH時" with an
 * optional "MM分". Sets out->hour and out->minute only. The hour is 0..23,
 * or 24 with minute 0 when allow24 (the end of a band, "21時-24時").
 */
bool tsk__jptime_clock(tsk__jptime *out, const char **pp, bool allow24);

/*
 * The date and time of an event. date_text holds the date, optionally
 * followed by a weekday and a clock; when it shows no clock, time_text
 * (may be NULL; a separate time cell) is read for one. flags: 0 or
 * TSK__JPTIME_WHOLE (which then holds for time_text too). Returns false
 * when date_text shows no date (or on ENOMEM); out is then undefined.
 */
bool tsk__jptime_parse_stamp(tsk__jptime *out, const char *date_text, const char *time_text,
                       unsigned flags);

/*
 * A stated delivery window: a date, then the first band the rest of the
 * text shows (words before it, such as a weekday, are passed over). A band
 * that cannot be read, ends no later than it starts ("16時-14時",
 * "00:00まで") or starts at 24:00 leaves the whole day. Returns false when the text starts with no date (a band alone,
 * "08:00-12:00", cannot be placed) or on ENOMEM.
 */
bool tsk__jptime_parse_window(tsk__jptime_window *out, const char *text);

#endif
