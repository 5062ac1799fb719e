//! `hardy-odds`: runs the odds service with its dashboard until Ctrl-C (or `--for N`
//! seconds), printing its URL and a status line every few seconds.

use std::process::ExitCode;
use std::time::Duration;

use hardy_odds::{Service, ServiceConfig};

const USAGE: &str = "usage: hardy-odds [--port N] [--matches M] [--rate R] [--for SECONDS] \
     [--no-faults] [--no-fanout] [--join REDIS_URL]

  --join REDIS_URL  a second instance: use the Redis of a running one (it prints its URL);
                    no feed, no redis-server of its own; its browsers see every match
                    through Redis Pub/Sub
  --no-fanout       the in-process path only (no Redis Pub/Sub between instances)";

struct Args {
    config: ServiceConfig,
    run_for: Option<Duration>,
}

fn parse() -> Result<Args, String> {
    let mut config = ServiceConfig {
        port: 8080,
        ..ServiceConfig::default()
    };
    // The demo's feed misbehaves by itself now and then: about one malformed message per
    // 1,500 updates and a dropped connection about every 90 s.
    config.sim.malformed_every = 1_500;
    config.sim.disconnect_every_s = 90;
    let mut run_for = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--matches" => {
                config.sim.matches = value("--matches")?
                    .parse()
                    .map_err(|e| format!("--matches: {e}"))?
            }
            "--rate" => {
                config.sim.rate = value("--rate")?
                    .parse()
                    .map_err(|e| format!("--rate: {e}"))?
            }
            "--for" => {
                let s: u64 = value("--for")?.parse().map_err(|e| format!("--for: {e}"))?;
                run_for = Some(Duration::from_secs(s));
            }
            "--join" => config.join = Some(value("--join")?),
            "--no-fanout" => config.fanout = false,
            "--no-faults" => {
                config.sim.malformed_every = 0;
                config.sim.disconnect_every_s = 0;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if config.join.is_some() && !config.fanout {
        return Err(format!(
            "--join needs the fan-out: drop --no-fanout\n{USAGE}"
        ));
    }
    if config.sim.matches == 0 {
        return Err("--matches must be at least 1".into());
    }
    Ok(Args { config, run_for })
}

#[actix_rt::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // A match worker crashing on purpose is part of the show: one short line, not a trace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        eprintln!("[odds] a worker crashed: {msg} (its supervisor restarts it)");
    }));
    if std::env::args().nth(1).as_deref() == Some("--bench") {
        return match hardy_odds::bench::run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let service = match Service::start(args.config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hardy-odds could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "hardy-odds: the live odds dashboard is at {}",
        service.url()
    );
    if service.config().join.is_some() {
        println!(
            "  joined the Redis at {}: odds come from the instance that runs the feed, \
             through Redis Pub/Sub",
            service.redis_url()
        );
    } else if service.config().fanout {
        println!(
            "  a second instance sharing this Redis: hardy-odds --port 0 --join {}",
            service.redis_url()
        );
    }
    println!("  (Ctrl-C to stop)");
    let until = async {
        match args.run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let status_lines = async {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Some(s) = service
                .status
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            {
                println!("{}", s.line());
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => println!("\nhardy-odds: stopping (Ctrl-C)"),
        _ = until => println!("hardy-odds: stopping (--for elapsed)"),
        _ = status_lines => {}
    }
    service.stop().await;
    ExitCode::SUCCESS
}
