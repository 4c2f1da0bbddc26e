/* start.c: GET / — what a call-in request is, who may make one, Start now. */
#include "callin/page.h"

static const char start_html[] =
	"<h1 class=\"govuk-heading-xl\">Ask for an NHS change to be called in</h1>\n"
	"<p class=\"govuk-body\">Use this service to ask the Secretary of State for Health and Social Care "
	"to call in a proposal to change NHS services in England: for example, to close a unit, "
	"move a service to another site or stop providing a service.</p>\n"
	"<p class=\"govuk-body\">If a proposal is called in, the Secretary of State can decide whether it goes ahead, "
	"goes ahead in a changed form, or does not go ahead. The power comes from Schedule 10A of the "
	"National Health Service Act 2006.</p>\n"
	"<h2 class=\"govuk-heading-m\">Who can ask</h2>\n"
	"<p class=\"govuk-body\">Anyone can ask, including:</p>\n"
	"<ul class=\"govuk-list govuk-list--bullet\">\n"
	"<li>members of the public</li>\n<li>GPs and other clinicians</li>\n"
	"<li>MPs, councillors and local authority health scrutiny committees</li>\n"
	"<li>campaign and patient groups</li>\n</ul>\n"
	"<h2 class=\"govuk-heading-m\">Before you start</h2>\n"
	"<p class=\"govuk-body\">Try to resolve your concerns locally first, for example with the integrated care board, "
	"the NHS trust or your council's health scrutiny committee. You will need to say who you contacted, "
	"when, and what happened. Requests without reasonable attempts at local resolution are very unlikely to be called in.</p>\n"
	"<p class=\"govuk-body\">You will also need to say which ground your request is made on:</p>\n"
	"<ul class=\"govuk-list govuk-list--bullet\">\n"
	"<li>concerns about the process, for example whether public consultation was adequate</li>\n"
	"<li>a decision has been made that is not in the best interests of the health service in the area</li>\n</ul>\n"
	"<p class=\"govuk-body\">You can attach up to 10 files as evidence, such as letters, consultation documents or "
	"meeting minutes.</p>\n"
	"<p class=\"govuk-body\">It takes about 30 minutes. When you send your request you get a reference "
	"and a signed receipt straight away, which you can use later to prove what you sent and when.</p>\n"
	"<a href=\"/request\" role=\"button\" draggable=\"false\" class=\"govuk-button govuk-button--start\" data-module=\"govuk-button\">\n"
	"Start now\n"
	"<svg class=\"govuk-button__start-icon\" xmlns=\"http://www.w3.org/2000/svg\" width=\"17.5\" height=\"19\" viewBox=\"0 0 33 40\" aria-hidden=\"true\" focusable=\"false\">\n"
	"<path fill=\"currentColor\" d=\"M0 0h13l20 20-20 20H0l20-20z\" />\n</svg>\n</a>\n"
	"<h2 class=\"govuk-heading-m\">After you send a request</h2>\n"
	"<p class=\"govuk-body\">The Department of Health and Social Care considers each request. There is no set time "
	"for a decision, and the Secretary of State does not have to call a proposal in.</p>\n"
	"<p class=\"govuk-body\">You can <a class=\"govuk-link\" href=\"/verify\">check a receipt</a> at any time.</p>\n";

void
cl_page_start(cl_svc *app, cl_http_req *req)
{
	cl_buf page = CL_BUF_INIT;

	(void)app;
	cl_page_render(&page, "Ask for an NHS change to be called in", 0, NULL, start_html);
	cl_page_send(req, 200, &page);
	cl_buf_free(&page);
}
