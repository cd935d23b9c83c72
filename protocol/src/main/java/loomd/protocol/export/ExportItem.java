package loomd.protocol.export;

import java.util.Collections;
import java.util.HexFormat;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import loomd.protocol.wire.Utf8Order;

/**
 * The metadata of one export item (formats.md §5.2) as read back, plus its signed hash: the
 * SHA-256 of every item byte from the first NAR byte through the deriver field.
 */
public record ExportItem(String path, SortedSet<String> references, String deriver, Optional<String> signature,
        byte[] signedHash) {
    public ExportItem {
        TreeSet<String> refs = new TreeSet<>(Utf8Order.COMPARATOR);
        refs.addAll(references);
        references = Collections.unmodifiableSortedSet(refs);
        signedHash = signedHash.clone();
    }

    @Override
    public byte[] signedHash() {
        return signedHash.clone();
    }

    /** The signed hash in lowercase base16, as {@code guix authenticate verify} returns it. */
    public String signedHashHex() {
        return HexFormat.of().formatHex(signedHash);
    }
}
