package org.genzoo.service.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.genzoo.host.Device;
import org.genzoo.service.cli.DeviceOptions;
import org.genzoo.service.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code genzoo bench peaks}: the device's measured FMA and bandwidth ceilings, every shape of the
 * OpenCL FMA probe, and on a CPU device the plain C loop of independent FMA chains (fma-peak.c,
 * built with gcc at run time) on the same cores, with the probe's fraction of it.
 */
@Command(name = "peaks", mixinStandardHelpOptions = true,
        description = "Measured FMA and bandwidth peaks: the OpenCL probe's shapes beside a plain C loop of FMA chains.")
public final class PeaksBench implements Callable<Integer> {
    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--json", description = "Print JSON (with provenance).")
    boolean json;

    @Option(names = "--out", description = "Also write the JSON to this file.")
    Path outFile;

    @Option(names = "--quick", description = "Token probes (for simulators such as Oclgrind); no C loop.")
    boolean quick;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> doc;
        try (Device dev = Device.open(deviceOptions.binding, deviceOptions.device)) {
            Peaks p = Peaks.measure(dev, quick);
            doc = toJson(p);
            doc.put("kind", "peaks");
            doc.put("provenance", Provenance.of(dev));
            doc.put("device", dev.info().name());
            if (!json) {
                out.printf(Locale.ROOT, "device: %s (%s binding)%n", dev.info().name(), dev.api().name());
                out.println("OpenCL FMA probe (kernels/runtime.cl:fma_peak), every shape, best of " + Peaks.PROBE_RUNS + " runs each:");
                for (Peaks.ShapeResult r : p.shapes()) {
                    out.printf(Locale.ROOT, "  %-70s %8.1f GFLOP/s%n", r.describe(), r.gflops());
                }
                out.printf(Locale.ROOT, "OpenCL probe peak: %.1f GFLOP/s (%s)%n", p.gflops(), p.fmaHow());
                if (p.cLoop().measured()) {
                    out.printf(Locale.ROOT, "C loop peak:       %.1f GFLOP/s all threads, %.1f GFLOP/s summed per thread (%s)%n",
                            p.cLoop().gflops(), p.cLoop().perThreadGflops(), p.cLoop().how());
                    out.printf(Locale.ROOT, "probe / C loop:    %.2f%n", p.gflops() / p.cLoop().gflops());
                } else {
                    out.println("C loop peak:       " + p.cLoop().how());
                }
                out.printf(Locale.ROOT, "ceiling (%% of peak in bench kernels): %.1f GFLOP/s%n", p.ceiling());
                out.printf(Locale.ROOT, "stream copy:       %.1f GB/s (%s)%n", p.gbps(), p.bandwidthHow());
            }
        }
        String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc);
        if (json) {
            out.println(text);
        }
        if (outFile != null) {
            Files.writeString(outFile, text + "\n");
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The peaks as a JSON-ready map (also used by `bench suite`). */
    static Map<String, Object> toJson(Peaks p) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("probeGflops", p.gflops());
        doc.put("probeHow", p.fmaHow());
        List<Map<String, Object>> shapes = new ArrayList<>();
        for (Peaks.ShapeResult r : p.shapes()) {
            shapes.add(Map.of("shape", r.describe(), "gflops", r.gflops()));
        }
        doc.put("probeShapes", shapes);
        doc.put("cLoopGflops", p.cLoop().measured() ? p.cLoop().gflops() : null);
        doc.put("cLoopPerThreadGflops", p.cLoop().measured() ? p.cLoop().perThreadGflops() : null);
        doc.put("cLoopHow", p.cLoop().how());
        doc.put("probeOverCLoop", p.cLoop().measured() ? p.gflops() / p.cLoop().gflops() : null);
        doc.put("ceilingGflops", p.ceiling());
        doc.put("ceilingHow", p.ceilingHow());
        doc.put("streamGBps", p.gbps());
        doc.put("streamHow", p.bandwidthHow());
        return doc;
    }
}
