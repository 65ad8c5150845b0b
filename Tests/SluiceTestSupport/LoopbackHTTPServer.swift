// A loopback HTTP server the test itself starts and stops: Tests/python/fault_http_server.py
// (Python's http.server, with Range support and fault injection), serving one folder. No network
// beyond 127.0.0.1 is used.
import Foundation

/// A running `fault_http_server.py`; stopped when released.
public final class LoopbackHTTPServer {
    public let port: Int
    private let process: Process
    /// The server's request log (a file: a pipe nobody reads could fill and stall the server).
    private let logPath: String

    /// The URL of `name` under the served folder.
    public func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }
    public var baseURL: String { "http://127.0.0.1:\(port)/" }

    /// Serves `root`; `faults` maps a file name to its faults (see the script's header).
    public init(root: String, faults: [String: [String: Any]] = [:]) throws {
        let python = (try? TestSupport.python()) ?? "/usr/bin/python3"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        let faultsJSON = String(decoding: try JSONSerialization.data(withJSONObject: faults), as: UTF8.self)
        p.arguments = [TestSupport.packageRoot + "/Tests/python/fault_http_server.py", root, "--faults", faultsJSON]
        let out = Pipe()
        logPath = NSTemporaryDirectory() + "sluice-http-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: logPath)
        try p.run()
        process = p
        // The first line of stdout is the port.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0a]) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw TestSupportError("the loopback HTTP server did not start (\(python))")
        }
        self.port = port
    }

    /// Stops the server and returns its request log (one line per request).
    @discardableResult
    public func stop() -> String {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)  // the server holds no state worth a clean exit
            process.waitUntilExit()
        }
        return requestLog
    }

    /// The requests served so far, one line each: `GET /name range=… status=… sent=…`.
    public var requestLog: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
