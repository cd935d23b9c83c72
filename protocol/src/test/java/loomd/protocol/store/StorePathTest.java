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
        StorePath p = StorePath.parseStrict(D, HELLO_TXT);
        assertEquals("k9pad896kygyvpxli7f20bkl9813p9y4", p.hashPart());
        assertEquals("hello.txt", p.name());
        assertEquals(HELLO_TXT, p.toString());
    }

    @Test
    void rejectsInvalidPaths() {
        for (String bad : List.of("/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9ye-hello", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4_hello",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-.hello", "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-a b",
                "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-" + "a".repeat(212), "/tmp/k9pad896kygyvpxli7f20bkl9813p9y4-x")) {
            assertThrows(BadStorePathException.class, () -> StorePath.parseStrict(D, bad), bad);
        }
    }

    /** What an export bundle from outside may name: nothing but a real item's path gets through. */
    @Test
    void strictParsingRefusesEveryNameThatIsNotAnItemAndSaysWhy() throws Exception {
        String hash = "k9pad896kygyvpxli7f20bkl9813p9y4";
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("/gnu/store/..", "path `/gnu/store/..' is not a valid store path");
        refused.put("/gnu/store/.links", "path `/gnu/store/.links' is not a valid store path");
        refused.put("/gnu/store/trash", "path `/gnu/store/trash' is not a valid store path");
        refused.put("/gnu/store/abc", "path `/gnu/store/abc' is not a valid store path");
        refused.put("/gnu/store/" + "e".repeat(32) + "-foobar",
                "path `/gnu/store/" + "e".repeat(32) + "-foobar' has an invalid hash part");
        refused.put("/gnu/store/" + hash + "-a b\nc", "path `/gnu/store/" + hash
                + "-a b\nc' has an invalid name: invalid character ` ' in name `a b\nc'");
        refused.put("/gnu/store/" + hash + "-..", "path `/gnu/store/" + hash
                + "-..' has an invalid name: invalid name: `..' (can't begin with dot)");
        refused.put("/gnu/store/" + hash + "-" + "a".repeat(212), "path `/gnu/store/" + hash + "-" + "a".repeat(212)
                + "' has a name longer than 211 characters");
        refused.put("/gnu/store/" + hash + "-x/y", "path `/gnu/store/" + hash + "-x/y' is not in the store");
        for (var e : refused.entrySet()) {
            assertEquals(e.getValue(),
                    assertThrows(BadStorePathException.class, () -> StorePath.parseStrict(D, e.getKey())).getMessage());
        }
        assertEquals("a".repeat(211), StorePath.parseStrict(D, "/gnu/store/" + hash + "-" + "a".repeat(211)).name());
        assertEquals("A-Za-z0-9+-._?=", StorePath.parseStrict(D, "/gnu/store/" + hash + "-A-Za-z0-9+-._?=").name());
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
