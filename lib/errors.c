/*
 * Error codes: names and sentences come from TSK_ERROR_MAP only.
 */
#include "tsuiseki.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	const char *name;
	const char *text;
} error_table[] = {
#define TSK__ERR_ROW(name, value, json, text) { value, json, text },
	TSK_ERROR_MAP(TSK__ERR_ROW)
#undef TSK__ERR_ROW
};

/* TSK__ERROR_LAST is counted from the list: the codes must be 0, -1, -2, …
 * with none skipped or repeated (every value in [LAST, 0], summing to the run's sum) */
#define TSK__ERR_IN_RANGE(name, value, json, text) &&(value) <= 0 && (value) >= TSK__ERROR_LAST
#define TSK__ERR_SUM(name, value, json, text) +(value)
_Static_assert(1 TSK_ERROR_MAP(TSK__ERR_IN_RANGE), "an error code outside [TSK__ERROR_LAST, 0]");
_Static_assert((0 TSK_ERROR_MAP(TSK__ERR_SUM)) == -(TSK__ERROR_LAST * (TSK__ERROR_LAST - 1)) / 2,
               "error codes are not the run 0, -1, -2, …");
#undef TSK__ERR_IN_RANGE
#undef TSK__ERR_SUM

TSK_API const char *tsk_error_name(int code)
{
	for (size_t i = 0; i < TSK__ARRAY_LEN(error_table); i++)
		if (error_table[i].code == code)
			return error_table[i].name;
	return "error";
}

TSK_API int tsk_error_from_name(int *out, const char *name)
{
	if (!out || !name)
		return TSK_EINVAL;
	for (size_t i = 0; i < TSK__ARRAY_LEN(error_table); i++)
		if (strcmp(error_table[i].name, name) == 0) {
			*out = error_table[i].code;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

TSK_API const char *tsk_strerror(int code)
{
	for (size_t i = 0; i < TSK__ARRAY_LEN(error_table); i++)
		if (error_table[i].code == code)
			return error_table[i].text;
	return "unknown error code";
}

TSK_API void tsk_error_clear(tsk_error *err)
{
	if (!err)
		return;
	err->code = TSK_OK;
	err->message[0] = '\0';
	err->where[0] = '\0';
}

TSK_API int tsk_error_set(tsk_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	tsk__message_fix(err->message);
	return code;
}

TSK_API void tsk_error_set_where(tsk_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->where, sizeof err->where, fmt, ap);
	va_end(ap);
	tsk__message_fix(err->where);
}
