package loomd.daemon.substitute.nativ;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import loomd.daemon.Settings;
import loomd.daemon.store.LocalStore;
import loomd.daemon.substitute.FetchListener;
import loomd.daemon.substitute.SubstitutableInfo;
import loomd.protocol.store.StoreDir;

/**
 * The substituter inside the daemon ({@code --substituter=native}): what upstream's
 * {@code guix substitute} does, without a Guile process. Lookups ask each substitute URL in order and
 * take the first narinfo that is authorized (signed by a key of {@code C/acl}, or any narinfo when
 * {@code GUIX_ALLOW_UNAUTHENTICATED_SUBSTITUTES=yes}); many paths are looked up in parallel, one
 * virtual thread each, under the client's per-server limit. Downloads are {@link NarTransfer}s.
 *
 * <p>The URLs are the session's {@code untrusted-substitute-urls} if set, else {@code substitute-urls},
 * as upstream's helper reads them: an unprivileged client may name its own servers, and the ACL
 * still decides which narinfos count.
 */
public final class NativeSubstituter implements AutoCloseable {
    /** How a fetch ended. */
    public sealed interface Fetched {
        record Installed(String url, long compressedBytes) implements Fetched { }

        /** {@code status} as a helper would have printed it ({@code hash-mismatch …}, {@code not-found}). */
        record Failed(String status, String message) implements Fetched { }

        record TimedOut() implements Fetched { }
    }

    private final StoreDir storeDir;
    private final Path aclFile;
    private final boolean unauthenticated;
    private final Consumer<String> log;
    private final CacheClient client;
    private final Narinfos narinfos;
    private final NarTransfer transfer;

    public NativeSubstituter(LocalStore store, Path aclFile, boolean allowUnauthenticated, Duration connectTimeout,
            Consumer<String> log) {
        this.storeDir = store.config().storeDir();
        this.aclFile = aclFile;
        this.unauthenticated = allowUnauthenticated;
        this.log = log;
        this.client = new CacheClient(connectTimeout, connectTimeout.multipliedBy(6));
        this.narinfos = new Narinfos(client, storeDir.path(), log);
        this.transfer = new NarTransfer(client, store, storeDir.path());
    }

    /** The session's substitute URLs, as upstream's helper picks them. */
    public static List<String> urls(Settings settings) {
        String v = settings.get("untrusted-substitute-urls", "");
        if (v.isBlank()) v = settings.get("substitute-urls", "");
        List<String> urls = new ArrayList<>();
        for (String u : v.trim().split("\\s+")) {
            if (!u.isEmpty()) urls.add(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
        }
        return urls;
    }

    /** What the servers say of each substitutable one of {@code paths} (daemon.md §5.2's info). */
    public Map<String, SubstitutableInfo> info(Settings settings, Collection<String> paths)
            throws IOException, InterruptedException {
        Map<String, SubstitutableInfo> infos = new LinkedHashMap<>();
        for (Narinfo n : lookup(urls(settings), paths).values()) {
            List<String> refs = n.references().stream().map(r -> storeDir.path() + "/" + r).toList();
            String deriver = n.deriver().isEmpty() ? "" : storeDir.path() + "/" + n.deriver();
            infos.put(n.storePath(), new SubstitutableInfo(n.storePath(), deriver, refs, n.fileSize(), n.narSize()));
        }
        return infos;
    }

    /** The authorized narinfo of each of {@code paths} some server has, in the order asked. */
    Map<String, Narinfo> lookup(List<String> urls, Collection<String> paths) throws IOException, InterruptedException {
        Acl acl = acl();
        Map<String, Future<Optional<Narinfo>>> pending = new LinkedHashMap<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String p : paths) {
                if (!storeDir.isStorePath(p)) continue;
                pending.putIfAbsent(p, threads.submit(() -> first(urls, p, acl)));
            }
            Map<String, Narinfo> found = new LinkedHashMap<>();
            for (var e : pending.entrySet()) {
                try {
                    e.getValue().get().ifPresent(n -> found.put(e.getKey(), n));
                } catch (java.util.concurrent.ExecutionException x) {
                    throw new IOException("narinfo lookup of `" + e.getKey() + "' failed: " + x.getCause(), x.getCause());
                }
            }
            return found;
        }
    }

    /** The ACL as read, with what identified the file then (null: there was none). */
    private record LoadedAcl(Stamp stamp, Acl acl) { }

    private record Stamp(Object fileKey, FileTime modified, long size) { }

    private volatile LoadedAcl loadedAcl;

    /**
     * The ACL, read again only when the file changed (another inode, time or size: {@code guix archive
     * --authorize} replaces it), so that every lookup and fetch of a closure does not parse it anew.
     */
    private Acl acl() throws IOException {
        Stamp now = stamp();
        LoadedAcl known = loadedAcl;
        if (known != null && Objects.equals(known.stamp(), now)) return known.acl();
        try {
            Acl acl = Acl.load(aclFile);
            loadedAcl = new LoadedAcl(now, acl);
            return acl;
        } catch (RuntimeException e) {
            throw new IOException("invalid access-control list in " + aclFile + ": " + e.getMessage());
        }
    }

    private Stamp stamp() throws IOException {
        try {
            var a = Files.readAttributes(aclFile, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.lastModifiedTime(), a.size());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private Optional<Narinfo> first(List<String> urls, String path, Acl acl) throws InterruptedException {
        String hashPart = path.substring(storeDir.path().length() + 1, storeDir.path().length() + 33);
        for (String url : urls) {
            Optional<Narinfo> n = narinfos.lookup(url, hashPart).narinfo();
            if (n.isPresent() && authorized(n.get(), path, acl)) return n;
        }
        return Optional.empty();
    }

    private boolean authorized(Narinfo n, String path, Acl acl) {
        String where = n.narUri().toString();
        if (!n.storePath().equals(path)) {
            log.accept("substitute: narinfo at '" + where + "' is for `" + n.storePath() + "', not `" + path + "'");
            return false;
        }
        if (!Decompression.supported(n.compression())) return false;
        if (unauthenticated) return true;
        String why = switch (acl.verify(n)) {
            case VALID -> null;
            case UNSIGNED -> "substitute at '" + where + "' lacks a signature";
            case CORRUPT -> "corrupt signature for substitute at '" + where + "'";
            case UNAUTHORIZED -> "substitute at '" + where + "' is signed by an unauthorized party";
            case HASH_MISMATCH -> "hash mismatch for substitute at '" + where + "'";
            case INVALID -> "invalid signature for substitute at '" + where + "'";
        };
        if (why != null) log.accept("substitute: " + why);
        return why == null;
    }

    /**
     * Downloads {@code path} into the store from the first server with an authorized narinfo, trying
     * the others after a network error (as upstream's fallback does). Runs each transfer on its own
     * virtual thread and polls {@code l}'s cancellation probe and the session's time limits meanwhile;
     * a cancelled or timed-out transfer is interrupted and awaited, so nothing of it remains. With
     * {@code repair} the valid path is replaced ({@code PathAdds.replaceStaged}).
     */
    public Fetched fetch(Settings settings, String path, boolean repair, FetchListener l)
            throws IOException, InterruptedException {
        List<String> urls = urls(settings);
        Acl acl = acl();
        List<Narinfo> candidates = new ArrayList<>();
        for (String url : urls) {
            String hashPart = path.substring(storeDir.path().length() + 1, storeDir.path().length() + 33);
            narinfos.lookup(url, hashPart).narinfo().filter(n -> authorized(n, path, acl)).ifPresent(candidates::add);
        }
        if (candidates.isEmpty()) return new Fetched.Failed("not-found", "no valid substitute for '" + path + "'");
        String last = "";
        for (Narinfo n : candidates) {
            Fetched f = TransferWatch.run(transfer, n, settings, repair, l);
            if (!(f instanceof Fetched.Failed failed && failed.status().equals("network-error"))) return f;
            last = failed.message();
            l.message(0, "substitute: warning: " + last);
            narinfos.forget(n.cacheUrl(), n.storePath().substring(storeDir.path().length() + 1,
                    storeDir.path().length() + 33));
        }
        return new Fetched.Failed("not-found", "failed to find alternative substitute for '" + path + "' (" + last + ")");
    }

    /** How many narinfo answers the cache holds (tests, the log). */
    public long cachedNarinfos() {
        return narinfos.cachedAnswers();
    }

    @Override
    public void close() {
        client.close();
    }
}
