/*
 * The model objects: statuses and exception codes as text, events,
 * shipments, shipment lists and their builders, and finalisation (year
 * inference, status rule, delivered_at).
 *
 * Invariants:
 *  - events stay in the carrier's logical order (oldest first); nothing here
 *    sorts them by time (DESIGN.md "Timeline").
 *  - every string a shipment holds is owned by it and freed with it.
 */
#include "model.h"
#include "timeutil.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ enum names */

static const struct {
	const char *json, *en, *ja;
} status_names[] = {
#define TSK__ST_ROW(name, json, en, ja) { json, en, ja },
	TSK_STATUS_MAP(TSK__ST_ROW)
#undef TSK__ST_ROW
};

static const struct {
	const char *json;
	tsk_severity severity;
	const char *en, *ja;
} exception_names[] = {
	{ "none", TSK_SEVERITY_INFO, "None", "なし" },
#define TSK__EXC_ROW(name, json, sev, en, ja) { json, TSK_SEVERITY_##sev, en, ja },
	TSK_EXCEPTION_MAP(TSK__EXC_ROW)
#undef TSK__EXC_ROW
};

TSK_API const char *tsk_status_to_string(tsk_status st)
{
	return (unsigned)st < TSK_STATUS__COUNT ? status_names[st].json : "unknown";
}

TSK_API const char *tsk_status_name_en(tsk_status st)
{
	return (unsigned)st < TSK_STATUS__COUNT ? status_names[st].en : status_names[0].en;
}

TSK_API const char *tsk_status_name_ja(tsk_status st)
{
	return (unsigned)st < TSK_STATUS__COUNT ? status_names[st].ja : status_names[0].ja;
}

TSK_API int tsk_status_from_string(tsk_status *out, const char *name)
{
	if (!out || !name)
		return TSK_EINVAL;
	for (unsigned i = 0; i < TSK_STATUS__COUNT; i++)
		if (strcmp(status_names[i].json, name) == 0) {
			*out = (tsk_status)i;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

TSK_API const char *tsk_exception_to_string(tsk_exception_code c)
{
	return (unsigned)c < TSK_EXC__COUNT ? exception_names[c].json : "none";
}

TSK_API int tsk_exception_from_string(tsk_exception_code *out, const char *name)
{
	if (!out || !name)
		return TSK_EINVAL;
	for (unsigned i = 1; i < TSK_EXC__COUNT; i++)
		if (strcmp(exception_names[i].json, name) == 0) {
			*out = (tsk_exception_code)i;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

TSK_API const char *tsk_exception_name_en(tsk_exception_code c)
{
	return (unsigned)c < TSK_EXC__COUNT ? exception_names[c].en : exception_names[0].en;
}

TSK_API const char *tsk_exception_name_ja(tsk_exception_code c)
{
	return (unsigned)c < TSK_EXC__COUNT ? exception_names[c].ja : exception_names[0].ja;
}

TSK_API tsk_severity tsk_exception_default_severity(tsk_exception_code c)
{
	return (unsigned)c < TSK_EXC__COUNT ? exception_names[c].severity : TSK_SEVERITY_INFO;
}

static const char *const severity_names[] = { "info", "warning", "critical" };

TSK_API const char *tsk_severity_to_string(tsk_severity sev)
{
	return (unsigned)sev < 3 ? severity_names[sev] : "info";
}

TSK_API int tsk_severity_from_string(tsk_severity *out, const char *name)
{
	if (!out || !name)
		return TSK_EINVAL;
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(severity_names[i], name) == 0) {
			*out = (tsk_severity)i;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

TSK_API const char *tsk_eta_source_to_string(tsk_eta_source src)
{
	switch (src) {
	case TSK_ETA_CARRIER: return "carrier";
	case TSK_ETA_MODEL: return "model";
	default: return "none";
	}
}

TSK_API void tsk_free(void *p)
{
	free(p);
}

/* ---------------------------------------------------------------- events */

TSK_API int tsk_event_new(tsk_event **out)
{
	if (!out)
		return TSK_EINVAL;
	/* the struct, then the pointers to the texts it owns (tsk__event_owned) */
	tsk_event *ev = calloc(1, sizeof *ev + TSK__EVENT_TEXT_COUNT * sizeof(char *));
	if (!ev)
		return TSK_ENOMEM;
	ev->hour = ev->minute = -1;
	*out = ev;
	return TSK_OK;
}

TSK_API void tsk_event_free(tsk_event *ev)
{
	/* a packed event is part of its shipment's block, freed with it */
	if (!ev || ev->packed)
		return;
	for (int t = 0; t < TSK__EVENT_TEXT_COUNT; t++)
		free(tsk__event_owned(ev)[t]);
	free(ev);
}

tsk_event *tsk__event_dup(const tsk_event *src)
{
	tsk_event *ev = malloc(sizeof *ev + TSK__EVENT_TEXT_COUNT * sizeof(char *));
	if (!ev)
		return NULL;
	*ev = *src;
	ev->packed = false;
	memset(ev->text_at, 0, sizeof ev->text_at);
	char **text = tsk__event_owned(ev);
	bool ok = true;
	for (int t = 0; t < TSK__EVENT_TEXT_COUNT; t++) {
		const char *from = tsk__event_text(src, t);
		text[t] = NULL;
		if (from && !(text[t] = tsk__strdup(from)))
			ok = false;
	}
	if (!ok) {
		tsk_event_free(ev);
		return NULL;
	}
	return ev;
}

static int set_clean_text(char **slot, const char *utf8, bool collapse)
{
	if (!utf8) {
		free(*slot);
		*slot = NULL;
		return TSK_OK;
	}
	if (!tsk__utf8_valid(utf8, strlen(utf8)))
		return TSK_EINVAL;
	char *clean = collapse ? tsk__text_collapse(utf8) : tsk__text_clean(utf8);
	if (!clean)
		return TSK_ENOMEM;
	free(*slot);
	if (!*clean) {
		free(clean);
		clean = NULL;
	}
	*slot = clean;
	return TSK_OK;
}

TSK_API int tsk_event_set_text(tsk_event *ev, tsk_event_field field, const char *utf8)
{
	if (!ev || (unsigned)field >= TSK_EVENT__FIELD_COUNT || ev->packed)
		return TSK_EINVAL;
	return set_clean_text(&tsk__event_owned(ev)[field], utf8, field == TSK_EVENT_TIME_RAW);
}

TSK_API int tsk_event_set_local_time(tsk_event *ev, int year, int month, int day, int hour,
                                     int minute, int offset)
{
	if (!ev || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
	    year < 0 || year > 9999 || offset < -18 * 3600 || offset > 18 * 3600)
		return TSK_EINVAL;
	if (year > 0 && day > tsk__days_in_month(year, month))
		return TSK_EINVAL;
	if (year == 0 && day > tsk__days_in_month(2000, month)) /* a leap year allows 02/29 */
		return TSK_EINVAL;
	ev->has_local = true;
	ev->year = year;
	ev->month = month;
	ev->day = day;
	ev->hour = hour < 0 ? -1 : hour;
	ev->minute = hour < 0 ? -1 : (minute < 0 ? 0 : minute);
	ev->offset = offset;
	ev->time.precision = TSK_PRECISION_NONE;
	if (year > 0)
		tsk_time_from_fields(&ev->time, year, month, day, ev->hour, ev->minute, offset);
	return TSK_OK;
}

TSK_API int tsk_event_set_time(tsk_event *ev, const tsk_time *t)
{
	if (!ev)
		return TSK_EINVAL;
	ev->has_local = false;
	if (!t || !tsk_time_is_set(t)) {
		ev->time.precision = TSK_PRECISION_NONE;
		return TSK_OK;
	}
	if (t->precision != TSK_PRECISION_DAY && t->precision != TSK_PRECISION_MINUTE)
		return TSK_EINVAL;
	ev->time = *t;
	return TSK_OK;
}

TSK_API void tsk_event_set_status(tsk_event *ev, tsk_status status, tsk_exception_code exception,
                                  int unmapped)
{
	if (!ev)
		return;
	ev->status = (uint8_t)((unsigned)status < TSK_STATUS__COUNT ? status : TSK_STATUS_UNKNOWN);
	ev->exception = (uint8_t)((unsigned)exception < TSK_EXC__COUNT ? exception : TSK_EXC_NONE);
	ev->unmapped = unmapped != 0;
}

TSK_API const tsk_time *tsk_event_time(const tsk_event *ev) { return &ev->time; }
TSK_API const char *tsk_event_time_raw(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_TIME_RAW); }
TSK_API tsk_status tsk_event_status(const tsk_event *ev) { return (tsk_status)ev->status; }
TSK_API tsk_exception_code tsk_event_exception(const tsk_event *ev) { return (tsk_exception_code)ev->exception; }
TSK_API const char *tsk_event_carrier_status(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS); }
TSK_API const char *tsk_event_carrier(const tsk_event *ev) { return tsk__event_text(ev, TSK__EVENT_LEG_CARRIER); }
TSK_API const char *tsk_event_description(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_DESCRIPTION); }
TSK_API const char *tsk_event_location(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_LOCATION); }
TSK_API const char *tsk_event_location_code(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_LOCATION_CODE); }
TSK_API const char *tsk_event_region(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_REGION); }
TSK_API const char *tsk_event_postal_code(const tsk_event *ev) { return tsk__event_text(ev, TSK_EVENT_POSTAL_CODE); }
TSK_API int tsk_event_unmapped(const tsk_event *ev) { return ev->unmapped; }

/* ------------------------------------------------------------- shipments */

TSK_API int tsk_shipment_new(tsk_shipment **out, const char *carrier, const char *number)
{
	if (!out || !carrier || !number)
		return TSK_EINVAL;
	tsk_shipment *s = calloc(1, sizeof *s);
	if (!s)
		return TSK_ENOMEM;
	/* an error shipment may carry what a user typed: keep it printable */
	s->carrier = tsk__utf8_repair(carrier);
	s->number = tsk__utf8_repair(number);
	if (!s->carrier || !s->number) {
		tsk_shipment_free(s);
		return TSK_ENOMEM;
	}
	*out = s;
	return TSK_OK;
}

void tsk__shipment_clear_exceptions(tsk_shipment *s)
{
	/* packed: the old list stays in the block until the shipment goes */
	for (size_t i = 0; !s->packed && i < s->nexceptions; i++)
		free((char *)s->exceptions[i].message);
	if (!s->packed)
		free(s->exceptions);
	s->exceptions = NULL;
	s->nexceptions = 0;
}

int tsk__shipment_add_exception(tsk_shipment *s, tsk_exception_code code, tsk_severity sev,
                                const tsk_time *time, const char *message, long event_index)
{
	if (tsk__shipment_unpack(s) != TSK_OK)
		return TSK_ENOMEM;
	char *msg = tsk__strdup(message ? message : tsk_exception_name_en(code));
	if (!msg)
		return TSK_ENOMEM;
	tsk__message_fix(msg);
	if (s->nexceptions == UINT32_MAX) {
		free(msg);
		return TSK_ENOMEM;
	}
	tsk_exception *n = realloc(s->exceptions, (s->nexceptions + 1) * sizeof *n);
	if (!n) {
		free(msg);
		return TSK_ENOMEM;
	}
	s->exceptions = n;
	tsk_exception *e = &n[s->nexceptions++];
	e->code = code;
	e->severity = sev;
	if (time)
		e->time = *time;
	else
		memset(&e->time, 0, sizeof e->time);
	e->message = msg;
	e->event_index = event_index;
	return TSK_OK;
}

/* Everything an unpacked shipment owns but its struct. */
static void free_parts(tsk_shipment *s)
{
	free(s->carrier);
	free(s->number);
	for (int i = 0; i < TSK_SHIPMENT__FIELD_COUNT; i++)
		free(s->text[i]);
	tsk__shipment_clear_exceptions(s);
	free(s->handoff_carrier);
	free(s->handoff_number);
	for (size_t i = 0; i < s->nlegs; i++) {
		free(s->legs[i].carrier);
		free(s->legs[i].number);
	}
	free(s->legs);
	for (size_t i = 0; i < s->nevents; i++)
		tsk_event_free(s->events.list[i]);
	free(s->events.list);
	free(s->error_message);
	free(s->also_known_by);
}

TSK_API void tsk_shipment_free(tsk_shipment *s)
{
	if (!s)
		return;
	/* packed: the struct is the block's head */
	if (!s->packed)
		free_parts(s);
	free(s);
}

TSK_API int tsk_shipment_dup(tsk_shipment **out, const tsk_shipment *src)
{
	if (!out || !src)
		return TSK_EINVAL;
	tsk_shipment *s = malloc(sizeof *s);
	if (!s)
		return TSK_ENOMEM;
	*s = *src;
	/* detach every pointer first so a partial failure frees only copies */
	s->carrier = s->number = NULL;
	memset(s->text, 0, sizeof s->text);
	s->exceptions = NULL;
	s->nexceptions = 0;
	s->handoff_carrier = s->handoff_number = NULL;
	s->legs = NULL;
	s->nlegs = 0;
	s->events.list = NULL;
	s->nevents = s->events_cap = 0;
	s->error_message = NULL;
	s->also_known_by = NULL;
	s->packed = false;
	bool ok = (s->carrier = tsk__strdup(src->carrier)) && (s->number = tsk__strdup(src->number));
	for (int i = 0; ok && i < TSK_SHIPMENT__FIELD_COUNT; i++)
		if (src->text[i] && !(s->text[i] = tsk__strdup(src->text[i])))
			ok = false;
	if (ok && src->handoff_carrier && !(s->handoff_carrier = tsk__strdup(src->handoff_carrier)))
		ok = false;
	if (ok && src->handoff_number && !(s->handoff_number = tsk__strdup(src->handoff_number)))
		ok = false;
	if (ok && src->error_message && !(s->error_message = tsk__strdup(src->error_message)))
		ok = false;
	if (ok && src->also_known_by && !(s->also_known_by = tsk__strdup(src->also_known_by)))
		ok = false;
	for (size_t i = 0; ok && i < src->nlegs; i++)
		ok = tsk__shipment_add_leg(s, src->legs[i].carrier, src->legs[i].number) == TSK_OK;
	for (size_t i = 0; ok && i < src->nexceptions; i++) {
		const tsk_exception *e = &src->exceptions[i];
		ok = tsk__shipment_add_exception(s, e->code, e->severity, &e->time, e->message,
		                                 e->event_index) == TSK_OK;
	}
	if (ok && src->nevents) {
		s->events.list = calloc(src->nevents, sizeof *s->events.list);
		ok = s->events.list != NULL;
		if (ok)
			s->events_cap = src->nevents;
	}
	for (size_t i = 0; ok && i < src->nevents; i++) {
		if (!(s->events.list[i] = tsk__event_dup(tsk__shipment_event(src, i))))
			ok = false;
		else
			s->nevents = i + 1;
	}
	if (!ok) {
		tsk_shipment_free(s);
		return TSK_ENOMEM;
	}
	*out = s;
	return TSK_OK;
}

TSK_API int tsk_shipment_set_text(tsk_shipment *s, tsk_shipment_field field, const char *utf8)
{
	if (!s || (unsigned)field >= TSK_SHIPMENT__FIELD_COUNT)
		return TSK_EINVAL;
	if (tsk__shipment_unpack(s) != TSK_OK)
		return TSK_ENOMEM;
	return set_clean_text(&s->text[field], utf8, field == TSK_SHIPMENT_ETA_RAW);
}

TSK_API void tsk_shipment_set_state(tsk_shipment *s, tsk_status status, tsk_exception_code exception)
{
	if (!s)
		return;
	s->has_state = (unsigned)status < TSK_STATUS__COUNT && status != TSK_STATUS_UNKNOWN;
	s->state_status = (uint8_t)(s->has_state ? status : TSK_STATUS_UNKNOWN);
	s->state_exception = (uint8_t)((unsigned)exception < TSK_EXC__COUNT ? exception : TSK_EXC_NONE);
}

int tsk__shipment_insert_event(tsk_shipment *s, size_t pos, tsk_event *ev)
{
	if (tsk__shipment_unpack(s) != TSK_OK || !TSK__GROW(s->events.list, s->events_cap, s->nevents + 1)) {
		tsk_event_free(ev);
		return TSK_ENOMEM;
	}
	if (pos > s->nevents)
		pos = s->nevents;
	memmove(&s->events.list[pos + 1], &s->events.list[pos], (s->nevents - pos) * sizeof *s->events.list);
	s->events.list[pos] = ev;
	s->nevents++;
	return TSK_OK;
}

TSK_API int tsk_shipment_append_event(tsk_shipment *s, tsk_event *ev)
{
	if (!s || !ev) {
		tsk_event_free(ev);
		return TSK_EINVAL;
	}
	return tsk__shipment_insert_event(s, s->nevents, ev);
}

TSK_API int tsk_shipment_set_handoff(tsk_shipment *s, const char *carrier, const char *number)
{
	if (!s)
		return TSK_EINVAL;
	if (tsk__shipment_unpack(s) != TSK_OK)
		return TSK_ENOMEM;
	if (tsk__strset(&s->handoff_carrier, carrier) || tsk__strset(&s->handoff_number, number))
		return TSK_ENOMEM;
	return TSK_OK;
}

int tsk__shipment_add_leg(tsk_shipment *s, const char *carrier, const char *number)
{
	if (!s || !carrier || !number)
		return TSK_EINVAL;
	if (tsk__shipment_unpack(s) != TSK_OK)
		return TSK_ENOMEM;
	if (s->nlegs == UINT32_MAX)
		return TSK_ENOMEM;
	struct tsk__leg *n = realloc(s->legs, (s->nlegs + 1) * sizeof *n);
	if (!n)
		return TSK_ENOMEM;
	s->legs = n;
	struct tsk__leg leg = { tsk__strdup(carrier), tsk__strdup(number) };
	if (!leg.carrier || !leg.number) {
		free(leg.carrier);
		free(leg.number);
		return TSK_ENOMEM;
	}
	s->legs[s->nlegs++] = leg;
	return TSK_OK;
}

int tsk__event_set_carrier(tsk_event *ev, const char *carrier)
{
	if (ev->packed)
		return TSK_EINVAL;
	return tsk__strset(&tsk__event_owned(ev)[TSK__EVENT_LEG_CARRIER], carrier) ? TSK_ENOMEM : TSK_OK;
}

TSK_API int tsk_shipment_set_error(tsk_shipment *s, int code, const char *message)
{
	if (!s)
		return TSK_EINVAL;
	const char *text = code == TSK_OK ? NULL : (message ? message : tsk_strerror(code));
	/* the message is printed and written to JSON: UTF-8, as every text */
	if (text && !tsk__utf8_valid(text, strlen(text)))
		return TSK_EINVAL;
	if (tsk__shipment_unpack(s) != TSK_OK)
		return TSK_ENOMEM;
	char *copy = NULL;
	if (text && !(copy = tsk__strdup(text)))
		return TSK_ENOMEM;
	if (copy)
		tsk__message_fix(copy); /* control characters out */
	free(s->error_message);
	s->error_message = copy;
	s->error = code;
	return TSK_OK;
}

TSK_API int tsk_shipment_set_carrier_eta(tsk_shipment *s, const tsk_time *earliest, const tsk_time *latest)
{
	if (!s || !earliest || !tsk_time_is_set(earliest))
		return TSK_EINVAL;
	s->carrier_eta_earliest = *earliest;
	s->carrier_eta_latest = latest && tsk_time_is_set(latest) ? *latest : *earliest;
	s->eta_local.set = false;
	return TSK_OK;
}

TSK_API int tsk_shipment_set_eta_local(tsk_shipment *s, int year, int month, int day, int start_hour,
                                       int start_minute, int end_hour, int end_minute)
{
	if (!s || month < 1 || month > 12 || day < 1 || day > 31 || start_hour > 23 ||
	    end_hour > 24 || start_minute > 59 || end_minute > 59 || year < 0)
		return TSK_EINVAL;
	s->eta_local.set = true;
	s->eta_local.year = year;
	s->eta_local.month = (int8_t)month;
	s->eta_local.day = (int8_t)day;
	s->eta_local.start_hour = (int8_t)(start_hour < 0 ? -1 : start_hour);
	s->eta_local.start_minute = (int8_t)(start_minute < 0 ? 0 : start_minute);
	s->eta_local.end_hour = (int8_t)(end_hour < 0 ? -1 : end_hour);
	s->eta_local.end_minute = (int8_t)(end_minute < 0 ? 0 : end_minute);
	return TSK_OK;
}

TSK_API int tsk_shipment_set_year_hint(tsk_shipment *s, tsk_year_hint kind, const tsk_time *t)
{
	if (!s || !t || !tsk_time_is_set(t) || (kind != TSK_YEAR_HINT_NOT_AFTER && kind != TSK_YEAR_HINT_NOT_BEFORE))
		return TSK_EINVAL;
	s->has_year_hint = true;
	s->year_hint_kind = (uint8_t)kind;
	s->year_hint = *t;
	return TSK_OK;
}

TSK_API const char *tsk_shipment_carrier(const tsk_shipment *s) { return s->carrier; }
TSK_API const char *tsk_shipment_tracking_number(const tsk_shipment *s) { return s->number; }
TSK_API const char *tsk_shipment_service(const tsk_shipment *s) { return s->text[TSK_SHIPMENT_SERVICE]; }
TSK_API tsk_status tsk_shipment_status(const tsk_shipment *s) { return (tsk_status)s->status; }
TSK_API const char *tsk_shipment_status_text(const tsk_shipment *s) { return s->text[TSK_SHIPMENT_STATUS_TEXT]; }
TSK_API const tsk_time *tsk_shipment_delivered_at(const tsk_shipment *s)
{
	return tsk_time_is_set(&s->delivered_at) ? &s->delivered_at : NULL;
}
TSK_API const tsk_eta *tsk_shipment_eta(const tsk_shipment *s) { return s->has_eta ? &s->eta : NULL; }
TSK_API size_t tsk_shipment_exception_count(const tsk_shipment *s) { return s->nexceptions; }
TSK_API const tsk_exception *tsk_shipment_exception_at(const tsk_shipment *s, size_t i)
{
	return i < s->nexceptions ? &s->exceptions[i] : NULL;
}
TSK_API const char *tsk_shipment_handoff_carrier(const tsk_shipment *s) { return s->handoff_carrier; }
TSK_API const char *tsk_shipment_handoff_number(const tsk_shipment *s) { return s->handoff_number; }
TSK_API size_t tsk_shipment_leg_count(const tsk_shipment *s) { return s->nlegs ? s->nlegs : 1; }
TSK_API const char *tsk_shipment_leg_carrier(const tsk_shipment *s, size_t i)
{
	if (!s->nlegs)
		return i == 0 ? s->carrier : NULL;
	return i < s->nlegs ? s->legs[i].carrier : NULL;
}
TSK_API const char *tsk_shipment_leg_number(const tsk_shipment *s, size_t i)
{
	if (!s->nlegs)
		return i == 0 ? s->number : NULL;
	return i < s->nlegs ? s->legs[i].number : NULL;
}
TSK_API const tsk_time *tsk_shipment_next_poll(const tsk_shipment *s)
{
	return tsk_time_is_set(&s->next_poll) ? &s->next_poll : NULL;
}
TSK_API size_t tsk_shipment_event_count(const tsk_shipment *s) { return s->nevents; }
TSK_API const tsk_event *tsk_shipment_event_at(const tsk_shipment *s, size_t i)
{
	return i < s->nevents ? tsk__shipment_event(s, i) : NULL;
}
TSK_API int tsk_shipment_error(const tsk_shipment *s) { return s->error; }
TSK_API const char *tsk_shipment_error_message(const tsk_shipment *s) { return s->error_message; }
TSK_API const char *tsk_shipment_also_known_by(const tsk_shipment *s) { return s->also_known_by; }
TSK_API const char *tsk_shipment_layout(const tsk_shipment *s) { return s->text[TSK_SHIPMENT_LAYOUT]; }

/* -------------------------------------------------------------- packing */

/*
 * Where one string of a shipment is: a pointer (ptr), or text t of a
 * packed event (ev), which says where it is as an offset.
 */
struct str_slot {
	char **ptr;
	tsk_event *ev;
	int t;
};

/*
 * Every string field of a shipment, its events, exceptions and legs, in
 * one fixed order (NULL ones too). The events are s's own (not packed),
 * or, with evs, the packed copies of them. slots: room for
 * string_slot_count(s).
 */
static size_t string_slot_count(const tsk_shipment *s)
{
	return 6 + TSK_SHIPMENT__FIELD_COUNT + s->nevents * TSK__EVENT_TEXT_COUNT + s->nexceptions + 2 * s->nlegs;
}

static void string_slots(tsk_shipment *s, tsk_event *evs, struct str_slot *slots)
{
	size_t n = 0;
	slots[n++].ptr = &s->carrier;
	slots[n++].ptr = &s->number;
	for (int f = 0; f < TSK_SHIPMENT__FIELD_COUNT; f++)
		slots[n++].ptr = &s->text[f];
	slots[n++].ptr = &s->handoff_carrier;
	slots[n++].ptr = &s->handoff_number;
	slots[n++].ptr = &s->error_message;
	slots[n++].ptr = &s->also_known_by;
	for (size_t k = 0; k < s->nevents; k++)
		for (int t = 0; t < TSK__EVENT_TEXT_COUNT; t++, n++) {
			if (evs)
				slots[n] = (struct str_slot){ NULL, &evs[k], t };
			else
				slots[n].ptr = &tsk__event_owned(s->events.list[k])[t];
		}
	for (size_t i = 0; i < s->nexceptions; i++)
		slots[n++].ptr = (char **)(void *)&s->exceptions[i].message;
	for (size_t i = 0; i < s->nlegs; i++) {
		slots[n++].ptr = &s->legs[i].carrier;
		slots[n++].ptr = &s->legs[i].number;
	}
}

/* The strings met so far, by content: indexes + 1 (0: empty). */
struct strtab {
	size_t *at;
	size_t mask;
};

static uint64_t str_hash(const char *p)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* The first index holding the same string as strs[i], else i (and it is
 * remembered). */
static size_t strtab_first(struct strtab *t, char *const *strs, size_t i)
{
	for (size_t h = str_hash(strs[i]) & t->mask;; h = (h + 1) & t->mask) {
		if (!t->at[h]) {
			t->at[h] = i + 1;
			return i;
		}
		if (strcmp(strs[t->at[h] - 1], strs[i]) == 0)
			return t->at[h] - 1;
	}
}

int tsk__shipment_pack(tsk_shipment **sp)
{
	tsk_shipment *s = *sp;
	if (s->packed)
		return TSK_OK;
	/* the strings, each kept once however many fields say it (an office
	 * named by every event, its code, its region) */
	size_t nslots = string_slot_count(s);
	size_t cap = 16;
	while (cap < 2 * nslots)
		cap *= 2;
	enum { ON_STACK = 128 }; /* slots: a shipment of up to 12 events */
	struct str_slot stack_slots[ON_STACK];
	char *stack_strs[ON_STACK];
	size_t stack_at[2 * ON_STACK];
	bool small = nslots <= ON_STACK;
	struct str_slot *slots = small ? stack_slots : malloc(nslots * sizeof *slots);
	char **strs = small ? stack_strs : malloc(nslots * sizeof *strs);
	struct strtab tab = { small ? stack_at : malloc(cap * sizeof *tab.at), cap - 1 };
	char *block = NULL;
	int rc = TSK_ENOMEM;
	if (!slots || !strs || !tab.at)
		goto done;
	memset(tab.at, 0, cap * sizeof *tab.at);
	string_slots(s, NULL, slots);
	size_t strings = 0;
	for (size_t i = 0; i < nslots; i++) {
		strs[i] = *slots[i].ptr;
		if (strs[i] && strtab_first(&tab, strs, i) == i)
			strings += strlen(strs[i]) + 1;
	}

	/* the struct, the arrays (their elements are 8-byte aligned), the strings */
	size_t head = (sizeof *s + 7) / 8 * 8; /* what follows needs 8-byte alignment */
	size_t arrays = s->nevents * sizeof **s->events.list + s->nexceptions * sizeof *s->exceptions +
	                s->nlegs * sizeof *s->legs;
	if (head + arrays + strings > UINT16_MAX) {
		/* an event could not say where its texts are: kept as it is */
		rc = TSK_OK;
		goto done;
	}
	if (!(block = malloc(head + arrays + strings)))
		goto done;
	tsk_shipment *p = (tsk_shipment *)(void *)block;
	*p = *s;
	struct tsk_event *evs = (struct tsk_event *)(void *)(block + head);
	tsk_exception *exc = (tsk_exception *)(void *)(evs + s->nevents);
	struct tsk__leg *legs = (struct tsk__leg *)(void *)(exc + s->nexceptions);
	char *at = (char *)(legs + s->nlegs);
	p->packed = true;
	p->events.block = s->nevents ? evs : NULL;
	p->events_cap = s->nevents;
	for (size_t k = 0; k < s->nevents; k++) {
		evs[k] = *s->events.list[k];
		evs[k].packed = true;
	}
	p->exceptions = s->nexceptions ? exc : NULL;
	for (size_t i = 0; i < s->nexceptions; i++)
		exc[i] = s->exceptions[i];
	p->legs = s->nlegs ? legs : NULL;
	for (size_t i = 0; i < s->nlegs; i++)
		legs[i] = s->legs[i];
	/* the copy's fields still point at s's strings: in the same order,
	 * each first one is copied into the block, each repeat points at it;
	 * a packed event's texts lie after it in the block */
	string_slots(p, evs, slots);
	for (size_t i = 0; i < nslots; i++) {
		char *copy = NULL;
		if (strs[i]) {
			size_t first = strtab_first(&tab, strs, i);
			if (first == i) {
				size_t n = strlen(strs[i]) + 1;
				copy = memcpy(at, strs[i], n);
				at += n;
			} else {
				copy = strs[first]; /* moved there already */
			}
			strs[i] = copy;
		}
		if (slots[i].ptr)
			*slots[i].ptr = copy;
		else
			slots[i].ev->text_at[slots[i].t] = copy ? (uint16_t)(copy - (char *)slots[i].ev) : 0;
	}
	free_parts(s);
	free(s);
	*sp = p;
	rc = TSK_OK;
done:
	if (!small) {
		free(slots);
		free(strs);
		free(tab.at);
	}
	return rc;
}

int tsk__shipment_unpack(tsk_shipment *s)
{
	if (!s->packed)
		return TSK_OK;
	tsk_shipment *copy = NULL;
	if (tsk_shipment_dup(&copy, s) != TSK_OK)
		return TSK_ENOMEM;
	/* the struct stays where it is, at the head of the block, which goes
	 * when the shipment goes; the copy owns its pieces one by one */
	*s = *copy;
	free(copy);
	return TSK_OK;
}

/* ------------------------------------------------------------------ lists */

TSK_API int tsk_shipment_list_new(tsk_shipment_list **out)
{
	if (!out)
		return TSK_EINVAL;
	*out = calloc(1, sizeof **out);
	return *out ? TSK_OK : TSK_ENOMEM;
}

TSK_API size_t tsk_shipment_list_count(const tsk_shipment_list *l) { return l ? l->count : 0; }

TSK_API const tsk_shipment *tsk_shipment_list_at(const tsk_shipment_list *l, size_t i)
{
	return l && i < l->count ? l->items[i] : NULL;
}

TSK_API int tsk_shipment_list_append(tsk_shipment_list *l, tsk_shipment *s)
{
	if (!l || !s) {
		tsk_shipment_free(s);
		return TSK_EINVAL;
	}
	if (!TSK__GROW(l->items, l->cap, l->count + 1)) {
		tsk_shipment_free(s);
		return TSK_ENOMEM;
	}
	l->items[l->count++] = s;
	return TSK_OK;
}

TSK_API int tsk_shipment_list_take(tsk_shipment **out, tsk_shipment_list *l, size_t i)
{
	if (!out || !l || i >= l->count)
		return TSK_EINVAL;
	*out = l->items[i];
	memmove(&l->items[i], &l->items[i + 1], (l->count - i - 1) * sizeof *l->items);
	l->count--;
	return TSK_OK;
}

TSK_API void tsk_shipment_list_free(tsk_shipment_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		tsk_shipment_free(l->items[i]);
	free(l->items);
	free(l);
}

/* --------------------------------------------------------- finalisation */

/* Minutes since an arbitrary origin of a local date, for ordering only. */
static int64_t local_key(int year, int month, int day, int hour, int minute)
{
	return ((tsk__days_from_civil(year, month, day) * 24) + (hour < 0 ? 0 : hour)) * 60 +
	       (minute < 0 ? 0 : minute);
}

/* The k-th event, its time to be fixed in place (a packed event's time is
 * its own too). */
static tsk_event *event_to_fix(tsk_shipment *s, size_t k)
{
	return s->packed ? &s->events.block[k] : s->events.list[k];
}

static void event_fix_time(tsk_event *ev, int year)
{
	/* 02/29 in a year that has none: no guess, the time stays null */
	if (tsk_time_from_fields(&ev->time, year, ev->month, ev->day, ev->hour, ev->minute,
	                         ev->offset) != TSK_OK)
		ev->time.precision = TSK_PRECISION_NONE;
}

/* The reference the years are inferred against: the shipment's year hint,
 * else now; its local key, and its year in *year. */
static int64_t reference_key(const tsk_shipment *s, const tsk_time *now, int *year)
{
	tsk_time ref = s->has_year_hint ? s->year_hint : *now;
	int ref_month, ref_day, ref_hour, ref_minute;
	tsk_time_fields(&ref, year, &ref_month, &ref_day, &ref_hour, &ref_minute, NULL);
	return local_key(*year, ref_month, ref_day, ref_hour, ref_minute);
}

/*
 * DESIGN.md "Time": the last event gets the latest year that does not put
 * it after the reference plus one day; earlier events step back a year
 * where the month runs backwards. A NOT_BEFORE hint (a shipping date) runs
 * the same rule forwards from the first event. Events that carry their own
 * year anchor their neighbours.
 */
static void infer_years(tsk_shipment *s, const tsk_time *now)
{
	int ref_year;
	int64_t ref_key = reference_key(s, now, &ref_year);
	bool forward = s->has_year_hint && s->year_hint_kind == TSK_YEAR_HINT_NOT_BEFORE;

	if (!forward) {
		int year = 0, month = 0;
		for (size_t k = s->nevents; k-- > 0;) {
			tsk_event *ev = event_to_fix(s, k);
			if (!ev->has_local)
				continue;
			if (ev->year > 0) {
				year = ev->year;
				month = ev->month;
				continue;
			}
			if (year == 0) {
				year = ref_year;
				if (local_key(year, ev->month, ev->day, ev->hour, ev->minute) > ref_key + 24 * 60)
					year--;
			} else if (ev->month > month) {
				year--;
			}
			month = ev->month;
			event_fix_time(ev, year);
		}
	} else {
		int year = 0, month = 0;
		for (size_t k = 0; k < s->nevents; k++) {
			tsk_event *ev = event_to_fix(s, k);
			if (!ev->has_local)
				continue;
			if (ev->year > 0) {
				year = ev->year;
				month = ev->month;
				continue;
			}
			if (year == 0) {
				year = ref_year;
				if (local_key(year, ev->month, ev->day, ev->hour, ev->minute) < ref_key - 24 * 60)
					year++;
			} else if (ev->month < month) {
				year++;
			}
			month = ev->month;
			event_fix_time(ev, year);
		}
	}
}

/*
 * The carrier's stated delivery window (local fields) as times: without a
 * year of its own it follows the last dated event, else the reference
 * (within half a year of it). Runs after infer_years.
 */
static void resolve_carrier_window(tsk_shipment *s, const tsk_time *now)
{
	if (s->eta_local.set) {
		int ref_year;
		int64_t ref_key = reference_key(s, now, &ref_year);
		struct tsk__eta_local *e = &s->eta_local;
		int year = e->year;
		if (year == 0) {
			const tsk_time *last = NULL;
			for (size_t k = s->nevents; k-- > 0;)
				if (tsk_time_is_set(&tsk__shipment_event(s, k)->time)) {
					last = &tsk__shipment_event(s, k)->time;
					break;
				}
			if (last) {
				int ly, lm, ld;
				tsk_time_fields(last, &ly, &lm, &ld, NULL, NULL, NULL);
				year = ly;
				if (local_key(year, e->month, e->day, 0, 0) < local_key(ly, lm, ld, 0, 0) - 24 * 60)
					year++;
			} else {
				year = ref_year;
				int64_t k = local_key(year, e->month, e->day, 0, 0);
				if (k < ref_key - 180LL * 24 * 60)
					year++;
				else if (k > ref_key + 180LL * 24 * 60)
					year--;
			}
		}
		tsk_time a, b;
		bool whole_day = e->start_hour < 0;
		if (tsk_time_from_fields(&a, year, e->month, e->day, whole_day ? 0 : e->start_hour,
		                         whole_day ? 0 : e->start_minute, TSK_JST_OFFSET) == TSK_OK) {
			b = a;
			if (whole_day || e->end_hour < 0) {
				/* whole day, or an open-ended "from HH" band: until the day's end */
				int64_t day_start = a.epoch - (whole_day ? 0 : (int64_t)e->start_hour * 3600 +
				                                                e->start_minute * 60);
				b.epoch = day_start + 24 * 3600 - 60;
			} else {
				b.epoch = a.epoch + ((int64_t)e->end_hour * 60 + e->end_minute -
				                     (int64_t)e->start_hour * 60 - e->start_minute) * 60;
				if (b.epoch < a.epoch)
					b.epoch = a.epoch;
			}
			a.precision = b.precision = TSK_PRECISION_MINUTE;
			s->carrier_eta_earliest = a;
			s->carrier_eta_latest = b;
		}
	}
}

tsk_status tsk__shipment_compute_status(const tsk_shipment *s)
{
	if (s->error == TSK_ENOTFOUND)
		return TSK_STATUS_NOT_FOUND;
	tsk_status st = TSK_STATUS_UNKNOWN;
	if (s->has_state) {
		st = s->state_status;
	} else {
		/* the last event whose word we understood; an unmapped word raises
		 * unmapped_status instead of blanking the status */
		for (size_t k = s->nevents; k-- > 0;)
			if (tsk__shipment_event(s, k)->status != TSK_STATUS_UNKNOWN) {
				st = tsk__shipment_event(s, k)->status;
				break;
			}
	}
	if (st == TSK_STATUS_EXCEPTION || st == TSK_STATUS_UNKNOWN) {
		/* an exception never hides delivered */
		for (size_t k = 0; k < s->nevents; k++)
			if (tsk__shipment_event(s, k)->status == TSK_STATUS_DELIVERED)
				return TSK_STATUS_DELIVERED;
	}
	if (st != TSK_STATUS_EXCEPTION && st != TSK_STATUS_UNKNOWN && st != TSK_STATUS_RETURNED_TO_SENDER) {
		/* a return stays visible: once an event sends the parcel back, the
		 * later ones are the return leg (a 返品 then a 陸・海上切替え on
		 * the way back; a delivery then is to the sender), so the parcel is
		 * returning or returned; only an exception shows instead */
		for (size_t k = 0; k < s->nevents; k++)
			if (tsk__shipment_event(s, k)->status == TSK_STATUS_RETURNED_TO_SENDER)
				return TSK_STATUS_RETURNED_TO_SENDER;
	}
	return st;
}

int tsk__shipment_finalize(tsk_shipment *s, const tsk_time *now)
{
	infer_years(s, now);
	resolve_carrier_window(s, now);
	s->status = tsk__shipment_compute_status(s);
	memset(&s->delivered_at, 0, sizeof s->delivered_at);
	if (s->status == TSK_STATUS_DELIVERED) {
		/* the last delivered event; when the carrier's state says delivered
		 * but no event does (JSON APIs whose event codes lag their state),
		 * the last event that has a time is when the delivery was seen */
		for (size_t k = s->nevents; k-- > 0;)
			if (tsk__shipment_event(s, k)->status == TSK_STATUS_DELIVERED) {
				s->delivered_at = tsk__shipment_event(s, k)->time;
				break;
			}
		for (size_t k = s->nevents; !tsk_time_is_set(&s->delivered_at) && k-- > 0;)
			s->delivered_at = tsk__shipment_event(s, k)->time;
	}
	if (!s->text[TSK_SHIPMENT_STATUS_TEXT] && s->nevents &&
	    tsk__event_text(tsk__shipment_event(s, s->nevents - 1), TSK_EVENT_CARRIER_STATUS)) {
		/* unpacked first: unpacking moves the events */
		if (tsk__shipment_unpack(s) != TSK_OK ||
		    tsk__strset(&s->text[TSK_SHIPMENT_STATUS_TEXT],
		                tsk__event_text(tsk__shipment_event(s, s->nevents - 1), TSK_EVENT_CARRIER_STATUS)))
			return TSK_ENOMEM;
	}
	return TSK_OK;
}
