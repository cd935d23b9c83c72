package loomd.test.support;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines for a driver {@code main} in a fresh JVM with the daemon's JVM flags: tests that
 * kill -9 "the daemon side" need it in a process of its own.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** {@code java <flags> <jvmOptions> -cp <where each class comes from> main}; append main's args. */
    public static List<String> command(Class<?> main, List<String> jvmOptions, Class<?>... onClasspath) {
        List<String> cmd = new ArrayList<>();
        cmd.add(DaemonProcess.javaBinary().toString());
        cmd.addAll(DaemonProcess.JVM_FLAGS);
        cmd.addAll(jvmOptions);
        List<String> classpath = new ArrayList<>(List.of(location(main)));
        for (Class<?> c : onClasspath) {
            classpath.add(location(c));
        }
        cmd.addAll(List.of("-cp", String.join(":", classpath), main.getName()));
        return cmd;
    }

    /** The jar or class folder {@code c} was loaded from. */
    public static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
