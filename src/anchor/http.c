/*
 * http.c: one POST to a time-stamp authority or a witness, with libcurl:
 * http or https only, no redirects, peer certificates verified, one time
 * limit for the whole exchange and a cap on the reply.  Never retries.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "anchor_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* libcurl's global set-up, once per process whatever the thread. */
static void
curl_start(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* libcurl write callback: keep at most ANCHOR_REPLY_MAX bytes. */
static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	cl_buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > ANCHOR_REPLY_MAX)
		return 0; /* libcurl then fails with CURLE_WRITE_ERROR */
	cl_buf_add(b, p, n);
	return n;
}

cl_err
anchor_post(const char *url, const char *ctype, const char *accept,
    const void *body, size_t n, long timeout_ms, struct anchor_reply *r,
    char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char hct[160], hacc[160];
	struct curl_slist *hdrs = NULL;
	const char *ct = NULL;
	CURL *c = NULL;
	CURLcode cc;
	cl_err rc = CL_EUNAVAIL;

	CL_ASSERT(timeout_ms > 0);
	memset(r, 0, sizeof *r);
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		snprintf(why, whylen, "%s: not an http:// or https:// URL",
		    url);
		return CL_EUNAVAIL;
	}
	pthread_once(&curl_once, curl_start);
	if (curl_init_rc != CURLE_OK || (c = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "libcurl cannot start");
		goto err;
	}
	snprintf(hct, sizeof hct, "Content-Type: %s", ctype);
	snprintf(hacc, sizeof hacc, "Accept: %s", accept);
	hdrs = curl_slist_append(hdrs, hct);
	hdrs = curl_slist_append(hdrs, hacc);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)ANCHOR_REPLY_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(why, whylen, "%s: %s", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto err;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(r->ctype, sizeof r->ctype, "%s", ct);
	rc = CL_OK;
err:
	if (rc != CL_OK)
		cl_buf_free(&r->body);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}
