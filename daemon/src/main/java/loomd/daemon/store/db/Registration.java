package loomd.daemon.store.db;

import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What registering one path writes: {@code narHashBase16} is the lowercase base16 SHA-256 of
 * the NAR; {@code deriver} "" for none; {@code registrationTime} 0 for "now";
 * {@code derivationOutputs} (output name to path) only for a {@code .drv}, else empty.
 */
public record Registration(String path, String narHashBase16, long narSize, SortedSet<String> references,
                           String deriver, long registrationTime, SortedMap<String, String> derivationOutputs) {
    public Registration {
        if (!narHashBase16.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("NAR hash must be 64 lowercase hex digits: " + narHashBase16);
        }
        references = new TreeSet<>(references);
        deriver = deriver == null ? "" : deriver;
        derivationOutputs = new TreeMap<>(derivationOutputs);
    }

    public static Registration of(String path, String narHashBase16, long narSize, SortedSet<String> references,
                                  String deriver) {
        return new Registration(path, narHashBase16, narSize, references, deriver, 0, new TreeMap<>(Map.of()));
    }

    public Registration withDerivationOutputs(SortedMap<String, String> outputs) {
        return new Registration(path, narHashBase16, narSize, references, deriver, registrationTime, outputs);
    }
}
