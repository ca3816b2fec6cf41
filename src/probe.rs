//! A minimal HTTP/1.0 GET for health probes in containers without curl (`docket probe URL`) and
//! for the tests, which query `/metrics` and Prometheus' API.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not `http://host:port/path`.
    #[error("not an http://host:port/path URL: {0}")]
    Url(String),
    /// Connecting, writing or reading failed.
    #[error("request failed: {0}")]
    Io(#[from] std::io::Error),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer is not HTTP.
    #[error("not an HTTP response")]
    Malformed,
}

/// Splits `http://host:port/path?query` into `host:port` and `/path?query`.
pub fn split_url(url: &str) -> Result<(String, String), ProbeError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ProbeError::Url(url.into()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || !authority.contains(':') {
        return Err(ProbeError::Url(url.into()));
    }
    Ok((authority.to_string(), path.to_string()))
}

/// GETs `url` (plain HTTP/1.0, no redirects) and returns the status code and the body.
pub async fn get(url: &str, timeout: Duration) -> Result<(u16, String), ProbeError> {
    let (authority, path) = split_url(url)?;
    let request = async {
        let mut stream = TcpStream::connect(&authority).await?;
        let head = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: */*\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| ProbeError::Timeout(timeout))??;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or(ProbeError::Malformed)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(ProbeError::Malformed)?;
    Ok((status, body.to_string()))
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_path() {
        let (a, p) = split_url("http://127.0.0.1:9464/readyz").unwrap();
        assert_eq!((a.as_str(), p.as_str()), ("127.0.0.1:9464", "/readyz"));
        assert!(split_url("https://x:1/").is_err());
        assert!(split_url("http://nohostport/").is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("sum(x{a=\"b\"})"), "sum%28x%7Ba%3D%22b%22%7D%29");
    }
}
