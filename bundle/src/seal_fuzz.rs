//! Fuzz entry for the sealed stream's framing: the fuzzer's bytes describe a stream (header
//! size, then frames with their kind, length, payload and what to damage), which is written
//! with correct CRCs and hash chain unless told otherwise, then checked with [`scan_from`].
//! Arbitrary bytes would almost never get past the first CRC; this way every path of the scan
//! (closed, open, torn, zero tail, bad kind, broken chain, data after the end) is reached, and
//! the scan's answer is checked against what was built.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{crc, scan_from, Tail, DATA, END, FRAME_HEAD, MAGIC, TAG};

/// Damage a frame description can ask for (bits of its control byte).
const KIND_END: u8 = 1;
const KIND_UNKNOWN: u8 = 1 << 1;
const BAD_CRC: u8 = 1 << 2;
const BAD_CHAIN: u8 = 1 << 3;
const TORN: u8 = 1 << 4;
const ZEROED: u8 = 1 << 5;

/// Builds the stream `data` describes and scans it. Panics if the scan's answer contradicts
/// what was built.
pub fn fuzz_sealed(data: &[u8]) {
    let Some((&wrapped, mut rest)) = data.split_first() else {
        return;
    };
    let mut out = MAGIC.to_vec();
    let n = usize::from(wrapped) * 4;
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend(std::iter::repeat_n(0xa5, n));
    out.extend_from_slice(&[7u8; 32]);
    let c = crc(&[&out]);
    out.extend_from_slice(&c.to_le_bytes());
    let mut prev: [u8; 32] = Sha256::digest(&out[..out.len() - 4]).into();
    // What a scan must say of a stream whose frames are all clean.
    let (mut clean, mut frames, mut ended, mut after_end) = (true, 0u64, false, false);
    while let [ctl, len, tail @ ..] = rest {
        let len = TAG + usize::from(*len);
        let take = len.min(tail.len());
        let mut payload = tail[..take].to_vec();
        payload.resize(len, 0);
        rest = &tail[take..];
        let kind = if ctl & KIND_UNKNOWN != 0 {
            2 + (ctl >> 6)
        } else if ctl & KIND_END != 0 {
            END
        } else {
            DATA
        };
        let mut frame = (len as u32).to_le_bytes().to_vec();
        frame.push(kind);
        frame.extend_from_slice(if ctl & BAD_CHAIN != 0 {
            &[0xee; 32]
        } else {
            &prev
        });
        frame.extend_from_slice(&payload);
        let mut c = crc(&[&frame]);
        if ctl & BAD_CRC != 0 {
            c ^= 1;
        }
        prev = Sha256::digest(&frame).into();
        frame.extend_from_slice(&c.to_le_bytes());
        if ctl & ZEROED != 0 {
            frame.iter_mut().for_each(|b| *b = 0);
        }
        if ctl & (KIND_UNKNOWN | BAD_CRC | BAD_CHAIN | ZEROED | TORN) != 0 {
            clean = false;
        }
        if ctl & TORN != 0 {
            out.extend_from_slice(&frame[..frame.len() / 2]);
            break;
        }
        out.extend_from_slice(&frame);
        if ended {
            after_end = true;
        } else {
            frames += 1;
            ended = kind == END;
        }
        debug_assert!(FRAME_HEAD + len + 4 == frame.len());
    }
    let s = scan_from(&out[..], Path::new("fuzz.seal")).expect("a well-formed header scans");
    assert!(s.good_len as usize <= out.len(), "good_len past the end");
    if clean {
        let want = if after_end {
            "data after the end frame"
        } else if ended {
            "closed"
        } else {
            "open"
        };
        let got = match &s.tail {
            Tail::Closed => "closed",
            Tail::Open => "open",
            Tail::Corrupt { reason, .. } if reason == "data after the end frame" => reason,
            other => panic!("clean stream scanned as {other:?}"),
        };
        assert_eq!(got, want);
        assert_eq!(s.frames, frames, "frames of a clean stream");
        if !after_end {
            assert_eq!(s.good_len as usize, out.len(), "a clean stream is whole");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_streams_scan_as_built() {
        // Header only; two data frames and an end; a torn frame; a broken chain; a zeroed one.
        for data in [
            &[0u8][..],
            &[1, 0, 3, 1, 2, 3, 0, 0, KIND_END, 0],
            &[0, 0, 0, TORN, 40, 1, 2],
            &[0, 0, 0, BAD_CHAIN, 0],
            &[0, ZEROED, 10],
            &[0, KIND_END, 0, 0, 0],
            &[0, KIND_UNKNOWN | 0xc0, 0],
            &[0, BAD_CRC, 5],
        ] {
            fuzz_sealed(data);
        }
    }
}
