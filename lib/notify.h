/*
 * Private: what a poll result means for the customer (lib/notify.c) — the
 * rules that turn two snapshots into at most one notification, its stable
 * id, its texts from the templates, and its JSON line.
 */
#ifndef TSK_LIB_NOTIFY_H
#define TSK_LIB_NOTIFY_H

#include "tsuiseki.h"
#include "tsuiseki/fleet.h"
#include "store.h"

/* The decision: which kind, and the evidence that makes it one real change. */
typedef struct tsk__notice {
	tsk_notify_kind kind;
	tsk_exception_code exception;  /* exception, delayed, pickup_deadline_near; else NONE */
	tsk_severity severity;
	const char *reason;            /* delayed / exception: a key of the templates' "reasons" */
	tsk_time time;                 /* when it happened (may be unset) */
	char evidence[160];            /* what identifies the change (time + status of its event...) */
} tsk__notice;

/*
 * What changed from old (NULL, or a snapshot without history: the first
 * sync) to cur, as at most one notice: for a first sync the current state,
 * afterwards the most important real change. Returns true when there is one.
 * cur must be a usable answer (no error other than not_found).
 */
bool tsk__notify_decide(tsk__notice *out, const tsk_shipment *old, const tsk_shipment *cur);

typedef struct tsk__templates tsk__templates;

/* The built-in texts (compiled from lib/data/notifications.json). */
int tsk__templates_new(tsk__templates **out, tsk_error *err);
/* Overlay a templates file: what it gives replaces; on error nothing changes. */
int tsk__templates_load(tsk__templates *t, const char *path, tsk_error *err);
void tsk__templates_free(tsk__templates *t);

/*
 * Render one notification: its stable id (from reference, carrier, number,
 * kind and evidence) and its JSON line (DESIGN.md "Notifications").
 * {carrier} is the templates' "carriers" entry for cur's carrier, else the
 * adapter's customer name in that language, else its display name, else
 * the registry name (carrier is the shipment's adapter, or NULL).
 * out->json: caller owns (free).
 */
int tsk__notify_render(tsk__store_note *out, const tsk__templates *t, const tsk__notice *n,
                       const tsk_shipment *cur, const tsk_adapter *carrier, const char *reference,
                       const char *locale);

/* Parse a stored JSON line back into a notification (caller owns: tsk__notification_free). */
int tsk__notification_from_json(tsk_notification **out, const char *id, const char *json);
void tsk__notification_free(tsk_notification *n);

#endif
