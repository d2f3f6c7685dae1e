//! Images in the local Docker Engine (`docker:NAME`), read from its image export stream over
//! the unix socket. The stream is consumed as it arrives, never copied to disk; a small
//! background thread runs the async client and hands the bytes over a bounded channel.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use bollard::Docker;
use futures_util::StreamExt;

use crate::error::{OciError, Result};

const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
/// Seconds bollard waits for an answer to one request.
const REQUEST_TIMEOUT_SECS: u64 = 600;
/// Chunks in flight between the client thread and the reader: bounded memory.
const CHANNEL_DEPTH: usize = 16;

/// A `docker save` stream of one image from the engine.
pub struct ExportStream {
    /// The image name as the user gave it.
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// The socket to use: `docker_host`, else `$DOCKER_HOST`, else the default socket.
fn socket_address(docker_host: Option<&str>) -> Result<String> {
    let from_env = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
    let address = docker_host
        .map(str::to_string)
        .or(from_env)
        .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
    if address.starts_with("unix://") || address.starts_with('/') {
        Ok(address)
    } else {
        Err(OciError::Docker {
            reason: format!("DOCKER_HOST `{address}` is not a unix socket; only unix:// sockets are supported"),
        })
    }
}

/// Starts exporting `name`. Fails early, with the engine's words, when the engine cannot
/// be reached or has no such image.
pub fn export(name: &str, docker_host: Option<&str>) -> Result<ExportStream> {
    let address = socket_address(docker_host)?;
    let (sender, receiver) = sync_channel::<io::Result<Vec<u8>>>(CHANNEL_DEPTH);
    let (ready_sender, ready_receiver) = sync_channel::<Result<()>>(1);
    let image = name.to_string();
    std::thread::Builder::new()
        .name("docker-export".into())
        .spawn(move || run_export(&address, &image, sender, ready_sender))
        .map_err(|e| OciError::Docker {
            reason: format!("starting the export thread: {e}"),
        })?;
    match ready_receiver.recv() {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error),
        Err(_) => {
            return Err(OciError::Docker {
                reason: "the export thread stopped before it started".into(),
            });
        }
    }
    Ok(ExportStream {
        name: name.to_string(),
        reader: Box::new(ChannelReader {
            receiver,
            current: Vec::new(),
            position: 0,
        }),
    })
}

fn run_export(address: &str, image: &str, sender: SyncSender<io::Result<Vec<u8>>>, ready: SyncSender<Result<()>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(OciError::Docker {
                reason: format!("starting the async runtime: {e}"),
            }));
            return;
        }
    };
    runtime.block_on(async move {
        let docker = match Docker::connect_with_unix(address, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION) {
            Ok(docker) => docker,
            Err(e) => {
                let _ = ready.send(Err(OciError::Docker {
                    reason: format!("cannot connect to {address}: {e}"),
                }));
                return;
            }
        };
        if let Err(e) = docker.inspect_image(image).await {
            let reason = match &e {
                bollard::errors::Error::DockerResponseServerError { status_code: 404, .. } => {
                    format!("no image `{image}` in the engine at {address} (load it with `docker load` or pull it)")
                }
                other => format!("inspecting `{image}` at {address}: {other}"),
            };
            let _ = ready.send(Err(OciError::Docker { reason }));
            return;
        }
        let _ = ready.send(Ok(()));
        let mut stream = docker.export_image(image);
        while let Some(chunk) = stream.next().await {
            let item = chunk
                .map(|bytes| bytes.to_vec())
                .map_err(|e| io::Error::other(format!("Docker Engine export of `{image}`: {e}")));
            let failed = item.is_err();
            if sender.send(item).is_err() || failed {
                return;
            }
        }
    });
}

/// Reads the chunks the export thread sends, in order.
struct ChannelReader {
    receiver: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position >= self.current.len() {
            match self.receiver.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.position = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let available = &self.current[self.position..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.position += n;
        Ok(n)
    }
}
