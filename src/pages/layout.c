/*
 * layout.c: the GOV.UK page template around every page: head, skip link,
 * header with the service name, main column, footer.  Markup generated from
 * GOV.UK Frontend's template.njk (the version in package.json).
 */
#include <stdio.h>

#include "callin/page.h"
#include "callin/tmpl.h"

static const char layout_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\" class=\"govuk-template\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<title>{{title}} – Ask for an NHS change to be called in – GOV.UK</title>\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover\">\n"
	"<meta name=\"theme-color\" content=\"#1d70b8\">\n"
	"<link rel=\"icon\" sizes=\"48x48\" href=\"/assets/images/favicon.ico\">\n"
	"<link rel=\"icon\" sizes=\"any\" href=\"/assets/images/favicon.svg\" type=\"image/svg+xml\">\n"
	"<link rel=\"mask-icon\" href=\"/assets/images/govuk-icon-mask.svg\" color=\"#1d70b8\">\n"
	"<link rel=\"apple-touch-icon\" href=\"/assets/images/govuk-icon-180.png\">\n"
	"<link rel=\"manifest\" href=\"/assets/manifest.json\">\n"
	"<link rel=\"stylesheet\" href=\"/assets/govuk-frontend.min.css\">\n"
	"</head>\n"
	"<body class=\"govuk-template__body\">\n"
	"<script>document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');</script>\n"
	"<a href=\"#main-content\" class=\"govuk-skip-link\" data-module=\"govuk-skip-link\">Skip to main content</a>\n"
	"<header class=\"govuk-template__header\">\n"
	"<div class=\"govuk-header\">\n"
	"<div class=\"govuk-header__container govuk-width-container\">\n"
	"<div class=\"govuk-header__logo\">\n"
	"<a href=\"//gov.uk\" class=\"govuk-header__homepage-link\">\n"
	"<svg\n"
	"focusable=\"false\"\n"
	"role=\"img\"\n"
	"xmlns=\"http://www.w3.org/2000/svg\"\n"
	"viewBox=\"0 0 324 60\"\n"
	"height=\"30\"\n"
	"width=\"162\"\n"
	"fill=\"currentcolor\" class=\"govuk-header__logotype\" aria-label=\"GOV.UK\"\n"
	"><title>GOV.UK</title>\n"
	"<g>\n"
	"<circle cx=\"20\" cy=\"17.6\" r=\"3.7\"/>\n"
	"<circle cx=\"10.2\" cy=\"23.5\" r=\"3.7\"/>\n"
	"<circle cx=\"3.7\" cy=\"33.2\" r=\"3.7\"/>\n"
	"<circle cx=\"31.7\" cy=\"30.6\" r=\"3.7\"/>\n"
	"<circle cx=\"43.3\" cy=\"17.6\" r=\"3.7\"/>\n"
	"<circle cx=\"53.2\" cy=\"23.5\" r=\"3.7\"/>\n"
	"<circle cx=\"59.7\" cy=\"33.2\" r=\"3.7\"/>\n"
	"<circle cx=\"31.7\" cy=\"30.6\" r=\"3.7\"/>\n"
	"<path d=\"M33.1,9.8c.2-.1.3-.3.5-.5l4.6,2.4v-6.8l-4.6,1.5c-.1-.2-.3-.3-.5-.5l1.9-5.9h-6.7l1.9,5.9c-.2.1-.3.3-.5.5l-4.6-1.5v6.8l4.6-2.4c.1.2.3.3.5.5l-2.6,8c-.9,2.8,1.2,5.7,4.1,5.7h0c3,0,5.1-2.9,4.1-5.7l-2.6-8ZM37,37.9s-3.4,3.8-4.1,6.1c2.2,0,4.2-.5,6.4-2.8l-.7,8.5c-2-2.8-4.4-4.1-5.7-3.8.1,3.1.5,6.7,5.8,7.2,3.7.3,6.7-1.5,7-3.8.4-2.6-2-4.3-3.7-1.6-1.4-4.5,2.4-6.1,4.9-3.2-1.9-4.5-1.8-7.7,2.4-10.9,3,4,2.6,7.3-1.2,11.1,2.4-1.3,6.2,0,4,4.6-1.2-2.8-3.7-2.2-4.2.2-.3,1.7.7,3.7,3,4.2,1.9.3,4.7-.9,7-5.9-1.3,0-2.4.7-3.9,1.7l2.4-8c.6,2.3,1.4,3.7,2.2,4.5.6-1.6.5-2.8,0-5.3l5,1.8c-2.6,3.6-5.2,8.7-7.3,17.5-7.4-1.1-15.7-1.7-24.5-1.7h0c-8.8,0-17.1.6-24.5,1.7-2.1-8.9-4.7-13.9-7.3-17.5l5-1.8c-.5,2.5-.6,3.7,0,5.3.8-.8,1.6-2.3,2.2-4.5l2.4,8c-1.5-1-2.6-1.7-3.9-1.7,2.3,5,5.2,6.2,7,5.9,2.3-.4,3.3-2.4,3-4.2-.5-2.4-3-3.1-4.2-.2-2.2-4.6,1.6-6,4-4.6-3.7-3.7-4.2-7.1-1.2-11.1,4.2,3.2,4.3,6.4,2.4,10.9,2.5-2.8,6.3-1.3,4.9,3.2-1.8-2.7-4.1-1-3.7,1.6.3,2.3,3.3,4.1,7,3.8,5.4-.5,5.7-4.2,5.8-7.2-1.3-.2-3.7,1-5.7,3.8l-.7-8.5c2.2,2.3,4.2,2.7,6.4,2.8-.7-2.3-4.1-6.1-4.1-6.1h10.6,0Z\"/>\n"
	"</g>\n"
	"<circle class=\"govuk-logo-dot\" cx=\"226\" cy=\"36\" r=\"7.3\"/>\n"
	"<path d=\"M93.94 41.25c.4 1.81 1.2 3.21 2.21 4.62 1 1.4 2.21 2.41 3.61 3.21s3.21 1.2 5.22 1.2 3.61-.4 4.82-1c1.4-.6 2.41-1.4 3.21-2.41.8-1 1.4-2.01 1.61-3.01s.4-2.01.4-3.01v.14h-10.86v-7.02h20.07v24.08h-8.03v-5.56c-.6.8-1.38 1.61-2.19 2.41-.8.8-1.81 1.2-2.81 1.81-1 .4-2.21.8-3.41 1.2s-2.41.4-3.81.4a18.56 18.56 0 0 1-14.65-6.63c-1.6-2.01-3.01-4.41-3.81-7.02s-1.4-5.62-1.4-8.83.4-6.02 1.4-8.83a20.45 20.45 0 0 1 19.46-13.65c3.21 0 4.01.2 5.82.8 1.81.4 3.61 1.2 5.02 2.01 1.61.8 2.81 2.01 4.01 3.21s2.21 2.61 2.81 4.21l-7.63 4.41c-.4-1-1-1.81-1.61-2.61-.6-.8-1.4-1.4-2.21-2.01-.8-.6-1.81-1-2.81-1.4-1-.4-2.21-.4-3.61-.4-2.01 0-3.81.4-5.22 1.2-1.4.8-2.61 1.81-3.61 3.21s-1.61 2.81-2.21 4.62c-.4 1.81-.6 3.71-.6 5.42s.8 5.22.8 5.22Zm57.8-27.9c3.21 0 6.22.6 8.63 1.81 2.41 1.2 4.82 2.81 6.62 4.82S170.2 24.39 171 27s1.4 5.62 1.4 8.83-.4 6.02-1.4 8.83-2.41 5.02-4.01 7.02-4.01 3.61-6.62 4.82-5.42 1.81-8.63 1.81-6.22-.6-8.63-1.81-4.82-2.81-6.42-4.82-3.21-4.41-4.01-7.02-1.4-5.62-1.4-8.83.4-6.02 1.4-8.83 2.41-5.02 4.01-7.02 4.01-3.61 6.42-4.82 5.42-1.81 8.63-1.81Zm0 36.73c1.81 0 3.61-.4 5.02-1s2.61-1.81 3.61-3.01 1.81-2.81 2.21-4.41c.4-1.81.8-3.61.8-5.62 0-2.21-.2-4.21-.8-6.02s-1.2-3.21-2.21-4.62c-1-1.2-2.21-2.21-3.61-3.01s-3.21-1-5.02-1-3.61.4-5.02 1c-1.4.8-2.61 1.81-3.61 3.01s-1.81 2.81-2.21 4.62c-.4 1.81-.8 3.61-.8 5.62 0 2.41.2 4.21.8 6.02.4 1.81 1.2 3.21 2.21 4.41s2.21 2.21 3.61 3.01c1.4.8 3.21 1 5.02 1Zm36.32 7.96-12.24-44.15h9.83l8.43 32.77h.4l8.23-32.77h9.83L200.3 58.04h-12.24Zm74.14-7.96c2.18 0 3.51-.6 3.51-.6 1.2-.6 2.01-1 2.81-1.81s1.4-1.81 1.81-2.81a13 13 0 0 0 .8-4.01V13.9h8.63v28.15c0 2.41-.4 4.62-1.4 6.62-.8 2.01-2.21 3.61-3.61 5.02s-3.41 2.41-5.62 3.21-4.62 1.2-7.02 1.2-5.02-.4-7.02-1.2c-2.21-.8-4.01-1.81-5.62-3.21s-2.81-3.01-3.61-5.02-1.4-4.21-1.4-6.62V13.9h8.63v26.95c0 1.61.2 3.01.8 4.01.4 1.2 1.2 2.21 2.01 2.81.8.8 1.81 1.4 2.81 1.81 0 0 1.34.6 3.51.6Zm34.22-36.18v18.92l15.65-18.92h10.82l-15.03 17.32 16.03 26.83h-10.21l-11.44-20.21-5.62 6.22v13.99h-8.83V13.9\"/>\n"
	"</svg>\n"
	"</a>\n"
	"</div>\n"
	"</div>\n"
	"</div>\n"
	"<section aria-label=\"Service information\"\n"
	"class=\"govuk-service-navigation\"\n"
	"data-module=\"govuk-service-navigation\"\n"
	">\n"
	"<div class=\"govuk-width-container\">\n"
	"<div class=\"govuk-service-navigation__container\">\n"
	"<span class=\"govuk-service-navigation__service-name\">\n"
	"<a href=\"/\" class=\"govuk-service-navigation__link\">\n"
	"Ask for an NHS change to be called in\n"
	"</a>\n"
	"</span>\n"
	"</div>\n"
	"</div>\n"
	"</section>\n"
	"</header>\n"
	"<div class=\"govuk-width-container\">\n"
	"{{{before_content}}}\n"
	"<main class=\"govuk-main-wrapper\" id=\"main-content\">\n"
	"<div class=\"govuk-grid-row\">\n"
	"<div class=\"govuk-grid-column-two-thirds\">\n"
	"\n";

static const char layout_foot[] =
	"\n"
	"</div>\n"
	"</div>\n"
	"</main>\n"
	"</div>\n"
	"<footer class=\"govuk-template__footer\">\n"
	"<div class=\"govuk-footer\">\n"
	"<div class=\"govuk-width-container\">\n"
	"<svg\n"
	"focusable=\"false\"\n"
	"role=\"presentation\"\n"
	"xmlns=\"http://www.w3.org/2000/svg\"\n"
	"viewBox=\"0 0 64 60\"\n"
	"height=\"30\"\n"
	"width=\"32\"\n"
	"fill=\"currentcolor\" class=\"govuk-footer__crown\"\n"
	">\n"
	"<g>\n"
	"<circle cx=\"20\" cy=\"17.6\" r=\"3.7\"/>\n"
	"<circle cx=\"10.2\" cy=\"23.5\" r=\"3.7\"/>\n"
	"<circle cx=\"3.7\" cy=\"33.2\" r=\"3.7\"/>\n"
	"<circle cx=\"31.7\" cy=\"30.6\" r=\"3.7\"/>\n"
	"<circle cx=\"43.3\" cy=\"17.6\" r=\"3.7\"/>\n"
	"<circle cx=\"53.2\" cy=\"23.5\" r=\"3.7\"/>\n"
	"<circle cx=\"59.7\" cy=\"33.2\" r=\"3.7\"/>\n"
	"<circle cx=\"31.7\" cy=\"30.6\" r=\"3.7\"/>\n"
	"<path d=\"M33.1,9.8c.2-.1.3-.3.5-.5l4.6,2.4v-6.8l-4.6,1.5c-.1-.2-.3-.3-.5-.5l1.9-5.9h-6.7l1.9,5.9c-.2.1-.3.3-.5.5l-4.6-1.5v6.8l4.6-2.4c.1.2.3.3.5.5l-2.6,8c-.9,2.8,1.2,5.7,4.1,5.7h0c3,0,5.1-2.9,4.1-5.7l-2.6-8ZM37,37.9s-3.4,3.8-4.1,6.1c2.2,0,4.2-.5,6.4-2.8l-.7,8.5c-2-2.8-4.4-4.1-5.7-3.8.1,3.1.5,6.7,5.8,7.2,3.7.3,6.7-1.5,7-3.8.4-2.6-2-4.3-3.7-1.6-1.4-4.5,2.4-6.1,4.9-3.2-1.9-4.5-1.8-7.7,2.4-10.9,3,4,2.6,7.3-1.2,11.1,2.4-1.3,6.2,0,4,4.6-1.2-2.8-3.7-2.2-4.2.2-.3,1.7.7,3.7,3,4.2,1.9.3,4.7-.9,7-5.9-1.3,0-2.4.7-3.9,1.7l2.4-8c.6,2.3,1.4,3.7,2.2,4.5.6-1.6.5-2.8,0-5.3l5,1.8c-2.6,3.6-5.2,8.7-7.3,17.5-7.4-1.1-15.7-1.7-24.5-1.7h0c-8.8,0-17.1.6-24.5,1.7-2.1-8.9-4.7-13.9-7.3-17.5l5-1.8c-.5,2.5-.6,3.7,0,5.3.8-.8,1.6-2.3,2.2-4.5l2.4,8c-1.5-1-2.6-1.7-3.9-1.7,2.3,5,5.2,6.2,7,5.9,2.3-.4,3.3-2.4,3-4.2-.5-2.4-3-3.1-4.2-.2-2.2-4.6,1.6-6,4-4.6-3.7-3.7-4.2-7.1-1.2-11.1,4.2,3.2,4.3,6.4,2.4,10.9,2.5-2.8,6.3-1.3,4.9,3.2-1.8-2.7-4.1-1-3.7,1.6.3,2.3,3.3,4.1,7,3.8,5.4-.5,5.7-4.2,5.8-7.2-1.3-.2-3.7,1-5.7,3.8l-.7-8.5c2.2,2.3,4.2,2.7,6.4,2.8-.7-2.3-4.1-6.1-4.1-6.1h10.6,0Z\"/>\n"
	"</g>\n"
	"</svg>\n"
	"<div class=\"govuk-footer__meta\">\n"
	"<div class=\"govuk-footer__meta-item govuk-footer__meta-item--grow\">\n"
	"<svg\n"
	"aria-hidden=\"true\"\n"
	"focusable=\"false\"\n"
	"class=\"govuk-footer__licence-logo\"\n"
	"xmlns=\"http://www.w3.org/2000/svg\"\n"
	"viewBox=\"0 0 483.2 195.7\"\n"
	"height=\"17\"\n"
	"width=\"41\"\n"
	">\n"
	"<path\n"
	"fill=\"currentColor\"\n"
	"d=\"M421.5 142.8V.1l-50.7 32.3v161.1h112.4v-50.7zm-122.3-9.6A47.12 47.12 0 0 1 221 97.8c0-26 21.1-47.1 47.1-47.1 16.7 0 31.4 8.7 39.7 21.8l42.7-27.2A97.63 97.63 0 0 0 268.1 0c-36.5 0-68.3 20.1-85.1 49.7A98 98 0 0 0 97.8 0C43.9 0 0 43.9 0 97.8s43.9 97.8 97.8 97.8c36.5 0 68.3-20.1 85.1-49.7a97.76 97.76 0 0 0 149.6 25.4l19.4 22.2h3v-87.8h-80l24.3 27.5zM97.8 145c-26 0-47.1-21.1-47.1-47.1s21.1-47.1 47.1-47.1 47.2 21 47.2 47S123.8 145 97.8 145\"\n"
	"/>\n"
	"</svg>\n"
	"<span class=\"govuk-footer__licence-description\">\n"
	"All content is available under the\n"
	"<a\n"
	"class=\"govuk-footer__link\"\n"
	"href=\"https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/\"\n"
	"rel=\"license\"\n"
	">Open Government Licence v3.0</a>, except where otherwise stated\n"
	"</span>\n"
	"</div>\n"
	"<div class=\"govuk-footer__meta-item\">\n"
	"<a\n"
	"class=\"govuk-footer__link govuk-footer__copyright-logo\"\n"
	"href=\"https://www.nationalarchives.gov.uk/information-management/re-using-public-sector-information/uk-government-licensing-framework/crown-copyright/\"\n"
	">\n"
	"© Crown copyright\n"
	"</a>\n"
	"</div>\n"
	"</div>\n"
	"</div>\n"
	"</div>\n"
	"</footer>\n"
	"<script type=\"module\" src=\"/assets/callin/init.js\"></script>\n"
	"</body>\n"
	"</html>\n";

void
cl_page_render(cl_buf *out, const char *title, int has_error,
    const char *before_content, const char *content)
{
	cl_buf t = CL_BUF_INIT;

	if (has_error)
		cl_buf_puts(&t, "Error: ");
	cl_buf_puts(&t, title);
	cl_tmpl_var vars[] = {
		{ "title", cl_buf_str(&t) },
		{ "before_content", before_content ? before_content : "" },
		{ NULL, NULL },
	};
	(void)cl_tmpl_render(out, layout_head, vars);
	cl_buf_puts(out, content);
	cl_buf_puts(out, layout_foot);
	cl_buf_free(&t);
}

void
cl_page_time(const char *iso, char *out, size_t n)
{
	static const char *const months[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	int y, mo, d, h, mi, s;

	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) == 6 &&
	    mo >= 1 && mo <= 12)
		snprintf(out, n, "%d %s %d at %02d:%02d:%02d UTC", d, months[mo - 1], y, h, mi, s);
	else
		snprintf(out, n, "%s", iso);
}
