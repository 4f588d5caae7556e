/*
 * tsuiseki — JSON: the schema-1 document of the CLI, and snapshots that
 * load back losslessly (load(dump(x)) dumps identically).
 */
#ifndef TSUISEKI_JSON_H
#define TSUISEKI_JSON_H

#include "common.h"
#include "errors.h"
#include "model.h"

TSK_BEGIN_DECLS

/** @since 0.1 */
#define TSK_JSON_SCHEMA 1

/* flags for the dump functions */
#define TSK_JSON_PRETTY (1u << 0)  /**< indent; default is one line @since 0.1 */
/**
 * A snapshot to load back: besides the contract's fields, what the getters
 * expose and the contract does not print, each key present only when set:
 * "layout" and "also_known_by" after a shipment's "error", "exception" and
 * "unmapped" after an event's "postal_code". Use it for state you keep;
 * without it the text is the contract's to the letter. @since 0.2
 */
#define TSK_JSON_SNAPSHOT (1u << 1)

/**
 * Serialize one shipment as a SHIPMENT object of DESIGN.md.
 * @param[out] out caller owns (tsk_free), NUL-terminated UTF-8
 * @param[out] len_out length, may be NULL
 * @return TSK_OK; TSK_EINVAL when a text of the shipment is not valid UTF-8
 * (nothing is written: the output is valid JSON or none), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_shipment_to_json(char **out, size_t *len_out, const tsk_shipment *s, unsigned int flags);

/** Serialize {"schema":1,"shipments":[…]}. @param[out] out caller owns (tsk_free).
 * @return as tsk_shipment_to_json. @since 0.1 */
TSK_API int tsk_shipment_list_to_json(char **out, size_t *len_out, const tsk_shipment_list *l,
                                      unsigned int flags);

/**
 * Load a SHIPMENT object.
 * @param[out] out caller owns (tsk_shipment_free)
 * @param err filled on failure with the key path
 * Reads what either dump writes (TSK_JSON_SNAPSHOT's keys too); texts over
 * 128 MiB, nesting deeper than 512 and strings holding \u0000 are refused.
 * @return TSK_OK, TSK_EPARSE, TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_shipment_from_json(tsk_shipment **out, const char *json, size_t len, tsk_error *err);

/** Load a {"schema":1,"shipments":[…]} document. @param[out] out caller owns. @since 0.1 */
TSK_API int tsk_shipment_list_from_json(tsk_shipment_list **out, const char *json, size_t len,
                                        tsk_error *err);

TSK_END_DECLS

#endif /* TSUISEKI_JSON_H */
