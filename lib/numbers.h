/*
 * Private: tracking-number checks shared by the adapters.
 */
#ifndef TSK_LIB_NUMBERS_H
#define TSK_LIB_NUMBERS_H

#include "tsuiseki.h"
#include <stdbool.h>

/* Every character an ASCII digit (and at least one)? */
bool tsk__all_digits(const char *s);

/*
 * Mod-7 check digit ("7DR", セブンチェック): the last digit equals the
 * integer formed by the others, mod 7. Used by the carriers' 12-digit
 * parcel numbers and 11-digit registered-mail numbers (carriers/<name>/
 * README.md, Numbers).
 * Returns true when valid; *expected gets the right digit.
 */
bool tsk__mod7_valid(const char *digits, int *expected);

/*
 * UPU S10: 2 letters, 8 serial digits, check digit, 2-letter ISO 3166
 * country. TSK_OK when valid, else TSK_EINVALID_NUMBER with err saying why
 * (format, check digit, unknown country). Returns TSK_OK / error code.
 */
int tsk__s10_check(const char *number, tsk_error *err);
/* Is this upper-case two-letter code an ISO 3166-1 alpha-2 country? */
bool tsk__iso_country(const char *cc);

#endif
