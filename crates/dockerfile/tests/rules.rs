//! Every rule fires on its positive case and stays quiet on its negative case.

use drydock_dockerfile::{LintConfig, lint, parse, rules};

/// (rule, Dockerfile that must trigger it, Dockerfile that must not)
const CASES: &[(&str, &str, &str)] = &[
    ("DD-DF-001", "FROM debian\n", "FROM debian:12\n"),
    (
        "DD-DF-001",
        "ARG BASE=alpine\nFROM ${BASE}\n",
        "ARG BASE=alpine:3.20\nFROM $BASE\nFROM scratch\n",
    ),
    ("DD-DF-002", "FROM debian:latest\n", "FROM debian:latest@sha256:0123\n"),
    (
        "DD-DF-003",
        "FROM --platform=linux/amd64 debian:12\n",
        "FROM --platform=$BUILDPLATFORM debian:12\n",
    ),
    (
        "DD-DF-004",
        "FROM a:1 AS build\nFROM b:1 AS Build\n",
        "FROM a:1 AS build\nFROM b:1 AS test\n",
    ),
    (
        "DD-DF-005",
        "FROM a:1 AS one\nCOPY --from=two /x /x\nFROM b:1 AS two\n",
        "FROM a:1 AS one\nFROM b:1 AS two\nCOPY --from=one /x /x\nCOPY --from=0 /y /y\nCOPY --from=nginx:1.27 /z /z\n",
    ),
    (
        "DD-DF-005",
        "FROM a:1\nCOPY --from=builder /x /x\n",
        "FROM a:1\nCOPY --from=registry.io/x/y /x /x\n",
    ),
    (
        "DD-DF-006",
        "FROM a:1 AS app\nCOPY --from=app /x /y\n",
        "FROM a:1 AS base\nFROM base AS app\nCOPY --from=base /x /y\n",
    ),
    (
        "DD-DF-010",
        "FROM a:1\nUSER app\nUSER root\n",
        "FROM a:1\nUSER root\nUSER app\n",
    ),
    ("DD-DF-010", "FROM a:1\nUSER 0:0\n", "FROM a:1\nUSER 1000:1000\n"),
    (
        "DD-DF-011",
        "FROM a:1\nRUN true\n",
        "FROM a:1 AS base\nUSER app\nFROM base\nRUN true\n",
    ),
    (
        "DD-DF-012",
        "FROM a:1\nRUN sudo apt-get update\n",
        "FROM a:1\nRUN apt-get update # no sudo\n",
    ),
    (
        "DD-DF-013",
        "FROM a:1\nRUN useradd -u 123456789 app\n",
        "FROM a:1\nRUN useradd -l -u 123456789 app && useradd -u 1000 other\n",
    ),
    (
        "DD-DF-014",
        "FROM a:1\nRUN chmod -R 777 /app\n",
        "FROM a:1\nRUN chmod 1777 /scratch && chmod 755 /app\n",
    ),
    (
        "DD-DF-014",
        "FROM a:1\nCOPY --chmod=o+w x /x\n",
        "FROM a:1\nCOPY --chmod=0644 x /x\n",
    ),
    (
        "DD-DF-020",
        "FROM a:1\nWORKDIR app\n",
        "FROM a:1\nWORKDIR /app\nWORKDIR $HOME\n",
    ),
    (
        "DD-DF-021",
        "FROM a:1\nCMD node server.js\n",
        "FROM a:1\nCMD [\"node\", \"server.js\"]\n",
    ),
    (
        "DD-DF-021",
        "FROM a:1\nENTRYPOINT /entry.sh\n",
        "FROM a:1\nENTRYPOINT [\"/entry.sh\"]\n",
    ),
    (
        "DD-DF-022",
        "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n",
        "FROM a:1\nCMD [\"a\"]\nFROM b:1\nCMD [\"b\"]\n",
    ),
    (
        "DD-DF-023",
        "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
        "FROM a:1\nENTRYPOINT [\"a\"]\nCMD [\"b\"]\n",
    ),
    (
        "DD-DF-024",
        "FROM a:1\nHEALTHCHECK CMD [\"a\"]\nHEALTHCHECK NONE\n",
        "FROM a:1\nHEALTHCHECK --interval=5s CMD [\"a\"]\n",
    ),
    (
        "DD-DF-025",
        "FROM a:1\nHEALTHCHECK NONE\nFROM b:1\n",
        "FROM a:1\nFROM b:1\nHEALTHCHECK NONE\n",
    ),
    (
        "DD-DF-026",
        "FROM a:1\nMAINTAINER me <me@example.org>\n",
        "FROM a:1\nLABEL org.opencontainers.image.authors=me\n",
    ),
    (
        "DD-DF-027",
        "FROM a:1\nEXPOSE 80000\n",
        "FROM a:1\nEXPOSE 80 443/tcp 53/udp 8000-8010 $PORT\n",
    ),
    ("DD-DF-027", "FROM a:1\nEXPOSE 8080:80\n", "FROM a:1\nEXPOSE 8080\n"),
    ("DD-DF-027", "FROM a:1\nEXPOSE 90-80\n", "FROM a:1\nEXPOSE 80-90/sctp\n"),
    ("DD-DF-028", "FROM a:1\nEXPOSE 22/tcp\n", "FROM a:1\nEXPOSE 2222\n"),
    (
        "DD-DF-029",
        "FROM a:1\nONBUILD FROM b:1\n",
        "FROM a:1\nONBUILD RUN make\n",
    ),
    (
        "DD-DF-029",
        "FROM a:1\nONBUILD MAINTAINER me\n",
        "FROM a:1\nONBUILD COPY . /src\n",
    ),
    (
        "DD-DF-030",
        "FROM a:1\nENV A=1 B=$A\n",
        "FROM a:1\nENV A=1\nENV B=$A PATH=$PATH:/x\n",
    ),
    (
        "DD-DF-030",
        "FROM a:1\nENV DIR=/x PATHS=${DIR}/bin\n",
        "FROM a:1\nENV DIR=/x PATHS=$DIRECTORY/bin\n",
    ),
    (
        "DD-DF-031",
        "FROM a:1\nENV DEBIAN_FRONTEND=noninteractive\n",
        "FROM a:1\nARG DEBIAN_FRONTEND=noninteractive\n",
    ),
    (
        "DD-DF-032",
        "FROM a:1\nCOPY a b /dest\n",
        "FROM a:1\nCOPY a b /dest/\nCOPY c /file\n",
    ),
    (
        "DD-DF-033",
        "FROM a:1\nCOPY app.py app/\n",
        "FROM a:1\nWORKDIR /srv\nCOPY app.py app/\n",
    ),
    (
        "DD-DF-033",
        "FROM a:1\nADD x.tar.gz opt\n",
        "FROM a:1 AS base\nWORKDIR /w\nFROM base\nCOPY x opt\n",
    ),
    (
        "DD-DF-034",
        "FROM a:1\nRUN a\nRUN b\n",
        "FROM a:1\nRUN a\nWORKDIR /x\nRUN b\nRUN --mount=type=cache,target=/c c\nRUN d && e\nRUN f\n",
    ),
    (
        "DD-DF-040",
        "FROM a:1\nADD app /app\n",
        "FROM a:1\nADD rootfs.tar.gz /\nCOPY app /app\n",
    ),
    (
        "DD-DF-041",
        "FROM a:1\nADD https://example.org/x.tgz /x\n",
        "FROM a:1\nADD --checksum=sha256:abc https://example.org/x.tgz /x\nADD https://github.com/a/b.git /src\n",
    ),
    (
        "DD-DF-042",
        "FROM a:1\nCOPY id_rsa /root/.ssh/\n",
        "FROM a:1\nCOPY id_rsa.pub /keys/\n",
    ),
    (
        "DD-DF-042",
        "FROM a:1\nCOPY .git /src/.git\n",
        "FROM a:1\nCOPY .gitignore /src/\n",
    ),
    (
        "DD-DF-042",
        "FROM a:1\nCOPY .aws/credentials /root/.aws/\n",
        "FROM a:1\nCOPY config/credentials.md /doc/\n",
    ),
    (
        "DD-DF-050",
        "FROM a:1\nENV DB_PASSWORD=hunter2\n",
        "FROM a:1\nENV DB_PASSWORD_FILE=/run/secrets/db PWD=/x\n",
    ),
    (
        "DD-DF-050",
        "FROM a:1\nENV GITHUB_TOKEN ghp_abc\n",
        "FROM a:1\nENV API_KEY=$API_KEY\n",
    ),
    (
        "DD-DF-051",
        "FROM a:1\nARG NPM_TOKEN\n",
        "FROM a:1\nARG NPM_VERSION=10\n",
    ),
    (
        "DD-DF-051",
        "ARG API_KEY=abc123\nFROM a:1\n",
        "ARG VERSION=1\nFROM a:1\n",
    ),
    (
        "DD-DF-060",
        "FROM a:1\nRUN curl -fsSL https://x.io/i.sh | bash\n",
        "FROM a:1\nRUN curl -fsSLo i.sh https://x.io/i.sh && sh i.sh\n",
    ),
    (
        "DD-DF-060",
        "FROM a:1\nRUN sh -c \"$(curl -fsSL https://x.io)\"\n",
        "FROM a:1\nRUN curl -fsSL x | tar xz\n",
    ),
    (
        "DD-DF-061",
        "FROM a:1\nRUN cd /src && make\n",
        "FROM a:1\nWORKDIR /src\nRUN make -C /src\n",
    ),
    (
        "DD-DF-062",
        "FROM a:1\nRUN wget -qO- x | tar x\n",
        "FROM a:1\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -qO- x | tar x\n",
    ),
    (
        "DD-DF-062",
        "FROM a:1\nRUN ls | wc -l\n",
        "FROM a:1\nRUN set -eo pipefail; ls | wc -l\n",
    ),
    (
        "DD-DF-063",
        "FROM a:1\nRUN service nginx start\n",
        "FROM a:1\nRUN nginx -t\n",
    ),
    (
        "DD-DF-064",
        "FROM a:1\nRUN wget -q x\nRUN curl -fO y\n",
        "FROM a:1\nRUN curl -fO x && curl -fO y\n",
    ),
    (
        "DD-DF-065",
        "FROM a:1\nRUN wget https://x.io/f\n",
        "FROM a:1\nRUN wget --progress=dot:giga https://x.io/f\n",
    ),
    (
        "DD-DF-066",
        "FROM a:1\nRUN curl -kfsSL https://x.io -o f\n",
        "FROM a:1\nRUN curl -fsSL https://x.io -o f\n",
    ),
    (
        "DD-DF-066",
        "FROM a:1\nRUN pip install --trusted-host pypi.org x==1\n",
        "FROM a:1\nRUN pip install --no-cache-dir x==1\n",
    ),
    (
        "DD-DF-067",
        "FROM a:1\nRUN ln -sf /bin/bash /bin/sh\n",
        "FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\n",
    ),
    (
        "DD-DF-070",
        "FROM a:1\nRUN apt-get install -y --no-install-recommends curl\n",
        "FROM a:1\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10 ./local.deb\n",
    ),
    (
        "DD-DF-071",
        "FROM a:1\nRUN apt-get install --no-install-recommends curl=1\n",
        "FROM a:1\nRUN apt-get -qq install --no-install-recommends curl=1\n",
    ),
    (
        "DD-DF-072",
        "FROM a:1\nRUN apt-get install -y curl=1\n",
        "FROM a:1\nRUN apt-get install -y -o APT::Install-Recommends=false curl=1\n",
    ),
    (
        "DD-DF-073",
        "FROM a:1\nRUN apt-get update && apt-get install -y x=1\n",
        "FROM a:1 AS build\nRUN apt-get update\nFROM b:1\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n",
    ),
    (
        "DD-DF-074",
        "FROM a:1\nRUN apt-get dist-upgrade -y\n",
        "FROM a:1\nRUN apt-get update\n",
    ),
    (
        "DD-DF-075",
        "FROM a:1\nRUN apt install -y x=1\n",
        "FROM a:1\nRUN apt-get install -y x=1\n",
    ),
    (
        "DD-DF-076",
        "FROM a:1\nRUN apk add --no-cache curl\n",
        "FROM a:1\nRUN apk add --no-cache --virtual .deps curl=8.5.0-r0\n",
    ),
    (
        "DD-DF-077",
        "FROM a:1\nRUN apk add curl=8\n",
        "FROM a:1\nRUN apk add --no-cache curl=8\n",
    ),
    (
        "DD-DF-078",
        "FROM a:1\nRUN pip install --no-cache-dir requests\n",
        "FROM a:1\nRUN pip install --no-cache-dir -r req.txt requests==2.3 .\n",
    ),
    (
        "DD-DF-078",
        "FROM a:1\nRUN python3 -m pip install --no-cache-dir flask\n",
        "FROM a:1\nRUN python3 -m pip install --no-cache-dir 'flask>=3'\n",
    ),
    (
        "DD-DF-079",
        "FROM a:1\nRUN pip install x==1\n",
        "FROM a:1\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x==1\n",
    ),
    (
        "DD-DF-080",
        "FROM a:1\nRUN npm install -g typescript\n",
        "FROM a:1\nRUN npm install -g typescript@5.6.3 @types/node@22 && npm install\n",
    ),
    (
        "DD-DF-081",
        "FROM a:1\nRUN gem install rails\n",
        "FROM a:1\nRUN gem install rails:7.2.1 && gem install bundler -v 2.5\n",
    ),
    (
        "DD-DF-082",
        "FROM a:1\nRUN go install golang.org/x/tools/gopls@latest\n",
        "FROM a:1\nRUN go install golang.org/x/tools/gopls@v0.16.2 ./...\n",
    ),
    (
        "DD-DF-083",
        "FROM a:1\nRUN yum install httpd-2.4 && yum clean all\n",
        "FROM a:1\nRUN yum install -y httpd-2.4 && yum clean all\n",
    ),
    (
        "DD-DF-084",
        "FROM a:1\nRUN dnf install -y httpd-2.4\n",
        "FROM a:1\nRUN dnf install -y httpd-2.4 && dnf clean all\n",
    ),
    (
        "DD-DF-085",
        "FROM a:1\nRUN dnf install -y httpd && dnf clean all\n",
        "FROM a:1\nRUN dnf install -y httpd-2.4.57 && dnf clean all\n",
    ),
    (
        "DD-DF-086",
        "FROM a:1\nRUN zypper install curl=8 && zypper clean\n",
        "FROM a:1\nRUN zypper -n install curl=8 && zypper clean\n",
    ),
    (
        "DD-DF-087",
        "FROM a:1\nRUN zypper install -y curl && zypper clean\n",
        "FROM a:1\nRUN zypper install -y curl=8 && zypper clean\n",
    ),
    (
        "DD-DF-088",
        "FROM a:1\nRUN zypper install -y curl=8\n",
        "FROM a:1\nRUN zypper install -y curl=8 && zypper cc\n",
    ),
    (
        "DD-DF-089",
        "FROM a:1\nRUN zypper -n dup\n",
        "FROM a:1\nRUN zypper -n refresh\n",
    ),
    (
        "DD-DF-090",
        "FROM a:1\nRUN yarn install\n",
        "FROM a:1\nRUN yarn install && yarn cache clean\n",
    ),
];

fn fired(text: &str) -> Vec<String> {
    let file = parse("Dockerfile", text).unwrap_or_else(|e| panic!("{text}: {e}"));
    lint(&file, &LintConfig::default())
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn every_rule_fires_on_its_positive_case_only() {
    let mut failures = Vec::new();
    for (rule, positive, negative) in CASES {
        if !fired(positive).iter().any(|r| r == rule) {
            failures.push(format!("{rule} did not fire on:\n{positive}"));
        }
        if fired(negative).iter().any(|r| r == rule) {
            failures.push(format!("{rule} fired on:\n{negative}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_and_at_least_forty_exist() {
    let all = rules::all();
    assert!(all.len() >= 40, "{} rules", all.len());
    for rule in all {
        assert!(
            CASES.iter().any(|(id, _, _)| *id == rule.info.id),
            "{} has no test case",
            rule.info.id
        );
        assert!(rule.info.id.starts_with("DD-DF-") && rule.info.id.len() == 9);
        assert!(!rule.info.title.is_empty() && !rule.info.remediation.is_empty());
    }
}

#[test]
fn rule_ids_are_unique() {
    let mut ids: Vec<&str> = rules::all().iter().map(|r| r.info.id).collect();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn findings_carry_file_line_and_column() {
    let file = parse(
        "app/Dockerfile",
        "FROM a:1\nRUN apt-get update && \\\n    sudo make install\n",
    )
    .unwrap();
    let findings = lint(&file, &LintConfig::default());
    let sudo = findings.iter().find(|f| f.rule == "DD-DF-012").expect("sudo finding");
    assert_eq!(sudo.location.path.as_deref(), Some("app/Dockerfile"));
    assert_eq!((sudo.location.line, sudo.location.column), (Some(3), Some(5)));
}

#[test]
fn secrets_are_masked() {
    let file = parse(
        "Dockerfile",
        "FROM a:1\nENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\nARG TOKEN=s3cr3t\n",
    )
    .unwrap();
    let findings = lint(&file, &LintConfig::default());
    assert_eq!(findings.iter().filter(|f| f.rule.starts_with("DD-DF-05")).count(), 2);
    for finding in findings {
        assert!(!finding.message.contains("wJalrXUtnFEMI") && !finding.message.contains("s3cr3t"));
    }
}

#[test]
fn inline_ignores_directives_and_config_silence_rules() {
    let text = "FROM debian\n# hadolint ignore=DL3008,DL3015\nRUN apt-get install -y curl\n# drydock ignore=DD-DF-061\nRUN cd /x && \\\n  cd /y\nRUN cd /z\n";
    let found = fired(text);
    assert!(!found.iter().any(|r| r == "DD-DF-070" || r == "DD-DF-072"));
    assert_eq!(found.iter().filter(|r| *r == "DD-DF-061").count(), 1);
    assert!(found.iter().any(|r| r == "DD-DF-001"));

    let with_global = format!("# hadolint global ignore=DL3006\n{text}");
    assert!(!fired(&with_global).iter().any(|r| r == "DD-DF-001"));

    let skip = "# check=skip=JSONArgsRecommended,MaintainerDeprecated\nFROM a:1\nCMD run\nMAINTAINER me\n";
    let found = fired(skip);
    assert!(!found.iter().any(|r| r == "DD-DF-021" || r == "DD-DF-026"));
    assert!(found.iter().any(|r| r == "DD-DF-025"));

    let file = parse("Dockerfile", "FROM debian\nCMD run\n").unwrap();
    let config = LintConfig {
        ignored: vec!["DD-DF-021".into(), "dl3006".into(), "NOPE-1".into()],
    };
    let rules: Vec<String> = lint(&file, &config).into_iter().map(|f| f.rule).collect();
    assert!(!rules.iter().any(|r| r == "DD-DF-021" || r == "DD-DF-001"));
    assert_eq!(config.unknown_ids(), ["NOPE-1"]);
}

#[test]
fn heredoc_scripts_are_linted_like_run_lines() {
    let text = "FROM a:1\nRUN <<EOF\nset -e\napt-get update\nsudo make\nEOF\nRUN python3 <<EOF\nimport os; os.system('sudo x')\nEOF\n";
    let file = parse("Dockerfile", text).unwrap();
    let findings = lint(&file, &LintConfig::default());
    let sudo: Vec<_> = findings.iter().filter(|f| f.rule == "DD-DF-012").collect();
    assert_eq!(sudo.len(), 1);
    assert_eq!(sudo[0].location.line, Some(5));
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "DD-DF-073" && f.location.line == Some(4))
    );
}
