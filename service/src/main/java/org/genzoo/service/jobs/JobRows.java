package org.genzoo.service.jobs;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/** The SQL both job stores ({@link SqliteJobStore}, {@link PostgresJobStore}) read alike: a job row, the counts per state, a ping. */
final class JobRows {
    private JobRows() {
    }

    /** How a store reads a time column (epoch milliseconds in SQLite, timestamptz in PostgreSQL); null when NULL. */
    interface Times {
        Instant read(ResultSet rs, String column) throws SQLException;
    }

    /** The job in the current row; the store reads the columns whose type differs ({@code cancel_requested}, times, the folder). */
    static Job job(ResultSet rs, boolean cancelRequested, String outputDir, Times times) throws SQLException {
        return new Job(rs.getString("id"), rs.getString("name"), rs.getString("family"), rs.getString("spec_json"),
                JobState.valueOf(rs.getString("state")), rs.getInt("priority"), rs.getLong("attempt"), rs.getString("worker"),
                rs.getLong("step"), rs.getLong("total_steps"), rs.getString("error"), cancelRequested, outputDir,
                times.read(rs, "submitted_at"), times.read(rs, "started_at"), times.read(rs, "finished_at"),
                rs.getString("idempotency_key"));
    }

    /** How many jobs of {@code table} are in each state, every state present. */
    static Map<JobState, Long> counts(Connection c, String table) throws SQLException {
        Map<JobState, Long> out = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            out.put(s, 0L);
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT state, COUNT(*) FROM " + table + " GROUP BY state")) {
            while (rs.next()) {
                out.put(JobState.valueOf(rs.getString(1)), rs.getLong(2));
            }
        }
        return out;
    }

    /** True when the database answers {@code SELECT 1}. */
    static boolean ping(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        }
    }
}
