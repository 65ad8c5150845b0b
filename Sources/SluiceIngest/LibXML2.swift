// libxml2 sets up global state (the dictionary's recursive mutex and random seed, the parser
// tables) on first use, and that set-up is not safe to race: in 2.9, two worker threads whose first
// parses start at the same moment each create the dictionary mutex, one copy is left locked, and
// every later parse of the process waits on it forever (a `sluice run --workers 2` over WARC files
// hung that way, both workers in xmlRMutexLock under __xmlRandom). libxml2's documentation asks for
// xmlInitParser() once, before any thread parses; every libxml2 entry point of SluiceIngest goes
// through `LibXML2.ready` first.
@preconcurrency internal import CXML2

enum LibXML2 {
    /// Evaluated once per process, under Swift's thread-safe static initialisation.
    static let ready: Void = xmlInitParser()
}
