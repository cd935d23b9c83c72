package loomd.test.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.MethodRefEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.reflect.AccessFlag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import loomd.daemon.Main;
import loomd.locker.LockerClient;
import loomd.posix.Fds;
import loomd.protocol.wire.WireReader;
import loomd.spawner.SpawnerClient;
import loomd.test.support.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * Only {@code loomd.posix} calls native code (sqlite-jdbc aside). The JVM cannot hold us to it: our
 * classes run on the class path (one shaded jar), where {@code --enable-native-access} can only say
 * ALL-UNNAMED (docs/architecture.md). So this reads the compiled main classes of every module on
 * the class path and fails on any class outside {@code loomd.posix} whose constant pool names
 * {@code java.lang.foreign}, that declares a {@code native} method, or that loads a library.
 */
class NativeConfinementTest {
    private static final String POSIX = "loomd/posix/";

    @Test
    void onlyLoomdPosixReachesNativeCode() {
        Map<String, List<String>> found = new TreeMap<>();
        for (Path root : mainClassRoots()) {
            forEachClass(root, (name, bytes) -> {
                List<String> why = nativeUses(ClassFile.of().parse(bytes));
                if (!why.isEmpty()) {
                    found.put(name, why);
                }
            });
        }
        Map<String, List<String>> outside = new TreeMap<>(found);
        outside.keySet().removeIf(name -> name.startsWith(POSIX));
        assertEquals(Map.of(), outside, "native code outside loomd.posix");
        // The scan sees what it must: loomd.posix itself is full of java.lang.foreign.
        assertTrue(found.containsKey(POSIX + "Libc.class"), "loomd.posix.Libc not recognised: " + found.keySet());
    }

    @Test
    void everyModuleIsScanned() {
        Set<Path> roots = Set.copyOf(mainClassRoots());
        for (Class<?> anchor : List.of(Fds.class, WireReader.class, LockerClient.class, SpawnerClient.class,
                Main.class)) {
            assertTrue(roots.contains(location(anchor)), anchor + " at " + location(anchor) + " not in " + roots);
        }
    }

    /** Why a class reaches native code: the foreign API, a native method, or System/Runtime load*. */
    static List<String> nativeUses(ClassModel model) {
        List<String> why = new ArrayList<>();
        for (PoolEntry entry : model.constantPool()) {
            if (entry instanceof Utf8Entry utf8 && mentionsForeign(utf8.stringValue())) {
                why.add("names " + utf8.stringValue());
            } else if (entry instanceof MethodRefEntry ref && loadsLibrary(ref)) {
                why.add("calls " + ref.owner().asInternalName() + "." + ref.name().stringValue());
            }
        }
        for (MethodModel method : model.methods()) {
            if (method.flags().has(AccessFlag.NATIVE)) {
                why.add("declares native " + method.methodName().stringValue());
            }
        }
        return why;
    }

    private static boolean mentionsForeign(String text) {
        return text.contains("java/lang/foreign/") || text.contains("java.lang.foreign.");
    }

    private static boolean loadsLibrary(MethodRefEntry ref) {
        String owner = ref.owner().asInternalName();
        String name = ref.name().stringValue();
        return (owner.equals("java/lang/System") || owner.equals("java/lang/Runtime"))
                && (name.equals("load") || name.equals("loadLibrary"));
    }

    /** Class-path entries holding our main classes: module jars or output folders, never test classes. */
    private static List<Path> mainClassRoots() {
        List<Path> roots = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry).toAbsolutePath().normalize();
            String file = path.getFileName().toString();
            boolean moduleJar = file.startsWith("loomd-") && file.endsWith(".jar");
            boolean outputDir = Files.isDirectory(path.resolve("loomd")) && !file.equals("test-classes");
            if (moduleJar || outputDir) {
                roots.add(path);
            }
        }
        assertFalse(roots.isEmpty(), "no loomd classes on " + System.getProperty("java.class.path"));
        return roots;
    }

    private interface ClassVisitor {
        void visit(String name, byte[] bytes) throws IOException;
    }

    private static void forEachClass(Path root, ClassVisitor visitor) {
        try {
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root.resolve("loomd"))) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                        visitor.visit(root.relativize(f).toString(), Files.readAllBytes(f));
                    }
                }
                return;
            }
            try (ZipFile jar = new ZipFile(root.toFile())) {
                for (var e : jar.stream().filter(e -> e.getName().startsWith("loomd/")
                        && e.getName().endsWith(".class")).toList()) {
                    visitor.visit(e.getName(), jar.getInputStream(e).readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path location(Class<?> c) {
        return Path.of(ChildJvm.location(c)).toAbsolutePath().normalize();
    }
}
