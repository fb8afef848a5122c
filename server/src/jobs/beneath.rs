//! Files beneath OUTPUT_DIRECTORY, reached without following symbolic links (SEC-43).
//!
//! The music folder is often a network share that other people and devices write to. A
//! path that was checked and then used by name can change in between (a folder swapped for
//! a symlink to the server's data), so every operation here walks from the root one folder
//! at a time with `openat(O_NOFOLLOW | O_DIRECTORY)` and acts inside the folder it holds
//! open (`renameat2`, `fstatat`, `unlinkat`): a symlink anywhere on the way is refused, never
//! followed. The root itself is the operator's setting and may be a symlink.

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, RenameFlags, openat, renameat2};
use nix::sys::stat::{Mode, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path};

/// What identifies the file a job wrote, recorded when it was placed: a delete removes the
/// file at the stored path only while it is still that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    pub device: u64,
    pub inode: u64,
    pub size: u64,
}

/// Folders created on the way to a file: readable by the household's other programs.
const FOLDER_MODE: u32 = 0o755;

fn refused(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, what.to_owned())
}

fn io_error(errno: Errno) -> io::Error {
    match errno {
        // O_NOFOLLOW on a symlink, or a file where a folder should be.
        Errno::ELOOP | Errno::ENOTDIR => {
            refused("a folder on the way is a symbolic link or not a folder")
        }
        other => io::Error::from(other),
    }
}

/// Opens `relative` (folders only, no `..`) beneath `root`, creating missing folders when
/// `create` is set, without following a symlink at any step.
pub fn open_folder(root: &Path, relative: &Path, create: bool) -> io::Result<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut folder = openat(nix::fcntl::AT_FDCWD, root, flags, Mode::empty()).map_err(io_error)?;
    for component in relative.components() {
        let Component::Normal(name) = component else {
            return Err(refused("the path leaves the output folder"));
        };
        if create {
            match mkdirat(folder.as_fd(), name, Mode::from_bits_truncate(FOLDER_MODE)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        folder = openat(
            folder.as_fd(),
            name,
            flags | OFlag::O_NOFOLLOW,
            Mode::empty(),
        )
        .map_err(io_error)?;
    }
    Ok(folder)
}

/// Splits `relative` into its folder and its file name.
fn split(relative: &Path) -> io::Result<(&Path, &std::ffi::OsStr)> {
    match (relative.parent(), relative.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(refused("not a file path")),
    }
}

/// The identity of the regular file at `relative`; a symlink or anything else is refused.
pub fn identity(root: &Path, relative: &Path) -> io::Result<FileIdentity> {
    let (parent, name) = split(relative)?;
    let folder = open_folder(root, parent, false)?;
    identity_in(&folder, name)
}

fn identity_in(folder: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<FileIdentity> {
    let stat = fstatat(folder.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io_error)?;
    if stat.st_mode & nix::libc::S_IFMT != nix::libc::S_IFREG {
        return Err(refused("not a regular file"));
    }
    Ok(FileIdentity {
        device: stat.st_dev as u64,
        inode: stat.st_ino as u64,
        size: stat.st_size as u64,
    })
}

/// What `remove_if_same` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// Nothing is at the path any more.
    Missing,
    /// Something else is there now (another file, a symlink, a folder): left alone.
    NotTheSameFile,
}

/// What a download recorded about the file it wrote.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    pub identity: FileIdentity,
    /// Downloads finished before device and inode were recorded carry the size only; then
    /// the size, and being a regular file, must match.
    pub identity_known: bool,
}

impl Recorded {
    pub fn matches(&self, found: FileIdentity) -> bool {
        if self.identity_known {
            found == self.identity
        } else {
            found.size == self.identity.size
        }
    }
}

/// Removes the file at `relative` if it is still the `expected` one.
pub fn remove_if_same(root: &Path, relative: &Path, expected: Recorded) -> io::Result<Removal> {
    let (parent, name) = split(relative)?;
    let folder = match open_folder(root, parent, false) {
        Ok(folder) => folder,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Removal::Missing),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Ok(Removal::NotTheSameFile);
        }
        Err(e) => return Err(e),
    };
    let found = match identity_in(&folder, name) {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Removal::Missing),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Ok(Removal::NotTheSameFile);
        }
        Err(e) => return Err(e),
    };
    if !expected.matches(found) {
        return Ok(Removal::NotTheSameFile);
    }
    unlinkat(folder.as_fd(), name, UnlinkatFlags::NoRemoveDir).map_err(io_error)?;
    Ok(Removal::Removed)
}

/// Moves `source` (in the job's private temp folder) to `relative` beneath `root` unless
/// something already has that name; returns the identity of the placed file.
pub fn place_no_replace(
    source: &Path,
    root: &Path,
    relative: &Path,
) -> io::Result<Option<FileIdentity>> {
    let (parent, name) = split(relative)?;
    let folder = open_folder(root, parent, true)?;
    match renameat2(
        nix::fcntl::AT_FDCWD,
        source,
        folder.as_fd(),
        name,
        RenameFlags::RENAME_NOREPLACE,
    ) {
        Ok(()) => {}
        Err(Errno::EEXIST) => return Ok(None),
        // Some NAS filesystems (older kernels, FUSE, SMB) lack RENAME_NOREPLACE: claim the
        // name with O_EXCL, which is atomic everywhere and never follows a symlink, then copy.
        Err(Errno::EINVAL | Errno::ENOSYS | Errno::EXDEV) => {
            if !copy_no_replace(source, &folder, name)? {
                return Ok(None);
            }
        }
        Err(e) => return Err(io_error(e)),
    }
    identity_in(&folder, name).map(Some)
}

/// Copies into a new file `name` in `folder`; `false` when the name is taken.
fn copy_no_replace(source: &Path, folder: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<bool> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = match openat(folder.as_fd(), name, flags, Mode::from_bits_truncate(0o644)) {
        Ok(fd) => fd,
        Err(Errno::EEXIST) => return Ok(false),
        Err(e) => return Err(io_error(e)),
    };
    let mut dst = std::fs::File::from(fd);
    let copied = std::fs::File::open(source).and_then(|mut src| io::copy(&mut src, &mut dst));
    if let Err(e) = copied.and_then(|_| dst.sync_all()) {
        let _ = unlinkat(folder.as_fd(), name, UnlinkatFlags::NoRemoveDir);
        return Err(e);
    }
    std::fs::remove_file(source)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(identity: FileIdentity) -> Recorded {
        Recorded {
            identity,
            identity_known: true,
        }
    }

    #[test]
    fn a_symlink_in_place_of_an_artist_folder_is_never_followed_sec_43() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("Artist")).unwrap();
        let src = out.path().join("src");
        std::fs::write(&src, "x").unwrap();
        let err = place_no_replace(&src, out.path(), Path::new("Artist/Song.mp3")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none()
        );
        // Deeper: a symlink to a folder inside the output folder is refused too.
        std::fs::create_dir(out.path().join("Real")).unwrap();
        std::os::unix::fs::symlink(out.path().join("Real"), out.path().join("Alias")).unwrap();
        assert!(place_no_replace(&src, out.path(), Path::new("Alias/Song.mp3")).is_err());
        assert!(src.exists(), "the source stays for the caller to clean up");
    }

    #[test]
    fn a_planted_symlink_at_the_file_name_is_not_replaced_or_followed_sec_43() {
        let out = tempfile::tempdir().unwrap();
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::create_dir(out.path().join("A")).unwrap();
        std::os::unix::fs::symlink(secret.path(), out.path().join("A/Song.mp3")).unwrap();
        let src = out.path().join("src");
        std::fs::write(&src, "new").unwrap();
        let placed = place_no_replace(&src, out.path(), Path::new("A/Song.mp3")).unwrap();
        assert_eq!(placed, None, "the name is taken; the caller picks another");
        assert_eq!(std::fs::read(secret.path()).unwrap(), b"");
    }

    #[test]
    fn a_delete_removes_only_the_file_the_job_wrote_sec_43() {
        let out = tempfile::tempdir().unwrap();
        let src = out.path().join("src");
        std::fs::write(&src, "mine").unwrap();
        let rel = Path::new("A/Song.mp3");
        let mine = place_no_replace(&src, out.path(), rel).unwrap().unwrap();
        assert_eq!(mine.size, 4);
        // Someone replaces it with another file of the same size: not ours any more.
        std::fs::write(out.path().join("A/other"), "them").unwrap();
        std::fs::rename(out.path().join("A/other"), out.path().join(rel)).unwrap();
        assert_eq!(
            remove_if_same(out.path(), rel, known(mine)).unwrap(),
            Removal::NotTheSameFile
        );
        assert!(out.path().join(rel).exists());
        // A symlink planted at the path is not followed to its target.
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::remove_file(out.path().join(rel)).unwrap();
        std::os::unix::fs::symlink(secret.path(), out.path().join(rel)).unwrap();
        assert_eq!(
            remove_if_same(
                out.path(),
                rel,
                Recorded {
                    identity: mine,
                    identity_known: false
                }
            )
            .unwrap(),
            Removal::NotTheSameFile
        );
        assert!(secret.path().exists());
        // The file itself is removed; a second delete finds nothing.
        std::fs::remove_file(out.path().join(rel)).unwrap();
        std::fs::write(&src, "mine").unwrap();
        let again = place_no_replace(&src, out.path(), rel).unwrap().unwrap();
        assert_eq!(
            remove_if_same(out.path(), rel, known(again)).unwrap(),
            Removal::Removed
        );
        assert_eq!(
            remove_if_same(out.path(), rel, known(again)).unwrap(),
            Removal::Missing
        );
    }
}
