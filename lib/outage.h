/*
 * Private: a carrier's "cannot answer now" pages (maintenance, outside
 * service hours, busy), told apart from a changed layout.
 */
#ifndef TSK_LIB_OUTAGE_H
#define TSK_LIB_OUTAGE_H

#include "html.h"

/*
 * Does a page that no layout recognised say the carrier cannot answer now?
 * Looks for the phrases of lib/data/outage.def in the page's title and
 * body text (scripts skipped). When one is found, err is set, naming the
 * carrier, what the page says in English and the carrier's own line, and
 * the code is returned: TSK_ECARRIER_UNAVAILABLE (maintenance, outside
 * service hours) or TSK_ERATELIMITED (busy); both are transient. TSK_OK
 * when the page says none of it (the caller then reports TSK_ELAYOUT),
 * TSK_ENOMEM when the text could not be read.
 */
int tsk__html_outage(tsk__html *page, const char *carrier, tsk_error *err);

#endif
