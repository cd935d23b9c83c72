package loomd.daemon.store.db;

import java.util.SortedSet;

/**
 * One {@code ValidPaths} row and its references, as stored: {@code hash} is the raw column
 * ({@code sha256:<base16>}), {@code deriver} is "" for NULL and {@code narSize} 0 for NULL.
 */
public record PathRow(long id, String path, String hash, long registrationTime, String deriver,
                      long narSize, SortedSet<String> references) {
}
