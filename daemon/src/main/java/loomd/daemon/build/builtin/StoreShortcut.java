package loomd.daemon.build.builtin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedSet;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StorePathComputer;

/**
 * Before fetching anything: the expected content may already be in the store. A fixed-output path
 * depends only on the hash, the mode and the name, so a file {@code guix download} added under the
 * URL's base name (or an earlier build under the output's name) is found by computing its path, one
 * validity query per name; a recursive SHA-256 output that is one regular file is found in
 * {@code .links}, whose entries are named by exactly that NAR hash. What is found is copied (never
 * linked: the output gets canonicalised) and its hash checked before it counts; a copy that does not
 * match is deleted and the download goes on.
 */
final class StoreShortcut {
    private StoreShortcut() {}

    /**
     * Copies a store item with the content of {@code out} to {@code target}; returns what was copied,
     * or empty if nothing in the store has that content.
     */
    static Optional<String> copy(LocalStore store, DownloadRequest.FixedOutput out, List<String> names, Path target)
            throws IOException {
        for (Source s : candidates(store, out, names)) {
            FileTrees.deleteRecursively(target);
            try {
                copyTree(s.file(), target);
            } catch (IOException e) {
                FileTrees.deleteRecursively(target); // gone meanwhile (a collection): download it instead
                continue;
            }
            if (ContentHash.of(target, out.recursive(), out.hash()).equals(out.hash())) {
                return Optional.of(s.name());
            }
            FileTrees.deleteRecursively(target);
        }
        return Optional.empty();
    }

    private record Source(String name, Path file) {}

    private static List<Source> candidates(LocalStore store, DownloadRequest.FixedOutput out, List<String> names) {
        StorePathComputer paths = new StorePathComputer(store.config().storeDir());
        SequencedSet<String> seen = new LinkedHashSet<>();
        List<Source> result = new ArrayList<>();
        for (String name : names) {
            try {
                String p = paths.makeFixedOutputPath(out.recursive(), out.hash(), name).toString();
                if (!p.equals(out.path()) && seen.add(p) && store.queries().isValidPath(p)) {
                    result.add(new Source(p, store.config().physical(p)));
                }
            } catch (BadStorePathException e) {
                // a URL base name that is no valid store name cannot be a store item
            }
        }
        if (out.recursive() && out.hash().algorithm() == HashAlgorithm.SHA256) {
            Path link = store.config().physicalStore().resolve(".links").resolve(out.hash().toNixBase32());
            if (Files.isRegularFile(link, LinkOption.NOFOLLOW_LINKS)) {
                result.add(new Source(link.toString(), link));
            }
        }
        return result;
    }

    /** Regular files (with the owner's execute bit), directories and symlinks; nothing else is in a store item. */
    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectory(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = source.equals(file) ? target : target.resolve(source.relativize(file).toString());
                if (attrs.isSymbolicLink()) {
                    Files.createSymbolicLink(to, Files.readSymbolicLink(file));
                } else if (attrs.isRegularFile()) {
                    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                        Files.copy(in, to);
                    }
                    if (Files.isExecutable(file)) {
                        Files.setAttribute(to, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
