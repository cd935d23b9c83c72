package loomd.protocol.client;

/** One pair of {@code wopFindRoots}: the root's link file name and the store path it points to. */
public record GcRoot(String link, String target) {
}
