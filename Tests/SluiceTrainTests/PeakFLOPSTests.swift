// The MFU denominator: the FMA ceiling read from /proc/cpuinfo texts of several CPUs, the clock it
// takes, the override, the fallback, and MFU never above 100 %. Computation only: no timing.
import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceTrain

/// /proc/cpuinfo of `processors` logical CPUs, each block with the given fields.
func cpuinfo(processors: Int, _ fields: [(String, String)]) -> String {
    (0..<processors).map { p in
        "processor\t: \(p)\n" + fields.map { "\($0.0)\t: \($0.1)" }.joined(separator: "\n") + "\n"
    }.joined(separator: "\n")
}

@Suite struct PeakFLOPSTests {
    /// This machine's kind: a 2-vCPU KVM guest on a Zen 4 EPYC whose model name carries no clock.
    static let zen4VM = cpuinfo(
        processors: 2,
        [
            ("vendor_id", "AuthenticAMD"), ("cpu family", "25"), ("model", "17"), ("model name", "AMD EPYC"),
            ("cpu MHz", "2596.132"), ("physical id", "0"), ("siblings", "2"), ("cpu cores", "2"),
            ("flags", "fpu sse sse2 ssse3 fma avx avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16 hypervisor"),
        ])

    /// A 2-core Skylake-SP Xeon with SMT (4 logical CPUs) and two 512-bit FMA pipes.
    static let skylakeSMT = cpuinfo(
        processors: 4,
        [
            ("vendor_id", "GenuineIntel"), ("cpu family", "6"), ("model", "85"),
            ("model name", "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"), ("cpu MHz", "1000.000"), ("physical id", "0"),
            ("siblings", "4"), ("cpu cores", "2"), ("flags", "fpu sse sse2 fma avx avx2 avx512f avx512cd"),
        ])

    @Test func zen4RunsAVX512OnItsTwo256BitPipes() throws {
        let cpu = CPUDescription.parse(procCPUInfo: Self.zen4VM)
        #expect(cpu.vendor == "AuthenticAMD" && cpu.family == 25 && cpu.model == 17)
        #expect(cpu.logicalCPUs == 2 && cpu.physicalCores == 2)
        #expect(cpu.nominalGHz == 2.596132)
        let units = try #require(cpu.vectorUnits)
        #expect(units.flopsPerCycle == 32, "Zen 4: 2 pipes × 8 fp32 lanes × 2 (measured 32.0 FLOP/cycle here)")
        let p = try #require(PeakFLOPS.ceiling(cpu: cpu, cores: 2, clockGHz: 3.7, clockSource: "measured"))
        #expect(abs(p.flops - 2 * 32 * 3.7e9) < 1)
        #expect(
            p.source == "FMA ceiling: 2 cores × 32 FLOP/cycle (AVX-512 on 2 × 256-bit FMA pipes) × 3.70 GHz (measured)")
        // More threads than cores do not raise the ceiling.
        #expect(PeakFLOPS.ceiling(cpu: cpu, cores: 8, clockGHz: 3.7, clockSource: "x")?.flops == p.flops)
    }

    @Test func intelAVX512WithSMTCountsCoresNotSiblings() throws {
        let cpu = CPUDescription.parse(procCPUInfo: Self.skylakeSMT)
        #expect(cpu.logicalCPUs == 4 && cpu.physicalCores == 2)
        #expect(cpu.nominalGHz == 2.4, "the model name's base clock, not cpu MHz (a power-saving 1000)")
        #expect(cpu.vectorUnits?.flopsPerCycle == 64)
        #expect(PeakFLOPS.ceiling(cpu: cpu, cores: 4, clockGHz: 2.4, clockSource: "nominal")?.flops == 2 * 64 * 2.4e9)
        #expect(PeakFLOPS.ceiling(cpu: cpu, cores: 1, clockGHz: 2.4, clockSource: "nominal")?.flops == 64 * 2.4e9)
    }

    @Test(arguments: [
        ("GenuineIntel", 6, 60, "sse2 avx fma avx2", 32),  // Haswell: 2 × 256-bit FMA
        ("AuthenticAMD", 23, 1, "sse2 avx fma avx2", 16),  // Zen 1: 2 × 128-bit
        ("AuthenticAMD", 23, 49, "sse2 avx fma avx2", 32),  // Zen 2
        ("AuthenticAMD", 26, 2, "sse2 avx fma avx2 avx512f", 64),  // Zen 5: 512-bit pipes
        ("GenuineIntel", 6, 42, "sse2 avx", 16),  // Sandy Bridge: a multiply and an add pipe
        ("GenuineIntel", 6, 15, "sse sse2", 8),
        ("0x41", 0, 0, "fp asimd evtstrm", 32),  // ARM NEON, upper bound
    ])
    func flopsPerCycleFromVendorFamilyAndFlags(vendor: String, family: Int, model: Int, flags: String, expected: Int) {
        var c = CPUDescription()
        c.vendor = vendor
        c.family = family
        c.model = model
        c.flags = Set(flags.split(separator: " ").map(String.init))
        #expect(c.vectorUnits?.flopsPerCycle == expected, "\(vendor) \(family)/\(model) \(flags)")
    }

    @Test func armCPUInfoIsRead() {
        let text = cpuinfo(processors: 4, [("Features", "fp asimd evtstrm aes crc32"), ("CPU implementer", "0x41")])
        let cpu = CPUDescription.parse(procCPUInfo: text)
        #expect(cpu.logicalCPUs == 4 && cpu.vendor == "0x41" && cpu.vectorUnits?.flopsPerCycle == 32)
    }

    @Test func theClockIsTheHigherOfNominalAndMeasured() {
        let cpu = CPUDescription.parse(procCPUInfo: Self.zen4VM)
        let turbo = PeakFLOPS.forTraining(
            threads: 2, environment: [:], cpu: cpu, measuredClockGHz: { 3.69 }, fallback: { 1 })
        #expect(abs(turbo.flops - 2 * 32 * 3.69e9) < 1)
        #expect(turbo.source.hasSuffix("× 3.69 GHz (measured core clock; nominal 2.60 GHz)"))
        let slow = PeakFLOPS.forTraining(
            threads: 2, environment: [:], cpu: cpu, measuredClockGHz: { 1.2 }, fallback: { 1 })
        #expect(abs(slow.flops - 2 * 32 * 2.596132e9) < 1)
        #expect(slow.source.hasSuffix("× 2.60 GHz (nominal clock; measured 1.20 GHz)"))
    }

    @Test func overrideAndFallbackSayWhichPeakTheyAre() {
        let cpu = CPUDescription.parse(procCPUInfo: Self.zen4VM)
        let set = PeakFLOPS.forTraining(
            threads: 2, environment: ["SLUICE_PEAK_GFLOPS": "150"], cpu: cpu, measuredClockGHz: { 3 }, fallback: { 1 })
        #expect(set == PeakFLOPS(flops: 150e9, source: "SLUICE_PEAK_GFLOPS"))
        var unknown = CPUDescription()
        unknown.flags = ["vsx"]
        let measured = PeakFLOPS.forTraining(
            threads: 2, environment: [:], cpu: unknown, measuredClockGHz: { 3 }, fallback: { 42e9 })
        #expect(measured.flops == 42e9 && measured.source.hasPrefix("SGEMM peak measured at start"))
        #expect(
            PeakFLOPS.forTraining(threads: 2, environment: [:], cpu: nil, measuredClockGHz: { 3 }, fallback: { 7 })
                .flops == 7)
    }

    /// `make demo` printed "MFU 109.6 %" with a peak measured while a build ran: MFU is clamped.
    @Test func mfuNeverExceedsOne() {
        let p = PeakFLOPS(flops: 100e9, source: "test")
        #expect(p.mfu(50e9) == 0.5)
        #expect(p.mfu(115.3e9) == 1)
        #expect(p.mfu(.infinity) == 0 && p.mfu(-1) == 0)
        #expect(PeakFLOPS(flops: 0, source: "none").mfu(1e9) == 0)
    }

    @Test func trainerLogsWhichPeakItDividesByAndKeepsMFUAtMostOne() throws {
        let dir = try TestSupport.temporaryDirectory("train-peak")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = tinyOptions(out: dir)
        o.steps = 3
        var lines: [String] = []
        let t = try Trainer(
            options: o, train: ArrayTokenStream(repeatingTokens(400), vocabSize: 96), val: nil, tokenizerPath: nil,
            log: { lines.append($0) })
        let records = try t.run()
        let head = try #require(lines.first { $0.contains("MFU over a peak of") })
        #expect(
            head.contains("FMA ceiling: ") || head.contains("SGEMM peak measured")
                || head.contains("SLUICE_PEAK_GFLOPS"), "\(head)")
        #expect(records.allSatisfy { $0.mfu > 0 && $0.mfu <= 1 })
    }
}
