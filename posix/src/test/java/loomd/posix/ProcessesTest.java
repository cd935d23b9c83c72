package loomd.posix;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessesTest {
    @Test
    void identityMatchesTheJdk() throws Exception {
        assertEquals(ProcessHandle.current().pid(), Processes.getpid());
        String uid = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim();
        assertEquals(Integer.parseInt(uid), Processes.getuid());
        assertEquals(Integer.parseInt(uid), Processes.geteuid());
    }

    @Test
    void killSignalsAChildAndReportsMissingProcesses() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        int pid = (int) child.pid();
        Processes.kill(pid, 0);
        Processes.kill(pid, Processes.SIGKILL);
        assertTrue(child.waitFor(5, TimeUnit.SECONDS));
        assertEquals(128 + Processes.SIGKILL, child.exitValue());
        PosixException e = assertThrows(PosixException.class, () -> Processes.kill(pid, 0));
        assertEquals(Errno.ESRCH, e.errno());
    }
}
