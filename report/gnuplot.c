/* gnuplot.c - gnuplot's variables (quoted), its scripts found, and the runs (fork/exec) */
#include "gnuplot.h"
#include "../core/filetype.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOBS 4           /* gnuplots running at once (each is one thread) */

struct gp_job {
	pid_t pid;
	char what[600];             /* "script for base.fmt", for messages */
};

struct sb_gp {
	char scripts[4096];         /* with a trailing '/' */
	char logdir[4200];          /* where gnuplot.log is, for messages */
	struct gp_job jobs[MAX_JOBS];
	int njobs;
	char vars[16384];           /* the -e assignments of the chart being built */
	size_t len;
	bool overflow;
};

void sb_gp_begin(struct sb_gp *g)
{
	g->len = 0;
	g->vars[0] = '\0';
	g->overflow = false;
}

static void gp_append(struct sb_gp *g, const char *s)
{
	size_t n = strlen(s);

	if (g->len + n + 1 > sizeof(g->vars)) {
		g->overflow = true;
		return;
	}
	memcpy(g->vars + g->len, s, n + 1);
	g->len += n;
}

/* name='value' with gnuplot's single-quote escape ('' for '). */
void sb_gp_str(struct sb_gp *g, const char *name, const char *value)
{
	char one[2] = { 0 };

	gp_append(g, name);
	gp_append(g, "='");
	for (const char *p = value; *p; p++) {
		if (*p == '\n') {        /* a line break: the single-quoted parts joined by one */
			gp_append(g, "'.\"\\n\".'");
			continue;
		}
		one[0] = *p;
		gp_append(g, one);
		if (*p == '\'')
			gp_append(g, "'");
	}
	gp_append(g, "'; ");
}

void sb_gp_wrap(const char *in, char *out, size_t cap)
{
	size_t n = 0, line = 0, space = SIZE_MAX;   /* where the line started; its last space */

	/* greedy: a line longer than SB_GP_TEXT_WIDTH breaks at its last space */
	for (const char *p = in; *p && n + 1 < cap; p++) {
		out[n] = *p == '\n' ? ' ' : *p;
		if (out[n] == ' ')
			space = n;
		if (n - line >= SB_GP_TEXT_WIDTH && space != SIZE_MAX && space > line) {
			out[space] = '\n';
			line = space + 1;
			space = SIZE_MAX;
		}
		n++;
	}
	if (cap)
		out[n] = '\0';
}

void sb_gp_text(struct sb_gp *g, const char *name, const char *value)
{
	char buf[SB_GP_TEXT_MAX];

	sb_gp_wrap(value, buf, sizeof(buf));
	sb_gp_str(g, name, buf);
}

void sb_gp_num(struct sb_gp *g, const char *name, double v)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s=%.17g; ", name, v);
	gp_append(g, buf);
}

FILE *sb_gp_open_data(const char *outdir, const char *base, char dat[SB_GP_PATH],
		      struct sb_errbuf *err)
{
	FILE *f;

	snprintf(dat, SB_GP_PATH, "%s/data/%s.dat", outdir, base);
	f = fopen(dat, "w");
	if (!f)
		sb_errf(err, SB_EIO, "%s: cannot create: %s", dat, strerror(errno));
	return f;
}

/* Waits for job k and removes it from the list; fails when that gnuplot failed. */
static enum sb_err gp_wait(struct sb_gp *g, int k, struct sb_errbuf *err)
{
	struct gp_job job = g->jobs[k];
	int status;

	g->jobs[k] = g->jobs[--g->njobs];
	while (waitpid(job.pid, &status, 0) < 0)
		if (errno != EINTR)
			return sb_errf(err, SB_EIO, "waiting for gnuplot: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return sb_errf(err, SB_EIO, "cannot run gnuplot (install gnuplot-nox)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sb_errf(err, SB_EIO, "gnuplot failed on %s (see its messages in "
			       "%s/data/gnuplot.log)", job.what, g->logdir);
	return SB_OK;
}

enum sb_err sb_gp_finish(struct sb_gp *g, struct sb_errbuf *err)
{
	enum sb_err rc = SB_OK, r;

	while (g->njobs > 0) {
		r = gp_wait(g, 0, err);
		rc = rc ? rc : r;
	}
	return rc;
}

enum sb_err sb_gp_run(struct sb_gp *g, const char *script, const char *outdir,
		      const char *base, struct sb_errbuf *err)
{
	static const char *const fmts[] = { "png", "svg" };
	char spath[4200];

	if (snprintf(spath, sizeof(spath), "%s%s", g->scripts, script) >= (int)sizeof(spath))
		return sb_errf(err, SB_EINVAL, "%s: path too long", g->scripts);
	snprintf(g->logdir, sizeof(g->logdir), "%s", outdir);
	for (int k = 0; k < 2; k++) {
		struct sb_gp full = *g;
		char out[4200];
		pid_t pid;

		snprintf(out, sizeof(out), "%s/%s.%s", outdir, base, fmts[k]);
		sb_gp_str(&full, "fmt", fmts[k]);
		sb_gp_str(&full, "out", out);
		sb_gp_str(&full, "script_dir", g->scripts);
		if (full.overflow)
			return sb_errf(err, SB_EINVAL, "%s: gnuplot arguments too long", base);
		/* a free slot: the oldest job done */
		if (g->njobs == MAX_JOBS) {
			enum sb_err rc = gp_wait(g, 0, err);

			if (rc)
				return rc;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return sb_errf(err, SB_EIO, "cannot start gnuplot: %s", strerror(errno));
		if (pid == 0) {
			char *const av[] = { (char *)"gnuplot", (char *)"-e", full.vars, spath, NULL };
			char log[4200];
			int fd;

			/* gnuplot's warnings (e.g. empty heatmap cells) go to a log, not the terminal. */
			snprintf(log, sizeof(log), "%s/data/gnuplot.log", outdir);
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd >= 0) {
				dup2(fd, STDERR_FILENO);
				close(fd);
			}
			execvp("gnuplot", av);
			_exit(127);
		}
		g->jobs[g->njobs].pid = pid;
		snprintf(g->jobs[g->njobs++].what, sizeof(g->jobs[0].what), "%s for %s.%s",
			 script, base, fmts[k]);
	}
	return SB_OK;
}

/* --scripts, $SENTIBT_REPORT_SCRIPTS, next to the binary (as built or installed), ./ */
static enum sb_err find_scripts(struct sb_gp *g, const char *opt, struct sb_errbuf *err)
{
	char exe[4096], cand[4][4200], probe[4400];
	const char *env = getenv("SENTIBT_REPORT_SCRIPTS");
	struct stat st;
	int nc = 0;

	if (opt || env) {
		snprintf(cand[nc++], sizeof(cand[0]), "%s/", opt ? opt : env);
	} else {
		if (sb_exe_dir(exe, sizeof(exe))) {
			snprintf(cand[nc++], sizeof(cand[0]), "%s/../../scripts/report/", exe);
			snprintf(cand[nc++], sizeof(cand[0]), "%s/../share/sentibt/report/", exe);
			snprintf(cand[nc++], sizeof(cand[0]), "%s/scripts/report/", exe);
		}
		snprintf(cand[nc++], sizeof(cand[0]), "scripts/report/");
	}
	for (int k = 0; k < nc; k++) {
		if (snprintf(probe, sizeof(probe), "%sheatmap.gp", cand[k]) >= (int)sizeof(probe) ||
		    stat(probe, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (snprintf(g->scripts, sizeof(g->scripts), "%s", cand[k]) < (int)sizeof(g->scripts))
			return SB_OK;
	}
	return sb_errf(err, SB_EINVAL, "%sheatmap.gp: gnuplot scripts not found "
		       "(give --scripts DIR or set SENTIBT_REPORT_SCRIPTS)", cand[0]);
}

enum sb_err sb_gp_new(struct sb_gp **g, const char *scripts, struct sb_errbuf *err)
{
	enum sb_err rc;

	*g = calloc(1, sizeof(**g));
	if (!*g)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	rc = find_scripts(*g, scripts, err);
	if (rc) {
		free(*g);
		*g = NULL;
	}
	return rc;
}

void sb_gp_free(struct sb_gp *g)
{
	struct sb_errbuf err;

	if (!g)
		return;
	sb_gp_finish(g, &err);      /* no process left behind on an error path */
	free(g);
}
