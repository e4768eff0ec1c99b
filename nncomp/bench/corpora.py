"""Named benchmark corpora: where to find them, how to fetch them, how to check them.

A name resolves, in order, to: an explicit path; $NNCOMP_DATA (default ~/.cache/nncomp);
a `shared/corpora` folder beside or above the checkout or the working directory; a download
from the canonical URL with its checksum checked. `NAME:SIZE` (e.g. `dickens:1M`) takes the
first SIZE bytes of a one-file corpus; `enwik6`/`enwik7` are prefixes of enwik8.
"""
from __future__ import annotations

import hashlib
import io
import os
import sys
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import NNCompError
from ..system import sizes

REPO = Path(__file__).resolve().parents[2]


class CorpusError(NNCompError):
    pass


@dataclass(frozen=True)
class FileSpec:
    name: str
    rel: str  # path under a data directory
    size: int
    sha256: str = ""
    md5: str = ""
    url: str = ""  # a zip holding `name`, for files that can be downloaded


@dataclass(frozen=True)
class Corpus:
    name: str
    description: str
    files: tuple[FileSpec, ...]
    prefix: int = 0  # 0: whole files; else only the first `prefix` bytes of the one file


def _canterbury() -> tuple[FileSpec, ...]:
    rows = """alice29.txt 152089 7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0
asyoulik.txt 125179 eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc
cp.html 24603 e0cd21cef5b6c4069461e949be100080c3ce887de6f1dd8626c480528efaaf61
fields.c 11150 85d73e354cc50cec76cb5a50537cf8dc035f8cbb8480f9e1cbe2f7d6c23393c7
grammar.lsp 3721 1b0805dfc0ae706b35aac2bb4e15f02485efd24dda5dbd29de7b2f84d1a88c15
kennedy.xls 1029744 9af47239ca29dfe20e633f80bbbb9a4cc9783d0803d7b2b5626f42e4c3790420
lcet10.txt 426754 5314ba1dbb03f471df88bec6cd120a938ef60d0fd3511c5c1dce61bf7463245f
plrabn12.txt 481861 07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c
ptt5 513216 0ec3a75089bb52342813496b17e51377bc9eba3cb519a444d67025354841d650
sum 38240 ee5733cd76ecc2f9d8ff156adc3c02a7a851051dcf43a2d56ff4ee4ff606bdb3
xargs.1 4227 c58aeb5d2d1e12751d47e7412b45784405fc30a5671b03d480fa05776e183619"""
    return tuple(FileSpec(n, f"canterbury/{n}", int(s), sha) for n, s, sha in
                 (r.split() for r in rows.splitlines()))


CANTERBURY = _canterbury()
DICKENS = FileSpec("dickens", "silesia/dickens", 10_192_446,
                   "b24c37886142e11d0ee687db6ab06f936207aa7f2ea1fd1d9a36763c7a507e6a")
XML = FileSpec("xml", "silesia/xml", 5_345_280,
               "0e82e54e695c1938e4193448022543845b33020c8be6bf3bf3ead2224903e08c")
ENWIK8 = FileSpec("enwik8", "enwik8", 100_000_000, md5="a1fa5ffddb56f4953e226637dabbb36a",
                  url="http://mattmahoney.net/dc/enwik8.zip")
ENWIK9 = FileSpec("enwik9", "enwik9", 1_000_000_000, md5="e206c3450ac99950df65bf70ef61a12d",
                  url="http://mattmahoney.net/dc/enwik9.zip")
SHIPPED = tuple(
    FileSpec(n, n, s, sha) for n, s, sha in (
        ("alice29.txt", 152089, "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0"),
        # rebuilt byte for byte by scripts/make_sensor_data.py
        ("sensor.f32", 32768, "7d157fd0d5a946b49dfa2f24b1bc4c6d95faf6ec45794d4d7d48103bf29caa06"),
    ))

CORPORA: dict[str, Corpus] = {
    "shipped": Corpus("shipped", "shipped with nncomp: Alice in Wonderland (public domain) and "
                      "32 kB of float32 sensor samples", SHIPPED),
    "canterbury": Corpus("canterbury", "the Canterbury corpus, 11 files", CANTERBURY),
    "dickens": Corpus("dickens", "Silesia dickens: English text", (DICKENS,)),
    "xml": Corpus("xml", "Silesia xml: a tar of XML files", (XML,)),
    "enwik8": Corpus("enwik8", "first 10^8 bytes of English Wikipedia (2006)", (ENWIK8,)),
    "enwik9": Corpus("enwik9", "first 10^9 bytes of English Wikipedia (2006)", (ENWIK9,)),
    "enwik6": Corpus("enwik6", "first 10^6 bytes of enwik8", (ENWIK8,), 10**6),
    "enwik7": Corpus("enwik7", "first 10^7 bytes of enwik8", (ENWIK8,), 10**7),
}
for _f in CANTERBURY:
    CORPORA.setdefault(_f.name, Corpus(_f.name, f"Canterbury {_f.name}", (_f,)))


@dataclass
class Resolved:
    """A corpus ready to read: files with their paths, checked."""
    name: str
    description: str
    files: list[tuple[str, Path, int]] = field(default_factory=list)  # (name, path, bytes to use)
    sha256: dict[str, str] = field(default_factory=dict)

    def read(self, i: int) -> bytes:
        name, path, n = self.files[i]
        with open(path, "rb") as f:
            return f.read(n)


def parse_size(s: str) -> int:
    try:
        return sizes.parse_size(s)
    except ValueError as e:
        raise CorpusError(str(e)) from None


def data_dirs() -> list[Path]:
    dirs = [Path(os.environ.get("NNCOMP_DATA", Path.home() / ".cache" / "nncomp"))]
    for base in (REPO, Path.cwd()):
        for up in (base, *base.parents[:2]):
            dirs.append(up / "shared" / "corpora")
    seen, out = set(), []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(spec: FileSpec, path: Path) -> str:
    """Check size and checksum; return the sha256. A mismatch is an error, never used."""
    size = path.stat().st_size
    if size != spec.size:
        what = (" (the unzipped file: enwik8.zip holds it)" if spec.url and spec.name.startswith("enwik")
                else "")
        raise CorpusError(f"{path}: {size:,} bytes, but {spec.name} is {spec.size:,} bytes{what}")
    sha = _digest(path, "sha256")
    if spec.sha256 and sha != spec.sha256:
        raise CorpusError(f"{path}: sha256 {sha} does not match the published {spec.sha256}")
    if spec.md5 and _digest(path, "md5") != spec.md5:
        raise CorpusError(f"{path}: md5 does not match the published {spec.md5}")
    return sha


def _find(spec: FileSpec, dirs: list[Path]) -> Optional[Path]:
    if spec in SHIPPED:  # in the checkout, or under the working directory for an installed nncomp
        for p in (REPO / "corpora" / spec.rel, Path.cwd() / "corpora" / spec.rel):
            if p.exists():
                return p
        return None
    for d in dirs:
        p = d / spec.rel
        if p.exists():
            return p
    return None


def download(spec: FileSpec, dest_dir: Path, timeout: float = 30) -> Path:
    """Fetch spec.url (a zip), extract spec.name, check it, then move it into place."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / spec.rel
    sys.stderr.write(f"downloading {spec.url}\n")
    with urllib.request.urlopen(spec.url, timeout=timeout) as r:
        total = int(r.headers.get("Content-Length") or 0)
        buf, done = io.BytesIO(), 0
        for chunk in iter(lambda: r.read(1 << 20), b""):
            buf.write(chunk)
            done += len(chunk)
            if total:
                sys.stderr.write(f"\r  {100 * done / total:5.1f}% of {total / 1e6:.1f} MB")
        sys.stderr.write("\n")
    tmp = dest.with_suffix(".part")
    with zipfile.ZipFile(buf) as z, open(tmp, "wb") as out:
        with z.open(spec.name) as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                out.write(chunk)
    try:
        verify(spec, tmp)
    except CorpusError:
        tmp.unlink()
        raise
    os.replace(tmp, dest)
    return dest


def missing_message(spec: FileSpec, dirs: list[Path]) -> str:
    where = "\n  ".join(str(d / spec.rel) for d in dirs[:2])
    fetch = f" or let nncomp download {spec.url} (needs a network)" if spec.url else ""
    return (f"corpus file {spec.name} not found. Put it at one of\n  {where}\n(set NNCOMP_DATA to "
            f"choose the folder){fetch}, or pass its path directly.")


_KNOWN_FILES = {f.name: f for f in (ENWIK8, ENWIK9)}  # names no other file is likely to have


def resolve(name: str, allow_download: bool = True) -> Resolved:
    """Resolve a corpus name, `NAME:SIZE` prefix or a file or folder path (`PATH:SIZE` takes a
    file's first SIZE bytes). A file named enwik8 or enwik9 is
    checked against its published size and checksum, as the managed copy is."""
    base, _, size = name.rpartition(":") if ":" in name else (name, "", "")
    if base not in CORPORA and Path(name).exists():
        base, size = name, ""
    if base not in CORPORA and Path(base).exists():
        p = Path(base)
        prefix = parse_size(size) if size else 0
        if p.is_dir():
            if prefix:
                raise CorpusError(f"{base} is a folder; a :SIZE prefix needs a file")
            files = sorted(x for x in p.iterdir() if x.is_file())
            r = Resolved(p.name, f"files in {p}")
            for f in files:
                r.files.append((f.name, f, f.stat().st_size))
                r.sha256[f.name] = _digest(f, "sha256")
            return r
        spec = _KNOWN_FILES.get(p.name)
        sha = verify(spec, p) if spec is not None else _digest(p, "sha256")
        n = min(prefix, p.stat().st_size) if prefix else p.stat().st_size
        label = f"{p.name}:{size}" if size else p.name
        r = Resolved(label, f"file {p}" + (f", first {n} bytes" if prefix else ""), [(p.name, p, n)])
        r.sha256[p.name] = sha
        return r
    if base not in CORPORA:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(sorted(CORPORA))}, "
                          "NAME:SIZE, or a path")
    corpus = CORPORA[base]
    prefix = parse_size(size) if size else corpus.prefix
    if prefix and len(corpus.files) != 1:
        raise CorpusError(f"{base} has several files; a :SIZE prefix needs a one-file corpus")
    dirs = data_dirs()
    label = f"{base}:{size}" if size else base
    r = Resolved(label, corpus.description + (f", first {prefix} bytes" if prefix else ""))
    for spec in corpus.files:
        path = _find(spec, dirs)
        if path is None and spec.url and allow_download:
            try:
                path = download(spec, dirs[0])
            except OSError as e:
                raise CorpusError(missing_message(spec, dirs) + f"\n(download failed: {e})") from None
        if path is None:
            raise CorpusError(missing_message(spec, dirs))
        r.sha256[spec.name] = verify(spec, path)
        r.files.append((spec.name, path, min(prefix, spec.size) if prefix else spec.size))
    return r
