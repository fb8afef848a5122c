//! Files beneath OUTPUT_DIRECTORY, reached without following symbolic links (SEC-43).
//!
//! The music folder is often a network share that other people and devices write to. A
//! path that was checked and then used by name can change in between (a folder swapped for
//! a symlink to the server's data), so every operation here walks from the root one folder
//! at a time with `openat(O_NOFOLLOW | O_DIRECTORY)` and acts inside the folder it holds
//! open (`renameat2`, `fstatat`, `unlinkat`): a symlink anywhere on the way is refused, never
//! followed. The root itself is the operator's setting and may be a symlink.

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, RenameFlags, openat, renameat, renameat2};
use nix::sys::stat::{FileStat, Mode, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path};
use std::time::SystemTime;

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
fn split(relative: &Path) -> io::Result<(&Path, &OsStr)> {
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

fn identity_in(folder: &OwnedFd, name: &OsStr) -> io::Result<FileIdentity> {
    let stat = fstatat(folder.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io_error)?;
    regular_identity(stat)
}

/// The identity `stat` describes, if it is a regular file's.
#[allow(
    clippy::unnecessary_cast,
    reason = "u64 here; `ino_t` is 32 bits on some 32-bit NAS targets"
)]
fn regular_identity(stat: FileStat) -> io::Result<FileIdentity> {
    if stat.st_mode & nix::libc::S_IFMT != nix::libc::S_IFREG {
        return Err(refused("not a regular file"));
    }
    Ok(FileIdentity {
        device: stat.st_dev as u64,
        inode: stat.st_ino as u64,
        size: stat.st_size as u64,
    })
}

/// A regular file opened for reading inside a folder held open, with what its descriptor
/// says about it.
pub struct OpenedRegular {
    pub file: std::fs::File,
    pub identity: FileIdentity,
    pub modified: Option<SystemTime>,
}

/// Opens the regular file `name` in `folder` for reading. Anything else at the name (a
/// symlink, a FIFO, a device, a folder) is refused before it is opened (`PermissionDenied`),
/// so opening it can have no effect; the open itself neither follows a symlink, nor blocks
/// on a FIFO, nor takes a terminal, and what was opened is checked again (one `fstat`, which
/// also gives the identity and the modification time), so anything but a regular file
/// swapped in between is refused too.
pub fn open_regular_in(folder: &OwnedFd, name: &OsStr) -> io::Result<OpenedRegular> {
    identity_in(folder, name)?;
    let flags = OFlag::O_RDONLY
        | OFlag::O_NOFOLLOW
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_CLOEXEC;
    let file =
        std::fs::File::from(openat(folder.as_fd(), name, flags, Mode::empty()).map_err(io_error)?);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused("not a regular file"));
    }
    Ok(OpenedRegular {
        identity: FileIdentity {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.size(),
        },
        modified: meta.modified().ok(),
        file,
    })
}

/// What [`write_in`] does when the name is already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfTaken {
    /// Replace it; a symlink is replaced itself, its target is never touched.
    Replace,
    /// Leave it, whatever it is (checked atomically by the rename itself).
    Keep,
}

/// How a written file got its name.
#[derive(PartialEq)]
enum Moved {
    Renamed,
    /// Written straight under its name (no `RENAME_NOREPLACE` on this filesystem).
    Written,
    Kept,
}

/// Writes `bytes` as `name` in `folder` (mode 0644 under the umask); `false` when the name
/// was taken and kept. The file is made under a temporary name in the same folder (`O_EXCL`,
/// never following a symlink), synced, then renamed to `name` inside the folder held open,
/// so a reader sees the old file or the new one, never half of one (where renaming over a
/// file is atomic: local filesystems and NFS; an SMB mount without POSIX extensions deletes,
/// then renames). Nothing is left behind when a step fails.
pub fn write_in(
    folder: &OwnedFd,
    name: &OsStr,
    bytes: &[u8],
    if_taken: IfTaken,
) -> io::Result<bool> {
    let (temp, mut file) = create_temp_in(folder)?;
    let synced = file.write_all(bytes).and_then(|()| file.sync_all());
    // Closed before any unlink: NFS keeps an unlinked file that is still open under a hidden
    // `.nfs` name until it is closed.
    drop(file);
    let moved = synced.and_then(|()| match if_taken {
        IfTaken::Replace => renameat(folder.as_fd(), temp.as_str(), folder.as_fd(), name)
            .map(|()| Moved::Renamed)
            .map_err(io_error),
        IfTaken::Keep => match renameat2(
            folder.as_fd(),
            temp.as_str(),
            folder.as_fd(),
            name,
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => Ok(Moved::Renamed),
            Err(Errno::EEXIST) => Ok(Moved::Kept),
            // No RENAME_NOREPLACE (see `place_no_replace`): claim the name with O_EXCL.
            Err(Errno::EINVAL | Errno::ENOSYS) => {
                let written = fill_new_in(folder, name, |f| f.write_all(bytes))?;
                Ok(if written { Moved::Written } else { Moved::Kept })
            }
            Err(e) => Err(io_error(e)),
        },
    });
    if !matches!(moved, Ok(Moved::Renamed)) {
        let _ = unlinkat(folder.as_fd(), temp.as_str(), UnlinkatFlags::NoRemoveDir);
    }
    moved.map(|m| m != Moved::Kept)
}

/// Whether something (of any kind, a symlink included) has `name` in `folder`.
pub fn taken_in(folder: &OwnedFd, name: &OsStr) -> io::Result<bool> {
    match fstatat(folder.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(_) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(e) => Err(io_error(e)),
    }
}

/// A new, empty file `name` in `folder` (mode 0644 under the umask), created with `O_EXCL`
/// so it is always a file of ours; `None` when the name is taken (by anything, a symlink
/// included: it is not followed).
fn create_new_in(folder: &OwnedFd, name: &OsStr) -> io::Result<Option<std::fs::File>> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    match openat(folder.as_fd(), name, flags, Mode::from_bits_truncate(0o644)) {
        Ok(fd) => Ok(Some(std::fs::File::from(fd))),
        Err(Errno::EEXIST) => Ok(None),
        Err(e) => Err(io_error(e)),
    }
}

/// A new file under a random hidden name (`.beneath-<hex>.tmp`) in `folder`.
fn create_temp_in(folder: &OwnedFd) -> io::Result<(String, std::fs::File)> {
    // 64 random bits: a name already taken means someone guessed it, so a few tries suffice.
    for _ in 0..4 {
        let name = format!(".beneath-{:016x}.tmp", rand::random::<u64>());
        if let Some(file) = create_new_in(folder, OsStr::new(&name))? {
            return Ok((name, file));
        }
    }
    Err(io_error(Errno::EEXIST))
}

/// Creates `name` in `folder` and fills it with `fill`, synced; `false` when the name is
/// taken. A file that could not be filled is removed again.
fn fill_new_in(
    folder: &OwnedFd,
    name: &OsStr,
    fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<bool> {
    let Some(mut file) = create_new_in(folder, name)? else {
        return Ok(false);
    };
    if let Err(e) = fill(&mut file).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = unlinkat(folder.as_fd(), name, UnlinkatFlags::NoRemoveDir);
        return Err(e);
    }
    Ok(true)
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

/// Copies `source` into a new file `name` in `folder`, then removes `source`; `false` when
/// the name is taken.
fn copy_no_replace(source: &Path, folder: &OwnedFd, name: &OsStr) -> io::Result<bool> {
    let copied = fill_new_in(folder, name, |dst| {
        std::fs::File::open(source).and_then(|mut src| io::copy(&mut src, dst).map(drop))
    })?;
    if copied {
        std::fs::remove_file(source)?;
    }
    Ok(copied)
}

#[cfg(test)]
mod tests;
