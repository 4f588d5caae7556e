/*
 * Geography and lanes, shared by the ETA (lib/eta.c), the learned lanes
 * (lib/learn.c) and the exception rules (lib/exceptions.c): regions of
 * prefectures, places and offices, and what the model knows of a
 * shipment's journey (its transit row, origin, destination, acceptance).
 *
 * Invariants: every table is compiled-in data (the .def files of lib/data,
 * or the carrier's own tables through its adapter); nothing here is
 * mutable static state.
 */
#include "lanes.h"
#include "carrier_tables.h"
#include "timeutil.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- tables */

static const struct {
	const char *id, *ja;
} regions[] = {
#define TSK_REGION(id, json, ja) { json, ja },
#include "data/regions.def"
#undef TSK_REGION
};

static const struct {
	int code;
	const char *full, *short_name, *roman;
	int region;
} prefectures[] = {
#define TSK_PREFECTURE(code, full, short_name, roman, region) { code, full, short_name, roman, TSK__REGION_##region },
#include "data/prefectures.def"
#undef TSK_PREFECTURE
};

static const struct {
	const char *name;
	int code;
} places[] = {
#define TSK_PLACE(name, code) { name, code },
#include "data/places.def"
#undef TSK_PLACE
};

/* The generic rows: for carriers without transit rows of their own. */
static const tsk_transit_row transit_rows[] = {
#include "data/transit.def"
};

/* ----------------------------------------------------------- text helpers */

static bool is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A whole ASCII word, case-insensitively ("NARA" but not "NARITA"). */
static long find_word_ci(const char *hay, const char *word)
{
	size_t n = strlen(word);
	for (long off = 0;;) {
		long p = tsk__find_ci(hay + off, word);
		if (p < 0)
			return -1;
		long at = off + p;
		if ((at == 0 || !is_ascii_alpha(hay[at - 1])) && !is_ascii_alpha(hay[at + (long)n]))
			return at;
		off = at + 1;
	}
}

/* Does any '|'-separated keyword occur in text? "" matches everything. */
static bool keywords_match(const char *keywords, const char *text)
{
	if (!*keywords)
		return true;
	if (!text)
		return false;
	const char *p = keywords;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		char word[128];
		if (len && len < sizeof word) {
			memcpy(word, p, len);
			word[len] = '\0';
			if (tsk__find_ci(text, word) >= 0)
				return true;
		}
		if (!bar)
			break;
		p = bar + 1;
	}
	return false;
}

/* ---------------------------------------------------------------- regions */

const char *tsk__region_id(int region)
{
	return region >= 0 && region < TSK__REGION__COUNT ? regions[region].id : NULL;
}

int tsk__region_from_id(const char *id)
{
	if (!id)
		return TSK__REGION_NONE;
	for (int i = 0; i < TSK__REGION__COUNT; i++)
		if (strcmp(regions[i].id, id) == 0)
			return i;
	return TSK__REGION_NONE;
}

static void consider(long pos, size_t len, int code, long *best_pos, size_t *best_len, int *best)
{
	if (pos < 0)
		return;
	if (*best_pos < 0 || pos < *best_pos || (pos == *best_pos && len > *best_len)) {
		*best_pos = pos;
		*best_len = len;
		*best = code;
	}
}

/* The byte pairs of a text, as a set (a hash of 4096 bits). */
static unsigned pair_bit(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + b) & 4095u;
}

/* Could name be a substring of the text whose pairs these are? (false:
 * certainly not; a name of one byte always could) */
static bool may_hold(const uint64_t *pairs, const char *name)
{
	for (size_t k = 0; k < 2 && name[k] && name[k + 1]; k++) {
		unsigned h = pair_bit((unsigned char)name[k], (unsigned char)name[k + 1]);
		if (!((pairs[h / 64] >> (h % 64)) & 1))
			return false;
	}
	return true;
}

/* strstr for a name, skipped when the text lacks one of its first pairs */
static const char *find_name(const char *text, const uint64_t *pairs, const char *name)
{
	return may_hold(pairs, name) ? strstr(text, name) : NULL;
}

/* JIS prefecture code (1..47) named in a text folded by tsk__text_fold(text, true), 0 if none. */
static int prefecture_of_folded(const char *folded)
{
	long best_pos = -1;
	size_t best_len = 0;
	int best = 0;
	/* Text in ASCII alone (a JSON API's "MEMPHIS, TN") can name a
	 * prefecture only by its roman name: the Japanese names are not
	 * searched for there, which is most of the work. */
	bool ascii = true, alpha = false;
	uint64_t pairs[64] = { 0 };
	for (const char *p = folded; *p; p++) {
		ascii = ascii && (unsigned char)*p < 0x80;
		alpha = alpha || is_ascii_alpha(*p);
		if (p[1]) {
			unsigned h = pair_bit((unsigned char)p[0], (unsigned char)p[1]);
			pairs[h / 64] |= (uint64_t)1 << (h % 64);
		}
	}
	for (size_t i = 0; i < TSK__ARRAY_LEN(prefectures); i++) {
		const char *hit;
		if (!ascii && (hit = find_name(folded, pairs, prefectures[i].full)))
			consider(hit - folded, strlen(prefectures[i].full), prefectures[i].code, &best_pos, &best_len, &best);
		if (!ascii && (hit = find_name(folded, pairs, prefectures[i].short_name)))
			consider(hit - folded, strlen(prefectures[i].short_name), prefectures[i].code, &best_pos,
			         &best_len, &best);
		/* a roman name is letters: none to find in text without one */
		if (alpha)
			consider(find_word_ci(folded, prefectures[i].roman), strlen(prefectures[i].roman),
			         prefectures[i].code, &best_pos, &best_len, &best);
	}
	for (size_t i = 0; i < TSK__ARRAY_LEN(places); i++) {
		if (ascii && (unsigned char)places[i].name[0] >= 0x80)
			continue;
		const char *hit = find_name(folded, pairs, places[i].name);
		if (hit)
			consider(hit - folded, strlen(places[i].name), places[i].code, &best_pos, &best_len, &best);
	}
	return best;
}

/* The text folded as tsk__text_fold(text, true) into buf when it fits,
 * else into a copy put in *heap (the caller frees it); NULL on ENOMEM. */
static const char *fold_text(const char *text, char *buf, size_t size, char **heap)
{
	*heap = NULL;
	if (tsk__text_fold_into(buf, size, text, true))
		return buf;
	return *heap = tsk__text_fold(text, true);
}

int tsk__region_of_text(const char *text)
{
	if (!text || !*text)
		return TSK__REGION_NONE;
	/* a region name alone ("関東", "kanto"); only whole, since 中国 is also China */
	char buf[256], *heap;
	const char *folded = fold_text(text, buf, sizeof buf, &heap);
	if (!folded)
		return TSK__REGION_NONE;
	int found = TSK__REGION_NONE;
	for (int i = 0; i < TSK__REGION__COUNT && found == TSK__REGION_NONE; i++)
		if (strcmp(folded, regions[i].ja) == 0 || tsk__strcasecmp(folded, regions[i].id) == 0)
			found = i;
	/* a prefecture's full name alone (a 県名 cell: "東京都") is that
	 * prefecture, as the search below would find it: no name is longer */
	for (size_t i = 0; i < TSK__ARRAY_LEN(prefectures) && found == TSK__REGION_NONE; i++)
		if (strcmp(folded, prefectures[i].full) == 0)
			found = prefectures[i].region;
	/* else the region of the prefecture it names (the same folded text) */
	int code = found == TSK__REGION_NONE ? prefecture_of_folded(folded) : 0;
	free(heap);
	if (found != TSK__REGION_NONE)
		return found;
	for (size_t i = 0; code && i < TSK__ARRAY_LEN(prefectures); i++)
		if (prefectures[i].code == code)
			return prefectures[i].region;
	return TSK__REGION_NONE;
}

int tsk__event_region(const tsk_event *ev)
{
	int r = tsk__region_of_text(tsk__event_text(ev, TSK_EVENT_REGION));
	if (r == TSK__REGION_NONE)
		r = tsk__region_of_text(tsk__event_text(ev, TSK_EVENT_LOCATION));
	return r;
}

int64_t tsk__event_instant(const tsk_event *ev)
{
	if (ev->time.precision == TSK_PRECISION_DAY)
		return ev->time.epoch + 12 * 3600;
	return ev->time.epoch;
}

/* ------------------------------------------------------------------ lanes */

static bool doorstep(tsk_status st)
{
	return st == TSK_STATUS_OUT_FOR_DELIVERY || st == TSK_STATUS_FAILED_ATTEMPT ||
	       st == TSK_STATUS_AVAILABLE_FOR_PICKUP || st == TSK_STATUS_DELIVERED;
}

const tsk_carrier_tables *tsk__adapter_tables(const tsk_adapter *adapter)
{
	/* a version-1 adapter ends at userdata: nothing after it is read */
	if (!adapter || adapter->version < 2 || !adapter->tables)
		return NULL;
	return adapter->tables;
}

/* The service the number implies when the page names none (the carrier's hint). */
static const char *service_hint(const tsk_shipment *s, const tsk_adapter *adapter)
{
	if (!adapter || adapter->version < 2 || !adapter->service_hint || !s->number)
		return NULL;
	return adapter->service_hint(adapter, s->number);
}

static long yyyymmdd_of_day(int64_t day)
{
	int y, m, d;
	tsk__civil_from_days(day, &y, &m, &d);
	return (long)y * 10000 + m * 100 + d;
}

static const tsk_transit_row *first_row(const tsk_transit_row *rows, size_t n, const char *text, long date)
{
	for (size_t i = 0; i < n; i++)
		if ((!date || rows[i].since <= date) && keywords_match(rows[i].keywords, text))
			return &rows[i];
	return NULL;
}

static const tsk_transit_row *pick_row(const tsk_shipment *s, const tsk_adapter *adapter, long date)
{
	const char *svc = s->text[TSK_SHIPMENT_SERVICE];
	char *folded = svc ? tsk__text_fold(svc, false) : NULL;
	const char *text = folded ? folded : (svc ? svc : service_hint(s, adapter));
	/* the carrier's rows, else the generic ones */
	const tsk_carrier_tables *t = tsk__adapter_tables(adapter);
	const tsk_transit_row *found = t && t->ntransit ? first_row(t->transit, t->ntransit, text, date)
	                                                : first_row(transit_rows, TSK__ARRAY_LEN(transit_rows), text, date);
	free(folded);
	return found ? found : tsk__transit_generic();
}

const tsk_transit_row *tsk__transit_generic(void)
{
	return &transit_rows[TSK__ARRAY_LEN(transit_rows) - 1];
}

void tsk__lane_resolve(struct tsk__lane *out, const tsk_shipment *s, const tsk_adapter *adapter)
{
	out->start = -1;
	out->only_info = false;
	long info = -1;
	for (size_t i = 0; i < s->nevents && out->start < 0; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (!tsk_time_is_set(&ev->time))
			continue;
		if (ev->status == TSK_STATUS_INFO_RECEIVED || ev->status == TSK_STATUS_NOT_FOUND) {
			if (info < 0)
				info = (long)i;
			continue;
		}
		out->start = (long)i;
	}
	if (out->start < 0 && info >= 0) {
		out->start = info;
		out->only_info = true;
	}
	long date = out->start >= 0
	                    ? yyyymmdd_of_day(tsk__jst_day(tsk__shipment_event(s, out->start)->time.epoch))
	                    : 0;
	out->row = pick_row(s, adapter, date);

	out->origin = tsk__region_of_text(s->text[TSK_SHIPMENT_ORIGIN_REGION]);
	/* the first offices are the sender's; later ones may be hubs */
	for (size_t i = 0; out->origin == TSK__REGION_NONE && i < s->nevents && i < 3; i++)
		out->origin = tsk__event_region(tsk__shipment_event(s, i));
	out->destination = tsk__region_of_text(s->text[TSK_SHIPMENT_DESTINATION_REGION]);
	for (size_t i = s->nevents; out->destination == TSK__REGION_NONE && i-- > 0;)
		if (doorstep(tsk__shipment_event(s, i)->status))
			out->destination = tsk__event_region(tsk__shipment_event(s, i));
}
