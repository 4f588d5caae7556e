/*
 * Request lists: what an adapter asks the transport to fetch. Plain data;
 * nothing here performs I/O.
 */
#include "request.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

TSK_API int tsk_request_list_new(tsk_request_list **out)
{
	if (!out)
		return TSK_EINVAL;
	*out = calloc(1, sizeof **out);
	return *out ? TSK_OK : TSK_ENOMEM;
}

static void request_free(tsk_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->url);
	free(r->content_type);
	free(r->body);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	for (size_t i = 0; i < r->nnumbers; i++)
		free(r->numbers[i]);
	free(r->numbers);
	for (size_t i = 0; i < r->nsecrets; i++)
		free(r->secrets[i]);
	free(r->secrets);
	free(r);
}

void tsk__request_list_release(tsk_request_list *l, size_t i)
{
	if (l && i < l->count) {
		request_free(l->items[i]);
		l->items[i] = NULL;
	}
}

TSK_API int tsk_request_add_secret(tsk_request *r, const char *value)
{
	if (!r)
		return TSK_EINVAL;
	if (!value || !*value)
		return TSK_OK;
	for (size_t i = 0; i < r->nsecrets; i++)
		if (strcmp(r->secrets[i], value) == 0)
			return TSK_OK;
	char **grown = realloc(r->secrets, (r->nsecrets + 1) * sizeof *grown);
	if (!grown)
		return TSK_ENOMEM;
	r->secrets = grown;
	if (!(grown[r->nsecrets] = tsk__strdup(value)))
		return TSK_ENOMEM;
	r->nsecrets++;
	return TSK_OK;
}

TSK_API void tsk_request_list_free(tsk_request_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		request_free(l->items[i]);
	free(l->items);
	free(l);
}

TSK_API int tsk_request_list_add(tsk_request_list *l, const char *method, const char *url,
                                 const char *content_type, const char *body, size_t body_len,
                                 const char *const *numbers, size_t count, tsk_request **out)
{
	if (!l || !method || !url || (count && !numbers))
		return TSK_EINVAL;
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0)
		return TSK_EINVAL;
	tsk_request *r = calloc(1, sizeof *r);
	if (!r)
		return TSK_ENOMEM;
	bool ok = (r->method = tsk__strdup(method)) && (r->url = tsk__strdup(url));
	if (ok && content_type)
		ok = (r->content_type = tsk__strdup(content_type)) != NULL;
	if (ok && body) {
		ok = (r->body = tsk__strndup(body, body_len)) != NULL;
		r->body_len = body_len;
	}
	if (ok && count) {
		ok = (r->numbers = calloc(count, sizeof *r->numbers)) != NULL;
		for (size_t i = 0; ok && i < count; i++) {
			ok = (r->numbers[i] = tsk__strdup(numbers[i])) != NULL;
			if (ok)
				r->nnumbers = i + 1;
		}
	}
	ok = ok && TSK__GROW(l->items, l->cap, l->count + 1);
	if (!ok) {
		request_free(r);
		return TSK_ENOMEM;
	}
	l->items[l->count++] = r;
	if (out)
		*out = r;
	return TSK_OK;
}

TSK_API int tsk_request_add_header(tsk_request *r, const char *name, const char *value)
{
	if (!r || !name || !value || strchr(name, ':') || strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
		return TSK_EINVAL;
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_printf(&b, "%s: %s", name, value);
	char *line = tsk__buf_detach(&b);
	if (!line)
		return TSK_ENOMEM;
	char **n = realloc(r->headers, (r->nheaders + 1) * sizeof *n);
	if (!n) {
		free(line);
		return TSK_ENOMEM;
	}
	r->headers = n;
	r->headers[r->nheaders++] = line;
	return TSK_OK;
}

TSK_API size_t tsk_request_list_count(const tsk_request_list *l) { return l ? l->count : 0; }
TSK_API const tsk_request *tsk_request_list_at(const tsk_request_list *l, size_t i)
{
	return l && i < l->count ? l->items[i] : NULL;
}
TSK_API const char *tsk_request_method(const tsk_request *r) { return r->method; }
TSK_API const char *tsk_request_url(const tsk_request *r) { return r->url; }
TSK_API const char *tsk_request_content_type(const tsk_request *r) { return r->content_type; }
TSK_API const char *tsk_request_body(const tsk_request *r, size_t *len_out)
{
	if (len_out)
		*len_out = r->body_len;
	return r->body;
}
TSK_API size_t tsk_request_header_count(const tsk_request *r) { return r->nheaders; }
TSK_API const char *tsk_request_header_at(const tsk_request *r, size_t i)
{
	return i < r->nheaders ? r->headers[i] : NULL;
}
TSK_API size_t tsk_request_number_count(const tsk_request *r) { return r->nnumbers; }
TSK_API const char *tsk_request_number_at(const tsk_request *r, size_t i)
{
	return i < r->nnumbers ? r->numbers[i] : NULL;
}

TSK_API int tsk_url_encode(char **out, const char *bytes, size_t len)
{
	if (!out || (!bytes && len))
		return TSK_EINVAL;
	static const char hex[] = "0123456789ABCDEF";
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			tsk__buf_putc(&b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			tsk__buf_add(&b, e, 3);
		}
	}
	*out = tsk__buf_detach(&b);
	return *out ? TSK_OK : TSK_ENOMEM;
}
