//! The privacy notice: what is recorded, where it goes, when it is deleted and who may see it,
//! from the station's own site file and the fixed retention periods. Shown after check-in and
//! before anything is captured (the photo ID is the first capture).

use board_config::retention::{PROFILES_DAYS, RECORDINGS_DAYS};
use board_config::{Site, UplinkBackend};

use super::screens::{frame_with_title, scale};
use super::Theme;
use crate::devices::Frame;

/// What the notice says, for one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The institution that owns the recordings.
    pub institution: String,
    /// Where the institution stores them, e.g. `AWS CA-CENTRAL-1 (CANADA)`.
    pub storage: String,
}

impl Notice {
    /// The notice for `site`. Residency is always Canada (the site file cannot say otherwise).
    pub fn of(site: &Site) -> Notice {
        let u = &site.uplink;
        let storage = match (u.backend, u.on_premises, u.region.as_deref()) {
            (UplinkBackend::S3, false, Some(region)) => format!("AWS {region} (CANADA)"),
            _ => "ITS OWN STORAGE IN CANADA".to_string(),
        };
        Notice {
            institution: site.institution.name.clone(),
            storage,
        }
    }

    /// The notice's sections: a heading and its lines.
    pub fn sections(&self) -> Vec<(&'static str, Vec<String>)> {
        let who = &self.institution;
        vec![
            (
                "WHAT IS RECORDED",
                vec![
                    "AT CHECK-IN: YOUR PHOTO ID AND PICTURES OF YOUR FACE.".into(),
                    "DURING THE EXAM ONLY: CAMERA, MICROPHONE, SCREEN AND THE WEBSITES \
                     VISITED. NOTHING BEFORE OR AFTER, NO FILES OF YOURS."
                        .into(),
                ],
            ),
            (
                "WHERE IT GOES",
                vec![
                    format!("ENCRYPTED ON THIS STATION SO THAT ONLY {who} CAN OPEN IT."),
                    format!("AFTER THE EXAM, SENT TO {who}, STORED IN {}.", self.storage),
                    "NOTHING IS WATCHED LIVE. NOBODY CAN CONNECT TO THIS STATION.".into(),
                ],
            ),
            (
                "WHEN IT IS DELETED",
                vec![
                    "FROM THIS STATION: ONCE THE UPLOAD IS VERIFIED.".into(),
                    format!(
                        "RECORDINGS: AFTER {RECORDINGS_DAYS} DAYS. IDENTITY PROFILE: AFTER \
                         {PROFILES_DAYS} DAYS."
                    ),
                ],
            ),
            (
                "WHO MAY SEE IT",
                vec![format!("ONLY STAFF OF {who} WHO REVIEW EXAMS.")],
            ),
        ]
    }
}

/// The privacy notice screen, wrapped to the screen's width.
pub fn privacy_notice(w: u32, h: u32, t: &Theme, notice: &Notice) -> Frame {
    let mut c = frame_with_title(w, h, t, "PRIVACY NOTICE", false);
    let s = scale(h);
    let text = (h / 300).max(1);
    let line = 10 * text;
    let margin = 4 * s;
    let mut y = 18 * s;
    for (heading, lines) in notice.sections() {
        c.text(margin, y, heading, text, t.heading);
        y += line + text * 2;
        for l in lines {
            y = c.wrapped(margin + 4 * text, y, &l, text, w - 2 * margin, t.fg, line);
        }
        y += line;
    }
    c.frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, region: &str, on_premises: bool) -> Site {
        let mut site = board_config::parse_site(
            include_str!("../../../board-config/sites/example.toml"),
            std::path::Path::new("example.toml"),
        )
        .expect("example site");
        site.institution.name = name.into();
        site.uplink.region = Some(region.into());
        site.uplink.on_premises = on_premises;
        site
    }

    #[test]
    fn says_what_where_when_and_who_from_the_site() {
        let n = Notice::of(&site("Example University", "ca-central-1", false));
        assert_eq!(n.storage, "AWS ca-central-1 (CANADA)");
        let text: String = n
            .sections()
            .iter()
            .flat_map(|(h, ls)| std::iter::once(h.to_string()).chain(ls.iter().cloned()))
            .collect::<Vec<_>>()
            .join("\n");
        for want in [
            "CAMERA, MICROPHONE, SCREEN AND THE WEBSITES VISITED",
            "ONLY Example University CAN OPEN IT",
            "STORED IN AWS ca-central-1 (CANADA)",
            "AFTER 180 DAYS",
            "AFTER 365 DAYS",
            "NOTHING IS WATCHED LIVE",
        ] {
            assert!(text.contains(want), "{want:?} missing from:\n{text}");
        }
        let own = Notice::of(&site("U", "campus-1", true));
        assert_eq!(own.storage, "ITS OWN STORAGE IN CANADA");
    }

    #[test]
    fn every_glyph_exists_and_the_screen_is_drawn() {
        let n = Notice::of(&site("Example University", "ca-central-1", false));
        for (h, ls) in n.sections() {
            for ch in std::iter::once(h)
                .chain(ls.iter().map(String::as_str))
                .flat_map(str::chars)
            {
                assert!(
                    super::super::font::glyph(ch).is_some(),
                    "no glyph for {ch:?}"
                );
            }
        }
        let t = Theme::default();
        for (w, h) in [(640, 480), (1024, 768), (1920, 1080)] {
            let f = privacy_notice(w, h, &t, &n);
            assert_eq!(f.rgb.len(), (w * h * 3) as usize);
            // All of it above the bottom tenth of the screen: nothing cut off at the edge.
            let bottom = &f.rgb[((h * 9 / 10) * w * 3) as usize..];
            assert!(
                bottom.chunks(3).all(|p| p == t.bg),
                "{w}x{h}: text near the bottom edge"
            );
            // Text pixels (anti-aliased text: all that is neither background nor heading bar).
            let lit = f
                .rgb
                .chunks(3)
                .filter(|p| *p != t.bg && *p != t.bar)
                .count();
            assert!(lit > 2000, "{w}x{h}: {lit} text pixels");
        }
    }
}
