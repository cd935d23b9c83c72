package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

import loomd.daemon.store.StoreException;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * {@code wopAddIndirectRoot}: {@code V/gcroots/auto/<nix-base32(sha1(link))>} becomes a symlink
 * to the (absolute) link file, written under a temporary name and renamed over any old one.
 * The link itself is not checked, as upstream.
 */
public final class IndirectRoots {
    private IndirectRoots() {}

    /** Creates the indirect root; returns the symlink created in {@code gcroots/auto}. */
    public static Path add(Path stateDir, String absoluteLink) {
        String name = Hash.of(HashAlgorithm.SHA1, absoluteLink.getBytes(StandardCharsets.UTF_8)).toNixBase32();
        Path root = stateDir.resolve("gcroots").resolve("auto").resolve(name).normalize();
        Path temp = root.resolveSibling(name + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Integer.toUnsignedString(ThreadLocalRandom.current().nextInt()));
        try {
            Files.createDirectories(root.getParent());
            Files.createSymbolicLink(temp, Path.of(absoluteLink));
            Files.move(temp, root, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return root;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StoreException("cannot rename `" + temp + "' to `" + root + "': " + e.getMessage());
        }
    }
}
