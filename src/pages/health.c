/*
 * health.c: GET /healthz (200 when the store answers and the signing key is
 * loaded, else 503 naming the failing check) and GET /metrics (Prometheus
 * text format; nginx serves it to loopback only).
 */
#include "callin/log.h"
#include "callin/page.h"

void
cl_page_healthz(cl_app *app, cl_http_req *req)
{
	cl_buf out = CL_BUF_INIT;
	cl_err store = cl_store_ping(app->store);
	int key = app->signer != NULL;

	if (store == CL_OK && key)
		cl_buf_puts(&out, "{\"status\":\"ok\",\"checks\":{\"store\":\"ok\",\"signing_key\":\"ok\"}}\n");
	else
		cl_buf_printf(&out, "{\"status\":\"fail\",\"failing\":\"%s\","
		    "\"checks\":{\"store\":\"%s\",\"signing_key\":\"%s\"}}\n",
		    store != CL_OK ? "store" : "signing_key",
		    store == CL_OK ? "ok" : "fail", key ? "ok" : "fail");
	(void)cl_http_send(req, store == CL_OK && key ? 200 : 503, "application/json",
	    "Cache-Control: no-store\r\n", out.data, out.len);
	cl_buf_free(&out);
}

void
cl_page_metrics(cl_app *app, cl_http_req *req)
{
	cl_buf out = CL_BUF_INIT;
	int64_t stored = 0;
	int up = cl_store_count(app->store, &stored) == CL_OK;

	cl_buf_puts(&out, "# HELP callin_store_up Whether the store answered.\n"
	    "# TYPE callin_store_up gauge\n");
	cl_buf_printf(&out, "callin_store_up %d\n", up);
	cl_buf_puts(&out, "# HELP callin_requests_stored Requests held in the store.\n"
	    "# TYPE callin_requests_stored gauge\n");
	cl_buf_printf(&out, "callin_requests_stored %lld\n", (long long)stored);
	cl_app_render_metrics(&out);
	(void)cl_http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    "Cache-Control: no-store\r\n", out.data, out.len);
	cl_buf_free(&out);
}
