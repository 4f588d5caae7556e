/* Private layout of requests, read by the HTTP engine. */
#ifndef TSK_LIB_REQUEST_H
#define TSK_LIB_REQUEST_H

#include "tsuiseki.h"

struct tsk_request {
	char *method;
	char *url;
	char *content_type;
	char *body;
	size_t body_len;
	char **headers;        /* "Name: value" */
	size_t nheaders;
	char **numbers;
	size_t nnumbers;
	char **secrets;        /* credential values in it: hidden from every message */
	size_t nsecrets;
};


/* Free request i once it has been answered (a long batch keeps no
 * request it is done with); its slot reads NULL from then on. */
void tsk__request_list_release(tsk_request_list *l, size_t i);

struct tsk_request_list {
	tsk_request **items;
	size_t count, cap;
};

#endif
