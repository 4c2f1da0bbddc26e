/*
 * err.h: the one error convention of the project.
 *
 * Every function that can fail returns a cl_err; CL_OK (zero) is success, so
 * callers write `if ((rc = f()) != CL_OK) goto err;`.  Results come back
 * through pointer arguments.  Functions that cannot fail say so in their
 * contract comment and return void.
 */
#ifndef CALLIN_ERR_H
#define CALLIN_ERR_H

typedef enum cl_err {
	CL_OK = 0,  /* success */
	CL_ENOMEM,  /* out of memory (allocation wrappers abort instead) */
	CL_EINVAL,  /* bad argument or bad input from a client */
	CL_EPARSE,  /* malformed input that could not be parsed */
	CL_ETOOBIG, /* a size or count limit was exceeded */
	CL_ETYPE,   /* content of a kind we do not accept */
	CL_EIO,	    /* a local I/O error (file, socket, stream) */
	CL_EUNAVAIL, /* a dependency (store, relay) is unavailable: retry later */
	CL_EDUP,     /* a unique key already exists */
	CL_ENOTFOUND, /* no such record */
	CL_ECRYPTO,   /* a cryptographic operation failed */
	CL_ECONFIG,   /* bad or missing configuration */
	CL_EVERIFY,   /* a signature or hash did not verify */
	CL_ECLOSED,   /* the peer went away */
	CL_ELIMIT,    /* a per-sender quota is used up */
	CL_ERR__MAX
} cl_err;

/*
 * Return a short constant English description of rc.  Cannot fail: an
 * unknown value yields "unknown error".
 */
const char *cl_strerror(cl_err rc);

/*
 * CL_ASSERT(e): an invariant the code already knows (a value checked
 * before, a size the caller guarantees), never a check of input.  In the
 * sanitizer build, which every test runs (CALLIN_ASSERTS), a false e logs
 * its file, line and text as one JSON line on stderr and aborts; in the
 * optimised build e is type-checked only, never evaluated, so it must have
 * no side effects.
 */
#ifdef CALLIN_ASSERTS
#define CL_ASSERT(e) ((e) ? (void)0 : cl_assert_fail(#e, __FILE__, __LINE__))
#else
#define CL_ASSERT(e) ((void)sizeof(!(e)))
#endif

/* Report a failed CL_ASSERT and abort.  Never returns. */
void cl_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

#endif /* CALLIN_ERR_H */
