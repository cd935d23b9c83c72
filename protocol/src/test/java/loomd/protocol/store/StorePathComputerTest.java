package loomd.protocol.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** test-vectors.md §2.2, §3, §5 (output paths). */
class StorePathComputerTest {
    private static final StorePathComputer C = new StorePathComputer(StoreDir.DEFAULT);
    private static final byte[] HELLO = "hello\n".getBytes(StandardCharsets.US_ASCII);
    private static final String HELLO_TXT = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    private static final String EMPTY_TXT = "/gnu/store/1hsw4vkd7sfw6bda2808j3pnc2w3avx4-empty.txt";

    @Test
    void textPathWithoutReferences() throws Exception {
        Hash sha = Hash.of(HashAlgorithm.SHA256, HELLO);
        assertEquals("text:sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03:/gnu/store:hello.txt",
                C.fingerprint("text", sha, "hello.txt"));
        assertEquals("727066c7db36b9e9260d3040ed9f9f26a1a66e9ab6d75dc5914297c9fa84849f", Hash.of(HashAlgorithm.SHA256,
                C.fingerprint("text", sha, "hello.txt").getBytes(StandardCharsets.UTF_8)).toBase16());
        assertEquals(HELLO_TXT, C.makeTextPath("hello.txt", HELLO, List.of()).toString());
        assertEquals(EMPTY_TXT, C.makeTextPath("empty.txt", new byte[0], List.of()).toString());
    }

    @Test
    void textPathWithReferencesSortsThem() throws Exception {
        byte[] contents = ("see " + HELLO_TXT + " and " + EMPTY_TXT + "\n").getBytes(StandardCharsets.US_ASCII);
        assertEquals(116, contents.length);
        assertEquals("/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt",
                C.makeTextPath("refs.txt", contents, List.of(HELLO_TXT, EMPTY_TXT)).toString());
    }

    @ParameterizedTest
    @CsvSource({
        "hello.txt, 1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13, /gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt",
        "tree, 11dbc451fb5328efdfa25e142993f8b98a4aa00706a799146a6122656aa89123, /gnu/store/bnb3q52l9znrz59dwvr4dvzf3h78whq3-tree",
        "exec.sh, 5e0accf02cedede5e4119ffa15e79e79a5fb1fb9bc43c3d434f33227a14477a0, /gnu/store/p5ppiid57p1m74wv041ysdq6isg9axh1-exec.sh",
    })
    void sourcePaths(String name, String narHex, String expected) throws Exception {
        Hash nar = Hash.parse(HashAlgorithm.SHA256, narHex);
        assertEquals(expected, C.makeSourcePath(nar, name).toString());
        assertEquals(expected, C.makeFixedOutputPath(true, nar, name).toString());
    }

    @ParameterizedTest
    @CsvSource({
        "false, sha256, 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, hello.txt, /gnu/store/wxykb3w2hprzmc82c32q49pfzwx2drsa-hello.txt",
        "false, sha1, f572d396fae9206628714fb2ce00f72e94f2258f, hello.txt, /gnu/store/cws9bg170f9da6gvs6fyvlmw9cf798vx-hello.txt",
        "false, md5, b1946ac92492d2347c6235b4d2611184, hello.txt, /gnu/store/f880x53md97h5007yai4adnsprd3w3np-hello.txt",
        "true, sha1, 7a0fc9f1bc6148f0d699ca5094e7ffb36567cc64, tree, /gnu/store/0vxs24d77n35yy79fx7v740960fd6zyv-tree",
        "true, sha512, 098d9d63b290cc8dff5705019ac0b61fa6ed0b0b1a3d732ef91958c3e5b2d17e8b02b5ed8b01c0526e0e16708adcca96bbf1a906a105927ded24a2236e2a80b0, hello.txt, /gnu/store/g5yrc3b7np5y7wfmmfw1vi7zb54sa9v3-hello.txt",
        "false, sha256, 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, fixed.txt, /gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt",
    })
    void fixedOutputPaths(boolean recursive, String algo, String hex, String name, String expected) throws Exception {
        Hash content = Hash.parse(algo + ":" + hex);
        assertEquals(expected, C.makeFixedOutputPath(recursive, content, name).toString());
    }

    /** §3.4: the {@code fixed:} string and its sha256 (the inner hash) of every non-source case. */
    @ParameterizedTest
    @CsvSource({
        "false, sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, bc101cf2ad0f504c5dd74b9cce0a732e7157bfbddd2afec191aa0eecd3e252a9, hello.txt",
        "false, sha1:f572d396fae9206628714fb2ce00f72e94f2258f, edbb6e551abd7c41bbf9ec9cea7b1c46ef852d0529a3748a606d937634f30da4, hello.txt",
        "false, md5:b1946ac92492d2347c6235b4d2611184, c07a79708fde1eb3781a4baf1110c3e495414a492f43136059517895f8c41aa1, hello.txt",
        "true, sha1:7a0fc9f1bc6148f0d699ca5094e7ffb36567cc64, bd136b998649645e8e75bc559a84fafbdc41a3874d2f98bddfbe9c8e95529fef, tree",
        "true, sha512:098d9d63b290cc8dff5705019ac0b61fa6ed0b0b1a3d732ef91958c3e5b2d17e8b02b5ed8b01c0526e0e16708adcca96bbf1a906a105927ded24a2236e2a80b0, 94c8bd20a88a14f54734b0e2877e82a24195f2825219facd4ea04e7ff5f2708a, hello.txt",
    })
    void fixedStringsInnerHashesAndFingerprints(boolean recursive, String typed, String inner, String name) throws Exception {
        Hash content = Hash.parse(typed);
        String fixed = StorePathComputer.fixedOutputString(recursive, content);
        assertEquals("fixed:out:" + (recursive ? "r:" : "") + typed + ":", fixed);
        Hash innerHash = Hash.of(HashAlgorithm.SHA256, fixed.getBytes(StandardCharsets.US_ASCII));
        assertEquals(inner, innerHash.toBase16());
        assertEquals("output:out:sha256:" + inner + ":/gnu/store:" + name, C.fingerprint("output:out", innerHash, name));
    }

    @Test
    void fixedOutputStringAndInnerHash() {
        Hash content = Hash.parse("sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        String fixed = StorePathComputer.fixedOutputString(false, content);
        assertEquals("fixed:out:sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03:", fixed);
        assertEquals("bc101cf2ad0f504c5dd74b9cce0a732e7157bfbddd2afec191aa0eecd3e252a9",
                Hash.of(HashAlgorithm.SHA256, fixed.getBytes(StandardCharsets.US_ASCII)).toBase16());
    }

    @Test
    void outputPaths() throws Exception {
        Hash hello = Hash.parse("sha256:42fb76082c477eb98f79f377d88f6e5a226c27685c6a36cef82d017c136a966f");
        assertEquals("/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello", C.makeOutputPath("out", hello, "hello").toString());
        Hash dep = Hash.parse("sha256:b8ac6d3c219fb56a50fe837910a73d5dbced4efd3673739d69572e1db0a036df");
        assertEquals("/gnu/store/cpln9c6fgjns6cks3jl4whs1ip10k80b-dep-dev", C.makeOutputPath("dev", dep, "dep").toString());
        assertEquals("/gnu/store/pcaax80b227qaj8yx85yqbf7j9ww9gi4-dep", C.makeOutputPath("out", dep, "dep").toString());
    }

    @Test
    void drvPathIsATextPathOverItsReferences() throws Exception {
        Hash drv = Hash.parse("sha256:ca32bb2210e68172711f3fe2e3ff7d5ef0ea9c8d3c021797d8d40a9508cfa41c");
        List<String> refs = List.of("/gnu/store/ra3vhqw8407y5h011jnc240nsvnf7ffp-fixed.txt.drv",
                "/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt",
                "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv");
        assertEquals("/gnu/store/df2i31zzxnchy8lbbna9a8595zcavxva-dep.drv", C.makeTextPath("dep.drv", drv, refs).toString());
    }

    @Test
    void storeDirIsPartOfTheFingerprint() throws Exception {
        StorePathComputer other = new StorePathComputer(new StoreDir("/nix/store"));
        StorePath p = other.makeTextPath("hello.txt", HELLO, List.of());
        assertEquals("/nix/store", p.storeDir().path());
        org.junit.jupiter.api.Assertions.assertNotEquals("k9pad896kygyvpxli7f20bkl9813p9y4", p.hashPart());
    }
}
