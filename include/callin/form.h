/*
 * form.h: the call-in request form as data: the answers received, the table
 * of fields (DESIGN.md §3 "Form fields", in page order, grouped in sections),
 * the commissioners, and validation.  Nothing here knows HTTP or HTML: the
 * page is rendered from the table and the errors by the pages module.
 *
 * Input ids (the HTML id attributes, also the error summary's link targets)
 * follow GOV.UK Frontend's macros, so the error summary links land on the
 * control that needs attention:
 *   text, textarea, email, tel, select, file, single checkbox:  "<name>"
 *   radios and checkboxes: option 0 "<name>", option i > 0 "<name>-<i+1>"
 *                          (requester_type, requester_type-2, ...)
 *   date input parts:      "<name>-day", "<name>-month", "<name>-year",
 *                          which are also the parts' name attributes.
 * cl_field_input_id() builds them; an error's anchor is one of them.
 *
 * Validation rules, decided here and documented once:
 *   - every answer is trimmed of leading and trailing spaces, tabs, CR and LF
 *     before it is judged (cl_form_normalise() trims the stored values the
 *     same way); an answer of only white space counts as not given;
 *   - lengths count characters (code points) of valid UTF-8, a CR LF pair
 *     counting as one character as it does in the browser's textarea;
 *   - one-line fields refuse every control character (C0, DEL and C1);
 *     multi-line fields allow TAB, CR and LF only;
 *   - one-line fields also refuse the invisible and direction-changing
 *     characters of cl_utf8_hidden() (bidi overrides and isolates, zero
 *     width spaces, soft hyphens, ...): a name or title must display as it
 *     reads.  Multi-line fields keep them: statements pasted from Word or a
 *     PDF carry soft hyphens and direction marks, right-to-left text needs
 *     the marks, every paragraph ends an embedding, and each answer is shown
 *     in a block of its own, so the text around it is not reordered;
 *   - each field may be sent once; grounds once per value;
 *   - organisation is required when requester_type is a valid answer other
 *     than "individual"; decision_date is required when proposal_stage is
 *     decision_made, implementing or implemented; best_interests is refused
 *     when proposal_stage is a valid answer other than those three.  When the
 *     answer a rule depends on is missing or invalid, only that answer gets
 *     an error (no second error on the dependent field);
 *   - a decision date that is entered when the stage does not need it must
 *     still be valid (it is stored); left empty it is fine;
 *   - a date is three parts: day and month of 1 or 2 digits, year of exactly
 *     4 digits, a real calendar date, on or after 1 January 1948 (the NHS
 *     began on 5 July 1948) and not after today, where today is the date in
 *     the UK (Europe/London: GMT, or BST from the last Sunday in March to the
 *     last Sunday in October) at the time now;
 *   - emails are ASCII addr-spec without quoting or comments (they become
 *     SMTP envelope addresses): local part <= 64 of atext and dots (no dot
 *     first, last or twice), domain of two or more LDH labels of <= 63, top
 *     label not all digits, <= 254 in all;
 *   - phones: digits, spaces and + ( ) - only, at least one digit, <= 30;
 *   - declarations must be the value "yes".
 */
#ifndef CALLIN_FORM_H
#define CALLIN_FORM_H

#include <stddef.h>
#include <time.h>

#include "callin/err.h"

/* ------------------------------------------------------------------ */
/* Answers: an ordered multimap of the text parts of the form.         */

typedef struct cl_answer {
	char *name;  /* field name, NUL-terminated */
	char *value; /* value, NUL-terminated copy (may hold NULs) */
	size_t len;  /* bytes of value, not counting the final NUL */
} cl_answer;

typedef struct cl_answers {
	cl_answer *v;
	size_t n, cap;
} cl_answers;

#define CL_ANSWERS_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Append a copy of name and the len bytes of value.  Cannot fail. */
void cl_answers_add(cl_answers *a, const char *name, const char *value,
    size_t len);
/* Return the first answer called name, or NULL.  Cannot fail. */
const cl_answer *cl_answers_find(const cl_answers *a, const char *name);
/* Return the first value called name, or NULL.  Cannot fail. */
const char *cl_answers_get(const cl_answers *a, const char *name);
/* Return how many answers are called name.  Cannot fail. */
size_t cl_answers_count(const cl_answers *a, const char *name);
/* Return 1 if some answer called name has exactly value, else 0. */
int cl_answers_has(const cl_answers *a, const char *name, const char *value);
/* Free the answers and leave a empty and reusable.  Cannot fail. */
void cl_answers_free(cl_answers *a);

/* ------------------------------------------------------------------ */
/* The field table.                                                    */

typedef enum cl_section_id {
	CL_SEC_ABOUT_YOU,
	CL_SEC_PROPOSAL,
	CL_SEC_GROUNDS,
	CL_SEC_LOCAL_RESOLUTION,
	CL_SEC_EVIDENCE,
	CL_SEC_DECLARATIONS,
	CL_SEC__MAX
} cl_section_id;

typedef struct cl_section {
	const char *title; /* the section's heading */
	const char *intro; /* a paragraph under it, or NULL */
} cl_section;

/* The fields, in page order. */
typedef enum cl_field_id {
	CL_F_REQUESTER_TYPE,
	CL_F_FULL_NAME,
	CL_F_ORGANISATION,
	CL_F_ROLE,
	CL_F_EMAIL,
	CL_F_PHONE,
	CL_F_PROPOSAL_TITLE,
	CL_F_COMMISSIONER,
	CL_F_SERVICES_AFFECTED,
	CL_F_CHANGE_DESCRIPTION,
	CL_F_PROPOSAL_STAGE,
	CL_F_DECISION_DATE,
	CL_F_GROUNDS,
	CL_F_GROUNDS_STATEMENT,
	CL_F_LOCAL_RESOLUTION,
	CL_F_ATTACHMENTS,
	CL_F_DECLARATION_ACCURATE,
	CL_F_DECLARATION_SHARING,
	CL_F__MAX
} cl_field_id;

typedef enum cl_field_kind {
	CL_KIND_TEXT,	    /* <input type=text>, one line */
	CL_KIND_TEXTAREA,   /* <textarea>, several lines */
	CL_KIND_EMAIL,	    /* <input type=email>, one line */
	CL_KIND_TEL,	    /* <input type=tel>, one line */
	CL_KIND_RADIO,	    /* radios: one of the options */
	CL_KIND_CHECKBOXES, /* checkboxes: a set of the options */
	CL_KIND_SELECT,	    /* <select>: one of the options */
	CL_KIND_DATE,	    /* GOV.UK date input: -day, -month, -year */
	CL_KIND_CHECKBOX,   /* one checkbox (a declaration), value "yes" */
	CL_KIND_FILE,	    /* file input, repeatable; checked by attach.h */
	CL_KIND__MAX
} cl_field_kind;

/* When a field must be answered. */
typedef enum cl_req {
	CL_REQ_ALWAYS,
	CL_REQ_NEVER,
	CL_REQ_UNLESS_INDIVIDUAL, /* requester_type other than individual */
	CL_REQ_WHEN_DECIDED,	  /* proposal_stage decision_made,
					   implementing or implemented */
	CL_REQ__MAX
} cl_req;

/* What is wrong with an answer: the index of a field's messages. */
typedef enum cl_ferr {
	CL_FE_MISSING,	   /* required and not given */
	CL_FE_TOO_LONG,	   /* more than max_chars characters */
	CL_FE_INVALID,	   /* bad format, or not one of the options */
	CL_FE_ENCODING,	   /* not valid UTF-8 */
	CL_FE_CONTROL,	   /* control characters (line breaks in one line) */
	CL_FE_HIDDEN,	   /* invisible or direction characters in one line */
	CL_FE_REPEATED,	   /* sent more than once */
	CL_FE_NOT_ALLOWED, /* best_interests before a decision */
	CL_FE_DATE_NO_DAY, /* date parts missing: */
	CL_FE_DATE_NO_MONTH,
	CL_FE_DATE_NO_YEAR,
	CL_FE_DATE_NO_DAY_MONTH,
	CL_FE_DATE_NO_DAY_YEAR,
	CL_FE_DATE_NO_MONTH_YEAR,
	CL_FE_DATE_YEAR_DIGITS, /* year not 4 digits */
	CL_FE_DATE_REAL,	/* not a real date (31 2 2024, letters) */
	CL_FE_DATE_FUTURE,	/* after today */
	CL_FE_DATE_TOO_EARLY,	/* before 1 January 1948 */
	CL_FE_ATTACHMENT,	/* a file problem (message from attach.h) */
	CL_FE__MAX
} cl_ferr;

/* One choice of a radio, checkbox or select field. */
typedef struct cl_option {
	const char *value; /* the value sent */
	const char *label; /* what the user reads */
	const char *hint;  /* a line under the label, or NULL */
	const char *group; /* select <optgroup> label, or NULL */
} cl_option;

typedef struct cl_field {
	const char *name; /* the name attribute (date: prefix) */
	cl_field_kind kind;
	cl_section_id section;
	const char *label; /* label, or legend of a fieldset */
	const char *hint;  /* hint under the label, or NULL */
	cl_req req;
	size_t max_chars;	  /* text kinds: limit in characters */
	const cl_option *options; /* radio, checkboxes, select, checkbox */
	size_t noptions;
	const char *autocomplete;    /* autocomplete attribute, or NULL */
	int spellcheck_off;	     /* 1: add spellcheck="false" */
	unsigned width;		     /* GOV.UK fixed width class (20 for
					   govuk-input--width-20), 0 full */
	const char *msg[CL_FE__MAX]; /* error messages, NULL if n/a */
} cl_field;

/* The table, indexed by cl_field_id, in page order. */
extern const cl_field cl_fields[CL_F__MAX];
/* The section headings, indexed by cl_section_id. */
extern const cl_section cl_sections[CL_SEC__MAX];

/* Return the field f (f < CL_F__MAX).  Cannot fail. */
const cl_field *cl_field_get(cl_field_id f);

/*
 * Return the field whose name is name, or CL_F__MAX when none.  Date part
 * names ("decision_date-day") give the date field.  Cannot fail.
 */
cl_field_id cl_field_lookup(const char *name);

/* Return 1 if the field's kind is one line of text (text, email, tel). */
int cl_field_is_text(cl_field_id f);

#define CL_INPUT_ID_MAX 64 /* longest input id, with its NUL */

/* Date input parts, as option indexes of cl_field_input_id(). */
#define CL_DATE_DAY 0
#define CL_DATE_MONTH 1
#define CL_DATE_YEAR 2
#define CL_DATE__MAX 3

/* The suffixes of date parts: "day", "month", "year". */
extern const char *const cl_date_parts[CL_DATE__MAX];

/*
 * Write the HTML id of input i of field f into out (scheme above): option i
 * for radios and checkboxes, part i (CL_DATE_*) for a date (the day part
 * for i beyond the year), and the field name for the rest, whatever i is.
 * Cannot fail.
 */
void cl_field_input_id(cl_field_id f, size_t i, char out[CL_INPUT_ID_MAX]);

/* ------------------------------------------------------------------ */
/* Commissioners (compiled from conf/commissioners.tsv).               */

#define CL_NCOMMISSIONERS 50 /* NHS England, its 7 regions, 42 ICBs */

/*
 * The commissioner field's options: each commissioner (value slug, label
 * name, group "NHS England" or "Integrated care boards") and last
 * "dont_know" "I don't know".
 */
extern const cl_option cl_commissioner_options[CL_NCOMMISSIONERS + 1];


/* ------------------------------------------------------------------ */
/* Validation.                                                         */

#define CL_DATE_PART_DAY 0x1 /* bits of cl_form_error.parts */
#define CL_DATE_PART_MONTH 0x2
#define CL_DATE_PART_YEAR 0x4

typedef struct cl_form_error {
	cl_field_id field;
	const char *name;	      /* the field's name */
	char anchor[CL_INPUT_ID_MAX]; /* id to link to */
	cl_ferr kind;
	unsigned parts; /* date parts to mark (CL_DATE_PART_*) */
	char *message;	/* the message, owned */
} cl_form_error;

typedef struct cl_form_errors {
	cl_form_error *v; /* in page order */
	size_t n, cap;
} cl_form_errors;

#define CL_FORM_ERRORS_INIT \
	{ \
		NULL, 0, 0 \
	}

/*
 * Validate the answers a as received at time now, adding one error per
 * field in error to errs (which the caller initialised, and which may
 * already hold attachment errors: order is kept by page position).  Names
 * that are not fields are ignored.  Returns CL_OK when it ran: the answers
 * are valid iff errs->n == 0 afterwards.  CL_EINVAL for NULL arguments.
 */
cl_err cl_form_validate(const cl_answers *a, time_t now, cl_form_errors *errs);

/*
 * Add an error on field f with a copy of message, in page order after the
 * errors already held for fields up to f; the anchor is the field's first
 * input.  For the lead's attachment checks (kind CL_FE_ATTACHMENT) and the
 * like.  Cannot fail.
 */
void cl_form_errors_add(cl_form_errors *errs, cl_field_id f, cl_ferr kind,
    const char *message);

/* Return the first error on the field called name, or NULL. */
const cl_form_error *cl_form_error_find(const cl_form_errors *errs,
    const char *name);

/* Free the errors and leave errs empty and reusable.  Cannot fail. */
void cl_form_errors_free(cl_form_errors *errs);

/*
 * Trim leading and trailing spaces, tabs, CR and LF from the values of form
 * fields (not of other names, such as hidden tokens), in place, so that
 * what is stored is what was validated.  Cannot fail.
 */
void cl_form_normalise(cl_answers *a);

#endif /* CALLIN_FORM_H */
