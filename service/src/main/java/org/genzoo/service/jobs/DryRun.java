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
            long hostBytes, String problem, String dataName, int[] splitSizes) {
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
            String alias = spec.data() == null ? null : Datasets.aliasNote(spec.data().dataset());
            if (alias != null) {
                out.add("note: " + alias);
            }
            out.add(String.format(Locale.ROOT, "data: %s: train %,d, validation %,d, test %,d; training on %,d examples of %,d values",
                    dataName, splitSizes[0], splitSizes[1], splitSizes[2], trainExamples, dataDim));
            out.add(String.format(Locale.ROOT, "device memory: about %s (model %s + data %s)%s", mib(totalBytes()), mib(modelBytes),
                    mib(dataBytes), device == null ? "" : " of " + mib(device.globalMemBytes())));
            out.add(String.format(Locale.ROOT, "host memory: about %s at peak%s", mib(hostBytes),
                    device != null && sharesHostMemory(device) ? " (this device's memory is host memory)" : ""));
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
        int[] shape = dataFree ? new int[] {spec.batchSize(), family.dataFreeDim(spec.model().config()), 0, 0, 0}
                : trainShape(spec.data(), data);
        int n = shape[0];
        int dim = shape[1];
        String dataName = dataFree || spec.data() == null ? "none (the family draws its own samples)" : Datasets.canonical(spec.data().dataset());
        int[] splits = {shape[2], shape[3], shape[4]};
        long modelBytes = family.estimateDeviceBytes(spec.model().config(), dim, spec.batchSize());
        long dataBytes = dataFree ? 0 : Trainer.dataDeviceBytes(n, dim);
        // The family's estimate is linear in the batch: what does not grow with it is per parameter.
        long perExample = family.estimateDeviceBytes(spec.model().config(), dim, spec.batchSize() + 1) - modelBytes;
        long parameterBytes = Math.max(0, modelBytes - perExample * spec.batchSize());
        long datasetValues = dataFree ? 0 : (long) (splits[0] + splits[1] + splits[2]) * dim;
        long extraBytes = Math.max(0, family.estimateExtraBytes(spec.model().config(), spec.eval().metrics(),
                dataFree || spec.data() == null ? null : Datasets.canonical(spec.data().dataset()), dim, datasetValues,
                evalExamples(spec, dataFree, splits)));
        long hostBytes = hostBytes(modelBytes, parameterBytes, dataBytes, datasetValues) + extraBytes;
        long hostTotal = hostMemoryBytes();
        List<ClDeviceInfo> candidates = DeviceMatch.filter(spec.device(), devices);
        if (candidates.isEmpty()) {
            String list = devices.isEmpty() ? "none" : String.join("; ", devices.stream().map(ClDeviceInfo::toString).toList());
            return new Plan(spec, null, n, dim, modelBytes, dataBytes, hostBytes, "no device here matches the selector '" + spec.device()
                    + "' (/device); available: " + list, dataName, splits);
        }
        if (spec.batchSize() > n) {
            return new Plan(spec, candidates.get(0), n, dim, modelBytes, dataBytes, hostBytes, "/batchSize " + spec.batchSize()
                    + " is larger than the " + n + " training examples", dataName, splits);
        }
        ClDeviceInfo largest = candidates.get(0);
        for (ClDeviceInfo d : candidates) {
            if (modelBytes + dataBytes <= d.globalMemBytes() && 4L * n * dim <= d.maxAllocBytes()) {
                String host = hostBytes <= hostTotal ? null : String.format(Locale.ROOT, "the job needs about %s of host memory at"
                        + " its peak (device memory %s, the data set in the Java heap %s, evaluation and the model's own data %s,"
                        + " the runtime and the young generation %s, checkpoint copies); this machine has %s: make the model"
                        + " smaller, train on part of the data (data.limit) or evaluate on fewer examples or samples (eval.limit,"
                        + " eval.metrics)", mib(hostBytes), mib(modelBytes + dataBytes), mib(DATASET_COPIES * 4L * datasetValues),
                        mib(extraBytes), mib(processBaseBytes()), mib(hostTotal));
                return new Plan(spec, d, n, dim, modelBytes, dataBytes, hostBytes, host, dataName, splits);
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
        return new Plan(spec, largest, n, dim, modelBytes, dataBytes, hostBytes, why, dataName, splits);
    }

    /** Examples the evaluation reads: its split after {@code eval.limit} (the family's own draws when it has no data). */
    static int evalExamples(JobSpec spec, boolean dataFree, int[] splits) {
        if (dataFree || spec.eval() == null) {
            return 0;
        }
        int n = splits[org.genzoo.models.data.Split.parse(spec.eval().split()).ordinal()];
        return spec.eval().limit() == null ? n : Math.min(n, spec.eval().limit());
    }

    /**
     * Host memory of the process that runs the job, at its peak (without the family's
     * {@link org.genzoo.models.train.ModelFamily#estimateExtraBytes evaluation and own data}, which
     * {@link #plan} adds):
     * <ul>
     * <li>the runtime: the JVM's code, metaspace, threads and GC structures, PoCL and LLVM with the
     *     kernels compiled ({@link #RUNTIME_BASE_BYTES});
     * <li>the Java heap's churn: the young generation, which a job's allocations cycle through
     *     ({@link #youngGenerationBytes()}: bounded by the {@code genzoo} launcher's {@code -Xmn64m}, else
     *     the JVM's initial heap, inside which G1 sizes it);
     * <li>the device memory (on a CPU device such as PoCL's it is host memory; on a GPU it is counted
     *     too, as an upper bound of what the host stages), and the direct buffer its uploads go
     *     through ({@link #STAGING_BYTES} at most);
     * <li>the data set in the Java heap, every split as float32, twice ({@link #DATASET_COPIES}: the
     *     set as read and its splits' copies are both live while it loads);
     * <li>the checkpoint writer's heap copies of the parameters and the optimizer's moments,
     *     {@link #CHECKPOINT_SHARE} of the family's per-parameter device bytes.
     * </ul>
     * Measured against the peak RSS of the examples by scripts/host-memory.py (docs/service.md).
     *
     * @param parameterBytes the part of {@code modelBytes} that does not grow with the batch
     * @param datasetValues  values in every split of the data set, as loaded
     */
    public static long hostBytes(long modelBytes, long parameterBytes, long dataBytes, long datasetValues) {
        return processBaseBytes() + modelBytes + dataBytes + Math.min(dataBytes, STAGING_BYTES)
                + DATASET_COPIES * 4L * datasetValues + (long) (CHECKPOINT_SHARE * parameterBytes);
    }

    /** What the process holds whatever the job: {@link #RUNTIME_BASE_BYTES} and the young generation. */
    public static long processBaseBytes() {
        return RUNTIME_BASE_BYTES + youngGenerationBytes();
    }

    /**
     * The Java heap a job's allocations cycle through: the young generation's bound when the command
     * line sets one ({@code -Xmn}, {@code -XX:MaxNewSize}), else the JVM's initial heap (G1 sizes its
     * young generation inside it and grows it with the allocation rate; a long job touches all of it).
     */
    public static long youngGenerationBytes() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hs = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            com.sun.management.VMOption o = hs.getVMOption("MaxNewSize");
            if (o.getOrigin() == com.sun.management.VMOption.Origin.VM_CREATION
                    || o.getOrigin() == com.sun.management.VMOption.Origin.ENVIRON_VAR
                    || o.getOrigin() == com.sun.management.VMOption.Origin.CONFIG_FILE) {
                return Long.parseLong(o.getValue());
            }
        } catch (RuntimeException e) {
            // not HotSpot: fall back to the initial heap below
        }
        return Math.max(0, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit());
    }

    /**
     * The JVM, PoCL and LLVM with the kernels compiled, outside the young generation and a job's data:
     * the peak RSS of the 2-D toy examples under {@code -Xmn64m} less the 64 MiB young generation.
     */
    static final long RUNTIME_BASE_BYTES = 200L << 20;
    /** The device's direct staging buffer after the training set's upload: one transfer's piece at most (DeviceBuffer). */
    static final long STAGING_BYTES = 16L << 20;
    /** Copies of the data set the heap holds while it loads: the set as read and the splits' copies of it. */
    static final int DATASET_COPIES = 2;
    /** Share of the per-parameter device bytes a checkpoint copies into the heap: 3 of (value, gradient, 2 moments). */
    static final double CHECKPOINT_SHARE = 0.75;

    /** Physical memory of this machine (the container's limit where one is set). */
    public static long hostMemoryBytes() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** True for a device whose memory is the host's (a CPU device such as PoCL's). */
    static boolean sharesHostMemory(ClDeviceInfo d) {
        return d.type() != null && d.type().toUpperCase(Locale.ROOT).contains("CPU");
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
