/*
 * Private definitions of the model objects, shared by lib/ modules (JSON,
 * timeline, ETA, exceptions, diff). Adapters use the public builders.
 */
#ifndef TSK_LIB_MODEL_H
#define TSK_LIB_MODEL_H

#include "tsuiseki.h"
#include <stdbool.h>

/* An event's texts: its fields (tsk_event_field), then the carrier of the
 * leg that reported it (set in shipments of several legs; NULL = the
 * shipment's). Read them with tsk__event_text. */
enum { TSK__EVENT_LEG_CARRIER = TSK_EVENT__FIELD_COUNT, TSK__EVENT_TEXT_COUNT };

struct tsk_event {
	tsk_time time;                 /* resolved time; precision NONE when no date */
	/* Where the texts are in the block of a packed shipment (packed set),
	 * in bytes after the event, 0 for none: 16 bits, as
	 * tsk__shipment_pack packs no block of 64 KB or more. An event that
	 * is not packed owns its texts, their pointers right after the
	 * struct in its own allocation (tsk__event_owned), and this is
	 * unused. A batch keeps hundreds of thousands of events: each costs
	 * 56 bytes, not 56 + 72. */
	uint16_t text_at[TSK__EVENT_TEXT_COUNT];
	/* the date as printed, before year inference (has_local); narrow
	 * fields, ordered by size */
	int16_t year;                  /* 0..9999 */
	int32_t offset;
	int8_t month, day, hour, minute; /* hour, minute -1: none */
	uint8_t status;                /* a tsk_status (tsk_event_set_status keeps it in range) */
	uint8_t exception;             /* a tsk_exception_code, likewise */
	bool has_local;
	bool unmapped;
	bool packed;                   /* part of a packed shipment's block: read-only */
};

_Static_assert(TSK_STATUS__COUNT <= 256 && TSK_EXC__COUNT <= 256, "tsk_event keeps them in a byte");

/* The texts an event that is not packed owns (tsk_event_new allocates the
 * struct and these pointers together). */
static inline char **tsk__event_owned(tsk_event *ev)
{
	return (char **)(void *)(ev + 1);
}

/* Text t (a tsk_event_field or TSK__EVENT_LEG_CARRIER) of an event, packed
 * or not; NULL when it has none. */
static inline const char *tsk__event_text(const tsk_event *ev, int t)
{
	if (ev->packed)
		return ev->text_at[t] ? (const char *)ev + ev->text_at[t] : NULL;
	return ((char *const *)(const void *)(ev + 1))[t];
}

/* One leg of a shipment handed from carrier to carrier (DESIGN.md "Legs"). */
struct tsk__leg {
	char *carrier, *number;
};

/* Narrow: a batch keeps one per number. Hours are -1 when not given
 * (tsk_shipment_set_eta_local folds any negative one to -1). */
struct tsk__eta_local {
	int32_t year;
	int8_t month, day, start_hour, start_minute, end_hour, end_minute;
	bool set;
};

struct tsk_shipment {
	/* ordered so that no field pads another: a batch keeps one per number */
	char *carrier;
	char *number;
	char *text[TSK_SHIPMENT__FIELD_COUNT];
	int error;
	struct tsk__eta_local eta_local;
	bool has_state;                /* the page's current-state field */
	bool has_eta;
	bool has_year_hint;
	/* enums in a byte each, kept in range by their setters */
	uint8_t state_status;          /* a tsk_status */
	uint8_t state_exception;       /* a tsk_exception_code */
	uint8_t status;                /* a tsk_status, computed by tsk__shipment_finalize */
	uint8_t year_hint_kind;        /* a tsk_year_hint */
	/* Packed (tsk__shipment_pack): the struct's own allocation also
	 * holds every string, event (one array, each event packed: its texts
	 * as offsets), exception and leg of the shipment, which then owns
	 * nothing else. false: each of them is its own allocation. */
	bool packed;
	tsk_time delivered_at;
	tsk_eta eta;
	/* the carrier's stated window (absolute, or local until resolved) */
	tsk_time carrier_eta_earliest, carrier_eta_latest;
	tsk_exception *exceptions;     /* message strings owned (cast away const to free) */
	char *handoff_carrier, *handoff_number;
	struct tsk__leg *legs;         /* first leg first; none (0) = one leg, the shipment's own */
	uint32_t nexceptions, nlegs;   /* their adders refuse (ENOMEM) past UINT32_MAX */
	tsk_time next_poll;
	union {
		tsk_event **list;      /* not packed: each event its own allocation */
		tsk_event *block;      /* packed: one array in the shipment's block */
	} events;                      /* read them with tsk__shipment_event */
	size_t nevents, events_cap;
	char *error_message;
	char *also_known_by;           /* other carriers that know the number (auto), comma-separated */
	tsk_time year_hint;
};

/* The k-th event (k < nevents) of a shipment, packed or not. */
static inline const tsk_event *tsk__shipment_event(const tsk_shipment *s, size_t k)
{
	return s->packed ? &s->events.block[k] : s->events.list[k];
}

struct tsk_shipment_list {
	tsk_shipment **items;
	size_t count, cap;
};

/*
 * Move the shipment, everything it owns with it, into one block that
 * starts with the struct: *sp moves there. A shipment kept for long (a
 * batch of 100,000 numbers keeps them all) costs one allocation instead
 * of dozens, each string said once however many fields say it (an office
 * named by every event), and the pieces made while parsing go back to the
 * heap at once instead of pinning it between pages. Returns TSK_OK or
 * TSK_ENOMEM (then it stays as it was, where it was); a shipment whose
 * block would reach 64 KB (hundreds of events: an event says where its
 * texts are in 16 bits) also stays as it is, with TSK_OK. Every mutator
 * unpacks first (tsk__shipment_unpack), so a packed shipment behaves as
 * any other; reading goes through tsk__shipment_event and
 * tsk__event_text; tsk_shipment_free frees the block.
 */
int tsk__shipment_pack(tsk_shipment **sp);
/* Back to one allocation per piece, before a change; the struct stays
 * where it is (the rest of its block is unused until it is freed).
 * TSK_OK / TSK_ENOMEM. */
int tsk__shipment_unpack(tsk_shipment *s);

/* Deep copy of an event (NULL on ENOMEM). */
tsk_event *tsk__event_dup(const tsk_event *ev);
/* Replace the exception list (takes ownership of the array and messages). */
void tsk__shipment_clear_exceptions(tsk_shipment *s);
/* Add an exception (message copied). Returns TSK_OK / TSK_ENOMEM. */
int tsk__shipment_add_exception(tsk_shipment *s, tsk_exception_code code, tsk_severity sev,
                                const tsk_time *time, const char *message, long event_index);
/* Append a leg (strings copied). Returns TSK_OK / TSK_ENOMEM / TSK_EINVAL. */
int tsk__shipment_add_leg(tsk_shipment *s, const char *carrier, const char *number);
/* Set the carrier of the leg that reported ev (copied; NULL clears). */
int tsk__event_set_carrier(tsk_event *ev, const char *carrier);
/* Insert an event at position pos (takes ownership, also on failure). */
int tsk__shipment_insert_event(tsk_shipment *s, size_t pos, tsk_event *ev);

/*
 * After parsing: infer missing years (DESIGN.md "Time"), compute the
 * shipment status, delivered_at and the carrier ETA window. Pure function
 * of the shipment and now. Returns TSK_OK or TSK_ENOMEM.
 */
int tsk__shipment_finalize(tsk_shipment *s, const tsk_time *now);

/* The shipment status rule alone (timeline rule refined by exceptions). */
tsk_status tsk__shipment_compute_status(const tsk_shipment *s);

#endif
