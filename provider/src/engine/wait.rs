//! Provisioning waits: poll a check until it reports ready, on an exponential, jittered
//! schedule, honouring cancellation and a deadline, logging progress per part.
//!
//! # Why not the AWS SDK's generated waiters
//!
//! This is a deliberate choice over "use the library's waiter". The SDK's generated waiters
//! (`aws_sdk_eks::client::Waiters` and friends) fix their poll delays in generated code:
//! EKS clusters and node groups poll every 30 s at least (up to 120 s), RDS DB instances
//! every 30 s at least (up to 1800 s), ElastiCache replication groups every 15 s at least
//! (up to 120 s); a call can only set the overall timeout. MSK has no waiter at all. With a
//! 30 s minimum, each wait overshoots readiness by 15 s on average, and along a chain
//! (network → EKS cluster → node group) those overshoots add up; against an emulator whose
//! lifecycles last seconds the waiters alone would dominate the apply time. `mosia_environment`
//! promises an apply time close to the real provisioning time (wall time / critical path
//! ≤ 1.10), so it needs control of the schedule: [`PollSchedule`] starts with short delays
//! (resources that are already ready, e.g. when resuming, cost one describe call), grows by a
//! factor to a cap of about 30 s for the long waits (so a 10-minute wait overshoots by a
//! few seconds and costs a few dozen describe calls), adds jitter so that parallel parts do
//! not poll in lockstep, and scales down with `MOSIA_POLL_SCALE` for emulators and tests.
//! One code path also serves every service alike (MSK included), with the same cancellation
//! (StopProvider), deadline (`timeouts`) and progress logging.
//!
//! Throttling and transient HTTP errors of the describe calls themselves are retried by the
//! SDK's standard retry mode; when its attempts run out, the AWS layer's waits
//! (`aws::wait::PartWaiter`) report a [transient](PartError::transient) failure as
//! [`Poll::Pending`] and poll on until the deadline. A check may also map an error it knows
//! to be passing (e.g. NotFound right after a create, eventual consistency) to
//! [`Poll::Pending`].

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use mosia_tfplugin::Context;
use tokio::time::Instant;

use super::error::{PartError, PartErrorKind};
use super::fmt_duration;

/// What a check reports. (Not `std::task::Poll`: this one carries a status and an error.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poll<T, E> {
    /// Done: stop waiting and return this.
    Ready(T),
    /// Not yet; the string is the status shown in progress logs and timeout errors,
    /// e.g. "CREATING".
    Pending(String),
    /// It will not become ready (e.g. status FAILED, or a non-transient AWS error).
    Failed(E),
}

/// NotFound while waiting for an object that was just created: AWS lists a new object only
/// after a short delay (eventual consistency), so the first few misses are pending; after
/// that the object is taken to be gone.
#[derive(Debug, Default)]
pub struct NotFoundGrace {
    misses: AtomicU32,
}

impl NotFoundGrace {
    /// Polls during which NotFound counts as eventual consistency.
    pub const POLLS: u32 = 5;

    /// What one poll that found nothing reports: pending during the grace, then failed with
    /// "the `noun` disappeared".
    pub fn missed<T>(&self, part: &str, what: String, noun: &str) -> Poll<T, PartError> {
        if self.misses.fetch_add(1, Ordering::Relaxed) < Self::POLLS {
            Poll::Pending("not visible yet".into())
        } else {
            Poll::Failed(PartError::new(
                part,
                what,
                format!("the {noun} disappeared (deleted outside Terraform?)"),
            ))
        }
    }
}

/// An exponential backoff with jitter: the delay before poll `n + 1` is
/// `min(initial × factor^n, max)`, multiplied by a uniform factor in `[1 − jitter, 1 + jitter]`
/// and capped at `max` again (so `max` is a hard ceiling and the delays stay within
/// `[initial × (1 − jitter), max]`). The first poll happens at once.
#[derive(Clone, Debug, PartialEq)]
pub struct PollSchedule {
    pub initial: Duration,
    pub factor: f64,
    pub max: Duration,
    /// Fraction, e.g. 0.2 for ±20 %. Clamped to `[0, 0.9]`.
    pub jitter: f64,
}

/// The name of the environment variable that scales every preset's delays
/// (`MOSIA_POLL_SCALE=0.01` turns 2 s … 30 s into 20 ms … 300 ms).
pub const POLL_SCALE_ENV: &str = "MOSIA_POLL_SCALE";

/// The smallest delay a schedule produces, whatever the scale.
pub const MIN_DELAY: Duration = Duration::from_millis(1);

impl PollSchedule {
    pub const fn new(initial: Duration, factor: f64, max: Duration, jitter: f64) -> Self {
        PollSchedule {
            initial,
            factor,
            max,
            jitter,
        }
    }

    /// The general-purpose schedule: 2 s, ×1.5, up to 30 s, ±20 % (scaled by the env).
    pub fn standard() -> Self {
        Self::new(Duration::from_secs(2), 1.5, Duration::from_secs(30), 0.2).scaled(env_scale())
    }

    /// For tests and emulators: 10 ms, ×1.5, up to 100 ms, ±20 % (not scaled by the env).
    pub fn fast() -> Self {
        Self::new(
            Duration::from_millis(10),
            1.5,
            Duration::from_millis(100),
            0.2,
        )
    }

    /// Multiplies `initial` and `max` by `scale` (not below [`MIN_DELAY`]).
    pub fn scaled(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 && scale != 1.0 {
            self.initial = self.initial.mul_f64(scale).max(MIN_DELAY);
            self.max = self.max.mul_f64(scale).max(MIN_DELAY);
        }
        self
    }

    /// The delays between polls, jittered from a seed taken from the clock.
    pub fn backoff(&self) -> Backoff {
        self.backoff_seeded(clock_seed())
    }

    /// The delays between polls with a fixed seed (reproducible, for tests).
    pub fn backoff_seeded(&self, seed: u64) -> Backoff {
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 0.9)
        } else {
            0.0
        };
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let initial = self.initial.max(MIN_DELAY);
        let max = self.max.max(initial);
        Backoff {
            base: initial,
            max,
            factor,
            jitter,
            rng: XorShift64::new(seed),
        }
    }

    /// The delay before poll `n + 1` without jitter.
    pub fn base_delay(&self, n: u32) -> Duration {
        let initial = self.initial.max(MIN_DELAY);
        let max = self.max.max(initial);
        let f = self.factor.max(1.0).powi(n.min(1000) as i32);
        if !f.is_finite() || initial.as_secs_f64() * f >= max.as_secs_f64() {
            max
        } else {
            initial.mul_f64(f).min(max)
        }
    }
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self::standard()
    }
}

/// Parses a `MOSIA_POLL_SCALE` value: a finite number in `(0, 100]`.
pub fn parse_scale(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && v > 0.0 && v <= 100.0).then_some(v)
}

/// `MOSIA_POLL_SCALE`, read once per process; 1.0 when unset or invalid (invalid values
/// are logged).
pub fn env_scale() -> f64 {
    static SCALE: OnceLock<f64> = OnceLock::new();
    *SCALE.get_or_init(|| match std::env::var(POLL_SCALE_ENV) {
        Ok(v) => match parse_scale(&v) {
            Some(s) => {
                tracing::info!(scale = s, "poll delays scaled by {POLL_SCALE_ENV}");
                s
            }
            None => {
                tracing::warn!(value = %v, "ignoring {POLL_SCALE_ENV}: expected a number in (0, 100]");
                1.0
            }
        },
        Err(_) => 1.0,
    })
}

/// The (infinite) sequence of delays of a [`PollSchedule`].
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    factor: f64,
    jitter: f64,
    rng: XorShift64,
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let base = self.base;
        self.base = if base.as_secs_f64() * self.factor >= self.max.as_secs_f64() {
            self.max
        } else {
            base.mul_f64(self.factor)
        };
        let u = self.rng.next_f64() * 2.0 - 1.0; // [-1, 1)
        let d = base.mul_f64(1.0 + self.jitter * u);
        Some(d.clamp(MIN_DELAY, self.max))
    }
}

/// xorshift64*: a few lines of jitter, no `rand` dependency. Not for anything secret.
#[derive(Clone, Debug)]
struct XorShift64(u64);

impl XorShift64 {
    fn new(seed: u64) -> Self {
        // splitmix64 spreads similar seeds apart; xorshift needs a non-zero state.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift64(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn clock_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
}

/// Why a wait ended without the check reporting ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitError<E> {
    /// The check reported [`Poll::Failed`].
    Failed(E),
    /// The deadline (or the wait's own timeout) passed.
    TimedOut {
        part: String,
        what: Option<String>,
        last_status: Option<String>,
        elapsed: Duration,
        polls: u32,
    },
    /// The cancellation token fired.
    Cancelled {
        part: String,
        what: Option<String>,
        last_status: Option<String>,
        elapsed: Duration,
        polls: u32,
    },
}

impl<E> WaitError<E> {
    /// Converts the check's error type, e.g. into a [`PartError`] so that `?` works.
    pub fn map_failed<F>(self, f: impl FnOnce(E) -> F) -> WaitError<F> {
        match self {
            WaitError::Failed(e) => WaitError::Failed(f(e)),
            WaitError::TimedOut {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => WaitError::TimedOut {
                part,
                what,
                last_status,
                elapsed,
                polls,
            },
            WaitError::Cancelled {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => WaitError::Cancelled {
                part,
                what,
                last_status,
                elapsed,
                polls,
            },
        }
    }

    /// The last status the check reported, for timeouts and cancellations.
    pub fn last_status(&self) -> Option<&str> {
        match self {
            WaitError::Failed(_) => None,
            WaitError::TimedOut { last_status, .. } | WaitError::Cancelled { last_status, .. } => {
                last_status.as_deref()
            }
        }
    }

    fn stop_text(
        verb: &str,
        part: &str,
        what: &Option<String>,
        last_status: &Option<String>,
        elapsed: Duration,
        polls: u32,
    ) -> String {
        let what = what
            .as_deref()
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        let status = last_status.as_deref().unwrap_or("no status reported yet");
        let s = if polls == 1 { "" } else { "s" };
        format!(
            "{verb} waiting for part `{part}`{what} after {}: last status {status} ({polls} poll{s})",
            fmt_duration(elapsed)
        )
    }
}

impl<E: fmt::Display> fmt::Display for WaitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Failed(e) => e.fmt(f),
            WaitError::TimedOut {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => f.write_str(&Self::stop_text(
                "timed out",
                part,
                what,
                last_status,
                *elapsed,
                *polls,
            )),
            WaitError::Cancelled {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => f.write_str(&Self::stop_text(
                "stopped",
                part,
                what,
                last_status,
                *elapsed,
                *polls,
            )),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for WaitError<E> {}

/// A timeout or cancellation becomes a retryable [`PartError`] of kind `TimedOut` /
/// `Cancelled` (the object is most likely still provisioning: the next apply adopts it and
/// waits again); a check's own error passes through.
impl From<WaitError<PartError>> for PartError {
    fn from(e: WaitError<PartError>) -> Self {
        match e {
            WaitError::Failed(e) => e,
            WaitError::TimedOut {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => PartError {
                summary: match &what {
                    Some(w) => format!("waiting for {w}"),
                    None => "waiting for the part to become ready".into(),
                },
                detail: format!(
                    "gave up after {} ({polls} polls); last status {}",
                    fmt_duration(elapsed),
                    last_status.as_deref().unwrap_or("unknown")
                ),
                ..PartError::new(part, "", "")
            }
            .retryable(true)
            .with_kind(PartErrorKind::TimedOut),
            WaitError::Cancelled {
                part,
                what,
                last_status,
                elapsed,
                polls,
            } => PartError {
                summary: match &what {
                    Some(w) => format!("waiting for {w}"),
                    None => "waiting for the part to become ready".into(),
                },
                detail: format!(
                    "stopped after {} ({polls} polls); last status {}",
                    fmt_duration(elapsed),
                    last_status.as_deref().unwrap_or("unknown")
                ),
                ..PartError::new(part, "", "")
            }
            .retryable(true)
            .with_kind(PartErrorKind::Cancelled),
        }
    }
}

/// Decides when a progress line is due: on every status change, otherwise at most once per
/// `every`.
#[derive(Clone, Debug)]
pub struct ProgressLog {
    every: Duration,
    last_status: Option<String>,
    last_line: Option<Instant>,
}

impl ProgressLog {
    pub fn new(every: Duration) -> Self {
        ProgressLog {
            every,
            last_status: None,
            last_line: None,
        }
    }

    /// True when a line for `status` at `now` should be written (and records it).
    pub fn due(&mut self, status: &str, now: Instant) -> bool {
        let changed = self.last_status.as_deref() != Some(status);
        let stale = self
            .last_line
            .is_none_or(|t| now.saturating_duration_since(t) >= self.every);
        if changed || stale {
            if changed {
                self.last_status = Some(status.to_owned());
            }
            self.last_line = Some(now);
            true
        } else {
            false
        }
    }
}

/// The default interval of repeated progress lines for an unchanged status.
pub const LOG_EVERY: Duration = Duration::from_secs(30);

/// A configured wait. Build it with [`Waiter::new`] (or [`super::Deps::waiter`], which fills
/// in the part name, the run's cancellation and its deadline), then call [`Waiter::until`].
#[derive(Clone, Debug)]
pub struct Waiter<'a> {
    part: &'a str,
    what: Option<String>,
    schedule: PollSchedule,
    cancel: Option<&'a Context>,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    log_every: Duration,
    seed: Option<u64>,
}

impl<'a> Waiter<'a> {
    pub fn new(part: &'a str, schedule: PollSchedule) -> Self {
        Waiter {
            part,
            what: None,
            schedule,
            cancel: None,
            deadline: None,
            timeout: None,
            log_every: LOG_EVERY,
            seed: None,
        }
    }

    /// What is awaited, for logs and errors, e.g. "EKS cluster `mosia-dev` to become ACTIVE".
    pub fn what(mut self, what: impl Into<String>) -> Self {
        self.what = Some(what.into());
        self
    }

    /// Stop (with [`WaitError::Cancelled`]) when this context's token fires.
    pub fn cancel(mut self, ctx: &'a Context) -> Self {
        self.cancel = Some(ctx);
        self
    }

    /// Give up (with [`WaitError::TimedOut`]) at this instant. Combined with
    /// [`Self::timeout`], the earlier wins.
    pub fn deadline(mut self, at: Option<Instant>) -> Self {
        self.deadline = at;
        self
    }

    /// Give up this long after the wait starts.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// Interval of repeated progress lines for an unchanged status (default 30 s).
    pub fn log_every(mut self, d: Duration) -> Self {
        self.log_every = d;
        self
    }

    /// Fixes the jitter seed (tests).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Polls `check` at once, then after each delay of the schedule, until it reports
    /// [`Poll::Ready`] or [`Poll::Failed`], the token fires, or the deadline passes. A poll is
    /// never started at or after the deadline, and an in-flight check is dropped when the
    /// token fires or the deadline passes (so a hanging describe call cannot hold up a stop).
    pub async fn until<T, E, F, Fut>(self, mut check: F) -> Result<T, WaitError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Poll<T, E>>,
    {
        let start = Instant::now();
        let deadline = match (self.deadline, self.timeout.map(|t| start + t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut backoff = match self.seed {
            Some(seed) => self.schedule.backoff_seeded(seed),
            None => self.schedule.backoff(),
        };
        let mut progress = ProgressLog::new(self.log_every);
        let mut last_status: Option<String> = None;
        let mut polls: u32 = 0;
        let part = self.part;
        let what = self.what.as_deref().unwrap_or("");
        let cancel = self.cancel;

        let stop = |timed_out: bool, last_status: Option<String>, polls: u32| {
            let elapsed = start.elapsed();
            if timed_out {
                tracing::warn!(part, what, elapsed = %fmt_duration(elapsed), status = last_status.as_deref().unwrap_or(""), polls, "timed out waiting");
                WaitError::TimedOut {
                    part: part.to_owned(),
                    what: self.what.clone(),
                    last_status,
                    elapsed,
                    polls,
                }
            } else {
                tracing::info!(part, what, elapsed = %fmt_duration(elapsed), status = last_status.as_deref().unwrap_or(""), polls, "stopped waiting: cancelled");
                WaitError::Cancelled {
                    part: part.to_owned(),
                    what: self.what.clone(),
                    last_status,
                    elapsed,
                    polls,
                }
            }
        };

        loop {
            if cancel.is_some_and(|c| c.is_cancelled()) {
                return Err(stop(false, last_status, polls));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(stop(true, last_status, polls));
            }
            polls += 1;
            let result = tokio::select! {
                biased;
                _ = cancelled(cancel) => return Err(stop(false, last_status, polls)),
                _ = sleep_until(deadline) => return Err(stop(true, last_status, polls)),
                r = check() => r,
            };
            let status = match result {
                Poll::Ready(v) => {
                    tracing::info!(part, what, elapsed = %fmt_duration(start.elapsed()), polls, "ready");
                    return Ok(v);
                }
                Poll::Failed(e) => {
                    tracing::info!(part, what, elapsed = %fmt_duration(start.elapsed()), status = last_status.as_deref().unwrap_or(""), polls, "wait failed");
                    return Err(WaitError::Failed(e));
                }
                Poll::Pending(status) => status,
            };
            let now = Instant::now();
            if progress.due(&status, now) {
                tracing::info!(part, what, status = %status, elapsed = %fmt_duration(now - start), "waiting");
            } else {
                tracing::debug!(part, status = %status, polls, "still waiting");
            }
            last_status = Some(status);

            let next = now + backoff.next().unwrap_or(MIN_DELAY);
            let (wake, is_deadline) = match deadline {
                Some(d) if d <= next => (d, true),
                _ => (next, false),
            };
            tokio::select! {
                biased;
                _ = cancelled(cancel) => return Err(stop(false, last_status, polls)),
                _ = tokio::time::sleep_until(wake) => {
                    if is_deadline {
                        return Err(stop(true, last_status, polls));
                    }
                }
            }
        }
    }
}

async fn cancelled(ctx: Option<&Context>) {
    match ctx {
        Some(c) => c.cancelled.cancelled().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// [`Waiter`] in one call: waits for `part` on `schedule` until `check` is ready, `ctx` is
/// cancelled or `deadline` passes.
pub async fn wait_until<T, E, F, Fut>(
    part: &str,
    schedule: PollSchedule,
    ctx: &Context,
    deadline: Option<Instant>,
    check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Poll<T, E>>,
{
    Waiter::new(part, schedule)
        .cancel(ctx)
        .deadline(deadline)
        .until(check)
        .await
}

#[cfg(test)]
mod tests {

    #[test]
    fn not_found_is_pending_during_the_grace_then_fails() {
        let grace = NotFoundGrace::default();
        for _ in 0..NotFoundGrace::POLLS {
            assert_eq!(
                grace.missed::<()>("eks", "waiting".into(), "cluster"),
                Poll::Pending("not visible yet".into())
            );
        }
        match grace.missed::<()>("eks", "waiting".into(), "cluster") {
            Poll::Failed(e) => assert!(e.to_string().contains("the cluster disappeared"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    use super::*;
    use std::sync::{Arc, Mutex};

    fn ctx() -> Context {
        Context::new(Default::default())
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// 2 s, ×1.5, cap 30 s, no jitter: delays 2, 3, 4.5, 6.75, 10.125, 15.1875, 22.78, 30, 30…
    fn no_jitter() -> PollSchedule {
        PollSchedule::new(secs(2.0), 1.5, secs(30.0), 0.0)
    }

    type PollTimes = Arc<Mutex<Vec<Duration>>>;

    /// A check that records the (virtual) time of every poll and is ready from `ready_at`.
    fn recorder(
        ready_at: Duration,
    ) -> (
        PollTimes,
        impl FnMut() -> std::future::Ready<Poll<&'static str, String>>,
    ) {
        let t0 = Instant::now();
        let times = Arc::new(Mutex::new(vec![]));
        let t = times.clone();
        let check = move || {
            let e = t0.elapsed();
            t.lock().unwrap().push(e);
            std::future::ready(if e >= ready_at {
                Poll::Ready("ACTIVE")
            } else {
                Poll::Pending("CREATING".to_owned())
            })
        };
        (times, check)
    }

    #[test]
    fn base_delays_grow_to_the_cap() {
        let s = no_jitter();
        let delays: Vec<f64> = s
            .backoff_seeded(1)
            .take(10)
            .map(|d| d.as_secs_f64())
            .collect();
        let expected = [
            2.0, 3.0, 4.5, 6.75, 10.125, 15.1875, 22.78125, 30.0, 30.0, 30.0,
        ];
        for (d, e) in delays.iter().zip(expected) {
            assert!((d - e).abs() < 1e-6, "{delays:?}");
        }
        assert_eq!(s.base_delay(0), secs(2.0));
        assert_eq!(s.base_delay(7), secs(30.0));
        assert_eq!(s.base_delay(u32::MAX), secs(30.0));
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let s = PollSchedule::new(secs(2.0), 1.5, secs(30.0), 0.2);
        let mut lowest = f64::MAX;
        let mut highest = 0.0f64;
        for seed in 0..200 {
            for (n, d) in s.backoff_seeded(seed).take(20).enumerate() {
                let base = s.base_delay(n as u32).as_secs_f64();
                let d = d.as_secs_f64();
                assert!(
                    d >= base * 0.8 - 1e-9,
                    "seed {seed} poll {n}: {d} < {base}×0.8"
                );
                assert!(
                    d <= (base * 1.2).min(30.0) + 1e-9,
                    "seed {seed} poll {n}: {d}"
                );
                assert!((1.6 - 1e-9..=30.0).contains(&d));
                if n == 0 {
                    lowest = lowest.min(d);
                    highest = highest.max(d);
                }
            }
        }
        // The jitter actually spreads the first delay over most of 1.6 s … 2.4 s.
        assert!(lowest < 1.7 && highest > 2.3, "{lowest} {highest}");
        // Different seeds give different sequences; the same seed the same one.
        let a: Vec<_> = s.backoff_seeded(1).take(5).collect();
        let b: Vec<_> = s.backoff_seeded(2).take(5).collect();
        assert_ne!(a, b);
        assert_eq!(a, s.backoff_seeded(1).take(5).collect::<Vec<_>>());
    }

    #[test]
    fn nonsense_schedules_are_sanitised() {
        let s = PollSchedule::new(Duration::ZERO, 0.5, Duration::ZERO, 5.0);
        for d in s.backoff_seeded(3).take(10) {
            assert_eq!(d, MIN_DELAY);
        }
        let s = PollSchedule::new(secs(1.0), f64::NAN, secs(4.0), f64::NAN);
        assert!(s.backoff_seeded(3).take(10).all(|d| d == secs(1.0)));
    }

    #[test]
    fn presets_scale_and_env_values_parse() {
        let eks = PollSchedule::new(secs(5.0), 1.5, secs(30.0), 0.2);
        let fast = eks.clone().scaled(0.01);
        assert_eq!(fast.initial, Duration::from_millis(50));
        assert_eq!(fast.max, Duration::from_millis(300));
        assert_eq!(fast.factor, eks.factor);
        assert_eq!(eks.clone().scaled(1e-9).initial, MIN_DELAY);
        assert_eq!(eks.clone().scaled(-1.0), eks);
        assert_eq!(parse_scale("0.01"), Some(0.01));
        assert_eq!(parse_scale(" 2 "), Some(2.0));
        for bad in ["", "0", "-1", "abc", "NaN", "inf", "1000"] {
            assert_eq!(parse_scale(bad), None, "{bad}");
        }
    }

    #[test]
    fn progress_lines_on_change_or_every_interval() {
        let t0 = Instant::now();
        let mut log = ProgressLog::new(secs(30.0));
        let at = |s: f64| t0 + secs(s);
        assert!(log.due("CREATING", at(0.0)));
        assert!(!log.due("CREATING", at(2.0)));
        assert!(!log.due("CREATING", at(29.0)));
        assert!(log.due("CREATING", at(30.0)));
        assert!(!log.due("CREATING", at(45.0)));
        assert!(log.due("BACKING-UP", at(46.0)));
        assert!(!log.due("BACKING-UP", at(47.0)));
        assert!(log.due("CREATING", at(48.0)));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_follow_the_schedule() {
        // Ready from 40 s: polls at 0, 2, 5, 9.5, 16.25, 26.375, 41.5625 (7 polls).
        let (times, check) = recorder(secs(40.0));
        let t0 = Instant::now();
        let ctx = ctx();
        let v = wait_until("eks-cluster", no_jitter(), &ctx, None, check)
            .await
            .unwrap();
        assert_eq!(v, "ACTIVE");
        let times: Vec<f64> = times
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs_f64())
            .collect();
        let expected = [0.0, 2.0, 5.0, 9.5, 16.25, 26.375, 41.5625];
        assert_eq!(times.len(), expected.len(), "{times:?}");
        for (t, e) in times.iter().zip(expected) {
            assert!((t - e).abs() < 1e-3, "{times:?}");
        }
        // Overshoot past readiness is bounded by the current delay.
        assert!((t0.elapsed().as_secs_f64() - 41.5625).abs() < 1e-3);
    }

    #[tokio::test(start_paused = true)]
    async fn long_wait_polls_at_the_cap() {
        // A 10-minute provisioning: 7 polls to reach the cap (≈ 64 s), then one per 30 s.
        let (times, check) = recorder(secs(600.0));
        Waiter::new("rds-primary", no_jitter())
            .until(check)
            .await
            .unwrap();
        let times = times.lock().unwrap();
        let last = times.last().unwrap().as_secs_f64();
        assert!((600.0..=630.0).contains(&last), "{last}");
        assert!(times.len() <= 28, "{} polls", times.len());
    }

    #[tokio::test(start_paused = true)]
    async fn ready_at_once_costs_one_poll() {
        let (times, check) = recorder(Duration::ZERO);
        let t0 = Instant::now();
        Waiter::new("iam", no_jitter()).until(check).await.unwrap();
        assert_eq!(times.lock().unwrap().len(), 1);
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_stops_the_wait_promptly() {
        let (times, check) = recorder(secs(3600.0));
        let ctx = ctx();
        let token = ctx.cancelled.clone();
        tokio::spawn(async move {
            tokio::time::sleep(secs(7.0)).await;
            token.cancel();
        });
        let t0 = Instant::now();
        let err = wait_until("msk", no_jitter(), &ctx, None, check)
            .await
            .unwrap_err();
        assert_eq!(t0.elapsed(), secs(7.0), "stopped in the middle of a sleep");
        assert_eq!(times.lock().unwrap().len(), 3); // 0, 2, 5
        match &err {
            WaitError::Cancelled {
                part,
                last_status,
                polls,
                ..
            } => {
                assert_eq!(part, "msk");
                assert_eq!(last_status.as_deref(), Some("CREATING"));
                assert_eq!(*polls, 3);
            }
            other => panic!("{other:?}"),
        }
        let pe = PartError::from(err.map_failed(|s| PartError::new("", s, "")));
        assert_eq!(pe.kind, PartErrorKind::Cancelled);
        assert!(pe.retryable);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_check_is_dropped_on_cancel() {
        let ctx = ctx();
        let token = ctx.cancelled.clone();
        tokio::spawn(async move {
            tokio::time::sleep(secs(1.0)).await;
            token.cancel();
        });
        let t0 = Instant::now();
        let err = Waiter::new("eks-cluster", no_jitter())
            .cancel(&ctx)
            .until(std::future::pending::<Poll<(), String>>)
            .await
            .unwrap_err();
        assert!(matches!(err, WaitError::Cancelled { polls: 1, .. }));
        assert_eq!(t0.elapsed(), secs(1.0));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_times_out_with_part_status_and_elapsed() {
        let (times, check) = recorder(secs(3600.0));
        let t0 = Instant::now();
        let err = Waiter::new("eks-cluster", no_jitter())
            .what("EKS cluster `mosia-dev` to become ACTIVE")
            .deadline(Some(t0 + secs(20.0)))
            .timeout(secs(60.0))
            .until(check)
            .await
            .unwrap_err();
        // Polls at 0, 2, 5, 9.5, 16.25; the next (26.375) is past the deadline: no poll then.
        assert_eq!(t0.elapsed(), secs(20.0));
        assert_eq!(times.lock().unwrap().len(), 5);
        assert_eq!(
            err.to_string(),
            "timed out waiting for part `eks-cluster` (EKS cluster `mosia-dev` to become \
             ACTIVE) after 20s: last status CREATING (5 polls)"
        );
        let pe = PartError::from(err.map_failed(|s| PartError::new("", s, "")));
        assert_eq!(pe.kind, PartErrorKind::TimedOut);
        assert_eq!(pe.part, "eks-cluster");
        assert!(pe.retryable);
        let msg = pe.to_string();
        assert!(
            msg.starts_with("part `eks-cluster` timed out: waiting for EKS cluster"),
            "{msg}"
        );
        assert!(
            msg.contains("after 20s (5 polls); last status CREATING"),
            "{msg}"
        );
        assert!(msg.contains("run `terraform apply` again"), "{msg}");
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_alone_and_hanging_check() {
        let t0 = Instant::now();
        let err = Waiter::new("rds-primary", no_jitter())
            .timeout(secs(5.0))
            .until(std::future::pending::<Poll<(), String>>)
            .await
            .unwrap_err();
        assert_eq!(t0.elapsed(), secs(5.0));
        assert!(matches!(
            err,
            WaitError::TimedOut {
                polls: 1,
                last_status: None,
                ..
            }
        ));
        assert!(err.to_string().contains("no status reported yet"));
    }

    #[tokio::test(start_paused = true)]
    async fn failure_ends_the_wait_with_the_checks_error() {
        let mut n = 0;
        let t0 = Instant::now();
        let err = Waiter::new("elasticache", no_jitter())
            .until(|| {
                n += 1;
                std::future::ready(if n < 3 {
                    Poll::<(), _>::Pending("creating".to_owned())
                } else {
                    Poll::Failed(PartError::new(
                        "elasticache",
                        "creating replication group",
                        "status create-failed",
                    ))
                })
            })
            .await
            .unwrap_err();
        assert_eq!(t0.elapsed(), secs(5.0));
        let pe: PartError = err.into();
        assert_eq!(pe.kind, PartErrorKind::Failed);
        assert_eq!(pe.detail, "status create-failed");
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_schedule_waits_milliseconds() {
        let (times, check) = recorder(secs(0.5));
        let t0 = Instant::now();
        Waiter::new(
            "msk",
            PollSchedule::new(secs(10.0), 1.5, secs(30.0), 0.2).scaled(0.01),
        )
        .seed(7)
        .until(check)
        .await
        .unwrap();
        // 100 ms ×1.5 to 300 ms, ±20 %: ready at 0.5 s, seen by 0.8 s.
        assert!(t0.elapsed() <= secs(0.8), "{:?}", t0.elapsed());
        assert!(times.lock().unwrap().len() >= 3);
    }
}
