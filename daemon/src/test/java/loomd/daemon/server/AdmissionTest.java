package loomd.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import loomd.daemon.server.Admission.Verdict;

/** The per-account accounting, with made-up uids. */
class AdmissionTest {
    static final int NOBODY = 65534;
    static final int ALICE = 1000;
    static final int BOB = 1001;

    static Admission admission(int max, int perUser, int rootReserved) {
        return new Admission(new ConnectionLimits(max, perUser, rootReserved, Duration.ZERO, Duration.ZERO));
    }

    static void admitTimes(Admission a, int account, int times) {
        for (int i = 0; i < times; i++) {
            assertEquals(Verdict.ADMITTED, a.admit(account), "connection " + i + " of " + account);
        }
    }

    @Test
    void aUserOverItsShareIsRefusedWhileOthersAndRootAreAdmitted() {
        Admission a = admission(10, 3, 2);
        admitTimes(a, NOBODY, 3);
        assertEquals(Verdict.USER_FULL, a.admit(NOBODY));
        assertEquals(Verdict.USER_FULL, a.admit(NOBODY));
        assertEquals(Verdict.ADMITTED, a.admit(ALICE));
        assertEquals(Verdict.ADMITTED, a.admit(Admission.ROOT));
        assertEquals(5, a.total());
        assertEquals(3, a.heldBy(NOBODY));
        a.release(NOBODY);
        assertEquals(Verdict.ADMITTED, a.admit(NOBODY), "a released slot is the user's again");
    }

    @Test
    void rootKeepsItsReserveAndHasNoShare() {
        Admission a = admission(6, 3, 2);
        admitTimes(a, NOBODY, 2);
        admitTimes(a, ALICE, 2);
        assertEquals(Verdict.SERVER_FULL, a.admit(BOB), "4 = 6 - 2 slots for users other than root");
        admitTimes(a, Admission.ROOT, 2);
        assertEquals(Verdict.SERVER_FULL, a.admit(Admission.ROOT), "root too stops at the limit");
        a.release(ALICE);
        admitTimes(a, Admission.ROOT, 1);
        assertEquals(Verdict.SERVER_FULL, a.admit(BOB), "root's own slots outside the reserve still count");
        a.release(Admission.ROOT);
        a.release(Admission.ROOT);
        admitTimes(a, BOB, 1);
    }

    @Test
    void rootBeyondItsReserveUsesSharedSlots() {
        Admission a = admission(4, 4, 1);
        admitTimes(a, Admission.ROOT, 3);
        admitTimes(a, ALICE, 1);
        assertEquals(Verdict.SERVER_FULL, a.admit(ALICE));
        assertEquals(Verdict.SERVER_FULL, a.admit(Admission.ROOT));
    }

    @Test
    void allRemotePeersShareOneAccount() {
        Admission a = admission(10, 2, 0);
        admitTimes(a, Admission.REMOTE, 2);
        assertEquals(Verdict.USER_FULL, a.admit(Admission.REMOTE));
        admitTimes(a, ALICE, 2);
    }

    @Test
    void releasingWhatWasNotAdmittedIsABug() {
        Admission a = admission(10, 2, 0);
        assertThrows(IllegalStateException.class, () -> a.release(ALICE));
        admitTimes(a, ALICE, 1);
        a.release(ALICE);
        assertEquals(0, a.total());
        assertEquals(0, a.heldBy(ALICE));
    }

    @Test
    void limitsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> new ConnectionLimits(4, 1, 4, Duration.ZERO, Duration.ZERO), "nobody but root could connect");
        assertThrows(IllegalArgumentException.class,
                () -> new ConnectionLimits(4, 0, 0, Duration.ZERO, Duration.ZERO));
        ConnectionLimits d = ConnectionLimits.of(ConnectionLimits.DEFAULT_MAX);
        assertEquals(1024, d.perUser());
        assertEquals(64, d.rootReserved());
        assertEquals(Duration.ofSeconds(60), d.handshakeTimeout());
        assertEquals(Duration.ZERO, d.firstOpTimeout());
        ConnectionLimits small = ConnectionLimits.of(2);
        assertEquals(1, small.perUser());
        assertEquals(0, small.rootReserved());
    }
}
