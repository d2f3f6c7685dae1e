//! The parser on the tricky parts of the syntax, and on every fixture Dockerfile.

use std::path::{Path, PathBuf};

use drydock_dockerfile::syntax::{Body, Command};
use drydock_dockerfile::{DockerfileError, Keyword, LintConfig, Position, lint, parse, parse_file};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dockerfiles")
}

fn fixture(name: &str) -> drydock_dockerfile::Dockerfile {
    parse_file(&fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_parses_and_the_hardened_one_has_no_finding() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let file = parse_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let findings = lint(&file, &LintConfig::default());
        if path.ends_with("hardened.Dockerfile") {
            assert!(findings.is_empty(), "{findings:#?}");
        }
        count += 1;
    }
    assert!(count >= 15, "{count} fixtures");
}

#[test]
fn heredocs() {
    let file = fixture("heredocs.Dockerfile");
    let run = &file.instructions[2];
    assert_eq!(run.keyword, Keyword::Run);
    assert_eq!(run.flags.len(), 2);
    assert_eq!(run.heredocs[0].delimiter, "EOT");
    assert!(run.heredocs[0].body.text.starts_with("    set -eux\n"));
    assert_eq!(run.end_line, 10);
    let config = &file.instructions[3];
    assert!(config.heredocs[0].strip_tabs && config.heredocs[0].quoted);
    assert_eq!(config.heredocs[0].body.text, "[server]\nport = $PORT\n");
    let Body::Copy(copy) = &config.body else { panic!("COPY") };
    assert_eq!(copy.destination.value, "/etc/app/config.ini");
    let scripts = &file.instructions[4];
    assert_eq!(scripts.heredocs.len(), 2);
    assert_eq!(scripts.heredocs[1].body.text, "#!/bin/sh\necho two\n");
    assert_eq!(scripts.heredocs[1].body.position(0), Position::new(19, 1));
    let python = &file.instructions[5];
    assert_eq!(python.heredocs[0].body.text, "import os\nprint(os.getcwd())\n");
    assert_eq!(file.instructions[7].keyword, Keyword::From);
    assert_eq!(file.instructions[7].position.line, 29);
}

#[test]
fn backtick_escape_and_windows_paths() {
    let file = fixture("windows-escape.Dockerfile");
    assert_eq!(file.escape, '`');
    let Body::Workdir(dir) = &file.instructions[2].body else {
        panic!("WORKDIR")
    };
    assert_eq!(dir.value, "C:\\app");
    let Body::Run(Command::Shell(script)) = &file.instructions[3].body else {
        panic!("RUN")
    };
    assert!(script.text.contains("Out-Null ;     Expand-Archive"));
    assert_eq!(file.instructions[3].end_line, 8);
    let Body::Env(pairs) = &file.instructions[5].body else {
        panic!("ENV")
    };
    assert_eq!(pairs[1].key, "PATH");
    assert_eq!(pairs[1].value, "C:\\tools;C:\\Windows\\system32");
    assert_eq!(pairs[1].position, Position::new(11, 5));
    let Body::Cmd(Command::Exec(words)) = &file.instructions[7].body else {
        panic!("CMD")
    };
    assert_eq!(words[0].value, "C:\\tools\\tool.exe");
}

#[test]
fn continuations_with_comments_and_every_instruction() {
    let file = fixture("continuations.Dockerfile");
    let Body::Run(Command::Shell(script)) = &file.instructions[1].body else {
        panic!("RUN")
    };
    assert!(!script.text.contains('#'));
    assert!(script.text.contains("curl=7.88.1-10+deb12u8"));
    let offset = script.text.find("git=").unwrap();
    assert_eq!(script.position(offset), Position::new(11, 9));
    assert!(file.comments.iter().filter(|c| c.inside_instruction).count() >= 2);
    let Body::Env(legacy) = &file.instructions[2].body else {
        panic!("ENV")
    };
    assert!(legacy[0].legacy && legacy[0].key == "LANG" && legacy[0].value == "C.UTF-8");
    let Body::Label(labels) = &file.instructions[4].body else {
        panic!("LABEL")
    };
    assert_eq!(labels[0].value, "line one line two");
    let Body::Onbuild(inner) = &file.instructions[6].body else {
        panic!("ONBUILD")
    };
    assert_eq!(inner.keyword, Keyword::Copy);
    let health = &file.instructions[8];
    assert_eq!(health.flag("interval").and_then(|f| f.value.as_deref()), Some("1m"));
    assert!(matches!(&health.body, Body::Healthcheck(Some(Command::Shell(_)))));
    let Body::Volume(volumes) = &file.instructions[10].body else {
        panic!("VOLUME")
    };
    assert_eq!(volumes.len(), 2);
    let Body::Volume(volumes) = &file.instructions[11].body else {
        panic!("VOLUME")
    };
    assert_eq!(volumes[1].value, "/tmp/x");
}

#[test]
fn flags_forms_and_stages() {
    let text = "ARG V=3.20\nfrom --platform=$BUILDPLATFORM alpine:$V as Build\nCOPY --from=build --chown=1:1 --chmod=755 --link [\"a b\", \"/c/\"]\nADD --checksum=sha256:ab --keep-git-dir=true https://x/y.git /src\nRUN --network=none --security=insecure [\"make\"]\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nSTOPSIGNAL SIGINT\nHEALTHCHECK --start-interval=1s --retries=2 CMD [\"true\"]\n";
    let file = parse("Dockerfile", text).unwrap();
    let stages = file.stages();
    assert_eq!(stages.len(), 1);
    assert_eq!(stages[0].name().as_deref(), Some("build"));
    assert_eq!(stages[0].from.flag("platform").unwrap().position, Position::new(2, 6));
    let Body::Copy(copy) = &file.instructions[2].body else {
        panic!("COPY")
    };
    assert!(copy.json && copy.sources[0].value == "a b");
    assert_eq!(file.instructions[2].flags.len(), 4);
    assert_eq!(
        file.instructions[3].flag("checksum").unwrap().value.as_deref(),
        Some("sha256:ab")
    );
    assert!(matches!(&file.instructions[4].body, Body::Run(Command::Exec(w)) if w[0].value == "make"));
    assert_eq!(file.global_args().next().unwrap().default.as_deref(), Some("3.20"));
}

fn error(text: &str) -> String {
    match parse("bad/Dockerfile", text) {
        Err(e @ (DockerfileError::Syntax { .. } | DockerfileError::Invalid { .. })) => e.to_string(),
        other => panic!("{text:?} gave {other:?}"),
    }
}

#[test]
fn errors_name_file_line_and_problem() {
    assert_eq!(
        error("FROM a\nFOO bar\n"),
        "bad/Dockerfile:2:1: unknown instruction `FOO`"
    );
    assert_eq!(
        error("RUN x\nFROM a\n"),
        "bad/Dockerfile:1:1: RUN before the first FROM: only ARG may come before FROM"
    );
    assert!(error("").contains("no FROM instruction"));
    assert!(error("# only a comment\nARG X\n").contains("no FROM"));
    assert!(error("FROM a\nRUN --mount\n").contains("2:5: RUN: flag --mount needs a value"));
    assert!(error("FROM a\nCOPY --frm=x a b\n").contains("unknown flag --frm"));
    assert!(error("FROM a\nRUN <<EOF\necho\n").contains("2:5: heredoc <<EOF is not terminated"));
    assert!(error("FROM a b c d\n").contains("1:8: FROM: expects"));
    assert!(error("FROM a\nENV A\n").contains("needs a value"));
    assert!(error("FROM a\nENV A=1 B\n").contains("`B` is not KEY=value"));
    assert!(error("FROM a\nSHELL /bin/bash -c\n").contains("SHELL: needs a JSON array"));
    assert!(error("FROM a\nCOPY onlyone\n").contains("needs at least one source"));
    assert!(error("FROM a\nUSER a b\n").contains("2:8: USER: takes exactly one argument"));
    assert!(error("FROM a\nHEALTHCHECK NONE x\n").contains("NONE takes no other arguments"));
    assert!(error("FROM a\nONBUILD ONBUILD RUN x\n").contains("ONBUILD ONBUILD is not allowed"));
    assert!(error("# escape=x\nFROM a\n").contains("1:1: invalid escape character"));
    assert!(error("FROM a\nRUN\n").contains("RUN: needs a command"));
}

#[test]
fn crlf_bom_and_case() {
    let file = parse(
        "Dockerfile",
        "\u{feff}from a:1\r\nrun echo \\\r\n  hi\r\ncmd [\"x\"]\r\n",
    )
    .unwrap();
    assert_eq!(file.instructions.len(), 3);
    let Body::Run(Command::Shell(script)) = &file.instructions[1].body else {
        panic!("RUN")
    };
    assert_eq!(script.text, "echo   hi");
}
