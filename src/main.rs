//! `npo`: command-line entry point. Parses arguments and hands over to the library crates.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// NPÖ-style journal sharing for Swedish school health care.
#[derive(Debug, Parser)]
#[command(name = "npo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage the test PKI (CA and per-party certificates carrying HSA-IDs).
    Certs {
        #[command(subcommand)]
        command: CertsCommand,
    },
    /// The producer adapter: serve a journal as RIV-TA service contracts.
    Producer {
        #[command(subcommand)]
        command: ProducerCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ProducerCommand {
    /// Apply pending database migrations and exit.
    Migrate(ConfigArg),
    /// Serve the contracts over HTTPS with client-certificate verification.
    Serve(ConfigArg),
}

#[derive(Debug, Args)]
struct ConfigArg {
    /// The producer's configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum CertsCommand {
    /// Create a fresh test CA and one certificate and key per party.
    Init(CertsInitArgs),
}

#[derive(Debug, Args)]
struct CertsInitArgs {
    /// Directory to write the PEM files and manifest.json to (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Replace the PKI files even if the directory is not empty.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .init();

    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Certs {
            command: CertsCommand::Init(args),
        } => certs_init(&args),
        Command::Producer { command } => producer(command),
    }
}

fn producer(command: ProducerCommand) -> anyhow::Result<()> {
    use npo_producer::config::ProducerConfig;
    match command {
        ProducerCommand::Migrate(arg) => {
            let config = ProducerConfig::load(&arg.config)?;
            let mut conn = npo_producer::db::DbManager::new(&config.database.url)
                .open()
                .context("cannot open the producer database")?;
            let applied = npo_producer::db::run_migrations(&mut conn)?;
            let mut out = io::stdout().lock();
            writeln!(out, "{} migration(s) applied", applied.len())?;
            for name in applied {
                writeln!(out, "  {name}")?;
            }
            Ok(())
        }
        ProducerCommand::Serve(arg) => {
            let config = ProducerConfig::load(&arg.config)?;
            actix_web::rt::System::new().block_on(async move {
                let app = npo_producer::startup::Application::build(config)?;
                app.run_until_stopped().await?;
                Ok(())
            })
        }
    }
}

fn certs_init(args: &CertsInitArgs) -> anyhow::Result<()> {
    let opts = npo_pki::InitOptions {
        force: args.force,
        ..npo_pki::InitOptions::default()
    };
    let manifest = npo_pki::init(&args.dir, &opts)
        .with_context(|| format!("cannot create test PKI in {}", args.dir.display()))?;

    let mut out = io::stdout().lock();
    writeln!(out, "Test PKI written to {}", args.dir.display())?;
    writeln!(
        out,
        "CA: {} (key {})  {}",
        manifest.ca.cert, manifest.ca.key, manifest.ca.subject
    )?;
    writeln!(out, "{:<17} {:<18} {:<24} KEY", "PARTY", "HSA-ID", "CERT")?;
    for party in &manifest.parties {
        writeln!(
            out,
            "{:<17} {:<18} {:<24} {}",
            party.name, party.hsa_id, party.cert, party.key
        )?;
    }
    writeln!(
        out,
        "Manifest: {}",
        args.dir.join(npo_pki::MANIFEST_FILE).display()
    )?;
    Ok(())
}
