package org.genzoo.service.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>An open stream holds no request thread: the handler hands the request to Jetty's async mode
 * and returns. The training thread only offers events to the stream's bounded queue; a small pool of
 * writer threads ({@link #WRITERS}) writes them, one stream at a time per thread, so neither a slow
 * client nor a thousand open streams slow training or take the threads that answer the API and the
 * health checks. When a queue overflows, progress events are dropped (the next one supersedes them);
 * a keep-alive tick every {@link #KEEPALIVE_SECONDS} writes a comment and re-reads the job, so the
 * final state always arrives and a vanished client is noticed. Streams are bounded in total (503
 * beyond) and per client address (429 beyond), both with Retry-After.
 */
final class EventStream {
    /** Events buffered per client before progress events are dropped. */
    static final int QUEUE = 1024;
    /** Seconds between keep-alive comments (well under Jetty's idle timeout) and job re-reads. */
    static final long KEEPALIVE_SECONDS = 10;
    /** Threads that write events to the streams (writes block only while a client's socket buffer is full). */
    static final int WRITERS = 4;
    /** Retry-After, in seconds, on a stream refused for a limit. */
    static final int RETRY_AFTER_SECONDS = 10;

    private final JobService jobs;
    private final ObjectMapper mapper;
    private final int maxStreams;
    private final int maxPerClient;
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final ExecutorService writers;
    private final ScheduledExecutorService ticks;
    private volatile boolean closing;

    EventStream(JobService jobs, ObjectMapper mapper, int maxStreams, int maxPerClient) {
        this.jobs = jobs;
        this.mapper = mapper;
        this.maxStreams = maxStreams;
        this.maxPerClient = maxPerClient;
        this.writers = Executors.newFixedThreadPool(WRITERS, daemon("genzoo-events-"));
        this.ticks = Executors.newSingleThreadScheduledExecutor(daemon("genzoo-events-keepalive-"));
        ticks.scheduleWithFixedDelay(this::keepAlive, KEEPALIVE_SECONDS, KEEPALIVE_SECONDS, TimeUnit.SECONDS);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Streams open now. */
    int openStreams() {
        return open.size();
    }

    /** Ends every open stream (the server is stopping). */
    void close() {
        closing = true;
        for (Stream s : List.copyOf(open)) {
            s.end();
        }
        ticks.shutdownNow();
        writers.shutdown();
        try {
            writers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writers.shutdownNow();
    }

    void handle(Context ctx, String id) {
        Job now = jobs.get(id).orElseThrow(() -> new ApiException(404, "no job " + id));
        if (closing) {
            ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
            throw new ApiException(503, "the server is stopping; no new event streams");
        }
        String client = ctx.ip();
        synchronized (this) {
            if (open.size() >= maxStreams) {
                ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
                throw new ApiException(503, "the server has " + open.size() + " event streams open, its limit"
                        + " (--max-event-streams); poll GET /api/jobs/" + id + " instead, or retry later");
            }
            AtomicInteger mine = perClient.computeIfAbsent(client, k -> new AtomicInteger());
            if (mine.get() >= maxPerClient) {
                ctx.header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
                throw new ApiException(429, "this client (" + client + ") has " + mine.get() + " event streams open, the limit per"
                        + " client (--max-event-streams-per-client); close some first");
            }
            mine.incrementAndGet();
        }
        Stream s;
        try {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            s = new Stream(id, client, ctx.res().getOutputStream());
        } catch (IOException | RuntimeException e) {
            release(client);
            throw new ApiException(400, "the event stream could not be opened: " + e.getMessage());
        }
        open.add(s);
        ctx.future(() -> s.done);
        s.start(now);
    }

    private void release(String client) {
        synchronized (this) {
            AtomicInteger n = perClient.get(client);
            if (n != null && n.decrementAndGet() <= 0) {
                perClient.remove(client);
            }
        }
    }

    private void keepAlive() {
        for (Stream s : List.copyOf(open)) {
            s.tick.set(true);
            s.schedule();
        }
    }

    /** One open stream: its queue, its output, and whether a writer is on it. */
    private final class Stream {
        final String id;
        final String client;
        final OutputStream out;
        final BlockingQueue<JobEvent> queue = new ArrayBlockingQueue<>(QUEUE);
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicBoolean scheduled = new AtomicBoolean();
        final AtomicBoolean tick = new AtomicBoolean();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile AutoCloseable subscription;
        volatile Job first;
        long seq;

        Stream(String id, String client, OutputStream out) {
            this.id = id;
            this.client = client;
            this.out = out;
        }

        void start(Job now) {
            first = now;
            if (!now.state().terminal()) {
                subscription = jobs.subscribe(id, e -> {
                    if (!queue.offer(e) && !"progress".equals(e.type())) {
                        queue.poll(); // make room for a state/eval/log event by dropping the oldest
                        queue.offer(e);
                    }
                    schedule();
                });
            }
            schedule();
        }

        void schedule() {
            if (!ended.get() && scheduled.compareAndSet(false, true)) {
                try {
                    writers.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    end();
                }
            }
        }

        /** Runs on a writer thread, never two at once for one stream. */
        void drain() {
            try {
                Job j = first;
                if (j != null) {
                    first = null;
                    send(++seq, "state", snapshot(j));
                    if (j.state().terminal()) {
                        end();
                        return;
                    }
                }
                JobEvent e;
                while (!ended.get() && (e = queue.poll()) != null) {
                    Map<String, Object> data = new LinkedHashMap<>(e.data());
                    data.putIfAbsent("jobId", id);
                    send(++seq, e.type(), data);
                    if (terminalState(e)) {
                        end();
                        return;
                    }
                }
                if (tick.compareAndSet(true, false) && !ended.get()) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Optional<Job> now = jobs.get(id);
                    if (now.isEmpty() || now.get().state().terminal() && queue.isEmpty()) {
                        if (now.isPresent()) {
                            send(++seq, "state", snapshot(now.get()));
                        }
                        end();
                        return;
                    }
                }
            } catch (IOException | RuntimeException gone) {
                end(); // the client went away (or the server is stopping): nothing to answer
                return;
            } finally {
                scheduled.set(false);
            }
            if (!queue.isEmpty() || tick.get()) {
                schedule(); // an event arrived while this writer was finishing
            }
        }

        /** Unsubscribes, frees its place, and lets Jetty complete the response. Idempotent. */
        void end() {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            AutoCloseable sub = subscription;
            if (sub != null) {
                try {
                    sub.close();
                } catch (Exception e) {
                    // the subscription list is in memory; closing it cannot fail in a way that matters here
                }
            }
            if (open.remove(this)) {
                release(client);
            }
            done.complete(null);
        }

        private void send(long n, String type, Map<String, Object> data) throws IOException {
            String json = mapper.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(finite(data));
            StringBuilder sb = new StringBuilder();
            sb.append("id: ").append(n).append('\n');
            sb.append("event: ").append(type.replaceAll("[\\r\\n]", " ")).append('\n');
            // JSON from Jackson has no raw newlines (they are escaped), so one data line suffices.
            sb.append("data: ").append(json).append("\n\n");
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
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
