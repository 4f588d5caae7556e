/*
 * Test helper: parse a saved carrier page and compare it with its
 * .expect.json sidecar (the schema of tests/data/README.md).
 *
 * For every parcel: tracking_number, status, events_count,
 * first/last_event_timestamp (compared with events' time_raw),
 * last_event_status_text (the last event's carrier_status), and, where the
 * sidecar lists events[], each event's status_text, timestamp, location,
 * location_code, prefecture (region) and postal_code. Single-parcel
 * sidecars without parcels[] are read from their top level.
 */
#ifndef TSK_TEST_PAGECHECK_H
#define TSK_TEST_PAGECHECK_H

#include <stddef.h>

typedef struct tsk_ctx tsk_ctx;

/*
 * A new context (flags as tsk_ctx_new) holding the source tree's shipped
 * REST mappings, as an installed library would: a context that reads the
 * environment finds them on TSUISEKI_MAPPING_PATH (set by the test
 * environment), one that ignores it gets $TSK_TEST_MAPPINGS loaded
 * explicitly; none with TSK_CTX_NO_DEFAULT_CARRIERS.
 * Fails the test when it cannot be made.
 */
tsk_ctx *tsk_test_ctx_new(unsigned int flags);

/* Directory of the test pages ($TSK_TEST_DATA, else tests/data of the source tree). */
const char *tsk_test_data_dir(void);
/* Read a file below the data directory (caller frees). Fails the test when absent. */
char *tsk_test_read(const char *relpath, size_t *len_out);
/* Call fn on every .html page of the data directory's subdirectory dir
 * (its file name, bytes and length; the bytes are freed after the call).
 * Returns how many. Fails the test when the directory cannot be read. */
size_t tsk_test_each_page(const char *dir, void (*fn)(const char *name, const char *body, size_t len, void *user),
                          void *user);

/*
 * Check one expectation file (data/<exp_relpath>, the schema of
 * tests/data/README.md): parse the page it names ("file", next to it) with
 * its "carrier" at its "now", then compare every parcel with the page's answer, each
 * parcel's "error", the "layout" every shipment records, or, for an
 * expectation with "error": {"code": …}, that parsing fails with that
 * error. Returns the number of parcels compared.
 */
size_t tsk_test_check_expectation(const char *exp_relpath);

#endif
