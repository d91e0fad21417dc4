//! From judgements sample by sample to windows: a hint only when something held for several
//! seconds, never from one sample. A short break inside (one sample the other way, a second the
//! detector could not tell) does not split a window in two.

/// A stretch of exam time where something held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Exam time of its first sample, seconds.
    pub start: f64,
    /// Exam time just after its last sample.
    pub end: f64,
    /// Index of its first sample.
    pub first: usize,
}

/// The windows where `hit` is true at samples `times` (seconds, ascending, `period` apart when
/// nothing is missing): runs of hits no more than `bridge` seconds apart are one window, and
/// a window is kept when it lasts at least `hold` seconds.
pub fn windows(times: &[f64], hit: &[bool], period: f64, bridge: f64, hold: f64) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    let mut open: Option<(Window, f64)> = None; // (window, time of its last hit)
    for (i, (&t, &h)) in times.iter().zip(hit).enumerate() {
        if !h {
            continue;
        }
        match &mut open {
            Some((w, last)) if t - *last <= bridge + period + 1e-6 => {
                *last = t;
                w.end = t + period;
            }
            _ => {
                if let Some((w, _)) = open.take() {
                    out.push(w);
                }
                open = Some((
                    Window {
                        start: t,
                        end: t + period,
                        first: i,
                    },
                    t,
                ));
            }
        }
    }
    out.extend(open.map(|(w, _)| w));
    out.retain(|w| w.end - w.start >= hold - 1e-6);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn one_sample_is_never_a_window() {
        let mut hit = vec![false; 20];
        hit[5] = true;
        assert!(windows(&secs(20), &hit, 1.0, 1.0, 5.0).is_empty());
    }

    #[test]
    fn held_runs_become_windows_and_short_breaks_do_not_split_them() {
        let mut hit = vec![false; 30];
        for h in &mut hit[5..15] {
            *h = true;
        }
        hit[9] = false; // one sample the other way
        for h in &mut hit[20..23] {
            *h = true; // 3 s: too short
        }
        let w = windows(&secs(30), &hit, 1.0, 1.0, 5.0);
        assert_eq!(
            w,
            vec![Window {
                start: 5.0,
                end: 15.0,
                first: 5
            }]
        );
    }

    #[test]
    fn a_gap_in_the_samples_longer_than_the_bridge_splits() {
        let times = [0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 13.0, 14.0];
        let w = windows(&times, &[true; 10], 1.0, 1.0, 5.0);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!((w[1].start, w[1].end), (10.0, 15.0));
    }
}
