//! A TCP proxy in front of a server that can go down and come back on the same port: every
//! open connection is reset and new ones are refused while it is down (what a client sees when
//! the endpoint restarts or the network drops).
//!
//! Why a proxy rather than restarting `ecspress sim`: the simulator's world (tasks, deployments,
//! CodeDeploy state) has no serialised form, so a restarted process would start empty; the
//! proxy gives the client the same resets and refusals with the world intact.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running proxy; stops with the test binary.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    accepted: Arc<AtomicU64>,
}

/// Start a proxy to `upstream` (`http://host:port`).
pub fn start(upstream: &str) -> Proxy {
    let upstream: SocketAddr = upstream
        .trim_start_matches("http://")
        .parse()
        .expect("upstream address");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("addr");
    let down = Arc::new(AtomicBool::new(false));
    let open = Arc::new(Mutex::new(Vec::new()));
    let accepted = Arc::new(AtomicU64::new(0));
    let (d, o, a) = (down.clone(), open.clone(), accepted.clone());
    std::thread::spawn(move || serve(listener, addr, upstream, &d, &o, &a));
    Proxy {
        url: format!("http://{addr}"),
        down,
        open,
        accepted,
    }
}

fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    down: &AtomicBool,
    open: &Mutex<Vec<TcpStream>>,
    accepted: &AtomicU64,
) {
    let mut listener = Some(listener);
    loop {
        if down.load(Ordering::SeqCst) {
            // Closed listening socket: connections are refused.
            listener = None;
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let l = match &listener {
            Some(l) => l,
            None => match TcpListener::bind(addr) {
                Ok(l) => listener.insert(l),
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            },
        };
        l.set_nonblocking(true).expect("nonblocking");
        match l.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).expect("blocking");
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let mut open = open.lock().expect("lock");
                open.push(client.try_clone().expect("clone"));
                open.push(server.try_clone().expect("clone"));
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => {}
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

impl Proxy {
    /// Go down: reset every open connection and refuse new ones until [`Proxy::up`].
    pub fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
        for s in self.open.lock().expect("lock").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Accept connections again (same port).
    pub fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}
