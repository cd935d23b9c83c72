package loomd.daemon.build;

import java.util.List;

/** glibc's {@code strsignal} texts for Linux signal numbers, as upstream prints them in build failures. */
final class Signals {
    private static final List<String> NAMES = List.of(
            "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted", "Bus error",
            "Floating point exception", "Killed", "User defined signal 1", "Segmentation fault",
            "User defined signal 2", "Broken pipe", "Alarm clock", "Terminated", "Stack fault", "Child exited",
            "Continued", "Stopped (signal)", "Stopped", "Stopped (tty input)", "Stopped (tty output)",
            "Urgent I/O condition", "CPU time limit exceeded", "File size limit exceeded", "Virtual timer expired",
            "Profiling timer expired", "Window changed", "I/O possible", "Power failure", "Bad system call");

    private Signals() {}

    static String describe(int signal) {
        if (signal >= 1 && signal <= NAMES.size()) {
            return NAMES.get(signal - 1);
        }
        if (signal >= 34 && signal <= 64) {
            return "Real-time signal " + (signal - 34);
        }
        return "Unknown signal " + signal;
    }
}
