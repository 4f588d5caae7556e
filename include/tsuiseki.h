/*
 * tsuiseki (追跡) — track parcels across Yamato Transport, Sagawa Express,
 * Japan Post and JSON tracking APIs, and get one normalized answer: an
 * ordered event timeline, a normalized status, an ETA window and the
 * exceptions a shop must act on.
 *
 * Conventions
 *  - Every fallible function returns TSK_OK (0) or a negative tsk_error_code;
 *    tsk_ctx_last_error() tells what went wrong.
 *  - Output parameters come first and are named out.
 *  - Ownership is stated on every function: "caller owns (free with …)",
 *    "borrowed (valid until …)" or "takes ownership".
 *  - Threads: a context and everything it created is used by one thread at
 *    a time; separate contexts share nothing. Shipments handed to the caller
 *    are immutable and may be read from any thread.
 */
#ifndef TSUISEKI_H
#define TSUISEKI_H

#include "tsuiseki/common.h"
#include "tsuiseki/version.h"
#include "tsuiseki/errors.h"
#include "tsuiseki/model.h"
#include "tsuiseki/adapter.h"
#include "tsuiseki/context.h"
#include "tsuiseki/loop.h"
#include "tsuiseki/json.h"
#include "tsuiseki/diff.h"
#include "tsuiseki/learn.h"
#include "tsuiseki/rest.h"
#include "tsuiseki/fleet.h"

#endif /* TSUISEKI_H */
