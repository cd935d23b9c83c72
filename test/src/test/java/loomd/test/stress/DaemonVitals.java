package loomd.test.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import loomd.test.support.DaemonProcess;

/** A daemon's heap after a full collection (through {@code jcmd}) and its thread count (from /proc). */
record DaemonVitals(long heapUsedKiB, int threads) {
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    static DaemonVitals of(DaemonProcess daemon) throws IOException, InterruptedException {
        long pid = daemon.pid();
        jcmd(pid, "GC.run");
        Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
        long used = m.find() ? Long.parseLong(m.group(1)) : -1;
        int threads = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("Threads:")).mapToInt(l -> Integer.parseInt(l.substring(8).trim()))
                .findFirst().orElse(-1);
        return new DaemonVitals(used, threads);
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = DaemonProcess.javaBinary().resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
