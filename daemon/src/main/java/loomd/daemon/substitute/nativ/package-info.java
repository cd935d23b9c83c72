/**
 * The daemon's own substituter ({@code --substituter=native}): what {@code guix substitute} does
 * (guix/scripts/substitute.scm, guix/narinfo.scm, guix/pki.scm), inside the JVM.
 *
 * <p>Pieces: {@link loomd.daemon.substitute.nativ.CacheClient} (GETs over {@code file://} and the
 * JDK HttpClient, fair semaphores of {@link loomd.daemon.substitute.nativ.CacheClient#PER_SERVER}
 * per server for NARs and for narinfos apart), {@link loomd.daemon.substitute.nativ.Narinfos} (the bounded Caffeine cache of narinfo
 * answers with upstream's positive, negative and transient TTLs, and of {@code nix-cache-info}),
 * {@link loomd.daemon.substitute.nativ.Acl} with {@link loomd.daemon.substitute.nativ.Sexp} and
 * {@link loomd.daemon.substitute.nativ.EdwardsEcdsa} (upstream's {@code signature-case}; Guix's keys
 * sign with ECDSA on Ed25519), {@link loomd.daemon.substitute.nativ.Decompression},
 * {@link loomd.daemon.substitute.nativ.NarTransfer} (decompress, restore and hash in one pass through
 * {@code store.adds().stageNar}, check, {@code installStaged}) and
 * {@link loomd.daemon.substitute.nativ.TransferWatch}.
 *
 * <p>Threads: everything runs on virtual threads; there is no native call here (zstd-jni aside,
 * which decompresses in memory). Lookups of many paths run one virtual thread per path. A transfer
 * runs on its own virtual thread while the session's thread polls its hang-up probe and time limits
 * every 100 ms; stopping a transfer interrupts it (unless it is already installing, a short local
 * step) and waits for it, so its staged tree is removed before the goal ends.
 *
 * <p>Crash safety: a NAR is restored under a temporary name the store's own roots protect, and only
 * {@code installStaged} (canonicalise, rename under the path lock, register in one transaction) makes
 * it a path; a kill before that leaves garbage for the start-up check and the collector, never a
 * registered path without contents. A repair ({@code replaceStaged}) swaps the checked tree with the
 * damaged valid one in one {@code renameat2(RENAME_EXCHANGE)} under the path lock, then updates the
 * row: at every moment the path holds a whole tree, the damaged one or the new one.
 */
package loomd.daemon.substitute.nativ;
