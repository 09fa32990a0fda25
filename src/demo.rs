//! `npo demo`: the whole system on the embedded default, in one process.
//!
//! Creates (or reuses) a data directory with the test PKI, one configuration file per
//! service (written on every run from the command-line options, so they are examples
//! to copy) and embedded SQLite databases; seeds two producers on the first run (a
//! region's child health care and a municipality's school health care, so a pupil's
//! information comes from two care givers); then runs the platform mock (routing, TAK,
//! engagement index, aggregating services), both producers and the school-nurse web
//! app until Ctrl-C.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use npo_contracts::registry::Contract;
use npo_producer::import::{ImportDocument, ImportOptions};
use npo_producer::seed::{self, SeedOptions, SeededPupil};
use tokio::signal::unix::{SignalKind, signal};

/// Options of `npo demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Folder for the PKI, configurations and databases (created when missing, kept
    /// between runs).
    #[arg(long, value_name = "DIR", default_value = "npo-data")]
    pub data_dir: PathBuf,
    /// The school-nurse web app's address (plain HTTP on loopback).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub consumer_listen: SocketAddr,
    /// The platform's routing listener (HTTPS, client certificates).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub platform_listen: SocketAddr,
    /// The platform's admin listener (loopback HTTP).
    #[arg(long, default_value = "127.0.0.1:8444")]
    pub platform_admin_listen: SocketAddr,
    /// The first producer's address; the second takes the next port.
    #[arg(long, default_value = "127.0.0.1:9441")]
    pub producer_listen: SocketAddr,
    /// Pupils to generate on the first run.
    #[arg(long, default_value_t = 20)]
    pub pupils: usize,
    /// Seed of the data generator (first run only).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only write the PKI, configurations and seeded databases, then exit (start each
    /// service yourself with `npo <service> serve --config <data-dir>/<service>.toml`).
    #[arg(long)]
    pub prepare_only: bool,
}

/// One demo producer.
#[derive(Debug, Clone)]
pub struct DemoProducer {
    /// Short name used in file names (`producer-bvc`).
    pub name: &'static str,
    /// What it is, for the banner.
    pub description: &'static str,
    /// Its source system HSA-ID (logical address) and certificate party.
    pub party: npo_pki::Party,
    /// Where it listens.
    pub listen: SocketAddr,
}

impl DemoProducer {
    fn source_system(&self) -> &'static str {
        self.party.hsa_id()
    }
    fn config_file(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.toml", self.name))
    }
    fn database_file(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.sqlite", self.name))
    }
}

/// Where every part of the demo lives.
#[derive(Debug, Clone)]
pub struct DemoLayout {
    /// The data directory.
    pub dir: PathBuf,
    /// The test PKI.
    pub pki: PathBuf,
    /// The producers (BVC first).
    pub producers: Vec<DemoProducer>,
    /// The options.
    pub args: DemoArgs,
}

impl DemoLayout {
    /// The layout for `args`.
    pub fn new(args: &DemoArgs) -> anyhow::Result<Self> {
        let second = SocketAddr::new(
            args.producer_listen.ip(),
            args.producer_listen
                .port()
                .checked_add(1)
                .context("--producer-listen port too high")?,
        );
        Ok(DemoLayout {
            dir: args.data_dir.clone(),
            pki: args.data_dir.join("pki"),
            producers: vec![
                DemoProducer {
                    name: "producer-bvc",
                    description: "Region Test, barnhälsovården (BVC-journal)",
                    party: npo_pki::Party::ProducerBvc,
                    listen: args.producer_listen,
                },
                DemoProducer {
                    name: "producer-school",
                    description: "Exempel kommun, elevhälsans journal",
                    party: npo_pki::Party::ProducerSchool,
                    listen: second,
                },
            ],
            args: args.clone(),
        })
    }

    /// The platform's configuration file.
    pub fn platform_config(&self) -> PathBuf {
        self.dir.join("platform.toml")
    }

    /// The school-nurse app's configuration file.
    pub fn consumer_config(&self) -> PathBuf {
        self.dir.join("consumer.toml")
    }

    /// The producers' configuration files, in layout order.
    pub fn producer_configs(&self) -> Vec<PathBuf> {
        self.producers
            .iter()
            .map(|p| p.config_file(&self.dir))
            .collect()
    }
}

/// Creates the data directory, the PKI (when missing) and writes every configuration.
pub fn prepare(layout: &DemoLayout) -> anyhow::Result<()> {
    std::fs::create_dir_all(&layout.dir)
        .with_context(|| format!("cannot create {}", layout.dir.display()))?;
    if !layout.pki.join(npo_pki::MANIFEST_FILE).is_file() {
        npo_pki::init(&layout.pki, &npo_pki::InitOptions::default())
            .with_context(|| format!("cannot create the test PKI in {}", layout.pki.display()))?;
    }
    write(&layout.dir.join("tak.toml"), &tak_toml(layout))?;
    write(&layout.dir.join("hsa.toml"), HSA_TOML)?;
    write(&layout.platform_config(), &platform_toml(layout))?;
    for producer in &layout.producers {
        write(
            &producer.config_file(&layout.dir),
            &producer_toml(layout, producer),
        )?;
    }
    write(&layout.consumer_config(), &consumer_toml(layout))?;
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

const GENERATED: &str = "# Written by `npo demo` on every run (edit a copy, not this file).\n";

fn platform_toml(layout: &DemoLayout) -> String {
    let args = &layout.args;
    format!(
        r#"{GENERATED}# The platform mock of the demo: routing, TAK, engagement index, aggregating services.
instance_id = "NPO-TP-DEMO"

[server]
listen = "{listen}"

[tls]
cert = "pki/platform.cert.pem"
key = "pki/platform.key.pem"
ca = "pki/ca.cert.pem"

[admin]
listen = "{admin}"
token = "demo-admin-token-change-me"

[tak]
file = "tak.toml"
hsa_file = "hsa.toml"

[engagement_index]
logical_address = "{ei}"
database_url = "engagement-index.sqlite"
migrate_on_start = true

[aggregation]
logical_address = "{aggregation}"
"#,
        listen = args.platform_listen,
        admin = args.platform_admin_listen,
        ei = npo_pki::ENGAGEMENT_INDEX_HSA_ID,
        aggregation = AGGREGATION_ADDRESS,
    )
}

/// The aggregating services' logical address.
pub const AGGREGATION_ADDRESS: &str = "5565594230";

/// The clinical contracts the demo routes.
const CLINICAL: [Contract; 6] = [
    Contract::GetDiagnosis,
    Contract::GetCareContacts,
    Contract::GetMedicationHistory,
    Contract::GetVaccinationHistory,
    Contract::GetCareDocumentation,
    Contract::GetObservations,
];

fn tak_toml(layout: &DemoLayout) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(GENERATED);
    out.push_str(
        "# TAK of the demo: both producers' source systems, the engagement index and the\n\
         # aggregating services; the school nurses' app and the tester may read everything.\n",
    );
    let mut address = |address: &str, description: &str| {
        let _ = write!(
            out,
            "\n[[logical_addresses]]\naddress = \"{address}\"\ndescription = \"{description}\"\n"
        );
    };
    for producer in &layout.producers {
        address(producer.source_system(), producer.description);
    }
    address(npo_pki::ENGAGEMENT_INDEX_HSA_ID, "Engagemangsindex");
    address(AGGREGATION_ADDRESS, "Aggregerande tjänster");
    let mut contracts: Vec<Contract> = CLINICAL.to_vec();
    contracts.extend([
        Contract::PingForConfiguration,
        Contract::Update,
        Contract::FindContent,
        Contract::ProcessNotification,
    ]);
    for contract in &contracts {
        let _ = write!(
            out,
            "\n[[contracts]]\nnamespace = \"{}\"\n",
            contract.responder_ns()
        );
    }
    for producer in &layout.producers {
        let host = match producer.listen.ip() {
            ip if ip.is_loopback() => "localhost".to_owned(),
            ip => ip.to_string(),
        };
        for contract in CLINICAL.iter().chain([&Contract::PingForConfiguration]) {
            let _ = write!(
                out,
                "\n[[routes]]\nlogical_address = \"{}\"\ncontract = \"{}\"\nurl = \"https://{host}:{}{}\"\n",
                producer.source_system(),
                contract.responder_ns(),
                producer.listen.port(),
                contract.endpoint_path(),
            );
        }
    }
    let mut authorise = |consumer: &str, contract: &Contract, address: &str| {
        let _ = write!(
            out,
            "\n[[authorisations]]\nconsumer = \"{consumer}\"\ncontract = \"{}\"\nlogical_address = \"{address}\"\n",
            contract.responder_ns()
        );
    };
    for consumer in [npo_pki::CONSUMER_HSA_ID, npo_pki::TESTER_HSA_ID] {
        for contract in &CLINICAL {
            authorise(consumer, contract, "*");
        }
    }
    authorise(npo_pki::TESTER_HSA_ID, &Contract::PingForConfiguration, "*");
    authorise(
        npo_pki::TESTER_HSA_ID,
        &Contract::FindContent,
        npo_pki::ENGAGEMENT_INDEX_HSA_ID,
    );
    for producer in &layout.producers {
        for contract in [Contract::Update, Contract::FindContent] {
            authorise(
                producer.source_system(),
                &contract,
                npo_pki::ENGAGEMENT_INDEX_HSA_ID,
            );
        }
    }
    // The aggregating services ask the engagement index as the platform.
    authorise(
        npo_pki::PLATFORM_HSA_ID,
        &Contract::FindContent,
        npo_pki::ENGAGEMENT_INDEX_HSA_ID,
    );
    out
}

const HSA_TOML: &str = r#"# Written by `npo demo` on every run (edit a copy, not this file).
# HSA tree of the demo: each journal below its organisation.
[[units]]
hsa_id = "SE2120009994-EH7S"
parent = "SE2120009994-0000"

[[units]]
hsa_id = "SE2120009994-0000"
name = "Exempel kommun"

[[units]]
hsa_id = "SE2321009991-BV3C"
parent = "SE2321009991-0000"

[[units]]
hsa_id = "SE2321009991-0000"
name = "Region Test"
"#;

fn producer_toml(layout: &DemoLayout, producer: &DemoProducer) -> String {
    let party = producer.party.name();
    let platform = &layout.args.platform_listen;
    let platform_host = if platform.ip().is_loopback() {
        "localhost".to_owned()
    } else {
        platform.ip().to_string()
    };
    format!(
        r#"{GENERATED}# {description}
source_systems = ["{source}"]
allowed_callers = ["{platform_id}"]

[server]
listen = "{listen}"

[tls]
cert = "pki/{party}.cert.pem"
key = "pki/{party}.key.pem"
ca = "pki/ca.cert.pem"

[database]
url = "{name}.sqlite"
migrate_on_start = true

[engagement_index]
platform_url = "https://{platform_host}:{platform_port}"
logical_address = "{ei}"
owner = "{source}"
initial_backoff_ms = 500
max_backoff_secs = 10
"#,
        description = producer.description,
        source = producer.source_system(),
        platform_id = npo_pki::PLATFORM_HSA_ID,
        listen = producer.listen,
        name = producer.name,
        platform_port = platform.port(),
        ei = npo_pki::ENGAGEMENT_INDEX_HSA_ID,
    )
}

/// The pupils the first run generated, as lines to print (kept in `pupils.txt`).
#[derive(Debug)]
pub struct SeedReport {
    /// One line per pupil: identity number, birth date, school year.
    pub pupils: Vec<String>,
}

fn pupil_line(pupil: &SeededPupil) -> String {
    let year = match pupil.school_year {
        0 => "förskoleklass".to_owned(),
        year @ 1..=9 => format!("åk {year}"),
        year => format!("gymnasiet år {}", year - 9),
    };
    let kind = if pupil.arrived.is_some() {
        "samordningsnummer, nyanländ (ingen BVC-journal)"
    } else {
        "personnummer"
    };
    format!(
        "{}-{}  född {}  {year}  ({kind})",
        pupil.patient_id.get(..8).unwrap_or_default(),
        pupil.patient_id.get(8..).unwrap_or_default(),
        pupil.birth_date
    )
}

/// Seeds the producers on the first run (no database yet): one generated history, the
/// BVC part to the BVC producer, the school-health part to the school's; later runs
/// keep the data and read the pupil list written then.
pub fn seed_if_new(layout: &DemoLayout) -> anyhow::Result<SeedReport> {
    let [bvc, school] = layout.producers.as_slice() else {
        anyhow::bail!("the demo has two producers");
    };
    let list = layout.dir.join("pupils.txt");
    let new = layout
        .producers
        .iter()
        .any(|p| !p.database_file(&layout.dir).exists());
    if !new && let Ok(text) = std::fs::read_to_string(&list) {
        return Ok(SeedReport {
            pupils: text.lines().map(str::to_owned).collect(),
        });
    }
    let options = SeedOptions::for_source_systems(
        layout.args.seed,
        layout.args.pupils,
        seed::swedish_today(),
        school.source_system(),
        bvc.source_system(),
    );
    let output = seed::generate_with_pupils(&options);
    for producer in &layout.producers {
        let config =
            npo_producer::config::ProducerConfig::load(&producer.config_file(&layout.dir))?;
        let document = ImportDocument {
            records: output
                .document
                .records
                .iter()
                .filter(|r| r.header().source_system_hsa_id == producer.source_system())
                .cloned()
                .collect(),
            deletions: Vec::new(),
        };
        let mut conn = npo_producer::db::DbManager::new(&config.database.url)
            .open()
            .with_context(|| format!("cannot open the database of {}", producer.name))?;
        npo_producer::db::run_migrations(&mut conn)?;
        // Upserts by documentId: a run after a failed first run stores each record once.
        npo_producer::import::apply_all(
            &mut conn,
            std::slice::from_ref(&document),
            &ImportOptions::from_config(&config),
            &mut || {},
        )
        .with_context(|| format!("cannot seed {}", producer.name))?;
    }
    let pupils: Vec<String> = output.pupils.iter().map(pupil_line).collect();
    write(&list, &(pupils.join("\n") + "\n"))?;
    Ok(SeedReport { pupils })
}

/// Prints where everything is.
pub fn print_banner(
    layout: &DemoLayout,
    ports: &RunningPorts,
    seeded: &SeedReport,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let pki = layout.pki.display();
    writeln!(out)?;
    writeln!(out, "npo demo is running (Ctrl-C stops everything).")?;
    writeln!(out)?;
    writeln!(
        out,
        "  School-nurse app: http://{}:{}/",
        layout.args.consumer_listen.ip(),
        ports.consumer
    )?;
    writeln!(
        out,
        "  Platform:         https://localhost:{}/  (routing; client certificate required)",
        ports.platform
    )?;
    writeln!(
        out,
        "  Platform admin:   http://{}:{}/status  (Authorization: Bearer demo-admin-token-change-me)",
        layout.args.platform_admin_listen.ip(),
        ports.platform_admin
    )?;
    for (producer, port) in layout.producers.iter().zip(&ports.producers) {
        writeln!(
            out,
            "  Producer:         https://localhost:{port}/  {} ({})",
            producer.description,
            producer.source_system()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Logins (password \"{DEMO_PASSWORD}\"):")?;
    for (user, what) in DEMO_USERS {
        writeln!(out, "  {user:<6} {what}")?;
    }
    writeln!(out)?;
    print_pupils(&mut out, seeded)?;
    writeln!(out)?;
    writeln!(
        out,
        "Tester certificate: {pki}/tester.cert.pem, key {pki}/tester.key.pem, CA {pki}/ca.cert.pem"
    )?;
    writeln!(
        out,
        "  curl --cacert {pki}/ca.cert.pem --cert {pki}/tester.cert.pem --key {pki}/tester.key.pem \\"
    )?;
    writeln!(
        out,
        "       -H 'content-type: text/xml' --data-binary @request.xml https://localhost:{}/",
        ports.platform
    )?;
    writeln!(
        out,
        "Configurations (examples to copy): {}",
        layout.dir.display()
    )?;
    Ok(())
}

/// Prints the prepared layout (for `--prepare-only`).
pub fn print_prepared(layout: &DemoLayout, seeded: &SeedReport) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "Prepared {}:", layout.dir.display())?;
    let mut files = vec![layout.platform_config()];
    files.extend(layout.producer_configs());
    files.push(layout.consumer_config());
    for file in files {
        writeln!(out, "  {}", file.display())?;
    }
    print_pupils(&mut out, seeded)
}

fn print_pupils(out: &mut impl Write, seeded: &SeedReport) -> io::Result<()> {
    writeln!(out, "Pupils to try (all in pupils.txt):")?;
    for pupil in seeded.pupils.iter().take(6) {
        writeln!(out, "  {pupil}")?;
    }
    Ok(())
}

/// The ports actually bound.
#[derive(Debug, Clone)]
pub struct RunningPorts {
    /// The consumer.
    pub consumer: u16,
    /// The platform's routing listener.
    pub platform: u16,
    /// The platform's admin listener.
    pub platform_admin: u16,
    /// The producers, in layout order.
    pub producers: Vec<u16>,
}

/// The demo logins (all with [`DEMO_PASSWORD`]).
pub const DEMO_USERS: [(&str, &str); 3] = [
    (
        "sara",
        "skolsköterska, Elevhälsan Björkskolan (två uppdrag)",
    ),
    ("lars", "skolläkare, Elevhälsan Björkskolan"),
    ("logg", "logguppföljare"),
];

/// The demo users' password.
pub const DEMO_PASSWORD: &str = "demo-losenord";

/// argon2id hash of [`DEMO_PASSWORD`] (as `npo consumer hash-password` prints it).
const DEMO_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$NO/Zkx2q+4jkowyvMy1EoQ$adltFCqXTe1XaId+U0KZS/6Yoegw/Hyy5MQSDe9u7q8";

fn consumer_toml(layout: &DemoLayout) -> String {
    let args = &layout.args;
    format!(
        r#"{GENERATED}# The school-nurse web app of the demo. Logins (password "{DEMO_PASSWORD}"):
# sara (skolsköterska, two commissions), lars (skolläkare), logg (logguppföljare).

[server]
listen = "{listen}"

[platform]
url = "https://localhost:{platform_port}"
logical_address = "{AGGREGATION_ADDRESS}"
consumer_hsa_id = "{consumer}"
cert = "pki/consumer.cert.pem"
key = "pki/consumer.key.pem"
ca = "pki/ca.cert.pem"

[database]
url = "consumer.sqlite"
migrate_on_start = true

[[units]]
hsa_id = "SE2120009994-0001"
name = "Exempel kommun"
kind = "vardgivare"

[[units]]
hsa_id = "SE2120009994-EHM1"
name = "Elevhälsan Björkskolan"
kind = "elevhalsa"

[[units]]
hsa_id = "SE2120009994-EHM2"
name = "Elevhälsan Lindskolan"
kind = "elevhalsa"

[[units]]
hsa_id = "SE2321009991-0001"
name = "Region Test"
kind = "vardgivare"

[[units]]
hsa_id = "SE2321009991-BVC1"
name = "BVC Vårdcentralen Solbacken"
kind = "bvc"

[[staff]]
hsa_id = "SE2120009994-P001"
username = "sara"
name = "Sara Skolsköterska"
role = "skolskoterska"
password_hash = "{hash}"

[[staff.commissions]]
care_giver = "SE2120009994-0001"
care_unit = "SE2120009994-EHM1"
purpose = "vard_och_behandling"

[[staff.commissions]]
care_giver = "SE2120009994-0001"
care_unit = "SE2120009994-EHM2"
purpose = "vard_och_behandling"

[[staff]]
hsa_id = "SE2120009994-P002"
username = "lars"
name = "Lars Skolläkare"
role = "skolakare"
password_hash = "{hash}"

[[staff.commissions]]
care_giver = "SE2120009994-0001"
care_unit = "SE2120009994-EHM1"
purpose = "vard_och_behandling"

[[staff]]
hsa_id = "SE2120009994-P003"
username = "logg"
name = "Lina Logguppföljare"
role = "logguppfoljare"
password_hash = "{hash}"

[[staff.commissions]]
care_giver = "SE2120009994-0001"
care_unit = "SE2120009994-EHM1"
purpose = "uppfoljning"

# NPÖ's window (current year and three years back) for what school health reads day to
# day; the BVC record (vaccinations, notes, growth) from birth.
[time_window.types.diagnoser]
default = {{ years_back = 3 }}
max = {{ years_back = 10 }}

# Care contacts: NPÖ's window on their own page; the BVC summary reaches back to birth
# for the basprogram visits.
[time_window.types.vardkontakter]
default = {{ years_back = 3 }}
max = "from_birth"

[time_window.types.vaccinationer]
default = "from_birth"
max = "from_birth"

[time_window.types.anteckningar]
default = "from_birth"
max = "from_birth"

[time_window.types.observationer]
default = "from_birth"
max = "from_birth"

[[views]]
slug = "skolstart"
name = "Skolstart"
types = ["vaccinationer", "observationer", "anteckningar"]
unit_kinds = ["bvc"]
window = "from_birth"

[[views]]
slug = "aktuell-medicinering"
name = "Aktuell medicinering"
types = ["lakemedel"]
current_only = true
window = {{ years_back = 1 }}
"#,
        listen = args.consumer_listen,
        platform_port = args.platform_listen.port(),
        consumer = npo_pki::CONSUMER_HSA_ID,
        hash = DEMO_PASSWORD_HASH,
    )
}

/// Runs every service of `layout` (already prepared and seeded) until Ctrl-C, calling
/// `started` with the bound ports once all listen.
pub async fn run(layout: &DemoLayout, started: impl FnOnce(&RunningPorts)) -> anyhow::Result<()> {
    let platform_config = npo_platform::config::PlatformConfig::load(&layout.platform_config())?;
    let platform = npo_platform::startup::Application::build(platform_config)
        .context("cannot start the platform")?;
    let mut producer_ports = Vec::new();
    let mut servers = Vec::new();
    for file in layout.producer_configs() {
        let config = npo_producer::config::ProducerConfig::load(&file)?;
        let app = npo_producer::startup::Application::build(config)
            .with_context(|| format!("cannot start the producer of {}", file.display()))?;
        producer_ports.push(app.port());
        servers.push(app.into_server());
    }
    let consumer_config = npo_consumer::config::ConsumerConfig::load(&layout.consumer_config())?;
    let consumer = npo_consumer::startup::Application::build(consumer_config)
        .context("cannot start the school-nurse app")?;
    let ports = RunningPorts {
        consumer: consumer.port(),
        platform: platform.port(),
        platform_admin: platform.admin_port(),
        producers: producer_ports,
    };
    let (routing, admin) = platform.into_servers();
    servers.push(routing);
    servers.push(admin);
    servers.push(consumer.into_server());
    // One Ctrl-C (or SIGTERM) stops every service, also when it arrives while some of
    // them are still starting: the handlers are registered here, before the banner.
    let handles: Vec<_> = servers.iter().map(|s| s.handle()).collect();
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    actix_web::rt::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("stopping every service");
        futures_util::future::join_all(handles.iter().map(|h| h.stop(true))).await;
    });
    started(&ports);
    let results = futures_util::future::join_all(servers).await;
    for result in results {
        result?;
    }
    Ok(())
}
