package org.genzoo.models.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a run reports as it goes, for a progress bar or a server-sent event stream. Called on the
 * training thread at each log point (every {@code logEvery} steps), so keep it quick.
 */
public interface TrainingListener {
    /**
     * @param step              optimizer steps done
     * @param totalSteps        the budget in steps
     * @param epoch             epochs done (fractional)
     * @param loss              mean training loss over the steps since the last report
     * @param examplesPerSecond training throughput over those steps
     * @param etaSeconds        estimated seconds to the end of the budget (NaN before there is a rate)
     */
    record Progress(long step, long totalSteps, double epoch, double loss, double examplesPerSecond, double etaSeconds) {
    }

    default void onProgress(Progress p) {
    }

    default void onEval(long step, Map<String, Double> metrics) {
    }

    default void onCheckpoint(long step, Path dir) {
    }

    /** Each line written to train.log. */
    default void onLog(String line) {
    }

    TrainingListener NONE = new TrainingListener() {
    };
}
