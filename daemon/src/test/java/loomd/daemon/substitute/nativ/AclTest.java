package loomd.daemon.substitute.nativ;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Narinfo signatures as Guix makes them, checked against a real narinfo published by
 * berlin.guixsd.org (signed with the build farm's key, the one Guix systems authorize by default):
 * ECDSA on Ed25519 in libgcrypt's s-expressions, then every way upstream's {@code signature-case}
 * rejects one.
 */
class AclTest {
    static final String BERLIN_KEY = "(public-key \n (ecc \n  (curve Ed25519)\n"
            + "  (q #8D156F295D24B0D9A86FA5741A840FF2D24F60F7B6C4134814AD55625971B394#)\n  )\n )";
    static final String ACL = "(acl \n (entry \n  " + BERLIN_KEY + "\n  (tag \n   (guix import)\n   )\n  )\n )\n";
    static final String OTHER_ACL = "(acl (entry (public-key (ecc (curve Ed25519) "
            + "(q #7D602902D3A2DBB83F8A0FB98602A754C5493B0B778C8D1DD4E0F41DE14DE34F#))) (tag (guix import))))";
    static final String SIGNED = """
            StorePath: /gnu/store/8kib1cirdv0qbmn9hdkjzjfx3n5nw1yw-sed-4.4
            URL: nar/gzip/8kib1cirdv0qbmn9hdkjzjfx3n5nw1yw-sed-4.4
            Compression: gzip
            NarHash: sha256:18v7dgny1xna7f53mbkj8bk4y2f00l5rjk2k6hj166kjv964lz7r
            NarSize: 637360
            References: 3x53yv4v144c9xp02rs64z7j597kkqax-gcc-5.4.0-lib 8kib1cirdv0qbmn9hdkjzjfx3n5nw1yw-sed-4.4 \
            n6nvxlk2j8ysffjh3jphn1k5silnakh6-glibc-2.25
            FileSize: 218663
            System: x86_64-linux
            Deriver: pi8686q63rwr4md90vm3qxwhk2g2fvqa-sed-4.4.drv
            """;
    static final String SIGNATURE = "Signature: 1;berlin.guixsd.org;KHNpZ25hdHVyZSAKIChkYXRhIAogIChmbGFncyByZmM2OTc5KQogIChoYXNoIHNoYTI1NiAjQTRDRjUyMTVGNzlBOEUxRkFBNjIyOEQwQjk0QjMyMTZCRkY1RjA1NkQxMzZENUEzNTFGM0I2OTYzQzc1MzQzMiMpCiAgKQogKHNpZy12YWwgCiAgKGVjZHNhIAogICAociAjMDFDM0NGMEIzRUMwNkIwRUNGMTJEMTU4MkNCMzA2RjkzMEU2Njc1NDNFOEQ2NkZCRjhDRUY4QkQwMkMzOTg1NCMpCiAgIChzICMwRTg2MUEyRjI3MDg2MjVBRDkzMDg5RjFFRjE4NzUwQjIzQjM0RTA5MkFFRkQ3RTlFNkZCMjlCMkMwMURFNjI5IykKICAgKQogICkKIChwdWJsaWMta2V5IAogIChlY2MgCiAgIChjdXJ2ZSBFZDI1NTE5KQogICAocSAjOEQxNTZGMjk1RDI0QjBEOUE4NkZBNTc0MUE4NDBGRjJEMjRGNjBGN0I2QzQxMzQ4MTRBRDU1NjI1OTcxQjM5NCMpCiAgICkKICApCiApCg==\n";

    static Narinfo narinfo(String text) throws Narinfo.Invalid {
        return Narinfo.parse("https://berlin.guixsd.org", text);
    }

    @Test
    void aRealBuildFarmSignatureIsValid() throws Exception {
        Narinfo n = narinfo(SIGNED + SIGNATURE);
        assertEquals(Acl.Verdict.VALID, Acl.parse(ACL).verify(n));
        assertEquals("https://berlin.guixsd.org/nar/gzip/8kib1cirdv0qbmn9hdkjzjfx3n5nw1yw-sed-4.4", n.narUri().toString());
        assertEquals(3, n.references().size());
        assertEquals(637360, n.narSize());
        // Fields after the signature are not covered by it: upstream accepts them as they are.
        assertEquals(Acl.Verdict.VALID, Acl.parse(ACL).verify(narinfo(SIGNED + SIGNATURE + "URL: nar/zstd/x\n")));
    }

    @Test
    void upstreamsRejectionsInItsOrder() throws Exception {
        assertEquals(Acl.Verdict.UNAUTHORIZED, Acl.parse(OTHER_ACL).verify(narinfo(SIGNED + SIGNATURE)));
        assertEquals(Acl.Verdict.UNAUTHORIZED, Acl.parse("(acl)").verify(narinfo(SIGNED + SIGNATURE)));
        assertEquals(Acl.Verdict.HASH_MISMATCH, Acl.parse(ACL).verify(
                narinfo(SIGNED.replace("NarSize: 637360", "NarSize: 637361") + SIGNATURE)));
        assertEquals(Acl.Verdict.UNSIGNED, Acl.parse(ACL).verify(narinfo(SIGNED)));
        assertEquals(Acl.Verdict.UNSIGNED, Acl.parse(ACL).verify(
                narinfo(SIGNED.replace("References:", "Refs:") + SIGNATURE)), "References must be signed");
        assertEquals(Acl.Verdict.CORRUPT, Acl.parse(ACL).verify(narinfo(SIGNED + "Signature: 1;x;KGJyb2tlbg==\n")));
        assertEquals(Acl.Verdict.CORRUPT, Acl.parse(ACL).verify(narinfo(SIGNED + "Signature: 2;x;AAAA\n")));
        String forgedS = SIGNATURE.replace("KHNpZy12YWwgCiAgKGVjZHNhIAogICAociAjMDFD", "KHNpZy12YWwgCiAgKGVjZHNhIAogICAociAjMDFE");
        assertEquals(Acl.Verdict.INVALID, Acl.parse(ACL).verify(narinfo(SIGNED + forgedS)));
    }

    @Test
    void aclAndNarinfoSyntax() {
        assertEquals(1, Acl.parse(ACL).size());
        assertEquals(1, Acl.parse("(3:acl(5:entry(10:public-key(3:ecc(5:curve7:Ed25519)(1:q1:x)))(3:tag(4:guix6:import))))").size());
        assertThrows(Sexp.Malformed.class, () -> Acl.parse("(acl (entry (public-key) (tag (guix export))))"));
        assertThrows(Sexp.Malformed.class, () -> Acl.parse("(acl"));
        assertThrows(Narinfo.Invalid.class, () -> narinfo("StorePath: /gnu/store/x\nURL: ../y\nNarHash: sha256:0\n"));
        assertThrows(Narinfo.Invalid.class, () -> narinfo("StorePath: /gnu/store/x\nURL: a/../../y\nNarHash: sha256:0\n"));
        assertThrows(Narinfo.Invalid.class, () -> narinfo("URL: y\nNarHash: sha256:0\n"));
        assertThrows(Narinfo.Invalid.class, () -> narinfo("StorePath: /gnu/store/x\nURL: y\nNarHash: h\nNarSize: -1\n"));
    }
}
