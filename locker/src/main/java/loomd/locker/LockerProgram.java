package loomd.locker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import loomd.posix.HelperBinary;

/**
 * The program that serves as the locker: the native {@code loomd-locker} (C, built with this module and
 * carried in its jar; the default), or {@link LockerMain} in a JVM of its own, kept to compare the two.
 * System property {@value #PROPERTY} (else environment variable {@value #ENV}) set to {@code jvm} picks the
 * JVM one; unset or {@code native}, the native one; an absolute path, that program, run as the native one
 * is (socket, daemon pid): a stand-in for tests (a locker that is slow to start).
 */
sealed interface LockerProgram {
    String PROPERTY = "loomd.locker";
    String ENV = "LOOMD_LOCKER";
    /** Where the build puts the native binary inside the jar. */
    String RESOURCE = "/loomd/locker/native/loomd-locker";
    /** The binary's file name, before the extracted copy's content hash. */
    String BINARY_NAME = "loomd-locker";
    /** The directory under the runtime directory that receives the extracted binary (0700). */
    String PRIVATE_DIR = "loomd";

    /** The command line that starts this locker, connecting to {@code socket}. */
    List<String> command(Path socket) throws IOException;

    /**
     * The native locker, extracted into {@code privateDir} on first use; a restart after a death reuses that
     * copy (reading and hashing the jar's copy again would only delay the new locker).
     */
    final class Native implements LockerProgram {
        private final Path privateDir;
        private volatile Path binary;

        Native(Path privateDir) {
            this.privateDir = privateDir;
        }

        @Override
        public List<String> command(Path socket) throws IOException {
            Path known = binary;
            if (known == null || !Files.isExecutable(known)) {
                known = HelperBinary.extract(LockerProgram.class, RESOURCE, BINARY_NAME, privateDir);
                binary = known;
            }
            return List.of(known.toString(), socket.toString(), Long.toString(ProcessHandle.current().pid()));
        }
    }

    /** {@link LockerMain} in a JVM started like the daemon's own (its java, its class path). */
    record Jvm() implements LockerProgram {
        @Override
        public List<String> command(Path socket) {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> command = new ArrayList<>(List.of(java,
                    "-XX:+UseSerialGC", "-Xms16m", "-Xmx256m", "-Xss512k", "-XX:-UsePerfData",
                    // loomd.posix only: OFD locks, fd passing, the fd behind the link (no deep reflection).
                    "--enable-native-access=ALL-UNNAMED",
                    "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED"));
            String extra = System.getProperty("loomd.locker.jvmOptions", "").trim();
            if (!extra.isEmpty()) {
                command.addAll(List.of(extra.split("\\s+")));
            }
            command.addAll(List.of("-cp", System.getProperty("loomd.locker.classpath",
                    System.getProperty("java.class.path")), LockerMain.class.getName(), socket.toString()));
            return command;
        }
    }

    /** A locker program of the caller's choosing, given the native locker's arguments. */
    record External(Path program) implements LockerProgram {
        @Override
        public List<String> command(Path socket) {
            return List.of(program.toString(), socket.toString(), Long.toString(ProcessHandle.current().pid()));
        }
    }

    /** The program {@value #PROPERTY} or {@value #ENV} asks for; the native binary goes under {@code runtimeDir}. */
    static LockerProgram configured(Path runtimeDir) {
        String choice = System.getProperty(PROPERTY, System.getenv().getOrDefault(ENV, "native"));
        return switch (choice.trim().toLowerCase(Locale.ROOT)) {
            case "", "native" -> new Native(runtimeDir.resolve(PRIVATE_DIR));
            case "jvm" -> new Jvm();
            case String path when path.startsWith("/") -> new External(Path.of(choice.trim()));
            default -> throw new IllegalArgumentException(PROPERTY + " (or " + ENV + ") is `" + choice
                    + "': expected native, jvm or an absolute path");
        };
    }

    /** Whether {@code process} runs a locker, native or JVM (for tests and diagnostics). */
    static boolean runs(ProcessHandle process) {
        boolean nativeLocker = process.info().command()
                .map(c -> Path.of(c).getFileName().toString().startsWith(BINARY_NAME + "-")).orElse(false);
        return nativeLocker || process.info().arguments()
                .map(a -> List.of(a).contains(LockerMain.class.getName())).orElse(false);
    }
}
