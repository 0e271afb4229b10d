package org.genzoo.service.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.genzoo.models.train.JobSpec;

/**
 * A serving process for {@link ServiceKillTest}, run in a child JVM: starts {@link LocalJobService}
 * on a data folder with one CPU worker, submits a spec under an idempotency key (a restart finds the
 * same job), prints every event of that job as one line on stdout, and exits when the job ends.
 *
 * <p>Arguments: data folder, spec file, idempotency key.
 */
public final class ServeMain {
    private ServeMain() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        String spec = Files.readString(Path.of(args[1]));
        LocalJobService.Config cfg = LocalJobService.Config.defaults().withDataDir(data).withDevices(List.of("cpu"))
                .withLease(Duration.ofSeconds(3)).withPoll(Duration.ofMillis(200));
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<String> end = new AtomicReference<>();
        AtomicReference<String> jobId = new AtomicReference<>();
        try (LocalJobService svc = LocalJobService.start(cfg)) {
            System.out.println("STARTED recovered=" + svc.recoveredOnStart());
            try (AutoCloseable sub = svc.subscribeAll(e -> {
                if (jobId.get() != null && !e.jobId().equals(jobId.get())) {
                    return;
                }
                String line;
                try {
                    line = JobSpec.mapper().writeValueAsString(e.data());
                } catch (Exception ex) {
                    line = e.data().toString();
                }
                synchronized (System.out) {
                    System.out.println("EVENT " + System.currentTimeMillis() + " " + e.type() + " " + line);
                    System.out.flush();
                }
                Object st = e.data().get("state");
                if (e.type().equals("state") && st != null && JobState.valueOf(st.toString()).terminal()) {
                    end.set(st.toString());
                    done.countDown();
                }
            })) {
                JobService.Submitted s = svc.submit(spec, args[2]);
                jobId.set(s.job().id());
                System.out.println("SUBMITTED " + s.job().id() + " created=" + s.created() + " state=" + s.job().state());
                System.out.flush();
                if (s.job().state().terminal()) {
                    end.set(s.job().state().name());
                    done.countDown();
                }
                if (!done.await(300, TimeUnit.SECONDS)) {
                    System.out.println("TIMEOUT");
                }
            }
        }
        System.out.println("DONE " + end.get());
        System.out.flush();
    }
}
