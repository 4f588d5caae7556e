/*
 * The ETA: the carrier's stated window, else a model estimate.
 *
 * Invariants:
 *  - the ETA is a function of the shipment's events, the previous snapshot
 *    and the learned lanes — never of the clock — so it only moves when
 *    events arrive, and `late` can compare the clock with it;
 *  - a delivered or returned shipment has no ETA;
 *  - `original` is the first window ever given: copied from the previous
 *    snapshot when it had one, else this window;
 *  - every table is compiled-in data (the .def files of lib/data) with its source named
 *    there; nothing here is mutable static state.
 *
 * The model: a lane is carrier + service + origin region + destination
 * region. The window starts from the acceptance event (the first dated event
 * beyond label data), counts the transit days of the lane's distance class
 * (or the learned p10..p90 of the lane), and moves each bound to a day the
 * service delivers on. Later events refine it: out for delivery -> that day;
 * arrival at the delivery office -> that day or the next; a failed attempt
 * -> redelivery in one to two days; still moving after the window closed ->
 * the next two days.
 */
#include "eta.h"
#include "carrier_tables.h"
#include "carriers.h"
#include "context.h"
#include "exceptions.h"
#include "timeutil.h"
#include "util.h"

#include <stdio.h>
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

static const signed char distance[TSK__REGION__COUNT][TSK__REGION__COUNT] = {
#define TSK_REGION_ROW(from, ...) [TSK__REGION_##from] = { __VA_ARGS__ },
#include "data/region_distance.def"
#undef TSK_REGION_ROW
};

/* The generic rows: for carriers without transit rows of their own. */
static const tsk_transit_row transit_rows[] = {
#include "data/transit.def"
};

static const char *const arrival_words[] = {
#define TSK_DELAY_WORD(w)
#define TSK_EXCEPTION_WORD(w, code)
#define TSK_ARRIVAL_WORD(w) w,
#define TSK_ARRIVAL_NOT(w)
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

static const char *const arrival_not_words[] = {
#define TSK_DELAY_WORD(w)
#define TSK_EXCEPTION_WORD(w, code)
#define TSK_ARRIVAL_WORD(w)
#define TSK_ARRIVAL_NOT(w) w,
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

/* Model confidences that do not come from a table row. */
#define CONF_CARRIER_WINDOW 0.9   /* a stated time band */
#define CONF_CARRIER_DAY    0.8   /* a stated day */
#define CONF_OUT_FOR_DELIVERY 0.85
#define CONF_ARRIVED        0.65
#define CONF_REDELIVERY     0.5
#define CONF_AFTER_ATTEMPT  0.35
#define CONF_REBASED        0.35
/* An attempt that failed before this hour may be redelivered the same
 * evening (the 19–21 slot can still be booked that day). */
#define SAME_DAY_REDELIVERY_BEFORE 18
/* A delay notice (weather, disaster) pushes the latest bound this many days. */
#define DELAY_EXTRA_DAYS    2
/* A lane is used once it has this many deliveries. */
#define LEARN_MIN_SAMPLES   3

/* ----------------------------------------------------------- text helpers */

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Case-insensitive (ASCII) substring search; returns the offset or -1. */
static long find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 0;
	for (size_t i = 0; hay[i]; i++) {
		size_t k = 0;
		while (k < n && hay[i + k] && ascii_lower(hay[i + k]) == ascii_lower(needle[k]))
			k++;
		if (k == n)
			return (long)i;
	}
	return -1;
}

static bool is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A whole ASCII word, case-insensitively ("NARA" but not "NARITA"). */
static long find_word_ci(const char *hay, const char *word)
{
	size_t n = strlen(word);
	for (long off = 0;;) {
		long p = find_ci(hay + off, word);
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
			if (find_ci(text, word) >= 0)
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

int tsk__prefecture_of_text(const char *text)
{
	if (!text)
		return 0;
	char *folded = tsk__text_fold(text, true);
	if (!folded)
		return 0;
	long best_pos = -1;
	size_t best_len = 0;
	int best = 0;
	/* Text in ASCII alone (a JSON API's "MEMPHIS, TN") can name a
	 * prefecture only by its roman name: the Japanese names are not
	 * searched for there, which is most of the work. */
	bool ascii = true;
	for (const char *p = folded; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	for (size_t i = 0; i < TSK__ARRAY_LEN(prefectures); i++) {
		const char *hit;
		if (!ascii && (hit = strstr(folded, prefectures[i].full)))
			consider(hit - folded, strlen(prefectures[i].full), prefectures[i].code, &best_pos, &best_len, &best);
		if (!ascii && (hit = strstr(folded, prefectures[i].short_name)))
			consider(hit - folded, strlen(prefectures[i].short_name), prefectures[i].code, &best_pos,
			         &best_len, &best);
		consider(find_word_ci(folded, prefectures[i].roman), strlen(prefectures[i].roman),
		         prefectures[i].code, &best_pos, &best_len, &best);
	}
	for (size_t i = 0; i < TSK__ARRAY_LEN(places); i++) {
		if (ascii && (unsigned char)places[i].name[0] >= 0x80)
			continue;
		const char *hit = strstr(folded, places[i].name);
		if (hit)
			consider(hit - folded, strlen(places[i].name), places[i].code, &best_pos, &best_len, &best);
	}
	free(folded);
	return best;
}

int tsk__region_of_text(const char *text)
{
	if (!text || !*text)
		return TSK__REGION_NONE;
	/* a region name alone ("関東", "kanto"); only whole, since 中国 is also China */
	char *folded = tsk__text_fold(text, true);
	if (!folded)
		return TSK__REGION_NONE;
	int found = TSK__REGION_NONE;
	for (int i = 0; i < TSK__REGION__COUNT && found == TSK__REGION_NONE; i++)
		if (strcmp(folded, regions[i].ja) == 0 || tsk__strcasecmp(folded, regions[i].id) == 0)
			found = i;
	free(folded);
	if (found != TSK__REGION_NONE)
		return found;
	int code = tsk__prefecture_of_text(text);
	for (size_t i = 0; code && i < TSK__ARRAY_LEN(prefectures); i++)
		if (prefectures[i].code == code)
			return prefectures[i].region;
	return TSK__REGION_NONE;
}

int tsk__event_region(const tsk_event *ev)
{
	int r = tsk__region_of_text(ev->text[TSK_EVENT_REGION]);
	if (r == TSK__REGION_NONE)
		r = tsk__region_of_text(ev->text[TSK_EVENT_LOCATION]);
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
		const tsk_event *ev = s->events[i];
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
	long date = out->start >= 0 ? yyyymmdd_of_day(tsk__jst_day(s->events[out->start]->time.epoch)) : 0;
	out->row = pick_row(s, adapter, date);

	out->origin = tsk__region_of_text(s->text[TSK_SHIPMENT_ORIGIN_REGION]);
	/* the first offices are the sender's; later ones may be hubs */
	for (size_t i = 0; out->origin == TSK__REGION_NONE && i < s->nevents && i < 3; i++)
		out->origin = tsk__event_region(s->events[i]);
	out->destination = tsk__region_of_text(s->text[TSK_SHIPMENT_DESTINATION_REGION]);
	for (size_t i = s->nevents; out->destination == TSK__REGION_NONE && i-- > 0;)
		if (doorstep(s->events[i]->status))
			out->destination = tsk__event_region(s->events[i]);
}

/* --------------------------------------------------------- learned lanes */

struct lane_stats {
	char *carrier;
	char *service;             /* a copy: a carrier's tables may go before the lanes */
	int origin, destination;   /* NONE = any */
	double *hours;             /* sorted */
	size_t n, cap;
};

struct tsk__eta_model {
	struct lane_stats *lanes;
	size_t nlanes, cap;
	char **seen;               /* sorted "carrier\037number" of learned shipments */
	size_t nseen, seen_cap;
};

void tsk__eta_model_free(struct tsk__eta_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlanes; i++) {
		free(m->lanes[i].carrier);
		free(m->lanes[i].service);
		free(m->lanes[i].hours);
	}
	free(m->lanes);
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->seen);
	free(m);
}

static struct lane_stats *lane_find(const struct tsk__eta_model *m, const char *carrier,
                                    const char *service, int origin, int destination)
{
	for (size_t i = 0; m && i < m->nlanes; i++) {
		struct lane_stats *l = &m->lanes[i];
		if (l->origin == origin && l->destination == destination && strcmp(l->service, service) == 0 &&
		    strcmp(l->carrier, carrier) == 0)
			return l;
	}
	return NULL;
}

static int lane_add(struct tsk__eta_model *m, const char *carrier, const char *service, int origin,
                    int destination, double hours)
{
	struct lane_stats *l = lane_find(m, carrier, service, origin, destination);
	if (!l) {
		if (!TSK__GROW(m->lanes, m->cap, m->nlanes + 1))
			return TSK_ENOMEM;
		l = &m->lanes[m->nlanes];
		memset(l, 0, sizeof *l);
		if (!(l->carrier = tsk__strdup(carrier)) || !(l->service = tsk__strdup(service))) {
			free(l->carrier);
			return TSK_ENOMEM;
		}
		l->origin = origin;
		l->destination = destination;
		m->nlanes++;
	}
	if (!TSK__GROW(l->hours, l->cap, l->n + 1))
		return TSK_ENOMEM;
	size_t k = l->n;
	while (k > 0 && l->hours[k - 1] > hours) {
		l->hours[k] = l->hours[k - 1];
		k--;
	}
	l->hours[k] = hours;
	l->n++;
	return TSK_OK;
}

/* Linear interpolation between the closest ranks. */
static double percentile(const struct lane_stats *l, double p)
{
	if (!l->n)
		return 0;
	double pos = p * (double)(l->n - 1);
	size_t lo = (size_t)pos;
	if (lo + 1 >= l->n)
		return l->hours[l->n - 1];
	double frac = pos - (double)lo;
	return l->hours[lo] + (l->hours[lo + 1] - l->hours[lo]) * frac;
}

static const struct lane_stats *lane_lookup(const struct tsk__eta_model *m, const tsk_shipment *s,
                                            const struct tsk__lane *lane)
{
	if (!m)
		return NULL;
	const char *svc = lane->row->service;
	/* the aggregate over every origin only stands in when the origin is unknown:
	 * a shop's lanes from another warehouse say little about this one */
	const struct lane_stats *c[4] = { NULL, NULL, NULL, NULL };
	if (lane->origin != TSK__REGION_NONE) {
		if (lane->destination != TSK__REGION_NONE)
			c[0] = lane_find(m, s->carrier, svc, lane->origin, lane->destination);
		c[1] = lane_find(m, s->carrier, svc, lane->origin, TSK__REGION_NONE);
	} else {
		if (lane->destination != TSK__REGION_NONE)
			c[2] = lane_find(m, s->carrier, svc, TSK__REGION_NONE, lane->destination);
		c[3] = lane_find(m, s->carrier, svc, TSK__REGION_NONE, TSK__REGION_NONE);
	}
	for (int i = 0; i < 4; i++)
		if (c[i] && c[i]->n >= LEARN_MIN_SAMPLES)
			return c[i];
	return NULL;
}

static int seen_insert(struct tsk__eta_model *m, const tsk_shipment *s, bool *already)
{
	size_t len = strlen(s->carrier) + strlen(s->number) + 2;
	char *key = malloc(len);
	if (!key)
		return TSK_ENOMEM;
	snprintf(key, len, "%s\037%s", s->carrier, s->number);
	size_t lo = 0, hi = m->nseen;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->seen[mid], key);
		if (c == 0) {
			free(key);
			*already = true;
			return TSK_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!TSK__GROW(m->seen, m->seen_cap, m->nseen + 1)) {
		free(key);
		return TSK_ENOMEM;
	}
	memmove(&m->seen[lo + 1], &m->seen[lo], (m->nseen - lo) * sizeof *m->seen);
	m->seen[lo] = key;
	m->nseen++;
	*already = false;
	return TSK_OK;
}

/*
 * One delivered shipment -> one sample: hours from the acceptance event to
 * the first doorstep outcome (first attempt, delivery or hand-over to a
 * pickup point). A failed attempt measures the carrier, not the recipient,
 * so later redeliveries do not stretch the lane.
 */
static int learn_one(struct tsk__eta_model *m, const tsk_shipment *s, const tsk_adapter *adapter)
{
	if (s->status != TSK_STATUS_DELIVERED || s->error != TSK_OK || !s->carrier || !s->number)
		return TSK_OK;
	struct tsk__lane lane;
	tsk__lane_resolve(&lane, s, adapter);
	if (lane.start < 0 || lane.only_info)
		return TSK_OK;
	const tsk_event *start = s->events[lane.start], *outcome = NULL;
	for (size_t i = (size_t)lane.start + 1; i < s->nevents && !outcome; i++) {
		const tsk_event *ev = s->events[i];
		if (tsk_time_is_set(&ev->time) &&
		    (ev->status == TSK_STATUS_FAILED_ATTEMPT || ev->status == TSK_STATUS_DELIVERED ||
		     ev->status == TSK_STATUS_AVAILABLE_FOR_PICKUP))
			outcome = ev;
	}
	if (!outcome)
		return TSK_OK;
	double hours = (double)(tsk__event_instant(outcome) - tsk__event_instant(start)) / 3600.0;
	if (hours < 0 || hours > 60 * 24)
		return TSK_OK; /* a broken history, not a transit time */
	bool already = false;
	int rc = seen_insert(m, s, &already);
	if (rc != TSK_OK || already)
		return rc;
	const char *svc = lane.row->service;
	int o = lane.origin, d = lane.destination;
	if ((rc = lane_add(m, s->carrier, svc, TSK__REGION_NONE, TSK__REGION_NONE, hours)) != TSK_OK)
		return rc;
	if (o != TSK__REGION_NONE && (rc = lane_add(m, s->carrier, svc, o, TSK__REGION_NONE, hours)) != TSK_OK)
		return rc;
	if (d != TSK__REGION_NONE && (rc = lane_add(m, s->carrier, svc, TSK__REGION_NONE, d, hours)) != TSK_OK)
		return rc;
	if (o != TSK__REGION_NONE && d != TSK__REGION_NONE)
		rc = lane_add(m, s->carrier, svc, o, d, hours);
	return rc;
}

static void transit_slot_free(tsk_ctx *ctx, void *data)
{
	(void)ctx;
	tsk__eta_model_free(data);
}

TSK_API int tsk_ctx_learn_transit(tsk_ctx *ctx, const tsk_shipment_list *delivered)
{
	if (!ctx || !delivered)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_learn_transit: missing argument");
	struct tsk__eta_model *m = tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT);
	if (!m) {
		if (!(m = calloc(1, sizeof *m)))
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		tsk__ctx_set_slot(ctx, TSK__SLOT_TRANSIT, m, transit_slot_free);
	}
	for (size_t i = 0; i < tsk_shipment_list_count(delivered); i++) {
		const tsk_shipment *s = tsk_shipment_list_at(delivered, i);
		if (learn_one(m, s, tsk__ctx_tables_adapter(ctx, s->carrier)) != TSK_OK)
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	}
	return TSK_OK;
}

TSK_API void tsk_ctx_forget_transit(tsk_ctx *ctx)
{
	if (!ctx)
		return;
	tsk__eta_model_free(tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT));
	tsk__ctx_set_slot(ctx, TSK__SLOT_TRANSIT, NULL, NULL);
}

TSK_API size_t tsk_ctx_transit_lane_count(const tsk_ctx *ctx)
{
	const struct tsk__eta_model *m = ctx ? tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT) : NULL;
	return m ? m->nlanes : 0;
}

TSK_API int tsk_ctx_transit_lane_at(const tsk_ctx *ctx, size_t i, tsk_transit_lane *out)
{
	const struct tsk__eta_model *m = ctx ? tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT) : NULL;
	if (!out || !m || i >= m->nlanes)
		return TSK_EINVAL;
	const struct lane_stats *l = &m->lanes[i];
	out->carrier = l->carrier;
	out->service = l->service;
	out->origin = tsk__region_id(l->origin);
	out->destination = tsk__region_id(l->destination);
	out->samples = l->n;
	out->p10_hours = percentile(l, 0.1);
	out->p50_hours = percentile(l, 0.5);
	out->p90_hours = percentile(l, 0.9);
	out->in_use = l->n >= LEARN_MIN_SAMPLES;
	return TSK_OK;
}

/* -------------------------------------------------------------- windows */

struct window {
	int64_t earliest, latest;
	double confidence;
};

static double round2(double x)
{
	return (double)(long)(x * 100.0 + 0.5) / 100.0;
}

/* Days d1..d2 (civil), each moved to a delivery day, over the delivery hours. */
static void day_window(struct window *w, const tsk_transit_row *row, int64_t d1, int64_t d2,
                       double confidence)
{
	d1 = tsk__cal_next_delivery_day(row->calendar, d1);
	d2 = tsk__cal_next_delivery_day(row->calendar, d2);
	if (d2 < d1)
		d2 = d1;
	w->earliest = tsk__jst_epoch(d1, row->day_start, 0);
	w->latest = tsk__jst_epoch(d2, row->day_end, 0);
	w->confidence = confidence;
}

/* Local hour of a MINUTE-precision event, -1 for a date alone. */
static int event_hour(const tsk_event *ev)
{
	if (ev->time.precision != TSK_PRECISION_MINUTE)
		return -1;
	int64_t secs = ev->time.epoch + TSK_JST_OFFSET;
	int64_t in_day = secs - (tsk__jst_day(ev->time.epoch) * 86400);
	return (int)(in_day / 3600);
}

static bool is_arrival(const tsk_event *ev)
{
	const char *texts[2] = { ev->text[TSK_EVENT_CARRIER_STATUS], ev->text[TSK_EVENT_DESCRIPTION] };
	bool hit = false;
	for (int t = 0; t < 2; t++) {
		if (!texts[t])
			continue;
		for (size_t i = 0; i < TSK__ARRAY_LEN(arrival_not_words); i++)
			if (find_ci(texts[t], arrival_not_words[i]) >= 0)
				return false;
		for (size_t i = 0; i < TSK__ARRAY_LEN(arrival_words) && !hit; i++)
			hit = find_ci(texts[t], arrival_words[i]) >= 0;
	}
	return hit;
}

/* The last event (logical order) with a date and one of the statuses, or -1. */
static long last_with(const tsk_shipment *s, tsk_status st)
{
	for (size_t i = s->nevents; i-- > 0;)
		if (s->events[i]->status == st && tsk_time_is_set(&s->events[i]->time))
			return (long)i;
	return -1;
}

static bool moving_window(struct window *w, const tsk_shipment *s, const struct tsk__eta_model *m,
                          const struct tsk__lane *lane, long last, long latest);

static bool model_window(struct window *w, const tsk_shipment *s, const struct tsk__eta_model *m,
                         const tsk_adapter *adapter)
{
	switch (s->status) {
	case TSK_STATUS_DELIVERED:
	case TSK_STATUS_RETURNED_TO_SENDER:
	case TSK_STATUS_NOT_FOUND:
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: /* the recipient decides; the pickup deadline tells */
		return false;
	default:
		break;
	}
	/* the latest dated event, by time (pages are not sorted by time) */
	long latest = -1, last = -1;
	for (size_t i = 0; i < s->nevents; i++) {
		const tsk_event *ev = s->events[i];
		if (!tsk_time_is_set(&ev->time))
			continue;
		last = (long)i;
		if (latest < 0 || tsk__event_instant(ev) > tsk__event_instant(s->events[latest]))
			latest = (long)i;
	}
	if (last < 0)
		return false;
	struct tsk__lane lane;
	tsk__lane_resolve(&lane, s, adapter);
	const tsk_transit_row *row = lane.row;
	const tsk_event *lev = s->events[last];

	if (s->status == TSK_STATUS_OUT_FOR_DELIVERY) {
		long k = last_with(s, TSK_STATUS_OUT_FOR_DELIVERY);
		const tsk_event *ev = k >= 0 ? s->events[k] : lev;
		int64_t day = tsk__jst_day(ev->time.epoch);
		int hour = event_hour(ev);
		if (hour >= row->day_end)
			day++;
		day_window(w, row, day, day, CONF_OUT_FOR_DELIVERY);
		/* already on the van: not before it left */
		if (hour >= 0 && ev->time.epoch > w->earliest && ev->time.epoch < w->latest)
			w->earliest = ev->time.epoch;
		return true;
	}
	if (s->status == TSK_STATUS_FAILED_ATTEMPT) {
		long k = last_with(s, TSK_STATUS_FAILED_ATTEMPT);
		const tsk_event *ev = k >= 0 ? s->events[k] : lev;
		int64_t day = tsk__jst_day(ev->time.epoch);
		int hour = event_hour(ev);
		bool same_day = hour >= 0 && hour < SAME_DAY_REDELIVERY_BEFORE;
		day_window(w, row, same_day ? day : day + 1, day + 2, CONF_AFTER_ATTEMPT);
		if (same_day && ev->time.epoch > w->earliest)
			w->earliest = ev->time.epoch;
		return true;
	}

	double scale = s->status == TSK_STATUS_EXCEPTION ? 0.5 : 1.0;
	bool ok = moving_window(w, s, m, &lane, last, latest);
	if (ok && (lev->exception == TSK_EXC_WEATHER_OR_DISASTER_DELAY ||
	           tsk__exception_keyword(lev, s->status == TSK_STATUS_EXCEPTION) == TSK_EXC_WEATHER_OR_DISASTER_DELAY)) {
		/* the carrier announces a delay: later, and less sure */
		int64_t d2 = tsk__cal_next_delivery_day(row->calendar, tsk__jst_day(w->latest) + DELAY_EXTRA_DAYS);
		w->latest = tsk__jst_epoch(d2, row->day_end, 0);
		w->confidence *= 0.5;
	}
	w->confidence *= scale;
	return ok;
}

/* In transit (or label data only): redelivery, arrival, else the lane. */
static bool moving_window(struct window *w, const tsk_shipment *s, const struct tsk__eta_model *m,
                          const struct tsk__lane *lp, long last, long latest)
{
	const struct tsk__lane lane = *lp;
	const tsk_transit_row *row = lane.row;
	const tsk_event *lev = s->events[last];
	int64_t lday = tsk__jst_day(lev->time.epoch);
	int lhour = event_hour(lev);
	long attempt = last_with(s, TSK_STATUS_FAILED_ATTEMPT);
	if (attempt >= 0 && attempt < last) {
		/* moving again after a failed attempt: a redelivery was arranged */
		int64_t d1 = lhour >= 14 ? lday + 1 : lday;
		day_window(w, row, d1, lday + 1, CONF_REDELIVERY);
		return true;
	}
	/* reaching the destination region counts as arrival only when it differs
	 * from the origin: within one region every office is "there" */
	if (is_arrival(lev) || (lane.destination != TSK__REGION_NONE && lane.destination != lane.origin &&
	                        last > lane.start && tsk__event_region(lev) == lane.destination)) {
		int64_t d1 = lhour >= 12 ? lday + 1 : lday;
		day_window(w, row, d1, lday + 1, CONF_ARRIVED);
		return true;
	}
	if (lane.start < 0)
		return false;

	const tsk_event *start = s->events[lane.start];
	const struct lane_stats *learned = lane_lookup(m, s, &lane);
	if (learned) {
		int64_t base = tsk__event_instant(start) + (lane.only_info ? 86400 : 0);
		int64_t d1 = tsk__jst_day(base + (int64_t)(percentile(learned, 0.1) * 3600.0));
		int64_t d2 = tsk__jst_day(base + (int64_t)(percentile(learned, 0.9) * 3600.0));
		double conf = 0.5 + 0.03 * (double)learned->n;
		day_window(w, row, d1, d2 + (lane.only_info ? 1 : 0), conf > 0.85 ? 0.85 : conf);
	} else {
		int64_t d0 = tsk__jst_day(start->time.epoch);
		if (event_hour(start) >= row->cutoff_hour)
			d0++;
		if (lane.only_info)
			d0++; /* label data today, pickup tomorrow at the earliest */
		/* the destination is rarely shown before delivery; the latest office
		 * outside the origin region (a destination base, mostly) stands in
		 * for it, with a confidence between the lane's and the nationwide */
		int dest = lane.destination;
		bool probable = false;
		if (dest == TSK__REGION_NONE && lane.origin != TSK__REGION_NONE) {
			int r = tsk__event_region(s->events[latest]);
			if (r != TSK__REGION_NONE && r != lane.origin) {
				dest = r;
				probable = true;
			}
		}
		int cls = lane.origin != TSK__REGION_NONE && dest != TSK__REGION_NONE ? distance[lane.origin][dest] : 4;
		double conf = cls == 4 ? row->confidence_nationwide
		              : probable ? (row->confidence + row->confidence_nationwide) / 2
		                         : row->confidence;
		day_window(w, row, d0 + row->days[cls][0], d0 + row->days[cls][1] + (lane.only_info ? 1 : 0), conf);
	}
	if (lane.only_info)
		w->confidence *= 0.5;
	/* still moving (not at the delivery office) once the last day's deliveries
	 * have started: it slips to the next days, with less confidence */
	int64_t last_day = tsk__jst_day(w->latest);
	if (tsk__event_instant(s->events[latest]) >= tsk__jst_epoch(last_day, row->day_start, 0)) {
		int64_t day = tsk__jst_day(s->events[latest]->time.epoch);
		day_window(w, row, day + 1, day + 2, CONF_REBASED);
	}
	return true;
}

void tsk__eta_compute(tsk_shipment *s, const tsk_shipment *previous, const struct tsk__eta_model *model,
                      const tsk_adapter *adapter)
{
	s->has_eta = false;
	memset(&s->eta, 0, sizeof s->eta);
	if (s->status == TSK_STATUS_DELIVERED || s->status == TSK_STATUS_RETURNED_TO_SENDER)
		return;
	tsk_eta eta;
	memset(&eta, 0, sizeof eta);
	if (tsk_time_is_set(&s->carrier_eta_earliest)) {
		eta.earliest = s->carrier_eta_earliest;
		eta.latest = tsk_time_is_set(&s->carrier_eta_latest) ? s->carrier_eta_latest : s->carrier_eta_earliest;
		eta.source = TSK_ETA_CARRIER;
		bool band = eta.earliest.precision == TSK_PRECISION_MINUTE &&
		            eta.latest.epoch - eta.earliest.epoch <= 6 * 3600;
		eta.confidence = band ? CONF_CARRIER_WINDOW : CONF_CARRIER_DAY;
	} else {
		struct window w;
		if (s->error != TSK_OK || !model_window(&w, s, model, adapter))
			return;
		eta.earliest.epoch = w.earliest;
		eta.latest.epoch = w.latest;
		eta.earliest.offset = eta.latest.offset = TSK_JST_OFFSET;
		eta.earliest.precision = eta.latest.precision = TSK_PRECISION_MINUTE;
		eta.source = TSK_ETA_MODEL;
		eta.confidence = round2(w.confidence);
	}
	eta.original_earliest = eta.earliest;
	eta.original_latest = eta.latest;
	if (previous && previous->has_eta) {
		/* the first promise ever made; a snapshot without one gives its window */
		bool has_orig = tsk_time_is_set(&previous->eta.original_earliest);
		eta.original_earliest = has_orig ? previous->eta.original_earliest : previous->eta.earliest;
		eta.original_latest = has_orig && tsk_time_is_set(&previous->eta.original_latest)
		                              ? previous->eta.original_latest
		                              : previous->eta.latest;
	}
	s->eta = eta;
	s->has_eta = true;
}
