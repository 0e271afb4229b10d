package org.genzoo.service.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.sqlite.SQLiteConfig;

/**
 * The embedded {@link JobStore}: one SQLite file ({@value #DB_FILE}) in the data folder, in WAL mode,
 * with no server to run. Every write runs in a {@code BEGIN IMMEDIATE} transaction, so it holds
 * SQLite's write lock from its first read: a claim's "pick the next job" and "mark it RUNNING" are one
 * step even between processes. Inside one process the single connection is shared under a lock.
 * Commits are durable ({@code synchronous=FULL}): an acknowledged submission survives a crash.
 *
 * <p>Times are milliseconds of {@link #clock} (tests move it); lease expiry is compared with the
 * same clock. Job ids are {@code j-<n>} with n the row's sequence number; a job's folder is
 * {@code <jobsRoot>/<id>}.
 */
public final class SqliteJobStore implements JobStore {
    public static final String DB_FILE = "genzoo.db";
    /** The layout version this binary writes (see {@link Migrations#SQLITE}); a newer one is refused. */
    static final int SCHEMA_VERSION = Migrations.latest(Migrations.SQLITE);
    private static final String COLUMNS = "id, name, family, spec_json, state, priority, attempt, worker, step, total_steps,"
            + " error, cancel_requested, output_dir, submitted_at, started_at, finished_at, idempotency_key";

    private final Connection conn;
    private final Path jobsRoot;
    private final Clock clock;
    private final Object lock = new Object();

    private SqliteJobStore(Connection conn, Path jobsRoot, Clock clock) {
        this.conn = conn;
        this.jobsRoot = jobsRoot;
        this.clock = clock;
    }

    /** Opens (creating when absent) {@code <dataDir>/genzoo.db}, with job folders under {@code <dataDir>/jobs}. */
    public static SqliteJobStore open(Path dataDir) {
        return open(dataDir.resolve(DB_FILE), dataDir.resolve("jobs"), Clock.systemUTC());
    }

    public static SqliteJobStore open(Path dbFile, Path jobsRoot, Clock clock) {
        try {
            Files.createDirectories(dbFile.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + dbFile.getParent(), e);
        }
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        cfg.setBusyTimeout(30_000);
        cfg.enforceForeignKeys(true);
        Connection c = null;
        try {
            c = cfg.createConnection("jdbc:sqlite:" + dbFile.toAbsolutePath());
            SqliteJobStore store = new SqliteJobStore(c, jobsRoot.toAbsolutePath(), clock);
            store.migrate();
            return store;
        } catch (SQLException e) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException s) {
                    e.addSuppressed(s);
                }
            }
            throw new JobStoreException("cannot open the job store " + dbFile + ": " + e.getMessage(), e);
        }
    }

    /** Applies the {@link Migrations#SQLITE} steps this file lacks; a newer layout is refused. */
    private void migrate() throws SQLException {
        synchronized (lock) {
            Migrations.applySqlite(conn, Migrations.SQLITE);
        }
    }

    /*
     * Transactions are explicit statements on an auto-commit connection: "BEGIN IMMEDIATE" takes the
     * write lock at once (a deferred BEGIN would let two processes read the same QUEUED row and then
     * race to upgrade), and nothing is held between transactions.
     */
    private void exec(String sql) throws SQLException {
        try (Statement s = conn.createStatement()) {
            s.execute(sql);
        }
    }

    /** Ends a failed transaction; a failure here is attached to {@code cause}, which the caller throws. */
    private void rollback(Exception cause) {
        try {
            exec("ROLLBACK");
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** One transaction under the connection lock; rolled back when {@code body} throws. */
    private <T> T tx(String what, SqlBody<T> body) {
        synchronized (lock) {
            try {
                exec("BEGIN IMMEDIATE");
                try {
                    T out = body.run();
                    exec("COMMIT");
                    return out;
                } catch (SQLException | RuntimeException e) {
                    rollback(e);
                    throw e;
                }
            } catch (SQLException e) {
                throw new JobStoreException("job store: " + what + " failed: " + e.getMessage(), e);
            }
        }
    }

    @FunctionalInterface
    private interface SqlBody<T> {
        T run() throws SQLException;
    }

    private long now() {
        return clock.millis();
    }

    @Override
    public JobService.Submitted insert(NewJob j) {
        if (j.idempotencyKey() != null && j.idempotencyKey().isEmpty()) {
            throw new IllegalArgumentException("an empty Idempotency-Key; send none, or a non-empty key");
        }
        return tx("insert", () -> {
            if (j.idempotencyKey() != null) {
                Optional<JobService.Submitted> replay = JobRows.replay(conn, "SELECT " + COLUMNS + ", body_hash FROM jobs", j, SqliteJobStore::row);
                if (replay.isPresent()) {
                    return replay.get();
                }
            }
            long seq;
            try (Statement s = conn.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0) + 1")) {
                rs.next();
                seq = rs.getLong(1);
            }
            String id = "j-" + seq;
            Path dir = jobsRoot.resolve(id);
            String spec = JobRows.withOutput(j.specJson(), dir.toString());
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO jobs (seq, id, name, family, spec_json, body_hash, state,"
                    + " priority, total_steps, output_dir, submitted_at, idempotency_key) VALUES (?,?,?,?,?,?,'QUEUED',?,?,?,?,?)")) {
                ps.setLong(1, seq);
                ps.setString(2, id);
                ps.setString(3, j.name());
                ps.setString(4, j.family());
                ps.setString(5, spec);
                ps.setString(6, j.bodyHash());
                ps.setInt(7, j.priority());
                ps.setLong(8, j.totalSteps());
                ps.setString(9, dir.toString());
                ps.setLong(10, now());
                ps.setString(11, j.idempotencyKey());
                ps.executeUpdate();
            }
            return new JobService.Submitted(getLocked(id).orElseThrow(), true);
        });
    }

    @Override
    public Optional<Job> get(String id) {
        return tx("get", () -> getLocked(id));
    }

    private Optional<Job> getLocked(String id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public List<Job> list(Optional<JobState> state) {
        return tx("list", () -> {
            String sql = "SELECT " + COLUMNS + " FROM jobs" + (state.isPresent() ? " WHERE state = ?" : "") + " ORDER BY seq";
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                if (state.isPresent()) {
                    ps.setString(1, state.get().name());
                }
                List<Job> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Job> claimNext(String worker, Duration lease, Predicate<Job> eligible) {
        return tx("claim", () -> {
            Job pick = null;
            try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS
                    + " FROM jobs WHERE state = 'QUEUED' ORDER BY priority DESC, submitted_at, seq")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Job j = row(rs);
                        if (eligible.test(j)) {
                            pick = j;
                            break;
                        }
                    }
                }
            }
            if (pick == null) {
                return Optional.empty();
            }
            long t = now();
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = 'RUNNING', worker = ?, lease_until = ?,"
                    + " attempt = attempt + 1, started_at = ?, error = NULL WHERE id = ? AND state = 'QUEUED'")) {
                ps.setString(1, worker);
                ps.setLong(2, t + lease.toMillis());
                ps.setLong(3, t);
                ps.setString(4, pick.id());
                if (ps.executeUpdate() != 1) {
                    throw new SQLException("job " + pick.id() + " changed under a write lock");
                }
            }
            return getLocked(pick.id());
        });
    }

    @Override
    public Lease heartbeat(String id, long attempt, Duration lease) {
        return tx("heartbeat", () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "UPDATE jobs SET lease_until = ? WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
                ps.setLong(1, now() + lease.toMillis());
                ps.setString(2, id);
                ps.setLong(3, attempt);
                if (ps.executeUpdate() != 1) {
                    return Lease.LOST;
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT cancel_requested FROM jobs WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getInt(1) != 0 ? Lease.CANCEL_REQUESTED : Lease.HELD;
                }
            }
        });
    }

    @Override
    public boolean progress(String id, long attempt, long step, long totalSteps) {
        return tx("progress", () -> JobRows.progress(conn, "jobs", id, attempt, step, totalSteps));
    }

    @Override
    public boolean finish(String id, long attempt, JobState state, String error) {
        JobRows.requireTerminal(state);
        return tx("finish", () -> {
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = ?, error = ?, finished_at = ?, worker = NULL,"
                    + " lease_until = NULL WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
                ps.setString(1, state.name());
                if (error == null) {
                    ps.setNull(2, Types.VARCHAR);
                } else {
                    ps.setString(2, error);
                }
                ps.setLong(3, now());
                ps.setString(4, id);
                ps.setLong(5, attempt);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean requeue(String id, long attempt) {
        return tx("requeue", () -> {
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = 'QUEUED', worker = NULL, lease_until = NULL"
                    + " WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
                ps.setString(1, id);
                ps.setLong(2, attempt);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Optional<Job> requestCancel(String id) {
        return tx("cancel", () -> {
            long t = now();
            try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = CASE state WHEN 'QUEUED' THEN 'CANCELLED'"
                    + " ELSE state END, finished_at = CASE state WHEN 'QUEUED' THEN ? ELSE finished_at END, cancel_requested = 1"
                    + " WHERE id = ? AND state IN ('QUEUED', 'RUNNING')")) {
                ps.setLong(1, t);
                ps.setString(2, id);
                ps.executeUpdate();
            }
            return getLocked(id);
        });
    }

    @Override
    public int recoverRunning() {
        return tx("recover", () -> release("state = 'RUNNING'", -1));
    }

    @Override
    public int reapExpired() {
        return tx("reap", () -> release("state = 'RUNNING' AND lease_until < ?", now()));
    }

    /** RUNNING rows matching {@code where} go back to QUEUED, or to CANCELLED when a cancel was requested. */
    private int release(String where, long param) throws SQLException {
        int n = 0;
        try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = 'CANCELLED', finished_at = ?, worker = NULL,"
                + " lease_until = NULL WHERE cancel_requested = 1 AND " + where)) {
            ps.setLong(1, now());
            if (param >= 0) {
                ps.setLong(2, param);
            }
            n += ps.executeUpdate();
        }
        try (PreparedStatement ps = conn.prepareStatement("UPDATE jobs SET state = 'QUEUED', worker = NULL, lease_until = NULL"
                + " WHERE " + where)) {
            if (param >= 0) {
                ps.setLong(1, param);
            }
            n += ps.executeUpdate();
        }
        return n;
    }

    @Override
    public Map<JobState, Long> counts() {
        return tx("counts", () -> JobRows.counts(conn, "jobs"));
    }

    @Override
    public boolean reachable() {
        try {
            return tx("ping", () -> JobRows.ping(conn));
        } catch (JobStoreException e) {
            return false;
        }
    }

    /** A real write in its own transaction (the schema version, set to itself): SQLITE_FULL when the disk is full. */
    @Override
    public boolean writable() {
        try {
            return tx("write probe", () -> {
                exec("PRAGMA user_version = " + SCHEMA_VERSION);
                return true;
            });
        } catch (JobStoreException e) {
            return false;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            try {
                conn.close();
            } catch (SQLException e) {
                throw new JobStoreException("closing the job store: " + e.getMessage(), e);
            }
        }
    }

    private static Job row(ResultSet rs) throws SQLException {
        return JobRows.job(rs, rs.getInt("cancel_requested") != 0, rs.getString("output_dir"), SqliteJobStore::instant);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }
}
