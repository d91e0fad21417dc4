//! Sealed streams: the on-disk format of every recorded file (journal, media, identity stills).
//!
//! A sealed stream is a header followed by frames. Each file has its own random 256-bit key,
//! wrapped to the institution's age recipient in the header; the station forgets the key when the
//! writer is dropped, so nothing on the station can read a sealed file back.
//!
//! ```text
//! header: "EXSEAL1\n" | u32 LE wrapped-key length | age blob | link [32] | u32 LE CRC32C(all before)
//! frame:  u32 LE len  | kind u8 | prev [32] | ciphertext [len] | u32 LE CRC32C(all before)
//! ```
//!
//! - `ciphertext` is ChaCha20-Poly1305 of the payload (16-byte tag included in `len`), nonce =
//!   frame index, associated data = `len | kind | prev`.
//! - `prev` is the chain hash of the previous frame (SHA-256 of its bytes before the CRC); frame
//!   0's `prev` is SHA-256 of the header. `link` lets one stream continue another's chain (a
//!   journal segment started after a crash links to the previous segment's head).
//! - A frame of kind [`END`] closes the stream. A stream without one was cut short (crash).
//!
//! Unlike age's own STREAM (fixed 64 KiB chunks), a frame can be written at any size, so the
//! writer can push everything it has to disk every second or two whatever the bitrate: a power
//! cut loses at most the frame being written. [`scan`] checks a stream without any key (CRCs and
//! the hash chain), which is what the station does on recovery.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::keys::{Identity, Recipient};
use crate::Error;

/// File magic of a sealed stream.
pub const MAGIC: &[u8; 8] = b"EXSEAL1\n";
/// Frame kind: payload data.
pub const DATA: u8 = 0;
/// Frame kind: end of stream (empty payload).
pub const END: u8 = 1;
/// Largest payload of one frame.
pub const MAX_PAYLOAD: usize = 16 << 20;
const TAG: usize = 16;
const FRAME_HEAD: usize = 4 + 1 + 32;
const MAX_WRAPPED: usize = 4096;

#[doc(hidden)]
#[path = "seal_fuzz.rs"]
pub mod fuzz;

/// A chain hash (SHA-256).
pub type Hash = [u8; 32];

fn crc(parts: &[&[u8]]) -> u32 {
    parts.iter().fold(0, |c, p| crc32c::crc32c_append(c, p))
}

fn nonce(index: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&index.to_be_bytes());
    n.into()
}

/// Writes a sealed stream. Each [`append`](Self::append) is one `write` of one whole frame.
pub struct Writer {
    file: File,
    path: PathBuf,
    cipher: ChaCha20Poly1305,
    index: u64,
    prev: Hash,
    buf: Vec<u8>,
    bytes: u64,
}

impl Writer {
    /// Creates `path` (which must not exist), sealed to `recipient`, continuing `link`'s chain.
    pub fn create(path: &Path, recipient: &Recipient, link: Hash) -> Result<Self, Error> {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let wrapped = recipient.wrap(&key)?;
        let mut header = Vec::with_capacity(wrapped.len() + 48);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(wrapped.len() as u32).to_le_bytes());
        header.extend_from_slice(&wrapped);
        header.extend_from_slice(&link);
        let prev: Hash = Sha256::digest(&header).into();
        let c = crc(&[&header]);
        header.extend_from_slice(&c.to_le_bytes());
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.write_all(&header).map_err(|e| Error::io(path, e))?;
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
        key.fill(0);
        Ok(Writer {
            file,
            path: path.to_owned(),
            cipher,
            index: 0,
            prev,
            buf: Vec::with_capacity(FRAME_HEAD + 1024 + TAG + 4),
            bytes: header.len() as u64,
        })
    }

    /// Seals `payload` as one data frame and writes it. Allocates only when the payload is larger
    /// than any before it.
    pub fn append(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.frame(DATA, payload)
    }

    fn frame(&mut self, kind: u8, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::Format(format!(
                "{}: frame of {} bytes exceeds {MAX_PAYLOAD}",
                self.path.display(),
                payload.len()
            )));
        }
        let len = (payload.len() + TAG) as u32;
        self.buf.clear();
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.push(kind);
        self.buf.extend_from_slice(&self.prev);
        self.buf.extend_from_slice(payload);
        let (head, body) = self.buf.split_at_mut(FRAME_HEAD);
        let tag = self
            .cipher
            .encrypt_in_place_detached(&nonce(self.index), head, body)
            .map_err(|_| Error::Format("encryption failed".into()))?;
        self.buf.extend_from_slice(&tag);
        self.prev = Sha256::digest(&self.buf).into();
        let c = crc(&[&self.buf]);
        self.buf.extend_from_slice(&c.to_le_bytes());
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        self.index += 1;
        self.bytes += self.buf.len() as u64;
        Ok(())
    }

    /// Makes everything appended so far durable (fdatasync).
    pub fn sync(&mut self) -> Result<(), Error> {
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    /// Chain hash of the last frame written (the stream's head).
    pub fn head(&self) -> Hash {
        self.prev
    }

    /// Bytes in the file so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.index
    }

    /// Writes the end frame, syncs, and returns the head hash. The key is forgotten.
    pub fn finish(mut self) -> Result<Hash, Error> {
        self.frame(END, &[])?;
        self.sync()?;
        Ok(self.prev)
    }
}

/// How a stream ends, as found by [`scan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// Closed by an end frame; nothing after it.
    Closed,
    /// Every frame whole, but no end frame (the writer stopped: crash or still running).
    Open,
    /// The last frame is incomplete (a torn write); `good_len` bytes are whole frames.
    Torn,
    /// Frame `index` at byte `offset` is damaged (CRC, length or chain); `reason` says which.
    Corrupt {
        /// Index of the first bad frame.
        index: u64,
        /// Its byte offset in the file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// What [`scan`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Whole, valid frames (the end frame included).
    pub frames: u64,
    /// Bytes of header + whole valid frames.
    pub good_len: u64,
    /// Chain hash of the last good frame (or of the header).
    pub head: Hash,
    /// The header's link.
    pub link: Hash,
    /// How the stream ends.
    pub tail: Tail,
}

struct Header {
    wrapped: Vec<u8>,
    link: Hash,
    hash: Hash,
    len: u64,
}

fn read_header(r: &mut impl Read, path: &Path) -> Result<Header, Error> {
    let bad = |why: &str| Error::Format(format!("{}: header: {why}", path.display()));
    let mut fixed = [0u8; 12];
    r.read_exact(&mut fixed)
        .map_err(|_| bad("file too short"))?;
    if &fixed[..8] != MAGIC {
        return Err(bad("not a sealed stream (bad magic)"));
    }
    let n = u32::from_le_bytes(fixed[8..12].try_into().expect("4 bytes")) as usize;
    if n > MAX_WRAPPED {
        return Err(bad("wrapped key too large"));
    }
    let mut rest = vec![0u8; n + 32 + 4];
    r.read_exact(&mut rest).map_err(|_| bad("truncated"))?;
    let (body, c) = rest.split_at(n + 32);
    if crc(&[&fixed, body]).to_le_bytes() != c {
        return Err(bad("CRC mismatch"));
    }
    let mut h = Sha256::new();
    h.update(fixed);
    h.update(body);
    Ok(Header {
        wrapped: body[..n].to_vec(),
        link: body[n..].try_into().expect("32 bytes"),
        hash: h.finalize().into(),
        len: (12 + n + 32 + 4) as u64,
    })
}

/// Outcome of reading one frame.
enum Next {
    Frame {
        kind: u8,
        bytes: Vec<u8>,
    },
    Eof,
    Torn,
    /// A damaged frame, and whether every byte read of it was zero.
    Bad(String, bool),
}

fn read_frame(r: &mut impl Read, prev: &Hash) -> io::Result<Next> {
    let mut head = [0u8; FRAME_HEAD];
    match read_full(r, &mut head)? {
        0 => return Ok(Next::Eof),
        n if n < FRAME_HEAD => return Ok(Next::Torn),
        _ => {}
    }
    let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
    if !(TAG..=MAX_PAYLOAD + TAG).contains(&len) {
        let zeros = head.iter().all(|b| *b == 0);
        return Ok(Next::Bad(format!("impossible length {len}"), zeros));
    }
    let mut bytes = vec![0u8; FRAME_HEAD + len + 4];
    bytes[..FRAME_HEAD].copy_from_slice(&head);
    if read_full(r, &mut bytes[FRAME_HEAD..])? < len + 4 {
        return Ok(Next::Torn);
    }
    let (frame, c) = bytes.split_at(FRAME_HEAD + len);
    let zeros = bytes.iter().all(|b| *b == 0);
    if crc(&[frame]).to_le_bytes() != c {
        return Ok(Next::Bad("CRC mismatch".into(), zeros));
    }
    if &frame[5..FRAME_HEAD] != prev {
        return Ok(Next::Bad(
            "hash chain broken (a frame was changed, removed or reordered)".into(),
            zeros,
        ));
    }
    let kind = frame[4];
    if kind != DATA && kind != END {
        return Ok(Next::Bad(format!("unknown frame kind {kind}"), zeros));
    }
    bytes.truncate(FRAME_HEAD + len);
    Ok(Next::Frame { kind, bytes })
}

/// Whether everything left in `r` is zero bytes.
fn rest_is_zero(r: &mut impl Read) -> io::Result<bool> {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match read_full(r, &mut buf)? {
            0 => return Ok(true),
            n if buf[..n].iter().any(|b| *b != 0) => return Ok(false),
            _ => {}
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Checks a sealed stream without its key: header, every frame's CRC and the hash chain.
pub fn scan(path: &Path) -> Result<Scan, Error> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    scan_from(BufReader::with_capacity(1 << 20, f), path)
}

/// [`scan`] over any reader; `path` names the stream in errors.
pub fn scan_from(mut r: impl Read, path: &Path) -> Result<Scan, Error> {
    let h = read_header(&mut r, path)?;
    let mut s = Scan {
        frames: 0,
        good_len: h.len,
        head: h.hash,
        link: h.link,
        tail: Tail::Open,
    };
    loop {
        match read_frame(&mut r, &s.head).map_err(|e| Error::io(path, e))? {
            Next::Eof => return Ok(s),
            Next::Torn => {
                s.tail = Tail::Torn;
                return Ok(s);
            }
            // Zeros to the end of the file: blocks the file system had given the file but the
            // power cut before they were written. A torn tail, not damage.
            Next::Bad(_, true) if rest_is_zero(&mut r).map_err(|e| Error::io(path, e))? => {
                s.tail = Tail::Torn;
                return Ok(s);
            }
            Next::Bad(reason, _) => {
                s.tail = Tail::Corrupt {
                    index: s.frames,
                    offset: s.good_len,
                    reason,
                };
                return Ok(s);
            }
            Next::Frame { kind, bytes } => {
                s.frames += 1;
                s.good_len += bytes.len() as u64 + 4;
                s.head = Sha256::digest(&bytes).into();
                if kind == END {
                    let mut extra = [0u8; 1];
                    s.tail = if read_full(&mut r, &mut extra).map_err(|e| Error::io(path, e))? == 0
                    {
                        Tail::Closed
                    } else {
                        Tail::Corrupt {
                            index: s.frames,
                            offset: s.good_len,
                            reason: "data after the end frame".into(),
                        }
                    };
                    return Ok(s);
                }
            }
        }
    }
}

/// Cuts a torn tail off a stream so that it ends on a whole frame. Returns the scan made before.
/// A corrupt stream is left untouched (the damage is evidence).
pub fn cut_torn_tail(path: &Path) -> Result<Scan, Error> {
    let s = scan(path)?;
    if s.tail == Tail::Torn {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.set_len(s.good_len).map_err(|e| Error::io(path, e))?;
        f.sync_all().map_err(|e| Error::io(path, e))?;
    }
    Ok(s)
}

/// Reads and decrypts a sealed stream frame by frame.
pub struct Reader<R> {
    r: R,
    path: PathBuf,
    cipher: ChaCha20Poly1305,
    index: u64,
    prev: Hash,
    link: Hash,
    closed: bool,
}

impl Reader<BufReader<File>> {
    /// Opens `path` with the institution's identity.
    pub fn open(path: &Path, identity: &Identity) -> Result<Self, Error> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        Reader::new(BufReader::with_capacity(1 << 20, f), path, identity)
    }
}

impl<R: Read> Reader<R> {
    /// Reads the header from `r` and unwraps the file key; `path` is used in errors.
    pub fn new(mut r: R, path: &Path, identity: &Identity) -> Result<Self, Error> {
        let h = read_header(&mut r, path)?;
        let key = identity
            .unwrap(&h.wrapped)
            .map_err(|e| Error::Format(format!("{}: {e}", path.display())))?;
        if key.len() != 32 {
            return Err(Error::Format(format!(
                "{}: wrapped key is not 32 bytes",
                path.display()
            )));
        }
        Ok(Reader {
            r,
            path: path.to_owned(),
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            index: 0,
            prev: h.hash,
            link: h.link,
            closed: false,
        })
    }

    /// The link hash from the header (the head of the stream this one continues).
    pub fn link(&self) -> Hash {
        self.link
    }

    /// Chain hash of the last frame read.
    pub fn head(&self) -> Hash {
        self.prev
    }

    /// Whether the end frame has been read.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The next payload; `Ok(None)` at the end (with or without an end frame: check
    /// [`is_closed`](Self::is_closed)). A torn last frame is treated as the end.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, Error> {
        if self.closed {
            return Ok(None);
        }
        let at = |why: String| {
            Error::Format(format!(
                "{}: frame {}: {why}",
                self.path.display(),
                self.index
            ))
        };
        match read_frame(&mut self.r, &self.prev).map_err(|e| Error::io(&self.path, e))? {
            Next::Eof | Next::Torn => Ok(None),
            Next::Bad(why, _) => Err(at(why)),
            Next::Frame { kind, mut bytes } => {
                let digest: Hash = Sha256::digest(&bytes).into();
                let (head, body) = bytes.split_at_mut(FRAME_HEAD);
                let (ct, tag) = body.split_at_mut(body.len() - TAG);
                let tag = *Tag::from_slice(tag);
                self.cipher
                    .decrypt_in_place_detached(&nonce(self.index), head, ct, &tag)
                    .map_err(|_| at("authentication failed".into()))?;
                self.index += 1;
                self.prev = digest;
                if kind == END {
                    self.closed = true;
                    return Ok(None);
                }
                let n = ct.len();
                bytes.drain(..FRAME_HEAD);
                bytes.truncate(n);
                Ok(Some(bytes))
            }
        }
    }

    /// Decrypts every remaining frame into `out`; returns the bytes written.
    pub fn copy_to(&mut self, out: &mut impl Write) -> Result<u64, Error> {
        let mut n = 0;
        while let Some(p) = self.next_frame()? {
            out.write_all(&p)?;
            n += p.len() as u64;
        }
        Ok(n)
    }
}
