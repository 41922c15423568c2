/// A lab step that did not go as the test needs; the message says what was run and what
/// came back, so a failure report is readable without re-running the suite.
struct LabError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
