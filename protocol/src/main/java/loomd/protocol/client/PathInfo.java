package loomd.protocol.client;

import java.util.List;

/**
 * The result of {@code wopQueryPathInfo} (protocol.md §6.26).
 *
 * @param deriver the deriver .drv path, or "" when there is none
 * @param narHash lowercase base16 SHA-256 of the path's NAR
 * @param references in wire order (the daemon sends them sorted)
 * @param registrationTime Unix seconds, as the 32-bit value the client reads
 * @param narSize NAR length in bytes, 0 if unknown
 */
public record PathInfo(String deriver, String narHash, List<String> references, long registrationTime, long narSize) {
    public PathInfo {
        references = List.copyOf(references);
    }

    public boolean hasDeriver() {
        return !deriver.isEmpty();
    }
}
