//! The dashboard in a real browser: headless Debian Chromium driven over WebDriver
//! (chromedriver + fantoccini). It needs the Debian packages `chromium` and
//! `chromium-driver`; scripts/test.sh installs them when missing (as root). Without them
//! this test fails and says so: it never skips silently.

mod common;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);

/// A chromedriver process on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group, and Chromium stays in it: killing the
        // group leaves no browser behind, even when the test failed before `close`.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(bin).is_file()))
}

fn start_driver() -> Driver {
    let missing: Vec<&str> = [
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
    ]
    .into_iter()
    .filter(|(bin, _)| !on_path(bin))
    .map(|(_, package)| package)
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs the Debian packages chromium and chromium-driver \
         (missing: {}); install them with `apt-get install chromium chromium-driver` \
         (scripts/test.sh does so when run as root)",
        missing.join(", ")
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile =
        std::env::temp_dir().join(format!("hardy-odds-chromium-{}-{port}", std::process::id()));
    Driver {
        child,
        port,
        profile,
    }
}

async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1440,1050",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }),
    );
    caps.insert("pageLoadStrategy".into(), json!("eager"));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    common::within(LIMIT, "chromedriver to accept a session", async {
        let mut retry = tokio::time::interval(Duration::from_millis(50));
        loop {
            retry.tick().await;
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return client,
                Err(e) if driver_starting(&e) => continue,
                Err(e) => panic!("chromedriver refused a session: {e}"),
            }
        }
    })
    .await
}

fn driver_starting(e: &fantoccini::error::NewSessionError) -> bool {
    // Until chromedriver listens, connecting fails at the socket.
    matches!(e, fantoccini::error::NewSessionError::Failed(_))
}

/// Evaluates `script` (which returns a value) until `cond` holds on its result.
async fn eventually(
    client: &Client,
    what: &str,
    script: &str,
    mut cond: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    common::within(LIMIT, what, async {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            let v = client.execute(script, vec![]).await.expect("script runs");
            if cond(&v) {
                return v;
            }
        }
    })
    .await
}

/// Clicks the element `css` selects. The click is dispatched by the page's own
/// `element.click()`: WebDriver's pointer click waits for the page to settle, and a page
/// that repaints on every animation frame can keep it waiting for many seconds.
async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect("the button is on the page");
    client
        .execute(
            "document.querySelector(arguments[0]).click(); return true;",
            vec![json!(css)],
        )
        .await
        .expect("click");
}

const SEQS: &str = "return [...document.querySelectorAll('.card')].map(c => Number(c.querySelector('.seq').textContent));";

fn seq_of(v: &serde_json::Value, m: usize) -> u64 {
    v[m - 1].as_u64().unwrap_or(0)
}

fn sum_except(v: &serde_json::Value, except: usize) -> u64 {
    v.as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .filter(|(i, _)| i + 1 != except)
                .map(|(_, x)| x.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

#[actix_rt::test]
async fn the_dashboard_shows_odds_a_worker_crash_and_a_redis_outage_recovering() {
    let t0 = std::time::Instant::now();
    let phase = |what: &str| println!("[{:>6.2}s] {what}", t0.elapsed().as_secs_f64());
    let driver = start_driver();
    let mut config = common::config();
    // A gentle rate: headless Chromium renders on the CPU, which CI shares with other tests.
    config.sim.rate = 120.0;
    config.redis_downtime = Duration::from_millis(1500);
    let (service, _sse) = common::start(config).await;
    phase("service up");
    let client = connect(&driver).await;
    phase("browser session");
    client
        .goto(&service.url())
        .await
        .expect("open the dashboard");
    phase("page loaded");

    // Odds change on the page.
    let first = eventually(&client, "50 match cards with odds", SEQS, |v| {
        v.as_array()
            .is_some_and(|a| a.len() == 50 && a.iter().all(|s| s.as_u64() > Some(0)))
    })
    .await;
    let home_7 = "return document.querySelector('#match-7 .price.home .o').textContent;";
    let h0 = client.execute(home_7, vec![]).await.expect("script");
    eventually(&client, "the odds changing", SEQS, |v| {
        sum_except(v, 0) >= sum_except(&first, 0) + 60
    })
    .await;
    eventually(&client, "match 7's price changing", home_7, |v| *v != h0).await;

    phase("odds changing");
    // Crash match 7: its restart count rises, its odds resume, the others keep updating.
    let restarts_7 = "return document.querySelector('#match-7 .restarts').textContent;";
    assert_eq!(
        client.execute(restarts_7, vec![]).await.expect("script"),
        json!("0")
    );
    click(&client, "#match-7 button.crash").await;
    phase("crash clicked");
    eventually(&client, "match 7's restart count at 1", restarts_7, |v| {
        *v == json!("1")
    })
    .await;
    phase("restart count shown");
    let at_restart = client.execute(SEQS, vec![]).await.expect("script");
    eventually(
        &client,
        "match 7's odds resuming, the others updating",
        SEQS,
        |v| {
            seq_of(v, 7) > seq_of(&at_restart, 7)
                && sum_except(v, 7) >= sum_except(&at_restart, 7) + 60
        },
    )
    .await;

    phase("match 7 crashed and resumed");
    // Kill Redis: the page shows it reconnecting, then connected.
    let redis = "return document.querySelector('#redis-state').dataset.state;";
    assert_eq!(
        client.execute(redis, vec![]).await.expect("script"),
        json!("connected")
    );
    click(&client, "#kill-redis").await;
    phase("kill clicked");
    eventually(&client, "Redis shown reconnecting", redis, |v| {
        *v == json!("reconnecting")
    })
    .await;
    phase("reconnecting shown");
    eventually(&client, "Redis shown connected again", redis, |v| {
        *v == json!("connected")
    })
    .await;
    let q = "return Number(document.querySelector('#queue-depth').textContent.replace(/,/g, ''));";
    eventually(&client, "the storage queue drained", q, |v| {
        v.as_u64().is_some_and(|d| d < 100)
    })
    .await;

    phase("redis back, queue drained");
    let png = client.screenshot().await.expect("screenshot");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/odds-dashboard.png");
    std::fs::write(&path, png).expect("write the screenshot");
    println!(
        "screenshot saved to {}",
        path.canonicalize().unwrap_or(path).display()
    );

    client.close().await.expect("close the browser");
    service.stop().await;
}
