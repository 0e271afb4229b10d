package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link JobStoreContract} on {@link SqliteJobStore}, with a clock the test moves, and what only the
 * SQLite store does: recovery of a dead process's jobs on open, migrations of the file.
 *
 * <p>The database goes to a folder in /dev/shm when there is one: these tests check the store's logic,
 * not the disk; on tmpfs an fsync costs nothing, so hundreds of durable commits stay fast on a busy
 * shared disk. Elsewhere, JUnit's temp folder.
 */
class SqliteJobStoreContractTest extends JobStoreContract {
    @TempDir
    Path tempDir;
    Path tmp;
    final ManualClock clock = new ManualClock();

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        volatile long millis = 1_700_000_000_000L;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        void advance(Duration d) {
            millis += d.toMillis();
        }
    }

    @BeforeEach
    void folder() throws IOException {
        Path shm = Path.of("/dev/shm");
        tmp = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "genzoo-contract-") : tempDir;
    }

    @AfterEach
    void removeFolder() throws IOException {
        if (!tmp.equals(tempDir)) {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void runningJobsOfADeadProcessAreRecoveredOnOpen() {
        String a;
        String b;
        try (JobStore store = open()) {
            a = store.insert(job("a", 0, null)).job().id();
            b = store.insert(job("b", 0, null)).job().id();
            store.claimNext("dead", lease(), x -> true).orElseThrow();
            store.claimNext("dead", lease(), x -> true).orElseThrow();
            store.requestCancel(b);
        }
        try (JobStore store = open()) {
            assertEquals(2, store.recoverRunning());
            Job ja = store.get(a).orElseThrow();
            assertEquals(JobState.QUEUED, ja.state());
            assertEquals(null, ja.worker());
            assertEquals(JobState.CANCELLED, store.get(b).orElseThrow().state(), "a cancel asked before the crash holds");
            Job again = store.claimNext("new", lease(), x -> true).orElseThrow();
            assertEquals(a, again.id());
            assertEquals(2, again.attempt());
        }
    }

    @Test
    void migrationsBringAnEmptyFileToTheLatestVersionAndRefuseANewerOne() throws Exception {
        try (JobStore s = open()) {
            s.insert(job("kept", 0, null));
        }
        Path db = tmp.resolve(SqliteJobStore.DB_FILE);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
                rs.next();
                assertEquals(Migrations.latest(Migrations.SQLITE), rs.getInt(1));
            }
            st.executeUpdate("PRAGMA user_version = 99");
        }
        JobStoreException e = assertThrows(JobStoreException.class, this::open);
        assertTrue(e.getMessage().contains("schema version 99 but this GenZoo knows versions up to "
                + Migrations.latest(Migrations.SQLITE)), e.getMessage());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.executeUpdate("PRAGMA user_version = " + Migrations.latest(Migrations.SQLITE));
        }
        try (JobStore s = open()) {
            assertEquals("kept", s.get("j-1").orElseThrow().name(), "the refusal changed nothing");
        }
    }

    @Override
    JobStore open() {
        return SqliteJobStore.open(tmp.resolve(SqliteJobStore.DB_FILE), tmp.resolve("jobs"), clock);
    }

    @Override
    Duration lease() {
        return Duration.ofSeconds(30);
    }

    @Override
    void pass(Duration d) {
        clock.advance(d);
    }
}
