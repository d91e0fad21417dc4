//! S3 backend: AWS S3 (ca-central-1, ca-west-1) and S3-compatible stores (SeaweedFS, Garage,
//! Ceph RGW).
//!
//! Client choice: `rusty-s3` signs requests (SigV4 presigned URLs) and parses the XML answers,
//! `ureq` 3 with rustls (ring) carries them over blocking HTTP. Both are small to build on a
//! station's toolchain, where `aws-sdk-s3` pulls in ~200 crates, an async runtime and aws-lc-sys;
//! and owning the requests gives full control over what multipart resume needs: the persisted
//! UploadId, ListParts reconciliation, `Content-MD5` on every part, and ETag checks.
//!
//! Integrity: every part and single PUT carries `Content-MD5`, which every S3 store checks (a
//! corrupted body is refused with `BadDigest`); the part's MD5 (its ETag) and SHA-256 are kept in
//! the upload state. After Complete, HEAD must show the local size and the ETag computed from the
//! part MD5s (`md5` for one PUT, `md5(md5_1..md5_n)-n` for multipart); the local file was checked
//! against the manifest's SHA-256 before sending. Nothing is read back from central storage:
//! station credentials need no read permission (promise P6).

use std::io::Read;
use std::time::Duration;

use board_config::Uplink;
use rusty_s3::{Bucket, S3Action, UrlStyle};

use super::Tuning;
use crate::creds::Credentials;
use crate::error::UplinkError;

/// Presigned URLs live this long (each is used at once).
pub(crate) const SIGN_FOR: Duration = Duration::from_secs(3600);

/// An S3 bucket reached through one HTTP agent.
pub struct S3Store {
    pub(crate) bucket: Bucket,
    pub(crate) creds: rusty_s3::Credentials,
    pub(crate) agent: ureq::Agent,
    pub(crate) part_size: u64,
    /// Requests carrying a part in flight at once (`uplink.parts_in_flight`).
    pub(crate) slots: crate::slots::Slots,
}

/// An HTTP answer: status, selected headers, body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) etag: Option<String>,
    pub(crate) body: String,
    /// The server's clock (its `Date` header), ms since the epoch.
    pub(crate) date_ms: Option<u64>,
}

impl Answer {
    /// The S3 error code in the body, e.g. `NoSuchUpload`.
    pub(crate) fn code(&self) -> Option<&str> {
        crate::xml::text(&self.body, "Code")
    }

    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status) && !self.body.contains("<Error>")
    }
}

/// Whether an HTTP status is worth retrying.
pub(crate) fn retryable_status(s: u16) -> bool {
    s >= 500 || s == 408 || s == 429
}

/// A store error for `key` from an answer.
pub(crate) fn answer_error(key: &str, what: &str, a: &Answer) -> UplinkError {
    let code = a.code().unwrap_or("");
    UplinkError::Store {
        key: key.into(),
        why: format!("{what}: HTTP {} {code}", a.status),
        retryable: retryable_status(a.status)
            || matches!(code, "InternalError" | "SlowDown" | "RequestTimeout"),
    }
}

/// An HTTP `Date` header (`Tue, 01 Dec 2026 05:36:16 GMT`) as ms since the epoch.
fn http_date_ms(d: &str) -> Option<u64> {
    let z = jiff::fmt::rfc2822::parse(d).ok()?;
    u64::try_from(z.timestamp().as_millisecond()).ok()
}

/// A transport error (reset, timeout, truncated answer): always retryable.
pub(crate) fn transport_error(key: &str, what: &str, e: impl std::fmt::Display) -> UplinkError {
    UplinkError::Store {
        key: key.into(),
        why: format!("{what}: {e}"),
        retryable: true,
    }
}

impl S3Store {
    /// Connects to the `[uplink]` store after re-checking residency (nothing is sent before).
    pub fn connect(u: &Uplink, creds: &Credentials, tuning: &Tuning) -> Result<Self, UplinkError> {
        crate::residency::check(u)?;
        let cfg = |field: &str, why: &str| UplinkError::Config {
            field: field.into(),
            why: why.into(),
        };
        let endpoint = u
            .endpoint
            .as_deref()
            .ok_or_else(|| cfg("uplink.endpoint", "missing"))?;
        let url = endpoint
            .parse()
            .map_err(|e| cfg("uplink.endpoint", &format!("{endpoint:?}: {e}")))?;
        let name = u
            .bucket
            .as_deref()
            .ok_or_else(|| cfg("uplink.bucket", "missing"))?;
        let region = u
            .region
            .as_deref()
            .ok_or_else(|| cfg("uplink.region", "missing"))?;
        let bucket = Bucket::new(url, UrlStyle::Path, name.to_owned(), region.to_owned())
            .map_err(|e| cfg("uplink.endpoint", &e.to_string()))?;
        let t = Some(tuning.io_timeout);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(super::tls::config(u)?)
            .http_status_as_error(false)
            .timeout_connect(t)
            .timeout_send_request(t)
            .timeout_send_body(t)
            .timeout_recv_response(t)
            .timeout_recv_body(t)
            .max_idle_connections_per_host(u.parts_in_flight.clamp(4, 16) as usize)
            .build()
            .into();
        Ok(S3Store {
            bucket,
            creds: creds.to_s3(),
            agent,
            part_size: u64::from(u.part_size_mib.max(5)) << 20,
            slots: crate::slots::Slots::new(u.parts_in_flight.clamp(1, 16) as usize),
        })
    }

    /// Sends one request; `body` is sent with an explicit length.
    pub(crate) fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<(&mut dyn Read, u64)>,
        key: &str,
        what: &str,
    ) -> Result<Answer, UplinkError> {
        let builder = ureq::http::Request::builder().method(method).uri(url);
        let builder = headers
            .iter()
            .fold(builder, |b, (k, v)| b.header(*k, v.as_str()));
        let res = match body {
            Some((reader, len)) => {
                let req = builder
                    .header("content-length", len.to_string())
                    .body(ureq::SendBody::from_reader(reader))
                    .map_err(|e| transport_error(key, what, e))?;
                self.agent.run(req)
            }
            None => {
                let req = builder
                    .body(())
                    .map_err(|e| transport_error(key, what, e))?;
                self.agent.run(req)
            }
        };
        let mut res = res.map_err(|e| transport_error(key, what, e))?;
        let h = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = h("etag").map(|e| e.trim_matches('"').to_owned());
        let date_ms = h("date").and_then(|d| http_date_ms(&d));
        let status = res.status().as_u16();
        let body = res
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_string()
            .map_err(|e| transport_error(key, what, e))?;
        Ok(Answer {
            status,
            etag,
            body,
            date_ms,
        })
    }

    /// Creates the bucket (tests and examctl); an existing bucket owned by us is fine.
    pub fn create_bucket(&self) -> Result<(), UplinkError> {
        self.create_bucket_with(false)
    }

    /// Creates the bucket, with object lock (and so versioning) when `object_lock`.
    pub fn create_bucket_with(&self, object_lock: bool) -> Result<(), UplinkError> {
        let mut action = self.bucket.create_bucket(&self.creds);
        if object_lock {
            // Signed with the request (S3 checks x-amz-* headers against the signature).
            action
                .headers_mut()
                .insert("x-amz-bucket-object-lock-enabled", "true");
        }
        let body = action.body();
        let url = action.sign(SIGN_FOR);
        let mut r = body.as_bytes();
        let n = r.len() as u64;
        let name = self.bucket.name().to_owned();
        let lock = [("x-amz-bucket-object-lock-enabled", "true".to_string())];
        let headers: &[(&str, String)] = if object_lock { &lock } else { &[] };
        let a = self.call(
            "PUT",
            url.as_str(),
            headers,
            Some((&mut r, n)),
            &name,
            "CreateBucket",
        )?;
        if a.ok() || matches!(a.code(), Some("BucketAlreadyOwnedByYou")) {
            Ok(())
        } else {
            Err(answer_error(&name, "CreateBucket", &a))
        }
    }

    /// The bucket's name.
    pub fn bucket_name(&self) -> &str {
        self.bucket.name()
    }

    /// A signed bucket-level sub-resource request (`?lifecycle`, `?object-lock`) that rusty-s3
    /// has no action for; `body` gets a `Content-MD5`, which S3 requires for these PUTs.
    pub(crate) fn bucket_subresource(
        &self,
        method: rusty_s3::Method,
        sub: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, UplinkError> {
        let url = rusty_s3::signing::sign(
            &jiff::Timestamp::now(),
            method,
            self.bucket.base_url().clone(),
            self.creds.key(),
            self.creds.secret(),
            self.creds.token(),
            self.bucket.region(),
            SIGN_FOR.as_secs(),
            std::iter::once((sub, "")),
            std::iter::empty(),
        );
        let name = format!("{}?{sub}", self.bucket.name());
        let verb = match method {
            rusty_s3::Method::Get => "GET",
            rusty_s3::Method::Put => "PUT",
            rusty_s3::Method::Delete => "DELETE",
            _ => "POST",
        };
        match body {
            Some(b) => {
                let md5 = content_md5(b);
                let mut r = b;
                self.call(
                    verb,
                    url.as_str(),
                    &[("content-md5", md5)],
                    Some((&mut r, b.len() as u64)),
                    &name,
                    verb,
                )
            }
            None => self.call(verb, url.as_str(), &[], None, &name, verb),
        }
    }
}

/// Base64 MD5 of `data`, for `Content-MD5`.
pub(crate) fn content_md5(data: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// Checks a returned ETag against the MD5 of the bytes sent.
pub(crate) fn check_etag(key: &str, what: &str, etag: &str, md5: &str) -> Result<(), UplinkError> {
    if etag == md5 {
        Ok(())
    } else {
        Err(UplinkError::Mismatch {
            key: key.into(),
            why: format!("{what}: ETag {etag} is not the MD5 {md5} of the bytes sent"),
        })
    }
}

/// Whether an answer says the upload id is unknown to the server.
pub(crate) fn lost(a: &Answer) -> bool {
    a.code() == Some("NoSuchUpload")
}
