// swift-tools-version: 6.1
// Sluice: training data for language models, from raw crawls to a trained compact model.
import PackageDescription

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceIngest", targets: ["SluiceIngest"]),
        .library(name: "SluiceClean", targets: ["SluiceClean"]),
        .library(name: "SluiceDedup", targets: ["SluiceDedup"]),
        .library(name: "SluiceTokenize", targets: ["SluiceTokenize"]),
        .library(name: "SluiceTrain", targets: ["SluiceTrain"]),
        .library(name: "SluiceReport", targets: ["SluiceReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: - C libraries (Debian -dev packages; `make deps` installs them)
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // AVX2 + FMA INT8 dot products for decoding, chosen at run time (baseline x86-64 elsewhere).
        .target(name: "CInt8Kernels"),
        // A memory prefetch hint for hot lookups (fastText's token cache).
        .target(name: "CPrefetch"),
        .target(name: "CHeap"),
        .target(
            name: "CICUShim",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]
        ),

        // MARK: - Libraries, in dependency order
        .target(
            name: "SluiceCore",
            dependencies: [
                "CZstd", "CZlib", "CBzip2", "CDeflate", "CICUShim", "CCurl", "CHeap",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceIngest", dependencies: ["SluiceCore", "CXML2", "CICUShim", "CZlib", "CDeflate", "CBzip2"],
            swiftSettings: swiftSettings),
        .target(
            name: "SluiceClean", dependencies: ["SluiceCore", "CICUShim", "CPrefetch"], swiftSettings: swiftSettings),
        .target(name: "SluiceDedup", dependencies: ["SluiceCore"], swiftSettings: swiftSettings),
        .target(name: "SluiceTokenize", dependencies: ["SluiceCore", "CZstd"], swiftSettings: swiftSettings),
        .target(
            name: "SluiceTrain", dependencies: ["SluiceCore", "SluiceTokenize", "COpenBLAS", "CMPI", "CInt8Kernels"],
            swiftSettings: swiftSettings + optimizedInDebug),
        .target(name: "SluiceReport", dependencies: ["SluiceCore"], swiftSettings: swiftSettings),
        .target(
            name: "SluiceAblate",
            dependencies: [
                "SluiceCore", "SluiceTokenize", "SluiceTrain", "CZlib", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // The OpenAI-compatible server (`sluice serve`); only the command-line tool links it.
        .target(
            name: "SluiceServe",
            dependencies: [
                "SluiceCore", "SluiceTokenize", "SluiceTrain", "SluiceClean",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // MARK: - The command-line tool
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore", "SluiceIngest", "SluiceClean", "SluiceDedup", "SluiceTokenize", "SluiceTrain",
                "SluiceReport",
                "SluiceAblate",
                "SluiceServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .target(name: "SluiceTestSupport", dependencies: ["SluiceCore"], path: "Tests/SluiceTestSupport"),
        .testTarget(
            name: "SluiceCoreTests",
            dependencies: ["SluiceTestSupport", "SluiceCore", "CZstd", "CZlib", "CBzip2", "CICUShim"]),
        .testTarget(name: "SluiceIngestTests", dependencies: ["SluiceTestSupport", "SluiceIngest", "CXML2"]),
        .testTarget(name: "SluiceCleanTests", dependencies: ["SluiceTestSupport", "SluiceClean"]),
        .testTarget(name: "SluiceDedupTests", dependencies: ["SluiceTestSupport", "SluiceDedup"]),
        .testTarget(name: "SluiceTokenizeTests", dependencies: ["SluiceTestSupport", "SluiceTokenize"]),
        .testTarget(
            name: "SluiceTrainTests", dependencies: ["SluiceTestSupport", "SluiceTrain", "SluiceTokenize", "COpenBLAS"]),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: [
                "SluiceTestSupport", "SluiceCore", "SluiceIngest", "SluiceClean", "SluiceDedup", "SluiceTokenize",
                "SluiceTrain", "SluiceAblate",
            ]
        ),
        .testTarget(name: "SluiceReportTests", dependencies: ["SluiceTestSupport", "SluiceReport"]),
        .testTarget(name: "SluiceServeTests", dependencies: ["SluiceTestSupport", "SluiceServe", "SluiceCore"]),
        .testTarget(name: "SluiceAblateTests", dependencies: ["SluiceTestSupport", "SluiceAblate", "SluiceCore"]),
    ],
    swiftLanguageModes: [.v6]
)

// Release builds use SwiftPM's default -O: bounds, overflow, precondition and exclusivity checks stay
// on. A hot loop that measurably loses to them uses unchecked access in that loop alone (a buffer
// pointer, `&+`), with a comment saying why (BENCHMARKS.md, "release build: instruction counts").
var swiftSettings: [SwiftSetting] { [.enableExperimentalFeature("Lifetimes")] }

// The trainer's kernels (attention, norms, activations, cross-entropy, Muon, INT8 decoding) run
// 10-50× slower unoptimised, which made the test suite spend most of its time in debug arithmetic.
// Debug builds compile SluiceTrain with -O (checks kept, unlike release's -Ounchecked; -enable-testing
// still applies, so @testable imports work). To step through it in a debugger, drop it locally.
var optimizedInDebug: [SwiftSetting] { [.unsafeFlags(["-O"], .when(configuration: .debug))] }
