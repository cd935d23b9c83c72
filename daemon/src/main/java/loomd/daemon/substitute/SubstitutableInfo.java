package loomd.daemon.substitute;

import java.util.List;

/** What the query helper says of one substitutable path (daemon.md §5.2); sizes 0 mean unknown. */
public record SubstitutableInfo(String path, String deriver, List<String> references, long downloadSize,
        long narSize) {
    public SubstitutableInfo {
        references = List.copyOf(references);
    }
}
