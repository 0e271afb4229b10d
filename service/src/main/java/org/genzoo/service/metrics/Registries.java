package org.genzoo.service.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The registry the server scrapes at /metrics, with the JVM binders. */
public final class Registries {
    private Registries() {
    }

    /**
     * A Prometheus registry with JVM memory, GC, threads, class loading and processor meters bound (one per
     * server process: the GC binder's notification listener lives as long as the JVM).
     */
    public static PrometheusMeterRegistry prometheus() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        bindJvm(r);
        return r;
    }

    /** Binds the JVM meters; close the returned GC binder to remove its notification listeners. */
    public static AutoCloseable bindJvm(MeterRegistry r) {
        new JvmMemoryMetrics().bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ClassLoaderMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(r);
        return gc;
    }
}
