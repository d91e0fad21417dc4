//! Sending one file to S3: a single PUT up to the part size, multipart above it, resumed from
//! the persisted state and reconciled with ListParts, so a cut re-sends at most the part that was
//! in flight.

use std::io::{Read, Seek, SeekFrom};

use rusty_s3::S3Action;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::s3::{answer_error, content_md5, transport_error, S3Store, SIGN_FOR};
use super::FileJob;
use crate::error::UplinkError;
use crate::state::Part;
use crate::throttle::ThrottledReader;

/// Reads `len` bytes at `offset` of the job's local file.
fn read_range(job: &FileJob<'_>, offset: u64, len: u64) -> Result<Vec<u8>, UplinkError> {
    let p = job.local;
    let mut f = std::fs::File::open(p).map_err(|e| UplinkError::io(p, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| UplinkError::io(p, e))?;
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf).map_err(|e| UplinkError::io(p, e))?;
    Ok(buf)
}

/// MD5 (hex) and SHA-256 (hex) of a part.
fn sums(data: &[u8]) -> (String, String) {
    use md5::Md5;
    (
        hex::encode(Md5::digest(data)),
        hex::encode(Sha256::digest(data)),
    )
}

/// Sends `data` to a presigned PUT URL with `Content-MD5`, throttled; returns the ETag.
fn put(
    s3: &S3Store,
    job: &mut FileJob<'_>,
    url: &str,
    data: &[u8],
    what: &str,
) -> Result<String, UplinkError> {
    let key = job.state.key.clone();
    let md5 = content_md5(data);
    let mut reader = ThrottledReader::new(data, job.throttle, job.on_bytes);
    let a = s3.call(
        "PUT",
        url,
        &[("content-md5", md5)],
        Some((&mut reader, data.len() as u64)),
        &key,
        what,
    )?;
    if !a.ok() {
        return Err(answer_error(&key, what, &a));
    }
    a.etag
        .ok_or_else(|| transport_error(&key, what, "answer without ETag"))
}

/// Checks a returned ETag against the part's MD5.
fn check_etag(key: &str, what: &str, etag: &str, md5: &str) -> Result<(), UplinkError> {
    if etag == md5 {
        Ok(())
    } else {
        Err(UplinkError::Mismatch {
            key: key.into(),
            why: format!("{what}: ETag {etag} is not the MD5 {md5} of the bytes sent"),
        })
    }
}

/// Sends the job's file, resuming where its state says.
pub(crate) fn upload(s3: &S3Store, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
    if job.state.completed {
        return Ok(());
    }
    if job.state.part_size == 0 {
        job.state.part_size = s3.part_size;
    }
    if job.state.size <= job.state.part_size && job.state.upload_id.is_none() {
        return single(s3, job);
    }
    multipart(s3, job)
}

/// One PUT of the whole (small) file.
fn single(s3: &S3Store, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
    let data = read_range(job, 0, job.state.size)?;
    let (md5, sha256) = sums(&data);
    let key = job.state.key.clone();
    let url = s3.bucket.put_object(Some(&s3.creds), &key).sign(SIGN_FOR);
    let etag = put(s3, job, url.as_str(), &data, "PutObject")?;
    check_etag(&key, "PutObject", &etag, &md5)?;
    job.state.parts = vec![Part {
        number: 1,
        size: data.len() as u64,
        md5,
        sha256: sha256.clone(),
    }];
    job.state.completed = true;
    (job.on_step)(
        job.state,
        "put",
        json!({"file": job.name, "key": key, "bytes": data.len(), "sha256": sha256}),
    )
}

/// Whether the object is already there as the state describes (a Complete whose answer was
/// lost).
fn already_complete(s3: &S3Store, job: &FileJob<'_>, parts: usize) -> Result<bool, UplinkError> {
    if job.state.parts.len() != parts {
        return Ok(false);
    }
    let want = job.state.expected_etag();
    Ok(s3
        .head(&job.state.key)?
        .is_some_and(|a| a.length == Some(job.state.size) && a.etag.is_some() && a.etag == want))
}

/// A part as ListParts shows it: number, ETag, size.
type ServerPart = (u32, String, u64);

/// The server's parts of the upload: `None` if the upload no longer exists.
fn list_parts(
    s3: &S3Store,
    key: &str,
    upload_id: &str,
) -> Result<Option<Vec<ServerPart>>, UplinkError> {
    let mut out = Vec::new();
    let mut marker: Option<u16> = None;
    loop {
        let mut action = s3.bucket.list_parts(Some(&s3.creds), key, upload_id);
        if let Some(m) = marker {
            action.set_part_number_marker(m);
        }
        let url = action.sign(SIGN_FOR);
        let a = s3.call("GET", url.as_str(), &[], None, key, "ListParts")?;
        if a.status == 404 || a.code() == Some("NoSuchUpload") {
            return Ok(None);
        }
        if !a.ok() {
            return Err(answer_error(key, "ListParts", &a));
        }
        let r = rusty_s3::actions::ListParts::parse_response(&a.body)
            .map_err(|e| transport_error(key, "ListParts answer", e))?;
        out.extend(r.parts.iter().map(|p| {
            (
                u32::from(p.number),
                p.etag.trim_matches('"').to_owned(),
                p.size,
            )
        }));
        match r.next_part_number_marker {
            Some(m)
                if m > 0
                    && marker != Some(m)
                    && r.parts.len() >= usize::from(r.max_parts.max(1)) =>
            {
                marker = Some(m)
            }
            _ => return Ok(Some(out)),
        }
    }
}

/// Multipart upload: create or reconcile, send the missing parts, complete.
fn multipart(s3: &S3Store, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
    let key = job.state.key.clone();
    let ps = job.state.part_size;
    let nparts = job.state.size.div_ceil(ps).max(1) as usize;
    let total = job.state.size;
    let part_len = |n: usize| (total - (n as u64 - 1) * ps).min(ps);
    if let Some(id) = job.state.upload_id.clone() {
        match list_parts(s3, &key, &id)? {
            None if already_complete(s3, job, nparts)? => {
                job.state.completed = true;
                return (job.on_step)(
                    job.state,
                    "completed",
                    json!({"file": job.name, "key": key, "found": true}),
                );
            }
            None => {
                job.state.upload_id = None;
                job.state.parts.clear();
                (job.on_step)(
                    job.state,
                    "upload_lost",
                    json!({"file": job.name, "key": key, "upload_id": id}),
                )?;
            }
            Some(server) => {
                let before = job.state.parts.len();
                let mut kept: Vec<Part> = Vec::new();
                let mut adopted = 0;
                for n in 1..=nparts {
                    let Some((_, etag, size)) = server.iter().find(|p| p.0 as usize == n) else {
                        break;
                    };
                    if *size != part_len(n) {
                        break;
                    }
                    match job.state.parts.get(n - 1) {
                        Some(p) if &p.md5 == etag => kept.push(p.clone()),
                        _ => {
                            // Sent before a crash, not yet recorded: adopt it if it is our bytes.
                            let data = read_range(job, (n as u64 - 1) * ps, *size)?;
                            let (md5, sha256) = sums(&data);
                            if &md5 != etag {
                                break;
                            }
                            adopted += 1;
                            kept.push(Part {
                                number: n as u32,
                                size: *size,
                                md5,
                                sha256,
                            });
                        }
                    }
                }
                job.state.parts = kept;
                (job.on_step)(
                    job.state,
                    "resumed",
                    json!({"file": job.name, "key": key, "upload_id": id, "parts_recorded": before,
                           "parts_kept": job.state.parts.len(), "parts_adopted": adopted, "parts_total": nparts}),
                )?;
            }
        }
    }
    if job.state.upload_id.is_none() {
        let url = s3
            .bucket
            .create_multipart_upload(Some(&s3.creds), &key)
            .sign(SIGN_FOR);
        let a = s3.call(
            "POST",
            url.as_str(),
            &[],
            None,
            &key,
            "CreateMultipartUpload",
        )?;
        if !a.ok() {
            return Err(answer_error(&key, "CreateMultipartUpload", &a));
        }
        let r = rusty_s3::actions::CreateMultipartUpload::parse_response(&a.body)
            .map_err(|e| transport_error(&key, "CreateMultipartUpload answer", e))?;
        job.state.upload_id = Some(r.upload_id().to_owned());
        job.state.parts.clear();
        (job.on_step)(
            job.state,
            "created",
            json!({"file": job.name, "key": key, "upload_id": r.upload_id(), "parts_total": nparts}),
        )?;
    }
    let id = job.state.upload_id.clone().unwrap_or_default();
    for n in job.state.parts.len() + 1..=nparts {
        let len = part_len(n);
        let data = read_range(job, (n as u64 - 1) * ps, len)?;
        let (md5, sha256) = sums(&data);
        let url = s3
            .bucket
            .upload_part(Some(&s3.creds), &key, n as u16, &id)
            .sign(SIGN_FOR);
        let etag = put(s3, job, url.as_str(), &data, "UploadPart")?;
        check_etag(&key, &format!("UploadPart {n}"), &etag, &md5)?;
        job.state.parts.push(Part {
            number: n as u32,
            size: len,
            md5,
            sha256: sha256.clone(),
        });
        (job.on_step)(
            job.state,
            "part",
            json!({"file": job.name, "key": key, "part": n, "bytes": len, "sha256": sha256}),
        )?;
    }
    let etags: Vec<String> = job
        .state
        .parts
        .iter()
        .map(|p| format!("\"{}\"", p.md5))
        .collect();
    let action = s3.bucket.complete_multipart_upload(
        Some(&s3.creds),
        &key,
        &id,
        etags.iter().map(String::as_str),
    );
    let url = action.sign(SIGN_FOR);
    let body = action.body();
    let mut r = body.as_bytes();
    let a = s3.call(
        "POST",
        url.as_str(),
        &[],
        Some((&mut r, body.len() as u64)),
        &key,
        "CompleteMultipartUpload",
    )?;
    if !a.ok() {
        if a.code() == Some("NoSuchUpload") && already_complete(s3, job, nparts)? {
            // Completed by an earlier attempt whose answer was lost.
        } else {
            return Err(answer_error(&key, "CompleteMultipartUpload", &a));
        }
    }
    job.state.completed = true;
    (job.on_step)(
        job.state,
        "completed",
        json!({"file": job.name, "key": key, "upload_id": id, "parts": nparts}),
    )
}
