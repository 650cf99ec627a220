/// A JUnit XML report (the schema CI systems read: one testsuite, testcases
/// that pass, fail or are skipped), shared by `replay --junit` and
/// `serve --exec --junit` so both write the same dialect.
public struct JUnitXML: Sendable {
    public struct TestCase: Sendable {
        public enum Outcome: Sendable {
            case passed
            /// `message` is the first line; `text` the full explanation.
            case failed(message: String, text: String)
            case skipped(message: String)
        }

        public var classname: String
        public var name: String
        public var seconds: Double
        public var outcome: Outcome

        public init(classname: String, name: String, seconds: Double = 0, outcome: Outcome) {
            self.classname = classname
            self.name = name
            self.seconds = seconds
            self.outcome = outcome
        }
    }

    public var suite: String
    public var testcases: [TestCase]

    public init(suite: String, testcases: [TestCase]) {
        self.suite = suite
        self.testcases = testcases
    }

    public func render() -> String {
        let e = MarkupText.escape
        var failures = 0
        var skipped = 0
        for t in testcases {
            switch t.outcome {
            case .passed: break
            case .failed: failures += 1
            case .skipped: skipped += 1
            }
        }
        let total = formatFixed(testcases.reduce(0) { $0 + $1.seconds }, decimals: 3)
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites tests=\"\(testcases.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\" time=\"\(total)\">\n"
        x += "  <testsuite name=\"\(e(suite))\" tests=\"\(testcases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(total)\">\n"
        for t in testcases {
            let open = "    <testcase classname=\"\(e(t.classname))\" name=\"\(e(t.name))\" time=\"\(formatFixed(t.seconds, decimals: 3))\""
            switch t.outcome {
            case .passed:
                x += open + "/>\n"
            case .failed(let message, let text):
                x += open + ">\n      <failure message=\"\(e(message))\">\(e(text))</failure>\n    </testcase>\n"
            case .skipped(let message):
                x += open + ">\n      <skipped message=\"\(e(message))\"/>\n    </testcase>\n"
            }
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}
