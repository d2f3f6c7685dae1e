//! Severity of an advisory: CVSS v2, v3.x and v4 vectors scored with the `cvss` crate
//! (RustSec's), or the database's own rating word when no vector is given.
//!
//! One finding can carry several statements (each aliased record, each CVSS version).
//! The finding's severity is the highest CVSS version's score (v4, else v3, else v2),
//! the worst of them where several records give one; without any vector, the worst
//! rating word; otherwise unknown.

use std::str::FromStr;

use drydock_model::{ScoreKind, Severity, SeverityScore};

/// Scores one OSV `severity` entry (`type`, `score`). Unreadable vectors are kept as
/// statements without a score, so reports still show what the advisory said.
pub fn score(kind: &str, value: &str) -> SeverityScore {
    let score_kind = match kind {
        "CVSS_V2" => Some(ScoreKind::CvssV2),
        "CVSS_V3" => Some(ScoreKind::CvssV3),
        "CVSS_V4" => Some(ScoreKind::CvssV4),
        _ => None,
    };
    match score_kind {
        Some(score_kind) => {
            let score = cvss::Cvss::from_str(value.trim()).ok().map(|vector| vector.score());
            SeverityScore {
                kind: score_kind,
                value: value.to_string(),
                score,
                severity: score.map(Severity::from_cvss_score).unwrap_or_default(),
            }
        }
        None => rating(value),
    }
}

/// A database rating word as a statement.
pub fn rating(word: &str) -> SeverityScore {
    SeverityScore {
        kind: ScoreKind::Database,
        value: word.to_string(),
        score: None,
        severity: Severity::parse_rating(word).unwrap_or_default(),
    }
}

/// The finding's severity from all its statements (see the module documentation).
pub fn overall(scores: &[SeverityScore]) -> Severity {
    for kind in [ScoreKind::CvssV4, ScoreKind::CvssV3, ScoreKind::CvssV2] {
        let worst = scores
            .iter()
            .filter(|s| s.kind == kind && s.score.is_some())
            .map(|s| s.severity)
            .max();
        if let Some(worst) = worst {
            return worst;
        }
    }
    scores
        .iter()
        .filter(|s| s.kind == ScoreKind::Database)
        .map(|s| s.severity)
        .max()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_of_each_version_are_scored() {
        let v3 = score("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert_eq!((v3.score, v3.severity), (Some(9.8), Severity::Critical));
        let v30 = score("CVSS_V3", "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N");
        assert_eq!((v30.score, v30.severity), (Some(3.1), Severity::Low));
        let v2 = score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");
        assert_eq!((v2.score, v2.severity), (Some(7.5), Severity::High));
        let v4 = score(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        );
        assert_eq!((v4.score, v4.severity), (Some(9.3), Severity::Critical));
    }

    #[test]
    fn unreadable_vectors_and_words() {
        let bad = score("CVSS_V3", "CVSS:3.1/AV:Q");
        assert_eq!((bad.score, bad.severity), (None, Severity::Unknown));
        let word = score("Ubuntu", "medium");
        assert_eq!((word.kind, word.severity), (ScoreKind::Database, Severity::Medium));
    }

    #[test]
    fn the_newest_cvss_version_decides() {
        let scores = vec![
            score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            score("CVSS_V3", "CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
            rating("CRITICAL"),
        ];
        assert_eq!(overall(&scores), Severity::Low);
        assert_eq!(overall(&[rating("MODERATE"), rating("low")]), Severity::Medium);
        assert_eq!(overall(&[]), Severity::Unknown);
    }
}
