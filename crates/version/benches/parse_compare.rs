//! Parse and compare throughput of each scheme on versions typical of its ecosystem.

use criterion::{Criterion, criterion_group, criterion_main};
use drydock_version::Scheme;
use std::hint::black_box;

const SAMPLES: &[(Scheme, &[&str])] = &[
    (
        Scheme::Dpkg,
        &[
            "2.36-9+deb12u4",
            "1:2.38.1-5+deb12u1",
            "1.8+dfsg~alpha1-2",
            "3.0.17-1~deb12u3",
        ],
    ),
    (
        Scheme::Apk,
        &["1.2.3-r0", "3.1.4_p2-r5", "0.1.0_alpha_pre2", "2.14.4~4ba2e3b-r1"],
    ),
    (
        Scheme::Rpm,
        &[
            "0:4.18.0-513.5.1.el8_9",
            "2.28-251.el9",
            "1:1.1.1k-12.el8_9",
            "5.4.4-3.el8^20230101",
        ],
    ),
    (
        Scheme::Pep440,
        &["1.12.0.dev1131", "2.6.0b3", "1!2.0.post1", "0.73.0rc6+local.1"],
    ),
    (
        Scheme::SemVer,
        &["1.2.3", "4.17.21", "1.0.0-alpha.1", "2.0.0-rc.2+build.5"],
    ),
    (
        Scheme::Go,
        &[
            "v1.2.3",
            "0.0.0-20191109021931-daa7c04131f5",
            "v2.1.0+incompatible",
            "v0.17.0",
        ],
    ),
    (
        Scheme::Maven,
        &["2.17.1", "5.3.31.RELEASE", "1.0-alpha-2", "9.4.53.v20231009"],
    ),
    (Scheme::RubyGems, &["7.0.8.1", "1.16.0.rc1", "2.5.3", "6.1.7.6"]),
    (
        Scheme::NuGet,
        &["6.0.0", "8.0.0-preview.7.23375.6", "4.3.0.1", "13.0.3"],
    ),
    (Scheme::Packagist, &["v5.4.32", "1.0.0-beta2", "10.3.0", "2.0.0-RC1"]),
];

fn parse_and_compare(c: &mut Criterion) {
    for (scheme, versions) in SAMPLES {
        c.bench_function(&format!("{scheme} parse"), |b| {
            b.iter(|| {
                for v in *versions {
                    black_box(scheme.parse(black_box(v)).is_ok());
                }
            })
        });
        let parsed: Vec<_> = versions.iter().map(|v| scheme.parse(v).unwrap()).collect();
        c.bench_function(&format!("{scheme} compare parsed"), |b| {
            b.iter(|| {
                for x in &parsed {
                    for y in &parsed {
                        black_box(x.cmp(y));
                    }
                }
            })
        });
    }
}

criterion_group!(benches, parse_and_compare);
criterion_main!(benches);
