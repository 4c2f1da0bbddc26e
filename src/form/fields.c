/*
 * fields.c: the form's fields (DESIGN.md §3 "Form fields") in page order:
 * names, kinds, words for the public, limits, options and error messages.
 * The page is rendered from this table and answers are validated by it.
 * Messages follow the GOV.UK Design System's error message patterns.
 */
#include <stdio.h>
#include <string.h>

#include "callin/form.h"

/* Messages every one-line text field shares, built from its noun. */
#define ONE_LINE_MSGS(noun) \
	[CL_FE_ENCODING] = noun " must not include unreadable characters", \
	[CL_FE_CONTROL] = noun \
	    " must not include line breaks or other special characters", \
	[CL_FE_HIDDEN] = noun " must not include invisible characters or " \
			      "characters that change the direction of text", \
	[CL_FE_REPEATED] = noun " must only be given once"

/* Messages every multi-line text field shares, built from its noun. */
#define MULTI_LINE_MSGS(noun) \
	[CL_FE_ENCODING] = noun " must not include unreadable characters", \
	[CL_FE_CONTROL] = noun \
	    " must not include hidden control " \
	    "characters, which can come from text copied from a PDF", \
	[CL_FE_REPEATED] = noun " must only be given once"

/* A choice field says the same whatever went wrong. */
#define CHOICE_MSGS(text) \
	[CL_FE_MISSING] = text, [CL_FE_INVALID] = text, [CL_FE_REPEATED] = text

static const cl_option requester_types[] = {
	{ "individual", "As an individual",
	    "For example, as a patient, carer or member of the public", NULL },
	{ "clinician", "As a GP or other clinician", NULL, NULL },
	{ "elected_representative",
	    "As an MP, councillor or other elected representative", NULL,
	    NULL },
	{ "local_authority",
	    "For a local authority or health scrutiny committee", NULL, NULL },
	{ "campaign_group", "For a campaign or patient group", NULL, NULL },
	{ "nhs_body", "For an NHS body", NULL, NULL },
	{ "other", "Other", NULL, NULL },
};

static const cl_option proposal_stages[] = {
	{ "pre_consultation",
	    "Options are being developed, before consultation", NULL, NULL },
	{ "consultation", "Public consultation is open or has happened", NULL,
	    NULL },
	{ "decision_made", "A decision has been made", NULL, NULL },
	{ "implementing", "The change is being implemented", NULL, NULL },
	{ "implemented", "The change has been implemented", NULL, NULL },
	{ "temporary_change", "A temporary or emergency change",
	    "For example, a service suspended for safety reasons without "
	    "time to consult",
	    NULL },
};

static const cl_option grounds[] = {
	{ "process",
	    "Concerns about the process (for example, whether "
	    "public consultation was adequate)",
	    NULL, NULL },
	{ "best_interests",
	    "A decision has been made that is not in the "
	    "best interests of the health service in the area",
	    "Only select this if a decision has been made", NULL },
};

#define DECLARATION_ACCURATE \
	"I confirm that the information in this request is accurate to " \
	"the best of my knowledge"
#define DECLARATION_SHARING \
	"I understand that my request and evidence may be shared with " \
	"the NHS commissioning body, the NHS trusts involved, the local " \
	"authorities affected and the Independent Reconfiguration Panel"

static const cl_option declaration_accurate[] = {
	{ "yes", DECLARATION_ACCURATE, NULL, NULL },
};

static const cl_option declaration_sharing[] = {
	{ "yes", DECLARATION_SHARING, NULL, NULL },
};

#define OPTIONS(a) (a), sizeof(a) / sizeof((a)[0])

const cl_section cl_sections[CL_SEC__MAX] = {
	[CL_SEC_ABOUT_YOU] = { "About you",
	    "We will use these details to contact you about your request." },
	[CL_SEC_PROPOSAL] = { "The proposal",
	    "Tell us about the proposal to change NHS services that you "
	    "want the Secretary of State to call in." },
	[CL_SEC_GROUNDS] = { "Grounds",
	    "The Secretary of State can call in a proposal when there are "
	    "concerns about the process followed, or when a decision has "
	    "been made that is not in the best interests of the health "
	    "service in the area." },
	[CL_SEC_LOCAL_RESOLUTION] = { "Local resolution",
	    "Concerns should be raised with the NHS body responsible, and "
	    "resolved locally where possible, before asking for a call-in. "
	    "A request that does not show reasonable attempts to resolve "
	    "concerns locally is very unlikely to be called in." },
	[CL_SEC_EVIDENCE] = { "Evidence",
	    "You can upload documents that support your request, such as "
	    "consultation documents, letters and emails, petitions or "
	    "meeting minutes." },
	[CL_SEC_DECLARATIONS] = { "Declarations", NULL },
};

const cl_field cl_fields[CL_F__MAX] = {
	[CL_F_REQUESTER_TYPE] = {
		.name = "requester_type",
		.kind = CL_KIND_RADIO,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Who are you making this request as?",
		.req = CL_REQ_ALWAYS,
		.options = OPTIONS(requester_types),
		.msg = { CHOICE_MSGS(
		    "Select who you are making this request as") },
	},
	[CL_F_FULL_NAME] = {
		.name = "full_name",
		.kind = CL_KIND_TEXT,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Full name",
		.req = CL_REQ_ALWAYS,
		.max_chars = 100,
		.autocomplete = "name",
		.spellcheck_off = 1,
		.msg = {
			[CL_FE_MISSING] = "Enter your full name",
			[CL_FE_TOO_LONG] =
			    "Full name must be 100 characters or fewer",
			ONE_LINE_MSGS("Full name"),
		},
	},
	[CL_F_ORGANISATION] = {
		.name = "organisation",
		.kind = CL_KIND_TEXT,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Name of your organisation",
		.hint = "The organisation, council, committee, GP practice or "
		    "group you are making this request for. Leave this blank "
		    "if you are making the request as an individual.",
		.req = CL_REQ_UNLESS_INDIVIDUAL,
		.max_chars = 150,
		.autocomplete = "organization",
		.msg = {
			[CL_FE_MISSING] = "Enter the name of your organisation",
			[CL_FE_TOO_LONG] = "Name of your organisation must be "
			    "150 characters or fewer",
			ONE_LINE_MSGS("Name of your organisation"),
		},
	},
	[CL_F_ROLE] = {
		.name = "role",
		.kind = CL_KIND_TEXT,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Your role (optional)",
		.hint = "For example, 'Chair of the health scrutiny committee' "
		    "or 'MP for Yeovil'",
		.req = CL_REQ_NEVER,
		.max_chars = 150,
		.autocomplete = "organization-title",
		.msg = {
			[CL_FE_TOO_LONG] =
			    "Your role must be 150 characters or fewer",
			ONE_LINE_MSGS("Your role"),
		},
	},
	[CL_F_EMAIL] = {
		.name = "email",
		.kind = CL_KIND_EMAIL,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Email address",
		.hint = "We will send your reference and receipt to this "
		    "address, and only use it to contact you about your "
		    "request",
		.req = CL_REQ_ALWAYS,
		.max_chars = 254,
		.autocomplete = "email",
		.spellcheck_off = 1,
		.msg = {
			[CL_FE_MISSING] = "Enter your email address",
			[CL_FE_TOO_LONG] =
			    "Email address must be 254 characters or fewer",
			[CL_FE_INVALID] = "Enter an email address in the "
			    "correct format, like name@example.com",
			ONE_LINE_MSGS("Email address"),
		},
	},
	[CL_F_PHONE] = {
		.name = "phone",
		.kind = CL_KIND_TEL,
		.section = CL_SEC_ABOUT_YOU,
		.label = "Telephone number (optional)",
		.hint = "For international numbers include the country code",
		.req = CL_REQ_NEVER,
		.max_chars = 30,
		.autocomplete = "tel",
		.width = 20,
		.msg = {
			[CL_FE_TOO_LONG] =
			    "Telephone number must be 30 characters or fewer",
			[CL_FE_INVALID] = "Enter a telephone number, like "
			    "01632 960 001, 07700 900 982 or +44 808 157 0192",
			ONE_LINE_MSGS("Telephone number"),
		},
	},
	[CL_F_PROPOSAL_TITLE] = {
		.name = "proposal_title",
		.kind = CL_KIND_TEXT,
		.section = CL_SEC_PROPOSAL,
		.label = "Name of the proposal",
		.hint = "A short name for the change, for example 'Closing the "
		    "stroke unit at Yeovil District Hospital'",
		.req = CL_REQ_ALWAYS,
		.max_chars = 150,
		.msg = {
			[CL_FE_MISSING] = "Enter the name of the proposal",
			[CL_FE_TOO_LONG] = "Name of the proposal must be 150 "
			    "characters or fewer",
			ONE_LINE_MSGS("Name of the proposal"),
		},
	},
	[CL_F_COMMISSIONER] = {
		.name = "commissioner",
		.kind = CL_KIND_SELECT,
		.section = CL_SEC_PROPOSAL,
		.label = "Which NHS body is responsible for the proposal?",
		.hint = "This is NHS England or the integrated care board "
		    "(ICB) that plans and pays for the service. If you are "
		    "not sure, select 'I don't know'.",
		.req = CL_REQ_ALWAYS,
		.options = cl_commissioner_options,
		.noptions = CL_NCOMMISSIONERS + 1,
		.msg = { CHOICE_MSGS(
		    "Select which NHS body is responsible for the proposal") },
	},
	[CL_F_SERVICES_AFFECTED] = {
		.name = "services_affected",
		.kind = CL_KIND_TEXTAREA,
		.section = CL_SEC_PROPOSAL,
		.label = "Which services and places are affected?",
		.hint = "For example, the services, hospitals, clinics or GP "
		    "surgeries involved, and the areas they serve",
		.req = CL_REQ_ALWAYS,
		.max_chars = 2000,
		.msg = {
			[CL_FE_MISSING] =
			    "Enter which services and places are affected",
			[CL_FE_TOO_LONG] = "Services and places affected must "
			    "be 2,000 characters or fewer",
			MULTI_LINE_MSGS("Services and places affected"),
		},
	},
	[CL_F_CHANGE_DESCRIPTION] = {
		.name = "change_description",
		.kind = CL_KIND_TEXTAREA,
		.section = CL_SEC_PROPOSAL,
		.label = "What change is proposed?",
		.hint = "Describe how the way a service is provided would "
		    "change, or which services would no longer be available",
		.req = CL_REQ_ALWAYS,
		.max_chars = 5000,
		.msg = {
			[CL_FE_MISSING] =
			    "Enter a description of the proposed change",
			[CL_FE_TOO_LONG] = "Description of the change must be "
			    "5,000 characters or fewer",
			MULTI_LINE_MSGS("Description of the change"),
		},
	},
	[CL_F_PROPOSAL_STAGE] = {
		.name = "proposal_stage",
		.kind = CL_KIND_RADIO,
		.section = CL_SEC_PROPOSAL,
		.label = "What stage is the proposal at?",
		.hint = "Select the latest stage you know about",
		.req = CL_REQ_ALWAYS,
		.options = OPTIONS(proposal_stages),
		.msg = { CHOICE_MSGS("Select what stage the proposal is at") },
	},
	[CL_F_DECISION_DATE] = {
		.name = "decision_date",
		.kind = CL_KIND_DATE,
		.section = CL_SEC_PROPOSAL,
		.label = "When was the decision made?",
		.hint = "Only answer this if a decision has been made. "
		    "For example, 27 3 2024",
		.req = CL_REQ_WHEN_DECIDED,
		.msg = {
			[CL_FE_MISSING] = "Enter the date of the decision",
			[CL_FE_DATE_NO_DAY] =
			    "Date of the decision must include a day",
			[CL_FE_DATE_NO_MONTH] =
			    "Date of the decision must include a month",
			[CL_FE_DATE_NO_YEAR] =
			    "Date of the decision must include a year",
			[CL_FE_DATE_NO_DAY_MONTH] =
			    "Date of the decision must include a day and month",
			[CL_FE_DATE_NO_DAY_YEAR] =
			    "Date of the decision must include a day and year",
			[CL_FE_DATE_NO_MONTH_YEAR] = "Date of the decision "
			    "must include a month and year",
			[CL_FE_DATE_YEAR_DIGITS] =
			    "Year must include 4 numbers",
			[CL_FE_DATE_REAL] =
			    "Date of the decision must be a real date",
			[CL_FE_DATE_FUTURE] =
			    "Date of the decision must be today or in the past",
			[CL_FE_DATE_TOO_EARLY] = "Date of the decision must be "
			    "the same as or after 1 January 1948",
			ONE_LINE_MSGS("Date of the decision"),
		},
	},
	[CL_F_GROUNDS] = {
		.name = "grounds",
		.kind = CL_KIND_CHECKBOXES,
		.section = CL_SEC_GROUNDS,
		.label = "Why are you asking for the proposal to be called in?",
		.hint = "Select all that apply",
		.req = CL_REQ_ALWAYS,
		.options = OPTIONS(grounds),
		.msg = {
			[CL_FE_MISSING] = "Select why you are asking for the "
			    "proposal to be called in",
			[CL_FE_INVALID] = "Select why you are asking for the "
			    "proposal to be called in",
			[CL_FE_REPEATED] = "Select each reason only once",
			[CL_FE_NOT_ALLOWED] = "Select best interests only if "
			    "a decision has been made",
		},
	},
	[CL_F_GROUNDS_STATEMENT] = {
		.name = "grounds_statement",
		.kind = CL_KIND_TEXTAREA,
		.section = CL_SEC_GROUNDS,
		.label = "How does the proposal meet the reasons you selected?",
		.hint = "Explain your concerns and the facts behind them. You "
		    "can upload documents as evidence later in this form.",
		.req = CL_REQ_ALWAYS,
		.max_chars = 10000,
		.msg = {
			[CL_FE_MISSING] = "Explain how the proposal meets the "
			    "reasons you selected",
			[CL_FE_TOO_LONG] = "Your explanation must be 10,000 "
			    "characters or fewer",
			MULTI_LINE_MSGS("Your explanation"),
		},
	},
	[CL_F_LOCAL_RESOLUTION] = {
		.name = "local_resolution",
		.kind = CL_KIND_TEXTAREA,
		.section = CL_SEC_LOCAL_RESOLUTION,
		.label = "What have you done to resolve your concerns locally?",
		.hint = "For example, raising them with the integrated care "
		    "board, the NHS trust, your council's health scrutiny "
		    "committee, Healthwatch or your MP. Tell us who you "
		    "contacted, when, and what happened.",
		.req = CL_REQ_ALWAYS,
		.max_chars = 10000,
		.msg = {
			[CL_FE_MISSING] = "Enter what you have done to resolve "
			    "your concerns locally",
			[CL_FE_TOO_LONG] = "What you have done locally must be "
			    "10,000 characters or fewer",
			MULTI_LINE_MSGS("What you have done locally"),
		},
	},
	[CL_F_ATTACHMENTS] = {
		/* Checked by the upload code with attach.h, whose
		 * cl_attach_hint() writes a hint with the configured limits;
		 * test_attach checks the types here match its list. */
		.name = "attachments",
		.kind = CL_KIND_FILE,
		.section = CL_SEC_EVIDENCE,
		.label = "Upload evidence (optional)",
		.hint = "For example, letters, emails, consultation documents, "
		    "petitions or minutes of meetings. Files must be PDF, "
		    "DOCX, XLSX, ODT, ODS, PNG, JPEG, TXT or CSV.",
		.req = CL_REQ_NEVER,
	},
	[CL_F_DECLARATION_ACCURATE] = {
		.name = "declaration_accurate",
		.kind = CL_KIND_CHECKBOX,
		.section = CL_SEC_DECLARATIONS,
		.label = DECLARATION_ACCURATE,
		.req = CL_REQ_ALWAYS,
		.options = OPTIONS(declaration_accurate),
		.msg = { CHOICE_MSGS("Select the box to confirm that the "
		    "information in this request is accurate") },
	},
	[CL_F_DECLARATION_SHARING] = {
		.name = "declaration_sharing",
		.kind = CL_KIND_CHECKBOX,
		.section = CL_SEC_DECLARATIONS,
		.label = DECLARATION_SHARING,
		.req = CL_REQ_ALWAYS,
		.options = OPTIONS(declaration_sharing),
		.msg = { CHOICE_MSGS("Select the box to confirm that you "
		    "understand who your request may be shared with") },
	},
};

const char *const cl_date_parts[CL_DATE__MAX] = { "day", "month", "year" };

const cl_field *
cl_field_get(cl_field_id f)
{
	return &cl_fields[f];
}

/*
 * Return the date part (CL_DATE_*) that name is of the date field's name
 * base, or CL_DATE__MAX when it is none.
 */
static size_t
date_part(const char *base, const char *name)
{
	size_t i, len = strlen(base);

	if (strncmp(name, base, len) != 0 || name[len] != '-')
		return CL_DATE__MAX;
	for (i = 0; i < CL_DATE__MAX; i++)
		if (strcmp(name + len + 1, cl_date_parts[i]) == 0)
			return i;
	return CL_DATE__MAX;
}

cl_field_id
cl_field_lookup(const char *name)
{
	size_t f;

	for (f = 0; f < CL_F__MAX; f++) {
		if (cl_fields[f].kind == CL_KIND_DATE) {
			if (date_part(cl_fields[f].name, name) < CL_DATE__MAX)
				return (cl_field_id)f;
		} else if (strcmp(cl_fields[f].name, name) == 0)
			return (cl_field_id)f;
	}
	return CL_F__MAX;
}

int
cl_field_is_text(cl_field_id f)
{
	switch (cl_fields[f].kind) {
	case CL_KIND_TEXT:
	case CL_KIND_EMAIL:
	case CL_KIND_TEL: return 1;
	default: return 0;
	}
}

void
cl_field_input_id(cl_field_id f, size_t i, char out[CL_INPUT_ID_MAX])
{
	const cl_field *fd = &cl_fields[f];

	switch (fd->kind) {
	case CL_KIND_RADIO:
	case CL_KIND_CHECKBOXES:
		if (i == 0)
			snprintf(out, CL_INPUT_ID_MAX, "%s", fd->name);
		else
			snprintf(out, CL_INPUT_ID_MAX, "%s-%zu", fd->name,
			    i + 1);
		break;
	case CL_KIND_DATE:
		snprintf(out, CL_INPUT_ID_MAX, "%s-%s", fd->name,
		    cl_date_parts[i < CL_DATE__MAX ? i : CL_DATE_DAY]);
		break;
	default: snprintf(out, CL_INPUT_ID_MAX, "%s", fd->name); break;
	}
}
