//! A `tracing` span around each HTTP request, with the method, the path (without its query
//! string: paths carry run names and case ids, never personal data), the run it names and, once
//! answered, the status.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Middleware: runs the request inside its span and records the status.
pub async fn request(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let run = run_of(req.uri().path()).unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
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
    use super::run_of;

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
