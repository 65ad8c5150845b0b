// The hash passes of `exact_dedup` and `paragraph_dedup`: records of fixed width, routed to a
// partition by their first word, buffered, and written as sorted runs (one file per partition and
// spill) for the partition's later merge.
import SluiceCore

/// Buffers a task's records per partition and spills them as sorted run files.
struct PartitionedRunWriter {
    let width: Int
    let magic: StaticString
    /// The run file of (partition, run).
    let path: (_ partition: Int, _ run: Int) -> String
    /// Sorts one partition's flat records.
    let sort: (inout [UInt64]) -> Void
    let context: TaskContext
    private var buffers: [[UInt64]]
    private let perSpill: Int
    private var buffered = 0
    private var run = 0

    /// - Parameter sortBuffer: bytes of records buffered before a spill.
    init(
        partitions: Int, width: Int, magic: StaticString, sortBuffer: Int, context: TaskContext,
        path: @escaping (_ partition: Int, _ run: Int) -> String, sort: @escaping (inout [UInt64]) -> Void
    ) {
        self.width = width
        self.magic = magic
        self.path = path
        self.sort = sort
        self.context = context
        buffers = [[UInt64]](repeating: [], count: partitions)
        perSpill = max(1, sortBuffer / (8 * width))
    }

    /// Routes a three-word record (the first word a hash) to its partition; spills when full.
    @inline(__always)
    mutating func append(_ a: UInt64, _ b: UInt64, _ c: UInt64) throws {
        let p = Int(a % UInt64(buffers.count))
        buffers[p].append(a)
        buffers[p].append(b)
        buffers[p].append(c)
        try counted()
    }

    /// Routes a four-word record (the first word a hash) to its partition; spills when full.
    @inline(__always)
    mutating func append(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) throws {
        let p = Int(a % UInt64(buffers.count))
        buffers[p].append(a)
        buffers[p].append(b)
        buffers[p].append(c)
        buffers[p].append(d)
        try counted()
    }

    @inline(__always)
    private mutating func counted() throws {
        buffered += 1
        if buffered >= perSpill { try spill() }
    }

    private mutating func spill() throws {
        for p in buffers.indices where !buffers[p].isEmpty || run == 0 {
            sort(&buffers[p])
            let file = path(p, run)
            try RecordFile.write(buffers[p], width: width, magic: magic, to: file)
            context.recordCommittedFile(file)
            buffers[p].removeAll(keepingCapacity: true)
        }
        buffered = 0
        run += 1
    }

    /// Writes what is buffered. The last spill always writes every partition's run 0, so each task
    /// leaves a file per partition.
    mutating func finish() throws {
        if buffered > 0 || run == 0 { try spill() }
    }
}
