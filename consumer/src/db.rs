//! Database access for the school-nurse app: one connection type over SQLite (the
//! embedded default) and PostgreSQL, an r2d2 pool that picks the backend from the URL,
//! and the embedded migrations (`migrations/consumer/{sqlite,postgres}`).

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
    /// PostgreSQL (shared test environments; several app instances may share one server).
    Pg(PgConnection),
    /// SQLite (embedded default: no server to run).
    Sqlite(SqliteConnection),
}

/// Connection pool.
pub type DbPool = Pool<DbManager>;
/// A connection taken from the pool.
pub type PooledConn = PooledConnection<DbManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/consumer/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../migrations/consumer/postgres");

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

    /// The backend of this manager's URL.
    pub fn backend(&self) -> Backend {
        self.backend
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
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.open().map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Builds a pool of at most `max_size` connections for `url`; taking a connection
/// waits at most `timeout`. Connections are opened lazily, so building the pool
/// succeeds while the database is down; the first query then fails (and the caller
/// answers with a technical error).
pub fn pool(url: &str, max_size: u32, timeout: std::time::Duration) -> Result<DbPool, DbError> {
    Ok(Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .build(DbManager::new(url))?)
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
