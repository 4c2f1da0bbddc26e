/*
 * email.h: the one definition of an e-mail address the service accepts:
 * what the form takes as the requester's address is exactly what the
 * mailer may put in an SMTP envelope (libcurl copies envelope addresses
 * into MAIL FROM and RCPT TO without looking at them).
 */
#ifndef CALLIN_EMAIL_H
#define CALLIN_EMAIL_H

#define CL_EMAIL_ADDR_MAX 255 /* an addr-spec (<= 254) and its NUL */
#define CL_EMAIL_LOCAL_MAX 64 /* longest local part */

/*
 * Return 1 if addr is an addr-spec we put in an SMTP envelope: printable
 * ASCII, local part of 1..64 atext characters and dots (no dot first, last
 * or twice), one '@', a domain of letter-digit-hyphen labels of 1..63 (no
 * hyphen first or last; one label, such as "localhost", will do), 254
 * characters in all; else 0.  No quoting, comments, literals, spaces, '<',
 * '>' or controls.  Cannot fail.
 */
int cl_email_valid(const char *addr);

/* Whether c is RFC 5322 atext: a letter, a digit or one of !#$%&'*+-/=?^_`{|}~. */
int cl_email_atext(int c);

#endif /* CALLIN_EMAIL_H */
