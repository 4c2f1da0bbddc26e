/* email.c: the e-mail address syntax the service accepts (see email.h). */
#include <string.h>

#include "callin/email.h"

int
cl_email_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Letters, digits and hyphen: what a domain label is made of. */
static int
is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Return 1 if the n bytes at d are a domain of one or more LDH labels. */
static int
domain_valid(const char *d, size_t n)
{
	size_t i, start = 0, labels = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && d[i] != '.') {
			if (!is_ldh((unsigned char)d[i]))
				return 0;
			continue;
		}
		if (i == start || i - start > 63 || d[start] == '-' ||
		    d[i - 1] == '-')
			return 0;
		labels++;
		start = i + 1;
	}
	return labels >= 1;
}

int
cl_email_valid(const char *addr)
{
	const char *at;
	size_t len, local, i;

	if (addr == NULL || (len = strlen(addr)) == 0 ||
	    len > CL_EMAIL_ADDR_MAX - 1 || (at = strchr(addr, '@')) == NULL)
		return 0;
	local = (size_t)(at - addr);
	if (local == 0 || local > CL_EMAIL_LOCAL_MAX || addr[0] == '.' ||
	    at[-1] == '.')
		return 0;
	for (i = 0; i < local; i++) {
		if (addr[i] == '.') {
			if (addr[i + 1] == '.')
				return 0;
		} else if (!cl_email_atext((unsigned char)addr[i]))
			return 0;
	}
	return domain_valid(at + 1, len - local - 1);
}
