"""Builds a wheel from a distribution installed in this Python (the pinned yt-dlp of the
tool folder), with a patched version number, for the managed yt-dlp tests (no network).

usage: make_wheel.py OUT_DIR DIST NEW_VERSION MODE
MODE: ok | broken-version (any start fails, so `--version` fails) |
      broken-download (`--version` and flat listings work, a download exits 1)
"""
import base64, hashlib, importlib.metadata as md, pathlib, re, sys, zipfile

out, dist_name, new_version, mode = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
dist = md.distribution(dist_name)
site = pathlib.Path(dist.locate_file(""))
stem = dist_name.replace("-", "_")
info = f"{stem}-{new_version}.dist-info"
wanted_meta = {"METADATA", "WHEEL", "entry_points.txt", "top_level.txt"}
BREAK_DOWNLOAD = (
    "import sys as _smoke_sys\n"
    "if '--version' not in _smoke_sys.argv and '--flat-playlist' not in _smoke_sys.argv:\n"
    "    raise SystemExit(1)\n"
)
records = []
out.mkdir(parents=True, exist_ok=True)
wheel = out / f"{stem}-{new_version}-py3-none-any.whl"
with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
    for f in dist.files:
        path = str(f)
        if path.startswith("..") or "__pycache__" in path or path.endswith(".pyc"):
            continue
        if ".dist-info/" in path:
            base = path.split("/", 1)[1]
            if base not in wanted_meta:
                continue
            arc = f"{info}/{base}"
        else:
            arc = path
        data = (site / path).read_bytes()
        if arc.endswith("/METADATA"):
            data = re.sub(rb"(?m)^Version: .*$", b"Version: " + new_version.encode(), data, count=1)
        if arc == "yt_dlp/version.py":
            data = re.sub(rb"(?m)^__version__ = .*$", b"__version__ = '" + new_version.encode() + b"'", data, count=1)
            if mode == "broken-version":
                data += b"\nraise SystemExit(3)\n"
        if arc == "yt_dlp/__init__.py" and mode == "broken-download":
            data = BREAK_DOWNLOAD.encode() + data
        z.writestr(arc, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{arc},sha256={digest},{len(data)}")
    records.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
print(wheel)
