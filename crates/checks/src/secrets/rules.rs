//! The secret rules: one line each, with a stable id.
//!
//! Every pattern runs in ASCII mode (`(?-u)` is added when compiled) so the DFA never falls
//! back to a slow engine on non-ASCII bytes. The first capture group, when there is one, is
//! the secret itself (what is masked, checked for placeholders and entropy); without a group
//! the whole match is. `keywords` (lowercase) feed the Aho-Corasick prefilter: a rule's regex
//! runs on a file only when one of its keywords occurs in it.

use drydock_model::{RuleInfo, Severity};

/// How a rule's matches are confirmed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Confirm {
    /// A token format specific to one provider: the pattern is proof enough.
    Format,
    /// A broader shape (a JWT, credentials in a URL): loses to a provider rule on the same bytes.
    Shape,
    /// A generic assignment (`password = "..."`): the value must carry at least this much
    /// Shannon entropy (bits per byte), mix letters and digits, and not look like a word.
    Entropy(f64),
}

/// One secret rule.
#[derive(Debug)]
pub struct SecretRule {
    pub info: RuleInfo,
    /// A short stable slug (`github-pat`), shown beside the id.
    pub slug: &'static str,
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub confirm: Confirm,
    /// Extra structural check of the secret (base64 that decodes to `user:password`, ...).
    pub validate: Option<fn(&[u8]) -> bool>,
}

const CIS_SECRETS: Option<&str> = Some("CIS Docker Benchmark v1.6.0 4.10");
const ROTATE: &str = "Revoke and rotate the credential, then rebuild the image without it: a file deleted by a later \
                      layer stays extractable from the layer that added it. Pass secrets at build time with \
                      BuildKit secret mounts and at run time from a secret store or the orchestrator.";
const REKEY: &str = "Treat the key as compromised: replace it and revoke its certificates or authorized_keys entries, \
                     then rebuild the image without it (deleting it in a later layer is not enough). Mount keys at \
                     run time instead.";
const MOVE: &str = "Move the value out of the image: read it from the environment or a mounted secret at run time, \
                    rotate it if it is real, and rebuild.";

const fn rule(
    id: &'static str,
    slug: &'static str,
    severity: Severity,
    title: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> SecretRule {
    SecretRule {
        info: RuleInfo {
            id,
            severity,
            title,
            remediation: ROTATE,
            cis: CIS_SECRETS,
        },
        slug,
        keywords,
        pattern,
        confirm: Confirm::Format,
        validate: None,
    }
}

const fn key(id: &'static str, slug: &'static str, title: &'static str) -> SecretRule {
    SecretRule {
        info: RuleInfo {
            id,
            severity: Severity::Critical,
            title,
            remediation: REKEY,
            cis: CIS_SECRETS,
        },
        slug,
        keywords: &[],
        pattern: "",
        confirm: Confirm::Format,
        validate: None,
    }
}

impl SecretRule {
    const fn shape(mut self) -> Self {
        self.confirm = Confirm::Shape;
        self
    }

    const fn entropy(mut self, bits: f64) -> Self {
        self.confirm = Confirm::Entropy(bits);
        self.info.remediation = MOVE;
        self
    }

    const fn validated(mut self, check: fn(&[u8]) -> bool) -> Self {
        self.validate = Some(check);
        self
    }

    const fn pem(mut self, keywords: &'static [&'static str], pattern: &'static str) -> Self {
        self.keywords = keywords;
        self.pattern = pattern;
        self
    }
}

use Severity::{Critical, High, Low, Medium};

/// A PEM private key: the header, optional RFC 1421 headers, then at least two full base64
/// lines. A header alone (a parser's source code, documentation) is not a key.
macro_rules! pem_body {
    ($label:literal) => {
        concat!(
            "(-----BEGIN ",
            $label,
            "-----\\r?\\n(?:[A-Za-z-]+: [^\\r\\n]*\\r?\\n)*(?:\\r?\\n)?(?:[A-Za-z0-9+/=]{40,}\\r?\\n){2})"
        )
    };
}

/// Every secret rule. Ids are stable: never renumber, only append.
pub static SECRET_RULES: &[SecretRule] = &[
    rule("DD-SEC-001", "aws-access-key-id", Critical, "AWS access key id", &["akia", "asia", "abia", "acca"],
        r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b"),
    rule("DD-SEC-002", "aws-secret-access-key", Critical, "AWS secret access key",
        &["secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret"],
        r#"(?i)(?:secret[_\-]?access[_\-]?key|aws[_\-]?secret[_\-]?key)["']?\s*(?:=|:|=>)\s*["']?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#),
    rule("DD-SEC-003", "aws-session-token", High, "AWS session token", &["session_token", "sessiontoken"],
        r#"(?i)aws_?session_?token["']?\s*(?:=|:|=>)\s*["']?([A-Za-z0-9/+=]{100,})"#),
    rule("DD-SEC-004", "gcp-service-account-key", Critical, "Google Cloud service-account key (JSON)",
        &["private_key_id"], r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#),
    rule("DD-SEC-005", "gcp-api-key", High, "Google API key", &["aiza"], r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)"),
    rule("DD-SEC-006", "gcp-oauth-client-secret", High, "Google OAuth client secret", &["gocspx-"],
        r"\b(GOCSPX-[A-Za-z0-9_\-]{28})"),
    rule("DD-SEC-007", "azure-storage-account-key", Critical, "Azure storage account key (connection string)",
        &["accountkey="], r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)"),
    rule("DD-SEC-008", "azure-sas-token", High, "Azure shared access signature", &["sig="],
        r"\bsv=20[0-9]{2}-[0-9]{2}-[0-9]{2}&[A-Za-z0-9&=%:.\-_]{0,400}?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})"),
    rule("DD-SEC-009", "azure-ad-client-secret", High, "Azure AD (Entra ID) client secret", &["q~"],
        r"(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)"),
    rule("DD-SEC-010", "github-pat", Critical, "GitHub personal access token (classic)", &["ghp_"],
        r"\b(ghp_[A-Za-z0-9]{36})\b"),
    rule("DD-SEC-011", "github-oauth-token", High, "GitHub OAuth access token", &["gho_"], r"\b(gho_[A-Za-z0-9]{36})\b"),
    rule("DD-SEC-012", "github-user-to-server-token", High, "GitHub App user-to-server token", &["ghu_"],
        r"\b(ghu_[A-Za-z0-9]{36})\b"),
    rule("DD-SEC-013", "github-server-to-server-token", High, "GitHub App installation token", &["ghs_"],
        r"\b(ghs_[A-Za-z0-9]{36})\b"),
    rule("DD-SEC-014", "github-refresh-token", High, "GitHub refresh token", &["ghr_"], r"\b(ghr_[A-Za-z0-9]{36,255})\b"),
    rule("DD-SEC-015", "github-fine-grained-pat", Critical, "GitHub fine-grained personal access token",
        &["github_pat_"], r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b"),
    rule("DD-SEC-016", "gitlab-pat", Critical, "GitLab personal access token", &["glpat-"],
        r"\b(glpat-[A-Za-z0-9_\-]{20,})"),
    rule("DD-SEC-017", "gitlab-pipeline-trigger-token", High, "GitLab pipeline trigger token", &["glptt-"],
        r"\b(glptt-[0-9a-f]{40})\b"),
    rule("DD-SEC-018", "gitlab-runner-token", High, "GitLab runner authentication token", &["glrt-"],
        r"\b(glrt-[A-Za-z0-9_\-]{20,})"),
    rule("DD-SEC-019", "gitlab-deploy-token", High, "GitLab deploy token", &["gldt-"], r"\b(gldt-[A-Za-z0-9_\-]{20,})"),
    rule("DD-SEC-020", "slack-bot-token", High, "Slack bot token", &["xoxb-"],
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b"),
    rule("DD-SEC-021", "slack-user-token", High, "Slack user or legacy token", &["xoxp-", "xoxa-", "xoxs-", "xoxe-"],
        r"\b(xox[apse](?:-[0-9]{10,13}){2,3}-[A-Za-z0-9\-]{24,64})\b"),
    rule("DD-SEC-022", "slack-app-token", High, "Slack app-level token", &["xapp-"],
        r"\b(xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{60,64})\b"),
    rule("DD-SEC-023", "slack-webhook-url", Medium, "Slack incoming webhook URL", &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}/[A-Za-z0-9]{20,32})"),
    rule("DD-SEC-024", "stripe-live-secret-key", Critical, "Stripe live secret or restricted key",
        &["sk_live_", "rk_live_"], r"\b((?:sk|rk)_live_[A-Za-z0-9]{24,99})\b"),
    rule("DD-SEC-025", "stripe-test-secret-key", Low, "Stripe test-mode secret key", &["sk_test_", "rk_test_"],
        r"\b((?:sk|rk)_test_[A-Za-z0-9]{24,99})\b"),
    rule("DD-SEC-026", "stripe-webhook-secret", High, "Stripe webhook signing secret", &["whsec_"],
        r"\b(whsec_[A-Za-z0-9]{32,})\b"),
    rule("DD-SEC-027", "twilio-api-key", High, "Twilio API key", &["twilio"], r"\b(SK[0-9a-f]{32})\b"),
    rule("DD-SEC-028", "sendgrid-api-key", High, "SendGrid API key", &["sg."],
        r"\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)"),
    rule("DD-SEC-029", "mailgun-api-key", High, "Mailgun API key", &["mailgun"], r"\b(key-[0-9a-f]{32})\b"),
    rule("DD-SEC-030", "mailchimp-api-key", High, "Mailchimp API key", &["mailchimp"], r"\b([0-9a-f]{32}-us[0-9]{1,2})\b"),
    rule("DD-SEC-031", "npm-access-token", Critical, "npm access token", &["npm_"], r"\b(npm_[A-Za-z0-9]{36})\b"),
    rule("DD-SEC-032", "npmrc-auth-token", High, "npm registry auth token in an .npmrc", &["_authtoken"],
        r#"(?i)_authToken\s*=\s*["']?([A-Za-z0-9_\-.+/=]{20,})"#).shape(),
    rule("DD-SEC-033", "pypi-upload-token", Critical, "PyPI upload token", &["pypi-ageichlwas5vcmc"],
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})"),
    rule("DD-SEC-034", "dockerhub-pat", High, "Docker Hub personal access token", &["dckr_pat_", "dckr_oat_"],
        r"\b(dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,})"),
    rule("DD-SEC-035", "docker-config-auth", High, "Registry credentials in a Docker config (auths)", &["\"auth\""],
        r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#)
    .shape()
    .validated(super::filters::decodes_to_user_password),
    key("DD-SEC-036", "private-key-rsa", "RSA private key")
        .pem(&["begin rsa private key"], pem_body!("RSA PRIVATE KEY")),
    key("DD-SEC-037", "private-key-ec", "EC private key")
        .pem(&["begin ec private key"], pem_body!("EC PRIVATE KEY")),
    key("DD-SEC-038", "private-key-dsa", "DSA private key")
        .pem(&["begin dsa private key"], pem_body!("DSA PRIVATE KEY")),
    key("DD-SEC-039", "private-key-openssh", "OpenSSH private key")
        .pem(&["begin openssh private key"], pem_body!("OPENSSH PRIVATE KEY")),
    key("DD-SEC-040", "private-key-pgp", "PGP private key block")
        .pem(&["begin pgp private key block"], pem_body!("PGP PRIVATE KEY BLOCK")),
    key("DD-SEC-041", "private-key-pkcs8", "PKCS#8 private key")
        .pem(&["begin private key"], pem_body!("PRIVATE KEY")),
    key("DD-SEC-042", "private-key-pkcs8-encrypted", "Encrypted PKCS#8 private key")
        .pem(&["begin encrypted private key"], pem_body!("ENCRYPTED PRIVATE KEY")),
    key("DD-SEC-043", "private-key-putty", "PuTTY private key")
        .pem(&["putty-user-key-file-"],
            r"(PuTTY-User-Key-File-[23]: [^\r\n]+\r?\n(?:[A-Za-z-]+: [^\r\n]*\r?\n(?:[A-Za-z0-9+/=]+\r?\n)*){1,8}Private-Lines: [0-9]+\r?\n[A-Za-z0-9+/=]{40,})"),
    rule("DD-SEC-044", "jwt", Medium, "JSON Web Token", &["eyj"],
        r"\b(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})").shape(),
    rule("DD-SEC-045", "postgres-url-credentials", High, "PostgreSQL URL with a password", &["postgres"],
        r"\bpostgres(?:ql)?(?:\+[a-z0-9]+)?://[^:@/\s]+:([^@/\s]{3,})@[^\s/]").shape(),
    rule("DD-SEC-046", "mysql-url-credentials", High, "MySQL URL with a password", &["mysql", "mariadb"],
        r"\b(?:mysql|mariadb)(?:\+[a-z0-9]+)?://[^:@/\s]+:([^@/\s]{3,})@[^\s/]").shape(),
    rule("DD-SEC-047", "mongodb-url-credentials", High, "MongoDB URL with a password", &["mongodb"],
        r"\bmongodb(?:\+srv)?://[^:@/\s]+:([^@/\s]{3,})@[^\s/]").shape(),
    rule("DD-SEC-048", "redis-url-credentials", High, "Redis URL with a password", &["redis"],
        r"\brediss?://[^:@/\s]*:([^@/\s]{3,})@[^\s/]").shape(),
    rule("DD-SEC-049", "amqp-url-credentials", High, "AMQP (RabbitMQ) URL with a password", &["amqp"],
        r"\bamqps?://[^:@/\s]+:([^@/\s]{3,})@[^\s/]").shape(),
    rule("DD-SEC-050", "url-basic-auth", Medium, "Password in an HTTP or FTP URL", &["://"],
        r"\b(?:https?|ftps?)://[A-Za-z0-9._%\-]{1,64}:([A-Za-z0-9._~%!$&*+,;=\-]{6,128})@[A-Za-z0-9.\-]+").entropy(3.0),
    rule("DD-SEC-051", "generic-password", Medium, "Hard-coded password", &["password", "passwd", "pwd"],
        r#"(?i)\b[A-Za-z0-9_.\-]*(?:password|passwd|pwd)["']?\s*(?:=|:=|:|=>)\s*["']([^"'\s]{8,64})["']"#).entropy(3.0),
    rule("DD-SEC-052", "generic-secret", Medium, "Hard-coded secret, token or API key",
        &["secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey", "auth_key", "client_secret"],
        r#"(?i)\b[A-Za-z0-9_.\-]*(?:secret|token|api_?key|api-key|access_?key|auth_?key)[A-Za-z0-9_.\-]*["']?\s*(?:=|:=|:|=>)\s*["']?([A-Za-z0-9_\-+/=.]{16,128})["']?(?:[^A-Za-z0-9_\-+/=.]|$)"#)
    .entropy(3.5),
    rule("DD-SEC-053", "heroku-api-key", High, "Heroku API key", &["heroku"],
        r"(?i)heroku[A-Za-z0-9_ .\-]{0,20}(?:=|:|=>)[\s'\x22]{0,3}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"),
    rule("DD-SEC-054", "heroku-platform-key", High, "Heroku platform API key", &["hrku-"],
        r"\b(HRKU-[A-Za-z0-9_\-]{60})"),
    rule("DD-SEC-055", "shopify-access-token", High, "Shopify access token", &["shpat_", "shpca_", "shppa_"],
        r"\b(shp(?:at|ca|pa)_[a-fA-F0-9]{32})\b"),
    rule("DD-SEC-056", "shopify-shared-secret", High, "Shopify app shared secret", &["shpss_"],
        r"\b(shpss_[a-fA-F0-9]{32})\b"),
    rule("DD-SEC-057", "atlassian-api-token", High, "Atlassian API token", &["atatt3"],
        r"\b(ATATT3[A-Za-z0-9_\-=]{186})"),
    rule("DD-SEC-058", "square-access-token", High, "Square access token", &["sq0atp-", "eaaa"],
        r"\b(sq0atp-[0-9A-Za-z_\-]{22}|EAAA[A-Za-z0-9_\-]{60})\b"),
    rule("DD-SEC-059", "square-oauth-secret", High, "Square OAuth secret", &["sq0csp-"],
        r"\b(sq0csp-[0-9A-Za-z_\-]{43})"),
    rule("DD-SEC-060", "vault-token", Critical, "HashiCorp Vault token", &["hvs.", "hvb."],
        r"\b(hv[sb]\.[A-Za-z0-9_\-]{24,})"),
    rule("DD-SEC-061", "terraform-cloud-token", High, "Terraform Cloud / HCP Terraform API token", &["atlasv1"],
        r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70})"),
    rule("DD-SEC-062", "doppler-token", High, "Doppler token", &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim."],
        r"\b(dp\.(?:pt|st|sa|ct|scim)\.[A-Za-z0-9]{40,44})\b"),
    rule("DD-SEC-063", "discord-bot-token", High, "Discord bot token", &["discord"],
        r"\b([MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})\b"),
    rule("DD-SEC-064", "discord-webhook-url", Medium, "Discord webhook URL", &["discord"],
        r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,68})"),
    rule("DD-SEC-065", "telegram-bot-token", High, "Telegram bot token", &[":aa"],
        r"\b([0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?:[^A-Za-z0-9_\-]|$)"),
    rule("DD-SEC-066", "openai-api-key", Critical, "OpenAI API key", &["t3blbkfj"],
        r"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,})"),
    rule("DD-SEC-067", "anthropic-api-key", Critical, "Anthropic API key", &["sk-ant-"],
        r"\b(sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{80,100})"),
    rule("DD-SEC-068", "huggingface-token", High, "Hugging Face access token", &["hf_"], r"\b(hf_[A-Za-z]{34})\b"),
    rule("DD-SEC-069", "databricks-token", High, "Databricks personal access token", &["dapi"],
        r"\b(dapi[a-f0-9]{32}(?:-[0-9])?)\b"),
    rule("DD-SEC-070", "alibaba-access-key-id", High, "Alibaba Cloud AccessKey id", &["ltai"],
        r"\b(LTAI[A-Za-z0-9]{12,20})\b"),
    rule("DD-SEC-071", "digitalocean-token", High, "DigitalOcean token", &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(do[opr]_v1_[a-f0-9]{64})\b"),
    rule("DD-SEC-072", "linear-api-key", High, "Linear API key", &["lin_api_"], r"\b(lin_api_[A-Za-z0-9]{40})\b"),
    rule("DD-SEC-073", "newrelic-user-key", High, "New Relic user API key", &["nrak-"], r"\b(NRAK-[A-Z0-9]{27})\b"),
    rule("DD-SEC-074", "newrelic-license-key", High, "New Relic ingest / license key", &["nrii-", "nrjs-"],
        r"\b(NR(?:II|JS)-[A-Za-z0-9_\-]{19,32})\b"),
    rule("DD-SEC-075", "grafana-api-key", High, "Grafana API key", &["eyjrijoi"],
        r"\b(eyJrIjoi[A-Za-z0-9]{70,400}={0,2})"),
    rule("DD-SEC-076", "grafana-cloud-token", High, "Grafana Cloud access policy token", &["glc_"],
        r"\b(glc_[A-Za-z0-9+/]{32,400}={0,2})"),
    rule("DD-SEC-077", "grafana-service-account-token", High, "Grafana service account token", &["glsa_"],
        r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b"),
    rule("DD-SEC-078", "sentry-auth-token", High, "Sentry auth token", &["sntrys_", "sntryu_"],
        r"\b(sntrys_eyJ[A-Za-z0-9_\-+/=]{60,}|sntryu_[a-f0-9]{64})"),
    rule("DD-SEC-079", "postman-api-key", High, "Postman API key", &["pmak-"],
        r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b"),
    rule("DD-SEC-080", "pulumi-access-token", High, "Pulumi access token", &["pul-"], r"\b(pul-[a-f0-9]{40})\b"),
    rule("DD-SEC-081", "age-secret-key", Critical, "age encryption secret key", &["age-secret-key-1"],
        r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b"),
    rule("DD-SEC-082", "dynatrace-token", High, "Dynatrace API token", &["dt0c01."],
        r"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b"),
    rule("DD-SEC-083", "mapbox-secret-token", High, "Mapbox secret access token", &["sk.eyj1ijoi"],
        r"\b(sk\.eyJ1Ijoi[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,})"),
    rule("DD-SEC-084", "rubygems-api-key", High, "RubyGems API key", &["rubygems_"], r"\b(rubygems_[a-f0-9]{48})\b"),
    rule("DD-SEC-085", "planetscale-token", High, "PlanetScale token or password", &["pscale_"],
        r"\b(pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.\-]{32,64})"),
    rule("DD-SEC-086", "sonarqube-token", Medium, "SonarQube token", &["sqp_", "squ_", "sqa_"],
        r"\b(sq[pua]_[a-f0-9]{40})\b"),
    rule("DD-SEC-087", "notion-token", High, "Notion integration token", &["ntn_"],
        r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b"),
    rule("DD-SEC-088", "groq-api-key", High, "Groq API key", &["gsk_"], r"\b(gsk_[A-Za-z0-9]{52})\b"),
    rule("DD-SEC-089", "replicate-api-token", High, "Replicate API token", &["r8_"], r"\b(r8_[A-Za-z0-9]{37})\b"),
    rule("DD-SEC-090", "perplexity-api-key", High, "Perplexity API key", &["pplx-"], r"\b(pplx-[A-Za-z0-9]{48})\b"),
    rule("DD-SEC-091", "shippo-api-token", High, "Shippo live API token", &["shippo_live_"],
        r"\b(shippo_live_[a-f0-9]{40})\b"),
    rule("DD-SEC-092", "easypost-api-key", High, "EasyPost production API key", &["ezak"],
        r"\b(EZAK[A-Za-z0-9]{54})\b"),
    rule("DD-SEC-093", "flyio-token", High, "Fly.io access token", &["fo1_", "fm2_"],
        r"\b(fo1_[A-Za-z0-9_\-]{43}|fm2_[A-Za-z0-9+/]{100,}={0,2})"),
    rule("DD-SEC-094", "netrc-password", High, "Password in a .netrc entry", &["machine"],
        r"(?m)^\s*machine\s+\S+\s+(?:login\s+\S+\s+)?password\s+(\S{4,})").shape(),
    rule("DD-SEC-095", "git-credentials-url", High, "Git credential-store entry (user and token in a URL)",
        &["https://", "http://"], r"(?m)^https?://[^:@/\s]+:([^@/\s]{8,})@[A-Za-z0-9.\-]+/?\s*$").shape(),
];
