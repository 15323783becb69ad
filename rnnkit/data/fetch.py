"""Download a real corpus from its public address, verify it, and move it into place atomically.

Everything is written inside a temporary folder next to the destination; only a fully
downloaded and verified corpus is renamed into place, so a failed or interrupted fetch leaves
nothing behind. Every failure is a `FetchError` whose message is one line fit to show a user.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class FetchError(Exception):
    """A download that failed or did not verify, said in one line."""


# data.zip's own sha256 cannot be pinned: it could not be downloaded when this was written
# (no internet), and the zip also holds other tutorials' data. Instead each extracted names file
# is checked against the sha256s recorded for the corpus in ../shared/data/PROVENANCE.md.
NAMES_SHA256 = {
    "Arabic.txt": "6f424a8dbe51cbbbabab7a57d38b617210125e4e3991f3c657cb79b8f104bafc",
    "Chinese.txt": "49263ef55a8cb1740e841d65cad8214b2f9b5b869bc534c811746422496fa91e",
    "Czech.txt": "145bbbd6d0816578f03388e92c264d39ef1c60df920b081d371fa5c5cc055a8e",
    "Dutch.txt": "924f32b635170eae561f84538632138fc07d4c8bbd70ba3fb980de1ecc4d2af3",
    "English.txt": "9cca037066d3d5989e24bc01801416162de506b5e28e15b7c092a47905d29bf2",
    "French.txt": "81e65b36c60ed5b89a17422f6edcadbb89546f38ad69e960e64e7ba682012a95",
    "German.txt": "7449cd590b97a733e18d613a4155decd77ec35dc5f8aadd7a82204dce4f051db",
    "Greek.txt": "3555b5186de7f401e6d991b088e9e644ca3099116477818c25ab5793801389e6",
    "Irish.txt": "cf8c7013256252a88d2503127b87282a11f21b2ff6db1bded68834c19a1ec058",
    "Italian.txt": "f88414c27d0606a11a678b4859277828c2565d6cc4d9ee932deef6e94f3b35e4",
    "Japanese.txt": "e0e717e114fec3e7eade4d9dabe0067c475f43147e36a22b47902ee76ad9e67f",
    "Korean.txt": "cd54221ccb362a6cba4c78828838cf3268a0e59744767a37cf6ec4b74036b136",
    "Polish.txt": "45bab898af2f60ed3a728bbf6980e28821011a7caa53227553b5785903a40826",
    "Portuguese.txt": "50a8735f41f4f73757c8ce5b16cb0275cd86b2b214bcbc8c9805f508cb131c53",
    "Russian.txt": "43b3e64ce351f77f1ac9e0cdf7566012d127f4371875fd25208845b5c9d6f7c3",
    "Scottish.txt": "78d0252711d87d948ea86fe34826c51d2d794a8e52d15b5d6f7b6244d45d62dd",
    "Spanish.txt": "1bcb462ed3316756a85781d68232bddae04498fdddd5d9219c53fd1fbdeba7a7",
    "Vietnamese.txt": "f3f9e4164ab47601178a6e45b216464a64122f49d05541f24bf18a757253281d",
}
NIETZSCHE_SHA256 = "23cf69874ab69d3d256099ab530ea4be24d47d9675b673bcc67cbcd6298ec647"
NAMES_IN_ZIP = PurePosixPath("data/names")
TIMEOUT_S = 60
CHUNK = 1 << 16
MAX_MEMBER_BYTES = 16 << 20  # each names file is below 100 kB; a bigger member is not one


@dataclass(frozen=True)
class Corpus:
    url: str
    folder: str  # what lands in --dest


CORPORA = {
    "names": Corpus("https://download.pytorch.org/tutorial/data.zip", "names"),
    "nietzsche": Corpus("https://s3.amazonaws.com/text-datasets/nietzsche.txt", "nietzsche"),
}


def corpus_folder(corpus: str, dest: Path) -> Path:
    """Where `corpus` lands when fetched into `dest`."""
    if corpus not in CORPORA:
        raise FetchError(f"unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}")
    return dest / CORPORA[corpus].folder


def check_url(url: str) -> None:
    """Raise FetchError unless `url` is an http(s) address with a host, or a file:// path (a
    local mirror)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise FetchError(f"{url!r} is not a valid address ({exc})") from None
    usable = (host if parts.scheme in ("http", "https")
              else parts.path if parts.scheme == "file" else None)
    if not usable:
        raise FetchError(f"{url!r} is not an http://, https:// or file:// address")


def fetch_corpus(corpus: str, dest: Path, url: str | None = None,
                 log: Callable[[str], None] | None = None) -> Path:
    """Download `corpus` (from `url` if given, else its public address) into `dest`, verify it,
    and return its folder. `log` receives progress lines (default: printed on stderr)."""
    log = log or _to_stderr
    target = corpus_folder(corpus, dest)
    source = CORPORA[corpus]
    check_url(url or source.url)
    if target.exists():
        raise FetchError(f"{target} already exists")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{corpus}-fetch-", dir=dest))
    except OSError as exc:
        raise FetchError(f"cannot create {dest}: {exc.strerror or exc}") from None
    try:
        download = work / "download"
        _download(url or source.url, download, log)
        staged = work / source.folder
        staged.mkdir()
        if corpus == "names":
            extract_names(download, staged)
        else:
            _verify(download, NIETZSCHE_SHA256, "nietzsche.txt")
            os.replace(download, staged / "nietzsche.txt")
        os.replace(staged, target)
    except OSError as exc:  # a full disk, a folder that went away: nothing is left behind
        raise FetchError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _download(url: str, path: Path, log: Callable[[str], None]) -> None:
    """Stream `url` into `path`; any network failure or short body is a one-line FetchError."""
    log(f"downloading {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, path.open("wb") as out:
            expected = response.headers.get("Content-Length")
            received = 0
            while chunk := response.read(CHUNK):
                _write_chunk(out, chunk, path)
                received += len(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"download failed: {url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"download failed: cannot reach {url} ({exc.reason})") from None
    except (http.client.HTTPException, OSError) as exc:
        reason = type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
        raise FetchError(f"download failed: {url} broke off ({reason})") from None
    if expected is not None and received != int(expected):
        raise FetchError(f"download failed: {url} broke off after {received} of {expected} "
                        "bytes")
    log(f"received {received} bytes")


def _write_chunk(out, chunk: bytes, path: Path) -> None:
    try:
        out.write(chunk)
    except OSError as exc:  # the disk, not the network: say which
        raise FetchError(f"cannot write {path.parent.parent}: {exc.strerror or exc}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, expected: str, label: str) -> None:
    actual = _sha256(path)
    if actual != expected:
        raise FetchError(f"checksum mismatch for {label}: sha256 {actual}, expected {expected}")


def extract_names(archive: Path, staged: Path) -> None:
    """Copy data/names/*.txt out of the zip (nothing else, no paths from the zip) into `staged`.

    Every file is read and verified before the first is written: a tampered archive writes
    nothing, and a member too large to be a names file is not read past its limit.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            members = {PurePosixPath(m).name: m for m in zf.namelist()
                       if PurePosixPath(m).parent == NAMES_IN_ZIP and m.endswith(".txt")}
            missing = sorted(set(NAMES_SHA256) - set(members))
            if missing:
                raise FetchError(f"the archive lacks {NAMES_IN_ZIP}/{missing[0]} "
                                f"({len(missing)} of {len(NAMES_SHA256)} files missing)")
            verified = {name: _verified_member(zf, members[name], NAMES_SHA256[name])
                        for name in sorted(NAMES_SHA256)}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            zlib.error):
        raise FetchError(f"the download is not a valid zip archive ({archive.stat().st_size} "
                        "bytes)") from None
    for name, data in verified.items():
        (staged / name).write_bytes(data)


def _verified_member(zf: zipfile.ZipFile, member: str, expected: str) -> bytes:
    label = f"{NAMES_IN_ZIP}/{PurePosixPath(member).name}"
    with zf.open(member) as src:
        data = src.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise FetchError(f"{label} in the archive is larger than {MAX_MEMBER_BYTES} bytes")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise FetchError(f"checksum mismatch for {label}: sha256 {actual}, expected {expected}")
    return data
