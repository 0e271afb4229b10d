package org.genzoo.service.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
