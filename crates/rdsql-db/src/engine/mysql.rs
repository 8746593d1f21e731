//! MySQL and MariaDB over `mysql_async`. Statements use the text protocol,
//! so values arrive in the server's own text form.

use super::{SessionInfo, find_io, io_failure, target};
use crate::error::{ConnectError, ConnectFailure, QueryError, TlsFailure};
use crate::kinds::{Engine, SslMode};
use crate::password::PasswordProvider;
use crate::sink::ResultSink;
use crate::spec::ServerSpec;
use crate::tls;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts, Value};
use std::net::IpAddr;

/// An open MySQL/MariaDB session.
pub struct MyConnection {
    conn: Option<Conn>,
    engine: Engine,
    tls: bool,
    /// The server address this session reached (for `KILL QUERY`).
    peer: IpAddr,
}

impl MyConnection {
    /// Connects as `spec` says, asking `password` once per attempt.
    pub async fn connect(
        spec: &ServerSpec,
        password: &dyn PasswordProvider,
    ) -> Result<Self, ConnectError> {
        Self::connect_at(spec, password, None).await
    }

    /// Connects to `peer` when given — a cancel's side connection must
    /// reach the very server of the session, not whatever a fresh DNS
    /// lookup returns (another Aurora instance behind the same name) — else
    /// to each address of the host in turn. The certificate is checked
    /// against the name either way (docs/sessions.md, "Cancel").
    pub async fn connect_at(
        spec: &ServerSpec,
        password: &dyn PasswordProvider,
        peer: Option<IpAddr>,
    ) -> Result<Self, ConnectError> {
        let fail = |failure| ConnectError {
            target: target(spec),
            failure,
        };
        let ssl = ssl_opts(spec).map_err(|e| fail(ConnectFailure::Tls(TlsFailure::Other(e))))?;
        // Through a tunnel, its local end (a cancel's side connection too:
        // the bastion reaches the same endpoint); else the host's addresses.
        let (addrs, port) = match (&spec.tunnel, peer) {
            (Some(_), _) => {
                let (h, p) = spec.dial().await.map_err(fail)?;
                let ip: IpAddr = h.parse().map_err(|_| {
                    fail(ConnectFailure::Tunnel(
                        format!("bad local address {h}").into(),
                    ))
                })?;
                (vec![ip], p)
            }
            (None, Some(ip)) => (vec![ip], spec.port),
            (None, None) => (
                resolve(&spec.host, spec.port).await.map_err(fail)?,
                spec.port,
            ),
        };
        let mut last = ConnectFailure::Resolve(format!("no address for {}", spec.host));
        for ip in addrs {
            let r = match Self::attempt(spec, password, ssl.clone(), ip, port).await {
                // libpq semantics for prefer: no TLS on the server → plain.
                Err(ConnectFailure::Tls(TlsFailure::ServerHasNoTls))
                    if spec.sslmode == SslMode::Prefer =>
                {
                    Self::attempt(spec, password, None, ip, port).await
                }
                other => other,
            };
            match r {
                Ok(c) => return Ok(c),
                // Unreachable address: try the host's next one.
                Err(f @ (ConnectFailure::Refused | ConnectFailure::Io(_))) => last = f,
                Err(other) => return Err(fail(other)),
            }
        }
        Err(fail(last))
    }

    /// The server address this session is connected to.
    pub fn peer(&self) -> IpAddr {
        self.peer
    }

    async fn attempt(
        spec: &ServerSpec,
        password: &dyn PasswordProvider,
        ssl: Option<SslOpts>,
        ip: IpAddr,
        port: u16,
    ) -> Result<Self, ConnectFailure> {
        let secret = password
            .password()
            .await
            .map_err(ConnectFailure::Password)?;
        let tls = ssl.is_some();
        let opts = OptsBuilder::default()
            .ip_or_hostname(ip.to_string())
            .tcp_port(port)
            .user(Some(spec.user.clone()))
            // The MySQL handshake always carries an answer; with no
            // password it is the empty one, as the mysql client sends.
            .pass((!secret.expose().is_empty()).then(|| secret.expose().to_string()))
            .db_name(spec.dbname.clone())
            .prefer_socket(false)
            .stmt_cache_size(0)
            // The cleartext plugin sends the password as is: only for IAM
            // tokens, and only over TLS (guaranteed by the spec).
            .enable_cleartext_plugin(spec.auth.password_is_token() && tls)
            // A server may ask for any local file at any time (LOAD DATA
            // LOCAL): refuse, keeping the session in step; only `\copy`
            // installs a handler, for its one file (docs/shell.md).
            .local_infile_handler(Some(|_: &[u8]| {
                Box::pin(async { Ok(refusal()) })
                    as futures_util::future::BoxFuture<
                        'static,
                        Result<mysql_async::InfileData, mysql_async::LocalInfileError>,
                    >
            }))
            .ssl_opts(ssl);
        drop(secret);
        let conn = Conn::new(opts)
            .await
            .map_err(|e| classify_connect(&e, spec.tls_server_name()))?;
        Ok(MyConnection {
            conn: Some(conn),
            engine: spec.engine,
            peer: ip,
            tls,
        })
    }

    /// MySQL or MariaDB, as the user named it.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Runs one statement, streaming every result set it produces.
    pub async fn run(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<(), QueryError> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| QueryError::ConnectionLost("connection closed".into()))?;
        let mut result = conn.query_iter(sql).await.map_err(query_error)?;
        while let Some(cols) = result.columns() {
            if cols.is_empty() {
                sink.command_complete(result.affected_rows())?;
                // Consumes the OK packet and moves to the next result, if any.
                result.next().await.map_err(query_error)?;
                if result.columns().is_none() {
                    break;
                }
                continue;
            }
            let names: Vec<String> = cols.iter().map(|c| c.name_str().into_owned()).collect();
            let types: Vec<String> = cols.iter().map(type_name).collect();
            sink.begin_result(&names)?;
            sink.column_types(&types)?;
            let mut n = 0u64;
            let mut owned: Vec<Option<Vec<u8>>> = Vec::new();
            while let Some(row) = result.next().await.map_err(query_error)? {
                let raw = row.unwrap_raw();
                owned.clear();
                for v in raw {
                    owned.push(match v {
                        None | Some(Value::NULL) => None,
                        Some(Value::Bytes(b)) => Some(b),
                        // The text protocol only yields bytes; keep a sane
                        // rendering should a driver change that.
                        Some(other) => {
                            Some(other.as_sql(true).trim_matches('\'').as_bytes().to_vec())
                        }
                    });
                }
                let values: Vec<Option<&[u8]>> = owned.iter().map(|v| v.as_deref()).collect();
                sink.row(&values)?;
                n += 1;
            }
            sink.end_result(n)?;
        }
        Ok(())
    }

    /// `LOAD DATA LOCAL INFILE`: the file served is `path`, whatever name
    /// the server asks for, and only during this statement
    /// (docs/shell.md, "\copy").
    pub async fn load_data_local(
        &mut self,
        sql: &str,
        path: std::path::PathBuf,
    ) -> Result<u64, QueryError> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| QueryError::ConnectionLost("connection closed".into()))?;
        // Open before sending, so a missing file is the user's error, not
        // an aborted transfer.
        let file = std::fs::File::open(&path).map_err(QueryError::Output)?;
        conn.set_infile_handler(async move {
            Ok(Box::pin(super::copy::file_chunks(file)) as mysql_async::InfileData)
        });
        // Reading the user's own file failed: that is an I/O error, not a
        // refused request.
        let copy_error = |e: mysql_async::Error| match e {
            mysql_async::Error::Driver(mysql_async::DriverError::LocalInfile(
                mysql_async::LocalInfileError::ReadError(io),
            )) if io.to_string() != REFUSED => QueryError::Output(io),
            e => query_error(e),
        };
        let result = conn.query_iter(sql).await.map_err(copy_error);
        let outcome = match result {
            Ok(r) => {
                let n = r.affected_rows();
                r.drop_result().await.map_err(query_error).map(|_| n)
            }
            Err(e) => Err(e),
        };
        // A handler the statement did not use must not answer a later
        // request: replace it with one that refuses.
        conn.set_infile_handler(async { Ok(refusal()) });
        outcome
    }

    /// Facts about the session.
    pub fn session_info(&self) -> SessionInfo {
        let v = self.conn.as_ref().map(|c| c.server_version());
        SessionInfo {
            tls: self.tls.then(|| "TLS".to_string()),
            server_version: v.map(|(a, b, c)| format!("{a}.{b}.{c}")),
        }
    }

    /// The server's id for this session (for `KILL QUERY`).
    pub fn connection_id(&self) -> Option<u32> {
        self.conn.as_ref().map(|c| c.id())
    }

    /// `COM_PING`: false when the server is gone.
    pub async fn ping(&mut self) -> bool {
        match self.conn.as_mut() {
            Some(c) => c.ping().await.is_ok(),
            None => false,
        }
    }

    /// Closes the session politely.
    pub async fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            let _ = c.disconnect().await;
        }
    }
}

/// The driver's TLS options for `spec` (docs/tls.md). `verify-ca` checks
/// the chain and skips only the name, through the patched driver
/// (vendor/README.md); the public web roots count for `verify-full` only.
fn ssl_opts(spec: &ServerSpec) -> Result<Option<SslOpts>, String> {
    // The driver connects to an IP address; the name (SNI, and the
    // certificate check of verify-full) is the host's, or --iam-host's.
    let name = Some(spec.tls_server_name().to_string());
    let verified = |skip_name: bool| -> Result<SslOpts, String> {
        let roots = tls::root_certs(&spec.roots).map_err(|e| e.to_string())?;
        Ok(SslOpts::default()
            // DER buffers (the driver's type for them is not exported).
            .with_root_certs(roots.iter().map(|c| c.as_ref().to_vec().into()).collect())
            .with_disable_built_in_roots(!tls::trusts_public_roots(spec.sslmode, &spec.roots))
            .with_danger_skip_domain_validation(skip_name)
            .with_danger_tls_hostname_override(name.clone()))
    };
    Ok(match spec.sslmode {
        SslMode::Disable => None,
        SslMode::Prefer | SslMode::Require => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_tls_hostname_override(name),
        ),
        SslMode::VerifyCa => Some(verified(true)?),
        SslMode::VerifyFull => Some(verified(false)?),
    })
}

/// The host's addresses (an IP literal is its own).
async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, ConnectFailure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let mut out: Vec<IpAddr> = vec![];
    for a in tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| ConnectFailure::Resolve(e.to_string()))?
    {
        if !out.contains(&a.ip()) {
            out.push(a.ip());
        }
    }
    Ok(out)
}

fn classify_connect(e: &mysql_async::Error, host: &str) -> ConnectFailure {
    match e {
        mysql_async::Error::Server(s) => {
            let code = format!("{} ({})", s.code, s.state);
            // 1045 access denied; 1698 access denied without password check.
            if matches!(s.code, 1045 | 1698) {
                ConnectFailure::AuthRejected {
                    code,
                    message: s.message.clone(),
                }
            } else {
                ConnectFailure::Server {
                    code,
                    message: s.message.clone(),
                }
            }
        }
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
            ConnectFailure::Tls(TlsFailure::ServerHasNoTls)
        }
        _ => {
            if let Some(t) = tls::classify(e, host) {
                return ConnectFailure::Tls(t);
            }
            if let Some(io) = find_io(e) {
                let msg = io.to_string();
                if msg.contains("lookup") || msg.contains("resolve") {
                    return ConnectFailure::Resolve(msg);
                }
                return io_failure(io);
            }
            ConnectFailure::Other(e.to_string())
        }
    }
}

/// Data for a refused LOCAL INFILE request: an error, which the driver
/// turns into an empty transfer (the session stays usable) and reports.
fn refusal() -> mysql_async::InfileData {
    Box::pin(futures_util::stream::once(async {
        Err(std::io::Error::other(REFUSED))
    }))
}

const REFUSED: &str = "rdsql sends a local file only for \\copy TABLE from FILE";

fn query_error(e: mysql_async::Error) -> QueryError {
    match e {
        mysql_async::Error::Driver(mysql_async::DriverError::LocalInfile(l)) => {
            QueryError::Server {
                code: "rdsql".into(),
                message: format!(
                    "the server asked for a local file (LOAD DATA LOCAL INFILE) and was refused: {}",
                    match l {
                        mysql_async::LocalInfileError::ReadError(io) => io.to_string(),
                        other => other.to_string(),
                    }
                ),
                detail: None,
                hint: Some(
                    "to load a file, use the shell's \\copy TABLE from 'FILE' (docs/shell.md)"
                        .into(),
                ),
            }
        }
        mysql_async::Error::Server(s) => QueryError::Server {
            code: format!("{} ({})", s.code, s.state),
            message: s.message,
            detail: None,
            hint: None,
        },
        other => QueryError::ConnectionLost(other.to_string()),
    }
}

/// A column's type as MySQL names it in `SHOW COLUMNS` (without length).
fn type_name(c: &mysql_async::Column) -> String {
    use mysql_async::consts::{ColumnFlags, ColumnType as T};
    let unsigned = c.flags().contains(ColumnFlags::UNSIGNED_FLAG);
    let binary = c.character_set() == 63;
    let base = match c.column_type() {
        T::MYSQL_TYPE_TINY => "tinyint",
        T::MYSQL_TYPE_SHORT => "smallint",
        T::MYSQL_TYPE_INT24 => "mediumint",
        T::MYSQL_TYPE_LONG => "int",
        T::MYSQL_TYPE_LONGLONG => "bigint",
        T::MYSQL_TYPE_DECIMAL | T::MYSQL_TYPE_NEWDECIMAL => "decimal",
        T::MYSQL_TYPE_FLOAT => "float",
        T::MYSQL_TYPE_DOUBLE => "double",
        T::MYSQL_TYPE_BIT => "bit",
        T::MYSQL_TYPE_YEAR => "year",
        T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => "date",
        T::MYSQL_TYPE_TIME | T::MYSQL_TYPE_TIME2 => "time",
        T::MYSQL_TYPE_DATETIME | T::MYSQL_TYPE_DATETIME2 => "datetime",
        T::MYSQL_TYPE_TIMESTAMP | T::MYSQL_TYPE_TIMESTAMP2 => "timestamp",
        T::MYSQL_TYPE_JSON => "json",
        T::MYSQL_TYPE_ENUM => "enum",
        T::MYSQL_TYPE_SET => "set",
        T::MYSQL_TYPE_GEOMETRY => "geometry",
        T::MYSQL_TYPE_NULL => "null",
        T::MYSQL_TYPE_VARCHAR | T::MYSQL_TYPE_VAR_STRING if binary => "varbinary",
        T::MYSQL_TYPE_STRING if binary => "binary",
        T::MYSQL_TYPE_VARCHAR | T::MYSQL_TYPE_VAR_STRING => "varchar",
        T::MYSQL_TYPE_STRING => "char",
        T::MYSQL_TYPE_TINY_BLOB
        | T::MYSQL_TYPE_MEDIUM_BLOB
        | T::MYSQL_TYPE_LONG_BLOB
        | T::MYSQL_TYPE_BLOB
            if binary =>
        {
            "blob"
        }
        T::MYSQL_TYPE_TINY_BLOB
        | T::MYSQL_TYPE_MEDIUM_BLOB
        | T::MYSQL_TYPE_LONG_BLOB
        | T::MYSQL_TYPE_BLOB => "text",
        _ => "unknown",
    };
    let numeric = matches!(
        base,
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "decimal" | "float" | "double"
    );
    if unsigned && numeric {
        format!("{base} unsigned")
    } else {
        base.to_string()
    }
}
