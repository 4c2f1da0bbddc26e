/*
 * readfile.h: read a small configuration file whole (a key, a secret, a
 * password), the one way every program does it.
 */
#ifndef CALLIN_READFILE_H
#define CALLIN_READFILE_H

#include <stddef.h>

#include "callin/err.h"

/* With cl_read_file: refuse a file that group or others may access. */
#define CL_READ_PRIVATE 0x1

/*
 * Read the regular file path into buf (cap bytes of room): *len gets the
 * bytes read, *mode (when not NULL) its st_mode.  With CL_READ_PRIVATE in
 * flags a file group or others may access is refused ("chmod 600 it").
 * Fails with CL_ECONFIG and one line naming path in err when path is
 * NULL or empty, cannot be opened, read or stat'ed, is not a regular file,
 * is open to others under CL_READ_PRIVATE, or holds more than cap bytes;
 * then buf has been wiped (it may be a key).
 */
cl_err cl_read_file(const char *path, int flags, unsigned char *buf, size_t cap,
    size_t *len, unsigned *mode, char *err, size_t errlen);

/*
 * A pem_password_cb for OpenSSL's PEM readers that refuses to prompt for a
 * pass phrase (encrypted key files are not supported): returns -1.
 */
int cl_pem_no_passphrase(char *buf, int size, int rwflag, void *arg);

#endif /* CALLIN_READFILE_H */
