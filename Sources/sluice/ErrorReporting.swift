// How every `sluice` command reports: one printer, one format, one exit status. A failure prints
// `sluice: <what went wrong> (<where>)` on one line of standard error and exits with status 1;
// mistakes in flags stay ArgumentParser's (its usage message, exit status 64).
import ArgumentParser
import Foundation
import SluiceCore

/// Runs a command's body. A `SluiceError` or any other error prints as one line (`printError`) and
/// the command exits with status 1; ArgumentParser's own errors (`ValidationError`, `ExitCode`,
/// `CleanExit`) pass through unchanged.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error where error is ExitCode || error is CleanExit || error is ValidationError {
        throw error
    } catch {
        printError(error)
        throw ExitCode.failure
    }
}

/// Prints `error` on one line of standard error: `sluice: corrupt input: truncated gzip member
/// (crawl.warc.gz:81920)`; an error that is not a `SluiceError` (a Foundation error, say) reads
/// `sluice: error: …`, its lines joined. Commands that go on after a bad input call it directly.
func printError(_ error: any Error) {
    if let error = error as? SluiceError {
        stderrLine("sluice: \(error)")
    } else {
        stderrLine("sluice: error: " + "\(error)".split(whereSeparator: \.isNewline).joined(separator: " "))
    }
}

/// A line on standard error: progress notes, per-input remarks, training logs.
func stderrLine(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
