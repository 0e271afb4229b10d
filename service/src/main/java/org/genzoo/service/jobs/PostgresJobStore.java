package org.genzoo.service.jobs;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The {@link JobStore} for a fleet: one PostgreSQL database that the workers of many machines share.
 * Same contract as {@link SqliteJobStore}, with what a shared server needs on top:
 * <ul>
 * <li><b>Claims</b> are one {@code UPDATE ... WHERE seq = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)}:
 *     concurrent claimers never wait on each other's candidate row and never take the same job. A
 *     {@link DeviceOffer} claim filters in SQL by the job's device selector and memory estimate.
 * <li><b>Leases</b> are {@code clock_timestamp() + lease} and expire against {@code clock_timestamp()}:
 *     only the database server's clock decides; no node's clock is ever compared with another's.
 * <li><b>The reaper</b> ({@link #reapExpired}) may run on every node at once: it locks expired rows
 *     with {@code SKIP LOCKED} and re-checks them under the lock, so each expiry is handled once. A job
 *     whose lease expired on its {@code maxAttempts}-th attempt fails with the reason instead of
 *     going back to the queue.
 * <li><b>Fencing</b>: every worker write names its attempt and applies only while the row is RUNNING
 *     with that attempt; {@link #fence} lets artifact writes check the same thing inside a transaction
 *     that holds the job's row lock (see {@link MountedArtifactStore}).
 * <li><b>Wake-up</b>: an insert or requeue sends {@code NOTIFY genzoo_jobs}; a cancel sends
 *     {@code NOTIFY genzoo_cancel} with the job id. {@link #listen} delivers them; idle workers still
 *     poll as the fallback.
 * <li><b>Reconnection</b>: connections come from a small pool; one that fails with a connection error
 *     is dropped and the next call opens a fresh one, so after a database restart the store works
 *     again without being reopened. The call that met the failure throws {@link JobStoreException}.
 * </ul>
 * {@link #recoverRunning} cannot know which RUNNING jobs belong to dead processes (other nodes' jobs
 * are alive), so on a shared store it only reaps expired leases.
 */
public final class PostgresJobStore implements JobStore {
    /** Channel of "a job was queued" notifications. */
    public static final String QUEUED_CHANNEL = "genzoo_jobs";
    /** Channel of cancel requests; the payload is the job id. */
    public static final String CANCEL_CHANNEL = "genzoo_cancel";
    /** Default of {@link Settings#maxAttempts}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    private static final String COLUMNS = "id, name, family, spec_json, state, priority, attempt, worker, step, total_steps,"
            + " error, cancel_requested, submitted_at, started_at, finished_at, idempotency_key";
    private static final String ORDER = "ORDER BY priority DESC, submitted_at, seq";

    /**
     * @param maxAttempts a job whose lease expires on this attempt fails instead of being requeued
     * @param poolSize    connections kept open at most (calls beyond wait for one)
     */
    public record Settings(int maxAttempts, int poolSize) {
        public Settings {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
            }
            if (poolSize < 1) {
                throw new IllegalArgumentException("poolSize must be at least 1, got " + poolSize);
            }
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_MAX_ATTEMPTS, 4);
        }

        public Settings withMaxAttempts(int n) {
            return new Settings(n, poolSize);
        }
    }

    /** A JDBC URL and its connection properties, from a {@code postgresql://} URL. */
    public record Target(String jdbcUrl, Properties properties) {
        /** The URL without credentials, for messages. */
        public String describe() {
            return jdbcUrl + (properties.getProperty("user") != null ? " as " + properties.getProperty("user") : "");
        }
    }

    /**
     * Reads {@code postgresql://[user[:password]@]host[:port]/database[?param=value&...]} (also
     * {@code postgres://} and {@code jdbc:postgresql://}). Without a user or password in the URL,
     * {@code PGUSER} and {@code PGPASSWORD} are used when set.
     */
    public static Target parseUrl(String url, Map<String, String> env) {
        String u = url.trim();
        if (u.startsWith("jdbc:")) {
            u = u.substring(5);
        }
        if (!u.startsWith("postgresql://") && !u.startsWith("postgres://")) {
            throw new IllegalArgumentException("not a PostgreSQL URL: expected postgresql://[user[:password]@]host[:port]/database,"
                    + " got " + redact(url));
        }
        URI uri;
        try {
            uri = new URI(u);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("cannot read the PostgreSQL URL " + redact(url) + ": " + e.getReason(), e);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the PostgreSQL URL " + redact(url) + " names no host");
        }
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        Properties p = new Properties();
        if (uri.getRawUserInfo() != null) {
            String[] ui = uri.getRawUserInfo().split(":", 2);
            p.setProperty("user", URLDecoder.decode(ui[0], StandardCharsets.UTF_8));
            if (ui.length == 2) {
                p.setProperty("password", URLDecoder.decode(ui[1], StandardCharsets.UTF_8));
            }
        }
        if (p.getProperty("user") == null && env.get("PGUSER") != null) {
            p.setProperty("user", env.get("PGUSER"));
        }
        if (p.getProperty("password") == null && env.get("PGPASSWORD") != null) {
            p.setProperty("password", env.get("PGPASSWORD"));
        }
        // Fail fast on a dead server instead of hanging a worker; keep idle connections alive through NATs.
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "60");
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", "genzoo");
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                String[] parts = kv.split("=", 2);
                if (!parts[0].isEmpty()) {
                    p.setProperty(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                            parts.length == 2 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "");
                }
            }
        }
        String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        return new Target("jdbc:postgresql://" + hostPort + "/" + db, p);
    }

    /** The URL with any password replaced by ***. */
    static String redact(String url) {
        return url.replaceAll("(//[^/:@]*:)[^@/]*@", "$1***@");
    }

    /** Whether {@code store} names a PostgreSQL database (else it is a folder for SQLite). */
    public static boolean isUrl(String store) {
        String s = store.trim();
        return s.startsWith("postgresql://") || s.startsWith("postgres://") || s.startsWith("jdbc:postgresql://");
    }

    private final Target target;
    private final Path jobsRoot;
    private final Settings settings;
    private final BlockingQueue<Connection> idle;
    private final Semaphore permits;
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
    private final Object listenerLock = new Object();
    private Thread listenerThread;
    private volatile boolean closed;

    private PostgresJobStore(Target target, Path jobsRoot, Settings settings) {
        this.target = target;
        this.jobsRoot = jobsRoot.toAbsolutePath();
        this.settings = settings;
        this.idle = new ArrayBlockingQueue<>(settings.poolSize());
        this.permits = new Semaphore(settings.poolSize());
    }

    /**
     * Connects, applies the {@link Migrations#POSTGRES} steps the database lacks (a newer schema is
     * refused), and returns the store. Job folders are {@code <jobsRoot>/<id>}.
     */
    public static PostgresJobStore open(String url, Path jobsRoot, Settings settings) {
        Target t = parseUrl(url, System.getenv());
        PostgresJobStore store = new PostgresJobStore(t, jobsRoot, settings);
        try {
            store.call("migrate", c -> Migrations.applyPostgres(c, Migrations.POSTGRES));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** The schema version the database has now. */
    public int schemaVersion() {
        return call("schema version", c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM genzoo_schema")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    public Settings settings() {
        return settings;
    }

    public String describe() {
        return target.describe();
    }

    // ---- connections ----

    @FunctionalInterface
    interface SqlCall<T> {
        T run(Connection c) throws SQLException;
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(target.jdbcUrl(), target.properties());
    }

    /**
     * Runs {@code body} on a pooled connection in auto-commit mode. A connection that fails with a
     * connection-class error (SQLSTATE 08..., 57P..: the server went away or is shutting down) is
     * closed and not returned, so the next call reconnects.
     */
    <T> T call(String what, SqlCall<T> body) {
        if (closed) {
            throw new JobStoreException("job store: " + what + " failed: the store is closed", null);
        }
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobStoreException("job store: " + what + " interrupted", e);
        }
        Connection c = null;
        boolean reusable = false;
        try {
            c = idle.poll();
            if (c == null) {
                c = connect();
            }
            T out = body.run(c);
            reusable = true;
            return out;
        } catch (SQLException e) {
            reusable = c != null && !connectionLost(e);
            throw new JobStoreException("job store (" + target.describe() + "): " + what + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            reusable = true; // an answer we refused (idempotency conflict, bad argument): the connection is fine
            throw e;
        } finally {
            if (c != null) {
                if (reusable && autoCommit(c)) {
                    idle.offer(c);
                } else {
                    discard(c);
                }
            }
            permits.release();
        }
    }

    /** SQLSTATE class 08 (connection exception) or 57P (operator intervention: shutdown, terminated session). */
    static boolean connectionLost(SQLException e) {
        String st = e.getSQLState();
        return st == null || st.startsWith("08") || st.startsWith("57P") || st.equals("25P03");
    }

    private static boolean autoCommit(Connection c) {
        try {
            return !c.isClosed() && c.getAutoCommit();
        } catch (SQLException e) {
            return false;
        }
    }

    /** {@code body} in one transaction (read committed), committed when it returns and rolled back when it throws. */
    <T> T tx(String what, SqlCall<T> body) {
        return call(what, c -> {
            c.setAutoCommit(false);
            try {
                T out = body.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            } finally {
                if (!c.isClosed()) {
                    c.setAutoCommit(true);
                }
            }
        });
    }

    private static void discard(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Closing a connection that already failed: nothing more to learn from it.
        }
    }

    // ---- jobs ----

    @Override
    public JobService.Submitted insert(NewJob j) {
        if (j.idempotencyKey() != null && j.idempotencyKey().isEmpty()) {
            throw new IllegalArgumentException("an empty Idempotency-Key; send none, or a non-empty key");
        }
        String selector = DeviceOffer.selectorOf(j.specJson());
        return tx("insert", c -> {
            if (j.idempotencyKey() != null) {
                // Serializes inserts of one key (two nodes may submit the same key at once) without a table lock.
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                    ps.setString(1, j.idempotencyKey());
                    ps.executeQuery().close();
                }
                Optional<JobService.Submitted> replay = JobRows.replay(c, "SELECT " + COLUMNS + ", body_hash FROM genzoo_jobs", j, this::row);
                if (replay.isPresent()) {
                    return replay.get();
                }
            }
            long seq;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT nextval(pg_get_serial_sequence('genzoo_jobs', 'seq'))")) {
                rs.next();
                seq = rs.getLong(1);
            }
            String id = "j-" + seq;
            String spec = JobRows.withOutput(j.specJson(), jobsRoot.resolve(id).toString());
            Job made;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO genzoo_jobs (seq, name, family, spec_json, body_hash, state, priority,"
                    + " total_steps, device_selector, required_bytes, idempotency_key) VALUES (?,?,?,?,?,'QUEUED',?,?,?,?,?) RETURNING " + COLUMNS)) {
                ps.setLong(1, seq);
                ps.setString(2, j.name());
                ps.setString(3, j.family());
                ps.setString(4, spec);
                ps.setString(5, j.bodyHash());
                ps.setInt(6, j.priority());
                ps.setLong(7, j.totalSteps());
                ps.setString(8, selector);
                ps.setLong(9, j.requiredBytes());
                ps.setString(10, j.idempotencyKey());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    made = row(rs);
                }
            }
            notify(c, QUEUED_CHANNEL, made.id());
            return new JobService.Submitted(made, true);
        });
    }

    private static void notify(Connection c, String channel, String payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.executeQuery().close();
        }
    }

    @Override
    public Optional<Job> get(String id) {
        return call("get", c -> get(c, id));
    }

    private Optional<Job> get(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM genzoo_jobs WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public List<Job> list(Optional<JobState> state) {
        return call("list", c -> {
            String sql = "SELECT " + COLUMNS + " FROM genzoo_jobs" + (state.isPresent() ? " WHERE state = ?" : "") + " ORDER BY seq";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
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

    private static final String CLAIM_SET = "SET state = 'RUNNING', worker = ?, attempt = attempt + 1,"
            + " lease_until = clock_timestamp() + ? * INTERVAL '1 millisecond', started_at = clock_timestamp(), error = NULL";

    @Override
    public Optional<Job> claimNext(String worker, Duration lease, Predicate<Job> eligible) {
        return tx("claim", c -> {
            // Candidates in queue order, each locked as it is read; rows other claimers hold are skipped.
            String pick = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM genzoo_jobs WHERE state = 'QUEUED' " + ORDER
                    + " FOR UPDATE SKIP LOCKED")) {
                ps.setFetchSize(64);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Job j = row(rs);
                        if (eligible.test(j)) {
                            pick = j.id();
                            break;
                        }
                    }
                }
            }
            if (pick == null) {
                return Optional.empty();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs " + CLAIM_SET + " WHERE id = ? AND state = 'QUEUED'"
                    + " RETURNING " + COLUMNS)) {
                ps.setString(1, worker);
                ps.setLong(2, lease.toMillis());
                ps.setString(3, pick);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("job " + pick + " changed under its row lock");
                    }
                    return Optional.of(row(rs));
                }
            }
        });
    }

    /**
     * One statement: the first QUEUED job (priority, then submission) whose selector accepts the
     * offer and whose memory estimate fits, locked with SKIP LOCKED and marked RUNNING.
     */
    @Override
    public Optional<Job> claimNext(String worker, Duration lease, DeviceOffer offer) {
        return call("claim", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs " + CLAIM_SET + " WHERE seq = ("
                    + "SELECT seq FROM genzoo_jobs WHERE state = 'QUEUED' AND required_bytes <= ? AND ("
                    + " device_selector = 'auto' OR device_selector = ? OR device_selector = ?"
                    + " OR (device_selector NOT IN ('gpu', 'cpu', 'accelerator') AND device_selector !~ '^[0-9]+:[0-9]+$'"
                    + "     AND strpos(?, device_selector) > 0))"
                    + " " + ORDER + " LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)) {
                ps.setString(1, worker);
                ps.setLong(2, lease.toMillis());
                ps.setLong(3, offer.freeBytes());
                ps.setString(4, offer.deviceType());
                ps.setString(5, offer.deviceSelector());
                ps.setString(6, offer.deviceName().toLowerCase(java.util.Locale.ROOT));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Lease heartbeat(String id, long attempt, Duration lease) {
        return call("heartbeat", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs SET lease_until = clock_timestamp() + ? * INTERVAL '1 millisecond'"
                    + " WHERE id = ? AND attempt = ? AND state = 'RUNNING' RETURNING cancel_requested")) {
                ps.setLong(1, lease.toMillis());
                ps.setString(2, id);
                ps.setLong(3, attempt);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Lease.LOST;
                    }
                    return rs.getBoolean(1) ? Lease.CANCEL_REQUESTED : Lease.HELD;
                }
            }
        });
    }

    @Override
    public boolean progress(String id, long attempt, long step, long totalSteps) {
        return call("progress", c -> JobRows.progress(c, "genzoo_jobs", id, attempt, step, totalSteps));
    }

    @Override
    public boolean finish(String id, long attempt, JobState state, String error) {
        JobRows.requireTerminal(state);
        return call("finish", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs SET state = ?, error = ?, finished_at = clock_timestamp(),"
                    + " worker = NULL, lease_until = NULL WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
                ps.setString(1, state.name());
                ps.setString(2, error);
                ps.setString(3, id);
                ps.setLong(4, attempt);
                return ps.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean requeue(String id, long attempt) {
        return tx("requeue", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs SET state = 'QUEUED', worker = NULL, lease_until = NULL"
                    + " WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
                ps.setString(1, id);
                ps.setLong(2, attempt);
                if (ps.executeUpdate() != 1) {
                    return false;
                }
            }
            notify(c, QUEUED_CHANNEL, id);
            return true;
        });
    }

    @Override
    public Optional<Job> requestCancel(String id) {
        return tx("cancel", c -> {
            boolean running;
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs SET state = CASE state WHEN 'QUEUED' THEN 'CANCELLED'"
                    + " ELSE state END, finished_at = CASE state WHEN 'QUEUED' THEN clock_timestamp() ELSE finished_at END,"
                    + " cancel_requested = TRUE WHERE id = ? AND state IN ('QUEUED', 'RUNNING') RETURNING state")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    running = rs.next() && rs.getString(1).equals("RUNNING");
                }
            }
            if (running) {
                notify(c, CANCEL_CHANNEL, id);
            }
            return get(c, id);
        });
    }

    /** On a shared store only expired leases tell that a process died: the same as {@link #reapExpired}. */
    @Override
    public int recoverRunning() {
        return reapExpired();
    }

    /**
     * RUNNING jobs whose lease expired (database clock) go back to QUEUED; to CANCELLED when a cancel
     * was asked; to FAILED, with the reason, when the expired attempt was the {@code maxAttempts}-th.
     * Safe on every node at once: expired rows are locked with SKIP LOCKED and re-checked under the lock.
     */
    @Override
    public int reapExpired() {
        return tx("reap", c -> {
            int requeued = 0;
            int n = 0;
            try (PreparedStatement ps = c.prepareStatement("UPDATE genzoo_jobs j SET"
                    + " state = CASE WHEN j.cancel_requested THEN 'CANCELLED' WHEN j.attempt >= ? THEN 'FAILED' ELSE 'QUEUED' END,"
                    + " error = CASE WHEN j.cancel_requested OR j.attempt < ? THEN j.error ELSE 'the lease of attempt ' || j.attempt"
                    + "   || ' expired (worker ' || COALESCE(j.worker, '?') || ' stopped renewing it); gave up after ' || j.attempt"
                    + "   || ' attempts (max attempts ' || ? || ')' END,"
                    + " finished_at = CASE WHEN j.cancel_requested OR j.attempt >= ? THEN clock_timestamp() ELSE NULL END,"
                    + " worker = NULL, lease_until = NULL"
                    + " FROM (SELECT seq FROM genzoo_jobs WHERE state = 'RUNNING' AND lease_until < clock_timestamp()"
                    + "       FOR UPDATE SKIP LOCKED) x WHERE j.seq = x.seq RETURNING j.state")) {
                int max = settings.maxAttempts();
                ps.setInt(1, max);
                ps.setInt(2, max);
                ps.setInt(3, max);
                ps.setInt(4, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        n++;
                        requeued += rs.getString(1).equals("QUEUED") ? 1 : 0;
                    }
                }
            }
            if (requeued > 0) {
                notify(c, QUEUED_CHANNEL, "reaped");
            }
            return n;
        });
    }

    @Override
    public Map<JobState, Long> counts() {
        return call("counts", c -> JobRows.counts(c, "genzoo_jobs"));
    }

    @Override
    public boolean reachable() {
        try {
            return call("ping", JobRows::ping);
        } catch (JobStoreException e) {
            return false;
        }
    }

    // ---- fencing for artifact writes ----

    /** Work done while a job's row is locked and known to be held by one attempt. */
    @FunctionalInterface
    public interface Fenced {
        void run() throws java.io.IOException;
    }

    /**
     * Runs {@code body} inside a transaction that holds the row lock of job {@code id} and has checked
     * that the row is RUNNING with {@code attempt}; false (and {@code body} not run) when it is not.
     * While the lock is held the reaper skips the row and no other attempt can start, so what
     * {@code body} writes belongs to the attempt that holds the job. A holder that stalls inside
     * {@code body} longer than {@code maxHold} loses its session (the server's
     * {@code idle_in_transaction_session_timeout}), so a frozen process cannot pin a job forever.
     */
    public boolean fence(String id, long attempt, Duration maxHold, Fenced body) throws java.io.IOException {
        try {
            return tx("fenced write", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL idle_in_transaction_session_timeout = " + Math.max(1, maxHold.toMillis()));
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT 1 FROM genzoo_jobs WHERE id = ? AND attempt = ? AND state = 'RUNNING' FOR UPDATE")) {
                    ps.setString(1, id);
                    ps.setLong(2, attempt);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            return false;
                        }
                    }
                }
                try {
                    body.run();
                } catch (java.io.IOException e) {
                    throw new FencedIo(e);
                }
                // Still our session and our lock: a stall past maxHold ended the session and fails this query.
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                    rs.next();
                }
                return true;
            });
        } catch (FencedIo e) {
            throw e.io;
        }
    }

    /** Carries an artifact write's IOException through the SQL callback. */
    private static final class FencedIo extends RuntimeException {
        final java.io.IOException io;

        FencedIo(java.io.IOException io) {
            super(io);
            this.io = io;
        }
    }

    // ---- workers (GET /api/workers) ----

    /** One worker of the fleet as the database last heard of it. */
    public record WorkerRow(String name, String node, String device, String deviceType, String jobId, long attempt,
            Instant startedAt, Instant heartbeatAt, double secondsSinceHeartbeat) {
    }

    /** Records (or refreshes) a worker: its node, device, current job (null when idle); the time is the database's. */
    public void touchWorker(String name, String node, String device, String deviceType, String jobId, long attempt) {
        call("worker heartbeat", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO genzoo_workers (name, node, device, device_type, job_id, attempt)"
                    + " VALUES (?,?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET node = EXCLUDED.node, device = EXCLUDED.device,"
                    + " device_type = EXCLUDED.device_type, job_id = EXCLUDED.job_id, attempt = EXCLUDED.attempt,"
                    + " heartbeat_at = clock_timestamp()")) {
                ps.setString(1, name);
                ps.setString(2, node);
                ps.setString(3, device);
                ps.setString(4, deviceType);
                ps.setString(5, jobId);
                if (jobId == null) {
                    ps.setNull(6, java.sql.Types.BIGINT);
                } else {
                    ps.setLong(6, attempt);
                }
                return ps.executeUpdate();
            }
        });
    }

    /** Removes a worker that stopped cleanly. */
    public void removeWorker(String name) {
        call("worker removal", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM genzoo_workers WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Every worker whose last heartbeat is younger than {@code forgetAfter}, by node then name; older
     * rows (workers of processes that died) are deleted.
     */
    public List<WorkerRow> workers(Duration forgetAfter) {
        return tx("workers", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM genzoo_workers WHERE heartbeat_at < clock_timestamp() - ? * INTERVAL '1 millisecond'")) {
                ps.setLong(1, forgetAfter.toMillis());
                ps.executeUpdate();
            }
            List<WorkerRow> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name, node, device, device_type, job_id, attempt,"
                    + " started_at, heartbeat_at, EXTRACT(EPOCH FROM clock_timestamp() - heartbeat_at) FROM genzoo_workers ORDER BY node, name")) {
                while (rs.next()) {
                    out.add(new WorkerRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getLong(6), rs.getTimestamp(7).toInstant(), rs.getTimestamp(8).toInstant(), rs.getDouble(9)));
                }
            }
            return out;
        });
    }

    // ---- LISTEN / NOTIFY ----

    /**
     * Calls {@code listener(channel, payload)} for every {@value #QUEUED_CHANNEL} and
     * {@value #CANCEL_CHANNEL} notification, on one listener thread per store (started by the first
     * call) that reconnects by itself after a failure. Close the handle to stop receiving.
     */
    public AutoCloseable listen(BiConsumer<String, String> listener) {
        listeners.add(listener);
        synchronized (listenerLock) {
            if (listenerThread == null) {
                listenerThread = new Thread(this::listenLoop, "genzoo-pg-listen");
                listenerThread.setDaemon(true);
                listenerThread.start();
            }
        }
        return () -> listeners.remove(listener);
    }

    private void listenLoop() {
        long backoff = 100;
        while (!closed) {
            try (Connection c = connect()) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + QUEUED_CHANNEL);
                    s.execute("LISTEN " + CANCEL_CHANNEL);
                }
                // Jobs queued while this connection was down raised no notification it could see: wake everyone once.
                dispatch(QUEUED_CHANNEL, "reconnected");
                backoff = 100;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] ns = pg.getNotifications(500);
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            dispatch(n.getName(), n.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (closed) {
                    return;
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(2_000, backoff * 2);
            }
        }
    }

    private void dispatch(String channel, String payload) {
        for (BiConsumer<String, String> l : listeners) {
            l.accept(channel, payload);
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (listenerLock) {
            t = listenerThread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Connection c;
        while ((c = idle.poll()) != null) {
            discard(c);
        }
    }

    private Job row(ResultSet rs) throws SQLException {
        return JobRows.job(rs, rs.getBoolean("cancel_requested"), jobsRoot.resolve(rs.getString("id")).toString(),
                PostgresJobStore::instant);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
