/*
 * fcgi_hello.c: the bare libfcgi responder that scripts/bench puts behind the
 * same nginx as callin-fcgi, as the ceiling for GET /request.  It serves a
 * fixed page from N forked processes on the socket passed as fd 0 or bound
 * from argv[1]:  fcgi-hello [SOCKET [WORKERS [BODY_BYTES]]]
 * BODY_BYTES (default 6, "hello\n") pads the page, to tell the cost of
 * moving a page of our size from the cost of making it.
 */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
	FCGX_Request req;
	int fd = 0, workers = argc > 2 ? atoi(argv[2]) : 1;
	int bytes = argc > 3 ? atoi(argv[3]) : 6;
	char *body;

	if (argc > 1) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
		unlink(argv[1]);
		if (fd < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
		    listen(fd, 1024) != 0) {
			perror("fcgi-hello: bind");
			return 1;
		}
	}
	for (int i = 1; i < workers; i++)
		if (fork() == 0)
			break;
	if (bytes < 6)
		bytes = 6;
	if ((body = malloc((size_t)bytes)) == NULL)
		return 1;
	memset(body, 'x', (size_t)bytes);
	memcpy(body, "hello\n", 6);
	body[bytes - 1] = '\n';
	FCGX_Init();
	signal(SIGTERM,
	    SIG_DFL); /* libfcgi's handler would not stop accept() */
	FCGX_InitRequest(&req, fd, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_FPrintF(req.out,
		    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: %d\r\n\r\n",
		    bytes);
		FCGX_PutStr(body, bytes, req.out);
	}
	return 0;
}
