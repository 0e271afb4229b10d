package org.genzoo.service.bench;

import java.util.ArrayList;
import java.util.List;

/** Benchmark cases of the non-GEMM op families. */
final class OpCases {
    private OpCases() {
    }

    static List<BenchCase> all() {
        return new ArrayList<>();
    }
}
