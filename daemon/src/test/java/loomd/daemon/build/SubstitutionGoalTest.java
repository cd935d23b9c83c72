package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.TestStores;

/** Substitution goals over a real store: valid paths need nothing, others go to the installed substituters. */
class SubstitutionGoalTest {
    static final String MISSING = "/gnu/store/00000000000000000000000000000000-missing";

    @TempDir
    Path dir;
    LocalStore store;

    @BeforeEach
    void open() throws Exception {
        store = TestStores.open(TestStores.config(dir));
    }

    @AfterEach
    void close() {
        BuildServices.of(store).ifPresent(BuildServices::close);
        store.close();
    }

    GoalStatus run(Optional<BuildServices> services, String path, boolean repair) throws Exception {
        return SubstitutionGoal.start(store, services, path, repair, BuildEvents.NONE).get(10, TimeUnit.SECONDS);
    }

    @Test
    void withoutSubstitutersAnInvalidPathEndsNoSubstituters() throws Exception {
        assertEquals(GoalStatus.NO_SUBSTITUTERS, run(Optional.empty(), MISSING, false));
        BuildServices services = BuildServices.attach(store, null, null, null, Map.of(), m -> { });
        assertEquals(GoalStatus.NO_SUBSTITUTERS, run(Optional.of(services), MISSING, false));
        assertEquals(1, SubstitutionGoal.exitStatus(GoalStatus.NO_SUBSTITUTERS));
        assertEquals(100, SubstitutionGoal.exitStatus(GoalStatus.PERMANENT_FAILURE));
        assertEquals(101, SubstitutionGoal.exitStatus(GoalStatus.TIMED_OUT));
    }

    @Test
    void installedSubstitutersAreAskedForWhatIsInvalidOnly() throws Exception {
        String valid;
        try (var roots = store.roots().openSessionRoots()) {
            valid = store.adds().addTextToStore("here.txt", "here\n".getBytes(), new java.util.TreeSet<>(), roots);
        }
        BuildServices services = BuildServices.attach(store, null, null, null, Map.of(), m -> { });
        List<String> asked = new CopyOnWriteArrayList<>();
        services.useSubstitutions((path, repair, events) -> {
            asked.add(path + (repair ? " repair" : ""));
            return GoalStatus.SUBSTITUTED;
        });
        assertEquals(GoalStatus.ALREADY_VALID, run(Optional.of(services), valid, false));
        assertEquals(GoalStatus.SUBSTITUTED, run(Optional.of(services), MISSING, false));
        assertEquals(GoalStatus.SUBSTITUTED, run(Optional.of(services), valid, true));
        assertEquals(List.of(MISSING, valid + " repair"), asked);
    }
}
