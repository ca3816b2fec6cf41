//! Limits of every HTTP listener (`docket serve` and the `/metrics` servers): a client has
//! `header_read_timeout_secs` to send a request's headers and `body_read_timeout_secs` to send
//! its body; a connection with no traffic for `idle_timeout_secs` is closed; at most
//! `max_connections` are open at once (more are closed as soon as they are accepted).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The `[http]` settings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Seconds a client has to send a request's headers (also the wait for the next request).
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    pub body_read_timeout_secs: u64,
    /// Seconds without any traffic after which a connection is closed.
    pub idle_timeout_secs: u64,
    /// Connections open at once per listener.
    pub max_connections: usize,
    /// Largest request body read, in bytes (the API accepts less).
    pub max_body_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 256,
            max_body_bytes: 1 << 20,
        }
    }
}

static CONFIGURED: OnceLock<HttpSettings> = OnceLock::new();

/// Sets the limits of every listener of this process (once, at start-up; later calls are
/// ignored). Without it, the defaults apply.
pub fn configure(s: HttpSettings) {
    let _ = CONFIGURED.set(s);
}

/// The limits in force.
pub fn current() -> HttpSettings {
    CONFIGURED.get().copied().unwrap_or_default()
}

/// Serves `app` on `listener` under `limits` until `token` is cancelled; connections in flight
/// are then shut down gracefully.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpSettings,
    token: CancellationToken,
) {
    let app = app.layer(axum::middleware::from_fn_with_state(limits, read_body));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let (stream, peer) = tokio::select! {
            _ = token.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "HTTP accept failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!("HTTP connection refused: max_connections reached.");
            drop(stream);
            continue;
        };
        // Handlers that limit by client address (sign-in) read it as `ConnectInfo`.
        let app = app
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let token = token.clone();
        tokio::spawn(async move {
            connection(stream, app, limits, token).await;
            drop(slot);
        });
    }
}

async fn connection(
    stream: TcpStream,
    app: Router,
    limits: HttpSettings,
    token: CancellationToken,
) {
    let last = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let io = hyper_util::rt::TokioIo::new(Tracked {
        inner: stream,
        started,
        last: last.clone(),
    });
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs));
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let idle = Duration::from_secs(limits.idle_timeout_secs.max(1));
    let mut tick = tokio::time::interval(Duration::from_millis(250).min(idle));
    let mut closing = false;
    loop {
        tokio::select! {
            _ = &mut conn => return,
            _ = token.cancelled(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tick.tick() => {
                let quiet = started.elapsed().saturating_sub(Duration::from_millis(
                    last.load(Ordering::Relaxed),
                ));
                if quiet >= idle {
                    // Idle this long, even mid-request: close it outright.
                    return;
                }
            }
        }
    }
}

/// Reads the whole body within `body_read_timeout_secs` (408 otherwise) and at most
/// `max_body_bytes` (413 otherwise), then hands it on.
async fn read_body(
    axum::extract::State(limits): axum::extract::State<HttpSettings>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let within = Duration::from_secs(limits.body_read_timeout_secs);
    let bytes =
        match tokio::time::timeout(within, axum::body::to_bytes(body, limits.max_body_bytes)).await
        {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response();
            }
            Err(_) => {
                let mut r =
                    (StatusCode::REQUEST_TIMEOUT, "request body too slow\n").into_response();
                r.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
                return r;
            }
        };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A stream that records when it last moved a byte (milliseconds since `started`).
struct Tracked {
    inner: TcpStream,
    started: Instant,
    last: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::routing::{get, post};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn start(limits: HttpSettings) -> (SocketAddr, CancellationToken) {
        let app = Router::new().route("/x", get(|| async { "ok" })).route(
            "/x",
            post(|body: String| async move { body.len().to_string() }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token = CancellationToken::new();
        tokio::spawn(serve(listener, app, limits, token.clone()));
        (addr, token)
    }

    fn limits(header: u64, body: u64, idle: u64, max: usize) -> HttpSettings {
        HttpSettings {
            header_read_timeout_secs: header,
            body_read_timeout_secs: body,
            idle_timeout_secs: idle,
            max_connections: max,
            ..HttpSettings::default()
        }
    }

    /// Reads until the server closes the connection (or 10 s pass); returns what came and when.
    async fn until_closed(s: &mut TcpStream, since: Instant) -> (String, Duration) {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        let deadline = since + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Err(_) => panic!("still open after 10 s"),
            }
        }
        (String::from_utf8_lossy(&got).into_owned(), since.elapsed())
    }

    #[tokio::test]
    async fn half_a_request_head_is_cut_off_at_the_header_timeout() {
        let (addr, token) = start(limits(1, 30, 60, 16)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let t = Instant::now();
        s.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\n")
            .await
            .unwrap();
        let (_, after) = until_closed(&mut s, t).await;
        assert!(
            after >= Duration::from_millis(900) && after < Duration::from_secs(5),
            "{after:?}"
        );
        token.cancel();
    }

    #[tokio::test]
    async fn a_body_sent_too_slowly_gets_408() {
        let (addr, token) = start(limits(10, 1, 60, 16)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let t = Instant::now();
        s.write_all(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789")
            .await
            .unwrap();
        let (reply, after) = until_closed(&mut s, t).await;
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
        assert!(after < Duration::from_secs(5), "{after:?}");
        token.cancel();
    }

    #[tokio::test]
    async fn an_idle_kept_alive_connection_is_closed() {
        let (addr, token) = start(limits(10, 30, 1, 16)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        let t = Instant::now();
        let (_, after) = until_closed(&mut s, t).await;
        assert!(
            after >= Duration::from_millis(700) && after < Duration::from_secs(5),
            "{after:?}"
        );
        token.cancel();
    }

    #[tokio::test]
    async fn connections_past_the_limit_are_closed_at_once() {
        let (addr, token) = start(limits(30, 30, 60, 3)).await;
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(TcpStream::connect(addr).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut extra = TcpStream::connect(addr).await.unwrap();
        let t = Instant::now();
        let (_, after) = until_closed(&mut extra, t).await;
        assert!(after < Duration::from_secs(2), "{after:?}");
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = TcpStream::connect(addr).await.unwrap();
        again
            .write_all(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (reply, _) = until_closed(&mut again, Instant::now()).await;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        token.cancel();
    }
}
