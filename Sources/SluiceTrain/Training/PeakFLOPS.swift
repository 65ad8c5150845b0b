// The denominator of MFU: the FMA ceiling of the cores a run uses, computed from what the CPU is
// (vendor, family and vector flags in /proc/cpuinfo) and how fast its cores clock, so that it does
// not move with the machine's load the way an SGEMM peak measured at start does. It is an upper
// bound (no memory, no SMT sharing, every pipe busy), so the MFU it gives never exceeds 100 %.
import Foundation

/// What the trainer divides model FLOP/s by, and where the figure comes from.
public struct PeakFLOPS: Sendable, Equatable {
    /// FLOP/s of the cores the run uses.
    public var flops: Double
    /// How the figure was obtained, printed beside it (`FMA ceiling: 2 cores × 32 FLOP/cycle …`).
    public var source: String

    public init(flops: Double, source: String) {
        self.flops = flops
        self.source = source
    }

    /// Model FLOP utilisation: achieved FLOP/s over the peak, clamped to [0, 1] (a ceiling that a
    /// run seems to beat is a ceiling computed too low, not a utilisation above 100 %).
    public func mfu(_ achieved: Double) -> Double {
        guard flops > 0, achieved.isFinite, achieved > 0 else { return 0 }
        return min(1, achieved / flops)
    }

    /// The FMA ceiling of `cores` cores of `cpu` at `clockGHz`.
    /// - Returns: nil when the CPU's vector units are unknown (neither x86 nor ARM flags).
    public static func ceiling(cpu: CPUDescription, cores: Int, clockGHz: Double, clockSource: String) -> PeakFLOPS? {
        guard let units = cpu.vectorUnits, clockGHz > 0 else { return nil }
        let n = max(1, min(cores, cpu.physicalCores))
        let flops = Double(n) * Double(units.flopsPerCycle) * clockGHz * 1e9
        let source =
            "FMA ceiling: \(n) core\(n == 1 ? "" : "s") × \(units.flopsPerCycle) FLOP/cycle (\(units.label)) × "
            + String(format: "%.2f GHz", clockGHz) + " (\(clockSource))"
        return PeakFLOPS(flops: flops, source: source)
    }

    /// The peak a training run on `threads` threads divides by: `SLUICE_PEAK_GFLOPS` when set, else
    /// the FMA ceiling of this machine at the higher of its nominal clock and its measured core
    /// clock (turbo), else (an unknown CPU) `fallback()`, a measured SGEMM peak, labelled so.
    public static func forTraining(
        threads: Int, environment: [String: String] = ProcessInfo.processInfo.environment,
        cpu: CPUDescription? = CPUDescription.current(), measuredClockGHz: () -> Double = measureCoreClockGHz,
        fallback: () -> Double = { BLAS.measurePeak() }
    ) -> PeakFLOPS {
        if let s = environment["SLUICE_PEAK_GFLOPS"], let g = Double(s), g > 0, g.isFinite {
            return PeakFLOPS(flops: g * 1e9, source: "SLUICE_PEAK_GFLOPS")
        }
        if let cpu, cpu.vectorUnits != nil {
            let measured = measuredClockGHz()
            let nominal = cpu.nominalGHz ?? 0
            let (clock, label): (Double, String)
            if measured > nominal {
                (clock, label) = (
                    measured, "measured core clock" + (nominal > 0 ? String(format: "; nominal %.2f GHz", nominal) : "")
                )
            } else {
                (clock, label) = (
                    nominal, "nominal clock" + (measured > 0 ? String(format: "; measured %.2f GHz", measured) : "")
                )
            }
            if let p = ceiling(cpu: cpu, cores: threads, clockGHz: clock, clockSource: label) { return p }
        }
        return PeakFLOPS(
            flops: fallback(), source: "SGEMM peak measured at start (CPU vector units unknown; moves with load)")
    }

    /// The clock of the core running this thread, in GHz: a chain of dependent xor/add pairs (two
    /// cycles each on every x86 and ARM core) timed over many short bursts, the fastest kept. A
    /// burst takes ~10 µs, under a scheduler tick, so the best one ran uninterrupted even on a
    /// busy machine; the figure is the core's real (turbo) clock, not the nominal one.
    public static func measureCoreClockGHz() -> Double {
        let iterations = 20_000
        var best = Double.infinity
        var x: UInt64 = 1
        for _ in 0..<300 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            x = dependentChain(x, iterations)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0)
            if dt > 0 { best = min(best, dt) }
        }
        guard best.isFinite, x != 0xFFFF_FFFF_FFFF_FFFF else { return 0 }
        return 2 * Double(iterations) / best
    }

    /// `n` iterations of `x = (x ^ c1) + c2`: 2n cycles, since each operation waits for the last.
    @inline(never)
    static func dependentChain(_ seed: UInt64, _ n: Int) -> UInt64 {
        var x = seed
        for _ in 0..<n { x = (x ^ 0x5BD1_E995) &+ 0x2545_F491 }
        return x
    }
}

/// The parts of /proc/cpuinfo that decide the FMA ceiling.
public struct CPUDescription: Sendable, Equatable {
    /// `vendor_id` (`GenuineIntel`, `AuthenticAMD`), or `CPU implementer` on ARM.
    public var vendor: String = ""
    /// `cpu family` and `model` (x86).
    public var family: Int?
    public var model: Int?
    /// `flags` (x86) or `Features` (ARM).
    public var flags: Set<String> = []
    /// The nominal clock: `@ 2.60GHz` in the model name, else `cpu MHz` (a VM's TSC rate).
    public var nominalGHz: Double?
    /// Processors listed, and cores once SMT siblings are folded (`siblings` / `cpu cores`).
    public var logicalCPUs: Int = 1
    public var physicalCores: Int = 1

    public init() {}

    /// This machine's description, or nil when /proc/cpuinfo cannot be read (not Linux).
    public static func current() -> CPUDescription? {
        guard let d = FileManager.default.contents(atPath: "/proc/cpuinfo"), let s = String(data: d, encoding: .utf8)
        else {
            return nil
        }
        return parse(procCPUInfo: s)
    }

    /// Reads the text of /proc/cpuinfo (x86 or ARM layout).
    public static func parse(procCPUInfo text: String) -> CPUDescription {
        var c = CPUDescription()
        var processors = 0
        var siblings: Int?
        var coresPerPackage: Int?
        var packages = Set<String>()
        var modelName = ""
        var mhz: Double?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "processor": processors += 1
            case "vendor_id", "CPU implementer": if c.vendor.isEmpty { c.vendor = value }
            case "cpu family": if c.family == nil { c.family = Int(value) }
            case "model": if c.model == nil { c.model = Int(value) }
            case "model name": if modelName.isEmpty { modelName = value }
            case "flags", "Features":
                if c.flags.isEmpty { c.flags = Set(value.split(separator: " ").map(String.init)) }
            case "cpu MHz": if mhz == nil { mhz = Double(value) }
            case "siblings": if siblings == nil { siblings = Int(value) }
            case "cpu cores": if coresPerPackage == nil { coresPerPackage = Int(value) }
            case "physical id": packages.insert(value)
            default: break
            }
        }
        c.logicalCPUs = max(1, processors)
        if let s = siblings, let k = coresPerPackage, k > 0, s >= k {
            c.physicalCores = max(1, c.logicalCPUs / (s / k))
        } else {
            c.physicalCores = c.logicalCPUs
        }
        // "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz": the base clock, which `cpu MHz` may not show.
        if let at = modelName.range(of: "@ "),
            let ghz = modelName[at.upperBound...].split(separator: "G").first.flatMap({ Double($0) })
        {
            c.nominalGHz = ghz
        } else if let mhz, mhz > 0 {
            c.nominalGHz = mhz / 1000
        }
        return c
    }

    /// The fp32 vector units of one core, or nil when the flags name none we know.
    public var vectorUnits: VectorUnits? {
        let amd = vendor == "AuthenticAMD"
        let family = family ?? 0
        let model = model ?? 0
        if flags.contains("avx512f") {
            // Zen 4 (family 0x19) runs 512-bit instructions as two halves on its 256-bit pipes.
            if amd && family <= 0x19 {
                return VectorUnits(vectorBits: 256, pipes: 2, fused: true, label: "AVX-512 on 2 × 256-bit FMA pipes")
            }
            return VectorUnits(vectorBits: 512, pipes: 2, fused: true, label: "AVX-512, 2 FMA pipes")
        }
        if flags.contains("fma") && flags.contains("avx") {
            // Zen 1 and Zen+ (family 0x17, models below 0x30) split 256-bit work over 128-bit pipes.
            if amd && family <= 0x17 && !(family == 0x17 && model >= 0x30) {
                return VectorUnits(vectorBits: 128, pipes: 2, fused: true, label: "AVX2 on 2 × 128-bit FMA pipes")
            }
            return VectorUnits(vectorBits: 256, pipes: 2, fused: true, label: "AVX2, 2 FMA pipes")
        }
        if flags.contains("avx") {
            return VectorUnits(vectorBits: 256, pipes: 1, fused: false, label: "AVX, one multiply and one add pipe")
        }
        if flags.contains("sse2") {
            return VectorUnits(vectorBits: 128, pipes: 1, fused: false, label: "SSE, one multiply and one add pipe")
        }
        // ARM: the widest cores (Apple, Neoverse V) issue four 128-bit FMAs a cycle; an upper bound for the rest.
        if flags.contains("asimd") {
            return VectorUnits(vectorBits: 128, pipes: 4, fused: true, label: "NEON, up to 4 × 128-bit FMA pipes")
        }
        return nil
    }
}

/// The fp32 vector arithmetic of one core.
public struct VectorUnits: Sendable, Equatable {
    /// Datapath width of one pipe.
    public var vectorBits: Int
    /// FMA pipes (or, when not `fused`, multiply + add pipe pairs).
    public var pipes: Int
    /// Fused multiply-add; without it a multiply pipe and an add pipe give the same 2 FLOP per lane.
    public var fused: Bool
    public var label: String

    /// fp32 lanes × pipes × 2 (a multiply and an add per lane).
    public var flopsPerCycle: Int { vectorBits / 32 * pipes * 2 }
}
