package loomd.protocol.client;

import java.util.List;

/** One entry of {@code wopQuerySubstitutablePathInfos} (protocol.md §6.30); deriver "" if none. */
public record SubstitutablePathInfo(String path, String deriver, List<String> references, long downloadSize,
        long narSize) {
    public SubstitutablePathInfo {
        references = List.copyOf(references);
    }
}
