//! The S3 store as a [`CentralStore`]: uploads ([`super::multipart`]), verification by the
//! ETags the uploads kept, listing, reading and writing small objects, deleting.

use std::path::Path;

use rusty_s3::S3Action;

use super::s3::{
    answer_error, check_etag, content_md5, retryable_status, transport_error, S3Store, SIGN_FOR,
};
use super::{CentralStore, Expect, FileJob, Listed};
use crate::error::UplinkError;
use crate::state::FileState;

impl CentralStore for S3Store {
    fn describe(&self) -> String {
        format!(
            "s3 {} bucket {}",
            self.bucket.base_url(),
            self.bucket.name()
        )
    }

    fn locate(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket.name())
    }

    fn upload(&self, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
        super::multipart::upload(self, job)
    }

    fn in_flight(&self) -> usize {
        self.slots.total()
    }

    /// From what the server answered when the object was written (no HEAD: the station's
    /// credentials may only write): the state's parts add up to the local size, and the ETag
    /// the server returned is the one the part MD5s make.
    fn verify(&self, st: &FileState, expect: &Expect<'_>) -> Result<(), UplinkError> {
        let key = &st.key;
        let mismatch = |why: String| UplinkError::Mismatch {
            key: key.clone(),
            why,
        };
        if !st.completed {
            return Err(mismatch("not completed".into()));
        }
        let sent: u64 = st.parts.iter().map(|p| p.size).sum();
        if sent != expect.size || st.size != expect.size {
            return Err(mismatch(format!(
                "{sent} bytes sent in parts, local {}",
                expect.size
            )));
        }
        let want = st
            .expected_etag()
            .ok_or_else(|| mismatch("no recorded part checksums".into()))?;
        match st.etag.as_deref() {
            Some(e) if e == want => Ok(()),
            other => Err(mismatch(format!(
                "ETag {other:?} from the server, expected {want} from the part MD5s"
            ))),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<Listed>, UplinkError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.creds));
            action.with_prefix(prefix);
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGN_FOR);
            let a = self.call("GET", url.as_str(), &[], None, prefix, "ListObjectsV2")?;
            if !a.ok() {
                return Err(answer_error(prefix, "ListObjectsV2", &a));
            }
            let r = rusty_s3::actions::ListObjectsV2::parse_response(&a.body)
                .map_err(|e| transport_error(prefix, "ListObjectsV2 answer", e))?;
            out.extend(r.contents.into_iter().map(|c| Listed {
                key: c.key,
                size: c.size.unwrap_or(0),
            }));
            match r.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    fn get(&self, key: &str, out: &Path) -> Result<u64, UplinkError> {
        let url = self
            .bucket
            .get_object(Some(&self.creds), key)
            .sign(SIGN_FOR);
        let mut res = self
            .agent
            .get(url.as_str())
            .call()
            .map_err(|e| transport_error(key, "GET", e))?;
        if res.status().as_u16() != 200 {
            return Err(UplinkError::Store {
                key: key.into(),
                why: format!("GET: HTTP {}", res.status().as_u16()),
                retryable: retryable_status(res.status().as_u16()),
            });
        }
        if let Some(d) = out.parent() {
            std::fs::create_dir_all(d).map_err(|e| UplinkError::io(d, e))?;
        }
        let mut f = std::fs::File::create(out).map_err(|e| UplinkError::io(out, e))?;
        let n = std::io::copy(&mut res.body_mut().as_reader(), &mut f)
            .map_err(|e| transport_error(key, "GET body", e))?;
        f.sync_all().map_err(|e| UplinkError::io(out, e))?;
        Ok(n)
    }

    fn put(&self, key: &str, body: &[u8]) -> Result<Option<u64>, UplinkError> {
        let url = self
            .bucket
            .put_object(Some(&self.creds), key)
            .sign(SIGN_FOR);
        let mut r = body;
        let a = self.call(
            "PUT",
            url.as_str(),
            &[("content-md5", content_md5(body))],
            Some((&mut r, body.len() as u64)),
            key,
            "PutObject",
        )?;
        if !a.ok() {
            return Err(answer_error(key, "PutObject", &a));
        }
        if let Some(etag) = &a.etag {
            let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(body));
            check_etag(key, "PutObject", etag, &md5)?;
        }
        Ok(a.date_ms)
    }

    fn read(&self, key: &str) -> Result<Vec<u8>, UplinkError> {
        let url = self
            .bucket
            .get_object(Some(&self.creds), key)
            .sign(SIGN_FOR);
        let a = self.call("GET", url.as_str(), &[], None, key, "GetObject")?;
        if a.status != 200 {
            return Err(answer_error(key, "GetObject", &a));
        }
        Ok(a.body.into_bytes())
    }

    fn delete(&self, key: &str) -> Result<(), UplinkError> {
        let url = self
            .bucket
            .delete_object(Some(&self.creds), key)
            .sign(SIGN_FOR);
        let a = self.call("DELETE", url.as_str(), &[], None, key, "DeleteObject")?;
        if !a.ok() && a.status != 404 {
            return Err(answer_error(key, "DeleteObject", &a));
        }
        Ok(())
    }
}
