/*
 * The exceptions a shop acts on.
 *
 * Invariants:
 *  - the list is rebuilt from the whole history on every call: events
 *    raise exceptions, later events clear them (a failed attempt followed by
 *    delivery is history, not an active exception), so the list always
 *    describes the shipment as it is now;
 *  - one active exception per code (its evidence is the latest event that
 *    raised it), except unmapped_status: one per unmapped event, never
 *    cleared, since it is about the data;
 *  - order: event-driven ones by evidence index, then the page's
 *    current-state one, then the clock-based ones (pickup_deadline_near,
 *    stalled, late) with event index -1;
 *  - clock-based exceptions carry the instant their rule fired (not `now`),
 *    so the same shipment polled twice gives the same exception;
 *  - thresholds are data: the carrier's stall and pickup tables
 *    (tsk_adapter.tables), lib/data/stall.def, keywords.def.
 */
#include "exceptions.h"
#include "calendar.h"
#include "carrier_tables.h"
#include "lanes.h"
#include "timeutil.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stall thresholds for every carrier, after the carrier's own rows. */
static const tsk_stall_row stall_rows[] = {
#include "data/stall.def"
};

static const char *const delay_words[] = {
#define TSK_DELAY_WORD(w) w,
#define TSK_EXCEPTION_WORD(w, code)
#define TSK_ARRIVAL_WORD(w)
#define TSK_ARRIVAL_NOT(w)
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

static const struct {
	const char *word;
	tsk_exception_code code;
} exception_words[] = {
#define TSK_DELAY_WORD(w)
#define TSK_EXCEPTION_WORD(w, code) { w, TSK_EXC_##code },
#define TSK_ARRIVAL_WORD(w)
#define TSK_ARRIVAL_NOT(w)
#include "data/keywords.def"
#undef TSK_DELAY_WORD
#undef TSK_EXCEPTION_WORD
#undef TSK_ARRIVAL_WORD
#undef TSK_ARRIVAL_NOT
};

/* A failed attempt this many times over is critical: someone should call. */
#define CRITICAL_ATTEMPTS 3

/*
 * The event's words (carrier status and description), width-folded once
 * into buffers on the stack (the heap for long texts), ASCII letters
 * lowered, with the set of byte pairs they hold: a word with a pair of
 * neighbouring bytes not in that set cannot occur, so most words are ruled
 * out by a few bit tests instead of a scan of both texts.
 */
#define FOLD_LOCAL 256
#define PAIR_BITS 1024

struct folded {
	const char *text[2];       /* lowered folded text, or NULL */
	char *heap[2];             /* when it did not fit in local */
	bool raw[2];               /* folding ran out of memory: text is the raw text */
	char local[2][FOLD_LOCAL];
	uint64_t pairs[PAIR_BITS / 64];
};

static unsigned pair_hash(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 37u + b) & (PAIR_BITS - 1);
}

static void fold_event(struct folded *f, const tsk_event *ev)
{
	const int fields[2] = { TSK_EVENT_CARRIER_STATUS, TSK_EVENT_DESCRIPTION };
	memset(f->pairs, 0, sizeof f->pairs);
	for (int i = 0; i < 2; i++) {
		const char *t = tsk__event_text(ev, fields[i]);
		f->text[i] = NULL;
		f->heap[i] = NULL;
		f->raw[i] = false;
		if (!t)
			continue;
		char *w = f->local[i];
		if (!tsk__text_fold_into(w, FOLD_LOCAL, t, false)) {
			w = f->heap[i] = tsk__text_fold(t, false);
			if (!w) {
				/* out of memory: the raw text still answers, the slow way */
				f->text[i] = t;
				f->raw[i] = true;
				continue;
			}
		}
		unsigned char prev = 0;
		for (unsigned char *p = (unsigned char *)w; *p; p++) {
			*p = tsk__ascii_lower(*p);
			if (p != (unsigned char *)w) {
				unsigned h = pair_hash(prev, *p);
				f->pairs[h / 64] |= (uint64_t)1 << (h % 64);
			}
			prev = *p;
		}
		f->text[i] = w;
	}
}

static void folded_dispose(struct folded *f)
{
	free(f->heap[0]);
	free(f->heap[1]);
}

static bool folded_has(const struct folded *f, const char *word)
{
	/* every byte pair of the word must be among the texts' pairs */
	bool maybe = true;
	for (size_t k = 0; maybe && word[k] && word[k + 1]; k++) {
		unsigned h = pair_hash(tsk__ascii_lower((unsigned char)word[k]), tsk__ascii_lower((unsigned char)word[k + 1]));
		maybe = (f->pairs[h / 64] >> (h % 64)) & 1;
	}
	for (int i = 0; i < 2; i++) {
		if (!f->text[i] || (!maybe && !f->raw[i]))
			continue;
		if (tsk__find_ci(f->text[i], word) >= 0) /* the words are never "" */
			return true;
	}
	return false;
}

tsk_exception_code tsk__exception_keyword(const tsk_event *ev, bool exception_status)
{
	if (!tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS) && !tsk__event_text(ev, TSK_EVENT_DESCRIPTION))
		return TSK_EXC_NONE;
	struct folded f;
	fold_event(&f, ev);
	tsk_exception_code code = TSK_EXC_NONE;
	if (exception_status)
		for (size_t i = 0; i < TSK__ARRAY_LEN(exception_words) && code == TSK_EXC_NONE; i++)
			if (folded_has(&f, exception_words[i].word))
				code = exception_words[i].code;
	for (size_t i = 0; i < TSK__ARRAY_LEN(delay_words) && code == TSK_EXC_NONE; i++)
		if (folded_has(&f, delay_words[i]))
			code = TSK_EXC_WEATHER_OR_DISASTER_DELAY;
	folded_dispose(&f);
	return code;
}

/* Does an event of status st (carrying exception exc) resolve an active code? */
static bool clears(tsk_exception_code code, tsk_status st, tsk_exception_code exc)
{
	if (exc == code)
		return false;
	switch (code) {
	case TSK_EXC_FAILED_ATTEMPT:
		return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_OUT_FOR_DELIVERY ||
		       st == TSK_STATUS_AVAILABLE_FOR_PICKUP || st == TSK_STATUS_RETURNED_TO_SENDER;
	case TSK_EXC_HELD_AT_OFFICE:
		return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_OUT_FOR_DELIVERY ||
		       st == TSK_STATUS_RETURNED_TO_SENDER;
	case TSK_EXC_ADDRESS_PROBLEM:
	case TSK_EXC_LOST:
	case TSK_EXC_UNDER_INVESTIGATION:
	case TSK_EXC_CUSTOMS_HOLD:
	case TSK_EXC_WEATHER_OR_DISASTER_DELAY:
		/* the parcel moves again */
		return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_OUT_FOR_DELIVERY ||
		       st == TSK_STATUS_IN_TRANSIT || st == TSK_STATUS_AVAILABLE_FOR_PICKUP;
	case TSK_EXC_REFUSED:
		return st == TSK_STATUS_DELIVERED;
	default:
		/* damaged, returned_to_sender: facts that later events do not undo */
		return false;
	}
}

/* The code an event raises, from its adapter-given code, its status, its words. */
static tsk_exception_code event_code(const tsk_event *ev)
{
	if (ev->exception != TSK_EXC_NONE)
		return ev->exception;
	switch (ev->status) {
	case TSK_STATUS_FAILED_ATTEMPT: return TSK_EXC_FAILED_ATTEMPT;
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: return TSK_EXC_HELD_AT_OFFICE;
	case TSK_STATUS_RETURNED_TO_SENDER: return TSK_EXC_RETURNED_TO_SENDER;
	case TSK_STATUS_EXCEPTION: {
		tsk_exception_code c = tsk__exception_keyword(ev, true);
		/* the carrier flags a problem it does not name */
		return c != TSK_EXC_NONE ? c : TSK_EXC_UNDER_INVESTIGATION;
	}
	default:
		return TSK_EXC_NONE;
	}
}

struct pending {
	tsk_exception_code code;
	tsk_severity severity;
	tsk_time time;
	long index;
	char message[320];
};

/* A few pending exceptions live on the stack; more go to the heap. */
#define PLIST_LOCAL 4

struct plist {
	struct pending *items;
	size_t n, cap;
	struct pending local[PLIST_LOCAL];
};

static void plist_init(struct plist *l)
{
	l->items = l->local;
	l->n = 0;
	l->cap = PLIST_LOCAL;
}

static void plist_dispose(struct plist *l)
{
	if (l->items != l->local)
		free(l->items);
}

static struct pending *plist_add(struct plist *l)
{
	if (l->n == l->cap) {
		struct pending *grown = malloc(2 * l->cap * sizeof *grown);
		if (!grown)
			return NULL;
		memcpy(grown, l->items, l->n * sizeof *grown);
		plist_dispose(l);
		l->items = grown;
		l->cap *= 2;
	}
	struct pending *p = &l->items[l->n++];
	memset(p, 0, sizeof *p);
	return p;
}

static void fmt_local(char *buf, size_t size, int64_t epoch, bool with_time)
{
	tsk_time t = { epoch, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	int y, m, d, h, mi;
	tsk_time_fields(&t, &y, &m, &d, &h, &mi, NULL);
	if (with_time)
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", y, m, d, h, mi);
	else
		snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
}

static tsk_time minute_time(int64_t epoch)
{
	tsk_time t = { epoch, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	return t;
}

static void event_message(struct pending *p, const tsk_event *ev, int attempts)
{
	const char *word = tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS);
	const char *where = tsk__event_text(ev, TSK_EVENT_LOCATION);
	switch (p->code) {
	case TSK_EXC_FAILED_ATTEMPT:
		if (attempts > 1)
			snprintf(p->message, sizeof p->message,
			         "Delivery attempt failed (%d attempts); the recipient must arrange redelivery",
			         attempts);
		else
			snprintf(p->message, sizeof p->message,
			         "Delivery attempt failed; the recipient must arrange redelivery");
		break;
	case TSK_EXC_HELD_AT_OFFICE:
		snprintf(p->message, sizeof p->message, "Held for pickup%s%s", where ? " at " : "",
		         where ? where : "");
		break;
	default:
		snprintf(p->message, sizeof p->message, "%s%s%s", tsk_exception_name_en(p->code),
		         word ? ": " : "", word ? word : "");
		break;
	}
}

static bool final_status(tsk_status st)
{
	return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_RETURNED_TO_SENDER;
}

static int64_t last_activity(const tsk_shipment *s, bool *found)
{
	int64_t best = 0;
	*found = false;
	for (size_t i = 0; i < s->nevents; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (!tsk_time_is_set(&ev->time))
			continue;
		int64_t t = tsk__event_instant(ev);
		if (!*found || t > best)
			best = t;
		*found = true;
	}
	return best;
}

static void add_pickup_deadline(struct plist *out, const tsk_shipment *s, const tsk_time *now,
                                const tsk_adapter *adapter, bool *nomem)
{
	if (s->status != TSK_STATUS_FAILED_ATTEMPT && s->status != TSK_STATUS_AVAILABLE_FOR_PICKUP)
		return;
	const tsk_carrier_tables *t = tsk__adapter_tables(adapter);
	const tsk_pickup_rule *rule = t ? t->pickup : NULL;
	if (!rule)
		return;
	/* the holding period runs from the first notice; redeliveries do not restart it */
	const tsk_event *notice = NULL;
	for (size_t i = 0; i < s->nevents && !notice; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (tsk_time_is_set(&ev->time) &&
		    (ev->status == TSK_STATUS_FAILED_ATTEMPT || ev->status == TSK_STATUS_AVAILABLE_FOR_PICKUP))
			notice = ev;
	}
	if (!notice)
		return;
	int64_t last_day = tsk__jst_day(notice->time.epoch) + rule->days - (rule->first_day_counts ? 1 : 0);
	int64_t deadline = tsk__jst_epoch(last_day + 1, 0, 0);
	int64_t warn_from = deadline - (int64_t)rule->warn_days * 86400;
	if (now->epoch < warn_from)
		return;
	struct pending *p = plist_add(out);
	if (!p) {
		*nomem = true;
		return;
	}
	char day[32];
	fmt_local(day, sizeof day, deadline - 1, false);
	p->code = TSK_EXC_PICKUP_DEADLINE_NEAR;
	p->index = -1;
	if (now->epoch >= deadline) {
		p->severity = TSK_SEVERITY_CRITICAL;
		p->time = minute_time(deadline);
		snprintf(p->message, sizeof p->message,
		         "Pickup deadline passed (held until %s); the parcel goes back to the sender", day);
	} else {
		p->severity = tsk_exception_default_severity(TSK_EXC_PICKUP_DEADLINE_NEAR);
		p->time = minute_time(warn_from);
		snprintf(p->message, sizeof p->message, "Held until %s (%d days from the first notice)", day,
		         rule->days);
	}
}

/* The first stall row of this status and service ("*" = any), or NULL. */
static const tsk_stall_row *stall_row(const tsk_stall_row *rows, size_t n, tsk_status status, const char *service)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].status == status && (strcmp(rows[i].service, "*") == 0 || strcmp(rows[i].service, service) == 0))
			return &rows[i];
	return NULL;
}

/* The fewest positive hours of any stall row for the status, the
 * carrier's (rows, n) and everyone's; 0 when none has any. */
static int least_stall_hours(const tsk_stall_row *rows, size_t n, tsk_status status)
{
	int least = 0;
	for (int pass = 0; pass < 2; pass++) {
		const tsk_stall_row *r = pass ? stall_rows : rows;
		size_t k = pass ? TSK__ARRAY_LEN(stall_rows) : n;
		for (size_t i = 0; r && i < k; i++)
			if (r[i].status == status && r[i].hours > 0 && (least == 0 || r[i].hours < least))
				least = r[i].hours;
	}
	return least;
}

static void add_stalled(struct plist *out, const tsk_shipment *s, const tsk_time *now, const tsk_adapter *adapter,
                        bool *nomem)
{
	if (final_status(s->status) || s->status == TSK_STATUS_NOT_FOUND || s->status == TSK_STATUS_UNKNOWN ||
	    s->error != TSK_OK)
		return;
	bool found;
	int64_t last = last_activity(s, &found);
	if (!found)
		return;
	/* the carrier's rows first, then everyone's */
	const tsk_carrier_tables *t = tsk__adapter_tables(adapter);
	/* no row for this status fires this early (a calendar only makes the
	 * wait longer): the lane and its region look-up are not needed */
	int least = least_stall_hours(t && t->nstall ? t->stall : NULL, t ? t->nstall : 0, s->status);
	if (least <= 0 || now->epoch < last + (int64_t)least * 3600)
		return;
	struct tsk__lane lane;
	tsk__lane_resolve(&lane, s, adapter);
	const tsk_stall_row *row = t && t->nstall ? stall_row(t->stall, t->nstall, s->status, lane.row->service) : NULL;
	if (!row)
		row = stall_row(stall_rows, TSK__ARRAY_LEN(stall_rows), s->status, lane.row->service);
	int hours = row ? row->hours : 0;
	if (hours <= 0)
		return;
	int64_t fire = tsk__cal_add(lane.row->calendar, last, (int64_t)hours * 3600);
	if (now->epoch < fire)
		return;
	struct pending *p = plist_add(out);
	if (!p) {
		*nomem = true;
		return;
	}
	char since[32];
	fmt_local(since, sizeof since, last, true);
	p->code = TSK_EXC_STALLED;
	p->severity = tsk_exception_default_severity(TSK_EXC_STALLED);
	p->time = minute_time(fire);
	p->index = -1;
	if (s->status == TSK_STATUS_INFO_RECEIVED)
		snprintf(p->message, sizeof p->message,
		         "Shipping data received %s but the parcel was never handed to the carrier", since);
	else
		snprintf(p->message, sizeof p->message, "No new event since %s (%s, more than %d hours)", since,
		         tsk_status_to_string(s->status), hours);
}

static void add_late(struct plist *out, const tsk_shipment *s, const tsk_time *now, bool *nomem)
{
	if (!s->has_eta || final_status(s->status) || s->status == TSK_STATUS_AVAILABLE_FOR_PICKUP)
		return;
	/* DESIGN: now past the ETA's latest bound. The current window, not the
	 * later of it and the first one: a carrier that moved its promise
	 * earlier (or the leg now holding the parcel) is late past what it says
	 * now; the first promise stays visible in `original`. A model window is
	 * never in the past (eta.c), so only a carrier's window makes `late`. */
	int64_t bound = s->eta.latest.epoch;
	if (now->epoch <= bound)
		return;
	struct pending *p = plist_add(out);
	if (!p) {
		*nomem = true;
		return;
	}
	char due[32], promised[32];
	fmt_local(due, sizeof due, bound, true);
	bool moved = tsk_time_is_set(&s->eta.original_latest) && s->eta.original_latest.epoch != bound;
	if (moved)
		fmt_local(promised, sizeof promised, s->eta.original_latest.epoch, true);
	p->code = TSK_EXC_LATE;
	p->severity = tsk_exception_default_severity(TSK_EXC_LATE);
	p->time = minute_time(bound);
	p->index = -1;
	snprintf(p->message, sizeof p->message, "Not delivered within the ETA (%s, due by %s%s%s)",
	         tsk_eta_source_to_string(s->eta.source), due, moved ? "; first promised by " : "",
	         moved ? promised : "");
}

int tsk__exceptions_compute(tsk_shipment *s, const tsk_time *now, const tsk_adapter *adapter)
{
	tsk__shipment_clear_exceptions(s);
	struct plist events, clock;
	plist_init(&events);
	plist_init(&clock);
	bool nomem = false;
	long active[TSK_EXC__COUNT];
	for (int c = 0; c < TSK_EXC__COUNT; c++)
		active[c] = -1;
	int attempts = 0;

	for (size_t i = 0; i < s->nevents && !nomem; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		tsk_exception_code code = event_code(ev);
		for (int c = 1; c < TSK_EXC__COUNT; c++)
			if (active[c] >= 0 && clears((tsk_exception_code)c, ev->status, code))
				active[c] = -1;
		if (code == TSK_EXC_FAILED_ATTEMPT)
			attempts++;
		if (code != TSK_EXC_NONE && code != TSK_EXC_UNMAPPED_STATUS)
			active[code] = (long)i;
		/* keyword evidence beside the adapter's code (a delay notice on a transit event) */
		if (code != TSK_EXC_WEATHER_OR_DISASTER_DELAY &&
		    tsk__exception_keyword(ev, false) == TSK_EXC_WEATHER_OR_DISASTER_DELAY)
			active[TSK_EXC_WEATHER_OR_DISASTER_DELAY] = (long)i;
		if (ev->unmapped) {
			struct pending *p = plist_add(&events);
			if (!p) {
				nomem = true;
				break;
			}
			p->code = TSK_EXC_UNMAPPED_STATUS;
			p->severity = tsk_exception_default_severity(TSK_EXC_UNMAPPED_STATUS);
			p->time = ev->time;
			p->index = (long)i;
			const char *word = tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS);
			snprintf(p->message, sizeof p->message, "Carrier status not in tsuiseki's table: %s",
			         word ? word : "(empty)");
		}
	}
	/* the page's current-state field, when it names a problem no event shows */
	tsk_exception_code sc = s->has_state ? s->state_exception : TSK_EXC_NONE;
	bool state_pending = sc != TSK_EXC_NONE && sc != TSK_EXC_UNMAPPED_STATUS && active[sc] < 0 &&
	                     !(final_status(s->status) && clears(sc, s->status, TSK_EXC_NONE));
	/* an exception never hides delivered, and delivery resolves what it resolves */
	if (s->status == TSK_STATUS_DELIVERED)
		for (int c = 1; c < TSK_EXC__COUNT; c++)
			if (active[c] >= 0 && clears((tsk_exception_code)c, TSK_STATUS_DELIVERED, TSK_EXC_NONE))
				active[c] = -1;

	for (int c = 1; c < TSK_EXC__COUNT && !nomem; c++) {
		if (active[c] < 0)
			continue;
		struct pending *p = plist_add(&events);
		if (!p) {
			nomem = true;
			break;
		}
		const tsk_event *ev = tsk__shipment_event(s, active[c]);
		p->code = (tsk_exception_code)c;
		p->severity = tsk_exception_default_severity(p->code);
		if (p->code == TSK_EXC_FAILED_ATTEMPT && attempts >= CRITICAL_ATTEMPTS)
			p->severity = TSK_SEVERITY_CRITICAL;
		p->time = ev->time;
		p->index = active[c];
		event_message(p, ev, attempts);
	}
	/* stable order by evidence index (insertion sort keeps code order on ties) */
	for (size_t i = 1; i < events.n; i++) {
		struct pending tmp = events.items[i];
		size_t k = i;
		while (k > 0 && events.items[k - 1].index > tmp.index) {
			events.items[k] = events.items[k - 1];
			k--;
		}
		events.items[k] = tmp;
	}
	if (state_pending && !nomem) {
		struct pending *p = plist_add(&events);
		if (!p) {
			nomem = true;
		} else {
			p->code = sc;
			p->severity = tsk_exception_default_severity(sc);
			p->index = s->nevents ? (long)s->nevents - 1 : -1;
			if (s->nevents)
				p->time = tsk__shipment_event(s, s->nevents - 1)->time;
			snprintf(p->message, sizeof p->message, "%s%s%s", tsk_exception_name_en(sc),
			         s->text[TSK_SHIPMENT_STATUS_TEXT] ? ": " : "",
			         s->text[TSK_SHIPMENT_STATUS_TEXT] ? s->text[TSK_SHIPMENT_STATUS_TEXT] : "");
		}
	}
	if (!nomem) {
		add_pickup_deadline(&clock, s, now, adapter, &nomem);
		add_stalled(&clock, s, now, adapter, &nomem);
		add_late(&clock, s, now, &nomem);
	}
	int rc = nomem ? TSK_ENOMEM : TSK_OK;
	for (size_t i = 0; rc == TSK_OK && i < events.n; i++) {
		struct pending *p = &events.items[i];
		rc = tsk__shipment_add_exception(s, p->code, p->severity, &p->time, p->message, p->index);
	}
	for (size_t i = 0; rc == TSK_OK && i < clock.n; i++) {
		struct pending *p = &clock.items[i];
		rc = tsk__shipment_add_exception(s, p->code, p->severity, &p->time, p->message, p->index);
	}
	plist_dispose(&events);
	plist_dispose(&clock);
	if (rc != TSK_OK)
		tsk__shipment_clear_exceptions(s);
	return rc;
}
