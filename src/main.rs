//! `npo`: command-line entry point. Parses arguments and hands over to the library crates.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

mod demo;

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
    /// The platform mock: routes RIV-TA calls by logical address and contract through a
    /// local TAK, over mutual TLS, with the VP faults.
    Platform {
        #[command(subcommand)]
        command: PlatformCommand,
    },
    /// The school-nurse web app: pupil search, PDL gates and access log, journal
    /// overview through the platform's aggregating services.
    Consumer {
        #[command(subcommand)]
        command: ConsumerCommand,
    },
    /// The whole system on the embedded default: test PKI, the platform mock, two
    /// seeded producers (BVC and school health) and the school-nurse app, until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Run the official producer test cases against a producer over mutual TLS
    /// (see conformance/README.md); exits non-zero when a case fails.
    Conformance(ConformanceArgs),
}

#[derive(Debug, Subcommand)]
enum ConsumerCommand {
    /// Apply pending database migrations and exit.
    Migrate(ConsumerConfigArg),
    /// Serve the web app.
    Serve(ConsumerConfigArg),
    /// Read a password from standard input and print its argon2 hash (for
    /// `password_hash` in the staff directory).
    HashPassword,
}

#[derive(Debug, Args)]
struct ConsumerConfigArg {
    /// The app's configuration file (TOML, see consumer/README.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct ConformanceArgs {
    /// Base URL of the producer, e.g. https://127.0.0.1:9441 (the contract's
    /// /<Contract>/<major>/rivtabp21 is appended).
    #[arg(long)]
    url: String,
    /// Client certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// The client certificate's private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// CA certificate that issued the producer's certificate (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// Test-data file (TOML): patients, expected/unexpected documentIds per case.
    #[arg(long)]
    data: PathBuf,
    /// Only this contract (repeatable), e.g. GetDiagnosis; default: every contract in
    /// the data file.
    #[arg(long = "contract", value_name = "NAME")]
    contracts: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 20)]
    timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum PlatformCommand {
    /// Serve the routing listener (HTTPS, client certificates) and the admin listener.
    Serve(PlatformConfigArg),
}

#[derive(Debug, Args)]
struct PlatformConfigArg {
    /// The platform's configuration file (TOML, see platform-mock/README.md).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ProducerCommand {
    /// Apply pending database migrations and exit.
    Migrate(ConfigArg),
    /// Serve the contracts over HTTPS with client-certificate verification.
    Serve(ConfigArg),
    /// Check import documents (JSON, see producer/IMPORT.md) and store them in the
    /// producer's database in one transaction; nothing is written if any has a problem.
    Import(ImportArgs),
    /// Print the JSON Schema of the import format.
    ImportSchema,
    /// Generate deterministic demo data (pupils with test personnummer, a BVC and a
    /// school-health history) and import it: the first source system of the
    /// configuration is the school-health journal, the second (else the first) the BVC.
    Seed(SeedArgs),
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// The producer's configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Seed of the generator: the same seed (and day) gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many pupils.
    #[arg(long, default_value_t = 20)]
    pupils: usize,
    /// The day the data is generated for (YYYY-MM-DD, 1920–2099): histories end
    /// before it and ages are counted on it. Default: today in Swedish time. The same
    /// seed, pupils and day give the same data on every run.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    today: Option<chrono::NaiveDate>,
}

/// `--today`: a real calendar date in 1920–2099 (pupils' histories start up to 19 years
/// earlier and RIV-TA time stamps begin in 1900).
fn parse_today(text: &str) -> Result<chrono::NaiveDate, String> {
    use chrono::Datelike as _;
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date YYYY-MM-DD"))?;
    if (1920..=2099).contains(&day.year()) {
        Ok(day)
    } else {
        Err(format!("`{text}` is outside 1920-01-01..2099-12-31"))
    }
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The producer's configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Import documents, applied in the order given (all are checked first).
    #[arg(value_name = "DATA.json", required = true)]
    files: Vec<PathBuf>,
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
        Command::Platform { command } => platform(command),
        Command::Consumer { command } => consumer(command),
        Command::Demo(args) => run_demo(&args),
        Command::Conformance(args) => conformance(&args),
    }
}

fn run_demo(args: &demo::DemoArgs) -> anyhow::Result<()> {
    let layout = demo::DemoLayout::new(args)?;
    demo::prepare(&layout)?;
    let seeded = demo::seed_if_new(&layout)?;
    if args.prepare_only {
        return Ok(demo::print_prepared(&layout, &seeded)?);
    }
    actix_web::rt::System::new().block_on(demo::run(&layout, |ports| {
        if let Err(e) = demo::print_banner(&layout, ports, &seeded) {
            tracing::warn!(error = %e, "cannot print the demo banner");
        }
    }))
}

fn consumer(command: ConsumerCommand) -> anyhow::Result<()> {
    use npo_consumer::config::ConsumerConfig;
    match command {
        ConsumerCommand::Migrate(arg) => {
            let config = ConsumerConfig::load(&arg.config)?;
            let mut conn = npo_consumer::db::DbManager::new(&config.database.url)
                .open()
                .context("cannot open the consumer database")?;
            let applied = npo_consumer::db::run_migrations(&mut conn)?;
            let mut out = io::stdout().lock();
            writeln!(out, "{} migration(s) applied", applied.len())?;
            for name in applied {
                writeln!(out, "  {name}")?;
            }
            Ok(())
        }
        ConsumerCommand::Serve(arg) => {
            let config = ConsumerConfig::load(&arg.config)?;
            actix_web::rt::System::new().block_on(async move {
                let app = npo_consumer::startup::Application::build(config)?;
                app.run_until_stopped().await?;
                Ok(())
            })
        }
        ConsumerCommand::HashPassword => {
            let mut password = String::new();
            io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "no password on standard input");
            writeln!(
                io::stdout().lock(),
                "{}",
                npo_consumer::hash_password(password)?
            )?;
            Ok(())
        }
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
        ProducerCommand::Import(args) => producer_import(&args),
        ProducerCommand::Seed(args) => producer_seed(&args),
        ProducerCommand::ImportSchema => {
            io::stdout()
                .lock()
                .write_all(npo_producer::import::json_schema().as_bytes())?;
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

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_BAR_FROM: usize = 2000;

fn producer_import(args: &ImportArgs) -> anyhow::Result<()> {
    use npo_producer::import::{self, ImportOptions};
    let config = npo_producer::config::ProducerConfig::load(&args.config)?;
    let options = ImportOptions::from_config(&config);
    let mut documents = Vec::with_capacity(args.files.len());
    let (mut problems, mut bad_files) = (0usize, 0usize);
    {
        let mut err = io::stderr().lock();
        for file in &args.files {
            let found = match std::fs::read(file) {
                Err(e) => vec![format!("cannot read the file: {e}")],
                Ok(bytes) => match import::read(&bytes, &options) {
                    Ok(document) => {
                        documents.push(document);
                        continue;
                    }
                    Err(found) => found.iter().map(ToString::to_string).collect(),
                },
            };
            bad_files += 1;
            problems += found.len();
            for problem in found {
                writeln!(err, "{}: {problem}", file.display())?;
            }
        }
    }
    if problems > 0 {
        anyhow::bail!("{problems} problem(s) in {bad_files} file(s); nothing was imported");
    }
    let mut conn = npo_producer::db::DbManager::new(&config.database.url)
        .open()
        .context("cannot open the producer database")?;
    if config.database.migrate_on_start {
        npo_producer::db::run_migrations(&mut conn)?;
    }
    let total: usize = documents
        .iter()
        .map(|d| d.records.len() + d.deletions.len())
        .sum();
    let bar = if io::stderr().is_terminal() && total >= PROGRESS_BAR_FROM {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} importing [{bar:40}] {pos}/{len} entries ({per_sec}, {eta} left)",
            )?
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let outcome = import::apply_all(&mut conn, &documents, &options, &mut || bar.inc(1));
    bar.finish_and_clear();
    let summary = outcome.context("the import failed")?;
    writeln!(
        io::stdout().lock(),
        "Imported {} file(s): {summary}",
        args.files.len()
    )?;
    Ok(())
}

fn producer_seed(args: &SeedArgs) -> anyhow::Result<()> {
    use npo_producer::import::{self, ImportOptions};
    use npo_producer::seed::{self, SeedOptions};
    let config = npo_producer::config::ProducerConfig::load(&args.config)?;
    let school = config
        .source_systems
        .first()
        .context("the configuration lists no source system")?;
    let bvc = config.source_systems.get(1).unwrap_or(school);
    let today = args.today.unwrap_or_else(seed::swedish_today);
    let options = SeedOptions::for_source_systems(args.seed, args.pupils, today, school, bvc);
    let output = seed::generate_with_pupils(&options);
    let mut conn = npo_producer::db::DbManager::new(&config.database.url)
        .open()
        .context("cannot open the producer database")?;
    npo_producer::db::run_migrations(&mut conn)?;
    let summary = import::apply_all(
        &mut conn,
        std::slice::from_ref(&output.document),
        &ImportOptions::from_config(&config),
        &mut || {},
    )
    .context("the seed import failed")?;

    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Seeded {} pupil(s) with seed {} as of {} (school health {school}, BVC {bvc}):",
        output.pupils.len(),
        args.seed,
        options.today
    )?;
    for (kind, count) in seed::record_counts(&output.document) {
        writeln!(out, "  {kind:<18} {count:>6}")?;
    }
    writeln!(out, "Import: {summary}")?;
    writeln!(out, "Pupils (test identity numbers, serial 98xx/99xx):")?;
    writeln!(
        out,
        "  {:<15} {:<18} {:<10} {:>3}  SCHOOL YEAR",
        "ID", "TYPE", "BORN", "AGE"
    )?;
    for pupil in &output.pupils {
        let kind = if pupil.arrived.is_some() {
            "samordningsnummer"
        } else {
            "personnummer"
        };
        let year = match pupil.school_year {
            0 => "förskoleklass".to_owned(),
            year @ 1..=9 => format!("åk {year}"),
            year => format!("gymnasiet år {}", year - 9),
        };
        let id = format!("{}-{}", &pupil.patient_id[..8], &pupil.patient_id[8..]);
        writeln!(
            out,
            "  {id:<15} {kind:<18} {} {:>3}  {year}",
            pupil.birth_date, pupil.age
        )?;
    }
    Ok(())
}

fn platform(command: PlatformCommand) -> anyhow::Result<()> {
    use npo_platform::config::PlatformConfig;
    match command {
        PlatformCommand::Serve(arg) => {
            let config = PlatformConfig::load(&arg.config)?;
            actix_web::rt::System::new().block_on(async move {
                let app = npo_platform::startup::Application::build(config)?;
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

fn conformance(args: &ConformanceArgs) -> anyhow::Result<()> {
    let contracts = args
        .contracts
        .iter()
        .map(|name| {
            npo_conformance::contract_by_name(name).with_context(|| {
                format!(
                    "--contract {name}: not one of GetDiagnosis, GetCareContacts, \
                     GetMedicationHistory, GetVaccinationHistory, GetCareDocumentation, \
                     GetObservations"
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let data = npo_conformance::TestData::load(&args.data)?;
    let target = npo_conformance::Target {
        url: args.url.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        ca: args.ca.clone(),
        timeout: std::time::Duration::from_secs(args.timeout_secs.max(1)),
    };
    let report = npo_conformance::run_blocking(&target, &data, &contracts)?;
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Human => write!(out, "{}", report.to_human())?,
        ReportFormat::Json => writeln!(out, "{}", report.to_json())?,
    }
    out.flush()?;
    anyhow::ensure!(report.ok, "{} conformance case(s) failed", report.failed);
    Ok(())
}
