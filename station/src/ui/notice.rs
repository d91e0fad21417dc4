//! The privacy notice: what is recorded, where it goes, when it is deleted and who may see it,
//! from the station's own site file and the fixed retention periods. Shown after check-in and
//! before anything is captured (the photo ID is the first capture).

use board_config::retention::{PROFILES_DAYS, RECORDINGS_DAYS};
use board_config::{Language, Site, UplinkBackend};

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

    /// The notice's title in `lang`.
    pub fn title(lang: Language) -> &'static str {
        match lang {
            Language::English => "PRIVACY NOTICE",
            Language::French => "AVIS DE CONFIDENTIALITÉ",
        }
    }

    /// The notice's sections in `lang`: a heading and its lines.
    pub fn sections(&self, lang: Language) -> Vec<(&'static str, Vec<String>)> {
        match lang {
            Language::English => self.english(),
            Language::French => self.french(),
        }
    }

    fn english(&self) -> Vec<(&'static str, Vec<String>)> {
        let who = &self.institution;
        vec![
            (
                "What is recorded",
                vec![
                    "At check-in: your photo ID and pictures of your face.".into(),
                    "During the exam only: camera, microphone, screen and the websites \
                     visited. Nothing before or after, no files of yours."
                        .into(),
                ],
            ),
            (
                "Where it goes",
                vec![
                    format!("Encrypted on this station so that only {who} can open it."),
                    format!("After the exam, sent to {who}, stored in {}.", self.storage),
                    "Nothing is watched live. Nobody can connect to this station.".into(),
                ],
            ),
            (
                "When it is deleted",
                vec![
                    "From this station: once the upload is verified.".into(),
                    format!(
                        "Recordings: after {RECORDINGS_DAYS} days. Identity profile: after \
                         {PROFILES_DAYS} days."
                    ),
                ],
            ),
            (
                "Who may see it",
                vec![format!("Only staff of {who} who review exams.")],
            ),
        ]
    }

    fn french(&self) -> Vec<(&'static str, Vec<String>)> {
        let who = &self.institution;
        let storage = self
            .storage
            .replace("(CANADA)", "(Canada)")
            .replace("ITS OWN STORAGE IN CANADA", "son propre stockage au Canada");
        vec![
            (
                "Ce qui est enregistré",
                vec![
                    "À l'enregistrement : votre pièce d'identité et des images de votre visage."
                        .into(),
                    "Pendant l'examen seulement : caméra, micro, écran et sites web visités. \
                     Rien avant ni après, aucun de vos fichiers."
                        .into(),
                ],
            ),
            (
                "Où cela va",
                vec![
                    format!("Chiffré sur ce poste : seul {who} peut l'ouvrir."),
                    format!("Après l'examen, envoyé à {who}, conservé dans {storage}."),
                    "Rien n'est regardé en direct. Personne ne peut se connecter à ce poste."
                        .into(),
                ],
            ),
            (
                "Quand c'est effacé",
                vec![
                    "De ce poste : dès que l'envoi est vérifié.".into(),
                    format!(
                        "Enregistrements : après {RECORDINGS_DAYS} jours. Profil d'identité : \
                         après {PROFILES_DAYS} jours."
                    ),
                ],
            ),
            (
                "Qui peut le voir",
                vec![format!(
                    "Seul le personnel de {who} qui revoit les examens."
                )],
            ),
        ]
    }
}

/// The privacy notice screen, wrapped to the screen's width.
pub fn privacy_notice(w: u32, h: u32, t: &Theme, notice: &Notice, lang: Language) -> Frame {
    let mut c = frame_with_title(w, h, t, Notice::title(lang), false);
    let s = scale(h);
    let text = (h / 300).max(1);
    let line = 10 * text;
    let margin = 4 * s;
    let mut y = 18 * s;
    for (heading, lines) in notice.sections(lang) {
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
            .sections(Language::English)
            .iter()
            .flat_map(|(h, ls)| std::iter::once(h.to_string()).chain(ls.iter().cloned()))
            .collect::<Vec<_>>()
            .join("\n");
        for want in [
            "camera, microphone, screen and the websites visited",
            "only Example University can open it",
            "stored in AWS ca-central-1 (CANADA)",
            "after 180 days",
            "after 365 days",
            "Nothing is watched live",
        ] {
            assert!(text.contains(want), "{want:?} missing from:\n{text}");
        }
        let fr: String = n
            .sections(Language::French)
            .iter()
            .flat_map(|(h, ls)| std::iter::once(h.to_string()).chain(ls.iter().cloned()))
            .collect::<Vec<_>>()
            .join("\n");
        for want in [
            "Pendant l'examen seulement",
            "seul Example University peut l'ouvrir",
            "AWS ca-central-1 (Canada)",
            "après 180 jours",
            "après 365 jours",
            "Rien n'est regardé en direct",
        ] {
            assert!(fr.contains(want), "{want:?} missing from:\n{fr}");
        }
        let own = Notice::of(&site("U", "campus-1", true));
        assert_eq!(own.storage, "ITS OWN STORAGE IN CANADA");
    }

    #[test]
    fn every_glyph_exists_and_the_screen_is_drawn() {
        let n = Notice::of(&site("Example University", "ca-central-1", false));
        for (h, ls) in n
            .sections(Language::English)
            .into_iter()
            .chain(n.sections(Language::French))
        {
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
        for ((w, h), lang) in [(640, 480), (1024, 768), (1920, 1080)]
            .into_iter()
            .flat_map(|s| Language::ALL.map(|l| (s, l)))
        {
            let f = privacy_notice(w, h, &t, &n, lang);
            assert_eq!(f.rgb.len(), (w * h * 3) as usize);
            // All of it above the bottom tenth of the screen: nothing cut off at the edge.
            let bottom = &f.rgb[((h * 9 / 10) * w * 3) as usize..];
            assert!(
                bottom.chunks(3).all(|p| p == t.bg),
                "{w}x{h} {lang:?}: text near the bottom edge"
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
