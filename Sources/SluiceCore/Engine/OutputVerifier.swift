// `sluice verify`: checks a finished output folder against its completion markers — every task
// of every pass marked, every recorded file present with its size and xxHash64. Reads only.
import Foundation

/// What `OutputVerifier.verify` found.
public struct VerifyReport: Sendable {
    /// One line per problem (empty when the folder is sound).
    public var problems: [String] = []
    public var markers = 0
    public var files = 0
    public var bytes = 0
}

/// Checks an output folder against its markers.
public enum OutputVerifier {
    /// Reads every marker under `root/_markers` and rereads every file it records.
    /// - Throws: `SluiceError(.usage)` when `root` has no markers at all, or a local run holds it.
    public static func verify(root: String) throws -> VerifyReport {
        let lock = try OutputLock.shared(root: root)
        defer { withExtendedLifetime(lock) {} }
        let fm = FileManager.default
        let markerRoot = root + "/_markers"
        guard let passes = try? fm.contentsOfDirectory(atPath: markerRoot).sorted(), !passes.isEmpty else {
            throw SluiceError(.usage, "no completion markers: not the output folder of a sluice run", file: root)
        }
        var report = VerifyReport()
        var fingerprints = Set<String>()
        for pass in passes {
            let folder = markerRoot + "/" + pass
            let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".done") }.sorted()
            var expected: Int?
            var seen = Set<Int>()
            for name in names {
                let path = folder + "/" + name
                guard let marker = CompletionMarker.load(path) else {
                    report.problems.append("\(path): not a completion marker")
                    continue
                }
                report.markers += 1
                fingerprints.insert(marker.fingerprint)
                if let t = Int(name.dropLast(5)) { seen.insert(t) }
                guard let count = marker.taskCount else {
                    report.problems.append(
                        "\(path): records no files (written by an older sluice); rerun with --force to record them")
                    continue
                }
                expected = max(expected ?? 0, count)
                for f in marker.files {
                    report.files += 1
                    report.bytes += f.checksum.size
                }
                report.problems += marker.problems(root: root, checksums: true).map {
                    "\($0) (\(pass) task \(name.dropLast(5)))"
                }
            }
            if let expected {
                for t in 0..<expected where !seen.contains(t) {
                    report.problems.append(
                        "\(pass): task \(OutputLayout.stem(t)) of \(expected) is not finished (no marker)")
                }
            }
        }
        if fingerprints.count > 1 {
            report.problems.append(
                "\(root): markers of \(fingerprints.count) different pipeline configurations; use one output folder per configuration"
            )
        }
        return report
    }
}
