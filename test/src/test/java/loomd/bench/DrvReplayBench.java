package loomd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.StoreClient;
import loomd.protocol.store.StoreDir;

/**
 * The store traffic of a derivation-heavy client such as {@code guix build emacs -d}: a synthetic
 * graph of {@code loomd.bench.drvs} derivations (default 5,000) plus their builder sources
 * ({@link SyntheticDrvs}), sent in dependency order over one connection the way the Guix client
 * does, IsValidPath then AddTextToStore for each item. Timed twice: cold (every path new), then
 * warm (every path already valid; the client re-adds each). Prints both wall times.
 * Another daemon: {@code -Dloomd.bench.socket=... -Dloomd.bench.storeDir=...} (see {@link BenchDaemon}).
 */
@Tag("bench")
class DrvReplayBench {
    static final int DRVS = Knobs.count("loomd.bench.drvs", 5_000);
    static final long SHAPE_SEED = 42;

    @RegisterExtension
    static final BenchDaemon daemon = new BenchDaemon();

    @Test
    void replayColdThenWarm() throws Exception {
        long g0 = System.nanoTime();
        List<SyntheticDrvs.Item> items = SyntheticDrvs.generate(DRVS, new StoreDir(daemon.storeDir()), Knobs.runId(),
                SHAPE_SEED);
        double generateSeconds = (System.nanoTime() - g0) / 1e9;
        long drvs = items.stream().filter(SyntheticDrvs.Item::derivation).count();
        double refs = items.stream().filter(SyntheticDrvs.Item::derivation).mapToInt(i -> i.references().size())
                .average().orElse(0);
        long bytes = items.stream().mapToLong(i -> i.text().length).sum();

        Pass cold = replay(items, false);
        Pass warm = replay(items, true);
        Table table = new Table(String.format("DrvReplayBench: %,d .drv + %,d sources (%.1f references per .drv, %,d KiB"
                + " of text, generated in %.1f s) against %s", drvs, items.size() - drvs, refs, bytes >> 10,
                generateSeconds, daemon.describe()), "pass", "items", "round trips", "wall s", "items/s", "ms/item",
                "daemon CPU us/item", "loadavg");
        for (Pass p : List.of(cold, warm)) {
            double seconds = p.nanos() / 1e9;
            table.row(p.label(), items.size(), 2 * items.size(), seconds, items.size() / seconds,
                    String.format("%.2f", seconds * 1e3 / items.size()),
                    p.cpuMillis() < 0 ? "?" : String.format("%.0f", p.cpuMillis() * 1e3 / items.size()), p.load());
        }
        table.print();
    }

    /** {@code cpuMillis}: the daemon's and its helpers' user+sys over the pass, -1 for a daemon not started here. */
    record Pass(String label, long nanos, long cpuMillis, String load) {}

    /** valid-path? then add-text-to-store for every item, on one connection, as the client does. */
    private static Pass replay(List<SyntheticDrvs.Item> items, boolean warm) throws Exception {
        try (StoreClient store = daemon.client()) {
            long cpuBefore = DaemonCpu.millis(daemon.own());
            long t0 = System.nanoTime();
            for (SyntheticDrvs.Item item : items) {
                boolean valid = store.isValidPath(item.path());
                String added = store.addTextToStore(item.name(), item.text(), item.references());
                assertEquals(item.path(), added, "the daemon computed another path for " + item.name());
                assertEquals(warm, valid, item.path() + (warm ? " is valid after the cold pass" : " is new"));
            }
            long nanos = System.nanoTime() - t0;
            long cpu = cpuBefore < 0 ? -1 : DaemonCpu.millis(daemon.own()) - cpuBefore;
            return new Pass(warm ? "warm" : "cold", nanos, cpu, DaemonCpu.loadAverage());
        }
    }
}
