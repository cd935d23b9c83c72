package loomd.spawner;

import java.io.IOException;
import java.nio.file.Path;

import loomd.posix.HelperBinary;

/** Finds the spawner executable: a configured path, or the copy shipped inside the jar. */
public final class SpawnerBinary {
    /** Where the build puts the binary inside the jar. */
    public static final String RESOURCE = "/loomd/spawner/native/loomd-spawner";

    private SpawnerBinary() {}

    /** The configured binary if there is one, else the jar's copy extracted into {@code privateDir}. */
    public static Path locate(java.util.Optional<Path> configured, Path privateDir) throws IOException {
        return configured.isPresent() ? fromPath(configured.get()) : extractFromJar(privateDir);
    }

    /** A configured binary; it must exist and be executable. */
    public static Path fromPath(Path binary) throws IOException {
        return HelperBinary.fromPath(binary, "spawner");
    }

    /**
     * Extracts the jar's binary into {@code privateDir} (created 0700) as {@code loomd-spawner-<hash>},
     * mode 0500, unless that exact file is already there ({@link HelperBinary#extract}).
     */
    public static Path extractFromJar(Path privateDir) throws IOException {
        return HelperBinary.extract(SpawnerBinary.class, RESOURCE, "loomd-spawner", privateDir);
    }
}
