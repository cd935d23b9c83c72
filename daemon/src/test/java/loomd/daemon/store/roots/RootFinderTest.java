package loomd.daemon.store.roots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.StoreDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootFinderTest {
    static final String A = "/gnu/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a";
    static final String B = "/gnu/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b";
    static final String GONE = "/gnu/store/cccccccccccccccccccccccccccccccc-c";

    @TempDir Path state;

    @Test
    void reportsDirectIndirectAndFileRootsLikeUpstream() throws Exception {
        Set<String> valid = Set.of(A, B);
        Path gcroots = Files.createDirectories(state.resolve("gcroots"));
        Files.createDirectories(state.resolve("profiles"));
        Files.createSymbolicLink(gcroots.resolve("direct"), Path.of(A + "/bin/tool"));
        Files.createSymbolicLink(gcroots.resolve("invalid"), Path.of(GONE));
        Files.writeString(gcroots.resolve(B.substring("/gnu/store/".length())), "");
        Path user = Files.createDirectories(state.resolve("home"));
        Path userLink = Files.createSymbolicLink(user.resolve("result"), Path.of(B));
        Path auto = IndirectRoots.add(state, userLink.toString());
        Path staleAuto = IndirectRoots.add(state, state.resolve("home/deleted-result").toString());

        String expectedName = Hash.of(HashAlgorithm.SHA1, userLink.toString().getBytes(StandardCharsets.UTF_8))
                .toNixBase32();
        assertEquals(state.resolve("gcroots/auto/" + expectedName), auto);
        assertEquals(userLink, Files.readSymbolicLink(auto));

        List<String> info = new ArrayList<>();
        var roots = new RootFinder(StoreDir.DEFAULT, state, valid::contains, info::add).findRoots();
        assertEquals(Map.of(
                gcroots.resolve("direct").toString(), A,
                gcroots.resolve(B.substring("/gnu/store/".length())).toString(), B,
                userLink.toString(), B), roots);
        assertTrue(info.contains("skipping invalid root from `" + gcroots.resolve("invalid") + "' to `" + GONE + "'"),
                info.toString());
        assertTrue(info.contains("removing stale link from `" + staleAuto + "' to `"
                + state.resolve("home/deleted-result") + "'"), info.toString());
        assertFalse(Files.exists(staleAuto, LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.copyOf(roots.keySet()), roots.keySet().stream().sorted().toList(), "sorted by link");
    }
}
