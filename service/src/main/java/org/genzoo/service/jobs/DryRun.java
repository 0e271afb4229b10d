package org.genzoo.service.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.data.DatasetSplits;
import org.genzoo.models.data.Datasets;
import org.genzoo.models.train.JobSpec;
import org.genzoo.models.train.ModelFamilies;
import org.genzoo.models.train.ModelFamily;
import org.genzoo.models.train.Trainer;

/**
 * What {@code genzoo submit --dry-run} does: validates a spec (JSON or YAML), resolves its device
 * selector, and estimates the device memory the job needs, refusing a job that cannot fit.
 *
 * <p>The estimate is the family's {@link ModelFamily#estimateDeviceBytes} (parameters, gradients,
 * optimizer state, activations for one batch) plus the training set as the trainer uploads it: 4
 * bytes per value and 8 bytes of index per example. The built-in data sets are sized from their
 * known splits without reading them; an IDX folder is read to learn its size.
 */
public final class DryRun {
    private DryRun() {
    }

    /**
     * The outcome of a dry run.
     *
     * @param device        the device the job would run on (null when the selector matches none)
     * @param trainExamples training examples after {@code data.limit}
     * @param dataDim       values per example
     * @param modelBytes    the family's estimate
     * @param dataBytes     the training set on the device
     * @param problem       null when the job can run; else why not, with the numbers
     * @param dataName      the data set's name (an alias resolved: "mnist" is "mnist-10k")
     * @param splitSizes    {train, validation, test} examples of the data set, before {@code data.limit}
     */
    public record Plan(JobSpec spec, ClDeviceInfo device, int trainExamples, int dataDim, long modelBytes, long dataBytes,
            String problem, String dataName, int[] splitSizes) {
        public long totalBytes() {
            return modelBytes + dataBytes;
        }

        public boolean fits() {
            return problem == null;
        }

        /** Throws {@link JobRefusedException} with {@link #problem()} unless the job fits; returns this plan. */
        public Plan requireFits() {
            if (problem != null) {
                throw new JobRefusedException(problem);
            }
            return this;
        }

        /** Lines for a terminal: the device and the memory estimate against its size. */
        public List<String> describe() {
            List<String> out = new ArrayList<>();
            out.add("spec: " + spec.name() + " (" + spec.model().family() + "), valid");
            out.add("device: " + (device == null ? "none matches '" + spec.device() + "'" : device.toString()));
            String alias = Datasets.aliasNote(spec.data().dataset());
            if (alias != null) {
                out.add("note: " + alias);
            }
            out.add(String.format(Locale.ROOT, "data: %s: train %,d, validation %,d, test %,d; training on %,d examples of %,d values",
                    dataName, splitSizes[0], splitSizes[1], splitSizes[2], trainExamples, dataDim));
            out.add(String.format(Locale.ROOT, "device memory: about %s (model %s + data %s)%s", mib(totalBytes()), mib(modelBytes),
                    mib(dataBytes), device == null ? "" : " of " + mib(device.globalMemBytes())));
            out.add(problem == null ? "fits: yes" : "refused: " + problem);
            return out;
        }
    }

    /** Validates {@code specText}, picks the device its selector names among {@code devices}, and estimates its memory. */
    public static Plan check(String specText, List<ClDeviceInfo> devices) throws IOException {
        return check(specText, devices, ModelFamilies.all(), Trainer.DATASETS);
    }

    /**
     * As {@link #check(String, List)} with explicit families and data loader.
     *
     * @throws org.genzoo.models.train.SpecException the spec is invalid (one error per bad field)
     */
    public static Plan check(String specText, List<ClDeviceInfo> devices, Map<String, ModelFamily> families,
            Trainer.DataLoader data) throws IOException {
        return plan(JobSpecs.parse(specText, families), devices, families, data);
    }

    /**
     * The plan for a parsed spec: among the devices its selector accepts (see {@link DeviceMatch}),
     * the first on which the job fits, else the largest one with the reason it does not.
     */
    public static Plan plan(JobSpec spec, List<ClDeviceInfo> devices, Map<String, ModelFamily> families, Trainer.DataLoader data)
            throws IOException {
        ModelFamily family = families.get(spec.model().family());
        if (family == null) {
            throw new JobRefusedException("model family '" + spec.model().family() + "' is not available here; known: "
                    + String.join(", ", families.keySet()));
        }
        boolean dataFree = family.dataKind(spec.model().config()) == org.genzoo.models.train.DataKind.NONE;
        int[] shape = dataFree ? new int[] {spec.batchSize(), family.dataFreeDim(spec.model().config())} : trainShape(spec.data(), data);
        int n = shape[0];
        int dim = shape[1];
        String dataName = Datasets.canonical(spec.data().dataset());
        int[] splits = {shape[2], shape[3], shape[4]};
        long modelBytes = family.estimateDeviceBytes(spec.model().config(), dim, spec.batchSize());
        long dataBytes = dataFree ? 0 : Trainer.dataDeviceBytes(n, dim);
        List<ClDeviceInfo> candidates = DeviceMatch.filter(spec.device(), devices);
        if (candidates.isEmpty()) {
            String list = devices.isEmpty() ? "none" : String.join("; ", devices.stream().map(ClDeviceInfo::toString).toList());
            return new Plan(spec, null, n, dim, modelBytes, dataBytes, "no device here matches the selector '" + spec.device()
                    + "' (/device); available: " + list, dataName, splits);
        }
        if (spec.batchSize() > n) {
            return new Plan(spec, candidates.get(0), n, dim, modelBytes, dataBytes, "/batchSize " + spec.batchSize()
                    + " is larger than the " + n + " training examples", dataName, splits);
        }
        ClDeviceInfo largest = candidates.get(0);
        for (ClDeviceInfo d : candidates) {
            if (modelBytes + dataBytes <= d.globalMemBytes() && 4L * n * dim <= d.maxAllocBytes()) {
                return new Plan(spec, d, n, dim, modelBytes, dataBytes, null, dataName, splits);
            }
            if (d.globalMemBytes() > largest.globalMemBytes()) {
                largest = d;
            }
        }
        String why;
        if (modelBytes + dataBytes > largest.globalMemBytes()) {
            why = String.format(Locale.ROOT, "the job needs about %s of device memory (model %s + data %s); %s has %s",
                    mib(modelBytes + dataBytes), mib(modelBytes), mib(dataBytes), largest.name(), mib(largest.globalMemBytes()));
        } else {
            why = String.format(Locale.ROOT, "the training set needs one buffer of %s; %s allows at most %s per buffer"
                    + " (use data.limit)", mib(4L * n * dim), largest.name(), mib(largest.maxAllocBytes()));
        }
        return new Plan(spec, largest, n, dim, modelBytes, dataBytes, why, dataName, splits);
    }

    /**
     * {examples, values per example} of the training split after {@code limit}, then the data set's
     * {train, validation, test} sizes before it.
     */
    static int[] trainShape(JobSpec.DataSpec d, Trainer.DataLoader loader) throws IOException {
        int dim;
        int[] sizes = loader == Trainer.DATASETS ? Datasets.knownSplitSizes(d.dataset()) : null;
        if (sizes != null) {
            dim = 28 * 28;
        } else {
            DatasetSplits splits;
            try {
                splits = loader.load(d);
            } catch (IOException | RuntimeException e) {
                throw new JobRefusedException("/data/dataset: cannot read '" + d.dataset() + "': " + e.getMessage());
            }
            sizes = new int[] {splits.train().size(), splits.validation().size(), splits.test().size()};
            dim = splits.train().dim();
        }
        int n = sizes[0];
        if (d.limit() != null) {
            n = Math.min(n, d.limit());
        }
        return new int[] {n, dim, sizes[0], sizes[1], sizes[2]};
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
