//! The proxy's accept loop, run on its own thread and runtime: it owns every connection
//! task, so cutting all connections or shutting down is one place that aborts them.

use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::proxy::controls::Controls;
use crate::proxy::link;

/// Requests from the test's thread that must be acknowledged once done.
pub(crate) enum Command {
    /// Close every current connection, then acknowledge.
    Cut(std_mpsc::Sender<()>),
    /// Close everything and stop accepting.
    Shutdown,
}

/// Accepts and forwards until told to shut down (or the handle is dropped).
pub(crate) async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    controls: Arc<Controls>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut links = JoinSet::new();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Cut(done)) => {
                    close_all(&mut links).await;
                    controls.set_connections(0);
                    let _ = done.send(());
                }
                Some(Command::Shutdown) | None => break,
            },
            accepted = listener.accept() => {
                // Accept errors (e.g. too many open files) are transient: keep serving.
                if let Ok((client, _)) = accepted {
                    if !controls.refusing() {
                        links.spawn(link::run(client, upstream, controls.clone()));
                    }
                    // A refused client is dropped here: accepted, then closed at once.
                }
            }
            Some(_) = links.join_next(), if !links.is_empty() => {}
        }
        controls.set_connections(links.len());
    }
    close_all(&mut links).await;
    controls.set_connections(0);
}

/// Aborts every link and waits until each task (and so each socket) has been dropped.
async fn close_all(links: &mut JoinSet<()>) {
    links.abort_all();
    while links.join_next().await.is_some() {}
}
