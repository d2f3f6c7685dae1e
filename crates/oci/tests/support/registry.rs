//! Real registries for the registry source's tests: Debian's `docker-registry` (distribution
//! 2.8) on a free 127.0.0.1 port with its storage in a temporary directory, plain, with
//! htpasswd basic auth, or with token auth backed by [`TokenServer`], a small token issuer
//! that signs RS256 JWTs with `openssl`. Images go in with `skopeo`. Everything is killed and
//! deleted on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use drydock_model::Digest;
use tempfile::TempDir;

/// The service name the token-auth registry and its token server agree on.
pub const TOKEN_SERVICE: &str = "drydock-test-registry";
const TOKEN_ISSUER: &str = "drydock-test-issuer";

/// `tests/fixtures/images` of the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

/// What `tests/fixtures/images/<name>.expected.json` says about an image.
pub struct Expected {
    pub manifest_digest: Digest,
    pub config_digest: Digest,
    pub layers: Vec<(Digest, u64)>,
}

pub fn expected(image: &str) -> Expected {
    let path = fixtures().join(format!("{image}.expected.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let digest = |value: &serde_json::Value| -> Digest {
        value
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: bad digest {value}", path.display()))
    };
    let layers = json["layers"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no layers", path.display()))
        .iter()
        .map(|layer| (digest(&layer["digest"]), layer["size"].as_u64().unwrap_or_default()))
        .collect();
    Expected {
        manifest_digest: digest(&json["manifest_digest"]),
        config_digest: digest(&json["config_digest"]),
        layers,
    }
}

/// Fails the test, not skips it, when a tool CI installs is missing.
pub fn require_tool(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is not installed; the registry tests need docker-registry, skopeo, htpasswd \
         (apache2-utils) and openssl: run the install step of .ci/run"
    );
}

/// How the registry authenticates clients.
pub enum RegistryAuth<'a> {
    Anonymous,
    Htpasswd { username: &'a str, password: &'a str },
    Token(&'a TokenServer),
}

/// A `docker-registry serve` process.
pub struct TestRegistry {
    child: Child,
    addr: String,
    dir: TempDir,
    push_credentials: Option<(String, String)>,
}

impl TestRegistry {
    pub fn start(auth: RegistryAuth<'_>) -> TestRegistry {
        for tool in ["docker-registry", "skopeo"] {
            require_tool(tool);
        }
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let (auth_yaml, push_credentials) = auth_config(&auth, dir.path());
        let log_path = dir.path().join("registry.log");
        // A free port can be taken by a parallel test between our probe and the registry's
        // bind; try a few.
        for _ in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = dir.path().join("config.yml");
            std::fs::write(&config, registry_config(dir.path(), &addr, &auth_yaml)).expect("writing config.yml");
            let mut child = spawn_registry(&config, &log_path);
            if wait_until_ready(&mut child, &addr) {
                return TestRegistry {
                    child,
                    addr,
                    dir,
                    push_credentials,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("docker-registry did not start; its log:\n{log}");
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A scratch directory that lives as long as the registry.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Copies a fixture image from the OCI layout into `repository:tag`.
    pub fn push(&self, image: &str, repository_and_tag: &str) {
        let source = fixtures().join("oci").join(image);
        let mut command = Command::new("skopeo");
        command
            .arg("--insecure-policy")
            .arg("copy")
            .arg("--quiet")
            .arg("--dest-tls-verify=false");
        if let Some((username, password)) = &self.push_credentials {
            command.arg("--dest-creds").arg(format!("{username}:{password}"));
        }
        command
            .arg(format!("oci:{}:latest", source.display()))
            .arg(format!("docker://{}/{repository_and_tag}", self.addr));
        let output = command.output().expect("running skopeo");
        assert!(
            output.status.success(),
            "skopeo copy of {image} to {}/{repository_and_tag} failed: {}",
            self.addr,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `PUT /v2/<repository>/manifests/<reference>` on an anonymous registry.
    pub fn put_manifest(&self, repository: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let url = format!("http://{}/v2/{repository}/manifests/{reference}", self.addr);
        let result = ureq::put(&url).header("Content-Type", media_type).send(bytes);
        if let Err(e) = result {
            panic!("PUT {url}: {e}");
        }
    }

    /// `GET /v2/<repository>/manifests/<reference>` on an anonymous registry, as stored.
    pub fn get_manifest(&self, repository: &str, reference: &str, media_type: &str) -> Vec<u8> {
        let url = format!("http://{}/v2/{repository}/manifests/{reference}", self.addr);
        let mut response = ureq::get(&url)
            .header("Accept", media_type)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        response
            .body_mut()
            .read_to_vec()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_registry(config: &Path, log_path: &Path) -> Child {
    let log = std::fs::File::create(log_path).expect("creating registry.log");
    Command::new("docker-registry")
        .arg("serve")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("cloning the log handle"))
        .stderr(log)
        .spawn()
        .expect("starting docker-registry")
}

/// Waits until the registry answers HTTP; `false` if it exited or never did.
fn wait_until_ready(child: &mut Child, addr: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if answers_http(addr) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

fn registry_config(dir: &Path, addr: &str, auth_yaml: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: \"{}\"\n  delete:\n    enabled: true\n\
         http:\n  addr: {addr}\n  secret: drydock-test-secret\n\
         {auth_yaml}",
        dir.join("data").display()
    )
}

fn auth_config(auth: &RegistryAuth<'_>, dir: &Path) -> (String, Option<(String, String)>) {
    match auth {
        RegistryAuth::Anonymous => (String::new(), None),
        RegistryAuth::Htpasswd { username, password } => {
            require_tool("htpasswd");
            let output = Command::new("htpasswd")
                .args(["-Bbn", username, password])
                .output()
                .expect("running htpasswd");
            assert!(output.status.success(), "htpasswd failed");
            let path = dir.join("htpasswd");
            std::fs::write(&path, &output.stdout).expect("writing htpasswd");
            let yaml = format!(
                "auth:\n  htpasswd:\n    realm: drydock-test\n    path: \"{}\"\n",
                path.display()
            );
            (yaml, Some((username.to_string(), password.to_string())))
        }
        RegistryAuth::Token(server) => {
            let yaml = format!(
                "auth:\n  token:\n    realm: \"{}\"\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: \"{}\"\n",
                server.realm(),
                server.cert_path().display()
            );
            (yaml, Some((server.username.clone(), server.password.clone())))
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// Whether anything answering HTTP listens at `addr` (any status will do).
fn answers_http(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut start = [0u8; 5];
    stream.read_exact(&mut start).is_ok() && &start == b"HTTP/"
}

/// A token issuer for distribution's token auth: checks basic credentials and answers
/// with a JWT signed RS256 by a key whose self-signed certificate is the registry's
/// `rootcertbundle`.
pub struct TokenServer {
    addr: String,
    dir: TempDir,
    pub username: String,
    pub password: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TokenServer {
    pub fn start(username: &str, password: &str) -> TokenServer {
        require_tool("openssl");
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        make_signing_key(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the token server");
        let addr = listener.local_addr().expect("token server address").to_string();
        let server = TokenServer {
            addr,
            dir,
            username: username.to_string(),
            password: password.to_string(),
            requests: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let issuer = Issuer {
            key: server.dir.path().join("key.pem"),
            cert_der: std::fs::read(server.dir.path().join("cert.der")).expect("reading cert.der"),
            expected_basic: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
        };
        let (requests, stop) = (server.requests.clone(), server.stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    requests.fetch_add(1, Ordering::SeqCst);
                    issuer.serve(stream);
                }
            }
        });
        server
    }

    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Token requests served so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

fn make_signing_key(dir: &Path) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("running openssl");
        assert!(
            output.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-subj",
        "/CN=drydock-test-token-issuer",
    ]);
    run(&["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der"]);
}

struct Issuer {
    key: PathBuf,
    cert_der: Vec<u8>,
    expected_basic: String,
}

impl Issuer {
    fn serve(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let Some((target, authorization)) = read_request(&stream) else {
            return;
        };
        let response = if authorization.as_deref() != Some(self.expected_basic.as_str()) {
            http_response(
                "401 Unauthorized",
                "application/json",
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"bad or missing credentials"}]}"#,
            )
        } else {
            let token = self.token(&query_values(&target, "scope"));
            let body = format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#);
            http_response("200 OK", "application/json", body.as_bytes())
        };
        let _ = stream.write_all(&response);
    }

    /// A JWT granting every action asked for in each `repository:<name>:<actions>` scope.
    fn token(&self, scopes: &[String]) -> String {
        let access: Vec<serde_json::Value> = scopes
            .iter()
            .filter_map(|scope| {
                let mut parts = scope.splitn(3, ':');
                let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                Some(serde_json::json!({
                    "type": kind,
                    "name": name,
                    "actions": actions.split(',').collect::<Vec<_>>(),
                }))
            })
            .collect();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = serde_json::json!({
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.cert_der)],
        });
        let claims = serde_json::json!({
            "iss": TOKEN_ISSUER,
            "sub": "drydock-test-user",
            "aud": TOKEN_SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now - 10,
            "jti": format!("jti-{now}-{}", scopes.len()),
            "access": access,
        });
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{signing_input}.{}", b64(&self.sign(signing_input.as_bytes())))
    }

    /// RS256 is RSASSA-PKCS1-v1_5 over SHA-256: exactly `openssl dgst -sha256 -sign`.
    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-binary", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running openssl dgst");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(data).expect("writing to openssl");
        }
        let output = child.wait_with_output().expect("waiting for openssl");
        assert!(
            output.status.success(),
            "openssl dgst failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

/// Reads a request's head; returns its target and `Authorization` header.
fn read_request(stream: &TcpStream) -> Option<(String, Option<String>)> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let target = request_line.split_whitespace().nth(1)?.to_string();
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    Some((target, authorization))
}

/// Every value of a query parameter, percent-decoded.
fn query_values(target: &str, name: &str) -> Vec<String> {
    let Some((_, query)) = target.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
        .collect()
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}
