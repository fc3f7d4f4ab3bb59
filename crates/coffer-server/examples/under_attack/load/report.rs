//! The two runs side by side.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::legit::{Sample, SIZES};

/// One run of the legitimate clients.
#[derive(Debug, Default)]
pub struct Run {
    pub samples: Vec<Sample>,
    pub refused: Vec<String>,
    pub seconds: f64,
    /// The service's `VmHWM` and `VmRSS` (KiB) at the end of the run.
    pub memory: (u64, u64),
}

impl Run {
    /// Operations a second.
    pub fn rate(&self) -> f64 {
        self.samples.len() as f64 / self.seconds.max(f64::EPSILON)
    }

    /// Document bytes moved a second, in MiB.
    pub fn mib_per_second(&self) -> f64 {
        let bytes: usize = self.samples.iter().map(|s| SIZES[s.size]).sum();
        bytes as f64 / (1024.0 * 1024.0) / self.seconds.max(f64::EPSILON)
    }

    /// The `q` quantile (0 to 1) of the latencies of the samples `keep`
    /// selects.
    pub fn quantile(&self, q: f64, keep: impl Fn(&Sample) -> bool) -> Option<Duration> {
        let mut latencies: Vec<Duration> = self
            .samples
            .iter()
            .filter(|s| keep(s))
            .map(|s| s.latency)
            .collect();
        latencies.sort_unstable();
        let last = latencies.len().checked_sub(1)?;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "q is within 0 to 1: the rank is within 0 to last"
        )]
        let rank = ((last as f64) * q).round() as usize;
        latencies.get(rank.min(last)).copied()
    }

    /// p99 of every operation.
    pub fn p99(&self) -> Option<Duration> {
        self.quantile(0.99, |_| true)
    }
}

/// Both runs and what the attack saw.
#[derive(Debug)]
pub struct Report {
    pub flags: Vec<String>,
    pub alone: Run,
    pub under_attack: Run,
    pub idle_held: usize,
    pub idle_seconds: f64,
    pub attack: BTreeMap<String, usize>,
    pub failures_sent: usize,
    pub failures_seconds: f64,
    /// `VmHWM` and `VmRSS` (KiB) with the attack still in place.
    pub memory_after: (u64, u64),
}

fn ms(latency: Option<Duration>) -> String {
    latency.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0),
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = (&self.alone, &self.under_attack);
        writeln!(f, "service flags: {}", self.flags.join(" "))?;
        writeln!(f, "{:<34} {:>16} {:>16}", "", "alone", "under attack")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, x: String, y: String| {
            writeln!(f, "{name:<34} {x:>16} {y:>16}")
        };
        row(
            f,
            "operations",
            a.samples.len().to_string(),
            b.samples.len().to_string(),
        )?;
        row(
            f,
            "operations/s",
            format!("{:.1}", a.rate()),
            format!("{:.1}", b.rate()),
        )?;
        row(
            f,
            "document MiB/s",
            format!("{:.1}", a.mib_per_second()),
            format!("{:.1}", b.mib_per_second()),
        )?;
        for (index, size) in SIZES.iter().enumerate() {
            for (upload, kind) in [(true, "upload"), (false, "download")] {
                for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
                    let keep = |s: &Sample| s.size == index && s.upload == upload;
                    let label = format!("{} KiB {kind} {name}", size / 1024);
                    row(f, &label, ms(a.quantile(q, keep)), ms(b.quantile(q, keep)))?;
                }
            }
        }
        row(
            f,
            "all operations p50",
            ms(a.quantile(0.5, |_| true)),
            ms(b.quantile(0.5, |_| true)),
        )?;
        row(f, "all operations p99", ms(a.p99()), ms(b.p99()))?;
        row(
            f,
            "legitimate requests refused",
            a.refused.len().to_string(),
            b.refused.len().to_string(),
        )?;
        row(
            f,
            "service VmHWM (peak RSS)",
            format!("{} MiB", a.memory.0 / 1024),
            format!("{} MiB", b.memory.0 / 1024),
        )?;
        row(
            f,
            "service VmRSS at the end",
            format!("{} MiB", a.memory.1 / 1024),
            format!("{} MiB", b.memory.1 / 1024),
        )?;
        for why in a.refused.iter().chain(&b.refused).take(10) {
            writeln!(f, "  refused: {why}")?;
        }
        writeln!(
            f,
            "attack: {} idle connections held (opened in {:.1} s)",
            self.idle_held, self.idle_seconds
        )?;
        writeln!(
            f,
            "attack: {} failed authentications from as many IPv6 /64s in {:.1} s",
            self.failures_sent, self.failures_seconds
        )?;
        for (what, count) in &self.attack {
            writeln!(f, "attack: {what}: {count}")?;
        }
        let ratio = match (a.p99(), b.p99()) {
            (Some(x), Some(y)) => y.as_secs_f64() / x.as_secs_f64().max(f64::EPSILON),
            _ => f64::NAN,
        };
        let verdict = |met: bool| if met { "met" } else { "NOT met" };
        writeln!(
            f,
            "target p99 under attack <= 2x alone: {ratio:.2}x, {}",
            verdict(ratio <= 2.0)
        )?;
        let refused = a.refused.len() + b.refused.len();
        writeln!(
            f,
            "target no legitimate request refused: {refused} refused, {}",
            verdict(refused == 0)
        )?;
        writeln!(
            f,
            "service peak RSS with the attack in place: {} MiB",
            self.memory_after.0 / 1024
        )
    }
}
