//! A real browser for the console's tests: headless Chromium driven through WebDriver
//! (chromedriver on a free loopback port), and `docket serve`'s routes on another.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use sqlx::PgPool;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The console and API on a free loopback port, until dropped.
pub struct Server {
    pub base: String,
    token: CancellationToken,
}

impl Server {
    /// Serves the console and the API on the test's database.
    pub async fn start(pool: &PgPool) -> Server {
        Self::start_with(pool, None).await
    }

    /// The same, with the test's broker settings for the Dead letters page.
    pub async fn start_with(pool: &PgPool, queue: Option<&docket::config::Settings>) -> Server {
        let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut state = docket::console::ConsoleState::new(
            pool.clone(),
            docket::console::ConsoleSettings::default(),
            addr,
        );
        if let Some(s) = queue {
            state = state.with_queue(s.clone());
        }
        let console = docket::console::router(state);
        let api = docket::api::router(docket::api::ApiState { pool: pool.clone() });
        let token = CancellationToken::new();
        let (bound, _task) =
            docket::telemetry::server::listen(addr, console.merge(api), token.clone())
                .await
                .expect("the console listens");
        Server {
            base: format!("http://{bound}"),
            token,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// chromedriver and one headless Chromium session; the driver is killed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a 1280×900 headless Chromium; panics naming the binaries when they
    /// are missing (Debian packages `chromium` and `chromium-driver`).
    pub async fn start() -> Browser {
        // The WebDriver client's TLS stack needs a process-wide provider (it speaks plain HTTP
        // to chromedriver, but builds its connector first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{CHROMEDRIVER} is needed (Debian package chromium-driver): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"]
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("a WebDriver client")
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    driver.kill().await.ok();
                    panic!(
                        "chromedriver at {url} did not start a Chromium session ({CHROMIUM}): {e}"
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
        std::fs::create_dir_all(&shots).expect("the screenshot folder");
        Browser {
            client,
            driver,
            shots,
        }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page opens");
    }

    /// The text of the first element matching `css`, waiting up to 15 s for it to appear (a
    /// navigation may still be under way).
    pub async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match found {
                Ok(t) => return t,
                Err(e) if Instant::now() > deadline => panic!("no element {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The whole page's visible text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    /// The page's text once it contains `needle` (a navigation may still be under way); panics
    /// with the page's text after 15 s.
    pub async fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            // Mid-navigation the body may vanish under the lookup: try again.
            let page = match self.client.find(Locator::Css("body")).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if page.contains(needle) {
                return page;
            }
            if Instant::now() > deadline {
                panic!("the page never said {needle:?}: {page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the field `css` (after clearing it).
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no field {css}: {e}"));
        e.clear().await.ok();
        e.send_keys(value).await.expect("typing");
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks `css` (a submit button or a link) and waits until the browser has left the page
    /// and loaded the next one, so that what is read next is the new page, not the old one.
    pub async fn submit(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page to leave");
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        // The old page's root goes stale once the next page replaces it.
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking {css} never left the page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        loop {
            let state = self
                .client
                .execute("return document.readyState", vec![])
                .await;
            if matches!(
                state.as_ref().ok().and_then(|v| v.as_str()),
                Some("complete")
            ) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page after {css} never loaded"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Chooses `value` in the select `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no select {css}: {e}"))
            .select_by_value(value)
            .await
            .expect("option");
    }

    /// Signs in through the form, then returns the page's text.
    pub async fn sign_in(&self, base: &str, name: &str, password: &str) -> String {
        self.goto(&format!("{base}/console/sign-in")).await;
        self.fill("#name", name).await;
        self.fill("#password", password).await;
        self.submit("form button[type=submit]").await;
        self.body().await
    }

    /// Signs out with the navigation bar's form.
    pub async fn sign_out(&self) {
        self.submit("form.who button").await;
    }

    /// Saves a screenshot of the page as `name.png` and prints where.
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        println!("screenshot: {}", path.display());
    }

    /// Ends the browser session and chromedriver.
    pub async fn stop(mut self) {
        self.client.close().await.ok();
        self.driver.kill().await.ok();
    }
}
