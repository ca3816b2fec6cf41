//! A TCP proxy in front of PostgreSQL that the test can turn off (refuse: drop every connection
//! and refuse new ones) or freeze (stall: keep connections open but pass nothing).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Pass,
    /// Drop every connection and refuse new ones.
    Refuse,
    /// Keep connections but forward nothing.
    Stall,
}

/// A running proxy.
pub struct Proxy {
    port: u16,
    mode: Arc<watch::Sender<Mode>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to 127.0.0.1:`target`.
    pub async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, _) = watch::channel(Mode::Pass);
        let mode = Arc::new(tx);
        let m = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *m.borrow() == Mode::Refuse {
                    drop(client);
                    continue;
                }
                let m = m.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let a = tokio::spawn(pipe(cr, sw, m.subscribe()));
                    let b = tokio::spawn(pipe(sr, cw, m.subscribe()));
                    let _ = tokio::join!(a, b);
                });
            }
        });
        Proxy { port, mode, task }
    }

    /// host:port of the proxy.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Switches the mode.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Refuse (true) or pass (false).
    pub fn refuse(&self, on: bool) {
        self.set(if on { Mode::Refuse } else { Mode::Pass });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => match r { Ok(0) | Err(_) => return, Ok(n) => n },
            _ = mode.wait_for(|m| *m == Mode::Refuse) => return,
        };
        // Stalled: hold the bytes until the proxy passes again, or drop on refuse.
        match mode.wait_for(|m| *m != Mode::Stall).await.map(|m| *m) {
            Ok(Mode::Pass) => {}
            _ => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
