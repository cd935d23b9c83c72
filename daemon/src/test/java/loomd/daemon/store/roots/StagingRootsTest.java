package loomd.daemon.store.roots;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingRootsTest {
    @TempDir Path state;

    long files() throws Exception {
        try (Stream<Path> s = Files.list(state.resolve("temproots"))) {
            return s.count();
        }
    }

    @Test
    void filesRotateAndRetiredOnesGoOnceTheirLeasesClose() throws Exception {
        try (LockerFileLocker locker = LockerFileLocker.launch(state); StagingRoots roots = new StagingRoots(state, locker, 10)) {
            List<StagingRoots.Lease> first = new ArrayList<>();
            for (int i = 0; i < 10; i++) first.add(roots.protect("/gnu/store/.loomd-tmp-a" + i));
            StagingRoots.Lease eleventh = roots.protect("/gnu/store/.loomd-tmp-b");
            assertEquals(2, files(), "a full file is kept while its names are in use");
            for (int i = 0; i < 9; i++) first.get(i).close();
            assertEquals(2, files());
            first.get(9).close();
            first.get(9).close();
            assertEquals(1, files(), "retired and unused: removed");
            for (int i = 0; i < 9; i++) roots.protect("/gnu/store/.loomd-tmp-c" + i).close();
            roots.protect("/gnu/store/.loomd-tmp-d").close();
            assertEquals(2, files(), "the second file is full but still protects the eleventh name");
            eleventh.close();
            assertEquals(1, files(), "its last lease closed: removed");
        }
        assertEquals(0, files(), "closing the store removes its files");
    }
}
