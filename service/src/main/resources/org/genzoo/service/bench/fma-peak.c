/*
 * The FMA ceiling of these cores, measured the plainest way: every OpenMP thread runs CHAINS
 * independent chains x = x * a + b of WIDTH-float vectors (GCC vector extensions), so the
 * multiply-adds of one iteration never wait on each other and the core's FMA pipes stay full.
 * GenZoo's OpenCL probe (kernels/runtime.cl:fma_peak, `genzoo bench peaks`) must reach this.
 *
 * Build and run (what `genzoo bench peaks` does):
 *   gcc -O3 -march=native -fopenmp -o fma-peak fma-peak.c && OMP_NUM_THREADS=2 ./fma-peak [ITERS] [RUNS]
 * Prints one JSON line: GFLOP/s of all threads together (wall-clock, best of RUNS short runs: on a
 * loaded machine the best short run is the one that had the cores), the sum of every thread's own
 * best rate, threads, chains, width, iterations. FLOPs of a run = threads * ITERS * CHAINS * WIDTH * 2.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CHAINS
#define CHAINS 12
#endif
#ifndef WIDTH
#define WIDTH 16
#endif

typedef float vfloat __attribute__((vector_size(WIDTH * sizeof(float))));

/* One thread's chains; returns a sum so the compiler keeps every chain. */
static float chains(long iters, float seed, float a, float b) {
    vfloat x[CHAINS];
    for (int c = 0; c < CHAINS; c++) {
        for (int l = 0; l < WIDTH; l++) {
            x[c][l] = seed + 1e-3f * c + 1e-5f * l;
        }
    }
    const vfloat va = a - (vfloat){}; /* broadcast */
    const vfloat vb = b - (vfloat){};
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 64
        for (int c = 0; c < CHAINS; c++) {
            x[c] = x[c] * va + vb; /* contracted to one FMA (-ffp-contract=fast is GCC's default in GNU C) */
        }
    }
    float s = 0;
    for (int c = 0; c < CHAINS; c++) {
        for (int l = 0; l < WIDTH; l++) {
            s += x[c][l];
        }
    }
    return s;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 2000000L;
    int runs = argc > 2 ? atoi(argv[2]) : 40;
    volatile float a = 0.999f, b = 1e-4f; /* volatile: values the compiler cannot fold */
    int threads = omp_get_max_threads();
    double best = 1e30;          /* first thread's start to last thread's end, best run */
    double *own = calloc(threads, sizeof(double)); /* each thread's own best time */
    float sink = 0;
    for (int t = 0; t < threads; t++) {
        own[t] = 1e30;
    }
    double *start = calloc(threads, sizeof(double)), *end = calloc(threads, sizeof(double));
    for (int r = 0; r < runs; r++) {
#pragma omp parallel reduction(+ : sink)
        {
            int id = omp_get_thread_num();
#pragma omp barrier
            /* every thread is awake and in the region: the clock starts here, not at thread wake-up */
            start[id] = omp_get_wtime();
            sink += chains(iters, id * 1e-6f, a, b);
            end[id] = omp_get_wtime();
            if (end[id] - start[id] < own[id]) {
                own[id] = end[id] - start[id];
            }
        }
        double t0 = start[0], t1 = end[0];
        for (int t = 1; t < threads; t++) {
            t0 = start[t] < t0 ? start[t] : t0;
            t1 = end[t] > t1 ? end[t] : t1;
        }
        if (t1 - t0 < best) {
            best = t1 - t0; /* first start to last end: all threads together */
        }
    }
    double per = (double) iters * CHAINS * WIDTH * 2; /* FLOPs of one thread's run */
    double sum = 0;
    for (int t = 0; t < threads; t++) {
        sum += per / own[t];
    }
    /* gflops: all threads together, wall-clock (what the OpenCL probe is compared with);
       perThreadGflops: the sum of each thread's own best rate (the cores' ceiling when a loaded
       machine rarely gives every thread a core at once). */
    printf("{\"gflops\": %.3f, \"perThreadGflops\": %.3f, \"threads\": %d, \"chains\": %d, \"width\": %d, \"iters\": %ld, "
           "\"runs\": %d, \"bestSeconds\": %.6f, \"sink\": %g}\n",
           threads * per / best / 1e9, sum / 1e9, threads, CHAINS, WIDTH, iters, runs, best, (double) sink);
    free(own);
    free(start);
    free(end);
    return 0;
}
