import Testing

extension Lab {
    /// Throws, naming them, if daemons exited without being asked to (a crash, a fatal error).
    func requireDaemonsAlive() throws {
        let dead = deadDaemons()
        guard dead.isEmpty else { throw LabError(dead.joined(separator: "; ") + " unexpectedly") }
    }

    /// "b's daemon killed by signal 4" for each daemon that exited without being asked to.
    func deadDaemons() -> [String] {
        nodes.compactMap { node in
            node.daemon.flatMap { $0.isRunning || $0.stopRequested ? nil : "\(node.name)'s daemon \($0.state)" }
        }
    }

    /// Prints why the test failed and the log of every process the lab started, to the
    /// test's output.
    func printLogs(because error: any Error) {
        // A failed #require has already been reported, with its expression, by the test library.
        var reason = error is ExpectationFailedError ? "a required expectation failed" : "\(error)"
        // A daemon that died is the likeliest cause of a timeout elsewhere: say so up front.
        let dead = deadDaemons()
        if !dead.isEmpty && !reason.contains(dead[0]) { reason += "\n  meanwhile: " + dead.joined(separator: "; ") }
        var text = "=== lab \(id) failed: \(reason)\n"
        for process in processes {
            text += "--- \(process.name) (\(process.state)): \(process.arguments.joined(separator: " "))\n"
            text += process.log
            if !text.hasSuffix("\n") { text += "\n" }
        }
        text += "=== end of lab \(id) logs\n"
        print(text, terminator: "")
    }
}
