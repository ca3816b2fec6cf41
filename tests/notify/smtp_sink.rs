//! A minimal SMTP server for the tests, on tokio: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
//!
//! Why our own and not Python's stdlib: `smtpd` is gone from Python 3.12 and `aiosmtpd` is not
//! in the stdlib; a sink in the test binary needs no extra process and gives exact knobs:
//! - `reject`: answer RCPT for an address with 550 (the reply quotes the address, as real
//!   servers do, so a test can check that docket never copies the reply into its records);
//! - `data_delay`: wait before answering the end of DATA; a client that disconnects during the
//!   wait aborts the transaction (counted in `aborted`), like a server that commits only when it
//!   replies;
//! - `go_down` / `come_up`: stop listening (connections are refused), then listen on the same port.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub rcpt: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Shared {
    reject: Mutex<HashSet<String>>,
    data_delay: Mutex<Duration>,
    received: Mutex<Vec<Received>>,
    in_data: AtomicUsize,
    aborted: AtomicUsize,
}

/// The sink and its knobs.
pub struct Sink {
    port: u16,
    shared: Arc<Shared>,
    accept: Mutex<Option<JoinHandle<()>>>,
    /// The port while the sink is down from its start (see [`Sink::start_down`]).
    reserved: Mutex<Option<TcpSocket>>,
}

impl Sink {
    /// A sink listening on a free loopback port.
    /// The listener is bound once and kept: freeing a probed port and binding it again could find
    /// it taken by another test's outgoing connection in between.
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Sink {
            port: listener.local_addr().unwrap().port(),
            shared: Arc::default(),
            accept: Mutex::new(None),
            reserved: Mutex::new(None),
        };
        sink.listen(listener);
        sink
    }

    /// A sink with a port reserved but not listening (connections are refused). The port is held
    /// by a socket bound to it that does not listen, until [`Sink::come_up`]: a probed port freed
    /// at once could be taken in between by another test's sink or connection.
    pub async fn start_down() -> Sink {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
        Sink {
            port: socket.local_addr().unwrap().port(),
            shared: Arc::default(),
            accept: Mutex::new(None),
            reserved: Mutex::new(Some(socket)),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts listening on the sink's port.
    pub async fn come_up(&self) {
        drop(self.reserved.lock().unwrap().take());
        self.listen(TcpListener::bind(("127.0.0.1", self.port)).await.unwrap());
    }

    /// Accepts sessions on `listener` until [`Sink::go_down`].
    fn listen(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
        });
        *self.accept.lock().unwrap() = Some(task);
    }

    /// Stops listening.
    pub fn go_down(&self) {
        if let Some(task) = self.accept.lock().unwrap().take() {
            task.abort();
        }
    }

    pub fn reject(&self, address: &str) {
        self.shared.reject.lock().unwrap().insert(address.into());
    }

    pub fn set_data_delay(&self, d: Duration) {
        *self.shared.data_delay.lock().unwrap() = d;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Transactions waiting for their DATA reply right now.
    pub fn in_data(&self) -> usize {
        self.shared.in_data.load(Ordering::SeqCst)
    }

    /// Transactions the client abandoned while waiting for the DATA reply.
    pub fn aborted(&self) -> usize {
        self.shared.aborted.load(Ordering::SeqCst)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.go_down();
    }
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg[start..end].to_string()
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut w) = stream.into_split();
    let mut r = BufReader::new(read);
    w.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut rcpt: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into(),
            "HELO" | "NOOP" => "250 OK\r\n".into(),
            "MAIL" | "RSET" => {
                rcpt.clear();
                "250 OK\r\n".into()
            }
            "RCPT" => {
                let a = address(&cmd);
                if shared.reject.lock().unwrap().contains(&a) {
                    format!("550 5.1.1 <{a}>: Recipient address rejected\r\n")
                } else {
                    rcpt.push(a);
                    "250 OK\r\n".into()
                }
            }
            "DATA" if rcpt.is_empty() => "554 no valid recipients\r\n".into(),
            "DATA" => {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                let delay = *shared.data_delay.lock().unwrap();
                shared.in_data.fetch_add(1, Ordering::SeqCst);
                let mut probe = [0u8; 1];
                let abandoned = tokio::select! {
                    _ = tokio::time::sleep(delay) => false,
                    n = r.read(&mut probe) => matches!(n, Ok(0) | Err(_)),
                };
                shared.in_data.fetch_sub(1, Ordering::SeqCst);
                if abandoned {
                    shared.aborted.fetch_add(1, Ordering::SeqCst);
                    return Ok(());
                }
                let message_id = data
                    .lines()
                    .take_while(|l| !l.is_empty())
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("message-id")
                            .then(|| value.trim().to_string())
                    })
                    .unwrap_or_default();
                shared.received.lock().unwrap().push(Received {
                    message_id,
                    rcpt: std::mem::take(&mut rcpt),
                    data,
                });
                "250 2.0.0 queued\r\n".into()
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented\r\n".into(),
        };
        w.write_all(reply.as_bytes()).await?;
    }
}
