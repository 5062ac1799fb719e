//! One proxied connection: bytes copied both ways, each chunk subject to the proxy's delay
//! and black-hole settings.
//!
//! Half-closes are passed on (EOF on one side shuts down writing on the other), so a client
//! that closes its end sees the server close too, as it would without the proxy.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::proxy::controls::Controls;

/// Size of each forwarded chunk.
const CHUNK: usize = 16 * 1024;

/// Connects to `upstream` and forwards between it and `client` until both directions end
/// or either fails; dropping the future closes both sockets.
pub(crate) async fn run(
    client: TcpStream,
    upstream: std::net::SocketAddr,
    controls: Arc<Controls>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // Dropping `client` closes it: the upstream is down, so is the link.
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let _ = tokio::try_join!(
        pump(client_read, server_write, &controls),
        pump(server_read, client_write, &controls),
    );
}

async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    controls: &Controls,
) -> io::Result<()> {
    let mut buf = vec![0; CHUNK];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        let delay = controls.delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // A black-holed link holds the chunk (and reads nothing more) until it reopens,
        // like TCP retransmitting across a partition that later heals.
        controls.wait_until_open().await;
        to.write_all(&buf[..n]).await?;
    }
}
