//! Sending one file to S3: a single PUT up to the part size, multipart above it (its parts
//! several at once, see [`sender`](super::sender)), resumed from the persisted state, so a cut
//! re-sends at most the parts that were in flight.
//!
//! Write-only (P6): nothing here reads, lists or heads an object, nor lists parts. What the
//! server answered is the proof: each part's ETag must be the MD5 of the bytes sent, and
//! Complete's ETag the MD5 of those MD5s with the part count; it is kept in the state for
//! [`verify`](super::Store::verify). An upload the server no longer has (expired, aborted, or
//! completed by an attempt whose answer was lost) is started again under the same key.

use rusty_s3::S3Action;
use serde_json::json;

use super::s3::{answer_error, check_etag, lost, transport_error, S3Store, SIGN_FOR};
use super::sender::{put, read_part, Counter};
use super::FileJob;
use crate::error::UplinkError;
use crate::state::Part;

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

/// One PUT of the whole (small) file, in one of the store's slots.
fn single(s3: &S3Store, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
    let key = job.state.key.clone();
    let counter = Counter::new();
    let (chunk, etag) = {
        let _slot = s3.slots.take();
        let chunk = read_part(job.local, 0, job.state.size)?;
        let url = s3.bucket.put_object(Some(&s3.creds), &key).sign(SIGN_FOR);
        let etag = put(
            s3,
            &key,
            url.as_str(),
            &chunk,
            job.throttle,
            &counter.sent,
            "PutObject",
        );
        (chunk, etag)
    };
    counter.pass_on(job.on_bytes);
    let etag =
        etag?.ok_or_else(|| transport_error(&key, "PutObject", "NoSuchUpload for a single PUT"))?;
    let md5 = chunk.md5_hex();
    check_etag(&key, "PutObject", &etag, &md5)?;
    job.state.etag = Some(etag);
    job.state.parts = vec![Part {
        number: 1,
        size: chunk.data.len() as u64,
        md5,
        sha256: chunk.sha256.clone(),
    }];
    job.state.completed = true;
    (job.on_step)(
        job.state,
        "put",
        json!({"file": job.name, "key": key, "bytes": chunk.data.len(), "sha256": chunk.sha256}),
    )
}

/// How often an upload the server lost is started again before the file fails.
const RESTARTS: u32 = 2;

/// Multipart upload: create (or go on with the recorded one), send the missing parts, complete.
fn multipart(s3: &S3Store, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
    let key = job.state.key.clone();
    let nparts = job.state.part_count();
    if let Some(id) = job.state.upload_id.clone() {
        (job.on_step)(
            job.state,
            "resumed",
            json!({"file": job.name, "key": key, "upload_id": id,
                   "parts_kept": job.state.parts.len(), "parts_total": nparts}),
        )?;
    }
    let mut restarts = 0;
    loop {
        match send(s3, job, nparts)? {
            Sent::Completed => return Ok(()),
            Sent::UploadLost(id) if restarts < RESTARTS => {
                restarts += 1;
                job.state.upload_id = None;
                job.state.parts.clear();
                (job.on_step)(
                    job.state,
                    "upload_lost",
                    json!({"file": job.name, "key": key, "upload_id": id}),
                )?;
            }
            Sent::UploadLost(id) => {
                return Err(UplinkError::Mismatch {
                    key,
                    why: format!(
                        "the server lost upload {id} {} times in a row",
                        RESTARTS + 1
                    ),
                })
            }
        }
    }
}

/// How one pass of [`send`] ended.
enum Sent {
    Completed,
    /// The server no longer has this upload id (`NoSuchUpload`).
    UploadLost(String),
}

/// Creates the upload if there is none, sends the parts the state lacks, completes.
fn send(s3: &S3Store, job: &mut FileJob<'_>, nparts: usize) -> Result<Sent, UplinkError> {
    let key = job.state.key.clone();
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
    if super::sender::send_parts(s3, job, &id)? {
        return Ok(Sent::UploadLost(id));
    }
    if job.state.parts.len() != nparts {
        return Err(transport_error(
            &key,
            "UploadPart",
            format!("{} of {nparts} parts acknowledged", job.state.parts.len()),
        ));
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
    if lost(&a) {
        return Ok(Sent::UploadLost(id));
    }
    if !a.ok() {
        return Err(answer_error(&key, "CompleteMultipartUpload", &a));
    }
    // The object's ETag, as the server made it from the parts it joined.
    let etag = crate::xml::text(&a.body, "ETag")
        .map(|e| crate::xml::unescape(e).trim_matches('"').to_owned())
        .ok_or_else(|| transport_error(&key, "CompleteMultipartUpload answer", "no ETag"))?;
    let want = job.state.expected_etag().unwrap_or_default();
    if etag != want {
        return Err(UplinkError::Mismatch {
            key,
            why: format!("CompleteMultipartUpload: ETag {etag} is not {want}, made from the MD5s of the parts sent"),
        });
    }
    job.state.etag = Some(etag);
    job.state.completed = true;
    (job.on_step)(
        job.state,
        "completed",
        json!({"file": job.name, "key": key, "upload_id": id, "parts": nparts}),
    )?;
    Ok(Sent::Completed)
}
