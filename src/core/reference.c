/* reference.c: make and check "CIR-XXXX-XXXX" references (see reference.h). */
#include <string.h>

#include "callin/rand.h"
#include "callin/reference.h"

#define NCHARS 8 /* characters after "CIR-", no hyphens */
#define RADIX 31
#define INV8 4 /* 8 * 4 = 32 = 1 (mod 31) */

const char cl_reference_alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

_Static_assert(sizeof(cl_reference_alphabet) - 1 == RADIX, "31 characters");

/* Return the value of reference character c (upper case), or -1. */
static int
value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(cl_reference_alphabet, c)) == NULL)
		return -1;
	return (int)(p - cl_reference_alphabet);
}

/* Return the weighted sum of the first n values of v, mod 31. */
static int
checksum(const int *v, int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum = (sum + (i + 1) * v[i]) % RADIX;
	return sum;
}

/* Write "CIR-" and the eight values of v, with the middle hyphen, to out. */
static void
format(const int *v, char out[CL_REFERENCE_MAX])
{
	int i, o = 4;

	memcpy(out, "CIR-", 4);
	for (i = 0; i < NCHARS; i++) {
		if (i == 4)
			out[o++] = '-';
		out[o++] = cl_reference_alphabet[v[i]];
	}
	out[o] = '\0';
}

/*
 * Draw the seven random values from the n bytes at p (rejection sampling:
 * bytes below 248 = 8 * 31 map evenly) into v, starting at *k.  Returns
 * how many values v holds now.
 */
static int
draw(const unsigned char *p, size_t n, int *v, int k)
{
	for (size_t i = 0; i < n && k < NCHARS - 1; i++)
		if (p[i] < 8 * RADIX)
			v[k++] = p[i] % RADIX;
	return k;
}

/* Add the check character to the seven values of v and write out. */
static void
finish(int *v, char out[CL_REFERENCE_MAX])
{
	v[NCHARS - 1] = (RADIX - checksum(v, NCHARS - 1)) * INV8 % RADIX;
	format(v, out);
}

cl_err
cl_reference_new(char out[CL_REFERENCE_MAX])
{
	unsigned char bytes[32];
	int v[NCHARS], n = 0;
	cl_err rc;

	out[0] = '\0';
	while (n < NCHARS - 1) {
		if ((rc = cl_random_bytes(bytes, sizeof bytes)) != CL_OK)
			return rc;
		n = draw(bytes, sizeof bytes, v, n);
	}
	finish(v, out);
	return CL_OK;
}

void
cl_reference_from(const unsigned char seed[32], char out[CL_REFERENCE_MAX])
{
	int v[NCHARS], n = draw(seed, 32, v, 0);

	/* 32 bytes hold fewer than 7 usable ones about once in 10^25. */
	for (int i = 0; n < NCHARS - 1; i++)
		v[n++] = seed[i] % RADIX;
	finish(v, out);
}

int
cl_reference_valid(const char *s)
{
	int v[NCHARS], i, o = 4;

	if (s == NULL || strlen(s) != CL_REFERENCE_LEN ||
	    memcmp(s, "CIR-", 4) != 0 || s[8] != '-')
		return 0;
	for (i = 0; i < NCHARS; i++) {
		if (i == 4)
			o++;
		if ((v[i] = value(s[o++])) < 0)
			return 0;
	}
	return checksum(v, NCHARS) == 0;
}
