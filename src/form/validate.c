/*
 * validate.c: checks the form's answers against the field table and the
 * rules of DESIGN.md §3 (summarised in form.h), collecting GOV.UK-style
 * errors in page order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callin/alloc.h"
#include "callin/email.h"
#include "callin/form.h"
#include "callin/utf8.h"

/* The earliest decision date accepted: 1 January 1948. */
#define MIN_YEAR 1948

/* A slice of an answer's bytes. */
typedef struct span {
	const char *p;
	size_t n;
} span;

/* What the rules that depend on other answers need to know. */
typedef struct facts {
	int organisation_needed; /* requester_type not individual */
	int stage_known;	 /* proposal_stage is a valid answer */
	int decided;		 /* ...and a decision has been made */
	long long today;	 /* UK date now, days since 1970 */
} facts;

/* ------------------------------------------------------------------ */
/* Errors.                                                             */

/*
 * Insert an error on field f after those held for fields up to f, so the
 * list stays in page order whatever order checks run in.
 */
static void
insert(cl_form_errors *errs, cl_field_id f, cl_ferr kind, size_t input,
    unsigned parts, const char *message)
{
	cl_form_error *e;
	size_t at;

	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 8;
		errs->v = cl_realloc(errs->v, errs->cap * sizeof(errs->v[0]));
	}
	for (at = errs->n; at > 0 && errs->v[at - 1].field > f; at--)
		;
	memmove(&errs->v[at + 1], &errs->v[at],
	    (errs->n - at) * sizeof(errs->v[0]));
	errs->n++;
	e = &errs->v[at];
	e->field = f;
	e->name = cl_fields[f].name;
	cl_field_input_id(f, input, e->anchor);
	e->kind = kind;
	e->parts = parts;
	e->message = cl_strdup(message);
}

/* Add the table's message for kind on field f, linking to input. */
static void
fail(cl_form_errors *errs, cl_field_id f, cl_ferr kind, size_t input,
    unsigned parts)
{
	const char *msg = cl_fields[f].msg[kind];

	/* Every message the checks use is in the table (a unit test makes
	 * sure); the label keeps a gap from becoming a crash. */
	if (msg == NULL)
		msg = cl_fields[f].label;
	insert(errs, f, kind, input, parts, msg);
}

void
cl_form_errors_add(cl_form_errors *errs, cl_field_id f, cl_ferr kind,
    const char *message)
{
	insert(errs, f, kind, 0, 0, message);
}

const cl_form_error *
cl_form_error_find(const cl_form_errors *errs, const char *name)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->v[i].name, name) == 0)
			return &errs->v[i];
	return NULL;
}

void
cl_form_errors_free(cl_form_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->v[i].message);
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Text.                                                               */

/* Return 1 if c is white space trimmed from values of a field of kind. */
static int
trimmed(cl_field_kind kind, char c)
{
	if (c == ' ')
		return 1;
	return kind == CL_KIND_TEXTAREA &&
	    (c == '\t' || c == '\r' || c == '\n');
}

/*
 * Return the answer's value without the white space its kind trims: spaces
 * for one-line fields (a tab, CR or LF there stays, to be refused), and
 * spaces, tabs, CR and LF for multi-line ones.
 */
static span
trim(cl_field_kind kind, const cl_answer *e)
{
	span s = { e->value, e->len };

	while (s.n > 0 && trimmed(kind, s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && trimmed(kind, s.p[s.n - 1]))
		s.n--;
	return s;
}

void
cl_form_normalise(cl_answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		cl_answer *e = &a->v[i];
		cl_field_id f = cl_field_lookup(e->name);
		span s;

		if (f == CL_F__MAX)
			continue;
		if (!cl_field_is_text(f) && cl_fields[f].kind != CL_KIND_DATE &&
		    cl_fields[f].kind != CL_KIND_TEXTAREA)
			continue;
		s = trim(cl_fields[f].kind, e);
		memmove(e->value, s.p, s.n);
		e->value[s.n] = '\0';
		e->len = s.n;
	}
}

/*
 * Check the characters of s: valid UTF-8 (else CL_FE_ENCODING) and no
 * control characters, C0, DEL or C1, except TAB, CR and LF when multiline
 * (else CL_FE_CONTROL); on one line, none of cl_utf8_hidden() (else
 * CL_FE_HIDDEN).  Return CL_FE__MAX when all is well.
 */
static cl_ferr
check_chars(span s, int multiline)
{
	uint32_t cp;
	size_t i, len;

	if (!cl_utf8_valid(s.p, s.n))
		return CL_FE_ENCODING;
	for (i = 0; i < s.n; i += len) {
		len = cl_utf8_decode(s.p + i, s.n - i, &cp);
		if (len == 0)
			return CL_FE_ENCODING;
		if (multiline && (cp == '\t' || cp == '\r' || cp == '\n'))
			continue;
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return CL_FE_CONTROL;
		if (!multiline && cl_utf8_hidden(cp))
			return CL_FE_HIDDEN;
	}
	return CL_FE__MAX;
}

/* Return the characters in valid UTF-8 s, a CR LF pair counting as one. */
static size_t
count_chars(span s)
{
	size_t i, n = cl_utf8_chars(s.p, s.n);

	for (i = 0; i + 1 < s.n; i++)
		if (s.p[i] == '\r' && s.p[i + 1] == '\n')
			n--;
	return n;
}

/*
 * Return 1 if s is an address we accept (rules in form.h), else 0: one the
 * mailer can put in an envelope (cl_email_valid, the one definition of
 * that), whose domain also has two labels or more, the last not all digits.
 */
static int
email_ok(span s)
{
	char addr[CL_EMAIL_ADDR_MAX];
	const char *dot;

	if (s.n >= sizeof addr || memchr(s.p, '\0', s.n) != NULL)
		return 0;
	memcpy(addr, s.p, s.n);
	addr[s.n] = '\0';
	if (!cl_email_valid(addr))
		return 0;
	dot = strrchr(addr, '.');
	if (dot == NULL || dot < strchr(addr, '@'))
		return 0;
	return strspn(dot + 1, "0123456789") != strlen(dot + 1);
}

/* Return 1 if s is a phone number we accept: digits, spaces, + ( ) -. */
static int
phone_ok(span s)
{
	size_t i, digits = 0;

	for (i = 0; i < s.n; i++) {
		if (s.p[i] >= '0' && s.p[i] <= '9')
			digits++;
		else if (strchr(" +()-", s.p[i]) == NULL || s.p[i] == '\0')
			return 0;
	}
	return digits > 0;
}

/* Return 1 if field f must be answered given the facts. */
static int
required(cl_field_id f, const facts *fx)
{
	switch (cl_fields[f].req) {
	case CL_REQ_ALWAYS: return 1;
	case CL_REQ_UNLESS_INDIVIDUAL: return fx->organisation_needed;
	case CL_REQ_WHEN_DECIDED: return fx->decided;
	default: return 0;
	}
}

/*
 * The one non-empty answer to the single-valued field f in a, or NULL with
 * the error recorded: sent more than once, or missing when required.  An
 * empty answer to an optional field is NULL with no error.  Cannot fail.
 */
static const cl_answer *
single_answer(const cl_answers *a, cl_field_id f, const facts *fx,
    cl_form_errors *errs)
{
	const cl_answer *e;

	if (cl_answers_count(a, cl_fields[f].name) > 1) {
		fail(errs, f, CL_FE_REPEATED, 0, 0);
		return NULL;
	}
	if ((e = cl_answers_find(a, cl_fields[f].name)) == NULL ||
	    e->len == 0) {
		if (required(f, fx))
			fail(errs, f, CL_FE_MISSING, 0, 0);
		return NULL;
	}
	return e;
}

/* Check a text, textarea, email or tel field. */
static void
check_text(const cl_answers *a, cl_field_id f, const facts *fx,
    cl_form_errors *errs)
{
	const cl_field *fd = &cl_fields[f];
	const cl_answer *e;
	cl_ferr bad;
	span s;

	if ((e = single_answer(a, f, fx, errs)) == NULL)
		return;
	s = trim(fd->kind, e);
	bad = check_chars(s, fd->kind == CL_KIND_TEXTAREA);
	if (bad != CL_FE__MAX) {
		fail(errs, f, bad, 0, 0);
		return;
	}
	if (s.n == 0) {
		if (required(f, fx))
			fail(errs, f, CL_FE_MISSING, 0, 0);
		return;
	}
	if (fd->max_chars > 0 && count_chars(s) > fd->max_chars) {
		fail(errs, f, CL_FE_TOO_LONG, 0, 0);
		return;
	}
	if ((fd->kind == CL_KIND_EMAIL && !email_ok(s)) ||
	    (fd->kind == CL_KIND_TEL && !phone_ok(s)))
		fail(errs, f, CL_FE_INVALID, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Choices.                                                            */

/* Return the index of option value e in field f's options, or -1. */
static int
option_index(cl_field_id f, const cl_answer *e)
{
	const cl_field *fd = &cl_fields[f];
	size_t i;

	for (i = 0; i < fd->noptions; i++)
		if (strlen(fd->options[i].value) == e->len &&
		    memcmp(fd->options[i].value, e->value, e->len) == 0)
			return (int)i;
	return -1;
}

/*
 * Return the option chosen for radio or select field f when it was sent
 * once with a valid value, else NULL.
 */
static const char *
chosen(const cl_answers *a, cl_field_id f)
{
	const cl_answer *e;
	int i;

	if (cl_answers_count(a, cl_fields[f].name) != 1)
		return NULL;
	e = cl_answers_find(a, cl_fields[f].name);
	if ((i = option_index(f, e)) < 0)
		return NULL;
	return cl_fields[f].options[i].value;
}

/* Check a radio, select or single-checkbox field. */
static void
check_choice(const cl_answers *a, cl_field_id f, const facts *fx,
    cl_form_errors *errs)
{
	const cl_answer *e;

	if ((e = single_answer(a, f, fx, errs)) != NULL &&
	    option_index(f, e) < 0)
		fail(errs, f, CL_FE_INVALID, 0, 0);
}

/* Check the grounds checkboxes: at least one, known, each once, and
 * best_interests only once a decision has been made. */
static void
check_checkboxes(const cl_answers *a, cl_field_id f, const facts *fx,
    cl_form_errors *errs)
{
	const cl_field *fd = &cl_fields[f];
	size_t i, seen = 0, count[8] = { 0 };
	int k, repeated = 0, invalid = 0;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].name, fd->name) != 0)
			continue;
		seen++;
		if ((k = option_index(f, &a->v[i])) < 0 ||
		    (size_t)k >= sizeof(count) / sizeof(count[0]))
			invalid = 1;
		else if (count[k]++ > 0)
			repeated = 1;
	}
	if (seen == 0) {
		if (required(f, fx))
			fail(errs, f, CL_FE_MISSING, 0, 0);
		return;
	}
	if (invalid) {
		fail(errs, f, CL_FE_INVALID, 0, 0);
		return;
	}
	if (repeated) {
		fail(errs, f, CL_FE_REPEATED, 0, 0);
		return;
	}
	if (fx->stage_known && !fx->decided &&
	    cl_answers_has(a, fd->name, "best_interests"))
		fail(errs, f, CL_FE_NOT_ALLOWED, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Dates.                                                              */

/* Return floor(a / b) for b > 0. */
static long long
floor_div(long long a, long long b)
{
	return a / b - (a % b < 0);
}

/* Return the days from 1970-01-01 to y-m-d, proleptic Gregorian. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Return the year of day z (days since 1970-01-01). */
static long long
year_of(long long z)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* Return the last Sunday on or before day z. */
static long long
sunday_before(long long z)
{
	/* 1970-01-01 was a Thursday: weekday (z + 4) mod 7, Sunday 0. */
	return z - ((z % 7 + 7 + 4) % 7);
}

/*
 * Return the date in the UK at now, in days since 1970-01-01: British
 * Summer Time (UTC+1) runs from 01:00 UTC on the last Sunday in March to
 * 01:00 UTC on the last Sunday in October.
 */
static long long
uk_today(time_t now)
{
	long long s = (long long)now, y, start, end;

	y = year_of(floor_div(s, 86400));
	start = sunday_before(days_from_civil(y, 3, 31)) * 86400 + 3600;
	end = sunday_before(days_from_civil(y, 10, 31)) * 86400 + 3600;
	if (s >= start && s < end)
		s += 3600;
	return floor_div(s, 86400);
}

/* Return the days in month m (1-12) of year y. */
static unsigned
days_in_month(long long y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Return 1 if s is one or more ASCII digits, else 0. */
static int
all_digits(span s)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
	return s.n > 0;
}

/* Return the value of the digits of s (at most 4 of them). */
static int
number(span s)
{
	int v = 0;
	size_t i;

	for (i = 0; i < s.n; i++)
		v = v * 10 + (s.p[i] - '0');
	return v;
}

/* Return the first part set in mask (CL_DATE_PART_* bits) as an index. */
static size_t
first_part(unsigned mask)
{
	if (mask & CL_DATE_PART_DAY)
		return CL_DATE_DAY;
	if (mask & CL_DATE_PART_MONTH)
		return CL_DATE_MONTH;
	return CL_DATE_YEAR;
}

/* Check a GOV.UK date input: its three parts, then the date they make. */
static void
check_date(const cl_answers *a, cl_field_id f, const facts *fx,
    cl_form_errors *errs)
{
	static const cl_ferr missing[8] = {
		[CL_DATE_PART_DAY] = CL_FE_DATE_NO_DAY,
		[CL_DATE_PART_MONTH] = CL_FE_DATE_NO_MONTH,
		[CL_DATE_PART_YEAR] = CL_FE_DATE_NO_YEAR,
		[CL_DATE_PART_DAY |
		    CL_DATE_PART_MONTH] = CL_FE_DATE_NO_DAY_MONTH,
		[CL_DATE_PART_DAY | CL_DATE_PART_YEAR] = CL_FE_DATE_NO_DAY_YEAR,
		[CL_DATE_PART_MONTH |
		    CL_DATE_PART_YEAR] = CL_FE_DATE_NO_MONTH_YEAR,
	};
	const unsigned all = CL_DATE_PART_DAY | CL_DATE_PART_MONTH |
	    CL_DATE_PART_YEAR;
	const size_t maxdigits[CL_DATE__MAX] = { 2, 2, 4 };
	char name[CL_INPUT_ID_MAX];
	span part[CL_DATE__MAX];
	long long day;
	int v[CL_DATE__MAX];
	unsigned empty = 0, bad = 0;
	const cl_answer *e;
	cl_ferr kind;
	size_t i;

	for (i = 0; i < CL_DATE__MAX; i++) {
		cl_field_input_id(f, i, name);
		if (cl_answers_count(a, name) > 1) {
			fail(errs, f, CL_FE_REPEATED, i, 1u << i);
			return;
		}
		part[i].p = "";
		part[i].n = 0;
		if ((e = cl_answers_find(a, name)) != NULL)
			part[i] = trim(CL_KIND_DATE, e);
		if ((kind = check_chars(part[i], 0)) != CL_FE__MAX) {
			fail(errs, f, kind, i, 1u << i);
			return;
		}
		if (part[i].n == 0)
			empty |= 1u << i;
	}
	if (empty == all) {
		if (required(f, fx))
			fail(errs, f, CL_FE_MISSING, CL_DATE_DAY, all);
		return;
	}
	if (empty != 0) {
		fail(errs, f, missing[empty], first_part(empty), empty);
		return;
	}
	for (i = 0; i < CL_DATE__MAX; i++) {
		/* A year of other than 4 digits gets its own message. */
		if (!all_digits(part[i]) ||
		    (i != CL_DATE_YEAR && part[i].n > maxdigits[i]))
			bad |= 1u << i;
	}
	if (bad != 0) {
		fail(errs, f, CL_FE_DATE_REAL, first_part(bad), bad);
		return;
	}
	if (part[CL_DATE_YEAR].n != maxdigits[CL_DATE_YEAR]) {
		fail(errs, f, CL_FE_DATE_YEAR_DIGITS, CL_DATE_YEAR,
		    CL_DATE_PART_YEAR);
		return;
	}
	for (i = 0; i < CL_DATE__MAX; i++)
		v[i] = number(part[i]);
	if (v[CL_DATE_DAY] < 1 || v[CL_DATE_DAY] > 31)
		bad |= CL_DATE_PART_DAY;
	if (v[CL_DATE_MONTH] < 1 || v[CL_DATE_MONTH] > 12)
		bad |= CL_DATE_PART_MONTH;
	else if ((unsigned)v[CL_DATE_DAY] >
	    days_in_month(v[CL_DATE_YEAR], (unsigned)v[CL_DATE_MONTH]))
		bad |= CL_DATE_PART_DAY;
	if (bad != 0) {
		fail(errs, f, CL_FE_DATE_REAL, first_part(bad), bad);
		return;
	}
	day = days_from_civil(v[CL_DATE_YEAR], (unsigned)v[CL_DATE_MONTH],
	    (unsigned)v[CL_DATE_DAY]);
	if (v[CL_DATE_YEAR] < MIN_YEAR)
		fail(errs, f, CL_FE_DATE_TOO_EARLY, CL_DATE_DAY, all);
	else if (day > fx->today)
		fail(errs, f, CL_FE_DATE_FUTURE, CL_DATE_DAY, all);
}

/* ------------------------------------------------------------------ */

/* Work out what the dependent rules need from the answers. */
static void
gather(const cl_answers *a, time_t now, facts *fx)
{
	const char *who, *stage;

	who = chosen(a, CL_F_REQUESTER_TYPE);
	fx->organisation_needed = who != NULL && strcmp(who, "individual") != 0;
	stage = chosen(a, CL_F_PROPOSAL_STAGE);
	fx->stage_known = stage != NULL;
	fx->decided = stage != NULL &&
	    (strcmp(stage, "decision_made") == 0 ||
		strcmp(stage, "implementing") == 0 ||
		strcmp(stage, "implemented") == 0);
	fx->today = uk_today(now);
}

cl_err
cl_form_validate(const cl_answers *a, time_t now, cl_form_errors *errs)
{
	facts fx;
	size_t f;

	if (a == NULL || errs == NULL)
		return CL_EINVAL;
	gather(a, now, &fx);
	for (f = 0; f < CL_F__MAX; f++) {
		switch (cl_fields[f].kind) {
		case CL_KIND_TEXT:
		case CL_KIND_TEXTAREA:
		case CL_KIND_EMAIL:
		case CL_KIND_TEL:
			check_text(a, (cl_field_id)f, &fx, errs);
			break;
		case CL_KIND_RADIO:
		case CL_KIND_SELECT:
		case CL_KIND_CHECKBOX:
			check_choice(a, (cl_field_id)f, &fx, errs);
			break;
		case CL_KIND_CHECKBOXES:
			check_checkboxes(a, (cl_field_id)f, &fx, errs);
			break;
		case CL_KIND_DATE:
			check_date(a, (cl_field_id)f, &fx, errs);
			break;
		default:
			/* Files are checked as they stream in (attach.h). */
			break;
		}
	}
	return CL_OK;
}
