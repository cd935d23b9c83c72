package loomd.daemon.store.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import loomd.daemon.store.StoreException;

/**
 * The {@code guix authenticate} helper (daemon.md §8.5, formats.md §5.3), started lazily once
 * and shared: one request line at a time ({@code sign <n>:<key> <n>:<hex>} or
 * {@code verify <n>:<sig>}), one reply {@code <code> <n>:<bytes>} read from the helper's merged
 * stdout/stderr. Strings travel as ISO-8859-1 so a signature may hold any byte.
 *
 * <p>Threads: callers are session virtual threads, but every exchange (starting the helper, a fork;
 * writing the request; the blocking pipe read of the reply) runs on one platform thread, which also
 * serialises the exchanges; the caller waits on a future, which does not pin its carrier.
 * A helper that dies is restarted on the next request.
 */
public final class AuthenticateAgent implements AutoCloseable {
    private final List<String> command;
    private final ExecutorService exchanges = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("loomd-authenticate").daemon(true).factory());
    /** Touched only on the exchange thread. */
    private Process process;

    public AuthenticateAgent(List<String> command) {
        this.command = List.copyOf(command);
    }

    public boolean isConfigured() {
        return !command.isEmpty();
    }

    /** Signs the base16 hash with the secret key file; returns the signature s-expression. */
    public String sign(String secretKeyFile, String hexHash) {
        return request("sign " + field(secretKeyFile) + " " + field(hexHash));
    }

    /** Verifies a signature; returns the base16 hash it signs. */
    public String verify(String signature) {
        return request("verify " + field(signature));
    }

    private static String field(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1).length + ":" + s;
    }

    private String request(String line) {
        if (!isConfigured()) {
            throw new StoreException("no `guix authenticate' program is configured");
        }
        try {
            return CompletableFuture.supplyAsync(() -> exchange(line), exchanges).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** One request and its reply; on the exchange thread. */
    private String exchange(String line) {
        Process p = started();
        try {
            OutputStream in = p.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
            in.flush();
            return readReply(p.getInputStream());
        } catch (IOException | StoreException e) {
            if (!p.isAlive()) process = null;
            throw e instanceof StoreException se ? se : new StoreException(
                    "talking to `" + String.join(" ", command) + "': " + e.getMessage());
        }
    }

    private Process started() {
        if (process != null && process.isAlive()) return process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            return process;
        } catch (IOException e) {
            throw new StoreException("unable to start `" + String.join(" ", command) + "': " + e.getMessage());
        }
    }

    /** Reads {@code CODE LEN:STR}; code 0 returns STR, any other code raises STR as the error. */
    static String readReply(InputStream in) throws IOException {
        int code = readInteger(in);
        int len = readInteger(in);
        byte[] buf = in.readNBytes(len);
        if (buf.length < len) throw new StoreException("unexpected EOF reading an integer");
        String s = new String(buf, StandardCharsets.ISO_8859_1);
        if (code != 0) throw new StoreException(s);
        return s;
    }

    /** Digits up to (and consuming) the first non-digit, like upstream's readInteger. */
    private static int readInteger(InputStream in) throws IOException {
        ByteArrayOutputStream digits = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw new StoreException("unexpected EOF reading an integer");
            if (c >= '0' && c <= '9') {
                digits.write(c);
            } else {
                break;
            }
        }
        String s = digits.toString(StandardCharsets.US_ASCII);
        if (s.isEmpty() || s.length() > 9) throw new StoreException("invalid integer from `guix authenticate': " + s);
        return Integer.parseInt(s);
    }

    @Override
    public void close() {
        exchanges.execute(this::stopHelper);
        exchanges.shutdown();
        try {
            exchanges.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopHelper() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }
}
