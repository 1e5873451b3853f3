//! The local file's journal: `<target>.journal` beside the state file, where each
//! [`Backend::commit`](super::Backend::commit) appends the change it persists, so a commit costs
//! O(change) instead of a rewrite of the whole document. `settle` (and any whole-document
//! write) folds it into the document and removes it; a journal left by a crash is replayed by
//! the next read.
//!
//! The format (version 1): the header line `sgform state journal 1\n`, then one frame per
//! commit:
//!
//! ```text
//! length   u32, little-endian: the payload's byte count
//! crc32    u32, little-endian: CRC-32 (IEEE 802.3, as zlib) of the payload
//! payload  UTF-8 JSON: {"lineage":"…","base":3,"serial":4,"add":[…],"remove":[…]}
//! ```
//!
//! `add` and `remove` hold state entries as the document does. A record turns the state of
//! `lineage` at serial `base` into serial `serial` (= `base + 1`): first `remove`, then `add`.
//!
//! Frames are appended and flushed one at a time, so only the last one can be torn by a crash:
//! a tail too short for its frame, or whose checksum fails, is dropped (the commit it held was
//! never reported). A bad frame followed by more bytes is not a torn tail: the journal is
//! refused as corrupt.
//!
//! Replay ([`replay`]) applies the records whose chain continues the document: a record whose
//! `serial` the document already has is one folded before a crash removed the journal, and is
//! skipped; every other must start at the serial reached so far, in the document's lineage. A
//! journal of another lineage, with a gap, or with no document to continue is refused, naming
//! both files: it holds commits that fit nowhere, and dropping them would forget memberships.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ManagedMembership, State};
use crate::fsutil::{self, OWNER_ONLY, ReadError};

/// The first bytes of every journal.
pub(super) const HEADER: &[u8] = b"sgform state journal 1\n";

/// Bytes of a frame before its payload: length and checksum.
const FRAME_HEAD: usize = 8;

/// The journal of the state file `target`.
pub(super) fn path_of(target: &Path) -> PathBuf {
    fsutil::with_suffix(target, ".journal")
}

/// One commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Record {
    pub lineage: String,
    pub base: u64,
    pub serial: u64,
    pub add: Vec<ManagedMembership>,
    pub remove: Vec<ManagedMembership>,
}

/// A record as its frame: length, checksum, payload.
pub(super) fn encode(record: &Record) -> Vec<u8> {
    let payload = serde_json::to_vec(record)
        .unwrap_or_else(|e| unreachable!("journal record serialisation failed: {e}"));
    let len = u32::try_from(payload.len())
        .unwrap_or_else(|_| unreachable!("a commit of over 4 GiB of entries"));
    let mut frame = Vec::with_capacity(FRAME_HEAD + payload.len());
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&crc32(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// What a journal's bytes hold.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    pub records: Vec<Record>,
    /// The bytes up to the end of the last whole frame (the header's length for a journal
    /// with none).
    pub valid_len: u64,
    /// Whether bytes after `valid_len` (a torn frame) were dropped.
    pub torn: bool,
}

/// Reads the frames of a journal; `Err` with the reason when it is not one sgform wrote.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.len() < HEADER.len() {
        // A journal is created with its header in one write: a shorter one is a torn creation,
        // unless what is there is not the start of a header.
        return if HEADER.starts_with(bytes) {
            Ok(Decoded {
                torn: !bytes.is_empty(),
                ..Decoded::default()
            })
        } else {
            Err("it does not start with `sgform state journal 1`".to_owned())
        };
    }
    if !bytes.starts_with(HEADER) {
        return Err("it does not start with `sgform state journal 1`".to_owned());
    }
    let mut records = Vec::new();
    let mut pos = HEADER.len();
    let mut torn = false;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let Some(head) = rest.get(..FRAME_HEAD) else {
            torn = true;
            break;
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let sum = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(payload) = rest.get(FRAME_HEAD..FRAME_HEAD.saturating_add(len)) else {
            torn = true;
            break;
        };
        let end = pos + FRAME_HEAD + len;
        if crc32(payload) != sum {
            if end == bytes.len() {
                torn = true;
                break;
            }
            return Err(format!(
                "record {} (at byte {pos}) fails its checksum and is not the last",
                records.len() + 1
            ));
        }
        let record: Record = serde_json::from_slice(payload).map_err(|e| {
            format!(
                "record {} (at byte {pos}) does not parse: {e}",
                records.len() + 1
            )
        })?;
        records.push(record);
        pos = end;
    }
    Ok(Decoded {
        records,
        valid_len: pos as u64,
        torn,
    })
}

/// What [`replay`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Replayed {
    /// Records applied.
    pub applied: usize,
    /// Records skipped because the document already holds them.
    pub folded: usize,
}

/// Applies `records` to `state` (the document as read; `None` when there is no document): see
/// the module docs. `Err` with the reason when they do not continue it; `state` is then
/// partly changed, and must be dropped.
pub(super) fn replay(state: Option<&mut State>, records: &[Record]) -> Result<Replayed, String> {
    let mut done = Replayed {
        applied: 0,
        folded: 0,
    };
    let Some(state) = state else {
        return match records.first() {
            None => Ok(done),
            Some(first) => Err(format!(
                "it continues serial {} of lineage {}, but there is no state file",
                first.base, first.lineage
            )),
        };
    };
    for (i, record) in records.iter().enumerate() {
        let n = i + 1;
        if record.lineage != state.lineage {
            return Err(format!(
                "record {n} is of lineage {}, the state file of lineage {}",
                record.lineage, state.lineage
            ));
        }
        if record.base.checked_add(1) != Some(record.serial) {
            return Err(format!(
                "record {n} goes from serial {} to {}, not one step",
                record.base, record.serial
            ));
        }
        if done.applied == 0 && record.serial <= state.serial {
            done.folded += 1;
            continue;
        }
        if record.base != state.serial {
            return Err(format!(
                "record {n} starts at serial {}, the state {} at {}",
                record.base,
                if done.applied == 0 {
                    "file is"
                } else {
                    "journal reached so far is"
                },
                state.serial
            ));
        }
        if let Some(bad) = record
            .add
            .iter()
            .find(|m| m.address.declaration().is_none())
        {
            return Err(format!(
                "record {n} adds `{}`, which is not a declaration",
                bad.address
            ));
        }
        state.apply_change(&record.add, &record.remove);
        state.serial = record.serial;
        done.applied += 1;
    }
    Ok(done)
}

/// What identifies a version of a file without reading it: a change by anyone (a rename over
/// it, an append, an edit in place) changes one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    pub(super) fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Self {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let nanos = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            Self {
                dev: 0,
                ino: 0,
                len: meta.len(),
                mtime: (nanos, 0),
                ctime: (0, 0),
            }
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }
}

/// The identity of the file at `path` (symbolic links followed), `None` when it is absent.
pub(super) fn stat(path: &Path) -> std::io::Result<Option<FileId>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(FileId::of(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The bytes of the journal at `path` and their identity, `None` when there is none; refused
/// past `limit` bytes.
pub(super) fn read(path: &Path, limit: u64) -> Result<Option<(Vec<u8>, FileId)>, ReadError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata()?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::new();
    (&file).take(limit).read_to_end(&mut bytes)?;
    // Identity as of after the read: an append meanwhile shows as a length the bytes lack.
    let id = FileId::of(&file.metadata()?);
    Ok(Some((bytes, id)))
}

/// Appends `frame` to the journal at `path`, which must be `expected_len` bytes long (0 or
/// absent: it is created with its header), and flushes it to disk (and, for a new journal, its
/// directory). A failed append is cut off again, so it leaves no partial frame. Returns the
/// journal's identity after the append.
pub(super) fn append(path: &Path, expected_len: u64, frame: &[u8]) -> std::io::Result<FileId> {
    let mut file = fsutil::create_with_mode(
        OpenOptions::new().write(true).create(true).truncate(false),
        OWNER_ONLY,
    )
    .open(path)?;
    let len = file.metadata()?.len();
    if len != expected_len {
        return Err(std::io::Error::other(format!(
            "the journal is {len} bytes long, not the {expected_len} this store wrote"
        )));
    }
    let new = len == 0;
    let mut bytes = Vec::with_capacity(HEADER.len() + frame.len());
    if new {
        bytes.extend_from_slice(HEADER);
    }
    bytes.extend_from_slice(frame);
    let written = (|| {
        use std::io::Seek as _;
        file.seek(std::io::SeekFrom::Start(len))?;
        file.write_all(&bytes)?;
        file.sync_data()
    })();
    if let Err(e) = written {
        let _ = file.set_len(len).and_then(|()| file.sync_data());
        return Err(e);
    }
    if new {
        fsutil::sync_dir(parent_dir(path))?;
    }
    Ok(FileId::of(&file.metadata()?))
}

/// Cuts the journal at `path` back to `len` bytes (a torn tail), flushed.
pub(super) fn truncate(path: &Path, len: u64) -> std::io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_data()
}

/// Removes the journal at `path`, if there is one.
pub(super) fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and PNG): `crc32(b"123456789") == 0xCBF4_3926`.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !bytes.iter().fold(!0u32, |crc, &b| {
        TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests;
