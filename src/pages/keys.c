/*
 * keys.c: GET /receipt-keys (every published public key as JSON) and
 * GET /receipt-keys/{id}.pem (one key), so anyone can check a receipt.
 */
#include <string.h>

#include "callin/page.h"
#include "callin/receipt.h"

void
cl_page_keys(cl_svc *app, cl_http_req *req, const char *id)
{
	cl_buf out = CL_BUF_INIT;
	size_t i;

	if (id == NULL) {
		cl_keyring_json(app->keyring, &out);
		(void)cl_http_send(req, 200, "application/json",
		    "Cache-Control: public, max-age=300\r\n", out.data,
		    out.len);
	} else if (cl_keyring_find(app->keyring, id, &i) == CL_OK) {
		const char *pem = cl_keyring_pem(app->keyring, i);

		cl_buf_printf(&out,
		    "Content-Disposition: inline; filename=\"%s.pem\"\r\n"
		    "Cache-Control: public, max-age=300\r\n",
		    cl_keyring_id(app->keyring, i));
		(void)cl_http_send(req, 200, "application/x-pem-file", out.data,
		    pem, strlen(pem));
	} else
		cl_page_error(req, 404,
		    "There is no published key with that id.");
	cl_buf_free(&out);
}
