// LabeledData: CSV/TSV reading with quoted fields, missing columns.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceClean

@Suite struct LabeledDataTests {
    @Test func csvQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let dir = try TestSupport.temporaryDirectory("csv")
        let path = dir + "/d.csv"
        try ",count,class,tweet\n0,3,2,\"hello, \"\"world\"\"\nsecond line\"\n1,3,1,plain\r\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let rows = try LabeledData.read(path: path, textField: "tweet", labelField: "class")
        #expect(
            rows == [
                LabeledExample(text: "hello, \"world\"\nsecond line", label: "2"),
                LabeledExample(text: "plain", label: "1"),
            ])
    }

    @Test func missingColumnsAreClearErrors() throws {
        let path = TestSupport.fixture("clean/sms-spam-300.tsv")
        do {
            _ = try LabeledData.read(path: path, textField: "text", labelField: "Label")
            Issue.record("expected an error")
        } catch let e as SluiceError {
            #expect(e.description.contains("no column 'text'"))
            #expect(e.description.contains("'SMS'"))
        }
        let dir = try TestSupport.temporaryDirectory("tsv")
        try "Label\tSMS\nham\thello\nspam\n".write(toFile: dir + "/short.tsv", atomically: true, encoding: .utf8)
        #expect(throws: SluiceError.self) {
            try LabeledData.read(path: dir + "/short.tsv", textField: "SMS", labelField: "Label")
        }
        try "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n".write(
            toFile: dir + "/d.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try LabeledData.read(path: dir + "/d.jsonl", textField: "text", labelField: "label")
            Issue.record("expected an error")
        } catch let e as SluiceError { #expect(e.line == 2) }
    }
}
