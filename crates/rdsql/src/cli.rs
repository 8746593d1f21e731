//! The command-line surface (clap types only; resolution lives elsewhere).

use clap::{Args, Parser, Subcommand};
use rdsql_db::options::{FIELDS, FieldKind};
use std::path::PathBuf;

/// A database client for PostgreSQL, MySQL/MariaDB and SQLite, made for
/// Amazon RDS.
#[derive(Debug, Parser)]
#[command(
    name = "rdsql",
    version,
    disable_help_flag = true,
    propagate_version = true
)]
pub struct Cli {
    /// Print debug traces to stderr (never secrets). Long form only: `-v`
    /// is psql's `-v NAME=VALUE` in `rdsql query`.
    #[arg(long, global = true)]
    pub verbose: bool,

    /// Print help.
    #[arg(long, action = clap::ArgAction::Help, global = true)]
    pub help: Option<bool>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Run SQL statements and print their results.
    #[command(disable_help_flag = true)]
    Query(QueryArgs),
    /// Interactive SQL shell (also: rdsql CONN).
    #[command(disable_help_flag = true)]
    Shell(ConnArgs),
    /// Print an IAM auth token (as `aws rds generate-db-auth-token`).
    #[command(disable_help_flag = true)]
    Token(TokenArgs),
    /// Sign in to AWS SSO / IAM Identity Center and list what it can reach.
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Inspect the local AWS configuration.
    #[command(subcommand)]
    Aws(AwsCommand),
    /// Saved connections (fields in a TOML file, secrets in the OS keyring).
    #[command(subcommand)]
    Conn(ConnCommand),
    /// The local web app: the connection dialog and a query view.
    Ui(UiArgs),
    /// A local auth proxy: any PostgreSQL client reaches the connection
    /// (IAM, SSO or password, verified TLS upstream) without a password.
    Proxy(ProxyArgs),
    /// Print a shell completion script (saved connection and AWS profile
    /// names complete too): source it, or install it where the shell looks.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the rdsql(1) man page (roff), e.g. `rdsql man | man -l -`.
    Man,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl CompletionShell {
    pub fn name(self) -> &'static str {
        match self {
            CompletionShell::Bash => "bash",
            CompletionShell::Zsh => "zsh",
            CompletionShell::Fish => "fish",
            CompletionShell::Powershell => "powershell",
            CompletionShell::Elvish => "elvish",
        }
    }
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Saved connection names or URLs, one listener each.
    #[arg(required = true, value_name = "CONN")]
    pub conns: Vec<String>,
    /// Address to listen on. Anything but loopback lets whoever reaches the
    /// port use the connection's database access (warned about).
    #[arg(long, default_value = "127.0.0.1")]
    pub address: String,
    /// Port of the first CONN's listener; the next ones count up
    /// (default 5432 / 3306; 0 = a free port each); a CONN's own
    /// `proxy_port` (URL parameter or saved field) wins.
    #[arg(long)]
    pub port: Option<u16>,
    /// Also listen on PostgreSQL-style Unix sockets in DIR (made 0700).
    #[arg(long, value_name = "DIR")]
    pub unix_socket: Option<std::path::PathBuf>,
    /// Refuse clients beyond N open at once (a protocol-level error).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// On SIGINT/SIGTERM, let open sessions finish for up to SECONDS.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub max_sigterm_delay: u64,
    /// Serve /startup, /liveness, /readiness and /metrics on this port.
    #[arg(long, value_name = "N")]
    pub health_port: Option<u16>,
    /// Log one JSON object per line.
    #[arg(long)]
    pub json_logs: bool,
}

#[derive(Debug, Args)]
pub struct UiArgs {
    /// Port to listen on (default: a free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on (default 127.0.0.1; anything else is reachable
    /// by others and warned about).
    #[arg(long, default_value = "127.0.0.1")]
    pub address: std::net::IpAddr,
    /// Print the address instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ConnCommand {
    /// Save a connection: NAME, then a URL and/or connection flags.
    #[command(disable_help_flag = true)]
    Add(ConnSaveArgs),
    /// List saved connections.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one saved connection (never its secret).
    Show {
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a saved connection (flags given replace values).
    #[command(disable_help_flag = true)]
    Edit(ConnSaveArgs),
    /// Delete a saved connection and its secret.
    Rm { name: String },
    /// Connect, run a trivial query, report timing, TLS and auth.
    Test { name: String },
}

#[derive(Debug, Args)]
pub struct ConnSaveArgs {
    /// The connection's name (letters, digits, '-', '_', '.').
    pub name: String,

    #[command(flatten)]
    pub conn: ConnArgs,

    /// Read the secret (password, or secret access key for iam-keys) from stdin.
    #[arg(long)]
    pub secret_stdin: bool,

    /// Where the secret goes: keyring (default when reachable), file (0600), or prompt (not stored).
    #[arg(long, value_name = "STORE")]
    pub secret_store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// List the AWS profiles of ~/.aws/config and ~/.aws/credentials.
    Profiles {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List RDS DB instances, Aurora cluster endpoints (writer, reader) and
    /// RDS Proxies: endpoint, port, engine, IAM auth on/off.
    Databases(AwsDatabasesArgs),
    /// Check the RDS IAM prerequisites of an IAM or SSO connection, each
    /// with ✓/✗ and its fix; exit 0 only when all pass.
    Check {
        #[command(flatten)]
        conn: ConnArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AwsDatabasesArgs {
    /// The AWS profile (static keys, role, MFA role, SSO); default: AWS_PROFILE, then the default chain.
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,
    /// The region to list (default: the profile's region, then AWS_REGION).
    #[arg(long, value_name = "REGION", conflicts_with = "all_regions")]
    pub aws_region: Option<String>,
    /// Every RDS region (those not enabled for the account are skipped).
    #[arg(long)]
    pub all_regions: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Sign in (browser) and fill the shared SSO cache (~/.aws/sso/cache).
    Login(SsoLoginArgs),
    /// Sign out: end the portal session and delete the cached token.
    Logout(SsoSelect),
    /// List the AWS accounts this sign-in can use.
    Accounts {
        #[command(flatten)]
        select: SsoSelect,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the roles of an account this sign-in can use.
    Roles {
        #[command(flatten)]
        select: SsoSelect,
        /// The account (12 digits).
        #[arg(long)]
        account_id: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Which Identity Center sign-in: an SSO profile, an sso-session, or a
/// custom start URL and region.
#[derive(Debug, Args, Clone, Default)]
pub struct SsoSelect {
    /// An SSO profile of ~/.aws/config (legacy or sso-session format).
    #[arg(long, visible_alias = "aws-profile")]
    pub profile: Option<String>,
    /// An [sso-session NAME] section of ~/.aws/config.
    #[arg(long)]
    pub sso_session: Option<String>,
    /// Custom: the start URL (https://….awsapps.com/start).
    #[arg(long, requires = "sso_region")]
    pub sso_start_url: Option<String>,
    /// Custom: the Identity Center region.
    #[arg(long)]
    pub sso_region: Option<String>,
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    #[command(flatten)]
    pub select: SsoSelect,
    /// Use the device code flow (always used for legacy profiles).
    #[arg(long)]
    pub use_device_code: bool,
    /// Print the URL (and code) instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub timeout: u64,
}

/// The flags of `aws rds generate-db-auth-token`, plus connection flags.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A URL or saved connection naming the endpoint and user.
    #[arg(value_name = "CONN")]
    pub conn: Option<String>,

    /// The database endpoint the token is for.
    #[arg(long, visible_alias = "host")]
    pub hostname: Option<String>,

    /// The database port.
    #[arg(long)]
    pub port: Option<u16>,

    /// The database user.
    #[arg(long, visible_alias = "user")]
    pub username: Option<String>,

    /// The database's AWS region (else from the host name, profile, AWS_REGION).
    #[arg(long, visible_alias = "aws-region")]
    pub region: Option<String>,

    /// AWS profile whose credentials sign the token.
    #[arg(long, visible_alias = "aws-profile")]
    pub profile: Option<String>,

    /// iam-keys or iam-profile (default: iam-profile, i.e. the profile or the default chain).
    #[arg(long)]
    pub auth: Option<String>,

    /// Access key ID for --auth iam-keys (secret from AWS_SECRET_ACCESS_KEY or a prompt).
    #[arg(long)]
    pub aws_access_key_id: Option<String>,

    /// Custom SSO start URL (with --auth sso).
    #[arg(long)]
    pub sso_start_url: Option<String>,

    /// Custom SSO region (with --auth sso).
    #[arg(long)]
    pub sso_region: Option<String>,

    /// AWS account ID for --auth sso.
    #[arg(long)]
    pub sso_account_id: Option<String>,

    /// Role name for --auth sso.
    #[arg(long)]
    pub sso_role_name: Option<String>,
}

pub use rdsql_output::Format;

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub conn: ConnArgs,

    /// SQL to run (repeatable; run in order, before any -f).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub commands: Vec<String>,

    /// Read SQL from FILE (repeatable; `-` is stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Same as --format csv.
    #[arg(long, conflicts_with_all = ["format", "json"])]
    pub csv: bool,

    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Do not print row counts of statements without result sets.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Show NULL as STRING in tables (psql's \pset null; default empty).
    #[arg(long, value_name = "STRING")]
    pub null: Option<String>,

    /// Unaligned table output: fields joined by -F, rows by -R (psql -A).
    #[arg(short = 'A', long = "no-align")]
    pub no_align: bool,

    /// Rows only: no header and no row-count footer (psql -t).
    #[arg(short = 't', long = "tuples-only")]
    pub tuples_only: bool,

    /// Field separator for -A (default "|").
    #[arg(short = 'F', long = "field-separator", value_name = "SEP")]
    pub field_separator: Option<String>,

    /// Record separator for -A (default a newline).
    #[arg(short = 'R', long = "record-separator", value_name = "SEP")]
    pub record_separator: Option<String>,

    /// One "column | value" block per row (psql -x).
    #[arg(short = 'x', long)]
    pub expanded: bool,

    /// Write results to FILE (replaced only once the output is complete).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Accepted for psql muscle memory: rdsql reads no ~/.psqlrc anyway.
    #[arg(short = 'X', long = "no-psqlrc")]
    pub no_psqlrc: bool,

    /// Accepted as psql's -v ON_ERROR_STOP=1 (rdsql always stops at the
    /// first error); other variables are refused.
    #[arg(short = 'v', long = "set", value_name = "NAME=VALUE")]
    pub variables: Vec<String>,
}

impl QueryArgs {
    /// The format, with --csv / --json applied.
    pub fn format(&self) -> Format {
        if self.csv {
            Format::Csv
        } else if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

/// Connection flags shared by every command that connects: CONN plus one
/// flag per connection field, generated from the field table in rdsql-db
/// (docs/connection-model.md), so flags and URL parameters cannot drift.
#[derive(Debug, Clone, Default)]
pub struct ConnArgs {
    /// A saved connection's name or a URL.
    pub conn: Option<String>,
    /// (field name, raw value) for every flag given.
    pub fields: Vec<(String, String)>,
}

impl clap::FromArgMatches for ConnArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut a = ConnArgs::default();
        a.update_from_arg_matches(m)?;
        Ok(a)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        if let Some(c) = m.get_one::<String>("conn") {
            self.conn = Some(c.clone());
        }
        for f in FIELDS {
            let v = if f.kind == FieldKind::Switch {
                m.get_flag(f.name).then(|| "true".to_string())
            } else {
                m.get_one::<String>(f.name).cloned()
            };
            if let Some(v) = v {
                self.fields.retain(|(n, _)| n != f.name);
                self.fields.push((f.name.to_string(), v));
            }
        }
        Ok(())
    }
}

impl clap::Args for ConnArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let mut cmd = cmd.arg(
            clap::Arg::new("conn")
                .value_name("CONN")
                .help("A saved connection's name or a URL: postgres://user@host:5432/db, mysql://…, mariadb://…, sqlite:FILE, sqlite::memory:"),
        );
        for f in FIELDS {
            let mut arg = clap::Arg::new(f.name).long(f.flag).help(f.help.trim());
            arg = if f.kind == FieldKind::Switch {
                arg.action(clap::ArgAction::SetTrue)
            } else {
                arg.value_name(f.value_name)
            };
            if let Some(s) = f.short {
                arg = arg.short(s);
            }
            if f.name == "user" {
                arg = arg.visible_alias("username");
            }
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid sample value for each field, with characters that need
    /// encoding where the field allows them.
    fn sample(f: &rdsql_db::options::Field) -> String {
        match (f.name, f.kind) {
            ("host" | "iam_host", _) => "db.example.com".into(),
            ("sslrootcert", _) => "/etc/my certs/ca é.pem".into(),
            (_, FieldKind::Text) => "some value/é@x".into(),
            (_, FieldKind::Number) => "4321".into(),
            (_, FieldKind::Choice(c)) => c[0].into(),
            (_, FieldKind::Switch) => "true".into(),
        }
    }

    /// Every field of the one table through every surface: its flag, its
    /// URL parameter, a saved connection's TOML, the written URL, its
    /// environment variables and the UI's form description.
    #[test]
    fn every_field_through_every_surface() {
        let form = rdsql_connect::form::fields_json().to_string();
        let dir = tempfile::tempdir().unwrap();
        for f in FIELDS {
            let v = sample(f);
            let got = |o: &rdsql_db::ConnectOptions| o.get(f.name);

            // Flag (long and short).
            let mut flags = vec![format!("--{}", f.flag)];
            flags.extend(f.short.map(|c| format!("-{c}")));
            for flag in flags {
                let mut argv = vec!["rdsql", "query", flag.as_str()];
                if f.kind != FieldKind::Switch {
                    argv.push(&v);
                }
                argv.extend(["-c", "x"]);
                let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{flag}: {e}"));
                let Command::Query(q) = cli.command else {
                    panic!()
                };
                let req = rdsql_connect::Request {
                    fields: q.conn.fields,
                    ..Default::default()
                };
                assert_eq!(
                    got(&req.options().unwrap()).as_deref(),
                    Some(v.as_str()),
                    "{flag}"
                );
            }

            // URL parameter.
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let url = format!("postgres://h/?{}={}", f.name, enc(&v));
            let o = rdsql_db::url::parse_url(&url).unwrap();
            assert_eq!(got(&o).as_deref(), Some(v.as_str()), "{url}");

            // The written URL reads back.
            let mut one = rdsql_db::ConnectOptions::default();
            one.set(f.name, &v).unwrap();
            one.engine = one.engine.or(Some(rdsql_db::Engine::Postgres));
            let back = rdsql_db::url::parse_url(&rdsql_db::url::to_url(&one, false)).unwrap();
            assert_eq!(got(&back), got(&one), "{}", f.name);

            // A saved connection's TOML.
            rdsql_connect::saved::update_file(dir.path(), |file| {
                let s = rdsql_config::SavedConnection {
                    fields: rdsql_connect::saved::from_options(&one),
                    ..Default::default()
                };
                file.connections.insert(f.name.to_string(), s);
                Ok(())
            })
            .unwrap();
            let file = rdsql_connect::saved::load_file(dir.path()).unwrap();
            let o = rdsql_connect::saved::to_options(f.name, file.get(f.name).unwrap()).unwrap();
            assert_eq!(got(&o).as_deref(), Some(v.as_str()), "saved {}", f.name);

            // Environment variables (PostgreSQL's libpq names).
            for var in f.env {
                let env = |k: &str| (k == *var).then(|| v.clone());
                let o = rdsql_db::ConnectOptions::default()
                    .with_env(rdsql_db::Engine::Postgres, &env)
                    .unwrap();
                assert_eq!(got(&o).as_deref(), Some(v.as_str()), "{var}");
                let o = rdsql_db::ConnectOptions::default()
                    .with_env(rdsql_db::Engine::Mysql, &env)
                    .unwrap();
                assert_eq!(got(&o), None, "{var} is PostgreSQL's only");
            }

            // The form the UI builds its dialog from.
            assert!(
                form.contains(&format!("\"name\":\"{}\"", f.name)),
                "{}",
                f.name
            );
        }
    }
}
