package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;

/** daemon.md §4.7 and Appendix A.5, step by step. */
class BuildEnvironmentTest {
    static final String OUT = "/gnu/store/56dymnhgq4a9z00cipb5bdpmpwjhgx2b-build-simple";
    static final String BUSYBOX = "/gnu/store/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox/bin/busybox";
    static final String TOP = "/tmp/guix-build-build-simple.drv-0";

    static Derivation drv(Map<String, String> env, Map<String, DerivationOutput> outputs) {
        return Derivation.of(outputs, Map.of(), List.of("/gnu/store/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox"),
                "x86_64-linux", BUSYBOX, List.of("sh", "-c", "echo built > $out"), env);
    }

    static Derivation simple(Map<String, String> extraEnv) {
        var env = new java.util.HashMap<>(Map.of("out", OUT, "name", "build-simple", "system", "x86_64-linux",
                "builder", BUSYBOX));
        env.putAll(extraEnv);
        return drv(env, Map.of("out", DerivationOutput.regular(OUT)));
    }

    static BuildEnvironment.Builder ready(Derivation drv) {
        return BuildEnvironment.forDerivation(drv).storeDir("/gnu/store").buildCores(0)
                .buildDirInSandbox(TOP).daemonEnvironment(Map.of("http_proxy", "http://proxy:3128"));
    }

    @Test
    void aPlainDerivationGetsExactlyTheSpecVariablesSortedByName() {
        BuildEnvironment env = ready(simple(Map.of())).build();
        assertEquals(List.of(
                "HOME=/homeless-shelter",
                "NIX_BUILD_CORES=0",
                "NIX_BUILD_TOP=" + TOP,
                "NIX_STORE=/gnu/store",
                "PATH=/path-not-set",
                "PWD=" + TOP,
                "TEMP=" + TOP,
                "TEMPDIR=" + TOP,
                "TMP=" + TOP,
                "TMPDIR=" + TOP,
                "builder=" + BUSYBOX,
                "name=build-simple",
                "out=" + OUT,
                "system=x86_64-linux"), env.envp());
    }

    @Test
    void argvZeroIsTheBuildersBaseNameAndTheProgramItsFullPath() {
        BuildEnvironment env = ready(simple(Map.of())).build();
        assertEquals(List.of("busybox", "sh", "-c", "echo built > $out"), env.argv());
        assertEquals(BUSYBOX, env.program());
    }

    @Test
    void theDerivationBeatsPathHomeStoreAndCores() {
        var env = ready(simple(Map.of("PATH", "/mine", "HOME", "/home/x", "NIX_STORE", "/elsewhere",
                "NIX_BUILD_CORES", "7"))).buildCores(4).build().variables();
        assertEquals("/mine", env.get("PATH"));
        assertEquals("/home/x", env.get("HOME"));
        assertEquals("/elsewhere", env.get("NIX_STORE"));
        assertEquals("7", env.get("NIX_BUILD_CORES"));
    }

    @Test
    void theBuildDirectoryBeatsTheDerivation() {
        var env = ready(simple(Map.of("NIX_BUILD_TOP", "/x", "TMPDIR", "/x", "TEMPDIR", "/x", "TMP", "/x",
                "TEMP", "/x", "PWD", "/x"))).build().variables();
        for (String name : List.of("NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD")) {
            assertEquals(TOP, env.get(name), name);
        }
    }

    @Test
    void coresAreDecimal() {
        assertEquals("12", ready(simple(Map.of())).buildCores(12).build().variables().get("NIX_BUILD_CORES"));
    }

    @Test
    void impureVariablesReachOnlyFixedOutputBuildsAndBeatEverything() {
        var impure = Map.of("impureEnvVars", "http_proxy  https_proxy\tTMPDIR", "http_proxy", "from-drv");
        var fixedEnv = new java.util.HashMap<>(impure);
        fixedEnv.put("out", OUT);
        Derivation fixed = drv(fixedEnv, Map.of("out", new DerivationOutput(OUT, "sha256",
                "0000000000000000000000000000000000000000000000000000000000000000")));
        var env = ready(fixed).build().variables();
        assertEquals("http://proxy:3128", env.get("http_proxy"));
        assertEquals("", env.get("https_proxy"), "unset in the daemon: the empty string");
        assertEquals("", env.get("TMPDIR"), "impure variables are assigned last");
        assertEquals("http_proxy  https_proxy\tTMPDIR", env.get("impureEnvVars"), "the attribute itself is exported");

        var plain = ready(simple(impure)).build().variables();
        assertEquals("from-drv", plain.get("http_proxy"));
        assertFalse(plain.containsKey("https_proxy"));
        assertEquals(TOP, plain.get("TMPDIR"));
    }

    @Test
    void fixedOutputForBuildsMeansEveryOutputHashed() {
        var hashed = new DerivationOutput(OUT, "sha256", "00");
        Derivation two = drv(Map.of(), Map.of("out", hashed, "doc", new DerivationOutput(OUT + "-doc", "sha256", "00")));
        assertTrue(BuildEnvironment.isFixedOutputBuild(two));
        assertFalse(two.isFixedOutput(), "registration's test differs (§9.34)");
        assertFalse(BuildEnvironment.isFixedOutputBuild(drv(Map.of(), Map.of("out", hashed,
                "doc", DerivationOutput.regular(OUT + "-doc")))));
    }

    @Test
    void nothingElseIsInheritedNotEvenNixLogFd() {
        var env = ready(simple(Map.of())).build().variables();
        for (String absent : List.of("NIX_LOG_FD", "TERM", "NIX_OUTPUT_CHECKED", "http_proxy", "USER", "LANG")) {
            assertFalse(env.containsKey(absent), absent);
        }
    }

    @Test
    void hashRewritesApplyToEnvironmentStringsAndArgumentsButNotArgvZero() {
        String from = "56dymnhgq4a9z00cipb5bdpmpwjhgx2b";
        String to = "00000000000000000000000000000000";
        Derivation d = drv(Map.of("out", OUT, "x" + from, "y"), Map.of("out", DerivationOutput.regular(OUT)));
        var env = ready(d).hashRewrites(Map.of(from, to)).build();
        assertEquals(OUT.replace(from, to), env.variables().get("out"));
        assertEquals("y", env.variables().get("x" + to));
        assertThrows(IllegalArgumentException.class, () -> ready(d).hashRewrites(Map.of(from, "short")));
    }

    @Test
    void everyInputIsRequired() {
        Derivation d = simple(Map.of());
        assertThrows(IllegalStateException.class, () -> BuildEnvironment.forDerivation(d).storeDir("/gnu/store")
                .buildCores(0).daemonEnvironment(Map.of()).build());
        assertThrows(IllegalStateException.class, () -> BuildEnvironment.forDerivation(d).storeDir("/gnu/store")
                .buildDirInSandbox(TOP).daemonEnvironment(Map.of()).build());
        assertThrows(IllegalStateException.class, () -> BuildEnvironment.forDerivation(d).buildCores(0)
                .buildDirInSandbox(TOP).daemonEnvironment(Map.of()).build());
        assertThrows(IllegalStateException.class, () -> BuildEnvironment.forDerivation(d).storeDir("/gnu/store")
                .buildCores(0).buildDirInSandbox(TOP).build());
        assertThrows(IllegalArgumentException.class, () -> BuildEnvironment.forDerivation(d).buildDirInSandbox("tmp"));
        assertThrows(IllegalArgumentException.class, () -> BuildEnvironment.forDerivation(d).buildCores(-1));
    }

    @Test
    void builtinBuildersHaveNoEnvironment() {
        Derivation d = Derivation.of(Map.of("out", DerivationOutput.regular(OUT)), Map.of(), List.of(),
                "x86_64-linux", "builtin:download", List.of(), Map.of());
        assertThrows(IllegalArgumentException.class, () -> BuildEnvironment.forDerivation(d));
    }
}
