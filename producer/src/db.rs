//! Database access: one connection type over SQLite (the embedded default) and
//! PostgreSQL, an r2d2 pool that picks the backend from the URL, and the embedded
//! migrations.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// A connection to either backend. Queries are written once against this type.
#[derive(diesel::MultiConnection)]
#[allow(missing_debug_implementations)]
pub enum DbConn {
    /// PostgreSQL (production; several producers may share one server).
    Pg(PgConnection),
    /// SQLite (embedded default: no server to run).
    Sqlite(SqliteConnection),
}

/// Connection pool.
pub type DbPool = Pool<DbManager>;
/// A connection taken from the pool (dereferences to [`DbConn`]).
pub type PooledConn = PooledConnection<DbManager>;

/// How long after a connection went back to the pool it is handed out again without
/// a `SELECT 1` first (PostgreSQL; HikariCP's `aliveBypassWindow` is the same idea).
/// A connection that worked this recently is all but certainly alive, and checking it
/// anyway costs a round trip per request; one the server closed in between fails its
/// query with a connection error, is discarded ([`PoolConn::note`]) and the read is
/// retried once on another ([`crate::store::DieselJournal`]).
pub const VALIDATION_BYPASS: Duration = Duration::from_secs(1);

/// A connection as the pool keeps it: the connection, when it last went back to the
/// pool and whether it was found broken. Dereferences to [`DbConn`], so queries take
/// `&mut conn` of a pooled connection as they are.
#[allow(missing_debug_implementations)]
pub struct PoolConn {
    conn: DbConn,
    returned_at: Option<Instant>,
    broken: bool,
}

impl PoolConn {
    /// Passes a query's result through, marking the connection broken when the error
    /// says it is gone (closed by the server, or a command could not be sent), so the
    /// pool discards it instead of handing it out again.
    pub fn note<T>(&mut self, result: diesel::QueryResult<T>) -> diesel::QueryResult<T> {
        if let Err(error) = &result {
            self.note_error(error);
        }
        result
    }

    /// [`PoolConn::note`] for an error taken out of a result of another type.
    pub fn note_error(&mut self, error: &diesel::result::Error) {
        if connection_lost(error) {
            self.broken = true;
        }
    }
}

/// Whether a query failed because the connection is gone (not because of the query).
pub fn connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

impl Deref for PoolConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/producer/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../migrations/producer/postgres");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// Anything else: a file path, optionally `sqlite://`-prefixed.
    Sqlite,
}

impl Backend {
    /// The backend a database URL names.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Could not connect.
    #[error("cannot open the database: {0}")]
    Connect(#[from] ConnectionError),
    /// The pool could not be built.
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

/// Opens connections of the backend the URL names (never guessing: an unreachable
/// PostgreSQL URL is an error, not a new SQLite file).
#[derive(Debug, Clone)]
pub struct DbManager {
    url: String,
    backend: Backend,
}

impl DbManager {
    /// A manager for `url`.
    pub fn new(url: &str) -> Self {
        DbManager {
            url: url.to_owned(),
            backend: Backend::of(url),
        }
    }

    /// Opens one connection.
    pub fn open(&self) -> Result<DbConn, ConnectionError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConn::Pg),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(
                    // The busy timeout first: switching to WAL takes a lock, and
                    // without it a concurrent opener would fail at once.
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for DbManager {
    type Connection = PoolConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PoolConn, Self::Error> {
        let conn = self.open().map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(PoolConn {
            conn,
            returned_at: None,
            broken: false,
        })
    }

    /// Run as a connection is taken from the pool. A PostgreSQL connection is checked
    /// with `SELECT 1`, so one the server has closed (restart, idle timeout) is replaced
    /// instead of failing a request, unless it went back to the pool less than
    /// [`VALIDATION_BYPASS`] ago. A SQLite connection is a file handle that cannot go
    /// stale and is never checked.
    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), Self::Error> {
        let recently_used = conn
            .returned_at
            .is_some_and(|at| at.elapsed() < VALIDATION_BYPASS);
        if self.backend == Backend::Sqlite || recently_used {
            return Ok(());
        }
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// Run as a connection goes back to the pool: notes when, and discards it when a
    /// query found it broken ([`PoolConn::note`]) or diesel's transaction state is
    /// broken.
    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        use diesel::r2d2::R2D2Connection as _;
        conn.returned_at = Some(Instant::now());
        conn.broken || std::thread::panicking() || conn.conn.is_broken()
    }
}

/// Builds a pool of at most `max_size` connections for `url` (see
/// [`DbManager::is_valid`] for when a connection is checked).
pub fn pool(url: &str, max_size: u32) -> Result<DbPool, DbError> {
    let manager = DbManager::new(url);
    Ok(Pool::builder()
        .max_size(max_size)
        .test_on_check_out(true)
        .build(manager)?)
}

/// Runs the pending migrations of the connection's backend; returns their names.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Pg(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every migration (used to prove `down.sql` works).
pub fn revert_all_migrations(conn: &mut DbConn) -> Result<(), DbError> {
    match conn {
        DbConn::Pg(pg) => pg.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(sqlite) => sqlite.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    }
    .map_err(|e| DbError::Migration(e.to_string()))
}
