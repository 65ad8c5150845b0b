import XCTest
@testable import FilesTests

XCTMain([
    testCase(FilesTests.allTests),
])
