//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while creating or loading the test PKI.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// The target directory is not empty and `force` was not given.
    #[error(
        "refusing to overwrite: {dir} is not empty{hint}; use --force to replace the PKI files",
        hint = manifest_hint(.has_manifest)
    )]
    DirNotEmpty {
        /// The directory that was asked for.
        dir: PathBuf,
        /// Whether a `manifest.json` was found there.
        has_manifest: bool,
    },
    /// The target path exists but is not a directory.
    #[error("{0} exists and is not a directory")]
    NotADirectory(PathBuf),
    /// Invalid options were passed to [`crate::init`].
    #[error("invalid options: {0}")]
    InvalidOptions(&'static str),
    /// Reading or writing a file failed.
    #[error("I/O error on {path}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file could not be parsed.
    #[error("cannot parse {path} as PEM")]
    Pem {
        /// The file involved.
        path: PathBuf,
        /// The underlying OpenSSL error.
        #[source]
        source: openssl::error::ErrorStack,
    },
    /// The manifest could not be (de)serialised.
    #[error("invalid manifest {path}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The underlying JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// An OpenSSL operation (key generation, signing, TLS setup) failed.
    #[error("OpenSSL operation failed")]
    Openssl(#[from] openssl::error::ErrorStack),
}

impl PkiError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

fn manifest_hint(has_manifest: &bool) -> &'static str {
    if *has_manifest {
        " and already holds a PKI (manifest.json)"
    } else {
        ""
    }
}
