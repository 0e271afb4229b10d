package org.genzoo.service.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.genzoo.service.jobs.Job;
import org.genzoo.service.jobs.JobEvent;
import org.genzoo.service.jobs.JobService;
import org.genzoo.service.jobs.JobState;

/**
 * {@code GET /api/jobs/{id}/events}: a job's events as server-sent events, one per message
 * ({@code event: progress|eval|state|log}, {@code data:} one JSON line). The stream starts with a
 * {@code state} event holding the job as it is now, and ends after the event that reports a final
 * state (at once for a job that has already finished).
 *
 * <p>The training thread only offers events to a bounded queue; this request's own thread writes
 * them, so a slow client never slows training. When the queue overflows, progress events are
 * dropped (the next one supersedes them) and a keep-alive check re-reads the job so the final
 * state is never lost.
 */
final class EventStream {
    /** Events buffered per client before progress events are dropped. */
    static final int QUEUE = 1024;
    /** Seconds between keep-alive comments (well under Jetty's idle timeout) and job re-reads. */
    static final long KEEPALIVE_SECONDS = 10;
    /** How often a waiting stream looks at {@link #close()}: the bound on how long shutdown waits for streams. */
    static final long POLL_MILLIS = 250;

    private final JobService jobs;
    private final ObjectMapper mapper;
    private volatile boolean closing;

    EventStream(JobService jobs, ObjectMapper mapper) {
        this.jobs = jobs;
        this.mapper = mapper;
    }

    /** Ends every open stream within {@link #POLL_MILLIS} (the server is stopping). */
    void close() {
        closing = true;
    }

    void handle(Context ctx, String id) throws Exception {
        if (jobs.get(id).isEmpty()) {
            throw new ApiException(404, "no job " + id);
        }
        BlockingQueue<JobEvent> queue = new ArrayBlockingQueue<>(QUEUE);
        try (AutoCloseable sub = jobs.subscribe(id, e -> {
            if (!queue.offer(e) && !"progress".equals(e.type())) {
                // Make room for a state/eval event by dropping the oldest (a progress event, usually).
                queue.poll();
                queue.offer(e);
            }
        })) {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            long seq = 0;
            Job now = jobs.get(id).orElseThrow();
            send(out, ++seq, "state", snapshot(now));
            if (now.state().terminal()) {
                return;
            }
            long quietSince = System.nanoTime();
            while (!closing) {
                JobEvent e = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (e == null && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(KEEPALIVE_SECONDS)) {
                    continue;
                }
                quietSince = System.nanoTime();
                if (e != null) {
                    Map<String, Object> data = new LinkedHashMap<>(e.data());
                    data.putIfAbsent("jobId", id);
                    send(out, ++seq, e.type(), data);
                    if (terminalState(e)) {
                        return;
                    }
                } else {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Optional<Job> j = jobs.get(id);
                    if (j.isEmpty() || j.get().state().terminal() && queue.isEmpty()) {
                        if (j.isPresent()) {
                            send(out, ++seq, "state", snapshot(j.get()));
                        }
                        return;
                    }
                }
            }
        } catch (IOException gone) {
            // The client went away: nothing to answer; the subscription is closed above.
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt(); // the server is stopping: end the stream
        }
    }

    static boolean terminalState(JobEvent e) {
        if (!"state".equals(e.type())) {
            return false;
        }
        Object s = e.data().get("state");
        if (s == null) {
            return false;
        }
        try {
            return JobState.valueOf(s.toString()).terminal();
        } catch (IllegalArgumentException unknown) {
            return false;
        }
    }

    static Map<String, Object> snapshot(Job j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", j.id());
        m.put("state", j.state().name());
        m.put("step", j.step());
        m.put("totalSteps", j.totalSteps());
        m.put("error", j.error());
        return m;
    }

    private void send(OutputStream out, long id, String type, Map<String, Object> data) throws IOException {
        String json = mapper.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(finite(data));
        StringBuilder sb = new StringBuilder();
        sb.append("id: ").append(id).append('\n');
        sb.append("event: ").append(type.replaceAll("[\\r\\n]", " ")).append('\n');
        // JSON from Jackson has no raw newlines (they are escaped), so one data line suffices.
        sb.append("data: ").append(json).append("\n\n");
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** NaN and infinities as null: JSON has no spelling for them (an ETA before there is a rate is NaN). */
    static Map<String, Object> finite(Map<String, Object> data) {
        Map<String, Object> m = new LinkedHashMap<>();
        data.forEach((k, v) -> {
            if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
                m.put(k, null);
            } else {
                m.put(k, v);
            }
        });
        return m;
    }
}
