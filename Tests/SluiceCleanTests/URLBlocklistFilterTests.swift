// url_blocklist: domains and their subdomains.
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct URLBlocklistFilterTests {
    @Test func blocksDomainsAndSubdomains() throws {
        let dir = try TestSupport.temporaryDirectory("blocklist")
        let path = dir + "/domains.txt"
        try "# ad networks\nexample-ads.com\n*.tracker.net\nwww.spam.org\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        func check(_ url: String?) throws -> Verdict {
            var m = JSONObject()
            if let url { m["url"] = .string(url) }
            return try run("url_blocklist", "text", ["path": path], metadata: m).0
        }
        #expect(try check("https://cdn.Example-Ads.com:443/x?y") == drop("url_blocklist:domain"))
        #expect(try check("http://tracker.net/") == drop("url_blocklist:domain"))
        #expect(try check("https://spam.org") == drop("url_blocklist:domain"))
        #expect(try check("https://notexample-ads.com/") == .keep)
        #expect(try check(nil) == .keep)
    }
}
