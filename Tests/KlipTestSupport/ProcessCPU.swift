import Foundation

/// This process's CPU time so far, as benchmarks report it (a figure, never an assertion).
public enum ProcessCPU {
    /// User and kernel seconds; the kernel's share tells copies and syscalls from the
    /// process's own work.
    public static func userAndSystem() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
    }

    public static func seconds() -> Double {
        let (user, system) = userAndSystem()
        return user + system
    }
}
