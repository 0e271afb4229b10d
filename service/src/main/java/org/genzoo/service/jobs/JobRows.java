package org.genzoo.service.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.genzoo.models.train.JobSpec;

/**
 * What both job stores ({@link SqliteJobStore}, {@link PostgresJobStore}) do alike: read a job row, count
 * the jobs per state, ping, and put a job's output folder into the spec it stores.
 */
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

    /** How a store makes a job of the current row. */
    interface Reader {
        Job read(ResultSet rs) throws SQLException;
    }

    /**
     * The job already stored under {@code j}'s Idempotency-Key, as a replay (not created), if any;
     * {@link IdempotencyConflictException} when that job was submitted with another body.
     *
     * @param select the store's {@code SELECT <columns>, body_hash FROM <table>}
     */
    static Optional<JobService.Submitted> replay(Connection c, String select, JobStore.NewJob j, Reader row) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(select + " WHERE idempotency_key = ?")) {
            ps.setString(1, j.idempotencyKey());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Job existing = row.read(rs);
                if (!rs.getString("body_hash").equals(j.bodyHash())) {
                    throw new IdempotencyConflictException(j.idempotencyKey(), existing.id());
                }
                return Optional.of(new JobService.Submitted(existing, false));
            }
        }
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

    /** Records progress of a running job when {@code attempt} still holds it; false otherwise (a fenced write). */
    static boolean progress(Connection c, String table, String id, long attempt, long step, long totalSteps) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE " + table + " SET step = ?, total_steps = ? WHERE id = ? AND attempt = ? AND state = 'RUNNING'")) {
            ps.setLong(1, step);
            ps.setLong(2, totalSteps);
            ps.setString(3, id);
            ps.setLong(4, attempt);
            return ps.executeUpdate() == 1;
        }
    }

    /** Refuses a state {@code finish} cannot record. */
    static void requireTerminal(JobState state) {
        if (!state.terminal()) {
            throw new IllegalArgumentException("finish needs a terminal state (SUCCEEDED, FAILED, CANCELLED), got " + state);
        }
    }

    /** True when the database answers {@code SELECT 1}. */
    static boolean ping(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        }
    }

    /** {@code specJson} (a JSON object) with {@code "output"} set, pretty-printed as the store keeps it. */
    static String withOutput(String specJson, String output) {
        try {
            JsonNode n = JobSpec.mapper().readTree(specJson);
            if (!(n instanceof ObjectNode o)) {
                throw new IllegalArgumentException("a job's spec must be a JSON object");
            }
            o.put("output", output);
            return JobSpec.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a job's spec must be JSON: " + e.getOriginalMessage(), e);
        }
    }
}
