package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

import loomd.daemon.store.db.Registration;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.store.StoreDir;

/**
 * Making paths valid ({@code store.adds()}): the two add operations, which compute their own
 * destination, and the registration of paths whose contents are already in place (builds,
 * substitutes). Thread-safe; the locks each takes are in the package documentation's lock table.
 */
public final class PathAdds {
    private final StoreDir storeDir;
    private final PathAdder adder;
    private final Registrar registrar;
    private final StoreMaintenance maintenance;
    private final StoreConfig config;

    PathAdds(StoreDir storeDir, PathAdder adder, Registrar registrar, StoreMaintenance maintenance, StoreConfig config) {
        this.storeDir = storeDir;
        this.maintenance = maintenance;
        this.config = config;
        this.adder = adder;
        this.registrar = registrar;
    }

    /**
     * Reads the inline NAR of {@code wopAddToStore} from {@code raw} (exactly its bytes), restoring
     * it under a temporary name in the store while hashing it. A malformed NAR throws (the
     * restorer's exception) and leaves nothing behind. Close the result if it is not added.
     */
    public StagedNar stageNar(InputStream raw) throws IOException {
        return adder.stage(raw);
    }

    /**
     * As {@link #stageNar(InputStream)}, with the request's fields, so that the digest the
     * destination needs is computed in the same pass (flat adds: the file's contents; recursive
     * adds with an algorithm other than sha256: the NAR in that algorithm). An unknown
     * {@code algo} is not an error here: {@link #addStaged} reports it in the work phase.
     */
    public StagedNar stageNar(InputStream raw, boolean recursive, String algo) throws IOException {
        return adder.stage(raw, recursive, HashAlgorithm.fromName(algo));
    }

    /** The work phase of {@code wopAddToStore}; consumes (closes) {@code staged}. */
    public String addStaged(String name, boolean recursive, HashAlgorithm algo, StagedNar staged,
                            SessionRoots roots) {
        try {
            return adder.addStaged(name, recursive, algo, staged, roots);
        } catch (IOException e) {
            throw new StoreException("adding `" + name + "' to the store: " + e.getMessage());
        }
    }

    /**
     * Installs {@code staged} as {@code registration.path()} (the native substituter): as an add, the
     * tree is canonicalised, renamed under the path's lock and registered in one transaction, so a
     * kill leaves either nothing or a complete valid item. A path valid already (another session's
     * substitution won) is left alone and the staged copy dropped. Consumes (closes) {@code staged}.
     */
    public void installStaged(StagedNar staged, Registration registration) throws IOException {
        StrictPaths.check(storeDir, registration.path());
        try (staged) {
            adder.install(List.of(new PathAdder.Install(staged.tempName(), registration, staged.restored().linkKeys())));
        }
    }

    /**
     * Repairs the valid {@code registration.path()} with {@code staged} (a repairing substitution):
     * under the path's lock the staged tree, canonical and deduplicated, swaps places with the damaged
     * one in one rename and the row takes the new hash and size; the damaged tree goes with
     * {@code staged}. Consumes (closes) {@code staged}.
     */
    public void replaceStaged(StagedNar staged, Registration registration) throws IOException {
        StrictPaths.check(storeDir, registration.path());
        try (staged) {
            adder.replace(new PathAdder.Install(staged.tempName(), registration, staged.restored().linkKeys()));
        }
    }

    /**
     * Repair by a tree another program wrote ({@code guix substitute} at {@code fresh}, the path's
     * sibling in the store): the same locked, synced swap as {@link #replaceStaged}, a directory
     * included. Afterwards the damaged tree is at {@code fresh}, for the caller to delete.
     */
    public void replaceWith(Path fresh, Registration registration) throws IOException {
        StrictPaths.check(storeDir, registration.path());
        if (!fresh.getParent().equals(config.physicalStore())) {
            throw new IllegalArgumentException("not in the store directory: " + fresh);
        }
        adder.replace(new PathAdder.Install(fresh.getFileName().toString(), registration));
    }

    /** {@code wopAddTextToStore}, including the {@code .drv} checks and DerivationOutputs rows. */
    public String addTextToStore(String name, byte[] text, SortedSet<String> refs, SessionRoots roots) {
        try {
            return adder.addText(name, text, refs, roots);
        } catch (IOException e) {
            throw new StoreException("adding `" + name + "' to the store: " + e.getMessage());
        }
    }

    /**
     * Registers {@code batch} as valid in ONE database transaction (upstream's
     * {@code registerValidPaths}): each path checked strictly first, its row inserted (or its hash
     * and size updated if already valid), its references added (each valid already or in the batch),
     * no reference cycle within the batch; a {@code .drv} gets its {@code DerivationOutputs} rows
     * from the file (whatever {@link Registration#derivationOutputs} says) and its output check.
     * All or nothing. The contents must already be in place and canonical (the flusher makes them
     * durable with the rows; in strict mode this returns after that), and the caller must hold the
     * paths' locks ({@code <item>.lock}, e.g. a build's output locks) so that no add replaces them
     * meanwhile; this takes no lock itself. Each path is deduplicated first (automatic
     * deduplication, daemon.md §8.1), which leaves its NAR unchanged.
     */
    public void registerValidPaths(List<Registration> batch) {
        registerValidPaths(batch, Map.of());
    }

    /**
     * As {@link #registerValidPaths(List)}, with the {@code .links} keys of the paths' large files
     * computed while they were scanned ({@code linkKeys}, by path; a path without keys is read to
     * deduplicate it), so that a build output is not read a second time (daemon.md §9.6).
     */
    public void registerValidPaths(List<Registration> batch, Map<String, FileHashes> linkKeys) {
        for (Registration r : batch) StrictPaths.check(storeDir, r.path());
        for (Registration r : batch) maintenance.deduplicateNew(config.physical(r.path()), linkKeys.get(r.path()));
        if (!batch.isEmpty()) adder.settle(registrar.register(batch));
    }
}
