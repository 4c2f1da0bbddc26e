/*
 * master.c: the callin-fcgi master process.  It owns the listening socket,
 * keeps `workers` worker processes running, and handles signals
 * synchronously with sigtimedwait(2):
 *   SIGCHLD  reap; replace a worker that died (backoff when it died young)
 *   SIGTERM, SIGINT  drain: ask every worker to stop, wait for them, return
 *   SIGHUP   re-read the configuration, start a new set of workers, then
 *            drain the old ones: the socket never lacks a worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "server_impl.h"

#define MAX_WORKERS	256
#define DRAIN_SECONDS	60

struct slot {
	pid_t	pid;		/* 0: empty */
	int	gen;		/* configuration generation it runs */
	double	started;	/* monotonic seconds */
	double	respawn_at;	/* when an empty slot may be refilled */
	double	backoff;	/* seconds to wait after a young death */
};

struct master {
	int			 lfd;
	cl_config		*cfg;
	const cl_server_hooks	*hooks;
	int			 gen;
	struct slot		 slots[MAX_WORKERS];
	pid_t			 old[MAX_WORKERS];	/* draining after a reload */
	int			 nold;
	int64_t			 restarts;
};



/* Fork one worker into slot s.  Logs and leaves the slot empty on failure. */
static void
spawn(struct master *m, struct slot *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		cl_log(CL_LOG_ERROR, "master: fork: %s", strerror(errno));
		s->respawn_at = cl_mono_s() + 1;
		return;
	}
	if (pid == 0)
		cl_worker_main(m->lfd, m->cfg, m->hooks);
	s->pid = pid;
	s->gen = m->gen;
	s->started = cl_mono_s();
}

/* Fill every empty slot whose backoff has passed. */
static void
fill(struct master *m)
{
	double t = cl_mono_s();

	for (int i = 0; i < m->cfg->workers; i++)
		if (m->slots[i].pid == 0 && m->slots[i].respawn_at <= t)
			spawn(m, &m->slots[i]);
}

/* Reap exited children; schedule replacements for workers that died. */
static void
reap(struct master *m, int draining)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int found = 0;

		for (int i = 0; i < m->nold; i++)
			if (m->old[i] == pid) {
				m->old[i] = m->old[--m->nold];
				found = 1;
				break;
			}
		for (int i = 0; !found && i < MAX_WORKERS; i++) {
			struct slot *s = &m->slots[i];
			double t = cl_mono_s();

			if (s->pid != pid)
				continue;
			found = 1;
			s->pid = 0;
			if (draining)
				break;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				s->backoff = 0;		/* recycled */
				s->respawn_at = t;
				break;
			}
			m->restarts++;
			cl_metrics_add(CL_C_WORKER_RESTARTS, 1);
			if (t - s->started < 5)
				s->backoff = s->backoff ? s->backoff * 2 : 0.1;
			else
				s->backoff = 0;
			if (s->backoff > 30)
				s->backoff = 30;
			s->respawn_at = t + s->backoff;
			if (WIFSIGNALED(status))
				cl_log(CL_LOG_WARN, "master: worker %ld killed by signal %d; replacing in %.1f s",
				    (long)pid, WTERMSIG(status), s->backoff);
			else
				cl_log(CL_LOG_WARN, "master: worker %ld exited with %d; replacing in %.1f s",
				    (long)pid, WEXITSTATUS(status), s->backoff);
		}
	}
}

static int
live(const struct master *m)
{
	int n = m->nold;

	for (int i = 0; i < MAX_WORKERS; i++)
		n += m->slots[i].pid != 0;
	return n;
}

/* Re-read the configuration and roll the workers over to it. */
static void
reload(struct master *m, const char *config_path)
{
	cl_config *next = cl_calloc(1, sizeof *next);
	char err[512];

	if (cl_config_load(config_path, next, err, sizeof err) != CL_OK)
		goto refused;
	if (m->hooks->check != NULL && m->hooks->check(next, err, sizeof err) != CL_OK) {
		cl_config_free(next);
		goto refused;
	}
	if (strcmp(next->listen, m->cfg->listen) != 0)
		cl_log(CL_LOG_WARN, "master: listen changed; takes effect at restart");
	if (next->workers > MAX_WORKERS)
		next->workers = MAX_WORKERS;
	/* Old workers keep their copy of the configuration (fork copied it). */
	for (int i = 0; i < MAX_WORKERS; i++)
		if (m->slots[i].pid != 0 && m->nold < MAX_WORKERS) {
			m->old[m->nold++] = m->slots[i].pid;
			m->slots[i].pid = 0;
		}
	cl_config_free(m->cfg);
	free(m->cfg);
	m->cfg = next;
	m->gen++;
	for (int i = 0; i < MAX_WORKERS; i++) {
		m->slots[i].respawn_at = 0;
		m->slots[i].backoff = 0;
	}
	fill(m);
	for (int i = 0; i < m->nold; i++)
		kill(m->old[i], SIGTERM);
	cl_log(CL_LOG_INFO, "master: reloaded; %lld new workers, %d draining",
	    (long long)m->cfg->workers, m->nold);
	return;
refused:
	cl_log(CL_LOG_ERROR, "master: reload refused, keeping the running configuration: %s", err);
	free(next);
}

/* Stop every worker: SIGTERM, wait up to DRAIN_SECONDS, then SIGKILL. */
static void
drain(struct master *m, sigset_t *set)
{
	double deadline = cl_mono_s() + DRAIN_SECONDS;

	for (int i = 0; i < MAX_WORKERS; i++)
		if (m->slots[i].pid != 0)
			kill(m->slots[i].pid, SIGTERM);
	for (int i = 0; i < m->nold; i++)
		kill(m->old[i], SIGTERM);
	while (live(m) > 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		reap(m, 1);
		if (live(m) == 0)
			break;
		if (cl_mono_s() > deadline) {
			cl_log(CL_LOG_WARN, "master: workers did not stop in %d s; killing", DRAIN_SECONDS);
			for (int i = 0; i < MAX_WORKERS; i++)
				if (m->slots[i].pid != 0)
					kill(m->slots[i].pid, SIGKILL);
			for (int i = 0; i < m->nold; i++)
				kill(m->old[i], SIGKILL);
			deadline = cl_mono_s() + DRAIN_SECONDS;
		}
		sigtimedwait(set, NULL, &ts);
	}
}

/* Is fd 0 a listening socket handed to us (spawn-fcgi, systemd StandardInput=socket)? */
static int
inherited_socket(void)
{
	int acc = 0;
	socklen_t len = sizeof acc;

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

cl_err
cl_server_run(const char *config_path, cl_config *cfg, const cl_server_hooks *hooks)
{
	struct master m;
	sigset_t set;
	char err[512];
	int running = 1, bound_path = 0;

	memset(&m, 0, sizeof m);
	m.cfg = cl_malloc(sizeof *m.cfg);	/* ours from now on */
	*m.cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	cfg = m.cfg;
	m.hooks = hooks;
	if (cfg->workers > MAX_WORKERS)
		cfg->workers = MAX_WORKERS;
	if (cl_metrics_init() != CL_OK)
		cl_log(CL_LOG_WARN, "master: no shared memory for metrics; /metrics will be empty");
	if (inherited_socket()) {
		int fl;

		m.lfd = 0;
		fl = fcntl(0, F_GETFL);
		fcntl(0, F_SETFL, fl | O_NONBLOCK);
		cl_log(CL_LOG_INFO, "master: using the listening socket on fd 0");
	} else {
		if (cl_server_listen(cfg->listen, &m.lfd, err, sizeof err) != CL_OK) {
			cl_log(CL_LOG_ERROR, "%s", err);
			cl_config_free(m.cfg);
			free(m.cfg);
			return CL_EIO;
		}
		bound_path = strchr(cfg->listen, ':') == NULL ||
		    strncmp(cfg->listen, "unix:", 5) == 0;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	cl_log(CL_LOG_INFO, "master: listening on %s with %lld workers",
	    cfg->listen, (long long)cfg->workers);

	while (running) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		int sig;

		fill(&m);
		sig = sigtimedwait(&set, NULL, &ts);
		switch (sig) {
		case SIGCHLD:
			reap(&m, 0);
			break;
		case SIGHUP:
			reload(&m, config_path);
			break;
		case SIGTERM:
		case SIGINT:
			running = 0;
			break;
		default:
			reap(&m, 0);	/* a missed SIGCHLD coalesced: harmless */
			break;
		}
	}
	cl_log(CL_LOG_INFO, "master: stopping; draining workers");
	drain(&m, &set);
	if (bound_path)
		unlink(strncmp(m.cfg->listen, "unix:", 5) == 0 ? m.cfg->listen + 5 : m.cfg->listen);
	if (m.lfd > 0)
		close(m.lfd);
	cl_config_free(m.cfg);
	free(m.cfg);
	cl_log(CL_LOG_INFO, "master: stopped");
	return CL_OK;
}
