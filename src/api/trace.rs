//! A `tracing` span around each HTTP request, with the method, the route it matched (the
//! template, such as `/api/v1/runs/{run}/cases/{case_id}`, so that lines group by endpoint), the
//! path (without its query string: paths carry run names and case ids, never personal data), the
//! run it names and, once answered, the status.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Middleware: runs the request inside its span and records the status.
pub async fn request(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let run = run_of(req.uri().path()).unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_string();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        path = %path,
        run = %run,
        status = tracing::field::Empty,
    );
    async move {
        let response = next.run(req).await;
        tracing::Span::current().record("status", response.status().as_u16());
        response
    }
    .instrument(span)
    .await
}

/// The run a path names: the segment after `runs/` (API `/api/v1/runs/R/…`, console
/// `/console/runs/R/…`).
fn run_of(path: &str) -> Option<String> {
    let mut segments = path.split('/');
    segments.find(|s| *s == "runs")?;
    segments
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;
    use tracing_subscriber::fmt::format::FmtSpan;

    use super::run_of;

    /// Where the test's subscriber writes its lines.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_span_names_the_route_template_the_run_and_the_status() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/api/v1/runs/{run}/cases/{case_id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(super::request));
        for uri in ["/api/v1/runs/spring/cases/X-7?q=1", "/nowhere"] {
            let req = axum::http::Request::get(uri).body(Body::empty()).unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let mut closed = text.lines().filter(|l| l.contains("close"));
        let first = closed.next().expect("a span line for the first request");
        assert!(
            first.contains("route=/api/v1/runs/{run}/cases/{case_id}"),
            "{first}"
        );
        assert!(
            first.contains("run=spring") && first.contains("status=200"),
            "{first}"
        );
        assert!(
            !first.contains("q=1"),
            "the query string is not logged: {first}"
        );
        let second = closed.next().expect("a span line for the second request");
        assert!(
            second.contains("route=(no route)") && second.contains("status=404"),
            "{second}"
        );
    }

    #[test]
    fn the_run_is_the_segment_after_runs() {
        assert_eq!(
            run_of("/api/v1/runs/spring-2012/cases/X-1").as_deref(),
            Some("spring-2012")
        );
        assert_eq!(run_of("/console/runs/r1").as_deref(), Some("r1"));
        assert_eq!(run_of("/api/v1/runs"), None);
        assert_eq!(run_of("/metrics"), None);
    }
}
