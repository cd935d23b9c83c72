/**
 * The process monitor: one {@link loomd.process.ChildProcess} per child of the daemon, with an exit
 * future, a process-group kill and an output stream, and {@link loomd.process.ProcessMonitor} for
 * wall-clock and silence limits.
 *
 * <p>Threads: exit futures are completed by whoever learns of the exit, the spawner link's reader
 * (a platform thread) or the JDK's process reaper; no thread of ours waits in waitpid. The monitor's
 * one timer thread (platform) only reads clocks and queues kills. Output streams are read by the
 * caller, typically on a virtual thread (pipe reads there park, they do not pin).
 *
 * <p>State: {@code MonitoredProcess} keeps the last-activity time (written by the output reader, read
 * by the timer thread) in an atomic and the fired limit in a compare-and-set reference, so a process is
 * killed for at most one limit and reports that one. No locks.
 */
package loomd.process;
