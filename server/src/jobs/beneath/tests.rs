//! `beneath`: symlinks on the way and at the name, swapped files, FIFOs (SEC-43).

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

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn only_a_regular_file_is_opened_for_reading_sec_43() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("file"), "text").unwrap();
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::os::unix::fs::symlink(secret.path(), out.path().join("link")).unwrap();
    nix::unistd::mkfifo(&out.path().join("fifo"), Mode::S_IRWXU).unwrap();
    std::fs::create_dir(out.path().join("folder")).unwrap();
    let folder = open_folder(out.path(), Path::new(""), false).unwrap();
    let opened = open_regular_in(&folder, OsStr::new("file")).unwrap();
    assert_eq!(
        opened.identity,
        identity(out.path(), Path::new("file")).unwrap()
    );
    assert_eq!(std::io::read_to_string(opened.file).unwrap(), "text");
    // Refused by the look before the open (O_NONBLOCK and the fstat after it would refuse a
    // FIFO too, so this does not tell which of them did).
    for name in ["link", "fifo", "folder"] {
        let err = open_regular_in(&folder, OsStr::new(name)).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{name}");
    }
    let err = open_regular_in(&folder, OsStr::new("missing"))
        .err()
        .unwrap();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn a_replaced_file_is_swapped_whole_and_a_symlink_is_replaced_not_followed_sec_43() {
    let out = tempfile::tempdir().unwrap();
    let folder = open_folder(out.path(), Path::new(""), false).unwrap();
    let write = |name: &str, bytes: &[u8], if_taken| {
        write_in(&folder, OsStr::new(name), bytes, if_taken).unwrap()
    };
    assert!(write("list.m3u8", b"one", IfTaken::Replace));
    assert!(write("list.m3u8", b"two", IfTaken::Replace));
    assert_eq!(std::fs::read(out.path().join("list.m3u8")).unwrap(), b"two");
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "secret").unwrap();
    std::os::unix::fs::symlink(secret.path(), out.path().join("link.m3u8")).unwrap();
    // Kept: the symlink stays as it is.
    assert!(!write("link.m3u8", b"mine", IfTaken::Keep));
    assert!(taken_in(&folder, OsStr::new("link.m3u8")).unwrap());
    assert!(
        std::fs::symlink_metadata(out.path().join("link.m3u8"))
            .unwrap()
            .is_symlink()
    );
    // Replaced: the symlink itself, never its target.
    assert!(write("link.m3u8", b"mine", IfTaken::Replace));
    assert!(
        std::fs::symlink_metadata(out.path().join("link.m3u8"))
            .unwrap()
            .is_file()
    );
    assert_eq!(std::fs::read(secret.path()).unwrap(), b"secret");
    assert!(write("cover.jpg", b"new", IfTaken::Keep));
    assert!(!taken_in(&folder, OsStr::new("missing")).unwrap());
    // A failed rename (a folder has the name) leaves no temporary file behind.
    std::fs::create_dir(out.path().join("taken")).unwrap();
    std::fs::write(out.path().join("taken/inside"), "x").unwrap();
    let replaced = write_in(&folder, OsStr::new("taken"), b"x", IfTaken::Replace);
    assert!(replaced.is_err());
    assert_eq!(
        names_in(out.path()),
        ["cover.jpg", "link.m3u8", "list.m3u8", "taken"],
        "only the files themselves"
    );
}

#[test]
fn a_folder_swapped_for_a_symlink_after_it_was_opened_is_not_written_through_sec_43() {
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let held = open_folder(out.path(), Path::new("A"), true).unwrap();
    // Between opening the folder and writing into it, someone swaps it for a symlink.
    std::fs::rename(out.path().join("A"), out.path().join("B")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join("A")).unwrap();
    std::fs::write(elsewhere.path().join("list.m3u8"), "theirs").unwrap();
    assert!(write_in(&held, OsStr::new("list.m3u8"), b"mine", IfTaken::Replace).unwrap());
    assert!(write_in(&held, OsStr::new("cover.jpg"), b"jpeg", IfTaken::Keep).unwrap());
    assert_eq!(
        std::fs::read(out.path().join("B/list.m3u8")).unwrap(),
        b"mine"
    );
    assert_eq!(
        std::fs::read(out.path().join("B/cover.jpg")).unwrap(),
        b"jpeg"
    );
    assert_eq!(names_in(elsewhere.path()), ["list.m3u8"]);
    assert_eq!(
        std::fs::read(elsewhere.path().join("list.m3u8")).unwrap(),
        b"theirs"
    );
    // Reading goes to the held folder too.
    let opened = open_regular_in(&held, OsStr::new("list.m3u8")).unwrap();
    assert_eq!(std::io::read_to_string(opened.file).unwrap(), "mine");
}
