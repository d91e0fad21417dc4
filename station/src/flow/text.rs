//! What the station's screens say, in English and in French. The site picks the default
//! language (`[checkin] language`); F2 switches on every screen.
//!
//! Texts may hold `{name}` placeholders, filled by [`fill`]; both languages of one message have
//! the same placeholders (a test checks).

use board_config::Language;

/// A message of the station's screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Title of the readiness card.
    StationTitle,
    /// Title of the health report's screen.
    HealthTitle,
    /// What the health report's screen is for.
    HealthScan,
    /// How to leave it.
    HealthHelp,
    /// The readiness card's verdict when the station may be used.
    Ready,
    /// The readiness card's verdict when it may not, with `{reason}`.
    DoNotUse,
    /// How to begin.
    PressEnter,
    /// The other language's key.
    SwitchLanguage,
    /// Title of the check-in steps.
    CheckIn,
    /// The student number field.
    StudentLabel,
    /// How to fill it.
    StudentHelp,
    /// A number that does not match the pattern: `{value}`, `{example}`.
    NotAStudent,
    /// The exam field.
    ExamLabel,
    /// How to choose.
    ExamHelp,
    /// No exam may start now.
    NoExamOpen,
    /// A typed code that names no open exam: `{code}`.
    NoSuchExam,
    /// Title of the proctor's step.
    ProctorTitle,
    /// `{student}`.
    StudentIs,
    /// `{code}`, `{title}`, `{minutes}`.
    ExamIs,
    /// The PIN field.
    PinLabel,
    /// What the proctor does.
    PinHelp,
    /// A wrong PIN, `{attempts}` in a row.
    PinWrong,
    /// Wait `{secs}` seconds before the next PIN.
    PinWait,
    /// How to accept the privacy notice.
    NoticeHelp,
    /// A station that cannot start exams yet: `{reason}`.
    CannotStart,
    /// A warning on the badge: `{minutes}` left.
    MinutesLeft,
    /// The proctor call button was pressed at station `{station}`.
    ProctorCalled,
    /// The tamper switch reads open.
    CaseOpen,
    /// The student's end key asks first.
    ConfirmEnd,
    /// How to answer.
    ConfirmEndHelp,
    /// The proctor's key asks for the PIN.
    ProctorEnd,
    /// How to answer.
    ProctorEndHelp,
    /// How the student ends the exam: `{keys}`.
    EndKeyHint,
    /// Title of the identity check.
    IdentityTitle,
    /// What to do with the photo ID.
    HoldId,
    /// How to take its picture.
    HoldIdHelp,
    /// No camera picture: `{error}`.
    NoCamera,
    /// What to do for the face scan.
    LookAtCamera,
    /// The face scan goes on by itself.
    FaceHelp,
    /// One face, large and lit enough.
    FaceGood,
    /// No face found.
    FaceNone,
    /// More than one face.
    FaceOnlyOne,
    /// The face is too small.
    FaceCloser,
    /// The picture is too dark.
    FaceDark,
    /// The proctor may go on after `{tries}` failed tries.
    FaceOverride,
    /// How the proctor goes on.
    FaceOverrideHelp,
    /// An interrupted exam on the readiness card: `{code}`, `{title}`, `{minutes}` left.
    ResumeOffer,
    /// The key that resumes it.
    ResumeKey,
    /// Title of the resume step.
    ResumeTitle,
    /// What the proctor does there.
    ResumeHelp,
    /// Title of the sealed screen.
    SealedTitle,
    /// The exam is sealed.
    Sealed,
    /// `{files}` files, `{mb}` MB, upload pending.
    SealedFiles,
    /// The receipt: `{code}`.
    Receipt,
    /// What the receipt is for.
    ReceiptNote,
    /// How to go on.
    NextStudent,
}

/// (message, English, French).
const TEXTS: &[(Msg, &str, &str)] = &[
    (
        Msg::StationTitle,
        "EXAM STATION {id}",
        "POSTE D'EXAMEN {id}",
    ),
    (Msg::Ready, "READY", "PRÊT"),
    (
        Msg::DoNotUse,
        "DO NOT USE: {reason}",
        "NE PAS UTILISER : {reason}",
    ),
    (
        Msg::PressEnter,
        "Press Enter to check in for your exam",
        "Appuyez sur Entrée pour vous enregistrer à votre examen",
    ),
    (Msg::SwitchLanguage, "F2: Français", "F2: English"),
    (Msg::CheckIn, "CHECK-IN", "ENREGISTREMENT"),
    (Msg::StudentLabel, "Student number", "Numéro d'étudiant"),
    (
        Msg::StudentHelp,
        "Type your student number or swipe your card, then Enter. Esc: back",
        "Tapez votre numéro d'étudiant ou passez votre carte, puis Entrée. Échap : retour",
    ),
    (
        Msg::NotAStudent,
        "{value} is not a student number here. Example: {example}",
        "{value} n'est pas un numéro d'étudiant ici. Exemple : {example}",
    ),
    (Msg::ExamLabel, "Exam code", "Code de l'examen"),
    (
        Msg::ExamHelp,
        "Up/Down to choose, or type the code; Enter to confirm. Esc: back",
        "Haut/Bas pour choisir, ou tapez le code; Entrée pour confirmer. Échap : retour",
    ),
    (
        Msg::NoExamOpen,
        "No exam can start at this station now. Please ask the proctor.",
        "Aucun examen ne peut commencer à ce poste maintenant. Demandez au surveillant.",
    ),
    (
        Msg::NoSuchExam,
        "No exam open now has the code {code}",
        "Aucun examen ouvert n'a le code {code}",
    ),
    (Msg::ProctorTitle, "PROCTOR", "SURVEILLANT"),
    (Msg::StudentIs, "Student: {student}", "Étudiant : {student}"),
    (
        Msg::ExamIs,
        "Exam: {code} {title} ({minutes} min)",
        "Examen : {code} {title} ({minutes} min)",
    ),
    (Msg::PinLabel, "Proctor PIN", "NIP du surveillant"),
    (
        Msg::PinHelp,
        "Proctor: check the student's photo ID, type your PIN, Enter. Esc: cancel",
        "Surveillant : vérifiez la pièce d'identité, tapez votre NIP, Entrée. Échap : annuler",
    ),
    (
        Msg::PinWrong,
        "Wrong PIN ({attempts} in a row). Try again.",
        "NIP erroné ({attempts} de suite). Réessayez.",
    ),
    (
        Msg::PinWait,
        "Too many wrong PINs: wait {secs} s before the next try.",
        "Trop de NIP erronés : attendez {secs} s avant le prochain essai.",
    ),
    (
        Msg::NoticeHelp,
        "Enter: I have read this notice. Esc: cancel",
        "Entrée : j'ai lu cet avis. Échap : annuler",
    ),
    (
        Msg::CannotStart,
        "This station cannot start exams: {reason}",
        "Ce poste ne peut pas commencer d'examen : {reason}",
    ),
    (
        Msg::MinutesLeft,
        "{minutes} MIN LEFT",
        "ENCORE {minutes} MIN",
    ),
    (
        Msg::ProctorCalled,
        "PROCTOR CALLED TO {station}",
        "SURVEILLANT APPELÉ AU POSTE {station}",
    ),
    (
        Msg::CaseOpen,
        "CASE OPEN: JOURNALED",
        "BOÎTIER OUVERT : CONSIGNÉ",
    ),
    (
        Msg::ConfirmEnd,
        "End your exam now?",
        "Terminer votre examen maintenant ?",
    ),
    (
        Msg::ConfirmEndHelp,
        "Enter: end it. Esc: back to the exam",
        "Entrée : terminer. Échap : retour à l'examen",
    ),
    (
        Msg::ProctorEnd,
        "Proctor: PIN to end this exam",
        "Surveillant : NIP pour terminer cet examen",
    ),
    (
        Msg::ProctorEndHelp,
        "Enter: end it. Esc: back to the exam",
        "Entrée : terminer. Échap : retour à l'examen",
    ),
    (
        Msg::EndKeyHint,
        "To end your exam before the time is up: {keys}",
        "Pour terminer votre examen avant la fin du temps : {keys}",
    ),
    (
        Msg::IdentityTitle,
        "IDENTITY CHECK",
        "VÉRIFICATION D'IDENTITÉ",
    ),
    (
        Msg::HoldId,
        "Hold your photo ID inside the frame",
        "Tenez votre pièce d'identité dans le cadre",
    ),
    (
        Msg::HoldIdHelp,
        "Enter: take the picture",
        "Entrée : prendre la photo",
    ),
    (
        Msg::NoCamera,
        "No camera picture: {error}. Please ask the proctor.",
        "Pas d'image de la caméra : {error}. Demandez au surveillant.",
    ),
    (
        Msg::LookAtCamera,
        "Look at the camera, your face inside the oval",
        "Regardez la caméra, le visage dans l'ovale",
    ),
    (
        Msg::FaceHelp,
        "Please wait: the camera checks your face",
        "Patientez : la caméra vérifie votre visage",
    ),
    (Msg::FaceGood, "Hold still", "Ne bougez plus"),
    (
        Msg::FaceNone,
        "No face found: face the camera",
        "Aucun visage trouvé : faites face à la caméra",
    ),
    (
        Msg::FaceOnlyOne,
        "Only one person in the picture, please",
        "Une seule personne dans l'image, s'il vous plaît",
    ),
    (
        Msg::FaceCloser,
        "Move closer to the camera",
        "Approchez-vous de la caméra",
    ),
    (
        Msg::FaceDark,
        "Too dark: more light on your face",
        "Trop sombre : éclairez votre visage",
    ),
    (
        Msg::FaceOverride,
        "The face check did not succeed in {tries} tries. Proctor: compare the student with the photo ID, then type your PIN.",
        "La vérification du visage n'a pas réussi en {tries} essais. Surveillant : comparez l'étudiant à sa pièce d'identité, puis tapez votre NIP.",
    ),
    (
        Msg::FaceOverrideHelp,
        "Proctor PIN, Enter: go on without the face check",
        "NIP du surveillant, Entrée : continuer sans la vérification du visage",
    ),
    (
        Msg::ResumeOffer,
        "Interrupted exam {code} {title}: {minutes} min left",
        "Examen interrompu {code} {title} : encore {minutes} min",
    ),
    (
        Msg::ResumeKey,
        "F5: resume it (proctor)",
        "F5 : le reprendre (surveillant)",
    ),
    (Msg::ResumeTitle, "RESUME THE EXAM", "REPRENDRE L'EXAMEN"),
    (Msg::HealthTitle, "HEALTH REPORT", "RAPPORT D'ÉTAT"),
    (
        Msg::HealthScan,
        "For IT: this station's signed health report, in short. Scan the QR code, or read it here:",
        "Pour l'informatique : le rapport d'état signé de ce poste, en bref. Lisez le code QR, ou ici :",
    ),
    (Msg::HealthHelp, "Any key: back", "Toute touche : retour"),
    (
        Msg::ResumeHelp,
        "Proctor: check it is the same student, type your PIN, Enter: resume. Esc: back",
        "Surveillant : vérifiez que c'est le même étudiant, tapez votre NIP, Entrée : reprendre. Échap : retour",
    ),
    (Msg::SealedTitle, "EXAM ENDED", "EXAMEN TERMINÉ"),
    (
        Msg::Sealed,
        "Your exam is recorded and sealed.",
        "Votre examen est enregistré et scellé.",
    ),
    (
        Msg::SealedFiles,
        "{files} files, {mb} MB, upload pending",
        "{files} fichiers, {mb} Mo, envoi en attente",
    ),
    (Msg::Receipt, "Receipt: {code}", "Reçu : {code}"),
    (
        Msg::ReceiptNote,
        "Note this code or scan it: it names exactly this recording.",
        "Notez ce code ou photographiez-le : il désigne exactement cet enregistrement.",
    ),
    (
        Msg::NextStudent,
        "Enter: next student",
        "Entrée : étudiant suivant",
    ),
];

/// The text of `msg` in `lang`, placeholders unfilled.
pub fn text(lang: Language, msg: Msg) -> &'static str {
    let (_, en, fr) = TEXTS
        .iter()
        .find(|(m, _, _)| *m == msg)
        .copied()
        .unwrap_or((msg, "?", "?"));
    match lang {
        Language::English => en,
        Language::French => fr,
    }
}

/// The text of `msg` in `lang` with each `{name}` replaced by its value.
pub fn fill(lang: Language, msg: Msg, args: &[(&str, &str)]) -> String {
    args.iter()
        .fold(text(lang, msg).to_owned(), |s, (name, value)| {
            s.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn both_languages_say_every_message_with_the_same_placeholders() {
        for (msg, en, fr) in TEXTS {
            assert_ne!(en, fr, "{msg:?} is not translated");
            assert_eq!(placeholders(en), placeholders(fr), "{msg:?}");
            assert_eq!(TEXTS.iter().filter(|(m, _, _)| m == msg).count(), 1);
        }
        assert_eq!(
            fill(Language::French, Msg::NoSuchExam, &[("code", "X1")]),
            "Aucun examen ouvert n'a le code X1"
        );
    }
}
