//! Opening a download's own file (and its album folder's `cover.jpg`) for reading, beneath
//! OUTPUT_DIRECTORY without following symbolic links (SEC-43).
//!
//! The folders are walked with `jobs::beneath::open_folder`; the file is opened inside the
//! folder held open (`beneath::open_regular_in`: never a symlink, a FIFO or a device), and
//! its identity is taken from the open descriptor, so what is checked is what is read: a
//! file swapped in by name after the check is never served.

use crate::jobs::beneath::{self, Recorded};
use std::ffi::OsStr;
use std::io;
use std::path::Path;

/// A file opened for reading, with what its descriptor says about it.
pub type OpenedFile = beneath::OpenedRegular;

/// Why a file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing there, something else there (a symlink, a folder, another file), or a path
    /// that leaves the output folder: for the client, "no file".
    #[error("the file is not there any more")]
    Gone,
    #[error(transparent)]
    Io(io::Error),
}

/// Opens the regular file `name` in the folder `relative_folder` beneath `root`.
pub fn open_in(root: &Path, relative_folder: &Path, name: &OsStr) -> Result<OpenedFile, OpenError> {
    let folder = beneath::open_folder(root, relative_folder, false).map_err(classify)?;
    beneath::open_regular_in(&folder, name).map_err(classify)
}

/// Opens the file a download placed at `relative`, only while it is still that file.
pub fn open_recorded(
    root: &Path,
    relative: &Path,
    recorded: Recorded,
) -> Result<OpenedFile, OpenError> {
    let (Some(folder), Some(name)) = (relative.parent(), relative.file_name()) else {
        return Err(OpenError::Gone);
    };
    let opened = open_in(root, folder, name)?;
    if !recorded.matches(opened.identity) {
        return Err(OpenError::Gone);
    }
    Ok(opened)
}

fn classify(e: io::Error) -> OpenError {
    match e.kind() {
        // `beneath` reports a symlink (on the way or at the name), and anything at the name
        // that is not a regular file, as PermissionDenied.
        io::ErrorKind::NotFound
        | io::ErrorKind::PermissionDenied
        | io::ErrorKind::NotADirectory => OpenError::Gone,
        _ => OpenError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::beneath::FileIdentity;

    fn recorded(identity: FileIdentity) -> Recorded {
        Recorded {
            identity,
            identity_known: true,
        }
    }

    #[test]
    fn the_placed_file_opens_and_a_symlink_swapped_in_does_not_sec_43() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("A")).unwrap();
        std::fs::write(out.path().join("A/t.mp3"), "mine").unwrap();
        let rel = Path::new("A/t.mp3");
        let mine = open_recorded(
            out.path(),
            rel,
            recorded(beneath::identity(out.path(), rel).unwrap()),
        )
        .unwrap()
        .identity;
        // A symlink to a file with the same content takes the name: not followed.
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), "mine").unwrap();
        std::fs::remove_file(out.path().join(rel)).unwrap();
        std::os::unix::fs::symlink(secret.path(), out.path().join(rel)).unwrap();
        assert!(matches!(
            open_recorded(out.path(), rel, recorded(mine)),
            Err(OpenError::Gone)
        ));
        // Another regular file of the same size: not the one placed. (Written beside it
        // and renamed over it, so it cannot be given the freed inode of the original.)
        std::fs::write(out.path().join("A/other"), "them").unwrap();
        std::fs::rename(out.path().join("A/other"), out.path().join(rel)).unwrap();
        assert!(matches!(
            open_recorded(out.path(), rel, recorded(mine)),
            Err(OpenError::Gone)
        ));
        // A folder on the way swapped for a symlink.
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("t.mp3"), "x").unwrap();
        std::fs::rename(out.path().join("A"), out.path().join("B")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("A")).unwrap();
        assert!(matches!(
            open_in(out.path(), Path::new("A"), OsStr::new("t.mp3")),
            Err(OpenError::Gone)
        ));
        assert!(matches!(
            open_recorded(out.path(), Path::new("../x"), recorded(mine)),
            Err(OpenError::Gone)
        ));
    }
}
