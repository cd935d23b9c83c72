package loomd.protocol.client;

import java.util.List;

/** The result of {@code wopCollectGarbage}: the paths deleted (or live/dead), and bytes freed. */
public record GcResult(List<String> paths, long bytesFreed) {
    public GcResult {
        paths = List.copyOf(paths);
    }
}
