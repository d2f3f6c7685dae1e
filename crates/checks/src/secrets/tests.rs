//! Every secret rule against a positive and a negative case. Test values are generated here
//! (a fixed pseudo-random sequence, joined to the rule's prefix at run time), so no token-like
//! literal appears in the source.

use base64::Engine as _;

use super::rules::SECRET_RULES;
use super::{FileContext, SecretScanner};
use crate::allowlist::{AllowList, AllowListFormat};

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHA: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UPNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGITS: &str = "0123456789";
const AGE: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

/// Deterministic stand-in characters.
struct Fake(u64);

impl Fake {
    fn chars(&mut self, alphabet: &str, len: usize) -> String {
        let alphabet = alphabet.as_bytes();
        (0..len)
            .map(|_| {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[((self.0 >> 33) % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    /// Letters and digits, ending in a digit so generic rules see a mix.
    fn mixed(&mut self, len: usize) -> String {
        format!("{}7", self.chars(ALNUM, len - 1))
    }

    fn pem(&mut self, label: &str, lines: usize) -> String {
        let body: String = (0..lines).map(|_| format!("{}\n", self.chars(B64, 64))).collect();
        format!("-----BEGIN {label}-----\n{body}-----END {label}-----\n")
    }
}

fn j(parts: &[&str]) -> String {
    parts.concat()
}

/// (rule id, text with a secret, near miss that must not match).
fn cases() -> Vec<(&'static str, String, String)> {
    let mut f = Fake(0x5eed);
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        f.chars(HEX, 8),
        f.chars(HEX, 4),
        f.chars(HEX, 4),
        f.chars(HEX, 4),
        f.chars(HEX, 12)
    );
    let docker_auth = base64::engine::general_purpose::STANDARD.encode(format!("ci:{}", f.mixed(14)));
    let docker_user_only = base64::engine::general_purpose::STANDARD.encode("justauser");
    let putty = |f: &mut Fake, private: &str| {
        format!(
            "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: k\nPublic-Lines: 2\n{}\n{}\nPrivate-Lines: 1\n{}\nPrivate-MAC: {}\n",
            f.chars(B64, 64),
            f.chars(B64, 20),
            private,
            f.chars(HEX, 64)
        )
    };
    let putty_good = {
        let private = f.chars(B64, 64);
        putty(&mut f, &private)
    };
    let putty_bad = putty(&mut f, "AAAA");
    vec![
        (
            "DD-SEC-001",
            j(&["aws_access_key_id = ", "AKIA", &f.chars(B32, 16)]),
            j(&["id = ", "AKIA", &f.chars(B32, 12)]),
        ),
        (
            "DD-SEC-002",
            j(&["aws_secret_access_key = ", &f.chars(B64, 40)]),
            j(&["aws_secret_access_key = ", &f.chars(B64, 30)]),
        ),
        (
            "DD-SEC-003",
            j(&["aws_session_token = ", &f.chars(B64, 120)]),
            j(&["aws_session_token = ", &f.chars(B64, 50)]),
        ),
        (
            "DD-SEC-004",
            j(&[
                "{\"type\": \"service_account\", \"private_key_id\": \"",
                &f.chars(HEX, 40),
                "\"}",
            ]),
            j(&["{\"private_key_id\": \"", &f.chars(HEX, 12), "\"}"]),
        ),
        (
            "DD-SEC-005",
            j(&["key=", "AIza", &f.chars(ALNUM, 35)]),
            j(&["key=", "AIza", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-006",
            j(&["GOCSPX-", &f.chars(ALNUM, 28)]),
            j(&["GOCSPX-", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-007",
            j(&[
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=",
                &f.chars(B64, 86),
                "==;EndpointSuffix=core.windows.net",
            ]),
            j(&["AccountKey=", &f.chars(B64, 20), "=="]),
        ),
        (
            "DD-SEC-008",
            j(&[
                "https://a.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&se=2030-01-01T00:00:00Z&sig=",
                &f.chars(ALNUM, 43),
                "%3D",
            ]),
            j(&["?sv=2022-11-02&sig=", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-009",
            j(&["secret: ", &f.chars(ALNUM, 3), "8Q~", &f.chars(ALNUM, 32), "\n"]),
            j(&["secret: ", "ab", "8Q~", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-010",
            j(&["ghp_", &f.chars(ALNUM, 36)]),
            j(&["ghp_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-011",
            j(&["gho_", &f.chars(ALNUM, 36)]),
            j(&["gho_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-012",
            j(&["ghu_", &f.chars(ALNUM, 36)]),
            j(&["ghu_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-013",
            j(&["ghs_", &f.chars(ALNUM, 36)]),
            j(&["ghs_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-014",
            j(&["ghr_", &f.chars(ALNUM, 76)]),
            j(&["ghr_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-015",
            j(&["github_pat_", &f.chars(ALNUM, 22), "_", &f.chars(ALNUM, 59)]),
            j(&["github_pat_", &f.chars(ALNUM, 22)]),
        ),
        (
            "DD-SEC-016",
            j(&["glpat-", &f.chars(ALNUM, 20)]),
            j(&["glpat-", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-017",
            j(&["glptt-", &f.chars(HEX, 40)]),
            j(&["glptt-", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-018",
            j(&["glrt-", &f.chars(ALNUM, 20)]),
            j(&["glrt-", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-019",
            j(&["gldt-", &f.chars(ALNUM, 20)]),
            j(&["gldt-", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-020",
            j(&[
                "xoxb-",
                &f.chars(DIGITS, 11),
                "-",
                &f.chars(DIGITS, 12),
                "-",
                &f.chars(ALNUM, 24),
            ]),
            j(&["xoxb-", &f.chars(DIGITS, 3), "-", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-021",
            j(&[
                "xoxp-",
                &f.chars(DIGITS, 11),
                "-",
                &f.chars(DIGITS, 11),
                "-",
                &f.chars(DIGITS, 12),
                "-",
                &f.chars(ALNUM, 32),
            ]),
            j(&["xoxp-", &f.chars(DIGITS, 2), "-", &f.chars(DIGITS, 2)]),
        ),
        (
            "DD-SEC-022",
            j(&[
                "xapp-1-",
                &f.chars(UPNUM, 11),
                "-",
                &f.chars(DIGITS, 13),
                "-",
                &f.chars(HEX, 64),
            ]),
            j(&["xapp-1-", &f.chars(UPNUM, 3), "-1-ab"]),
        ),
        (
            "DD-SEC-023",
            j(&[
                "https://hooks.slack.com/services/T",
                &f.chars(UPNUM, 9),
                "/B",
                &f.chars(UPNUM, 9),
                "/",
                &f.chars(ALNUM, 24),
            ]),
            j(&[
                "https://hooks.slack.com/services/T",
                &f.chars(UPNUM, 3),
                "/B1/",
                &f.chars(ALNUM, 5),
            ]),
        ),
        (
            "DD-SEC-024",
            j(&["sk_live_", &f.chars(ALNUM, 24)]),
            j(&["sk_live_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-025",
            j(&["sk_test_", &f.chars(ALNUM, 24)]),
            j(&["sk_test_", &f.chars(ALNUM, 8)]),
        ),
        (
            "DD-SEC-026",
            j(&["whsec_", &f.chars(ALNUM, 32)]),
            j(&["whsec_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-027",
            j(&["twilio_key = SK", &f.chars(HEX, 32)]),
            j(&["twilio_key = SK", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-028",
            j(&["SG.", &f.chars(ALNUM, 22), ".", &f.chars(ALNUM, 43)]),
            j(&["SG.", &f.chars(ALNUM, 5), ".", &f.chars(ALNUM, 5)]),
        ),
        (
            "DD-SEC-029",
            j(&["mailgun: key-", &f.chars(HEX, 32)]),
            j(&["mailgun: key-", &f.chars(HEX, 16)]),
        ),
        (
            "DD-SEC-030",
            j(&["mailchimp = ", &f.chars(HEX, 32), "-us6"]),
            j(&["mailchimp = ", &f.chars(HEX, 20), "-us6"]),
        ),
        (
            "DD-SEC-031",
            j(&["npm_", &f.chars(ALNUM, 36)]),
            j(&["npm_", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-032",
            j(&["//registry.npmjs.org/:_authToken=", &f.chars(ALNUM, 36)]),
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}".to_string(),
        ),
        (
            "DD-SEC-033",
            j(&["pypi-AgEIcHlwaS5vcmc", &f.chars(ALNUM, 60)]),
            j(&["pypi-AgEIcHlwaS5vcmc", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-034",
            j(&["dckr_pat_", &f.chars(ALNUM, 27)]),
            j(&["dckr_pat_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-035",
            j(&["{\"auths\": {\"r\": {\"auth\": \"", &docker_auth, "\"}}}"]),
            j(&["{\"auth\": \"", &docker_user_only, "\"}"]),
        ),
        (
            "DD-SEC-036",
            f.pem("RSA PRIVATE KEY", 4),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n".to_string(),
        ),
        (
            "DD-SEC-037",
            f.pem("EC PRIVATE KEY", 3),
            "const HEADER: &str = \"-----BEGIN EC PRIVATE KEY-----\";".to_string(),
        ),
        (
            "DD-SEC-038",
            f.pem("DSA PRIVATE KEY", 4),
            "-----BEGIN DSA PRIVATE KEY-----\n...\n".to_string(),
        ),
        (
            "DD-SEC-039",
            f.pem("OPENSSH PRIVATE KEY", 4),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\n".to_string(),
        ),
        (
            "DD-SEC-040",
            j(&[
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n",
                &f.chars(B64, 64),
                "\n",
                &f.chars(B64, 64),
                "\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n",
            ]),
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n-----END PGP PRIVATE KEY BLOCK-----\n"
                .to_string(),
        ),
        (
            "DD-SEC-041",
            f.pem("PRIVATE KEY", 3),
            "parse(\"-----BEGIN PRIVATE KEY-----\")".to_string(),
        ),
        (
            "DD-SEC-042",
            f.pem("ENCRYPTED PRIVATE KEY", 3),
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nshort\n".to_string(),
        ),
        ("DD-SEC-043", putty_good, putty_bad),
        (
            "DD-SEC-044",
            j(&[
                "Authorization: Bearer eyJ",
                &f.chars(ALNUM, 20),
                ".eyJ",
                &f.chars(ALNUM, 30),
                ".",
                &f.chars(ALNUM, 43),
            ]),
            j(&[
                "eyJ",
                &f.chars(ALNUM, 5),
                ".eyJ",
                &f.chars(ALNUM, 5),
                ".",
                &f.chars(ALNUM, 5),
            ]),
        ),
        (
            "DD-SEC-045",
            j(&["DATABASE_URL=postgres://app:", &f.mixed(12), "@db:5432/app"]),
            "DATABASE_URL=postgres://app@db:5432/app".to_string(),
        ),
        (
            "DD-SEC-046",
            j(&["mysql://root:", &f.mixed(12), "@db/app"]),
            "mysql://root:${MYSQL_PASSWORD}@db/app".to_string(),
        ),
        (
            "DD-SEC-047",
            j(&["mongodb+srv://app:", &f.mixed(12), "@cluster0.mongodb.net/db"]),
            "mongodb://localhost:27017/db".to_string(),
        ),
        (
            "DD-SEC-048",
            j(&["redis://:", &f.mixed(12), "@cache:6379/0"]),
            "redis://cache:6379/0".to_string(),
        ),
        (
            "DD-SEC-049",
            j(&["amqp://app:", &f.mixed(12), "@rabbit:5672/"]),
            "amqp://guest:<password>@rabbit:5672/".to_string(),
        ),
        (
            "DD-SEC-050",
            j(&["https://deploy:", &f.mixed(16), "@repo.internal.net/x"]),
            "https://deploy:aaaabbbb11@repo.internal.net/x".to_string(),
        ),
        (
            "DD-SEC-051",
            j(&["db_password = \"", &f.mixed(16), "\""]),
            "db_password = \"hunter22hunter22\"".to_string(),
        ),
        (
            "DD-SEC-052",
            j(&["client_secret = ", &f.mixed(24)]),
            "client_secret = \"my-client-secret-value-2\"".to_string(),
        ),
        (
            "DD-SEC-053",
            j(&["HEROKU_API_KEY = ", &uuid]),
            "HEROKU_API_KEY = 1234".to_string(),
        ),
        (
            "DD-SEC-054",
            j(&["HRKU-", &f.chars(ALNUM, 60)]),
            j(&["HRKU-", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-055",
            j(&["shpat_", &f.chars(HEX, 32)]),
            j(&["shpat_", &f.chars(HEX, 10)]),
        ),
        (
            "DD-SEC-056",
            j(&["shpss_", &f.chars(HEX, 32)]),
            j(&["shpss_", &f.chars(HEX, 10)]),
        ),
        (
            "DD-SEC-057",
            j(&["ATATT3", &f.chars(ALNUM, 186)]),
            j(&["ATATT3", &f.chars(ALNUM, 50)]),
        ),
        (
            "DD-SEC-058",
            j(&["sq0atp-", &f.chars(ALNUM, 22)]),
            j(&["sq0atp-", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-059",
            j(&["sq0csp-", &f.chars(ALNUM, 43)]),
            j(&["sq0csp-", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-060",
            j(&["VAULT_TOKEN=hvs.", &f.chars(ALNUM, 90)]),
            "VAULT_TOKEN=hvs.short".to_string(),
        ),
        (
            "DD-SEC-061",
            j(&[&f.chars(ALNUM, 14), ".atlasv1.", &f.chars(ALNUM, 67)]),
            j(&[&f.chars(ALNUM, 14), ".atlasv1.", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-062",
            j(&["dp.pt.", &f.chars(ALNUM, 43)]),
            j(&["dp.pt.", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-063",
            j(&[
                "DISCORD_BOT=M",
                &f.chars(ALNUM, 24),
                ".",
                &f.chars(ALNUM, 6),
                ".",
                &f.chars(ALNUM, 27),
            ]),
            "discord M.short.x".to_string(),
        ),
        (
            "DD-SEC-064",
            j(&[
                "https://discord.com/api/webhooks/",
                &f.chars(DIGITS, 18),
                "/",
                &f.chars(ALNUM, 68),
            ]),
            j(&[
                "https://discord.com/api/webhooks/",
                &f.chars(DIGITS, 18),
                "/",
                &f.chars(ALNUM, 10),
            ]),
        ),
        (
            "DD-SEC-065",
            j(&["TELEGRAM_TOKEN=", &f.chars(DIGITS, 10), ":AA", &f.chars(ALNUM, 33)]),
            j(&["TELEGRAM_TOKEN=", &f.chars(DIGITS, 10), ":AA", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-066",
            j(&["sk-proj-", &f.chars(ALNUM, 20), "T3BlbkFJ", &f.chars(ALNUM, 20)]),
            j(&["sk-", &f.chars(ALNUM, 5), "T3BlbkFJ", &f.chars(ALNUM, 5)]),
        ),
        (
            "DD-SEC-067",
            j(&["sk-ant-api03-", &f.chars(ALNUM, 93), "AA"]),
            j(&["sk-ant-api03-", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-068",
            j(&["hf_", &f.chars(ALPHA, 34)]),
            j(&["hf_", &f.chars(ALPHA, 10)]),
        ),
        (
            "DD-SEC-069",
            j(&["dapi", &f.chars(HEX, 32)]),
            j(&["dapi", &f.chars(HEX, 10)]),
        ),
        (
            "DD-SEC-070",
            j(&["LTAI", &f.chars(ALNUM, 20)]),
            j(&["LTAI", &f.chars(ALNUM, 6)]),
        ),
        (
            "DD-SEC-071",
            j(&["dop_v1_", &f.chars(HEX, 64)]),
            j(&["dop_v1_", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-072",
            j(&["lin_api_", &f.chars(ALNUM, 40)]),
            j(&["lin_api_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-073",
            j(&["NRAK-", &f.chars(UPNUM, 27)]),
            j(&["NRAK-", &f.chars(UPNUM, 10)]),
        ),
        (
            "DD-SEC-074",
            j(&["NRII-", &f.chars(ALNUM, 24)]),
            j(&["NRII-", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-075",
            j(&["eyJrIjoi", &f.chars(ALNUM, 80)]),
            j(&["eyJrIjoi", &f.chars(ALNUM, 20)]),
        ),
        (
            "DD-SEC-076",
            j(&["glc_", &f.chars(ALNUM, 40)]),
            j(&["glc_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-077",
            j(&["glsa_", &f.chars(ALNUM, 32), "_", &f.chars(HEX, 8)]),
            j(&["glsa_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-078",
            j(&["sntryu_", &f.chars(HEX, 64)]),
            j(&["sntryu_", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-079",
            j(&["PMAK-", &f.chars(HEX, 24), "-", &f.chars(HEX, 34)]),
            j(&["PMAK-", &f.chars(HEX, 10)]),
        ),
        (
            "DD-SEC-080",
            j(&["pul-", &f.chars(HEX, 40)]),
            j(&["pul-", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-081",
            j(&["AGE-SECRET-KEY-1", &f.chars(AGE, 58)]),
            j(&["AGE-SECRET-KEY-1", &f.chars(AGE, 20)]),
        ),
        (
            "DD-SEC-082",
            j(&["dt0c01.", &f.chars(UPNUM, 24), ".", &f.chars(UPNUM, 64)]),
            j(&["dt0c01.", &f.chars(UPNUM, 10)]),
        ),
        (
            "DD-SEC-083",
            j(&["sk.eyJ1Ijoi", &f.chars(ALNUM, 30), ".", &f.chars(ALNUM, 22)]),
            j(&["sk.eyJ1Ijoi", &f.chars(ALNUM, 5)]),
        ),
        (
            "DD-SEC-084",
            j(&["rubygems_", &f.chars(HEX, 48)]),
            j(&["rubygems_", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-085",
            j(&["pscale_tkn_", &f.chars(ALNUM, 43)]),
            j(&["pscale_tkn_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-086",
            j(&["sqp_", &f.chars(HEX, 40)]),
            j(&["sqp_", &f.chars(HEX, 20)]),
        ),
        (
            "DD-SEC-087",
            j(&["ntn_", &f.chars(DIGITS, 11), &f.chars(ALNUM, 35)]),
            j(&["ntn_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-088",
            j(&["gsk_", &f.chars(ALNUM, 52)]),
            j(&["gsk_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-089",
            j(&["r8_", &f.chars(ALNUM, 37)]),
            j(&["r8_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-090",
            j(&["pplx-", &f.chars(ALNUM, 48)]),
            j(&["pplx-", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-091",
            j(&["shippo_live_", &f.chars(HEX, 40)]),
            j(&["shippo_live_", &f.chars(HEX, 10)]),
        ),
        (
            "DD-SEC-092",
            j(&["EZAK", &f.chars(ALNUM, 54)]),
            j(&["EZAK", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-093",
            j(&["fo1_", &f.chars(ALNUM, 43)]),
            j(&["fo1_", &f.chars(ALNUM, 10)]),
        ),
        (
            "DD-SEC-094",
            j(&["machine api.internal\n  login deploy\n  password ", &f.mixed(16), "\n"]),
            "machine h login u password $PASS\n".to_string(),
        ),
        (
            "DD-SEC-095",
            j(&["https://deploy:", &f.mixed(20), "@github.com\n"]),
            "https://github.com/org/repo\n".to_string(),
        ),
    ]
}

fn rule_ids(text: &str, context: FileContext) -> Vec<&'static str> {
    SecretScanner::get()
        .scan(text.as_bytes(), context)
        .iter()
        .map(|m| m.rule.info.id)
        .collect()
}

#[test]
fn every_rule_has_a_positive_and_a_negative_case() {
    let cases = cases();
    for rule in SECRET_RULES {
        assert!(
            cases.iter().any(|(id, _, _)| *id == rule.info.id),
            "no case for {}",
            rule.info.id
        );
    }
    for (id, positive, negative) in &cases {
        let found = rule_ids(positive, FileContext::default());
        assert!(found.contains(id), "{id} missed its positive case; found {found:?}");
        let found = rule_ids(negative, FileContext::default());
        assert!(!found.contains(id), "{id} matched its negative case");
    }
}

#[test]
fn at_least_sixty_rules_with_unique_well_formed_ids() {
    assert!(SECRET_RULES.len() >= 60);
    let mut ids: Vec<&str> = SECRET_RULES.iter().map(|r| r.info.id).collect();
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(*id, format!("DD-SEC-{:03}", n + 1), "ids are sequential");
    }
    ids.dedup();
    assert_eq!(ids.len(), SECRET_RULES.len());
    let mut slugs: Vec<&str> = SECRET_RULES.iter().map(|r| r.slug).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), SECRET_RULES.len());
    for rule in SECRET_RULES {
        assert!(
            !rule.keywords.is_empty(),
            "{} has no keyword for the prefilter",
            rule.info.id
        );
        assert!(
            rule.keywords.iter().all(|k| *k == k.to_ascii_lowercase()),
            "{}",
            rule.info.id
        );
    }
}

#[test]
fn positions_are_one_based_lines_and_columns() {
    let text = j(&["# config\n\n  token: ", "ghp_", &Fake(9).chars(ALNUM, 36), "\n"]);
    let found = SecretScanner::get().scan(text.as_bytes(), FileContext::default());
    assert_eq!(found.len(), 1, "the generic rule yields to the GitHub rule");
    assert_eq!(
        (found[0].rule.info.id, found[0].line, found[0].column),
        ("DD-SEC-010", 3, 10)
    );
    assert_eq!(found[0].masked(text.as_bytes()), "ghp_****");
}

#[test]
fn placeholders_never_match_and_example_markers_only_outside_packages() {
    let placeholder = j(&["aws_access_key_id = ", "AKIA", "XXXXXXXXXXXXXXXX"]);
    assert!(rule_ids(&placeholder, FileContext::default()).is_empty());
    let documented = j(&["aws_access_key_id = ", "AKIA", "IOSFODNN7", "EXAMPLE"]);
    assert_eq!(rule_ids(&documented, FileContext::default()), ["DD-SEC-001"]);
    let in_package = FileContext { in_package_tree: true };
    assert!(rule_ids(&documented, in_package).is_empty());
    let generic = "api_key = \"Ex4mpleExampleKey99\"";
    assert!(rule_ids(generic, FileContext::default()).is_empty());
    let assignment = j(&["db_password = \"", &Fake(11).mixed(16), "\""]);
    assert_eq!(rule_ids(&assignment, FileContext::default()), ["DD-SEC-051"]);
    assert!(
        rule_ids(&assignment, in_package).is_empty(),
        "generic rules skip package code"
    );
    let documented_url = j(&[
        "uri = URI.parse(\"http://john:",
        &Fake(12).mixed(12),
        "@my.example.com\")",
    ]);
    assert!(rule_ids(&documented_url, FileContext::default()).is_empty());
    let code = "message = this.lookahead.value ? Messages.UnexpectedToken : messages_1.Messages.MissingFromClause;";
    assert!(rule_ids(code, FileContext::default()).is_empty());
}

#[test]
fn files_without_keywords_run_no_regex() {
    let scanner = SecretScanner::get();
    let fired = scanner.triggered_rules(b"plain prose about containers and layers\n");
    assert!(fired.iter().all(|f| !f));
    let fired = scanner.triggered_rules(b"GHP_ in upper case still triggers");
    let github = SECRET_RULES.iter().position(|r| r.slug == "github-pat").unwrap();
    assert!(fired[github]);
}

#[test]
fn scan_file_masks_and_applies_the_allow_list() {
    let token = j(&["glpat-", &Fake(3).chars(ALNUM, 20)]);
    let text = format!("first\nGITLAB={token}\n");
    let hits = super::analyzer::scan_file("/app/.env", text.as_bytes(), &AllowList::default());
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].rule.as_str(), hits[0].line, hits[0].masked.as_str()),
        ("DD-SEC-016", 2, "glpat-****")
    );
    assert!(!serde_json::to_string(&hits).unwrap().contains(&token));
    for allow in [
        "paths = [\"/app/**\"]",
        "rules = [\"DD-SEC-016\"]",
        "values = [\"^glpat-\"]",
    ] {
        let list = AllowList::parse(allow, AllowListFormat::Toml, "t").unwrap();
        assert!(
            super::analyzer::scan_file("/app/.env", text.as_bytes(), &list).is_empty(),
            "{allow}"
        );
    }
}

#[test]
fn hostile_inputs_end_quickly_and_without_panics() {
    let scanner = SecretScanner::get();
    let many = "ghp_".repeat(100_000);
    assert!(scanner.scan(many.as_bytes(), FileContext::default()).is_empty());
    let header = "-----BEGIN RSA PRIVATE KEY-----\n".repeat(10_000);
    assert!(scanner.scan(header.as_bytes(), FileContext::default()).is_empty());
    let invalid_utf8 = [b"token = \"".as_slice(), &[0xff, 0xfe, 0xc3], b"\""].concat();
    scanner.scan(&invalid_utf8, FileContext::default());
}
