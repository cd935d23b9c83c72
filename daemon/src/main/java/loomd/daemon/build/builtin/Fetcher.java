package loomd.daemon.build.builtin;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Opens the body of one URL for {@code builtin:download}: {@code http} and {@code https} through the
 * JDK's client (its I/O on virtual threads), {@code file} from the local file system. As upstream for
 * fixed-output downloads, certificates are not checked: the declared hash is.
 *
 * <p>A {@code file://} URL is read only if everyone may read it (the file world-readable, every
 * directory above it world-searchable). Upstream gets that rule from running its helper as a build
 * user and refuses to run as root; the daemon reads with its own rights, so it applies the rule itself
 * and works under a root daemon without handing out {@code /etc/shadow}.
 */
final class Fetcher {
    private static final Duration TIMEOUT = Duration.ofSeconds(10); // upstream's url-fetch default
    private static final int MAX_REDIRECTS = 20;
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(TIMEOUT)
            .sslContext(trustAll())
            .build();

    /** An open body and its length, -1 if unknown. */
    record Body(InputStream in, long size) {}

    private Fetcher() {}

    /** Opens {@code uri}; {@code say} gets upstream's progress lines (redirections). */
    static Body open(URI uri, Consumer<String> say) throws IOException, InterruptedException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        return switch (scheme) {
            case "http", "https" -> http(uri, say);
            case "file" -> file(uri);
            default -> throw new UnsupportedSchemeException(uri);
        };
    }

    /** Upstream skips such a URL with a message instead of failing the download. */
    static final class UnsupportedSchemeException extends IOException {
        UnsupportedSchemeException(URI uri) {
            super("skipping URI with unsupported scheme: " + SchemeDatum.written(new SchemeDatum.Str(uri.toString())));
        }
    }

    private static Body http(URI uri, Consumer<String> say) throws IOException, InterruptedException {
        URI current = uri;
        for (int i = 0; i <= MAX_REDIRECTS; i++) {
            HttpRequest request = HttpRequest.newBuilder(current).GET().build();
            HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            int code = response.statusCode();
            if (code == 200) {
                long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                return new Body(response.body(), size);
            }
            response.body().close();
            String location = response.headers().firstValue("Location").orElse(null);
            if (isRedirect(code) && location != null) {
                current = current.resolve(location);
                say.accept("following redirection to `" + current + "'...\n");
                continue;
            }
            throw new IOException("download failed " + SchemeDatum.written(new SchemeDatum.Str(current.toString()))
                    + " " + code + " " + SchemeDatum.written(new SchemeDatum.Str(reason(code))));
        }
        throw new IOException("too many redirections for " + uri);
    }

    private static boolean isRedirect(int code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    private static String reason(int code) {
        return switch (code) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 410 -> "Gone";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            default -> "";
        };
    }

    private static Body file(URI uri) throws IOException {
        Path path;
        try {
            path = Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid file URL " + uri + ": " + e.getMessage());
        }
        Path real = path.toRealPath();
        checkPublic(real);
        InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS);
        return new Body(in, Files.size(real));
    }

    private static void checkPublic(Path real) throws IOException {
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)
                || !Files.getPosixFilePermissions(real, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_READ)) {
            throw new IOException("`" + real + "' is not a regular file readable by everyone; not downloading it");
        }
        for (Path dir = real.getParent(); dir != null; dir = dir.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("`" + real + "' is not readable by everyone (`" + dir
                        + "' is not searchable); not downloading it");
            }
        }
    }

    private static SSLContext trustAll() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK", e);
        }
    }

    /** Accepts every certificate and host name: the content is checked against its hash instead. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) { }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) { }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) { }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) { }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) { }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) { }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
