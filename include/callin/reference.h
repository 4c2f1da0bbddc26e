/*
 * reference.h: request references, "CIR-XXXX-XXXX".
 *
 * The eight characters come from a 31-character alphabet: the digits and
 * upper-case letters without 0, 1, I, L and O, which are easily misread.
 * Seven are random (31^7, about 2^34.7; the store's unique index catches a
 * collision and the caller draws again) and the eighth is a check
 * character: with v1..v8 the characters' values in the alphabet,
 *     1*v1 + 2*v2 + ... + 8*v8 = 0 (mod 31).
 * As 31 is prime and the weights 1..8 are distinct and non-zero mod 31, any
 * single substituted character changes the sum by w*(v'-v) != 0, and any
 * two transposed characters (adjacent or not) by (wj-wi)*(vi-vj) != 0: all
 * such typing mistakes are caught.
 */
#ifndef CALLIN_REFERENCE_H
#define CALLIN_REFERENCE_H

#include "callin/err.h"

#ifndef CL_REFERENCE_LEN
#define CL_REFERENCE_LEN 13 /* "CIR-7K3F-9QXD" */
#endif
#define CL_REFERENCE_MAX 14 /* room for a reference and its NUL */

/* The 31 characters, in value order. */
extern const char cl_reference_alphabet[];

/*
 * Write a new random reference into out.  CL_ECRYPTO when the CSPRNG
 * fails; out is then "".
 */
cl_err cl_reference_new(char out[CL_REFERENCE_MAX]);

/*
 * Write into out the reference the 32 bytes of seed (secret, random-looking)
 * stand for: the same seed, the same reference, drawn as cl_reference_new()
 * draws (the honeypot's decoy references look like real ones).  Cannot fail.
 */
void cl_reference_from(const unsigned char seed[32],
    char out[CL_REFERENCE_MAX]);
/*
 * Return 1 if s is a reference in its canonical form (upper case, with the
 * hyphens) whose check character is right, else 0.  Cannot fail.
 */
int cl_reference_valid(const char *s);

#endif /* CALLIN_REFERENCE_H */
