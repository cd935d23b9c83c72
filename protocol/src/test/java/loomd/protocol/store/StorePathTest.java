package loomd.protocol.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import loomd.protocol.hash.Hash;
import org.junit.jupiter.api.Test;

class StorePathTest {
    private static final StoreDir D = StoreDir.DEFAULT;
    private static final String HELLO_TXT = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";

    @Test
    void assertStorePathFollowsUpstream() throws Exception {
        assertEquals(HELLO_TXT, D.assertStorePath(HELLO_TXT));
        assertEquals("/gnu/store/x", D.assertStorePath("/gnu/store/x"));
        for (String bad : List.of("/tmp/x", "/gnu/store", "/gnu/store/", "/gnu/storex/a", HELLO_TXT + "/bin", "gnu/store/x", "")) {
            BadStorePathException e = assertThrows(BadStorePathException.class, () -> D.assertStorePath(bad));
            assertEquals("path `" + bad + "' is not in the store", e.getMessage());
        }
        assertTrue(D.isInStore(HELLO_TXT + "/bin"));
        assertFalse(D.isStorePath(HELLO_TXT + "/bin"));
        assertEquals(HELLO_TXT, D.toStorePath(HELLO_TXT + "/bin/x"));
        assertEquals("hello.txt", D.storePathToName(HELLO_TXT));
        assertEquals("k9pad896kygyvpxli7f20bkl9813p9y4", D.hashPartOf(HELLO_TXT));
    }

    @Test
    void parsesValidPaths() throws Exception {
        StorePath p = StorePath.parse(D, HELLO_TXT);
        assertEquals("k9pad896kygyvpxli7f20bkl9813p9y4", p.hashPart());
        assertEquals("hello.txt", p.name());
        assertEquals(HELLO_TXT, p.toString());
    }

    @Test
    void rejectsInvalidPaths() {
        for (String bad : List.of("/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9ye-hello", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4_hello",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-.hello", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-a b",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-" + "a".repeat(223), "/tmp/k9pad896kygyvpxli7f20bkl9813p9y4-x")) {
            assertThrows(BadStorePathException.class, () -> StorePath.parse(D, bad), bad);
        }
    }

    @Test
    void checkStoreNameTexts() throws Exception {
        StoreNames.checkStoreName("A-Za-z0-9+-._?=");
        assertEquals("invalid character `/' in name `a/b'",
                assertThrows(BadStorePathException.class, () -> StoreNames.checkStoreName("a/b")).getMessage());
        assertEquals("invalid character ` ' in name `a b'",
                assertThrows(BadStorePathException.class, () -> StoreNames.checkStoreName("a b")).getMessage());
        assertEquals("invalid name: `.hidden' (can't begin with dot)",
                assertThrows(BadStorePathException.class, () -> StoreNames.checkStoreName(".hidden")).getMessage());
        assertThrows(BadStorePathException.class, () -> StoreNames.checkStoreName(""));
        assertThrows(BadStorePathException.class, () -> new StorePathComputer(D).makeStorePath("source",
                Hash.parse("sha256:" + "0".repeat(64)), "bad name"));
    }

    @Test
    void storeDirFromEnvironment() {
        assertEquals(D, StoreDir.fromEnvironment(Map.of()));
        assertEquals("/nix/store", StoreDir.fromEnvironment(Map.of("NIX_STORE_DIR", "/nix/store")).path());
        assertThrows(IllegalArgumentException.class, () -> new StoreDir("/gnu/store/"));
        assertThrows(IllegalArgumentException.class, () -> new StoreDir("relative"));
    }
}
