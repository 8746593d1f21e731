//! Both front ends driven against an in-memory upstream through the
//! [`Dial`] seam: no database server needed. Each fake server logs the
//! proxy in (checking the password it sends) and then answers every
//! command with four times its size, while the client writes and reads at
//! once, as pipelining clients (JDBC batches, libpq pipeline mode, asyncpg
//! `executemany`) do. A relay that awaits one direction's write while the
//! other is not read deadlocks here (docs/proxy.md, "Relay").

use rdsql_db::password::BoxFuture;
use rdsql_db::{ConnectionSpec, ServerSpec, StaticPassword};
use rdsql_proxy::upstream::UpstreamError;
use rdsql_proxy::{Bound, Config, Dial, Io, Logger, Proxy, Target};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;

const PASSWORD: &str = "in-memory secret";
const MESSAGES: usize = 128;
const MESSAGE: usize = 200 * 1024;
/// Each command is answered with this many times its size.
const FACTOR: usize = 4;

type Server = fn(DuplexStream) -> BoxFuture<'static, ()>;

/// Dials a fresh fake server task per upstream connection.
struct MemoryDial {
    server: Server,
    dials: AtomicUsize,
}

impl Dial for MemoryDial {
    fn dial<'a>(
        &'a self,
        _spec: &'a ServerSpec,
        _at: Option<SocketAddr>,
    ) -> BoxFuture<'a, Result<rdsql_proxy::dial::Dialled, UpstreamError>> {
        Box::pin(async move {
            self.dials.fetch_add(1, Ordering::SeqCst);
            // A small pipe: back-pressure shows at once.
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            tokio::spawn((self.server)(theirs));
            let addr: SocketAddr = "192.0.2.1:5432".parse().unwrap();
            Ok((Box::new(ours) as Box<dyn Io>, addr))
        })
    }
}

fn spec(url: &str) -> ServerSpec {
    let req = rdsql_connect::Request {
        conn: Some(url.into()),
        ..Default::default()
    };
    match rdsql_connect::resolve(&req, &|_| None).unwrap() {
        ConnectionSpec::Server(s) => s,
        _ => unreachable!(),
    }
}

async fn start(url: &str, server: Server) -> (Proxy, SocketAddr, Arc<MemoryDial>) {
    start_with(url, server, PASSWORD).await
}

/// A proxy for `url` whose connection sends `password`, over `server`.
async fn start_with(
    url: &str,
    server: Server,
    password: &str,
) -> (Proxy, SocketAddr, Arc<MemoryDial>) {
    start_limited(url, server, password, rdsql_proxy::LOGIN_TIMEOUT).await
}

async fn start_limited(
    url: &str,
    server: Server,
    password: &str,
    login_timeout: Duration,
) -> (Proxy, SocketAddr, Arc<MemoryDial>) {
    let provider = Arc::new(StaticPassword::new(
        rdsql_db::Secret::new(password.to_string()),
        "test password",
    ));
    let target = Arc::new(Target::new(
        "memory".into(),
        spec(url),
        provider,
        Arc::new(rdsql_connect::TokenCache::default()),
    ));
    let dial = Arc::new(MemoryDial {
        server,
        dials: AtomicUsize::new(0),
    });
    let config = Config {
        address: "127.0.0.1".parse().unwrap(),
        port: Some(0),
        unix_socket: None,
        health_port: None,
        max_connections: None,
        log: Logger { json: false },
        dial: Some(dial.clone()),
        login_timeout,
    };
    let mut proxy = Proxy::bind(vec![target], config).await.unwrap();
    let addr = match &proxy.bound()[0] {
        Bound::Tcp { addr, .. } => *addr,
        other => panic!("{other:?}"),
    };
    proxy.serve();
    (proxy, addr, dial)
}

/// Writes `messages` while reading everything back (both at once), and
/// returns the bytes read.
async fn pipeline<R, W>(mut r: R, mut w: W, messages: Vec<Vec<u8>>, expect: usize) -> usize
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let writer = tokio::spawn(async move {
        for m in messages {
            w.write_all(&m).await.unwrap();
        }
        w
    });
    let mut got = 0;
    let mut buf = vec![0u8; 256 * 1024];
    while got < expect {
        let n = r.read(&mut buf).await.unwrap();
        assert!(n > 0, "the proxy closed after {got} of {expect} bytes");
        got += n;
    }
    writer.await.unwrap();
    got
}

// ---- PostgreSQL ----

fn pg_message(t: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![t];
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// A protocol 3.0 startup packet with these `key\0value\0…\0` parameters.
fn pg_startup(params: &[u8]) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    body.extend_from_slice(params);
    let mut out = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

async fn pg_read(s: &mut (impl AsyncRead + Unpin)) -> Option<(u8, Vec<u8>)> {
    let t = s.read_u8().await.ok()?;
    let n = s.read_i32().await.ok()? as usize;
    let mut b = vec![0; n - 4];
    s.read_exact(&mut b).await.ok()?;
    Some((t, b))
}

/// A PostgreSQL server: cleartext password, then FACTOR× answers.
fn pg_server(mut s: DuplexStream) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let n = s.read_i32().await.unwrap() as usize;
        let mut startup = vec![0; n - 4];
        s.read_exact(&mut startup).await.unwrap();
        assert!(String::from_utf8_lossy(&startup).contains("user\0app\0"));
        s.write_all(&pg_message(b'R', &3i32.to_be_bytes()))
            .await
            .unwrap();
        let (t, pw) = pg_read(&mut s).await.unwrap();
        assert_eq!(t, b'p');
        if pw != format!("{PASSWORD}\0").as_bytes() {
            let e = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0".to_vec();
            s.write_all(&pg_message(b'E', &e)).await.unwrap();
            return;
        }
        s.write_all(&pg_message(b'R', &0i32.to_be_bytes()))
            .await
            .unwrap();
        let mut key = 42i32.to_be_bytes().to_vec();
        key.extend_from_slice(&7i32.to_be_bytes());
        s.write_all(&pg_message(b'K', &key)).await.unwrap();
        s.write_all(&pg_message(b'Z', b"I")).await.unwrap();
        while let Some((t, body)) = pg_read(&mut s).await {
            match t {
                b'X' => return,
                _ => {
                    // Whole messages: FACTOR times the command's size, header included.
                    let reply = pg_message(b'D', &vec![b'x'; (body.len() + 5) * FACTOR - 5]);
                    if s.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

#[tokio::test]
async fn postgres_pipelining_client_through_the_proxy() {
    let (proxy, addr, dial) = start(
        "postgres://app@db.example.test:5432/shop?sslmode=disable",
        pg_server,
    )
    .await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    // Startup as the client: the proxy logs in with its own password.
    c.write_all(&pg_startup(b"user\0app\0database\0shop\0\0"))
        .await
        .unwrap();
    loop {
        let (t, _) = pg_read(&mut c).await.expect("login");
        assert_ne!(t, b'E', "login refused");
        if t == b'Z' {
            break;
        }
    }
    let messages: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|i| pg_message(b'Q', &vec![b'a' + (i % 26) as u8; MESSAGE - 5]))
        .collect();
    let expect = MESSAGES * MESSAGE * FACTOR;
    let (r, w) = c.into_split();
    let got = tokio::time::timeout(Duration::from_secs(120), pipeline(r, w, messages, expect))
        .await
        .expect("the relay deadlocked: a pipelining client never finished");
    assert_eq!(got, expect);
    assert_eq!(dial.dials.load(Ordering::SeqCst), 1);
    let m = &proxy.shared().metrics;
    assert!(m.bytes_from_clients.load(Ordering::Relaxed) >= (MESSAGES * MESSAGE) as u64);
    proxy.shutdown(Duration::from_secs(1)).await;
}

// ---- MySQL ----

fn my_packet(seq: u8, p: &[u8]) -> Vec<u8> {
    let n = p.len();
    let mut out = vec![n as u8, (n >> 8) as u8, (n >> 16) as u8, seq];
    out.extend_from_slice(p);
    out
}

async fn my_read(s: &mut (impl AsyncRead + Unpin)) -> Option<(u8, Vec<u8>)> {
    let mut h = [0u8; 4];
    s.read_exact(&mut h).await.ok()?;
    let n = h[0] as usize | (h[1] as usize) << 8 | (h[2] as usize) << 16;
    let mut p = vec![0; n];
    s.read_exact(&mut p).await.ok()?;
    Some((h[3], p))
}

fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    let mut c = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        c.update(p);
    }
    c.finish().as_ref().to_vec()
}

const PROTOCOL_41: u32 = 512;
const SECURE_CONNECTION: u32 = 32768;
const PLUGIN_AUTH: u32 = 1 << 19;
const CONNECT_WITH_DB: u32 = 8;

/// A MySQL server: mysql_native_password checked, then FACTOR× answers.
fn my_server(mut s: DuplexStream) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let scramble = *b"abcdefghijklmnopqrst";
        let caps = PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | CONNECT_WITH_DB;
        let mut g = vec![10];
        g.extend_from_slice(b"10.11.0-MariaDB-memory\0");
        g.extend_from_slice(&9u32.to_le_bytes());
        g.extend_from_slice(&scramble[..8]);
        g.push(0);
        g.extend_from_slice(&(caps as u16).to_le_bytes());
        g.push(45);
        g.extend_from_slice(&2u16.to_le_bytes());
        g.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(&scramble[8..]);
        g.push(0);
        g.extend_from_slice(b"mysql_native_password\0");
        s.write_all(&my_packet(0, &g)).await.unwrap();
        let (seq, r) = my_read(&mut s).await.unwrap();
        // user at 32, then the 1-byte-length scramble answer.
        let end = 32 + r[32..].iter().position(|&b| b == 0).unwrap();
        assert_eq!(&r[32..end], b"app");
        let n = r[end + 1] as usize;
        let answer = &r[end + 2..end + 2 + n];
        let h1 = sha1(&[PASSWORD.as_bytes()]);
        let h2 = sha1(&[&h1]);
        let h3 = sha1(&[&scramble, &h2]);
        let want: Vec<u8> = h1.iter().zip(h3).map(|(a, b)| a ^ b).collect();
        if answer != want.as_slice() {
            let mut e = vec![0xff];
            e.extend_from_slice(&1045u16.to_le_bytes());
            e.extend_from_slice(b"#28000Access denied");
            s.write_all(&my_packet(seq + 1, &e)).await.unwrap();
            return;
        }
        s.write_all(&my_packet(seq + 1, &[0, 0, 0, 2, 0, 0, 0]))
            .await
            .unwrap();
        while let Some((_, p)) = my_read(&mut s).await {
            if p.first() == Some(&1) {
                return; // COM_QUIT
            }
            let reply = my_packet(1, &vec![b'y'; (p.len() + 4) * FACTOR - 4]);
            if s.write_all(&reply).await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test]
async fn mysql_pipelining_client_through_the_proxy() {
    let (proxy, addr, dial) = start(
        "mariadb://app@db.example.test:3306/shop?sslmode=disable",
        my_server,
    )
    .await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    let (_, greeting) = my_read(&mut c).await.expect("the proxy's greeting");
    assert_eq!(greeting[0], 10);
    let mut r = Vec::new();
    r.extend_from_slice(&(PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH).to_le_bytes());
    r.extend_from_slice(&(16u32 << 20).to_le_bytes());
    r.push(45);
    r.extend_from_slice(&[0; 23]);
    r.extend_from_slice(b"app\0");
    r.push(0); // no password: the proxy has it
    r.extend_from_slice(b"mysql_native_password\0");
    c.write_all(&my_packet(1, &r)).await.unwrap();
    let (_, ok) = my_read(&mut c).await.expect("login");
    assert_eq!(ok[0], 0, "login refused: {ok:?}");
    // COM_QUERY packets (sequence 0 each).
    let messages: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|_| {
            let mut q = vec![3];
            q.extend(std::iter::repeat_n(b'q', MESSAGE - 5));
            my_packet(0, &q)
        })
        .collect();
    let expect = MESSAGES * MESSAGE * FACTOR;
    let (r, w) = c.into_split();
    let got = tokio::time::timeout(Duration::from_secs(120), pipeline(r, w, messages, expect))
        .await
        .expect("the relay deadlocked: a pipelining client never finished");
    assert_eq!(got, expect);
    assert_eq!(dial.dials.load(Ordering::SeqCst), 1);
    proxy.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_wrong_password_is_reported_to_the_client_with_hints() {
    // The fake server expects PASSWORD; this connection sends another.
    let (proxy, addr, _) = start_with(
        "postgres://app@db.example.test:5432/shop?sslmode=disable",
        pg_server,
        "wrong",
    )
    .await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(&pg_startup(b"user\0app\0\0")).await.unwrap();
    let (t, e) = pg_read(&mut c).await.unwrap();
    assert_eq!(t, b'E');
    let e = String::from_utf8_lossy(&e);
    assert!(e.contains("password authentication failed"), "{e}");
    assert!(e.contains("the password of the connection is wrong"), "{e}");
    for _ in 0..100 {
        if proxy.shared().open_sessions() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(proxy.shared().open_sessions(), 0, "the slot was given back");
    assert_eq!(
        proxy
            .shared()
            .metrics
            .upstream_errors
            .load(Ordering::Relaxed),
        1
    );
    proxy.shutdown(Duration::from_secs(1)).await;
}

/// A server that accepts and never says a word.
fn silent_server(s: DuplexStream) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(s);
    })
}

/// A silent client is let go, and a silent server reaches the client as
/// an error, once the login time limit runs out; no slot is kept.
#[tokio::test]
async fn the_login_time_limit_frees_silent_clients_and_dead_servers() {
    let limit = Duration::from_millis(800);
    for url in [
        "postgres://app@db.example.test:5432/shop?sslmode=disable",
        "mariadb://app@db.example.test:3306/shop?sslmode=disable",
    ] {
        let (proxy, addr, _) = start_limited(url, silent_server, PASSWORD, limit).await;
        let started = std::time::Instant::now();
        let mut c = TcpStream::connect(addr).await.unwrap();
        if url.starts_with("postgres") {
            // A client that connects and says nothing.
            let mut b = [0u8; 16];
            let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut b))
                .await
                .expect("the silent client was let go")
                .unwrap_or(0);
            assert_eq!(n, 0);
            // A client that speaks, to a server that does not.
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(&pg_startup(b"user\0app\0\0")).await.unwrap();
            let (t, e) = tokio::time::timeout(Duration::from_secs(10), pg_read(&mut c))
                .await
                .expect("an answer within the limit")
                .expect("an ErrorResponse");
            assert_eq!(t, b'E');
            assert!(String::from_utf8_lossy(&e).contains("did not complete within"));
        } else {
            // The server's greeting never comes: an ERR packet, sequence 0.
            let (seq, p) = tokio::time::timeout(Duration::from_secs(10), my_read(&mut c))
                .await
                .expect("an answer within the limit")
                .expect("an ERR packet");
            assert_eq!((seq, p[0]), (0, 0xff));
            assert!(String::from_utf8_lossy(&p).contains("did not complete within"));
        }
        assert!(started.elapsed() >= limit);
        for _ in 0..100 {
            if proxy.shared().open_sessions() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(proxy.shared().open_sessions(), 0, "{url}: slots given back");
        proxy.shutdown(Duration::from_secs(1)).await;
    }
}
