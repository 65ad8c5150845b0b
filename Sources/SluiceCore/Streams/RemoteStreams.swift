// Remote inputs: `https://`, `http://` and `s3://bucket/key` (mapped to an HTTPS endpoint) read as
// byte streams through libcurl, with timeouts, retries with backoff and resumption by HTTP Range.
// The only file that sees CCurl. It does not decompress: `FileInput` hands these bytes to the
// gzip/zstd/bzip2 decoders exactly as it hands them a local file's.
internal import CCurl
import Foundation
import Synchronization

extension SluiceError.Code {
    /// A remote input the server does not have (HTTP 404 or 410): `input.on_missing: skip` counts it.
    public static let missingInput = SluiceError.Code("missing input")
}

// MARK: - Locations and settings

/// Which input paths are remote, and the HTTP(S) URL each is fetched from.
public enum RemoteLocation {
    /// Whether `path` is an `http://`, `https://` or `s3://` location rather than a local path.
    public static func isRemote(_ path: String) -> Bool {
        path.hasPrefix("https://") || path.hasPrefix("http://") || path.hasPrefix("s3://")
    }

    /// The URL to fetch: http(s) URLs as they are; `s3://bucket/key` as
    /// `https://bucket.s3.amazonaws.com/key`, or `ENDPOINT/bucket/key` (path style) when an
    /// endpoint is set (`--s3-endpoint`, `SLUICE_S3_ENDPOINT`). Requests are anonymous.
    /// - Throws: `SluiceError(.config)` for an `s3://` location without a bucket or key.
    public static func httpURL(for path: String, s3Endpoint: String? = RemoteSettings.current.s3Endpoint) throws
        -> String
    {
        guard path.hasPrefix("s3://") else { return path }
        let rest = path.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex
        else {
            throw SluiceError(.config, "an s3 location is s3://bucket/key", file: path)
        }
        let bucket = rest[..<slash]
        let key = rest[rest.index(after: slash)...]
        if let e = s3Endpoint, !e.isEmpty {
            return (e.hasSuffix("/") ? String(e.dropLast()) : e) + "/\(bucket)/\(key)"
        }
        return "https://\(bucket).s3.amazonaws.com/\(key)"
    }
}

/// How remote inputs are fetched. Read from the environment when a stream opens, so that
/// `--s3-endpoint` and the `SLUICE_HTTP_*` variables reach every task of a run.
public struct RemoteSettings: Sendable {
    /// Seconds to wait for a TCP/TLS connection (`SLUICE_HTTP_CONNECT_TIMEOUT`).
    public var connectTimeout = 30.0
    /// Seconds without a byte, while the reader waits for one, before the connection is
    /// dropped and resumed (`SLUICE_HTTP_READ_TIMEOUT`).
    public var readTimeout = 60.0
    /// Failed attempts in a row (no byte gained between them) before the file is given up
    /// (`SLUICE_HTTP_RETRIES`).
    public var retries = 8
    /// The first backoff in seconds, doubled after each failure up to `maxBackoff` (`SLUICE_HTTP_BACKOFF`).
    public var backoff = 1.0
    public var maxBackoff = 30.0
    /// The endpoint `s3://` locations map to (`SLUICE_S3_ENDPOINT`), path style.
    public var s3Endpoint: String?

    public init() {}

    /// The settings from the environment, defaults elsewhere.
    public static var current: RemoteSettings {
        let env = ProcessInfo.processInfo.environment
        var s = RemoteSettings()
        if let v = env["SLUICE_HTTP_CONNECT_TIMEOUT"].flatMap(Double.init), v > 0 { s.connectTimeout = v }
        if let v = env["SLUICE_HTTP_READ_TIMEOUT"].flatMap(Double.init), v > 0 { s.readTimeout = v }
        if let v = env["SLUICE_HTTP_RETRIES"].flatMap(Int.init), v >= 0 { s.retries = v }
        if let v = env["SLUICE_HTTP_BACKOFF"].flatMap(Double.init), v >= 0 { s.backoff = v }
        if let v = env["SLUICE_S3_ENDPOINT"], !v.isEmpty { s.s3Endpoint = v }
        return s
    }
}

// MARK: - Transfer accounting

/// What fetching one remote input cost: bytes, retries, resumptions, time.
public struct RemoteTransferStats: Sendable, Equatable {
    /// Bytes received (including bytes re-sent by a server that ignored Range and skipped).
    public var bytes = 0
    /// Bytes of the file read: the offset the stream reached.
    public var fileBytes = 0
    /// Failed attempts that were retried.
    public var retries = 0
    /// Requests that resumed from a byte offset (Range), and those the server answered whole.
    public var resumes = 0
    public var rangeIgnored = 0
    /// Seconds between the first request and the end of the stream.
    public var seconds = 0.0
    public init() {}
}

/// Process-wide download figures: live totals for the progress line, and each finished
/// stream's figures until the task that read it takes them for its stats.
public enum RemoteTransfers {
    static let receivedBytes = Atomic<Int>(0)
    static let retryCount = Atomic<Int>(0)
    private static let finished = Mutex<[String: RemoteTransferStats]>([:])

    /// Bytes received from remote inputs by this process so far.
    public static var totalBytes: Int { receivedBytes.load(ordering: .relaxed) }
    /// Retried attempts by this process so far.
    public static var totalRetries: Int { retryCount.load(ordering: .relaxed) }

    static func record(_ path: String, _ stats: RemoteTransferStats) {
        finished.withLock { $0[path, default: RemoteTransferStats()].merge(stats) }
    }

    /// The figures of the streams of `path` that ended since the last call, if any.
    public static func take(_ path: String) -> RemoteTransferStats? {
        finished.withLock { $0.removeValue(forKey: path) }
    }
}

extension RemoteTransferStats {
    mutating func merge(_ o: RemoteTransferStats) {
        bytes += o.bytes
        fileBytes = max(fileBytes, o.fileBytes)
        retries += o.retries
        resumes += o.resumes
        rangeIgnored += o.rangeIgnored
        seconds += o.seconds
    }
}

// MARK: - The stream

/// libcurl is initialised once per process (curl_global_init is not thread-safe).
private let curlReady: Bool = curl_global_init(3) == CURLE_OK  // CURL_GLOBAL_ALL

/// One remote file as a pull stream of its bytes, in order, each exactly once.
///
/// A transfer runs on a curl multi handle that is driven while the reader waits for bytes and,
/// below `refillBelow` buffered bytes, at each read, so that at most `capacity` bytes are held
/// whatever the file's size: beyond that the transfer is paused and TCP holds the server back. When the
/// connection breaks, stalls past the read timeout or answers 5xx, the stream waits (backoff)
/// and asks again from the first byte it has not received (`Range: bytes=N-`); a server that
/// answers 200 instead of 206 is read from the start and its first N bytes skipped.
final class RemoteStream {
    /// The location as given (messages, stats) and the URL fetched.
    let path: String
    let url: String
    let settings: RemoteSettings
    private(set) var stats = RemoteTransferStats()

    private let multi: UnsafeMutableRawPointer
    private var easy: UnsafeMutableRawPointer?
    private var buffer: UnsafeMutableRawPointer
    private var capacity = 1 << 20
    private var start = 0
    private var end = 0
    /// Offset in the file of the byte after the last one accepted.
    private(set) var received = 0
    /// The file's size, from the first full response's Content-Length or a Content-Range.
    private(set) var total: Int?
    private var finished = false
    private var pendingError: SluiceError?
    /// curl's message for the last failure (CURLOPT_ERRORBUFFER: it keeps the pointer).
    private let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    // Per-response state, set by the callbacks.
    private var requestedFrom = 0
    private var status = 0
    private var rangeStart: Int?
    private var rangeTotal: Int?
    private var contentLength: Int?
    private var contentType = ""
    private var responseChecked = false
    private var skip = 0
    private var done = false
    private var result = CURLE_OK
    private var failure: (message: String, retryable: Bool, code: SluiceError.Code)?
    private var paused = false
    private var lastByte: UInt64 = 0
    private var failuresInRow = 0
    private let began = PipelinePlan.now()

    /// Connects and waits for the first bytes (or the end of an empty file).
    /// - Throws: `SluiceError(.missingInput)` for HTTP 404/410, `.corruptInput` when the server
    ///   sends an HTML page for a file that is not one, `.io` when the server cannot be reached or
    ///   keeps failing after the retries, `.config` for a bad location.
    init(path: String, settings: RemoteSettings = .current) throws {
        guard curlReady, let m = curl_multi_init() else {
            throw SluiceError(.library, "curl_global_init failed", file: path)
        }
        self.path = path
        self.settings = settings
        multi = m
        buffer = .allocate(byteCount: capacity, alignment: 64)
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        do {
            url = try RemoteLocation.httpURL(for: path, s3Endpoint: settings.s3Endpoint)
        } catch {
            curl_multi_cleanup(m)
            buffer.deallocate()
            errorText.deallocate()
            throw error
        }
        try startRequest()
        try waitForBytes()
        if start == end, let e = pendingError {
            pendingError = nil
            throw e
        }
    }

    deinit {
        stopRequest()
        curl_multi_cleanup(multi)
        buffer.deallocate()
        errorText.deallocate()
        if stats.seconds == 0 { stats.seconds = PipelinePlan.seconds(since: began) }
        stats.fileBytes = received
        RemoteTransfers.record(path, stats)
    }

    /// Copies up to `count` bytes into `p`; 0 at the end of the file. After the retries are
    /// spent, returns every byte received, then throws.
    func read(_ p: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
        guard count > 0 else { return 0 }
        if start == end {
            try waitForBytes()
            if start == end {
                if let e = pendingError {
                    pendingError = nil
                    throw e
                }
                return 0
            }
        }
        let n = min(count, end - start)
        p.copyMemory(from: buffer + start, byteCount: n)
        start += n
        if start == end {
            start = 0
            end = 0
        }
        if end - start < refillBelow { pump() }
        return n
    }

    /// Below this many buffered bytes, each read also takes what the socket holds, so the server
    /// keeps sending while the caller decodes instead of stalling on a full socket buffer.
    private let refillBelow = 1 << 19

    /// One non-blocking turn of the transfer: moves what has arrived into the buffer and notes the
    /// end of the response; `waitForBytes` handles the end (a retry, an error, or the file's end).
    private func pump() {
        guard easy != nil, !done, !finished, !paused else { return }
        var running: Int32 = 0
        curl_multi_perform(multi, &running)
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE {
                done = true
                result = message.pointee.data.result
            }
        }
    }

    // MARK: Requests

    private func setOption(_ o: CURLoption, _ v: Int) { _ = sluice_curl_set_long(easy, o, v) }
    private func setOption(_ o: CURLoption, _ v: String) { _ = v.withCString { sluice_curl_set_string(easy, o, $0) } }

    private func startRequest() throws {
        guard let h = curl_easy_init() else { throw SluiceError(.library, "curl_easy_init failed", file: path) }
        easy = h
        requestedFrom = received
        status = 0
        rangeStart = nil
        rangeTotal = nil
        contentLength = nil
        contentType = ""
        responseChecked = false
        skip = 0
        done = false
        result = CURLE_OK
        failure = nil
        paused = false
        lastByte = PipelinePlan.now()
        setOption(CURLOPT_URL, url)  // curl copies strings
        setOption(CURLOPT_FOLLOWLOCATION, 1)
        setOption(CURLOPT_MAXREDIRS, 10)
        setOption(CURLOPT_NOSIGNAL, 1)
        setOption(CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000))
        setOption(CURLOPT_BUFFERSIZE, 256 << 10)
        setOption(CURLOPT_TCP_KEEPALIVE, 1)
        setOption(CURLOPT_USERAGENT, "sluice (remote inputs; libcurl)")
        if received > 0 {
            setOption(CURLOPT_RANGE, "\(received)-")
            stats.resumes += 1
        }
        errorText[0] = 0
        _ = sluice_curl_set_pointer(h, CURLOPT_ERRORBUFFER, errorText)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = sluice_curl_set_callback(h, CURLOPT_WRITEFUNCTION, remoteWriteCallback)
        _ = sluice_curl_set_pointer(h, CURLOPT_WRITEDATA, me)
        _ = sluice_curl_set_callback(h, CURLOPT_HEADERFUNCTION, remoteHeaderCallback)
        _ = sluice_curl_set_pointer(h, CURLOPT_HEADERDATA, me)
        curl_multi_add_handle(multi, h)
    }

    private func stopRequest() {
        guard let h = easy else { return }
        curl_multi_remove_handle(multi, h)
        curl_easy_cleanup(h)
        easy = nil
    }

    /// Drives the transfer until the buffer holds bytes, the file ends, or it is given up.
    private func waitForBytes() throws {
        let waitStart = PipelinePlan.now()
        while start == end && !finished {
            if easy == nil {
                finished = true
                break
            }
            if paused, let h = easy {
                paused = false
                curl_easy_pause(h, 0)  // CURLPAUSE_CONT: curl may call the write callback here
                if start != end { break }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                if message.pointee.msg == CURLMSG_DONE {
                    done = true
                    result = message.pointee.data.result
                }
            }
            if start != end { break }
            if done {
                try finishResponse()
                continue
            }
            let quiet = Double(PipelinePlan.now() &- max(waitStart, lastByte)) / 1e9
            if quiet > settings.readTimeout {
                failure = (
                    "no byte for \(Int(settings.readTimeout)) s (read timeout; SLUICE_HTTP_READ_TIMEOUT)", true, .io
                )
                try finishResponse()
                continue
            }
            curl_multi_poll(multi, nil, 0, 100, nil)
        }
    }

    /// The current response ended (or was abandoned): the end of the file, a retry, or an error.
    private func finishResponse() throws {
        let code = result
        stopRequest()
        var problem = failure
        if problem == nil {
            if code == CURLE_OK {
                if let total, received < total {
                    problem = ("the connection ended at byte \(received) of \(total)", true, .io)
                } else if status >= 300 {
                    problem = Self.statusProblem(status)
                } else {
                    finished = true
                    stats.seconds = PipelinePlan.seconds(since: began)
                    return
                }
            } else {
                let text = String(cString: errorText)
                let name = String(cString: curl_easy_strerror(code))
                let fatal =
                    code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_UNSUPPORTED_PROTOCOL
                    || code == CURLE_URL_MALFORMAT || code == CURLE_SSL_CACERT_BADFILE
                    || code == CURLE_PEER_FAILED_VERIFICATION
                problem = (text.isEmpty ? name : "\(name): \(text)", !fatal, .io)
            }
        }
        guard let problem else { return }
        let gained = received > requestedFrom
        failuresInRow = gained ? 1 : failuresInRow + 1
        if problem.retryable && failuresInRow <= settings.retries {
            stats.retries += 1
            RemoteTransfers.retryCount.add(1, ordering: .relaxed)
            let delay = min(settings.maxBackoff, settings.backoff * Double(1 << min(failuresInRow - 1, 20)))
            if delay > 0 { usleep(UInt32(min(delay, 3600) * 1e6)) }
            try startRequest()
            return
        }
        finished = true
        stats.seconds = PipelinePlan.seconds(since: began)
        let tries = stats.retries > 0 ? " after \(stats.retries) retries" : ""
        if received > 0 && problem.code == .io {
            // Bytes before the cut are kept; the reader counts the cut as it does a truncated file.
            pendingError = SluiceError(
                .corruptInput, "truncated: \(problem.message)\(tries); \(url)", file: path, offset: received)
        } else {
            pendingError = SluiceError(
                problem.code, problem.message + tries + (url == path ? "" : " (\(url))"), file: path)
        }
    }

    private static func statusProblem(_ status: Int) -> (message: String, retryable: Bool, code: SluiceError.Code) {
        let retryable = status >= 500 || status == 429 || status == 408
        let code: SluiceError.Code = status == 404 || status == 410 ? .missingInput : .io
        let what = status == 404 ? " Not Found: the server has no such file" : status == 410 ? " Gone" : ""
        return ("HTTP \(status)\(what)", retryable, code)
    }

    // MARK: Callbacks

    fileprivate func header(_ line: UnsafeRawBufferPointer) {
        guard let text = String(validating: line, as: UTF8.self)?.trimmingCharacters(in: .whitespacesAndNewlines)
        else { return }
        if text.hasPrefix("HTTP/") {
            // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
            let parts = text.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            rangeStart = nil
            rangeTotal = nil
            contentLength = nil
            contentType = ""
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        switch name {
        case "content-type": contentType = value.lowercased()
        case "content-length": contentLength = Int(value)
        case "content-range":
            // bytes START-END/TOTAL
            guard value.hasPrefix("bytes ") else { return }
            let spec = value.dropFirst(6)
            let halves = spec.split(separator: "/")
            if let dash = halves.first?.firstIndex(of: "-") { rangeStart = Int(halves[0][..<dash]) }
            if halves.count == 2 { rangeTotal = Int(halves[1]) }
        default: break
        }
    }

    /// Checks a response at its first body byte; a failure stops the transfer (the callback returns 0).
    private func checkResponse() -> Bool {
        responseChecked = true
        if status >= 300 || status < 200 {
            failure = Self.statusProblem(status)
            return false
        }
        if contentType.hasPrefix("text/html") && !Self.isHTMLName(path) {
            failure = (
                "the server sent an HTML page (Content-Type \(contentType)), not the file; is the URL right?", false,
                .corruptInput
            )
            return false
        }
        if status == 206 {
            guard let s = rangeStart, s <= requestedFrom else {
                failure = (
                    "the server resumed at another byte than asked (\(rangeStart ?? -1), not \(requestedFrom))", true,
                    .io
                )
                return false
            }
            skip = requestedFrom - s
            if let t = rangeTotal { total = t }
        } else {
            // 200: the whole file, whether or not a Range was asked for.
            if requestedFrom > 0 { stats.rangeIgnored += 1 }
            skip = requestedFrom
            if let n = contentLength { total = n }
        }
        return true
    }

    static func isHTMLName(_ path: String) -> Bool {
        let p = path.lowercased()
        return p.hasSuffix(".html") || p.hasSuffix(".htm") || p.hasSuffix("/")
    }

    fileprivate func write(_ data: UnsafeRawBufferPointer) -> Int {
        let n = data.count
        if !responseChecked && !checkResponse() { return 0 }
        // The buffer keeps its size (fresh pages cost a fault each): compact it, and when the bytes
        // still do not fit, hold the server back (curl hands the same bytes again after
        // curl_easy_pause). Only a callback larger than the whole buffer makes it grow.
        if end + n > capacity {
            if start > 0 {
                memmove(buffer, buffer + start, end - start)
                end -= start
                start = 0
            }
            if end + n > capacity {
                if end > 0 {
                    paused = true
                    return 0x1000_0001  // CURL_WRITEFUNC_PAUSE
                }
                let b = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
                buffer.deallocate()
                buffer = b
                capacity = n
            }
        }
        lastByte = PipelinePlan.now()
        stats.bytes += n
        RemoteTransfers.receivedBytes.add(n, ordering: .relaxed)
        var bytes = data
        if skip > 0 {
            let k = min(skip, n)
            skip -= k
            bytes = UnsafeRawBufferPointer(rebasing: bytes[k...])
        }
        let m = bytes.count
        guard m > 0 else { return n }
        (buffer + end).copyMemory(from: bytes.baseAddress!, byteCount: m)
        end += m
        received += m
        return n
    }
}

private func remoteWriteCallback(
    _ p: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ me: UnsafeMutableRawPointer?
)
    -> Int
{
    guard let p, let me else { return 0 }
    let stream = Unmanaged<RemoteStream>.fromOpaque(me).takeUnretainedValue()
    return stream.write(UnsafeRawBufferPointer(start: p, count: size * count))
}

private func remoteHeaderCallback(
    _ p: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ me: UnsafeMutableRawPointer?
)
    -> Int
{
    guard let p, let me else { return 0 }
    let stream = Unmanaged<RemoteStream>.fromOpaque(me).takeUnretainedValue()
    stream.header(UnsafeRawBufferPointer(start: p, count: size * count))
    return size * count
}
