/*
 * test_reference.c: "CIR-XXXX-XXXX" references: format, the check
 * character (every single substitution and every transposition caught,
 * exhaustively, on many samples) and randomness.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "callin/rand.h"
#include "callin/reference.h"

#define ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#define SAMPLES 2000

/* Offsets of the eight characters in "CIR-XXXX-XXXX". */
static const int pos[8] = { 4, 5, 6, 7, 9, 10, 11, 12 };

static void
test_alphabet(void **state)
{
	const char *c;

	(void)state;
	assert_string_equal(cl_reference_alphabet, ALPHABET);
	assert_int_equal(strlen(ALPHABET), 31);
	for (c = "01ILO"; *c != '\0'; c++)
		assert_null(strchr(cl_reference_alphabet, *c));
}

static void
test_format(void **state)
{
	char ref[CL_REFERENCE_MAX];
	int i, k;

	(void)state;
	for (i = 0; i < SAMPLES; i++) {
		assert_int_equal(cl_reference_new(ref), CL_OK);
		assert_int_equal(strlen(ref), CL_REFERENCE_LEN);
		assert_memory_equal(ref, "CIR-", 4);
		assert_int_equal(ref[8], '-');
		for (k = 0; k < 8; k++)
			assert_non_null(strchr(ALPHABET, ref[pos[k]]));
		assert_true(cl_reference_valid(ref));
	}
}

/* For each sample, every one of the 8 * 30 single substitutions and every
 * transposition of two different characters is refused. */
static void
test_check_character_catches_typos(void **state)
{
	char ref[CL_REFERENCE_MAX], typo[CL_REFERENCE_MAX];
	int i, k, j, c, subs = 0, swaps = 0;

	(void)state;
	for (i = 0; i < SAMPLES; i++) {
		assert_int_equal(cl_reference_new(ref), CL_OK);
		for (k = 0; k < 8; k++)
			for (c = 0; c < 31; c++) {
				if (ALPHABET[c] == ref[pos[k]])
					continue;
				memcpy(typo, ref, sizeof typo);
				typo[pos[k]] = ALPHABET[c];
				if (cl_reference_valid(typo))
					fail_msg("%s -> %s passed", ref, typo);
				subs++;
			}
		for (k = 0; k < 8; k++)
			for (j = k + 1; j < 8; j++) {
				if (ref[pos[k]] == ref[pos[j]])
					continue;
				memcpy(typo, ref, sizeof typo);
				typo[pos[k]] = ref[pos[j]];
				typo[pos[j]] = ref[pos[k]];
				if (cl_reference_valid(typo))
					fail_msg("%s -> %s passed", ref, typo);
				swaps++;
			}
	}
	assert_int_equal(subs, SAMPLES * 8 * 30);
	assert_true(swaps > SAMPLES * 20);
}

/*
 * The proof, exhaustively: over all 31^2 pairs of values at each pair of
 * positions, a substitution or a swap never keeps the weighted sum.  This
 * covers every reference, not only samples.
 */
static void
test_check_scheme_exhaustive(void **state)
{
	char ref[CL_REFERENCE_MAX] = "CIR-2222-2222", base[CL_REFERENCE_MAX];
	int k, j, a, b, valid = 0;

	(void)state;
	/* "2" has value 0, so the all-"2" reference is valid. */
	assert_true(cl_reference_valid(ref));
	memcpy(base, ref, sizeof base);
	for (k = 0; k < 8; k++)
		for (a = 0; a < 31; a++) {
			/* Only the all-zero choice keeps the sum at zero. */
			memcpy(ref, base, sizeof ref);
			ref[pos[k]] = ALPHABET[a];
			assert_int_equal(cl_reference_valid(ref), a == 0);
		}
	/* Fix the check character of every two-position variation, then
	 * swap the two positions: valid only when the characters match. */
	for (k = 0; k < 7; k++)
		for (j = k + 1; j < 7; j++)
			for (a = 0; a < 31; a++)
				for (b = 0; b < 31; b++) {
					int c;

					memcpy(ref, base, sizeof ref);
					ref[pos[k]] = ALPHABET[a];
					ref[pos[j]] = ALPHABET[b];
					for (c = 0; c < 31; c++) {
						ref[pos[7]] = ALPHABET[c];
						if (cl_reference_valid(ref))
							break;
					}
					assert_true(c < 31);
					valid++;
					ref[pos[k]] = ALPHABET[b];
					ref[pos[j]] = ALPHABET[a];
					assert_int_equal(cl_reference_valid(
							     ref),
					    a == b);
				}
	assert_int_equal(valid, 21 * 31 * 31);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* No repeats in a few thousand (collisions are possible in principle: the
 * store's unique index is the guarantee), and characters evenly spread. */
static void
test_random(void **state)
{
	static char refs[SAMPLES][CL_REFERENCE_MAX];
	long count[31] = { 0 }, total = 0, expected;
	int i, k;

	(void)state;
	for (i = 0; i < SAMPLES; i++)
		assert_int_equal(cl_reference_new(refs[i]), CL_OK);
	qsort(refs, SAMPLES, sizeof refs[0], cmp);
	for (i = 1; i < SAMPLES; i++)
		assert_string_not_equal(refs[i - 1], refs[i]);
	for (i = 0; i < 20000; i++) {
		char ref[CL_REFERENCE_MAX];

		assert_int_equal(cl_reference_new(ref), CL_OK);
		for (k = 0; k < 7; k++) {
			count[strchr(ALPHABET, ref[pos[k]]) - ALPHABET]++;
			total++;
		}
	}
	/* 140,000 draws, 4,516 expected per character, sd about 66: a 10 %
	 * band is about 7 sd wide. */
	expected = total / 31;
	for (k = 0; k < 31; k++)
		if (count[k] < expected * 9 / 10 ||
		    count[k] > expected * 11 / 10)
			fail_msg("%c drawn %ld times, expected about %ld",
			    ALPHABET[k], count[k], expected);
}

static void
test_valid_is_strict(void **state)
{
	char ref[CL_REFERENCE_MAX], lower[CL_REFERENCE_MAX];
	size_t i;

	(void)state;
	assert_int_equal(cl_reference_new(ref), CL_OK);
	for (i = 0; i < sizeof ref; i++)
		lower[i] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ?
			ref[i] - 'A' + 'a' :
			ref[i]);
	assert_false(cl_reference_valid(lower));
	assert_false(cl_reference_valid(""));
	assert_false(cl_reference_valid("CIR-2222-222"));
	assert_false(cl_reference_valid("CIR-2222-22222"));
	assert_false(cl_reference_valid("CIR22222-2222"));
	assert_false(cl_reference_valid("CIR-2222 2222"));
	assert_false(cl_reference_valid("CIX-2222-2222"));
	assert_false(cl_reference_valid("CIR-0000-0000"));
	assert_false(cl_reference_valid("CIR-OOOO-OOOO"));
	assert_false(cl_reference_valid("CIR-2222-2222\n"));
	assert_true(cl_reference_valid("CIR-2222-2222"));
}

/* A seed stands for one valid reference; another seed for another. */
static void
test_from_seed(void **state)
{
	unsigned char seed[32];
	char a[CL_REFERENCE_MAX], b[CL_REFERENCE_MAX], c[CL_REFERENCE_MAX];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(cl_random_bytes(seed, sizeof seed), CL_OK);
		cl_reference_from(seed, a);
		cl_reference_from(seed, b);
		assert_string_equal(a, b);
		assert_true(cl_reference_valid(a));
		seed[0] ^= 1;
		cl_reference_from(seed, c);
		assert_true(cl_reference_valid(c));
	}
	memset(seed, 0xff, sizeof seed); /* no usable byte at all */
	cl_reference_from(seed, a);
	assert_true(cl_reference_valid(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_seed),
		cmocka_unit_test(test_alphabet),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_check_character_catches_typos),
		cmocka_unit_test(test_check_scheme_exhaustive),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_valid_is_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
