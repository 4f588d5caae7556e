/*
 * Private: hiding secrets in text meant for people (error messages, logs).
 * Every message built from a URL or a server's answer goes through
 * tsk__redact before it is stored or printed.
 */
#ifndef TSK_LIB_REDACT_H
#define TSK_LIB_REDACT_H

#include <stddef.h>

/* What replaces a hidden value. */
#define TSK__REDACTED "***"

/*
 * Copy text into out (outlen bytes, always NUL-terminated, truncated
 * quietly) with secrets hidden:
 *  - the user information of every URL: "https://user:pw@host/x" becomes
 *    "https:" "//" TSK__REDACTED "@host/x";
 *  - the value of every URL query parameter whose name says it carries a
 *    credential (key, token, secret, password, auth, signature, session…);
 *  - outside URLs, the value of every keyword=value pair whose keyword
 *    says the same (a libpq connection string "host=db password=secret",
 *    also quoted: password='a b');
 *  - every occurrence of each of the n secrets (empty ones ignored), as
 *    written and percent-encoded the way a URL template encodes it.
 * out may be text itself. An allocation failure gives TSK__REDACTED alone,
 * never the unredacted text.
 */
void tsk__redact(char *out, size_t outlen, const char *text, const char *const *secrets, size_t n);

#endif
