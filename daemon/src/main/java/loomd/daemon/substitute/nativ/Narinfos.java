package loomd.daemon.substitute.nativ;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Narinfo lookups with upstream's cache rules (guix/substitutes.scm): an answer is kept for the
 * server's {@code Cache-Control: max-age}, else 36 hours; a 404 likewise, else 3 hours; other
 * errors (5xx) 10 minutes; a failed connection is not kept. A server's {@code nix-cache-info} is
 * read once an hour; a server whose {@code StoreDir} is not ours is ignored, as upstream. Both caches
 * are bounded.
 */
final class Narinfos {
    static final long TTL = 36 * 3600;
    static final long NEGATIVE_TTL = 3 * 3600;
    static final long TRANSIENT_TTL = 10 * 60;
    private static final int MAX_NARINFO_BYTES = 1 << 20;

    /** What one server said of one hash part: the narinfo, or none (with the reason, for the log). */
    record Answer(Optional<Narinfo> narinfo, String why, long ttlSeconds) { }

    private record Key(String cacheUrl, String hashPart) { }

    private final CacheClient client;
    private final String storeDir;
    private final Consumer<String> log;
    private final Cache<Key, Answer> answers = Caffeine.newBuilder().maximumSize(200_000)
            .expireAfter(Expiry.creating((Key k, Answer a) -> Duration.ofSeconds(a.ttlSeconds()))).build();
    private final Cache<String, Boolean> servers = Caffeine.newBuilder().maximumSize(256)
            .expireAfterWrite(Duration.ofHours(1)).build();

    Narinfos(CacheClient client, String storeDir, Consumer<String> log) {
        this.client = client;
        this.storeDir = storeDir;
        this.log = log;
    }

    /** The narinfo {@code cacheUrl} has for {@code hashPart}, from the cache when still fresh. */
    Answer lookup(String cacheUrl, String hashPart) throws InterruptedException {
        Key key = new Key(cacheUrl, hashPart);
        Answer known = answers.getIfPresent(key);
        if (known != null) return known;
        if (!usable(cacheUrl)) return new Answer(Optional.empty(), "server ignored", 0);
        Answer fresh;
        try {
            fresh = fetch(cacheUrl, hashPart);
        } catch (IOException e) {
            log.accept("substitute: while fetching '" + cacheUrl + "/" + hashPart + ".narinfo': " + e.getMessage());
            return new Answer(Optional.empty(), e.getMessage(), 0);
        }
        if (fresh.ttlSeconds() > 0) answers.put(key, fresh);
        return fresh;
    }

    /** Forgets what is cached for {@code hashPart} (after a server failed to deliver its NAR). */
    void forget(String cacheUrl, String hashPart) {
        answers.invalidate(new Key(cacheUrl, hashPart));
    }

    long cachedAnswers() {
        answers.cleanUp();
        return answers.estimatedSize();
    }

    private Answer fetch(String cacheUrl, String hashPart) throws IOException, InterruptedException {
        try (CacheClient.Response r = client.get(uri(cacheUrl, hashPart + ".narinfo"), CacheClient.Kind.SMALL)) {
            if (r.status() == 404) {
                return new Answer(Optional.empty(), "404", r.maxAge().orElse(NEGATIVE_TTL));
            }
            if (r.status() != 200) {
                return new Answer(Optional.empty(), "HTTP " + r.status(), TRANSIENT_TTL);
            }
            byte[] body = r.body().readNBytes(MAX_NARINFO_BYTES);
            try {
                Narinfo n = Narinfo.parse(cacheUrl, new String(body, StandardCharsets.UTF_8));
                return new Answer(Optional.of(n), "found", r.maxAge().orElse(TTL));
            } catch (Narinfo.Invalid e) {
                log.accept("substitute: " + cacheUrl + "/" + hashPart + ".narinfo: " + e.getMessage());
                return new Answer(Optional.empty(), e.getMessage(), NEGATIVE_TTL);
            }
        }
    }

    private boolean usable(String cacheUrl) throws InterruptedException {
        Boolean known = servers.getIfPresent(cacheUrl);
        if (known != null) return known;
        boolean ok;
        try (CacheClient.Response r = client.get(uri(cacheUrl, "nix-cache-info"), CacheClient.Kind.SMALL)) {
            if (r.status() != 200) {
                log.accept("substitute: while fetching '" + cacheUrl + "/nix-cache-info': HTTP " + r.status()
                        + "; ignoring substitute server at '" + cacheUrl + "'");
                return false;
            }
            String dir = field(new String(r.body().readNBytes(64 * 1024), StandardCharsets.UTF_8), "StoreDir");
            ok = dir.isEmpty() || dir.equals(storeDir);
            if (!ok) log.accept("substitute: '" + cacheUrl + "' uses different store '" + dir + "'; ignoring it");
        } catch (IOException e) {
            return false; // unreachable: tried again at the next lookup
        }
        servers.put(cacheUrl, ok);
        return ok;
    }

    private static String field(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + ": ")) return line.substring(name.length() + 2).trim();
        }
        return "";
    }

    static URI uri(String cacheUrl, String file) throws IOException {
        try {
            return new URI(cacheUrl.endsWith("/") ? cacheUrl + file : cacheUrl + "/" + file);
        } catch (java.net.URISyntaxException e) {
            throw new IOException("invalid substitute URL: " + cacheUrl);
        }
    }
}
