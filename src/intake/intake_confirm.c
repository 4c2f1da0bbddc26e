/*
 * intake_confirm.c: the link that confirms a requester's email address
 * (DESIGN.md §10).  The first email carries /confirm/<reference>/<code>;
 * the page it opens asks for a POST, which records the confirmation and
 * queues the copy and private link for the requester and a note to staff,
 * once, within confirm_max_age of the request.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "callin/intake.h"
#include "callin/log.h"
#include "callin/rand.h"
#include "callin/reference.h"
#include "callin/reqdoc.h"

cl_err
cl_intake_confirm(cl_svc *app, const char *reference, const char *code,
    int commit, int64_t now_ms, cl_confirm_outcome *out)
{
	const size_t code_len = CL_B64URL_LEN(CL_CONFIRM_CODE_BYTES);
	const char *token, *want, *email;
	bson_t doc, notes;
	int64_t received_ms, confirmed_ms;
	int have_doc = 0;
	cl_err rc;

	*out = CL_CONFIRM_UNKNOWN;
	if (!cl_reference_valid(reference) || strlen(code) != code_len)
		return CL_OK;
	rc = cl_store_get(app->store, CL_KEY_REFERENCE, reference, &doc);
	if (rc == CL_ENOTFOUND)
		return CL_OK;
	if (rc != CL_OK)
		goto err;
	have_doc = 1;
	token = cl_reqdoc_str(&doc, CL_DOC_TOKEN, NULL, NULL);
	want = cl_reqdoc_str(&doc, CL_DOC_CONFIRM_CODE, NULL, NULL);
	email = cl_reqdoc_str(&doc, CL_DOC_EMAIL, NULL, NULL);
	received_ms = cl_reqdoc_int(&doc, CL_DOC_RECEIVED_MS, -1);
	/* Requests from before confirmation codes have none to match. */
	if (token == NULL || want == NULL || email == NULL || received_ms < 0 ||
	    strlen(want) != code_len ||
	    CRYPTO_memcmp(want, code, code_len) != 0)
		goto done;
	if ((rc = cl_store_confirmed(app->store, token, &confirmed_ms)) !=
	    CL_OK)
		goto err;
	if (confirmed_ms > 0) {
		*out = CL_CONFIRM_ALREADY;
		goto done;
	}
	if (now_ms - received_ms > app->cfg->confirm_max_age * 1000) {
		*out = CL_CONFIRM_EXPIRED;
		goto done;
	}
	*out = CL_CONFIRM_PENDING;
	if (!commit)
		goto done;
	cl_intake_confirm_notes(app->cfg, email, &notes);
	rc = cl_store_confirm(app->store, token, now_ms, &notes);
	bson_destroy(&notes);
	if (rc == CL_OK) {
		*out = CL_CONFIRM_DONE;
		cl_log(CL_LOG_INFO, "intake: %s: address confirmed", reference);
	} else if (rc == CL_EDUP)
		*out = CL_CONFIRM_ALREADY;
	else
		goto err;
done:
	bson_destroy(&doc);
	return CL_OK;
err:
	*out = CL_CONFIRM_UNKNOWN;
	cl_log(CL_LOG_ERROR, "intake: confirm %s: %s", reference,
	    cl_strerror(rc));
	if (have_doc)
		bson_destroy(&doc);
	return rc == CL_ENOTFOUND ? CL_EUNAVAIL : rc;
}
