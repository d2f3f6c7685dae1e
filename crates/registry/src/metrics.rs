//! Prometheus metrics in the text exposition format, served at `/metrics`.
//!
//! A handful of counters and one histogram family do not need the `metrics` crate and its
//! exporter (two crates and a recorder to install for what a locked map does): requests by
//! route template, method and status; request latency by route template; bytes received and
//! sent; and, read from the metadata at scrape time, what the registry stores.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use sqlx::Row;

use crate::Registry;
use crate::names::Endpoint;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The registry's request metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    bytes_in: Arc<AtomicU64>,
    bytes_out: Arc<AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The route template of a path: its endpoint with the variable parts named, not filled.
pub fn route_template(path: &str) -> &'static str {
    match path {
        "/healthz" => return "/healthz",
        "/readyz" => return "/readyz",
        "/metrics" => return "/metrics",
        _ => {}
    }
    match Endpoint::parse(path) {
        Some(Endpoint::Base) => "/v2/",
        Some(Endpoint::Catalog) => "/v2/_catalog",
        Some(Endpoint::Manifest { .. }) => "/v2/{name}/manifests/{reference}",
        Some(Endpoint::Blob { .. }) => "/v2/{name}/blobs/{digest}",
        Some(Endpoint::Uploads { .. }) => "/v2/{name}/blobs/uploads/",
        Some(Endpoint::Upload { .. }) => "/v2/{name}/blobs/uploads/{id}",
        Some(Endpoint::Tags { .. }) => "/v2/{name}/tags/list",
        Some(Endpoint::Referrers { .. }) => "/v2/{name}/referrers/{digest}",
        None => "other",
    }
}

impl Metrics {
    fn record(&self, route: &'static str, method: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, method.to_string(), status)).or_insert(0) += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            latency.entry(route).or_default().observe(seconds);
        }
    }

    /// The request metrics in the text format.
    pub fn render_requests(&self, out: &mut String) {
        out.push_str("# HELP drydock_http_requests_total HTTP requests by route template, method and status.\n");
        out.push_str("# TYPE drydock_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, method, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "drydock_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP drydock_http_request_duration_seconds Time to the response's headers.\n");
        out.push_str("# TYPE drydock_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                    let _ = writeln!(
                        out,
                        "drydock_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "drydock_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "drydock_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "drydock_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count
                );
            }
        }
        counter(
            out,
            "drydock_http_received_bytes_total",
            "Request body bytes received.",
            self.bytes_in.load(Ordering::Relaxed),
        );
        counter(
            out,
            "drydock_http_sent_bytes_total",
            "Response body bytes sent.",
            self.bytes_out.load(Ordering::Relaxed),
        );
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// Counts each request and its body bytes both ways, and times it to its response headers.
pub async fn track(State(registry): State<Arc<Registry>>, request: Request, next: Next) -> Response {
    let metrics = &registry.metrics;
    let route = route_template(request.uri().path());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let request = request.map(|body| Body::new(Counted::new(body, metrics.bytes_in.clone())));
    let response = next.run(request).await;
    metrics.record(
        route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response.map(|body| Body::new(Counted::new(body, metrics.bytes_out.clone())))
}

/// `GET /metrics`.
pub async fn endpoint(State(registry): State<Arc<Registry>>) -> Response {
    let mut out = String::new();
    registry.metrics.render_requests(&mut out);
    match storage(&registry).await {
        Ok(stored) => {
            gauge(
                &mut out,
                "drydock_storage_blob_bytes",
                "Bytes of stored blobs.",
                stored.blob_bytes,
            );
            gauge(&mut out, "drydock_storage_blobs", "Stored blobs.", stored.blobs);
            gauge(
                &mut out,
                "drydock_storage_manifest_bytes",
                "Bytes of stored manifests.",
                stored.manifest_bytes,
            );
            gauge(
                &mut out,
                "drydock_storage_manifests",
                "Stored manifests.",
                stored.manifests,
            );
            gauge(&mut out, "drydock_repositories", "Repositories.", stored.repositories);
            gauge(
                &mut out,
                "drydock_upload_sessions",
                "Upload sessions open.",
                stored.uploads,
            );
        }
        Err(error) => tracing::warn!(%error, "metrics: reading storage totals from the metadata failed"),
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

struct Stored {
    blob_bytes: i64,
    blobs: i64,
    manifest_bytes: i64,
    manifests: i64,
    repositories: i64,
    uploads: i64,
}

async fn storage(registry: &Registry) -> crate::Result<Stored> {
    let pool = registry.meta.pool();
    // Reserved records (size -1) are objects not yet linked: not counted.
    let row = sqlx::query(
        "SELECT (SELECT COALESCE(SUM(size), 0) FROM blobs WHERE size >= 0), \
                (SELECT COUNT(*) FROM blobs WHERE size >= 0), \
                (SELECT COALESCE(SUM(size), 0) FROM manifests), \
                (SELECT COUNT(*) FROM manifests), \
                (SELECT COUNT(*) FROM repositories), \
                (SELECT COUNT(*) FROM uploads)",
    )
    .fetch_one(pool)
    .await?;
    Ok(Stored {
        blob_bytes: row.try_get(0)?,
        blobs: row.try_get(1)?,
        manifest_bytes: row.try_get(2)?,
        manifests: row.try_get(3)?,
        repositories: row.try_get(4)?,
        uploads: row.try_get(5)?,
    })
}

/// A body that adds the length of each data frame to a counter, passing everything through
/// (its size hint included, so lengths and `Content-Length` are what they were).
struct Counted {
    inner: Body,
    counter: Arc<AtomicU64>,
}

impl Counted {
    fn new(inner: Body, counter: Arc<AtomicU64>) -> Self {
        Counted { inner, counter }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.counter.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_hide_names_and_digests() {
        assert_eq!(
            route_template("/v2/team/app/manifests/latest"),
            "/v2/{name}/manifests/{reference}"
        );
        assert_eq!(
            route_template("/v2/a/blobs/uploads/0123"),
            "/v2/{name}/blobs/uploads/{id}"
        );
        assert_eq!(route_template("/nowhere"), "other");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record("/v2/", "GET", 200, 0.003);
        metrics.record("/v2/", "GET", 200, 0.3);
        let mut out = String::new();
        metrics.render_requests(&mut out);
        assert!(out.contains("drydock_http_requests_total{route=\"/v2/\",method=\"GET\",status=\"200\"} 2"));
        assert!(out.contains("drydock_http_request_duration_seconds_bucket{route=\"/v2/\",le=\"0.001\"} 0"));
        assert!(out.contains("drydock_http_request_duration_seconds_bucket{route=\"/v2/\",le=\"0.005\"} 1"));
        assert!(out.contains("drydock_http_request_duration_seconds_bucket{route=\"/v2/\",le=\"0.5\"} 2"));
        assert!(out.contains("drydock_http_request_duration_seconds_count{route=\"/v2/\"} 2"));
    }
}
