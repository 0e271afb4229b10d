package org.genzoo.host.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** KernelInventory finds kernels named directly, through an object-like macro and through a kernel-defining macro. */
class KernelInventoryTest {
    @Test
    void findsEveryWayOfNamingAKernel() {
        String a = """
                // __kernel void in_a_comment(int x) {}
                /* __kernel void in_a_block_comment(int x) {} */
                #define TWICE(NAME, EXPR) \\
                __kernel void NAME(__global float* y) { \\
                    y[0] = (EXPR); \\
                }
                TWICE(first, 1.0f + f(2))
                TWICE(second, 2.0f)
                #ifndef WHO
                #define WHO plain_default
                #endif
                __kernel __attribute__((reqd_work_group_size(TM, TN, 1)))
                void direct(__global float* y, const int n) { }
                #if 0
                kernel void under_if(__global float* y) { }
                #endif
                __kernel void WHO(__global float* y) { }
                inline void helper(__global float* y) { }
                """;
        String b = """
                #define WHO renamed
                #include "a.cl"
                """;
        Map<String, Set<String>> k = KernelInventory.kernels(Map.of("a.cl", a, "b.cl", b));
        assertEquals(Set.of("first", "second", "direct", "under_if", "plain_default", "renamed"), k.keySet());
        assertEquals(Set.of("a.cl"), k.get("renamed"));
    }

    @Test
    void readsTheProjectKernels() throws IOException {
        Map<String, Set<String>> k = KernelInventory.kernels(KernelInventory.kernelsDir());
        // One of each kind: plain, attribute before void, BINARY_KERNEL macro, GEMM_NAME default and gibbs.cl's name.
        for (String name : new String[] {"fill", "pairwise_gaussian_logdensity", "add", "mul", "gemm", "gibbs_gemm", "gemm_tiled"}) {
            assertTrue(k.containsKey(name), name + " in " + k.keySet());
        }
        assertTrue(k.size() >= 70, k.size() + " kernels found: " + k.keySet());
    }
}
