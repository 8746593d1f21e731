//! The command-line surface (clap types only; resolution lives elsewhere).

use clap::{Args, Parser, Subcommand, ValueEnum};
use rdsql_db::options::FIELDS;
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
    /// Print debug traces to stderr (never secrets).
    #[arg(long, short = 'v', global = true)]
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

/// Output formats of result sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, like psql.
    Table,
    /// RFC 4180, header row, NULL as an empty field (as `psql --csv`).
    Csv,
    /// Tab-separated, header row, `\t \n \r \\` escaped, NULL as `\N`.
    Tsv,
    /// One JSON array of objects per result set.
    Json,
    /// One JSON object per row and line.
    Ndjson,
}

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

    /// Do not print row counts of statements without result sets.
    #[arg(long, short = 'q')]
    pub quiet: bool,
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
            if let Some(v) = m.get_one::<String>(f.name) {
                self.fields.retain(|(n, _)| n != f.name);
                self.fields.push((f.name.to_string(), v.clone()));
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
            let mut arg = clap::Arg::new(f.name)
                .long(f.flag)
                .value_name(f.value_name)
                .help(f.help.trim());
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
