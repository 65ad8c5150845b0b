// pii: each kind found and redacted, checksums that fail are kept, tag and drop modes, counts per
// kind, and text that must stay untouched (real documents, split patterns, binary-looking input).
import Foundation
import SluiceClean
import SluiceCore
import SluiceTestSupport
import Testing

@Suite struct PIIStepTests {
    func redact(_ text: String, _ options: [String: String] = [:]) throws -> String {
        try run("pii", text, options).1.text
    }

    @Test func emailsAsDatatrove() throws {
        #expect(
            try redact("Write to jane.doe+news@mail.example.co.uk or bob@example.org.")
                == "Write to <EMAIL_ADDRESS> or <EMAIL_ADDRESS>.")
        // The local part stops at "..", a domain needs a dot, a trailing hyphen is not part of it.
        #expect(try redact("x..y@example.com") == "x..<EMAIL_ADDRESS>")
        #expect(try redact("user@localhost and @handle") == "user@localhost and @handle")
        #expect(try redact("a@b.co- end") == "<EMAIL_ADDRESS>- end")
    }

    @Test func publicIPAddressesOnly() throws {
        #expect(
            try redact("DNS 8.8.8.8, router 192.168.1.1, loopback 127.0.0.1, shared 100.64.0.1")
                == "DNS <IP_ADDRESS>, router 192.168.1.1, loopback 127.0.0.1, shared 100.64.0.1")
        #expect(
            try redact("router 192.168.1.1", ["public_ips_only": "false"]) == "router <IP_ADDRESS>")
        #expect(
            try redact("v6 2606:4700:4700::1111 and 2001:db8::1 and fe80::1 and ::1")
                == "v6 <IP_ADDRESS> and 2001:db8::1 and fe80::1 and ::1")
        #expect(try redact("full 2a00:1450:4001:0829:0000:0000:0000:200e.") == "full <IP_ADDRESS>.")
        // Versions, times and leading zeros are not addresses.
        #expect(try redact("version 1.2.3.4.5, at 10:30:45, 010.1.1.1") == "version 1.2.3.4.5, at 10:30:45, 010.1.1.1")
        #expect(PIIScanner.isGlobalIPv4(0xC000_0009) && !PIIScanner.isGlobalIPv4(0xC000_0001))
    }

    @Test func phoneNumbers() throws {
        #expect(try redact("Call +44 20 7946 0958 today") == "Call <PHONE_NUMBER> today")
        #expect(try redact("Call (202) 555-0143 or 202.555.0143") == "Call <PHONE_NUMBER> or <PHONE_NUMBER>")
        #expect(try redact("Toll free 1-800-555-0199.") == "Toll free <PHONE_NUMBER>.")
        #expect(try redact("Tél. 06 12 34 56 78") == "Tél. <PHONE_NUMBER>")
        #expect(try redact("+14155552671") == "<PHONE_NUMBER>")
        // Dates, ISBNs, prices, years and ids stay.
        let plain = "On 2024-01-15 ISBN 978-3-16-148410-0 cost 1,299.00 in 1999; order 123456789012, tel 555-0143"
        #expect(try redact(plain) == plain)
    }

    @Test func cardsNeedLuhnAndAnIssuer() throws {
        #expect(try redact("card 4111 1111 1111 1111 exp") == "card <CREDIT_CARD> exp")
        #expect(try redact("amex 378282246310005, mc 5555-5555-5555-4444") == "amex <CREDIT_CARD>, mc <CREDIT_CARD>")
        // One digit off fails the Luhn check: kept.
        #expect(try redact("card 4111 1111 1111 1112 exp") == "card 4111 1111 1111 1112 exp")
        // Luhn-valid but no issuer starts with 9.
        #expect(try redact("id 9111111111111110") == "id 9111111111111110")
    }

    @Test func ibansNeedTheirChecksumAndLength() throws {
        #expect(try redact("IBAN GB82 WEST 1234 5698 7654 32.") == "IBAN <IBAN_CODE>.")
        #expect(try redact("DE89370400440532013000 and FR1420041010050500013M02606") == "<IBAN_CODE> and <IBAN_CODE>")
        #expect(try redact("IBAN GB82 WEST 1234 5698 7654 33.") == "IBAN GB82 WEST 1234 5698 7654 33.")
        #expect(try redact("DE8937040044053201300") == "DE8937040044053201300")  // one character short
    }

    @Test func patternsSplitAcrossALineBreakAreNotJoined() throws {
        let text = "mail jane.doe@\nexample.com, card 4111 1111\n1111 1111, phone +44 20\n7946 0958"
        #expect(try redact(text) == text)
    }

    @Test func tagModeWritesCodePointSpans() throws {
        let (v, d) = try run("pii", "Café — ask a@b.co or 8.8.4.4", ["mode": "tag"])
        #expect(v == .keep)
        #expect(d.text == "Café — ask a@b.co or 8.8.4.4")
        #expect(d.metadata["pii"] == .array([[11, 17, "EMAIL_ADDRESS"], [21, 28, "IP_ADDRESS"]]))
        let text = "Café — ask a@b.co or 8.8.4.4"
        let scalars = Array(text.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[11..<17])) == "a@b.co")
        let (_, named) = try run("pii", "a@b.co", ["mode": "tag", "tag_key": "spans"])
        #expect(named.metadata["spans"] != nil)
    }

    @Test func dropModeAboveACountAndCountsPerKind() throws {
        var step = try makeStep("pii", ["mode": "drop", "max_matches": "1"])
        let context = testContext("pii")
        var one = Document(id: "1", text: "only a@b.co here", source: "t")
        #expect(try step.apply(to: &one, context: context) == .keep)
        #expect(one.text == "only a@b.co here")
        var two = Document(id: "2", text: "a@b.co and 8.8.8.8 and c@d.org", source: "t")
        #expect(try step.apply(to: &two, context: context) == drop("pii:too_many_matches"))
        let counters = context.stats.stages[0].counters
        #expect(counters["email"] == 3 && counters["ip_address"] == 1 && counters["documents_with_pii"] == 2)
    }

    @Test func placeholdersAndKindsAreConfigurable() throws {
        #expect(try redact("a@b.co 8.8.8.8", ["email_replacement": "\"[email]\""]) == "[email] <IP_ADDRESS>")
        #expect(try redact("a@b.co 8.8.8.8", ["kinds": "[ip_address]"]) == "a@b.co <IP_ADDRESS>")
        #expect(throws: SluiceError.self) { try makeStep("pii", ["kinds": "[names]"]) }
        #expect(throws: SluiceError.self) { try makeStep("pii", ["mode": "mask"]) }
        #expect(throws: SluiceError.self) { try makeStep("pii", ["max_matches": "-1"]) }
    }

    @Test func emptyBinaryAndRealTextSurvive() throws {
        #expect(try run("pii", "").0 == .keep)
        var bytes = [UInt8](repeating: 0, count: 4096)
        var x: UInt32 = 12345
        for i in bytes.indices {
            x = x &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        let binary = String(decoding: bytes, as: UTF8.self)
        let (v, _) = try run("pii", binary)
        #expect(v == .keep)
        // Real web documents without personal data come out byte for byte.
        for text in try dolmaDocuments() {
            let found = PIIScanner().matches(in: text)
            let out = try redact(text)
            #expect(found.isEmpty == (out == text))
        }
    }

    @Test func stageIsListedWithDescribedOptions() throws {
        var o = StageOptions.describing("pii")
        _ = try PIIStep(options: &o)
        #expect(o.specs.count >= 9)
        #expect(o.specs.allSatisfy { !$0.help.isEmpty })
    }
}
