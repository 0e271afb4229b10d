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
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link JobStoreContract} on {@link SqliteJobStore}, with a clock the test moves (database in /dev/shm when there is one). */
class SqliteJobStoreContractTest extends JobStoreContract {
    @TempDir
    Path tempDir;
    Path tmp;
    final SqliteJobStoreTest.ManualClock clock = new SqliteJobStoreTest.ManualClock();

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
