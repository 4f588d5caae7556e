/*
 * Tracking-number checks: mod 7 and UPU S10.
 *
 * Mod 7 is computed digit by digit, so 11-digit bodies never overflow.
 */
#include "numbers.h"
#include "util.h"

#include <string.h>

bool tsk__all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool tsk__mod7_valid(const char *digits, int *expected)
{
	size_t n = strlen(digits);
	if (n < 2 || !tsk__all_digits(digits))
		return false;
	int r = 0;
	for (size_t i = 0; i + 1 < n; i++)
		r = (r * 10 + (digits[i] - '0')) % 7;
	if (expected)
		*expected = r;
	return digits[n - 1] - '0' == r;
}

/* ISO 3166-1 alpha-2 codes, concatenated in order. */
static const char iso_codes[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
	"CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFO"
	"FRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJE"
	"JMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMO"
	"MPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPW"
	"PYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTM"
	"TNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW"
	/* UPU also uses these for territories/historic administrations */
	"XK";

bool tsk__iso_country(const char *cc)
{
	if (!cc || strlen(cc) != 2)
		return false;
	for (size_t i = 0; i + 1 < sizeof iso_codes; i += 2)
		if (iso_codes[i] == cc[0] && iso_codes[i + 1] == cc[1])
			return true;
	return false;
}

int tsk__s10_check(const char *s, tsk_error *err)
{
	static const int weights[8] = { 8, 6, 4, 2, 3, 5, 9, 7 };
	size_t n = strlen(s);
	if (n != 13)
		return tsk_error_set(err, TSK_EINVALID_NUMBER,
		                     "S10 numbers have 13 characters, got %zu", n);
	for (int i = 0; i < 2; i++)
		if (s[i] < 'A' || s[i] > 'Z' || s[11 + i] < 'A' || s[11 + i] > 'Z')
			return tsk_error_set(err, TSK_EINVALID_NUMBER,
			                     "S10 numbers are 2 letters, 9 digits, 2 letters");
	for (int i = 2; i < 11; i++)
		if (s[i] < '0' || s[i] > '9')
			return tsk_error_set(err, TSK_EINVALID_NUMBER,
			                     "S10 numbers are 2 letters, 9 digits, 2 letters");
	int sum = 0;
	for (int i = 0; i < 8; i++)
		sum += (s[2 + i] - '0') * weights[i];
	int c = 11 - sum % 11;
	if (c == 10)
		c = 0;
	else if (c == 11)
		c = 5;
	if (s[10] - '0' != c)
		return tsk_error_set(err, TSK_EINVALID_NUMBER,
		                     "S10 check digit is %c, expected %d", s[10], c);
	char cc[3] = { s[11], s[12], '\0' };
	if (!tsk__iso_country(cc))
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "unknown S10 country code %s", cc);
	return TSK_OK;
}
