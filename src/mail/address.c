/*
 * address.c: the sender from the mail_from setting and the staff address
 * list, each address checked by cl_email_valid().  libcurl 7.88 copies envelope addresses
 * into MAIL FROM and RCPT TO commands without looking at them, so anything
 * not checked here could smuggle a command onto the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/email.h"
#include "callin/mail.h"

/*
 * Append the display name (n bytes at s, trimmed) to out as a phrase: as
 * is when it is atoms and spaces only, quoted when it has other printable
 * ASCII, RFC 2047 encoded (by cl_mail_header) otherwise.  CL_EINVAL when it
 * has a control character.
 */
static cl_err
put_display(const char *s, size_t n, cl_buf *out)
{
	int plain = 1, ascii = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return CL_EINVAL;
		if (c >= 0x80)
			ascii = 0;
		else if (c != ' ' && !cl_email_atext(c))
			plain = 0;
	}
	if (ascii && plain) {
		cl_buf_add(out, s, n);
		return CL_OK;
	}
	if (ascii) {
		cl_buf_putc(out, '"');
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				cl_buf_putc(out, '\\');
			cl_buf_putc(out, s[i]);
		}
		cl_buf_putc(out, '"');
		return CL_OK;
	}
	/* Non-ASCII: let the header encoder make encoded-words of it. */
	cl_buf_add(out, s, n);
	return CL_OK;
}

cl_err
cl_mail_from_parse(const char *mail_from, cl_mail_from *out, char *err,
    size_t errlen)
{
	const char *lt, *gt, *s, *e;
	cl_buf name = CL_BUF_INIT, line = CL_BUF_INIT;
	size_t alen;
	cl_err rc = CL_EINVAL;

	memset(out, 0, sizeof *out);
	lt = strchr(mail_from, '<');
	gt = strrchr(mail_from, '>');
	if (lt == NULL && gt == NULL) {
		s = mail_from;
		e = s + strlen(s);
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
	} else if (lt != NULL && gt != NULL && gt > lt && gt[1] == '\0' &&
	    strchr(lt + 1, '<') == NULL) {
		s = lt + 1;
		e = gt;
	} else {
		snprintf(err, errlen,
		    "\"%s\" is neither addr@domain nor "
		    "Name <addr@domain>",
		    mail_from);
		goto err;
	}
	alen = (size_t)(e - s);
	if (alen >= sizeof out->addr) {
		snprintf(err, errlen, "the address is too long");
		goto err;
	}
	memcpy(out->addr, s, alen);
	out->addr[alen] = '\0';
	if (!cl_email_valid(out->addr)) {
		snprintf(err, errlen,
		    "\"%s\" is not a plain e-mail address "
		    "(local@domain.example)",
		    out->addr);
		goto err;
	}
	out->domain = strchr(out->addr, '@') + 1;
	if (lt != NULL) {
		s = mail_from;
		e = lt;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s + 1 && *s == '"' && e[-1] == '"') {
			s++;
			e--;
		}
		if (e > s && put_display(s, (size_t)(e - s), &name) != CL_OK) {
			snprintf(err, errlen,
			    "the display name has a control "
			    "character");
			goto err;
		}
	}
	/* Build the header value through the encoder, then drop "From: ". */
	if (name.len > 0) {
		cl_buf_putc(&name, ' ');
	}
	cl_buf_printf(&name, "<%s>", out->addr);
	cl_mail_header(&line, "From", cl_buf_str(&name));
	out->header = cl_strdup(line.data + strlen("From: "));
	rc = CL_OK;
err:
	cl_buf_free(&name);
	cl_buf_free(&line);
	return rc;
}

void
cl_mail_from_free(cl_mail_from *from)
{
	free(from->header);
	memset(from, 0, sizeof *from);
}

cl_err
cl_mail_addr_list_check(const char *list, char *err, size_t errlen)
{
	char addr[CL_EMAIL_ADDR_MAX];
	const char *p = list, *s, *e;
	size_t len, count = 0;

	while (*p != '\0') {
		len = strcspn(p, ",");
		s = p;
		e = p + len;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			if ((size_t)(e - s) >= sizeof addr) {
				snprintf(err, errlen,
				    "an address is longer "
				    "than %d characters",
				    CL_EMAIL_ADDR_MAX - 1);
				return CL_EINVAL;
			}
			memcpy(addr, s, (size_t)(e - s));
			addr[e - s] = '\0';
			if (!cl_email_valid(addr)) {
				snprintf(err, errlen,
				    "\"%s\" is not a plain "
				    "e-mail address",
				    addr);
				return CL_EINVAL;
			}
			count++;
		}
		p += len + (p[len] == ',');
	}
	if (count == 0) {
		snprintf(err, errlen, "no address");
		return CL_EINVAL;
	}
	return CL_OK;
}
