// LicenseGuesser: licence texts and package manifests.
import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

@Suite struct LicenseGuesserTests {
    @Test func licenceTextsAndManifests() {
        #expect(LicenseGuesser.fromText(TestRepository.mit) == "MIT")
        #expect(
            LicenseGuesser.fromText("Apache License\n   Version 2.0, January 2004\n http://www.apache.org/licenses/")
                == "Apache-2.0")
        #expect(
            LicenseGuesser.fromText(
                "Redistribution and use in source and binary forms, with or without modification...\n3. Neither the name of the copyright holder"
            ) == "BSD-3-Clause")
        #expect(LicenseGuesser.fromText("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007") == "GPL-3.0")
        #expect(LicenseGuesser.fromText("hello") == nil)
        #expect(
            LicenseGuesser.fromManifest(name: "package.json", text: "{\n  \"name\": \"x\",\n  \"license\": \"ISC\"\n}")
                == "ISC")
        #expect(
            LicenseGuesser.fromManifest(name: "Cargo.toml", text: "[package]\nlicense = \"MIT OR Apache-2.0\"\n")
                == "MIT OR Apache-2.0")
        #expect(
            LicenseGuesser.fromManifest(
                name: "pyproject.toml", text: "[project]\nlicense = {text = \"BSD-3-Clause\"}\n") == "BSD-3-Clause")
        #expect(LicenseGuesser.fromManifest(name: "x.gemspec", text: "  s.license = 'MIT'\n") == "MIT")
        #expect(LicenseGuesser.combine(["MIT", "Apache-2.0", "MIT"]) == "Apache-2.0 OR MIT")
    }
}
