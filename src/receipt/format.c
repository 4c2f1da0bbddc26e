/* format.c: the shapes of a receipt's reference and received values. */
#include <string.h>

#include "callin/reference.h"
#include "receipt_int.h"

/* Whether c is a reference character (reference.h's alphabet).  Cannot fail. */
static bool
ref_char(char c)
{
	return c != '\0' && strchr(cl_reference_alphabet, c) != NULL;
}

/*
 * Whether the n bytes of s are "CIR-" and two groups of four reference
 * characters joined by '-'.  The check character is the form module's
 * business: a receipt only needs the shape.  Cannot fail.
 */
bool
cl_rcpt_reference_ok(const char *s, size_t n)
{
	if (n != CL_REFERENCE_LEN || memcmp(s, "CIR-", 4) != 0 || s[8] != '-')
		return false;
	for (size_t i = 4; i < n; i++)
		if (i != 8 && !ref_char(s[i]))
			return false;
	return true;
}

/* Value of the n decimal digits at s, or -1 if one is not a digit. */
static int
digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Whether the n bytes of s are RFC 3339 UTC with whole seconds,
 * "YYYY-MM-DDTHH:MM:SSZ", naming a real date (leap years counted) and a time
 * of 00:00:00 to 23:59:59.  Cannot fail.
 */
bool
cl_rcpt_received_ok(const char *s, size_t n)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, mo, d, h, mi, se;

	if (n != CL_RECEIVED_LEN || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return false;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
		return false;
	if (mo == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}
