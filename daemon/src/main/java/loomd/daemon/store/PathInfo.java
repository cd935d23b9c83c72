package loomd.daemon.store;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.protocol.hash.Hash;

/**
 * What the database records for a valid path. {@code deriver} is null when there is none;
 * {@code narSize} is 0 when unknown; {@code registrationTime} is Unix seconds.
 */
public record PathInfo(String path, String deriver, Hash narHash, SortedSet<String> references,
                       long registrationTime, long narSize) {
    public PathInfo {
        references = Collections.unmodifiableSortedSet(new TreeSet<>(references));
        if (deriver != null && deriver.isEmpty()) deriver = null;
    }

    /** The deriver, or "" as the wire writes it. */
    public String deriverOrEmpty() {
        return deriver == null ? "" : deriver;
    }
}
