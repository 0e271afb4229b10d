package org.genzoo.service.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Versioned schema migrations for the job stores. Each store has an ordered list of {@link Step}s,
 * numbered 1, 2, 3, ... with no gaps; a database records the highest step applied. On open, a store
 * applies the steps above its database's version, each in its own transaction together with the
 * version bump, and refuses a database whose version is higher than the highest step this binary
 * knows (it was written by a newer GenZoo, whose layout this one might damage).
 *
 * <p>Where the version lives: SQLite keeps it in {@code PRAGMA user_version} (inside the same
 * {@code BEGIN IMMEDIATE} transaction as the step); PostgreSQL in the table {@code genzoo_schema}
 * (one row per applied step, with its description and time), and a transaction-scoped advisory lock
 * serializes nodes that start at the same moment, so each step runs exactly once.
 */
public final class Migrations {
    /** One schema change: its version, what it does in words, and its statements. */
    public record Step(int version, String description, List<String> statements) {
    }

    /** The SQLite store's layout. Version 1 is the layout every SQLite store has had so far. */
    public static final List<Step> SQLITE = List.of(
            new Step(1, "jobs table and claim index", List.of("""
                    CREATE TABLE IF NOT EXISTS jobs (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT,
                      id TEXT NOT NULL UNIQUE,
                      name TEXT NOT NULL,
                      family TEXT NOT NULL,
                      spec_json TEXT NOT NULL,
                      body_hash TEXT NOT NULL,
                      state TEXT NOT NULL CHECK (state IN ('QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED')),
                      priority INTEGER NOT NULL,
                      attempt INTEGER NOT NULL DEFAULT 0,
                      worker TEXT,
                      lease_until INTEGER,
                      step INTEGER NOT NULL DEFAULT 0,
                      total_steps INTEGER NOT NULL DEFAULT 0,
                      error TEXT,
                      cancel_requested INTEGER NOT NULL DEFAULT 0,
                      output_dir TEXT NOT NULL,
                      submitted_at INTEGER NOT NULL,
                      started_at INTEGER,
                      finished_at INTEGER,
                      idempotency_key TEXT UNIQUE)""",
                    "CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (state, priority DESC, submitted_at, seq)")));

    /**
     * The PostgreSQL store's layout. Times are {@code timestamptz} written by the server's
     * {@code now()}/{@code clock_timestamp()} only: no node's clock decides a lease.
     */
    public static final List<Step> POSTGRES = List.of(
            new Step(1, "jobs table, claim index", List.of("""
                    CREATE TABLE genzoo_jobs (
                      seq BIGSERIAL PRIMARY KEY,
                      id TEXT GENERATED ALWAYS AS ('j-' || seq::text) STORED UNIQUE,
                      name TEXT NOT NULL,
                      family TEXT NOT NULL,
                      spec_json TEXT NOT NULL,
                      body_hash TEXT NOT NULL,
                      state TEXT NOT NULL CHECK (state IN ('QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED')),
                      priority INTEGER NOT NULL,
                      attempt BIGINT NOT NULL DEFAULT 0,
                      worker TEXT,
                      lease_until TIMESTAMPTZ,
                      step BIGINT NOT NULL DEFAULT 0,
                      total_steps BIGINT NOT NULL DEFAULT 0,
                      error TEXT,
                      cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
                      device_selector TEXT NOT NULL DEFAULT 'auto',
                      required_bytes BIGINT NOT NULL DEFAULT 0,
                      submitted_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                      started_at TIMESTAMPTZ,
                      finished_at TIMESTAMPTZ,
                      idempotency_key TEXT UNIQUE)""",
                    "CREATE INDEX genzoo_jobs_queued ON genzoo_jobs (priority DESC, submitted_at, seq) WHERE state = 'QUEUED'",
                    "CREATE INDEX genzoo_jobs_leases ON genzoo_jobs (lease_until) WHERE state = 'RUNNING'")),
            new Step(2, "workers table (GET /api/workers)", List.of("""
                    CREATE TABLE genzoo_workers (
                      name TEXT PRIMARY KEY,
                      node TEXT NOT NULL,
                      device TEXT NOT NULL,
                      device_type TEXT NOT NULL,
                      job_id TEXT,
                      attempt BIGINT,
                      started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                      heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())""")));

    /** The highest version of {@code steps}. */
    public static int latest(List<Step> steps) {
        return steps.get(steps.size() - 1).version();
    }

    private Migrations() {
    }

    /** Checks that steps are numbered 1..n in order. */
    static void checkNumbering(List<Step> steps) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).version() != i + 1) {
                throw new IllegalStateException("migration " + steps.get(i).description() + " is numbered " + steps.get(i).version()
                        + ", expected " + (i + 1));
            }
        }
    }

    static SQLException tooNew(String store, int found, int known) {
        return new SQLException("the " + store + " has schema version " + found + " but this GenZoo knows versions up to " + known
                + ": it was written by a newer GenZoo. Run that version (or newer) against it; nothing was changed");
    }

    /**
     * Brings a SQLite database (auto-commit connection, nothing else writing through it) up to
     * {@code latest(steps)}. Returns the version found before.
     */
    public static int applySqlite(Connection c, List<Step> steps) throws SQLException {
        checkNumbering(steps);
        int found = -1;
        for (Step step : steps) {
            try (Statement s = c.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
                try {
                    int version;
                    try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                        version = rs.next() ? rs.getInt(1) : 0;
                    }
                    if (found < 0) {
                        found = version;
                    }
                    if (version > latest(steps)) {
                        throw tooNew("SQLite job store", version, latest(steps));
                    }
                    if (version < step.version()) {
                        for (String sql : step.statements()) {
                            s.executeUpdate(sql);
                        }
                        s.executeUpdate("PRAGMA user_version = " + step.version());
                    }
                    s.execute("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    try {
                        s.execute("ROLLBACK");
                    } catch (SQLException r) {
                        e.addSuppressed(r);
                    }
                    throw e;
                }
            }
        }
        return found;
    }

    /** The advisory lock key that serializes migrations between nodes ("genzoo" in ASCII). */
    static final long PG_LOCK_KEY = 0x67656e7a6f6fL;

    /**
     * Brings a PostgreSQL database up to {@code latest(steps)}, one transaction per step, under an
     * advisory lock. Returns the version found before. The connection is left in auto-commit mode.
     */
    public static int applyPostgres(Connection c, List<Step> steps) throws SQLException {
        checkNumbering(steps);
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            int found;
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + PG_LOCK_KEY + ")");
                s.execute("CREATE TABLE IF NOT EXISTS genzoo_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                        + " applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())");
                found = pgVersion(s);
                if (found > latest(steps)) {
                    throw tooNew("PostgreSQL job store", found, latest(steps));
                }
                c.commit();
            }
            for (Step step : steps) {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(" + PG_LOCK_KEY + ")");
                    if (pgVersion(s) >= step.version()) {
                        c.commit();
                        continue;
                    }
                    for (String sql : step.statements()) {
                        s.executeUpdate(sql);
                    }
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO genzoo_schema (version, description) VALUES (?, ?)")) {
                        ps.setInt(1, step.version());
                        ps.setString(2, step.description());
                        ps.executeUpdate();
                    }
                    c.commit();
                }
            }
            return found;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException r) {
                e.addSuppressed(r);
            }
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static int pgVersion(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM genzoo_schema")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
