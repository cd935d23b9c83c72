package loomd.bench;

import java.util.Arrays;

/** Order statistics of a set of measured durations, in microseconds. */
record Latencies(int count, double medianMicros, double p90Micros, double p99Micros, double maxMicros) {
    static Latencies ofNanos(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return new Latencies(n, at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted[n - 1] / 1e3);
    }

    private static double at(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * quantile))] / 1e3;
    }
}
