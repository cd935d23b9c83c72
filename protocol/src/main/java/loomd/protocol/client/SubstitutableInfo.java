package loomd.protocol.client;

import java.util.List;

/**
 * The result of the obsolete {@code wopQuerySubstitutablePathInfo} (21) when the path is
 * substitutable; narSize is 0 from daemons with minor < 7.
 */
public record SubstitutableInfo(String deriver, List<String> references, long downloadSize, long narSize) {
    public SubstitutableInfo {
        references = List.copyOf(references);
    }
}
