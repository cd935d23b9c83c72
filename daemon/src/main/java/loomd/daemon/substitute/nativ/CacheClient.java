package loomd.daemon.substitute.nativ;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GETs from substitute servers: {@code file://} from the disk, {@code http://} and {@code https://}
 * through one JDK {@link HttpClient} (keep-alive; HTTP/2 where TLS offers it) whose work runs on
 * virtual threads. At most {@link #PER_SERVER} NAR downloads and as many small GETs (narinfos,
 * {@code nix-cache-info}) to one server are open at once, each kind under its own permits so that a
 * lookup never waits behind a NAR; a caller holds its permit until it closes the body.
 */
final class CacheClient implements AutoCloseable {
    static final int PER_SERVER = 8;
    /** What is fetched: a NAR (large, streamed) or a small file read whole. */
    enum Kind { NAR, SMALL }
    private static final Pattern MAX_AGE = Pattern.compile("max-age=([0-9]{1,10})");

    /** An answer: the status (404 for a missing file), the body, its length if known, Cache-Control's max-age. */
    record Response(int status, InputStream body, OptionalLong length, OptionalLong maxAge) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private final HttpClient http;
    private final Duration timeout;
    private final Map<String, Semaphore> servers = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> smallServers = new ConcurrentHashMap<>();

    CacheClient(Duration connectTimeout, Duration timeout) {
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NORMAL)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        this.timeout = timeout;
    }

    Response get(URI uri, Kind kind) throws IOException, InterruptedException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "file" -> {
                Path p = Path.of(uri.getPath());
                try {
                    return new Response(200, Files.newInputStream(p), OptionalLong.of(Files.size(p)), OptionalLong.empty());
                } catch (NoSuchFileException e) {
                    return new Response(404, InputStream.nullInputStream(), OptionalLong.empty(), OptionalLong.empty());
                }
            }
            case "http", "https" -> {
                return http(uri, kind == Kind.NAR ? servers : smallServers);
            }
            default -> throw new IOException("unsupported substitute URI scheme: " + uri);
        }
    }

    private Response http(URI uri, Map<String, Semaphore> permitsByServer) throws IOException, InterruptedException {
        Semaphore permits = permitsByServer.computeIfAbsent(uri.getScheme() + "://" + uri.getAuthority(),
                k -> new Semaphore(PER_SERVER, true));
        permits.acquire();
        boolean handed = false;
        try {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                    .version(uri.getScheme().equals("https") ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                    .GET().build();
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            InputStream body = new FilterInputStream(r.body()) {
                private boolean released;

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        if (!released) {
                            released = true;
                            permits.release();
                        }
                    }
                }
            };
            handed = true;
            return new Response(r.statusCode(), body, r.headers().firstValueAsLong("Content-Length"),
                    maxAge(r.headers().firstValue("Cache-Control").orElse("")));
        } finally {
            if (!handed) permits.release();
        }
    }

    private static OptionalLong maxAge(String cacheControl) {
        Matcher m = MAX_AGE.matcher(cacheControl);
        return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    @Override
    public void close() {
        http.close();
    }
}
