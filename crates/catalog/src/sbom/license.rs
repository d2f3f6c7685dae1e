//! Declared licenses as SBOM formats want them: an SPDX license identifier, an SPDX
//! license expression, or free text.
//!
//! Package metadata says anything from `MIT` to `MIT/Apache-2.0` or a whole license
//! text. Both formats reject an "identifier" that is not on the SPDX license list, so
//! only identifiers drydock knows to be on it (the common ones below, a subset of the
//! list that the CycloneDX schema's `spdx.schema.json` enumerates; a test checks that)
//! and well-formed expressions built from them are passed on as such; the rest is kept
//! as a license name (CycloneDX) or an extracted `LicenseRef-` (SPDX).

use std::collections::BTreeMap;

/// SPDX license identifiers (exact case) passed on as identifiers.
pub(crate) const KNOWN_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-1.0-only",
    "AGPL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-2-Clause-Patent",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "CECILL-2.1",
    "CPL-1.0",
    "curl",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.1",
    "EUPL-1.2",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MIT",
    "MIT-0",
    "MIT-CMU",
    "MPL-1.1",
    "MPL-2.0",
    "MPL-2.0-no-copyleft-exception",
    "MS-PL",
    "MS-RL",
    "NCSA",
    "ODbL-1.0",
    "OFL-1.1",
    "OpenSSL",
    "OSL-3.0",
    "PHP-3.0",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Python-2.0.1",
    "Ruby",
    "Sleepycat",
    "TCL",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "zlib-acknowledgement",
    "ZPL-2.1",
];

/// SPDX license exception identifiers accepted after `WITH`.
pub(crate) const KNOWN_EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-2.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "Font-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "Linux-syscall-note",
    "LLVM-exception",
    "OpenJDK-assembly-exception-1.0",
    "Swift-exception",
    "u-boot-exception-2.0",
    "WxWindows-exception-3.1",
];

/// Deeper nesting than this is not a license anyone declared.
const MAX_DEPTH: usize = 32;

/// How one declared license is written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LicenseForm<'a> {
    /// A known SPDX license identifier.
    Id(&'a str),
    /// A well-formed SPDX license expression (operators, `+`, `LicenseRef-`).
    Expression(&'a str),
    /// Anything else.
    Name(&'a str),
}

pub(crate) fn classify(text: &str) -> LicenseForm<'_> {
    let text = text.trim();
    if KNOWN_IDS.contains(&text) {
        LicenseForm::Id(text)
    } else if is_expression(text) {
        LicenseForm::Expression(text)
    } else {
        LicenseForm::Name(text)
    }
}

/// Whether `text` is an SPDX license expression over known identifiers.
pub(crate) fn is_expression(text: &str) -> bool {
    let tokens = tokens(text);
    if tokens.is_empty() {
        return false;
    }
    let mut parser = Parser { tokens, at: 0 };
    parser.expression(0) && parser.at == parser.tokens.len()
}

fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut rest = word;
        while !rest.is_empty() {
            let cut = rest.find(['(', ')']).unwrap_or(rest.len());
            if cut == 0 {
                out.push(&rest[..1]);
                rest = &rest[1..];
            } else {
                out.push(&rest[..cut]);
                rest = &rest[cut..];
            }
        }
    }
    out
}

/// A recursive-descent check of `expr := term (OR term)*`, `term := factor (AND factor)*`,
/// `factor := "(" expr ")" | license [WITH exception]`.
struct Parser<'a> {
    tokens: Vec<&'a str>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).copied()
    }

    fn eat_operator(&mut self, operator: &str) -> bool {
        let matches = self
            .peek()
            .is_some_and(|t| t == operator || t == operator.to_ascii_lowercase());
        if matches {
            self.at += 1;
        }
        matches
    }

    fn expression(&mut self, depth: usize) -> bool {
        if !self.term(depth) {
            return false;
        }
        while self.eat_operator("OR") {
            if !self.term(depth) {
                return false;
            }
        }
        true
    }

    fn term(&mut self, depth: usize) -> bool {
        if !self.factor(depth) {
            return false;
        }
        while self.eat_operator("AND") {
            if !self.factor(depth) {
                return false;
            }
        }
        true
    }

    fn factor(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some("(") => {
                if depth >= MAX_DEPTH {
                    return false;
                }
                self.at += 1;
                if !self.expression(depth + 1) || self.peek() != Some(")") {
                    return false;
                }
                self.at += 1;
                true
            }
            Some(token) if is_license_token(token) => {
                self.at += 1;
                if self.eat_operator("WITH") {
                    let exception = self.peek().is_some_and(|t| KNOWN_EXCEPTIONS.contains(&t));
                    self.at += 1;
                    return exception;
                }
                true
            }
            _ => false,
        }
    }
}

fn is_license_token(token: &str) -> bool {
    let id = token.strip_suffix('+').unwrap_or(token);
    if KNOWN_IDS.contains(&id) {
        return true;
    }
    let reference = match token.split_once(':') {
        Some((document, reference)) if is_ref(document, "DocumentRef-") => reference,
        Some(_) => return false,
        None => token,
    };
    is_ref(reference, "LicenseRef-")
}

fn is_ref(token: &str, prefix: &str) -> bool {
    token.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

/// Longest idString of a `LicenseRef-` made from free text.
const MAX_REF_CHARS: usize = 64;

/// SPDX `licenseDeclared` values, with a `LicenseRef-` for each free-text license; the
/// refs and the texts they stand for are collected for `hasExtractedLicensingInfos`.
#[derive(Debug, Default)]
pub(crate) struct LicenseRefs {
    /// Free text → its `LicenseRef-…`.
    by_text: BTreeMap<String, String>,
}

impl LicenseRefs {
    /// One expression for all of a package's declared licenses (joined with `AND`), or
    /// `NOASSERTION` when it declares none.
    pub(crate) fn declared(&mut self, licenses: &[String]) -> String {
        let parts: Vec<String> = licenses
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|license| match classify(license) {
                LicenseForm::Id(id) => id.to_string(),
                LicenseForm::Expression(expression) if licenses.len() > 1 => format!("({expression})"),
                LicenseForm::Expression(expression) => expression.to_string(),
                LicenseForm::Name(name) => self.reference(name),
            })
            .collect();
        if parts.is_empty() {
            "NOASSERTION".to_string()
        } else {
            parts.join(" AND ")
        }
    }

    fn reference(&mut self, text: &str) -> String {
        if let Some(existing) = self.by_text.get(text) {
            return existing.clone();
        }
        let mut id_string: String = text
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
            .take(MAX_REF_CHARS)
            .collect();
        id_string = id_string.trim_matches('-').to_string();
        if id_string.is_empty() {
            id_string = "unnamed".to_string();
        }
        let mut reference = format!("LicenseRef-{id_string}");
        let mut n = 2;
        while self.by_text.values().any(|r| *r == reference) {
            reference = format!("LicenseRef-{id_string}-{n}");
            n += 1;
        }
        self.by_text.insert(text.to_string(), reference.clone());
        reference
    }

    /// `(LicenseRef-…, text)` for every free-text license seen, sorted by ref.
    pub(crate) fn extracted(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self.by_text.iter().map(|(t, r)| (r.clone(), t.clone())).collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_ids_expressions_and_names() {
        assert_eq!(classify("MIT"), LicenseForm::Id("MIT"));
        assert_eq!(classify(" Apache-2.0 "), LicenseForm::Id("Apache-2.0"));
        assert_eq!(
            classify("(MIT OR Apache-2.0)"),
            LicenseForm::Expression("(MIT OR Apache-2.0)")
        );
        assert_eq!(
            classify("GPL-2.0-only WITH Classpath-exception-2.0"),
            LicenseForm::Expression("GPL-2.0-only WITH Classpath-exception-2.0")
        );
        assert_eq!(classify("GPL-2.0+"), LicenseForm::Expression("GPL-2.0+"));
        assert_eq!(classify("LicenseRef-acme"), LicenseForm::Expression("LicenseRef-acme"));
        assert_eq!(classify("MIT and ISC"), LicenseForm::Expression("MIT and ISC"));
        for name in [
            "BSD",
            "mit",
            "MIT/Apache-2.0",
            "Apache 2.0",
            "MIT OR",
            "(MIT",
            "MIT)",
            "MIT AND OR ISC",
            "MIT WITH Nonsense",
            "LicenseRef-",
            "",
        ] {
            assert_eq!(classify(name), LicenseForm::Name(name), "{name}");
        }
    }

    #[test]
    fn deep_nesting_is_not_an_expression() {
        let deep = format!("{}MIT{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(classify(&deep), LicenseForm::Name(&deep));
        assert!(is_expression("((MIT))"));
    }

    #[test]
    fn declared_licenses_become_one_spdx_expression() {
        let mut refs = LicenseRefs::default();
        assert_eq!(refs.declared(&[]), "NOASSERTION");
        assert_eq!(refs.declared(&["MIT".into()]), "MIT");
        assert_eq!(refs.declared(&["MIT OR ISC".into()]), "MIT OR ISC");
        assert_eq!(
            refs.declared(&["MIT OR ISC".into(), "BSD".into()]),
            "(MIT OR ISC) AND LicenseRef-BSD"
        );
        assert_eq!(refs.declared(&["Apache 2.0".into()]), "LicenseRef-Apache-2.0");
        assert_eq!(refs.declared(&["Apache/2.0".into()]), "LicenseRef-Apache-2.0-2");
        assert_eq!(refs.declared(&["BSD".into()]), "LicenseRef-BSD");
        assert_eq!(refs.declared(&["%%%".into()]), "LicenseRef-unnamed");
        assert_eq!(
            refs.extracted(),
            [
                ("LicenseRef-Apache-2.0".to_string(), "Apache 2.0".to_string()),
                ("LicenseRef-Apache-2.0-2".to_string(), "Apache/2.0".to_string()),
                ("LicenseRef-BSD".to_string(), "BSD".to_string()),
                ("LicenseRef-unnamed".to_string(), "%%%".to_string()),
            ]
        );
    }

    /// Every identifier drydock writes as an identifier is on the SPDX license list as the
    /// CycloneDX schema shipped in tests/fixtures/schemas enumerates it.
    #[test]
    fn known_ids_are_on_the_spdx_list() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/schemas/spdx.schema.json"
        );
        let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for id in KNOWN_IDS.iter().chain(KNOWN_EXCEPTIONS) {
            assert!(listed.contains(id), "{id} is not on the SPDX list");
        }
    }
}
