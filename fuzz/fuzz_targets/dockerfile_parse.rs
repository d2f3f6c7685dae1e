//! Dockerfiles: the parser (directives, continuations, heredocs, flags, JSON forms), then
//! every DD-DF rule over what parsed, and the shell splitter on the raw text.
#![no_main]

use drydock_dockerfile::{LintConfig, lint, parse, shell};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count() as u32;
    if let Ok(file) = parse("Dockerfile", &text) {
        for instruction in &file.instructions {
            assert!(instruction.position.line >= 1 && instruction.end_line <= lines);
            assert!(instruction.position.line <= instruction.end_line);
        }
        for finding in lint(&file, &LintConfig::default()) {
            let line = finding.location.line.unwrap_or(0);
            assert!(line >= 1 && line <= lines, "finding on line {line} of {lines}");
        }
    }
    for command in shell::split(&text) {
        assert!(command.offset() <= text.len());
    }
});
