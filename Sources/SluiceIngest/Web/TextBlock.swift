// One text block as HTMLExtractor's walk emits it (a byte range of its text buffer with what the
// main-content scorer needs), and the bits that say why a block looks like boilerplate. The
// scoring itself is HTMLExtractor+MainContent.swift's.
@preconcurrency internal import CXML2

/// One text block as the walk emits it.
struct TextBlock {
    /// Byte range in the extractor's text buffer.
    var start: Int
    var end: Int
    /// Characters inside links.
    var linkBytes: Int
    var kind: TagKind
    /// The element that owns the block (its innermost block-level ancestor).
    var owner: UnsafeMutablePointer<xmlNode>?
    /// Commas (ASCII and CJK), for scoring.
    var commas: Int
    /// Why the block looks like boilerplate: `classBoilerplate` (a container whose class, id or
    /// role names boilerplate), `tagBoilerplate` (inside nav, aside, form, footer or header),
    /// `hiddenBoilerplate` (hidden by attribute or style, or inside noscript); 0 for none. Main-content selection excludes these first and relaxes when that leaves little.
    var boilerplate: UInt8
}

/// `TextBlock.boilerplate` bits.
let classBoilerplate: UInt8 = 1
let tagBoilerplate: UInt8 = 2
let hiddenBoilerplate: UInt8 = 4
