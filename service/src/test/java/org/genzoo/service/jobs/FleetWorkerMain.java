package org.genzoo.service.jobs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.Trainer;
import org.genzoo.models.train.ModelFamily;

/**
 * A fleet worker process for {@link FleetProcessTest}: what {@code genzoo worker} runs
 * ({@link FleetJobService} with one worker on the CPU device), with the test family
 * {@link QuickVaeFamily} added to the registered ones and each data set read once per process. Prints {@code RUN <id> <attempt>} when a
 * worker starts a job and {@code END <id> <attempt> <state>} when it records the end, then runs
 * until killed or its stdin closes.
 *
 * <p>Arguments: store URL, artifact folder, scratch folder, lease in milliseconds.
 */
public final class FleetWorkerMain {
    private FleetWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, ModelFamily> fams = new TreeMap<>(ModelFamilies.all());
        fams.put("quickvae", new QuickVaeFamily());
        FleetJobService.Config base = FleetJobService.Config.of(args[0], Path.of(args[1]));
        // The short jobs all train on the same 32 digits: read the data set once per process, not once per job.
        Map<JobSpec.DataSpec, DatasetSplits> loaded = new ConcurrentHashMap<>();
        Trainer.DataLoader data = d -> {
            DatasetSplits s = loaded.get(d);
            if (s == null) {
                s = Trainer.DATASETS.load(d);
                loaded.put(d, s);
            }
            return s;
        };
        FleetJobService.Config cfg = new FleetJobService.Config(base.store(), base.artifacts(), Path.of(args[2]), null,
                Collections.nCopies(1, "cpu"), Duration.ofMillis(Long.parseLong(args[3])), Duration.ofSeconds(5), 3,
                "node-" + ProcessHandle.current().pid(), JobMetricsListener.NONE, fams, data);
        CountDownLatch done = new CountDownLatch(1);
        try (FleetJobService node = FleetJobService.start(cfg);
                AutoCloseable sub = node.subscribeAll(e -> {
                    Object st = e.data().get("state");
                    if (e.type().equals("state") && e.data().get("attempt") != null) {
                        String line = (st.equals("RUNNING") ? "RUN " : "END ") + e.jobId() + " " + e.data().get("attempt")
                                + (st.equals("RUNNING") ? "" : " " + st);
                        synchronized (System.out) {
                            System.out.println(line);
                            System.out.flush();
                        }
                    }
                })) {
            System.out.println("READY " + node.devices().size());
            System.out.flush();
            Thread stdin = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // wait for the parent to close our stdin
                    }
                } catch (java.io.IOException e) {
                    // the parent is gone
                }
                done.countDown();
            }, "stdin-watch");
            stdin.setDaemon(true);
            stdin.start();
            done.await();
        }
        System.out.println("STOPPED");
        System.out.flush();
    }
}
