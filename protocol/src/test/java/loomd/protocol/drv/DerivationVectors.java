package loomd.protocol.drv;

/** The .drv texts of test-vectors.md §5, byte for byte. */
final class DerivationVectors {
    static final loomd.protocol.store.StoreDir STORE = loomd.protocol.store.StoreDir.DEFAULT;

    static final String HELLO = "Derive([(\"out\",\"/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\",\"\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"hello\"),(\"out\",\"/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello\"),(\"system\",\"x86_64-linux\")])";
    static final String HELLO_MASKED = "Derive([(\"out\",\"\",\"\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"hello\"),(\"out\",\"\"),(\"system\",\"x86_64-linux\")])";
    static final String HELLO_DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    static final String FIXED = "Derive([(\"out\",\"/gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt\",\"sha256\",\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"fixed.txt\"),(\"out\",\"/gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt\"),(\"outputHash\",\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\"),(\"outputHashAlgo\",\"sha256\"),(\"outputHashMode\",\"flat\"),(\"system\",\"x86_64-linux\")])";
    static final String FIXED_DRV = "/gnu/store/ra3vhqw8407y5h011jnc240nsvnf7ffp-fixed.txt.drv";

    static final String DEP = "Derive([(\"dev\",\"/gnu/store/cpln9c6fgjns6cks3jl4whs1ip10k80b-dep-dev\",\"\",\"\"),(\"out\",\"/gnu/store/pcaax80b227qaj8yx85yqbf7j9ww9gi4-dep\",\"\",\"\")],[(\"/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv\",[\"out\"]),(\"/gnu/store/ra3vhqw8407y5h011jnc240nsvnf7ffp-fixed.txt.drv\",[\"out\"])],[\"/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt\"],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt /gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt > $out; echo /gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello > $dev\"],[(\"builder\",\"/bin/sh\"),(\"dev\",\"/gnu/store/cpln9c6fgjns6cks3jl4whs1ip10k80b-dep-dev\"),(\"name\",\"dep\"),(\"out\",\"/gnu/store/pcaax80b227qaj8yx85yqbf7j9ww9gi4-dep\"),(\"outputs\",\"out dev\"),(\"system\",\"x86_64-linux\")])";
    static final String DEP_MASKED_MODULO = "Derive([(\"dev\",\"\",\"\",\"\"),(\"out\",\"\",\"\",\"\")],[(\"3763c0cc73c63866b4564ad04af7d6617214a892f5e60ea0366adbd0a0f91dc4\",[\"out\"]),(\"ea4eedeafb807c452f9d20bc1d4e9274526ca40c1e8037b23fb8985ebd01017f\",[\"out\"])],[\"/gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt\"],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /gnu/store/0n46z86wircz39m8x04qqlfpvyz7appf-fixed.txt /gnu/store/mai503rgk7jq72577x5iwgyc5izfvp9i-hello.txt > $out; echo /gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello > $dev\"],[(\"builder\",\"/bin/sh\"),(\"dev\",\"\"),(\"name\",\"dep\"),(\"out\",\"\"),(\"outputs\",\"out dev\"),(\"system\",\"x86_64-linux\")])";
    static final String DEP_DRV = "/gnu/store/df2i31zzxnchy8lbbna9a8595zcavxva-dep.drv";

    static final String ESCAPES = "Derive([(\"out\",\"/gnu/store/dknjdm3fgv31vbak8x42j21l1jns4vbf-escapes\",\"\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"printf '\\\"q\\\" \\\\\\\\ \\t tab\\\\n' > $out\\n\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"escapes\"),(\"out\",\"/gnu/store/dknjdm3fgv31vbak8x42j21l1jns4vbf-escapes\"),(\"system\",\"x86_64-linux\")])";
    static final String ESCAPES_DRV = "/gnu/store/g5hri1lr1y8xnrlv11i52q8nayfycg9l-escapes.drv";

    private DerivationVectors() {}
}
