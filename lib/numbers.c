/*
 * Tracking numbers: normalisation (tsk_number_normalize), detection across
 * the registered carriers (tsk_detect), and the checks carriers share
 * (mod 7 and UPU S10).
 *
 * Mod 7 is computed digit by digit, so 11-digit bodies never overflow.
 */
#include "numbers.h"
#include "context.h"
#include "util.h"

#include <stdlib.h>
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

/* ------------------------------------------------------- normalisation */

TSK_API int tsk_number_normalize(char **out, const char *input, tsk_error *err)
{
	if (!out || !input)
		return tsk_error_set(err, TSK_EINVAL, "no number given");
	*out = NULL;
	size_t len = strlen(input);
	if (!tsk__utf8_valid(input, len))
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "number is not valid UTF-8");
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		i += tsk__utf8_next(input + i, len - i, &cp);
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0; /* full-width ASCII */
		if (cp == '-' || cp == ' ' || cp == '\t' || cp == 0x3000 || cp == 0x2010 || cp == 0x2011 ||
		    cp == 0x2012 || cp == 0x2013 || cp == 0x2212 || cp == 0x30FC || cp == 0xFF70)
			continue;
		if (cp >= 'a' && cp <= 'z')
			cp -= 32;
		if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z')) {
			tsk__buf_putc(&b, (char)cp);
			continue;
		}
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER,
		                     "unexpected character U+%04X in tracking number", (unsigned)cp);
	}
	if (b.failed) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	if (b.len == 0) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "empty tracking number");
	}
	if (b.len > 40) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "tracking number too long (%zu characters)",
		                     b.len);
	}
	*out = tsk__buf_detach(&b);
	return *out ? TSK_OK : tsk_error_set(err, TSK_ENOMEM, "out of memory");
}

/* ----------------------------------------------------------- detection */

struct tsk_detection {
	char *number;
	bool valid;
	char *error;
	tsk_candidate *candidates;
	size_t count;
};

TSK_API const char *tsk_detection_number(const tsk_detection *d) { return d->number; }
TSK_API int tsk_detection_valid(const tsk_detection *d) { return d->valid; }
TSK_API size_t tsk_detection_count(const tsk_detection *d) { return d->count; }
TSK_API const tsk_candidate *tsk_detection_at(const tsk_detection *d, size_t i)
{
	return i < d->count ? &d->candidates[i] : NULL;
}
TSK_API const char *tsk_detection_error(const tsk_detection *d) { return d->error; }

TSK_API void tsk_detection_free(tsk_detection *d)
{
	if (!d)
		return;
	free(d->number);
	free(d->error);
	free(d->candidates);
	free(d);
}

static int cmp_candidate(const void *a, const void *b)
{
	const tsk_candidate *x = a, *y = b;
	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	return 0;
}

TSK_API int tsk_detect(tsk_detection **out, tsk_ctx *ctx, const char *input)
{
	if (!out || !ctx || !input)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_detect: missing argument");
	*out = NULL;
	tsk_detection *d = calloc(1, sizeof *d);
	if (!d)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk_number_normalize(&d->number, input, &err);
	if (rc == TSK_OK) {
		size_t ncarriers = tsk_ctx_carrier_count(ctx);
		d->candidates = calloc(ncarriers ? ncarriers : 1, sizeof *d->candidates);
		if (!d->candidates) {
			tsk_detection_free(d);
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		}
		double total = 0;
		tsk_error first_reason;
		tsk_error_clear(&first_reason);
		for (size_t i = 0; i < ncarriers; i++) {
			const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
			double conf = 0;
			tsk_error aerr;
			tsk_error_clear(&aerr);
			int arc = a->recognize(a, d->number, &conf, &aerr);
			if (arc != TSK_OK) {
				if (first_reason.code == TSK_OK)
					first_reason = aerr;
				continue;
			}
			if (conf > 0) {
				d->candidates[d->count].carrier = a->name;
				d->candidates[d->count].confidence = conf > 1 ? 1 : conf;
				total += d->candidates[d->count].confidence;
				d->count++;
			}
		}
		if (d->count) {
			for (size_t i = 0; i < d->count; i++)
				d->candidates[i].confidence /= total;
			qsort(d->candidates, d->count, sizeof *d->candidates, cmp_candidate);
			d->valid = true;
		} else {
			rc = TSK_EINVALID_NUMBER;
			if (first_reason.code != TSK_OK)
				err = first_reason;
			else
				tsk_error_set(&err, TSK_EINVALID_NUMBER,
				              "no carrier recognises %zu-character number %s",
				              strlen(d->number), d->number);
		}
	} else if (!d->number) {
		/* what the user typed, printable: bytes that are not UTF-8 as U+FFFD */
		d->number = tsk__utf8_repair(input);
	}
	if (rc != TSK_OK) {
		d->error = tsk__strdup(err.message);
		tsk__ctx_error(ctx, rc, "%s: %s", input, err.message);
	}
	*out = d;
	return rc;
}
