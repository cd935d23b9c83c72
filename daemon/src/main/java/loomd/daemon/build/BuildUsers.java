package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.StoreException;
import loomd.daemon.store.roots.FileLocker;

/**
 * The build users of {@code --build-users-group} (daemon.md §4.5): a slot is the exclusive lock of
 * {@code V/userpool/<uid>} taken through the locker, so it excludes other loomd builds and upstream's
 * daemon on the same state directory alike. Unlike upstream (§9.24), a build that finds every member
 * busy waits for one: a slot released here wakes it at once; one released by another process is seen
 * at the next look ({@link #RETRY}). Thread-safe; waiting parks a virtual thread, never a carrier.
 *
 * <p>The group and its members are looked up at every acquisition (as upstream does), in the files
 * {@code /etc/group} and {@code /etc/passwd} ({@link UserDatabase}).
 */
final class BuildUsers {
    /** How often a waiting build looks again for a slot freed by another process. */
    static final long RETRY = TimeUnit.MILLISECONDS.toNanos(250);

    private final String group;
    private final Path userPool;
    private final FileLocker locker;
    private final UserDatabase users;
    private final int daemonUid;
    private final ReentrantLock mutex = new ReentrantLock();
    private final Condition released = mutex.newCondition();

    /**
     * Whom one build runs as, for as long as it runs: a build user of {@code services} (every process
     * of its uid killed before the build and again at {@link Lease#close}, then its slot freed), or the
     * guest ids of a user namespace when there are no build users. {@code waiting} runs if the build
     * has to wait for a free build user.
     */
    static Lease lease(BuildServices services, Runnable waiting) throws IOException, InterruptedException {
        Optional<BuildUsers> pool = services.buildUsers();
        if (pool.isEmpty()) {
            BuildIdentity guest = BuildIdentity.Guest.ofThisProcess();
            return new Lease(guest, () -> { });
        }
        Slot slot = pool.get().acquire(waiting);
        BuildIdentity.BuildUser user = slot.user();
        try {
            services.killer.killAll(user.uid(), user.gid());
        } catch (IOException | InterruptedException | RuntimeException e) {
            slot.close();
            throw e;
        }
        return new Lease(user, () -> {
            try {
                services.killer.killAll(user.uid(), user.gid());
            } finally {
                slot.close();
            }
        });
    }

    /** What {@link #lease} gives; closing it ends the build's use of the identity. */
    record Lease(BuildIdentity identity, Release release) implements AutoCloseable {
        @Override
        public void close() throws IOException, InterruptedException {
            release.run();
        }
    }

    @FunctionalInterface
    interface Release {
        void run() throws IOException, InterruptedException;
    }

    /** One build user held by one build; {@link #close} gives it back. */
    final class Slot implements AutoCloseable {
        private final BuildIdentity.BuildUser user;
        private final FileLocker.Owner owner;
        private boolean closed;

        private Slot(BuildIdentity.BuildUser user, FileLocker.Owner owner) {
            this.user = user;
            this.owner = owner;
        }

        BuildIdentity.BuildUser user() {
            return user;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            owner.close();
            mutex.lock();
            try {
                released.signalAll();
            } finally {
                mutex.unlock();
            }
        }
    }

    BuildUsers(String group, Path stateDir, FileLocker locker, UserDatabase users, int daemonUid) {
        this.group = group;
        this.userPool = stateDir.resolve("userpool");
        this.locker = locker;
        this.users = users;
        this.daemonUid = daemonUid;
    }

    String group() {
        return group;
    }

    /**
     * A free build user, waiting (parked) while all are busy; {@code waiting} runs once, the first
     * time the build has to wait. Errors of the group's definition are upstream's texts.
     */
    Slot acquire(Runnable waiting) throws InterruptedException, IOException {
        boolean told = false;
        while (true) {
            Optional<Slot> slot = tryAcquire();
            if (slot.isPresent()) {
                return slot.get();
            }
            if (!told) {
                told = true;
                waiting.run();
            }
            mutex.lock();
            try {
                released.awaitNanos(RETRY);
            } finally {
                mutex.unlock();
            }
        }
    }

    /** The first member whose slot lock is free, in the group file's order (upstream's choice). */
    Optional<Slot> tryAcquire() throws IOException {
        UserDatabase.Group g = users.group(group).orElseThrow(() -> new StoreException(
                "the group `" + group + "' specified in `build-users-group' does not exist"));
        if (g.members().isEmpty()) {
            throw new StoreException("the build users group `" + group + "' has no members");
        }
        Files.createDirectories(userPool);
        for (String member : g.members()) {
            UserDatabase.User u = users.user(member).orElseThrow(() -> new StoreException(
                    "the user `" + member + "' in the group `" + group + "' does not exist"));
            FileLocker.Owner owner = locker.newOwner("build user " + u.uid());
            if (!owner.tryLock(userPool.resolve(Integer.toString(u.uid())), true)) {
                owner.close();
                continue;
            }
            if (u.uid() == daemonUid) {
                owner.close();
                throw new StoreException("the build user should not be a member of `" + group + "'");
            }
            return Optional.of(new Slot(new BuildIdentity.BuildUser(u.uid(), g.gid(), groupsOf(u)), owner));
        }
        return Optional.empty();
    }

    /** {@code getgrouplist}: the user's primary group, then every group naming it as a member (§9.31: no limit). */
    private List<Integer> groupsOf(UserDatabase.User u) throws IOException {
        Set<Integer> gids = new LinkedHashSet<>();
        gids.add(u.gid());
        gids.addAll(users.groupsWithMember(u.name()));
        return new ArrayList<>(gids);
    }
}
