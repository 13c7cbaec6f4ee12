/* cache.c - the score cache in SQLite (see cache.h) */
#include "cache.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_score_cache {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	char path[4096];
};

static enum sb_err db_error(struct sb_score_cache *c, const char *what, struct sb_errbuf *err)
{
	return sb_errf(err, SB_EIO, "%s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

enum sb_err sb_score_cache_open(struct sb_score_cache **out, const char *dir,
				struct sb_errbuf *err)
{
	struct sb_score_cache *c;
	enum sb_err rc;

	*out = NULL;
	if ((rc = sb_mkdirs(dir, err)) != SB_OK)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return sb_errf(err, SB_ENOMEM, "out of memory");
	if (snprintf(c->path, sizeof(c->path), "%s/scores.sqlite", dir) >= (int)sizeof(c->path)) {
		free(c);
		return sb_errf(err, SB_EINVAL, "%s: path too long", dir);
	}
	if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = db_error(c, "cannot open", err);
		goto out_close;
	}
	sqlite3_busy_timeout(c->db, 10000);
	/* WAL + NORMAL: a commit survives the process being killed (not a power cut). */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
			 " created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT value FROM answers WHERE key = ?1", -1, &c->get,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO answers (key, value) VALUES (?1, ?2)",
			       -1, &c->put, NULL) != SQLITE_OK) {
		rc = db_error(c, "expected a sentibt score cache", err);
		goto out_close;
	}
	*out = c;
	return SB_OK;
out_close:
	sb_score_cache_close(c);
	return rc;
}

void sb_score_cache_close(struct sb_score_cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_close(c->db);
	free(c);
}

enum sb_err sb_score_cache_get(struct sb_score_cache *c, const char key[SB_SHA256_HEX],
			       char **value, struct sb_errbuf *err)
{
	int st;
	enum sb_err rc = SB_OK;

	*value = NULL;
	sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
	st = sqlite3_step(c->get);
	if (st == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(c->get, 0);

		*value = t ? strdup((const char *)t) : NULL;
		if (t && !*value)
			rc = sb_errf(err, SB_ENOMEM, "out of memory");
	} else if (st != SQLITE_DONE) {
		rc = db_error(c, "cannot read", err);
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return rc;
}

enum sb_err sb_score_cache_put(struct sb_score_cache *c, const char key[SB_SHA256_HEX],
			       const char *value, struct sb_errbuf *err)
{
	enum sb_err rc = SB_OK;

	sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(c->put) != SQLITE_DONE)
		rc = db_error(c, "cannot write", err);
	sqlite3_reset(c->put);
	sqlite3_clear_bindings(c->put);
	return rc;
}

const char *sb_score_cache_path(const struct sb_score_cache *c)
{
	return c->path;
}
