package loomd.test.locker;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Another program taking classic POSIX locks, as upstream guix-daemon does: a Python process driven line by
 * line over stdin ("try ex|sh", "wait ex|sh", "unlock"), answering "locked", "busy" or "unlocked".
 */
public final class PythonLockf implements AutoCloseable {
    private static final String SCRIPT = """
            import fcntl, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            for line in sys.stdin:
                verb, *rest = line.split()
                if verb == 'unlock':
                    fcntl.lockf(fd, fcntl.LOCK_UN)
                    print('unlocked', flush=True)
                    continue
                op = fcntl.LOCK_EX if rest[0] == 'ex' else fcntl.LOCK_SH
                try:
                    fcntl.lockf(fd, op if verb == 'wait' else op | fcntl.LOCK_NB)
                    print('locked', flush=True)
                except OSError:
                    print('busy', flush=True)
            """;

    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    PythonLockf(Path file) throws Exception {
        process = new ProcessBuilder("python3", "-c", SCRIPT, file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** A process holding an exclusive POSIX lock on {@code file} until closed. */
    public static PythonLockf hold(Path file) throws Exception {
        PythonLockf holder = new PythonLockf(file);
        String answer = holder.ask("try ex");
        if (!answer.equals("locked")) {
            holder.close();
            throw new IllegalStateException("could not lock " + file + ": " + answer);
        }
        return holder;
    }

    String ask(String command) throws Exception {
        in.write(command + "\n");
        in.flush();
        String answer = out.readLine();
        if (answer == null) {
            throw new IllegalStateException("python lockf helper died");
        }
        return answer;
    }

    /** Sends a request without reading the answer (for blocking "wait" requests). */
    void send(String command) throws Exception {
        in.write(command + "\n");
        in.flush();
    }

    String answer() throws Exception {
        return out.readLine();
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws Exception {
        in.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
