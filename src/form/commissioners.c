/*
 * commissioners.c: the NHS commissioning bodies a proposal can come from,
 * compiled in from conf/commissioners.tsv (slug, name, kind).  Edit both
 * together: test_form_commissioners checks that they agree row for row.
 */
#include "callin/form.h"

/* The option groups, one per kind of the file ("nhs_england", "icb"). */
#define NHSE "NHS England"
#define ICB "Integrated care boards"

/* X(slug, name, group), in the file's order. */
#define COMMISSIONERS(X) \
	X("nhs-england", "NHS England (national)", NHSE) \
	X("nhs-england-east-of-england", \
	    "NHS England – East of England region", NHSE) \
	X("nhs-england-london", "NHS England – London region", NHSE) \
	X("nhs-england-midlands", "NHS England – Midlands region", NHSE) \
	X("nhs-england-north-east-and-yorkshire", \
	    "NHS England – North East and Yorkshire region", NHSE) \
	X("nhs-england-north-west", "NHS England – North West region", NHSE) \
	X("nhs-england-south-east", "NHS England – South East region", NHSE) \
	X("nhs-england-south-west", "NHS England – South West region", NHSE) \
	X("icb-bath-and-north-east-somerset-swindon-and-wiltshire", \
	    "NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board", \
	    ICB) \
	X("icb-bedfordshire-luton-and-milton-keynes", \
	    "NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board", \
	    ICB) \
	X("icb-birmingham-and-solihull", \
	    "NHS Birmingham and Solihull Integrated Care Board", ICB) \
	X("icb-black-country", "NHS Black Country Integrated Care Board", ICB) \
	X("icb-bristol-north-somerset-and-south-gloucestershire", \
	    "NHS Bristol, North Somerset and South Gloucestershire Integrated Care Board", \
	    ICB) \
	X("icb-buckinghamshire-oxfordshire-and-berkshire-west", \
	    "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board", \
	    ICB) \
	X("icb-cambridgeshire-and-peterborough", \
	    "NHS Cambridgeshire and Peterborough Integrated Care Board", ICB) \
	X("icb-cheshire-and-merseyside", \
	    "NHS Cheshire and Merseyside Integrated Care Board", ICB) \
	X("icb-cornwall-and-the-isles-of-scilly", \
	    "NHS Cornwall and the Isles of Scilly Integrated Care Board", ICB) \
	X("icb-coventry-and-warwickshire", \
	    "NHS Coventry and Warwickshire Integrated Care Board", ICB) \
	X("icb-derby-and-derbyshire", \
	    "NHS Derby and Derbyshire Integrated Care Board", ICB) \
	X("icb-devon", "NHS Devon Integrated Care Board", ICB) \
	X("icb-dorset", "NHS Dorset Integrated Care Board", ICB) \
	X("icb-frimley", "NHS Frimley Integrated Care Board", ICB) \
	X("icb-gloucestershire", "NHS Gloucestershire Integrated Care Board", \
	    ICB) \
	X("icb-greater-manchester", \
	    "NHS Greater Manchester Integrated Care Board", ICB) \
	X("icb-hampshire-and-isle-of-wight", \
	    "NHS Hampshire and Isle of Wight Integrated Care Board", ICB) \
	X("icb-herefordshire-and-worcestershire", \
	    "NHS Herefordshire and Worcestershire Integrated Care Board", ICB) \
	X("icb-hertfordshire-and-west-essex", \
	    "NHS Hertfordshire and West Essex Integrated Care Board", ICB) \
	X("icb-humber-and-north-yorkshire", \
	    "NHS Humber and North Yorkshire Integrated Care Board", ICB) \
	X("icb-kent-and-medway", "NHS Kent and Medway Integrated Care Board", \
	    ICB) \
	X("icb-lancashire-and-south-cumbria", \
	    "NHS Lancashire and South Cumbria Integrated Care Board", ICB) \
	X("icb-leicester-leicestershire-and-rutland", \
	    "NHS Leicester, Leicestershire and Rutland Integrated Care Board", \
	    ICB) \
	X("icb-lincolnshire", "NHS Lincolnshire Integrated Care Board", ICB) \
	X("icb-mid-and-south-essex", \
	    "NHS Mid and South Essex Integrated Care Board", ICB) \
	X("icb-norfolk-and-waveney", \
	    "NHS Norfolk and Waveney Integrated Care Board", ICB) \
	X("icb-north-central-london", \
	    "NHS North Central London Integrated Care Board", ICB) \
	X("icb-north-east-and-north-cumbria", \
	    "NHS North East and North Cumbria Integrated Care Board", ICB) \
	X("icb-north-east-london", \
	    "NHS North East London Integrated Care Board", ICB) \
	X("icb-north-west-london", \
	    "NHS North West London Integrated Care Board", ICB) \
	X("icb-northamptonshire", \
	    "NHS Northamptonshire Integrated Care Board", ICB) \
	X("icb-nottingham-and-nottinghamshire", \
	    "NHS Nottingham and Nottinghamshire Integrated Care Board", ICB) \
	X("icb-shropshire-telford-and-wrekin", \
	    "NHS Shropshire, Telford and Wrekin Integrated Care Board", ICB) \
	X("icb-somerset", "NHS Somerset Integrated Care Board", ICB) \
	X("icb-south-east-london", \
	    "NHS South East London Integrated Care Board", ICB) \
	X("icb-south-west-london", \
	    "NHS South West London Integrated Care Board", ICB) \
	X("icb-south-yorkshire", "NHS South Yorkshire Integrated Care Board", \
	    ICB) \
	X("icb-staffordshire-and-stoke-on-trent", \
	    "NHS Staffordshire and Stoke-on-Trent Integrated Care Board", ICB) \
	X("icb-suffolk-and-north-east-essex", \
	    "NHS Suffolk and North East Essex Integrated Care Board", ICB) \
	X("icb-surrey-heartlands", \
	    "NHS Surrey Heartlands Integrated Care Board", ICB) \
	X("icb-sussex", "NHS Sussex Integrated Care Board", ICB) \
	X("icb-west-yorkshire", "NHS West Yorkshire Integrated Care Board", ICB)

#define AS_OPTION(slug, name, group) { slug, name, NULL, group },

const cl_option cl_commissioner_options[CL_NCOMMISSIONERS + 1] = {
	COMMISSIONERS(AS_OPTION){ "dont_know", "I don't know", NULL, NULL },
};
